import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError } from "@nabla/tensor";
import { binaryRowsInPlace } from "../../packages/tensor/src/backends/cpu/wasm/elementwise";
import { WasmFloat32Buffer } from "../../packages/tensor/src/backends/cpu/wasm/float32-buffer";
import { wasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";

const OPS: Record<string, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
};

const values = (length: number) => fc.float32Array({ minLength: length, maxLength: length, noDefaultInfinity: true });

describe("float32 storage in the WebAssembly heap", () => {
  it("binaryRowsInPlace computes a op b where the operands live, as float32 arithmetic, and writes nothing past out's block", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("add", "sub", "mul", "div"),
        fc.integer({ min: 0, max: 300 }).chain((n) => fc.tuple(values(n), values(n), fc.boolean())),
        (op, [x, y, aliased]) => {
          const n = x.length;
          const a = WasmFloat32Buffer.from(x)!;
          const b = WasmFloat32Buffer.from(y)!;
          const out = aliased ? a : WasmFloat32Buffer.allocate(n)!;
          // a buffer right after out's block: the kernel's whole vectors must stay out of it
          const after = WasmFloat32Buffer.from([7, 7, 7, 7])!;
          const flat = (buffer: WasmFloat32Buffer) => ({ ptr: buffer.ptr, shape: [n], strides: [1], offset: 0 });
          expect(binaryRowsInPlace(op, flat(a), flat(b), out.ptr)).toBe(true);
          const got = out.data();
          for (let i = 0; i < n; i++) expect(got[i]).toBe(Math.fround(OPS[op]!(x[i]!, y[i]!)));
          expect(Array.from(after.data())).toEqual([7, 7, 7, 7]);
          for (const buffer of [a, b, out, after]) buffer.free();
        },
      ),
      { numRuns: 80 },
    );
  });

  it("keeps its values when the memory grows, through a new view", () => {
    const buffer = WasmFloat32Buffer.from([1, 2, 3])!;
    const before = buffer.data();
    const heap = wasmHeap()!;
    const big = heap.allocate(heap.stats().byteLength)!;
    expect(heap.stats().byteLength).toBeGreaterThan(before.buffer.byteLength);
    expect(Array.from(buffer.data())).toEqual([1, 2, 3]);
    big.free();
    buffer.free();
  });

  it("is null when the heap cannot hold it, and refuses its data once freed", () => {
    expect(WasmFloat32Buffer.allocate(wasmHeap()!.limitBytes / 4)).toBeNull();
    const buffer = WasmFloat32Buffer.allocate(8)!;
    buffer.free();
    expect(buffer.freed).toBe(true);
    expect(() => buffer.data()).toThrow(NablaError);
    expect(() => WasmFloat32Buffer.allocate(-1)).toThrow("WasmFloat32Buffer: expected a length (an integer ≥ 0), got -1");
  });
});

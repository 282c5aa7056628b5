import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { randn, type Tensor } from "@nabla/tensor";
import { HEAP_MIN_ELEMENTS } from "../../packages/tensor/src/backends/cpu/buffer";
import { WasmFloat32Buffer } from "../../packages/tensor/src/backends/cpu/wasm/float32-buffer";
import { wasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";
import { withKernels } from "../support/kernels";

// float32 CPU storage from HEAP_MIN_ELEMENTS lives in the WebAssembly heap when it has room, and
// the in-place WebAssembly kernels (wasm-kernels.ts) work on it there. Every result must be the JS
// reference kernels' on the same views, and everything must keep working when the heap is full.

const root = fileURLToPath(new URL("../../", import.meta.url));
const tsx = fileURLToPath(new URL("../../examples/node_modules/.bin/tsx", import.meta.url));
const SUM_TOLERANCE = 1e-4;
const inHeap = (t: Tensor) => t.storage.buffer instanceof WasmFloat32Buffer;

/** A random view of a heap-resident base: a permutation, a stepped slice, maybe an expand. */
const viewArb = fc.record({
  transpose: fc.boolean(),
  start: fc.integer({ min: 0, max: 3 }),
  step: fc.integer({ min: 1, max: 2 }),
  broadcast: fc.constantFrom("none", "row", "column", "scalar"),
  op: fc.constantFrom("add", "sub", "mul", "div"),
  dim: fc.constantFrom(0, 1),
});

function expectSame(actual: Float32Array | ArrayLike<number>, expected: ArrayLike<number>, tolerance = 0): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (tolerance === 0 ? !Object.is(a, e) : Math.abs(a - e) > tolerance * Math.max(1, Math.abs(e))) {
      expect.fail(`element ${i}: ${a}, expected ${e}`);
    }
  }
}

describe("float32 storage in the WebAssembly heap", () => {
  it("holds float32 tensors from HEAP_MIN_ELEMENTS elements; smaller ones and other dtypes are typed arrays", () => {
    expect(inHeap(randn([HEAP_MIN_ELEMENTS]))).toBe(true);
    expect(inHeap(randn([HEAP_MIN_ELEMENTS - 1]))).toBe(false);
    expect(inHeap(randn([HEAP_MIN_ELEMENTS], { dtype: "float64" }))).toBe(false);
    // binary arithmetic on heap operands gives heap storage, from the in-place kernel
    const x = randn([80, 64]);
    expect(inHeap(x.mul(x))).toBe(true);
  });

  it("gives the JS reference kernels' results on random strided views (binary arithmetic, sums)", () => {
    const base = randn([70, 90]);
    const other = randn([70, 90]);
    expect(inHeap(base) && inHeap(other)).toBe(true);
    fc.assert(
      fc.property(viewArb, ({ transpose, start, step, broadcast, op, dim }) => {
        let a = base.slice(0, start, 70, step).slice(1, start, 90);
        if (transpose) a = a.T;
        let b = (transpose ? other.T : other).slice(0, 0, a.shape[0]!).slice(1, 0, a.shape[1]!);
        if (broadcast === "row") b = b.slice(0, 0, 1).expand(a.shape);
        if (broadcast === "column") b = b.slice(1, 0, 1).expand(a.shape);
        if (broadcast === "scalar") b = b.slice(0, 0, 1).slice(1, 0, 1).expand(a.shape);
        const run = (x: Tensor, y: Tensor) => (op === "add" ? x.add(y) : op === "sub" ? x.sub(y) : op === "mul" ? x.mul(y) : x.div(y));
        const js = withKernels("js", () => run(a, b).data());
        expectSame(withKernels("wasm", () => run(a, b)).data(), js);
        expectSame(withKernels("auto", () => run(a, b)).data(), js);
        // sums in another order (the WebAssembly kernel adds runs of float32 values as a tree
        // first): equal within a few float32 roundings of Σ|x| (at most 90 values of about 1)
        const sum = (x: Tensor) => x.contiguous().sum(dim).data();
        expectSame(
          withKernels("wasm", () => sum(a)),
          withKernels("js", () => sum(a)),
          SUM_TOLERANCE,
        );
      }),
      { numRuns: 60 },
    );
  });

  it("falls back to typed arrays when the storage limit is reached, and ops give the same values", () => {
    const x = randn([100, 100]);
    const y = randn([100, 100]);
    const expected = withKernels("js", () => x.mul(y).add(x).sum(1).data());
    const held: WasmFloat32Buffer[] = [];
    try {
      // fill the heap's storage until it refuses
      for (let buffer = WasmFloat32Buffer.allocate(1 << 18); buffer !== null; buffer = WasmFloat32Buffer.allocate(1 << 18))
        held.push(buffer);
      for (
        let buffer = WasmFloat32Buffer.allocate(HEAP_MIN_ELEMENTS);
        buffer !== null;
        buffer = WasmFloat32Buffer.allocate(HEAP_MIN_ELEMENTS)
      )
        held.push(buffer);
      expect(held.length).toBeGreaterThan(0);
      const z = randn([100, 100]);
      expect(inHeap(z)).toBe(false);
      for (const kernels of ["js", "auto", "wasm"] as const) {
        const product = withKernels(kernels, () => x.mul(y));
        expect(inHeap(product)).toBe(false);
        expectSame(
          withKernels(kernels, () => product.add(x).sum(1).data()),
          expected,
          SUM_TOLERANCE,
        );
      }
    } finally {
      for (const buffer of held) buffer.free();
    }
    expect(inHeap(randn([100, 100]))).toBe(true);
  });

  it("keeps its values when the memory grows; data() and toArray() are copies, never views of the heap", () => {
    const heap = wasmHeap()!;
    const x = randn([64, 80]);
    const before = x.data();
    expect(before.buffer).not.toBe(heap.memory.buffer);
    // a block larger than all that is free now: the memory grows
    const size = heap.stats().byteLength;
    const grown = heap.allocate(size - heap.stats().usedBytes + 65536);
    expect(heap.stats().byteLength).toBeGreaterThan(size);
    try {
      expect(Array.from(x.data())).toEqual(Array.from(before));
      expect(x.toArray()).toEqual(withKernels("js", () => x.mul(1).toArray()));
      expect(Array.from(x.mul(2).data())).toEqual(Array.from(before, (v) => Math.fround(v * 2)));
    } finally {
      grown?.free();
    }
  });

  it("is given back after its tensors are collected, once the event loop turns; a loop that never yields falls back", () => {
    const output = execFileSync(tsx, ["--expose-gc", "test/tensor/heap-storage-gc.ts"], { cwd: root, encoding: "utf8", timeout: 120_000 });
    const result = JSON.parse(output.trim().split("\n").pop()!);
    // synchronous: storage stops at its limit, and the rest of the 400 tensors are typed arrays
    expect(result.syncOwned).toBeLessThanOrEqual(result.storageLimit);
    expect(result.syncInHeap).toBeGreaterThan(0);
    expect(result.syncInHeap).toBeLessThan(400);
    // after a collection and a turn of the event loop the dropped tensors' storage is back
    expect(result.afterCollect).toBeLessThanOrEqual(2 * 128 * 256 * 4 + 4096);
    // rounds with a collection between them: every tensor in the heap, the memory within its limit
    expect(result.roundsInHeap).toBe(40 * 20 * 2);
    expect(result.peak).toBeLessThanOrEqual(result.limit);
  });
});

import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { View } from "../../packages/tensor/src/backends/backend";
import { cpu } from "../../packages/tensor/src/backends/cpu";
import { type CpuBuffer, hostArray } from "../../packages/tensor/src/backends/cpu/buffer";
import { WasmFloat32Buffer } from "../../packages/tensor/src/backends/cpu/wasm/float32-buffer";
import { softmaxRowsSimd, softmaxVjpRowsSimd } from "../../packages/tensor/src/backends/cpu/wasm/softmax";
import { wasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";
import type { Primitives } from "../../packages/tensor/src/backends/primitives";
import { laidOutRows, withKernels, withOutputs } from "../support/kernels";

// The softmax and softmaxBackward primitives on float32 storage that lives in the WebAssembly heap
// (read where it is) or in typed arrays (copied a block of rows at a time): the SIMD kernels
// against the JS reference kernels, through the registry's dispatch with "js" and then "wasm" as
// the kernel preference, on random views: row lengths that leave 0–3 values after the last vector
// of four, rows inside wider rows, one row repeated (row stride 0), transposed rows (copied),
// leading dims that merge into rows and a trailing dim of 1, offsets; outputs in the heap (from
// 4096 values) or, when it has no room, copied out; -Infinity masks, ±1000, NaN and +Infinity.

// the drivers as they are, recording their results: whether the SIMD kernel ran rather than declined
vi.mock("../../packages/tensor/src/backends/cpu/wasm/softmax", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/softmax")>();
  return {
    ...original,
    softmaxRowsSimd: vi.fn(original.softmaxRowsSimd),
    softmaxVjpRowsSimd: vi.fn(original.softmaxVjpRowsSimd),
  };
});

const run = cpu.run as unknown as Primitives<CpuBuffer>;

/** How the [R, N] rows of an operand sit in its storage. */
type Layout = "rows" | "wider rows" | "repeated row" | "transposed";
/** The shape the rows are seen through, and the dim softmax works along. */
type Shape = "[R, N]" | "[2, R/2, N]" | "[R, N, 1]";

interface Operand {
  layout: Layout;
  offset: number;
  inHeap: boolean;
  /** Seeds the values (see valuesOf). */
  seed: number;
}

interface Case {
  rows: number;
  n: number;
  shape: Shape;
  log: boolean;
  x: Operand;
  g: Operand;
  outputsInHeap: boolean;
}

/** Mostly moderate values, now and then -Infinity (a mask), ±1000, NaN or +Infinity, from a seed. */
function valuesOf(seed: number, count: number, special: boolean): number[] {
  const specials = [-Infinity, -Infinity, 1000, -1000, Number.NaN, Infinity];
  return Array.from({ length: count }, (_, i) => {
    const u = Math.abs(Math.sin(seed * 12.9898 + i * 78.233) * 43758.5453) % 1;
    if (special && u < 0.06) return specials[Math.floor(u * 100) % specials.length]!;
    return (Math.abs(Math.sin(seed * 39.3468 + i * 11.135) * 24634.6345) % 1) * 60 - 30;
  });
}

const operandArb: fc.Arbitrary<Operand> = fc.record({
  layout: fc.constantFrom<Layout>("rows", "wider rows", "repeated row", "transposed"),
  offset: fc.integer({ min: 0, max: 3 }),
  inHeap: fc.boolean(),
  seed: fc.integer({ min: 1, max: 2 ** 20 }),
});

// small cases (every output copied out: fewer than 4096 values) and large ones (R·N ≥ 4096)
const caseArb: fc.Arbitrary<Case> = fc
  .oneof(
    fc.record({ rows: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 1, max: 70 }) }),
    fc.record({ rows: fc.integer({ min: 64, max: 80 }), n: fc.integer({ min: 64, max: 71 }) }),
  )
  .chain(({ rows, n }) =>
    fc.record({
      rows: fc.constant(rows),
      n: fc.constant(n),
      shape: fc.constantFrom<Shape>("[R, N]", "[R, N, 1]", ...(rows % 2 === 0 ? (["[2, R/2, N]"] as const) : [])),
      log: fc.boolean(),
      x: operandArb,
      g: operandArb,
      outputsInHeap: fc.boolean(),
    }),
  );

/**
 * The operand's [R, N] values (row-major) and its view: the rows laid out as asked in a storage of
 * their own (in the heap or a typed array), seen through `shape`; the dim softmax works along.
 */
function operandOf(
  { layout, offset, inHeap }: Operand,
  values: number[],
  rows: number,
  n: number,
  shape: Shape,
): { view: View<CpuBuffer>; dim: number } {
  const view = laidOutRows(values, rows, n, { layout, offset, inHeap });
  const [rs, cs] = view.strides as [number, number];
  if (shape === "[R, N, 1]") return { view: { ...view, shape: [rows, n, 1], strides: [rs, cs, 1] }, dim: 1 };
  if (shape === "[2, R/2, N]" && layout !== "transposed") {
    return { view: { ...view, shape: [2, rows / 2, n], strides: [(rows / 2) * rs, rs, cs] }, dim: 2 };
  }
  return { view, dim: 1 };
}

/** What the view holds, row-major: the repeated row once per row. */
const rowMajorOf = (values: number[], layout: Layout, rows: number, n: number): number[] =>
  layout === "repeated row" ? Array.from({ length: rows }, () => values.slice(0, n)).flat() : values;

/**
 * The first index where `actual` and the reference disagree (NaN where it is NaN, ±Infinity alike,
 * else within atol + rtol·|reference|), with both values; null when they agree everywhere.
 */
function firstDisagreement(actual: number[], expected: number[], atol: number, rtol: number): string | null {
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    const agree = Number.isNaN(e) || !Number.isFinite(e) ? Object.is(a, e) : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!agree) return `[${i}]: ${a} vs ${e}`;
  }
  return null;
}

function expectAgree(actual: number[], expected: number[], atol: number, rtol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  expect(firstDisagreement(actual, expected, atol, rtol), what).toBeNull();
}

/** The output's values, and whether it lives in the heap. */
const read = (buffer: CpuBuffer) => ({ values: Array.from(hostArray(buffer)), inHeap: buffer instanceof WasmFloat32Buffer });

describe("softmax and softmaxBackward in place on heap storage: WebAssembly SIMD against the JS reference", () => {
  it("agree on every layout, with the output in the heap or copied out", () => {
    fc.assert(
      fc.property(caseArb, ({ rows, n, shape, log, x, g, outputsInHeap }) => {
        const xValues = valuesOf(x.seed, rows * n, true);
        const { view: xView, dim } = operandOf(x, xValues, rows, n, shape);
        const forward = () => read(run.softmax(xView, dim, log, "float32"));
        const js = withKernels("js", forward);
        const wasm = withOutputs(outputsInHeap, () => withKernels("wasm", forward));
        expect(vi.mocked(softmaxRowsSimd).mock.results.at(-1)?.value, "the SIMD kernel ran").not.toBeNull();
        expect(wasm.inHeap, "the output lives in the heap").toBe(outputsInHeap && rows * n >= 4096);
        expectAgree(wasm.values, js.values, log ? 2e-6 : 1e-6, log ? 1e-6 : 1e-5, log ? "logSoftmax" : "softmax");
        // masked entries of rows that are not NaN are exactly 0 (softmax) or -Infinity (log-softmax)
        const masked = log ? -Infinity : 0;
        const xs = rowMajorOf(xValues, x.layout, rows, n);
        const wrong = xs.findIndex((v, i) => v === -Infinity && !Number.isNaN(js.values[i]!) && wasm.values[i] !== masked);
        expect(wrong, "a masked entry").toBe(-1);

        // the VJP from the reference's output y (laid out as x was) and a gradient g
        const y = js.values.map((v) => (Number.isFinite(v) ? v : log ? -20 : 0));
        const { view: yView } = operandOf(x, y, rows, n, shape);
        const gValues = valuesOf(g.seed, rows * n, false).map((v) => v / 6);
        const { view: gView } = operandOf(g, gValues, rows, n, shape);
        const backward = () => read(run.softmaxBackward(yView, gView, dim, log, "float32"));
        const jsGrad = withKernels("js", backward);
        const wasmGrad = withOutputs(outputsInHeap, () => withKernels("wasm", backward));
        expect(vi.mocked(softmaxVjpRowsSimd).mock.results.at(-1)?.value, "the SIMD kernel ran").not.toBeNull();
        expect(wasmGrad.inHeap, "the gradient lives in the heap").toBe(outputsInHeap && rows * n >= 4096);
        // the sums of n products of magnitude ≤ 5 round at about n·5·2⁻²⁴
        expectAgree(wasmGrad.values, jsGrad.values, 5e-6 * n, 1e-5, log ? "logSoftmaxBackward" : "softmaxBackward");
      }),
      { numRuns: 120 },
    );
  });

  it("read heap rows where they are and write the output in place: no block of copies in the scratch", () => {
    const [rows, n] = [64, 75];
    // rows of 75 inside rows of 80 in the heap: they step evenly, so the kernels read them in place
    const x = WasmFloat32Buffer.from(Float32Array.from({ length: rows * 80 }, (_, i) => Math.sin(i) * 4))!;
    const g = WasmFloat32Buffer.from(Float32Array.from({ length: rows * 80 }, (_, i) => Math.cos(i)))!;
    const view = (buffer: CpuBuffer): View<CpuBuffer> => ({ buffer, shape: [rows, n], strides: [80, 1], offset: 2 });
    const whole = (buffer: CpuBuffer): View<CpuBuffer> => ({ buffer, shape: [rows, n], strides: [n, 1], offset: 0 });
    const heap = wasmHeap()!;
    const allocate = vi.spyOn(heap, "allocate");
    try {
      const s = withKernels("wasm", () => run.softmax(view(x), 1, false, "float32"));
      const dx = withKernels("wasm", () => run.softmaxBackward(whole(s), view(g), 1, false, "float32"));
      expect(s).toBeInstanceOf(WasmFloat32Buffer);
      expect(dx).toBeInstanceOf(WasmFloat32Buffer);
      // each call: its output (rows·n values) and a scratch block of per-row statistics at most
      const sizes = allocate.mock.calls.map(([bytes]) => bytes);
      expect(sizes.filter((bytes) => bytes >= rows * n * 4)).toHaveLength(2);
      expect(sizes.filter((bytes) => bytes < rows * n * 4).every((bytes) => bytes <= rows * 16 + 64)).toBe(true);
      const js = withKernels("js", () => ({
        s: Array.from(hostArray(run.softmax(view(x), 1, false, "float32"))),
        dx: Array.from(hostArray(run.softmaxBackward(whole(s), view(g), 1, false, "float32"))),
      }));
      expectAgree(Array.from(hostArray(s)), js.s, 1e-6, 1e-5, "softmax");
      expectAgree(Array.from(hostArray(dx)), js.dx, 1e-5, 1e-5, "softmaxBackward");
    } finally {
      allocate.mockRestore();
    }
  });
});

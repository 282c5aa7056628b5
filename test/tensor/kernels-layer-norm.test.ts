import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { View } from "../../packages/tensor/src/backends/backend";
import { cpu } from "../../packages/tensor/src/backends/cpu";
import { type CpuBuffer, hostArray } from "../../packages/tensor/src/backends/cpu/buffer";
import { layerNormBackwardSimd, layerNormSimd, simdLayerNormAvailable } from "../../packages/tensor/src/backends/cpu/wasm/layer-norm";
import type { Primitives } from "../../packages/tensor/src/backends/primitives";
import { laidOutRows, withKernels, withOutputs } from "../support/kernels";

// The layerNorm and layerNormBackward primitives: their WebAssembly SIMD kernels against the JS
// reference kernels, called through the registry's dispatch with "js" and then "wasm" as the kernel
// preference, on random [R, N] views: row lengths that leave 0–3 values after the last vector of
// four, rows inside wider rows (N less than the storage's row), transposed rows (copied), offsets,
// float32 storage in the heap (read in place) or typed arrays (copied a block at a time), outputs
// in the heap or, when it has no room, copied out; with and without weight and bias, rows far from
// 0 and NaN. The ops' own tests (PyTorch fixtures, gradchecks) run on both kernel sets as well.

// the drivers as they are, recording their results: whether the SIMD kernel ran rather than declined
vi.mock("../../packages/tensor/src/backends/cpu/wasm/layer-norm", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/layer-norm")>();
  return {
    ...original,
    layerNormSimd: vi.fn(original.layerNormSimd),
    layerNormBackwardSimd: vi.fn(original.layerNormBackwardSimd),
  };
});

const run = cpu.run as unknown as Primitives<CpuBuffer>;

/** How an [R, N] operand sits in its storage. */
type Layout = "rows" | "wider rows" | "transposed";

interface Operand {
  values: number[];
  layout: Layout;
  offset: number;
  inHeap: boolean;
}

interface Case {
  rows: number;
  n: number;
  x: Operand;
  g: Operand;
  weight: number[] | null;
  bias: number[] | null;
  outputsInHeap: boolean;
}

/** Entries of a row: mostly moderate, some rows shifted far from 0 (where the mean must be exact), now and then NaN. */
const entryArb = fc.oneof(
  { weight: 20, arbitrary: fc.double({ min: -30, max: 30, noNaN: true }) },
  { weight: 3, arbitrary: fc.double({ min: 999, max: 1001, noNaN: true }) },
  { weight: 1, arbitrary: fc.constant(Number.NaN) },
);

function operandArb(rows: number, n: number, entries: fc.Arbitrary<number>): fc.Arbitrary<Operand> {
  return fc.record({
    values: fc.array(entries, { minLength: rows * n, maxLength: rows * n }),
    layout: fc.constantFrom<Layout>("rows", "wider rows", "transposed"),
    offset: fc.integer({ min: 0, max: 3 }),
    inHeap: fc.boolean(),
  });
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({ rows: fc.integer({ min: 1, max: 6 }), n: fc.integer({ min: 1, max: 70 }) })
  .chain(({ rows, n }) => {
    const parameter = fc.option(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n }), { nil: null });
    return fc.record({
      rows: fc.constant(rows),
      n: fc.constant(n),
      x: operandArb(rows, n, entryArb),
      g: operandArb(rows, n, fc.double({ min: -5, max: 5, noNaN: true })),
      weight: parameter,
      bias: parameter,
      outputsInHeap: fc.boolean(),
    });
  });

const vector = (values: number[] | null): View<CpuBuffer> | null =>
  values === null ? null : { buffer: Float32Array.from(values), shape: [values.length], strides: [1], offset: 0 };

const read = (buffer: CpuBuffer): number[] => Array.from(hostArray(buffer));

// float32 results below the smallest normal number are subnormal, spaced 2^-149 apart: there
// relative error bounds do not hold, and the kernels may differ by up to that scale
const SUBNORMAL_SLACK = 2 ** -126;

/** NaN where the reference is NaN, else within tolerance[i] (or the subnormal range's spacing) of it. */
function expectWithin(actual: number[], expected: number[], tolerance: (i: number) => number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (Number.isNaN(e)) expect(a, `${what} [${i}]`).toBeNaN();
    else expect(Math.abs(a - e), `${what} [${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(tolerance(i) + SUBNORMAL_SLACK);
  }
}

const maxAbs = (values: readonly number[]) => values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe("layerNorm and layerNormBackward: WebAssembly SIMD against the JS reference", () => {
  it("are available in Node (so the tests here test them, not a fallback)", () => {
    expect(simdLayerNormAvailable()).toBe(true);
  });

  it("agree on the output, the statistics and every gradient", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { rows, n } = c;
        const x = laidOutRows(c.x.values, rows, n, c.x);
        const g = laidOutRows(c.g.values, rows, n, c.g);
        const [weight, bias] = [vector(c.weight), vector(c.bias)];
        const forward = () => {
          const { out, mean, rstd } = run.layerNorm(x, weight, bias, 1e-5, "float32");
          return { out: read(out), mean: read(mean), rstd: read(rstd) };
        };
        const js = withKernels("js", forward);
        const wasm = withOutputs(c.outputsInHeap, () => withKernels("wasm", forward));
        expect(vi.mocked(layerNormSimd).mock.results.at(-1)?.value, "the SIMD kernel ran").not.toBeNull();

        // Bounds from float32 arithmetic: x − mean is rounded at the scale of |x| and |mean|, so x̂
        // is off by a few ulps of c = rstd·(max |x − mean| + |mean|) in each row; the rest follows.
        const scale = js.mean.map(
          (mean, r) => js.rstd[r]! * (maxAbs(c.x.values.slice(r * n, (r + 1) * n).map((v) => v - mean)) + Math.abs(mean)),
        );
        const [wMax, bMax] = [Math.max(1, maxAbs(c.weight ?? [])), maxAbs(c.bias ?? [])];
        const rowOf = (i: number) => Math.floor(i / n);
        expectWithin(wasm.mean, js.mean, (r) => 1e-6 * maxAbs(c.x.values.slice(r * n, (r + 1) * n)), "mean");
        expectWithin(wasm.rstd, js.rstd, (r) => 1e-5 * js.rstd[r]! * (1 + scale[r]!), "rstd");
        expectWithin(wasm.out, js.out, (i) => 4e-6 * (scale[rowOf(i)]! * wMax + bMax + 1), "out");

        // the backward of both from the same statistics (the reference's)
        const backward = () => {
          const { dx, dweight, dbias } = run.layerNormBackward(x, g, vector(js.mean)!, vector(js.rstd)!, weight, "float32");
          return { dx: read(dx), dweight: read(dweight), dbias: read(dbias) };
        };
        const jsGrads = withKernels("js", backward);
        const wasmGrads = withOutputs(c.outputsInHeap, () => withKernels("wasm", backward));
        expect(vi.mocked(layerNormBackwardSimd).mock.results.at(-1)?.value, "the SIMD kernel ran").not.toBeNull();
        const gRow = (r: number) => maxAbs(c.g.values.slice(r * n, (r + 1) * n)) * wMax;
        expectWithin(wasmGrads.dx, jsGrads.dx, (i) => 1e-5 * js.rstd[rowOf(i)]! * gRow(rowOf(i)) * (1 + scale[rowOf(i)]!) ** 2, "dx");
        // Σ over the rows of |g| in column j, each weighted by its row's error in x̂ (dweight)
        const overRows = (j: number, weightOf: (r: number) => number) =>
          Array.from({ length: rows }, (_, r) => Math.abs(c.g.values[r * n + j]!) * weightOf(r)).reduce((a, b) => a + b, 0);
        expectWithin(wasmGrads.dweight, jsGrads.dweight, (j) => 1e-5 * overRows(j, (r) => 1 + scale[r]!), "dweight");
        expectWithin(wasmGrads.dbias, jsGrads.dbias, (j) => 1e-6 * overRows(j, () => 1), "dbias");
      }),
      { numRuns: 200 },
    );
  });

  it("a row of one value, or of equal values, is 0 before the bias (variance 0: rstd = 1 / √eps)", () => {
    const x: View<CpuBuffer> = { buffer: Float32Array.of(3, 3, 3, 3, 3, -7), shape: [2, 3], strides: [3, 1], offset: 0 };
    const bias = vector([1, 2, 3]);
    for (const kernels of ["js", "wasm"] as const) {
      const { out, rstd } = withKernels(kernels, () => run.layerNorm(x, null, bias, 1e-4, "float32"));
      expect(read(out).slice(0, 3), kernels).toEqual([1, 2, 3]);
      expect(read(rstd)[0], kernels).toBeCloseTo(100, 3);
    }
  });
});

describe("the size from which the SIMD layer-norm kernels run under the preference auto", () => {
  it("1024 elements, forward and backward", () => {
    const calls = () => vi.mocked(layerNormSimd).mock.calls.length + vi.mocked(layerNormBackwardSimd).mock.calls.length;
    withKernels("auto", () => {
      for (const [rows, runs] of [
        [15, 0],
        [16, 2],
      ] as const) {
        const x: View<CpuBuffer> = { buffer: new Float32Array(rows * 64), shape: [rows, 64], strides: [64, 1], offset: 0 };
        const stats: View<CpuBuffer> = { buffer: new Float32Array(rows), shape: [rows], strides: [1], offset: 0 };
        const before = calls();
        run.layerNorm(x, null, null, 1e-5, "float32");
        run.layerNormBackward(x, x, stats, stats, null, "float32");
        expect(calls() - before, `${rows} × 64`).toBe(runs);
      }
    });
  });
});

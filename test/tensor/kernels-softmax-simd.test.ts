import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { full } from "@nabla/tensor";
import { softmax } from "@nabla/ops";
import type { View } from "../../packages/tensor/src/backends/backend";
import { type CpuBuffer, hostArray } from "../../packages/tensor/src/backends/cpu/buffer";
import { simdSoftmaxAvailable, softmaxRowsSimd, softmaxVjpRowsSimd } from "../../packages/tensor/src/backends/cpu/wasm/softmax";
import { WASM_MEMORY_LIMIT_BYTES, wasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";
import { useKernels } from "../support/kernels";

// The WebAssembly SIMD softmax kernels against float64 references written out here (the JS kernels
// compute the same in float64 before rounding), on row lengths that leave 0–3 entries after the
// last vector of four, at an offset into the storage, and with -Infinity masks, NaN, +Infinity and
// large logits. The ops' own tests (fixtures from PyTorch) cover the wiring.

/** Relative error of the vector exp (2e-7) plus the float32 roundings around it. */
const RTOL = 1e-6;

interface Rows {
  values: Float32Array;
  offset: number;
  rows: number;
  n: number;
}

const entryArb = fc.oneof(
  { weight: 20, arbitrary: fc.double({ min: -30, max: 30, noNaN: true }) },
  { weight: 2, arbitrary: fc.constant(-Infinity) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, NaN, 85, -95) },
);

const rowsArb: fc.Arbitrary<Rows> = fc
  .record({ rows: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: 70 }), offset: fc.integer({ min: 0, max: 3 }) })
  .chain(({ rows, n, offset }) =>
    fc
      .array(entryArb, { minLength: offset + rows * n, maxLength: offset + rows * n })
      .map((entries) => ({ values: Float32Array.from(entries), offset, rows, n })),
  );

/** `rows` contiguous rows of `n` values of a typed array, from `offset`: what the drivers take. */
const rowsView = (values: Float32Array, offset: number, rows: number, n: number): View<CpuBuffer> => ({
  buffer: values,
  shape: [rows, n],
  strides: [n, 1],
  offset,
});

const read = (buffer: CpuBuffer): Float32Array => hostArray(buffer) as Float32Array;

function rowOf({ values, offset, n }: Rows, r: number): number[] {
  return Array.from(values.subarray(offset + r * n, offset + (r + 1) * n));
}

/** max, Σ exp(x − max) and the softmax / log-softmax of one row in float64, as the JS kernel. */
function referenceRow(row: number[]): { max: number; sum: number; softmax: number[]; logSoftmax: number[] } {
  let max = -Infinity;
  for (const v of row) if (v > max) max = v;
  const exps = row.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return { max, sum, softmax: exps.map((e) => e / sum), logSoftmax: row.map((v) => v - max - Math.log(sum)) };
}

function expectNear(actual: number, expected: number, scale: number, where: string): void {
  if (Number.isNaN(expected)) {
    expect(actual, where).toBeNaN();
  } else if (!Number.isFinite(expected)) {
    expect(actual, where).toBe(expected);
  } else {
    expect(Math.abs(actual - expected), `${where}: ${actual} vs ${expected}`).toBeLessThanOrEqual(RTOL * scale + 1e-38);
  }
}

describe("WebAssembly SIMD softmax kernels", () => {
  // the ops called here try the SIMD kernels whatever the size (the thresholds are checked in
  // kernels-fused.test.ts)
  useKernels("wasm");

  it("are available in Node (so the other tests here test them, not a fallback)", () => {
    expect(simdSoftmaxAvailable()).toBe(true);
  });

  it("softmax and log-softmax rows equal the float64 reference, with each row's max and Σ exp", () => {
    fc.assert(
      fc.property(rowsArb, fc.boolean(), (input, log) => {
        const result = softmaxRowsSimd(rowsView(input.values, input.offset, input.rows, input.n), input.rows, input.n, log, true)!;
        const out = read(result.out);
        expect(out.length).toBe(input.rows * input.n);
        for (let r = 0; r < input.rows; r++) {
          const ref = referenceRow(rowOf(input, r));
          // the kernel ignores NaN in the max as the JS kernel does (x − max is then NaN in the
          // sum); + 0 makes -0 and 0 alike, which order decides and nothing tells apart
          expect(result.maxima[r]! + 0).toBe(ref.max + 0);
          expectNear(result.sums[r]!, ref.sum, Math.abs(ref.sum), `sum of row ${r}`);
          for (let j = 0; j < input.n; j++) {
            const expected = log ? ref.logSoftmax[j]! : ref.softmax[j]!;
            // a masked (-Infinity) entry of a row that is not NaN is exactly 0 / -Infinity
            if (rowOf(input, r)[j] === -Infinity && !Number.isNaN(ref.sum)) expect(out[r * input.n + j]).toBe(log ? -Infinity : 0);
            // log-softmax values are differences: their error scales with log Σ, not with the value.
            // The kernel rounds x − max to float32 (as PyTorch's float32 kernels do), which moves
            // exp(x − max) by up to |x − max|·2⁻²⁴ relative.
            const shifted = Math.abs(rowOf(input, r)[j]! - ref.max);
            const scale = log
              ? Math.max(1, Math.abs(expected), Math.abs(Math.log(ref.sum)))
              : Math.abs(expected) * (1 + (shifted * 2 ** -24) / RTOL);
            // a result below float32's smallest normal (1.2e-38) is rounded to a subnormal or 0
            if (!log && Math.abs(expected) < 1.2e-38) expect(Math.abs(out[r * input.n + j]!)).toBeLessThan(1.2e-38);
            else expectNear(out[r * input.n + j]!, Math.fround(expected), scale, `row ${r} entry ${j}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("masks give exactly 0 (softmax) and -Infinity (log-softmax); an all -Infinity row is NaN", () => {
    const values = Float32Array.from([-Infinity, 1, -Infinity, 2, 0, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity]);
    const soft = read(softmaxRowsSimd(rowsView(values, 0, 2, 5), 2, 5, false)!.out);
    expect(Array.from(soft.subarray(0, 5)).map((v, i) => (i % 2 === 0 && i < 4 ? v : Math.sign(v)))).toEqual([0, 1, 0, 1, 1]);
    expect(soft[0]).toBe(0);
    expect(Array.from(soft.subarray(5)).every(Number.isNaN)).toBe(true);
    const log = read(softmaxRowsSimd(rowsView(values, 0, 2, 5), 2, 5, true)!.out);
    expect(log[0]).toBe(-Infinity);
    expect(log[2]).toBe(-Infinity);
    expect(Array.from(log.subarray(5)).every(Number.isNaN)).toBe(true);
  });

  it("the VJPs of softmax and log-softmax equal their float64 formulas", () => {
    const finiteRowsArb = fc
      .record({
        rows: fc.integer({ min: 1, max: 4 }),
        n: fc.integer({ min: 1, max: 70 }),
        yOffset: fc.integer({ min: 0, max: 3 }),
        gOffset: fc.integer({ min: 0, max: 3 }),
      })
      .chain((dims) =>
        fc
          .tuple(
            fc.array(fc.double({ min: -20, max: 0, noNaN: true }), { minLength: dims.rows * dims.n, maxLength: dims.rows * dims.n }),
            fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: dims.rows * dims.n, maxLength: dims.rows * dims.n }),
          )
          .map(([y, g]) => ({ ...dims, y, g })),
      );
    fc.assert(
      fc.property(finiteRowsArb, fc.boolean(), ({ rows, n, yOffset, gOffset, y, g }, log) => {
        // y: log-probabilities for log-softmax, probabilities (their exp) for softmax
        const yValues = Float32Array.from([...Array(yOffset).fill(7), ...(log ? y : y.map(Math.exp))]);
        const gValues = Float32Array.from([...Array(gOffset).fill(7), ...g]);
        const out = read(softmaxVjpRowsSimd(rowsView(yValues, yOffset, rows, n), rowsView(gValues, gOffset, rows, n), rows, n, log)!);
        expect(out.length).toBe(rows * n);
        for (let r = 0; r < rows; r++) {
          const yr = Array.from(yValues.subarray(yOffset + r * n, yOffset + (r + 1) * n));
          const gr = Array.from(gValues.subarray(gOffset + r * n, gOffset + (r + 1) * n));
          const total = log ? gr.reduce((a, b) => a + b, 0) : gr.reduce((a, gv, j) => a + gv * yr[j]!, 0);
          const magnitude = log ? gr.reduce((a, b) => a + Math.abs(b), 0) : gr.reduce((a, gv, j) => a + Math.abs(gv * yr[j]!), 0);
          for (let j = 0; j < n; j++) {
            const expected = log ? gr[j]! - Math.exp(yr[j]!) * total : yr[j]! * (gr[j]! - total);
            const scale = log ? Math.abs(gr[j]!) + Math.exp(yr[j]!) * magnitude : Math.abs(yr[j]!) * (Math.abs(gr[j]!) + magnitude);
            expectNear(out[r * n + j]!, expected, scale, `row ${r} entry ${j}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it("leaves rows too long for the WebAssembly memory limit to the JS kernels (they threw a RangeError past 2 GiB)", () => {
    // a row's input and output (and, for the VJP, the gradient) are more than the limit
    const n = WASM_MEMORY_LIMIT_BYTES / 8 + 1000;
    const row = new Float32Array(n);
    expect(softmaxRowsSimd(rowsView(row, 0, 1, n), 1, n, false)).toBeNull();
    expect(softmaxVjpRowsSimd(rowsView(row, 0, 1, n), rowsView(row, 0, 1, n), 1, n, true)).toBeNull();
    const y = softmax(full([1, n], 2, { requiresGrad: true }), -1);
    y.backward(full([1, n], 1));
    expect(y.max().item()).toBeCloseTo(1 / n, 12);
    expect(wasmHeap()!.stats().byteLength).toBeLessThanOrEqual(WASM_MEMORY_LIMIT_BYTES);
  });
});

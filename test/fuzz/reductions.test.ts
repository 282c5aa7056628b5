import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Generator, rand, type DType, type Tensor } from "@nabla/tensor";
import { fuzzParameters } from "../support/fuzz-checks";
import {
  buildTensor,
  castValue,
  expectOutcome,
  float32ReductionAtol,
  float64ReductionAtol,
  fuzzShapeArb,
  modelOf,
  tensorSpecArb,
  wrapInt32,
  type Expected,
  type TensorSpec,
} from "../support/fuzz-tensors";
import * as naive from "../support/naive";

// Reductions over random dims (one, several, none listed, negative, repeated) of strided views of
// every dtype, against float64 sums of the naive model: float32 results within 1e-5 relative plus
// an absolute term scaled by the sum of the magnitudes reduced (blocked float32 accumulation).

const RUNS = 60;

type Dims = number | number[] | undefined;

/** All dims, one (maybe negative), or a list (now and then with a repeat, which must be refused). */
const dimsArb = (rank: number): fc.Arbitrary<Dims> => {
  const range = Math.max(rank, 1);
  return fc.oneof(
    fc.constant(undefined),
    fc.integer({ min: -range, max: range - 1 }),
    // (an empty list is left out: PyTorch reduces over all dims there, numpy over none)
    fc
      .uniqueArray(fc.integer({ min: 0, max: range - 1 }), { minLength: 1, maxLength: range })
      .map((ds) => ds.map((d, i) => (i % 2 ? d - range : d))),
    fc.integer({ min: 0, max: range - 1 }).map((d) => [d, d - range]),
  );
};

const caseArb = (dtypes?: readonly DType[]) =>
  fuzzShapeArb().chain((shape) => fc.record({ spec: tensorSpecArb(shape, { dtypes }), dim: dimsArb(shape.length), keepdim: fc.boolean() }));

function reducedDims(shape: readonly number[], dim: Dims): number[] | "repeated" {
  if (dim === undefined) return shape.map((_, d) => d);
  const dims = (typeof dim === "number" ? [dim] : dim).map((d) => naive.normalizeDim(d, shape.length));
  return new Set(dims).size < dims.length ? "repeated" : dims;
}

/** The reduced count and the per-output sum of magnitudes (for tolerances). */
function magnitudes(model: naive.NaiveArray, dim: Dims, keepdim: boolean) {
  const dims = reducedDims(model.shape, dim) as number[];
  const count = dims.reduce((n, d) => n * (model.shape[d] ?? 1), 1);
  return { count, magnitude: naive.reduce(naive.map(model, Math.abs), "sum", dim, keepdim) };
}

function sumAtol(dtype: DType, count: number, magnitude: naive.NaiveArray): naive.NaiveArray {
  return naive.map(magnitude, (m) => (dtype === "float32" ? float32ReductionAtol(count, m) : float64ReductionAtol(count, m)));
}

const check = (label: string, x: Tensor, run: () => Tensor, expected: Expected | null) => expectOutcome(label, [x], run, expected);

function sumExpected(spec: TensorSpec, dim: Dims, keepdim: boolean, mean: boolean): Expected | null {
  const model = modelOf(spec);
  if (reducedDims(model.shape, dim) === "repeated") return null;
  if (mean && (spec.dtype === "int32" || spec.dtype === "bool")) return null; // mean needs a floating input (PyTorch)
  const floating = spec.dtype === "float32" || spec.dtype === "float64";
  const dtype: DType = floating ? spec.dtype : "int32";
  const { count, magnitude } = magnitudes(model, dim, keepdim);
  const sums = naive.reduce(model, "sum", dim, keepdim);
  const values = naive.map(sums, (s) => (floating ? castValue(mean ? s / count : s, dtype) : wrapInt32(s)));
  const atol = naive.map(sumAtol(dtype, count, magnitude), (a) => (mean ? a / count : a));
  return { dtype, values, atol, rtol: dtype === "float32" ? 1e-5 : 1e-12 };
}

describe("sum, mean, max, min over random dims", () => {
  it.each([
    ["sum", "int32 and bool sum to int32, wrapping as PyTorch's int32"],
    ["mean", "floating inputs only; an empty reduction is NaN"],
  ] as const)("%s (%s)", (op, _about) => {
    fc.assert(
      fc.property(caseArb(), ({ spec, dim, keepdim }) => {
        const x = buildTensor(spec);
        check(`${op}(${JSON.stringify(dim)}, ${keepdim})`, x, () => x[op](dim, keepdim), sumExpected(spec, dim, keepdim, op === "mean"));
      }),
      fuzzParameters(RUNS),
    );
  });

  it.each(["max", "min"] as const)("%s (NaN propagates; an empty reduction is refused)", (kind) => {
    fc.assert(
      fc.property(caseArb(), ({ spec, dim, keepdim }) => {
        const x = buildTensor(spec);
        const model = modelOf(spec);
        const dims = reducedDims(model.shape, dim);
        const empty = dims !== "repeated" && dims.some((d) => model.shape[d] === 0);
        const expected = dims === "repeated" || empty ? null : { dtype: spec.dtype, values: naive.reduce(model, kind, dim, keepdim) };
        check(`${kind}(${JSON.stringify(dim)}, ${keepdim})`, x, () => x[kind](dim, keepdim), expected);
      }),
      fuzzParameters(RUNS),
    );
  });

  it.each(["any", "all"] as const)("%s (bool; NaN counts as non-zero; an empty reduction is false / true)", (kind) => {
    fc.assert(
      fc.property(caseArb(), ({ spec, dim, keepdim }) => {
        const x = buildTensor(spec);
        const model = modelOf(spec);
        const test =
          kind === "any" ? (values: number[]) => values.some((v) => v !== 0) : (values: number[]) => values.every((v) => v !== 0);
        const expected =
          reducedDims(model.shape, dim) === "repeated"
            ? null
            : { dtype: "bool" as const, values: naive.reduceWith(model, (values) => Number(test(values)), dim, keepdim) };
        check(`${kind}(${JSON.stringify(dim)}, ${keepdim})`, x, () => x[kind](dim, keepdim), expected);
      }),
      fuzzParameters(RUNS),
    );
  });

  it("prod (int32 and bool give int32, wrapping as int32 arithmetic)", () => {
    fc.assert(
      fc.property(caseArb(), ({ spec, dim, keepdim }) => {
        const x = buildTensor(spec);
        const model = modelOf(spec);
        const floating = spec.dtype === "float32" || spec.dtype === "float64";
        const dtype: DType = floating ? spec.dtype : "int32";
        const product = (values: number[]) => values.reduce((p, v) => (floating ? p * v : Math.imul(p, v)), 1);
        const expected =
          reducedDims(model.shape, dim) === "repeated"
            ? null
            : {
                dtype,
                values: naive.map(naive.reduceWith(model, product, dim, keepdim), (v) => castValue(v, dtype)),
                // float32 rounds the float64 product once; products of up to 64 factors round
                // the same float64 running value in either order within 64 ulps
                rtol: dtype === "float32" ? 1e-6 : 1e-13,
              };
        check(`prod(${JSON.stringify(dim)}, ${keepdim})`, x, () => x.prod(dim, keepdim), expected);
      }),
      fuzzParameters(RUNS),
    );
  });

  it.each(["argmax", "argmin"] as const)("%s (first extreme, NaN counts as one; bool and empty refused)", (op) => {
    const argCaseArb = fuzzShapeArb().chain((shape) =>
      fc.record({
        spec: tensorSpecArb(shape),
        dim: fc.option(fc.integer({ min: -Math.max(shape.length, 1), max: Math.max(shape.length, 1) - 1 }), { nil: undefined }),
        keepdim: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(argCaseArb, ({ spec, dim, keepdim }) => {
        const x = buildTensor(spec);
        const model = modelOf(spec);
        const empty = dim === undefined ? naive.numelOf(model.shape) === 0 : model.shape.length > 0 && model.shape.at(dim) === 0;
        const expected =
          spec.dtype === "bool" || empty
            ? null
            : { dtype: "int32" as const, values: naive.argReduce(model, op === "argmax" ? "max" : "min", dim, keepdim) };
        check(`${op}(${dim}, ${keepdim})`, x, () => x[op](dim, keepdim), expected);
      }),
      fuzzParameters(RUNS),
    );
  });
});

describe("var and std over random dims", () => {
  it.each(["var", "std"] as const)("%s with corrections 0, 1 and 2 (floating inputs only)", (op) => {
    const varCaseArb = fuzzShapeArb().chain((shape) =>
      fc.record({
        spec: tensorSpecArb(shape, { special: false, wide: false }),
        dim: dimsArb(shape.length),
        keepdim: fc.boolean(),
        correction: fc.constantFrom(0, 1, 2),
      }),
    );
    fc.assert(
      fc.property(varCaseArb, ({ spec, dim, keepdim, correction }) => {
        const x = buildTensor(spec);
        const model = modelOf(spec);
        const floating = spec.dtype === "float32" || spec.dtype === "float64";
        let expected: Expected | null = null;
        if (floating && reducedDims(model.shape, dim) !== "repeated") {
          const { count } = magnitudes(model, dim, keepdim);
          const mean = naive.map(naive.reduce(model, "sum", dim, true), (s) => s / count);
          const squares = naive.elementwise((v, m) => (v - m) ** 2, model, mean);
          const divisor = Math.max(0, count - correction);
          const variance = naive.map(naive.reduce(squares, "sum", dim, keepdim), (s) => s / divisor);
          // rounding the deviations costs eps·(|x| + |mean|) each: bound the error by their squares
          const spread = naive.map(
            naive.reduce(
              naive.elementwise((v, m) => (Math.abs(v) + Math.abs(m)) ** 2, model, mean),
              "sum",
              dim,
              keepdim,
            ),
            (s) => s / Math.max(divisor, 1),
          );
          const eps = spec.dtype === "float32" ? 2 ** -23 : 2 ** -52;
          // and squares of deviations below √(smallest subnormal) underflow to 0
          const underflow = (spec.dtype === "float32" ? 2 ** -149 : 2 ** -1074) * (count + 1);
          // with nothing to divide by, a sum of squares that may underflow to 0 makes 0/0 = NaN instead of ∞
          const tiny = (spec.dtype === "float32" ? 2 ** -126 : 2 ** -1022) * (count + 1);
          const varAtol = naive.map(spread, (s) => (divisor === 0 && s < tiny ? Infinity : 8 * eps * (count + 4) * s + underflow));
          expected =
            op === "var"
              ? { dtype: spec.dtype, values: naive.map(variance, (v) => castValue(v, spec.dtype)), atol: varAtol, rtol: 1e-5 }
              : {
                  dtype: spec.dtype,
                  values: naive.map(variance, (v) => castValue(Math.sqrt(v), spec.dtype)),
                  atol: naive.map(varAtol, Math.sqrt),
                  rtol: 1e-5,
                };
        }
        check(`${op}(${JSON.stringify(dim)}, ${keepdim}, ${correction})`, x, () => x[op](dim, keepdim, correction), expected);
      }),
      fuzzParameters(RUNS),
    );
  });
});

describe("long float32 reductions", () => {
  it("sum and mean of 2^20 to 2^21 values stay within blocked-accumulation error of the float64 sum", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2 ** 20, max: 2 ** 21 }), fc.constantFrom(0, 0.5), fc.nat(), (n, shift, seed) => {
        const x = rand([n], { generator: new Generator(seed) }).sub(shift);
        const values = x.data();
        let exact = 0;
        let magnitude = 0;
        for (const v of values) {
          exact += v;
          magnitude += Math.abs(v);
        }
        const atol = float32ReductionAtol(n, magnitude);
        expect(Math.abs((x.sum().item() as number) - exact), `sum of ${n}`).toBeLessThanOrEqual(1e-5 * Math.abs(exact) + atol);
        expect(Math.abs((x.mean().item() as number) - exact / n), `mean of ${n}`).toBeLessThanOrEqual(
          1e-5 * Math.abs(exact / n) + atol / n,
        );
      }),
      fuzzParameters(3),
    );
  });
});

// Tensors of every dtype for the fuzz suite (test/fuzz/), and the reference semantics their
// results are checked against: PyTorch's type promotion, conversions and int32 arithmetic,
// computed in float64 on the naive model (support/naive.ts) and compared with tolerances that fit
// the result's dtype.
//
// A tensor is drawn as a `TensorSpec` (dtype, the values of a bigger contiguous base, and the view
// steps that cut a strided view of the wanted shape out of it) and built inside the property, so a
// failing case prints a spec that rebuilds the same tensor.

import fc from "fast-check";
import { expect } from "vitest";
import { NablaError, tensor, type DType, type Tensor } from "@nabla/tensor";
import { attempt, changesSince, describeError, snapshotTensors, tensorsIn, wellFormedProblems } from "./fuzz-checks";
import {
  applySteps,
  applyStepsNaive,
  broadcastableShapesArb,
  numelOf,
  shapeArb,
  stridedViewArb,
  type ShapeOptions,
  type StridedView,
} from "./arbitraries";
import * as naive from "./naive";
import type { NaiveArray } from "./naive";

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];
export const FLOAT_DTYPES: readonly DType[] = ["float32", "float64"];

/** Rank 0 to 6, size-0 dims now and then, at most 64 elements. */
export const FUZZ_SHAPES: ShapeOptions = { minRank: 0, maxRank: 6, minSize: 0, maxSize: 3, maxNumel: 64, zeroOneIn: 10 };

export const fuzzShapeArb = (options: ShapeOptions = {}) => shapeArb({ ...FUZZ_SHAPES, ...options });

// ---- values ----

const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, -0];
// beyond float32's range, subnormal in float32, integers float32 cannot hold
const WIDE_FLOATS = [1e30, -1e30, 3e38, -3e38, 1e-40, 65504, 16777217, -16777217, 1e300, 2 ** 31, -(2 ** 31) - 1];
const EXTREME_INT32 = [2 ** 31 - 1, -(2 ** 31), 2 ** 30, -(2 ** 30) - 1, 46341, -46341, 65536, 16777217];

export interface ValueOptions {
  /** Include NaN, ±Infinity and −0 (floats). */
  special?: boolean;
  /** Include magnitudes outside float32's range and exact-integer limits, and int32 extremes. */
  wide?: boolean;
}

/** `count` values for a tensor of `dtype`, as JS numbers before storing (float32 rounds them). */
export function dtypeValuesArb(dtype: DType, count: number, { special = true, wide = true }: ValueOptions = {}): fc.Arbitrary<number[]> {
  let value: fc.Arbitrary<number>;
  if (dtype === "bool") value = fc.integer({ min: 0, max: 1 });
  else if (dtype === "int32") {
    value = fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: -4, max: 4 }) },
      { weight: wide ? 1 : 0, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) },
      { weight: wide ? 1 : 0, arbitrary: fc.constantFrom(...EXTREME_INT32) },
    );
  } else {
    value = fc.oneof(
      { weight: 12, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
      { weight: 4, arbitrary: fc.integer({ min: -3, max: 3 }) },
      { weight: special ? 1 : 0, arbitrary: fc.constantFrom(...SPECIAL_FLOATS) },
      { weight: wide ? 1 : 0, arbitrary: fc.constantFrom(...WIDE_FLOATS) },
    );
  }
  return fc.array(value, { minLength: count, maxLength: count });
}

/** What a tensor of `dtype` stores for the number `v` given at creation. */
export function storedValue(dtype: DType, v: number): number {
  if (dtype === "float32") return Math.fround(v);
  if (dtype === "int32") return v | 0;
  if (dtype === "bool") return v !== 0 ? 1 : 0;
  return v;
}

function typedArray(dtype: DType, values: readonly number[]) {
  const stored = values.map((v) => storedValue(dtype, v));
  if (dtype === "float32") return Float32Array.from(stored);
  if (dtype === "float64") return Float64Array.from(stored);
  if (dtype === "int32") return Int32Array.from(stored);
  return Uint8Array.from(stored);
}

// ---- tensor specs ----

/** How to build one tensor: a contiguous base of `dtype` holding `values`, then view steps. */
export interface TensorSpec {
  readonly dtype: DType;
  readonly view: StridedView;
  readonly values: readonly number[];
  /** The base requires grad (floating dtypes only), so a view of it has a gradFn. */
  readonly requiresGrad: boolean;
}

export interface TensorSpecOptions extends ValueOptions {
  dtypes?: readonly DType[];
  /** Draw strided views of a bigger base (default), or contiguous tensors. */
  views?: boolean;
  /** Allow stride-0 (expanded) dims in views. */
  expand?: boolean;
  /** Sometimes make floating tensors require grad. */
  grad?: boolean;
}

export function tensorSpecArb(shape: readonly number[], options: TensorSpecOptions = {}): fc.Arbitrary<TensorSpec> {
  const { dtypes = DTYPES, views = true, expand = true, grad = false } = options;
  const viewArb: fc.Arbitrary<StridedView> = views
    ? stridedViewArb(shape, { expand, maxBaseNumel: 128 })
    : fc.constant({ baseShape: [...shape], steps: [] });
  return fc.record({ dtype: fc.constantFrom(...dtypes), view: viewArb }).chain(({ dtype, view }) =>
    fc.record({
      dtype: fc.constant(dtype),
      view: fc.constant(view),
      values: dtypeValuesArb(dtype, numelOf(view.baseShape), options),
      requiresGrad: grad && (dtype === "float32" || dtype === "float64") ? fc.boolean() : fc.constant(false),
    }),
  );
}

/** The spec with its finite values mapped into [0, 1) (|v| mod 1), for probability inputs; NaN and infinities stay. */
export function toProbabilities(spec: TensorSpec): TensorSpec {
  return { ...spec, values: spec.values.map((v) => (Number.isFinite(v) ? Math.abs(v) % 1 : v)) };
}

/** A tensor spec of a random shape (see FUZZ_SHAPES). */
export function anyTensorSpecArb(options: TensorSpecOptions & { shape?: ShapeOptions } = {}): fc.Arbitrary<TensorSpec> {
  return fuzzShapeArb(options.shape).chain((shape) => tensorSpecArb(shape, options));
}

export function buildTensor(spec: TensorSpec): Tensor {
  const base = tensor(typedArray(spec.dtype, spec.values), { shape: spec.view.baseShape, dtype: spec.dtype });
  if (spec.requiresGrad) base.requiresGrad = true;
  return applySteps(base, spec.view.steps);
}

/** The naive model of the spec's tensor: its elements as stored. */
export function modelOf(spec: TensorSpec): NaiveArray {
  const stored = spec.values.map((v) => storedValue(spec.dtype, v));
  return applyStepsNaive(naive.fromFlat(stored, spec.view.baseShape), spec.view.steps, stored);
}

export function shapeOf(spec: TensorSpec): number[] {
  return [...modelOf(spec).shape];
}

/**
 * Operands of matmul: [...batchA, n, k] or [k] by [...batchB, k, m] or [k], batch dims that
 * broadcast, now and then sizes whose products reach the WebAssembly kernel (≥ 512 multiply-adds),
 * of one dtype mostly and of two now and then.
 */
export function matmulSpecsArb(options: TensorSpecOptions = {}): fc.Arbitrary<[TensorSpec, TensorSpec]> {
  return fc
    .record({
      n: fc.integer({ min: 0, max: 3 }),
      k: fc.integer({ min: 0, max: 4 }),
      m: fc.integer({ min: 0, max: 3 }),
      big: fc.integer({ min: 0, max: 4 }).map((r) => r === 0),
      batches: broadcastableShapesArb(2, { minRank: 0, maxRank: 2, minSize: 0, maxSize: 3, zeroOneIn: 8 }),
      vectorA: fc.integer({ min: 0, max: 3 }).map((r) => r === 0),
      vectorB: fc.integer({ min: 0, max: 3 }).map((r) => r === 0),
      dtypeA: fc.constantFrom<DType>("float32", "float32", "float64", "int32", "bool"),
      dtypeB: fc.option(fc.constantFrom<DType>(...DTYPES), { freq: 6 }),
    })
    .chain(({ n, k, m, big, batches, vectorA, vectorB, dtypeA, dtypeB }) => {
      const [N, K, M] = big ? [n + 8, 8 * k + 8, m + 8] : [n, k, m];
      const batchA = big ? [] : batches[0]!;
      const batchB = big ? [] : batches[1]!;
      return fc.tuple(
        tensorSpecArb(vectorA ? [K] : [...batchA, N, K], { ...options, dtypes: [dtypeA] }),
        tensorSpecArb(vectorB ? [K] : [...batchB, K, M], { ...options, dtypes: [dtypeB ?? dtypeA] }),
      );
    });
}

// ---- reference semantics ----

/** bool < integer < floating: the categories PyTorch's promotion compares. */
export function category(dtype: DType): number {
  return dtype === "bool" ? 0 : dtype === "int32" ? 1 : 2;
}

function promotePair(a: DType, b: DType): DType {
  if (a === b) return a;
  if (category(a) !== category(b)) return category(a) > category(b) ? a : b;
  return "float64";
}

/** A JS number or boolean operand: PyTorch's wrapped scalar (int → int32 here, float → float32, the defaults). */
function scalarDType(value: number | boolean): DType {
  if (typeof value === "boolean") return "bool";
  return Number.isInteger(value) ? "int32" : "float32";
}

export type Operand = { dtype: DType; ndim: number } | number | boolean;

/**
 * torch.result_type: tensors with dims decide; 0-d tensors, then scalars, only by being of a higher
 * category, in which case a 0-d tensor brings its own dtype and a scalar the default one.
 */
export function referenceResultType(operands: readonly Operand[]): DType {
  const promoteAll = (dtypes: DType[]) => (dtypes.length === 0 ? undefined : dtypes.reduce(promotePair));
  const dims = promoteAll(
    operands.filter((o): o is { dtype: DType; ndim: number } => typeof o === "object" && o.ndim > 0).map((o) => o.dtype),
  );
  const zeroDims = promoteAll(
    operands.filter((o): o is { dtype: DType; ndim: number } => typeof o === "object" && o.ndim === 0).map((o) => o.dtype),
  );
  const scalars = promoteAll(operands.filter((o): o is number | boolean => typeof o !== "object").map(scalarDType));
  const over = (higher: DType | undefined, lower: DType | undefined) => {
    if (higher === undefined) return lower;
    if (lower === undefined) return higher;
    return category(lower) > category(higher) ? lower : higher;
  };
  return over(over(dims, zeroDims), scalars) ?? "float32";
}

/**
 * PyTorch's conversion of a value to `dtype`: float32 rounds, int32 truncates toward zero, bool is
 * "not zero" (NaN is true). A float that does not fit int32 converts to an unspecified value (C's
 * undefined behaviour), returned as NaN: an int32 reference element that is NaN accepts anything.
 */
export function castValue(v: number, dtype: DType): number {
  if (dtype === "float64") return v;
  if (dtype === "float32") return Math.fround(v);
  if (dtype === "bool") return v !== 0 ? 1 : 0;
  const truncated = Math.trunc(v);
  return Number.isFinite(truncated) && truncated >= -(2 ** 31) && truncated < 2 ** 31 ? truncated : NaN;
}

/** A JS number operand converted to `dtype`: as castValue, except that an integer wraps into int32 (PyTorch wraps integer scalars). */
export function castScalar(v: number, dtype: DType): number {
  return dtype === "int32" && Number.isInteger(v) ? wrapInt32(v) : castValue(v, dtype);
}

/**
 * The int32 a wider exact integer wraps to (two's complement), as PyTorch's int32 arithmetic; NaN
 * (an unspecified value, see castValue) for anything that is not an exact integer.
 */
export function wrapInt32(v: number): number {
  return Number.isSafeInteger(v) ? Number(BigInt.asIntN(32, BigInt(v))) : NaN;
}

/** x^n for int32 with n ≥ 0, by squaring, wrapping at every product as int32 arithmetic does. */
export function powInt32(x: number, n: number): number {
  let result = 1;
  let base = x | 0;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = Math.imul(result, base);
    base = Math.imul(base, base);
  }
  return result;
}

/**
 * What an op does for given input dtypes, as PyTorch: refuse, or compute each element from values
 * already converted to `compute`, giving a result of `dtype` (`optional`: refusing is fine too).
 */
export type Plan =
  | { refuse: true }
  | { refuse: false; optional?: boolean; dtype: DType; compute: DType; fn: (...values: number[]) => number };

export const REFUSE: Plan = { refuse: true };

/** The floating dtype of an op that always produces reals (div, exp): int32 and bool give float32. */
export const floatOf = (dtype: DType): DType => (category(dtype) === 2 ? dtype : "float32");

/** The plan of a binary elementwise op whose operands promote to `dtype`. */
export function binaryReference(name: string, dtype: DType, exponentNegative: boolean): Plan {
  const int = dtype === "int32";
  const bool = dtype === "bool";
  const same = (fn: (a: number, b: number) => number): Plan => ({ refuse: false, dtype, compute: dtype, fn });
  const compare = (fn: (a: number, b: number) => boolean): Plan => ({
    refuse: false,
    dtype: "bool",
    compute: dtype,
    fn: (a, b) => Number(fn(a, b)),
  });
  const nanOr = (fn: (a: number, b: number) => number) => (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : fn(a, b));
  switch (name) {
    case "add":
      return same(int ? (a, b) => wrapInt32(a + b) : bool ? (a, b) => Number(a || b) : (a, b) => a + b);
    case "sub":
      return bool ? REFUSE : same(int ? (a, b) => wrapInt32(a - b) : (a, b) => a - b);
    case "mul":
      return same(int ? Math.imul : bool ? (a, b) => Number(a && b) : (a, b) => a * b);
    case "div":
      return { refuse: false, dtype: floatOf(dtype), compute: floatOf(dtype), fn: (a, b) => a / b };
    // PyTorch has no bool pow, and refuses negative integer exponents
    case "pow":
      return bool ? REFUSE : int ? (exponentNegative ? REFUSE : same(powInt32)) : same(naive.pow);
    case "maximum":
      return same(nanOr(Math.max));
    case "minimum":
      return same(nanOr(Math.min));
    case "eq":
      return compare((a, b) => a === b);
    case "ne":
      return compare((a, b) => a !== b);
    case "lt":
      return compare((a, b) => a < b);
    case "le":
      return compare((a, b) => a <= b);
    case "gt":
      return compare((a, b) => a > b);
    case "ge":
      return compare((a, b) => a >= b);
  }
  throw new Error(`binaryReference: unknown op ${name}`);
}

// ---- comparing ----

export interface Expected {
  dtype: DType;
  values: NaiveArray;
  /** Per-element absolute tolerance (same shape as values), or one for all; Infinity accepts anything. */
  atol?: NaiveArray | number;
  /** Relative tolerance for floating results. */
  rtol?: number;
}

const FLOAT32_EPS = 2 ** -23;

/** Absolute tolerance for a float32 reduction of `count` terms whose magnitudes sum to `magnitude`: blocked float32 accumulation. */
export function float32ReductionAtol(count: number, magnitude: number): number {
  if (!(magnitude <= 3.4e38)) return Infinity; // float32 partial sums may overflow where float64 ones do not
  return FLOAT32_EPS * (64 + Math.log2(count + 1)) * magnitude + 1e-40;
}

/** Absolute tolerance for a float64 reduction of `count` terms whose magnitudes sum to `magnitude`. */
export function float64ReductionAtol(count: number, magnitude: number): number {
  if (!Number.isFinite(magnitude)) return Infinity;
  return 2 ** -52 * (16 + count) * magnitude;
}

/** The relative tolerance of elementwise results: a few ulps of the dtype. */
export function elementwiseRtol(dtype: DType): number {
  return dtype === "float32" ? 4 * FLOAT32_EPS : dtype === "float64" ? 1e-13 : 0;
}

/**
 * Asserts the tensor has the expected dtype, shape and values: floats within atol + rtol·|e| (NaN
 * meets NaN, an infinity the same infinity), int32 and bool exactly (an int32 NaN accepts anything).
 */
export function expectTensor(actual: Tensor, expected: Expected, label = ""): void {
  expect(actual.dtype, `${label} dtype`).toBe(expected.dtype);
  expect([...actual.shape], `${label} shape`).toEqual([...expected.values.shape]);
  const got = Array.from(actual.data());
  const want = naive.flatValues(expected.values);
  const atols = typeof expected.atol === "object" ? naive.flatValues(expected.atol) : null;
  const rtol = expected.rtol ?? 0;
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const e = want[i]!;
    const atol = atols ? atols[i]! : ((expected.atol as number | undefined) ?? 0);
    let same: boolean;
    if (expected.dtype === "int32") same = Number.isNaN(e) || a === e;
    else if (expected.dtype === "bool") same = a === e;
    else if (atol === Infinity) same = true;
    else if (Number.isNaN(e)) same = Number.isNaN(a);
    else if (!Number.isFinite(e)) same = a === e;
    else same = Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!same) {
      expect.fail(
        `${label} element ${i} of ${expected.dtype} [${expected.values.shape.join(", ")}]: got ${a}, expected ${e} (atol ${atol}, rtol ${rtol})`,
      );
    }
  }
}

/**
 * Runs an op and checks its outcome. With `expected` null (PyTorch refuses the case) it must throw
 * a NablaError that leaves every tensor in `inputs` unchanged; otherwise it must return a well-formed
 * tensor matching `expected` and leave the inputs unchanged (`mayRefuse`: a clean NablaError is
 * accepted too, for cases where PyTorch's choice is not one nabla has to share).
 */
export function expectOutcome(
  label: string,
  inputs: readonly unknown[],
  run: () => Tensor,
  expected: Expected | null,
  { mayRefuse = false } = {},
): void {
  const snapshot = snapshotTensors(tensorsIn(inputs));
  const outcome = attempt(run);
  if (!outcome.ok) {
    if (!(outcome.error instanceof NablaError)) expect.fail(`${label} threw ${describeError(outcome.error)}`);
    expect(changesSince(snapshot), `${label} threw and changed an input`).toEqual([]);
    if (expected !== null && !mayRefuse) expect.fail(`${label} refused a case PyTorch computes: ${describeError(outcome.error)}`);
    return;
  }
  if (expected === null) expect.fail(`${label} returned a ${outcome.value.dtype} tensor where PyTorch refuses the case`);
  expect(wellFormedProblems(outcome.value, label)).toEqual([]);
  expect(changesSince(snapshot), `${label} changed an input`).toEqual([]);
  expectTensor(outcome.value, expected, label);
}

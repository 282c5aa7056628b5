import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as nabla from "@nabla/tensor";
import type { DType, Tensor, TensorLike } from "@nabla/tensor";
import { broadcastableShapesArb } from "../support/arbitraries";
import { attempt, fuzzParameters, notNablaError, wellFormedProblems } from "../support/fuzz-checks";
import {
  FUZZ_SHAPES,
  REFUSE,
  binaryReference,
  buildTensor,
  castValue,
  floatOf,
  elementwiseRtol,
  expectOutcome,
  fuzzShapeArb,
  modelOf,
  referenceResultType,
  tensorSpecArb,
  wrapInt32,
  type Plan,
  type TensorSpec,
} from "../support/fuzz-tensors";
import * as naive from "../support/naive";

// Elementwise ops on every dtype, strided views, NaN and infinities, against the naive model in
// float64 with PyTorch's promotion, conversions and int32 wrap-around. A case PyTorch refuses must
// be a NablaError that leaves its inputs unchanged; one it allows must match.

const RUNS = 60;

/** Runs the op and checks it against the plan, computing the expected values from the inputs' models. */
function checkAgainstPlan(label: string, run: () => Tensor, plan: Plan, inputs: naive.NaiveArray[], tensors: unknown[]): void {
  if (plan.refuse) {
    expectOutcome(label, tensors, run, null);
    return;
  }
  const cast = inputs.map((a) => naive.map(a, (v) => castValue(v, plan.compute)));
  const values = naive.map(naive.elementwise(plan.fn, ...cast), (v) => castValue(v, plan.dtype));
  const expected = { dtype: plan.dtype, values, rtol: elementwiseRtol(plan.dtype), atol: plan.dtype === "float32" ? 1e-45 : 0 };
  expectOutcome(label, tensors, run, expected, { mayRefuse: plan.optional });
}

const specArb = (shape: readonly number[]) => tensorSpecArb(shape, { grad: false });
/** An operand: a tensor spec, or a JS number within int32 range (PyTorch wraps larger ones), or a boolean. */
const operandArb = (shape: readonly number[]): fc.Arbitrary<TensorSpec | number | boolean> =>
  fc.oneof(
    { weight: 5, arbitrary: specArb(shape) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.integer({ min: -5, max: 5 }),
        fc.double({ min: -10, max: 10 }),
        fc.constantFrom(0.5, NaN, Infinity, -Infinity, 2 ** 31 - 1),
        fc.boolean(),
      ),
    },
  );
const isSpec = (o: unknown): o is TensorSpec => typeof o === "object" && o !== null;
const operandModel = (o: TensorSpec | number | boolean) => (isSpec(o) ? modelOf(o) : naive.build([], () => Number(o)));
const operandValue = (o: TensorSpec | number | boolean): TensorLike => (isSpec(o) ? buildTensor(o) : o);
const operandInfo = (o: TensorSpec | number | boolean) => (isSpec(o) ? { dtype: o.dtype, ndim: modelOf(o).shape.length } : o);

// ---- unary ----

const stableSigmoid = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
const floating =
  (fn: (v: number) => number) =>
  (dtype: DType): Plan => ({ refuse: false, dtype: floatOf(dtype), compute: floatOf(dtype), fn });
const integerKeeping =
  (int: (v: number) => number, float: (v: number) => number, bool: "refuse" | "optional" = "refuse") =>
  (dtype: DType): Plan => {
    if (dtype === "bool") return bool === "refuse" ? REFUSE : { refuse: false, optional: true, dtype, compute: dtype, fn: float };
    return { refuse: false, dtype, compute: dtype, fn: dtype === "int32" ? int : float };
  };

const unaryCases: [string, (x: Tensor) => Tensor, (dtype: DType) => Plan][] = [
  [
    "neg",
    nabla.neg,
    integerKeeping(
      (v) => wrapInt32(-v),
      (v) => -v,
    ),
  ],
  ["abs", nabla.abs, integerKeeping((v) => wrapInt32(Math.abs(v)), Math.abs)],
  ["sign", nabla.sign, integerKeeping(Math.sign, (v) => (v > 0 ? 1 : v < 0 ? -1 : v), "optional")],
  [
    "relu",
    nabla.relu,
    integerKeeping(
      (v) => Math.max(v, 0),
      (v) => (Number.isNaN(v) ? v : Math.max(v, 0)),
    ),
  ],
  [
    "square",
    nabla.square,
    (dtype) =>
      dtype === "bool"
        ? { refuse: false, optional: true, dtype: "bool", compute: "bool", fn: (v) => v }
        : { refuse: false, dtype, compute: dtype, fn: dtype === "int32" ? (v) => Math.imul(v, v) : (v) => v * v },
  ],
  ["exp", nabla.exp, floating(Math.exp)],
  ["log", nabla.log, floating(Math.log)],
  ["sqrt", nabla.sqrt, floating(Math.sqrt)],
  ["tanh", nabla.tanh, floating(Math.tanh)],
  ["sigmoid", nabla.sigmoid, floating(stableSigmoid)],
  ["sin", nabla.sin, floating(Math.sin)],
  ["cos", nabla.cos, floating(Math.cos)],
  ["erf", nabla.erf, floating(naive.erf)],
  ["floor", nabla.floor, integerKeeping((v) => v, Math.floor)],
  ["ceil", nabla.ceil, integerKeeping((v) => v, Math.ceil)],
  // half to even: a half that Math.round took up to an odd integer goes back down
  [
    "round",
    nabla.round,
    integerKeeping(
      (v) => v,
      (v) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v)),
    ),
  ],
  ["trunc", nabla.trunc, integerKeeping((v) => v, Math.trunc)],
  ["reciprocal", nabla.reciprocal, floating((v) => 1 / v)],
  ["rsqrt", nabla.rsqrt, floating((v) => 1 / Math.sqrt(v))],
  ["log1p", nabla.log1p, floating(Math.log1p)],
  ["expm1", nabla.expm1, floating(Math.expm1)],
];

describe("unary ops on every dtype", () => {
  it.each(unaryCases)("%s", (name, op, planFor) => {
    fc.assert(
      fc.property(fuzzShapeArb().chain(specArb), (spec) => {
        const x = buildTensor(spec);
        checkAgainstPlan(name, () => op(x), planFor(spec.dtype), [modelOf(spec)], [x]);
      }),
      fuzzParameters(RUNS),
    );
  });

  it("clamp, with bounds of any kind", () => {
    const bound = fc.option(
      fc.oneof(
        fc.integer({ min: -3, max: 3 }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 40, -(2 ** 40)),
      ),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fuzzShapeArb().chain(specArb), bound, bound, (spec, min, max) => {
        const x = buildTensor(spec);
        const bounds = [min, max].filter((b): b is number => b !== undefined);
        // a non-finite bound on an int32 tensor: PyTorch computes in float32; only a clean outcome is checked
        if (spec.dtype === "int32" && bounds.some((b) => !Number.isFinite(b))) {
          const outcome = attempt(() => x.clamp(min, max));
          expect(outcome.ok ? wellFormedProblems(outcome.value) : notNablaError(outcome.error, "clamp")).toEqual([]);
          return;
        }
        // PyTorch computes in the promoted dtype of x and the bounds (weak scalars)
        const dtype = referenceResultType([{ dtype: spec.dtype, ndim: 1 }, ...bounds]);
        const lo = castValue(min ?? -Infinity, dtype);
        const hi = castValue(max ?? Infinity, dtype);
        const clampTo: Plan = {
          refuse: false,
          dtype,
          compute: dtype,
          fn: (v) => (Number.isNaN(lo) || Number.isNaN(hi) ? NaN : Math.min(Math.max(v, lo), hi)),
        };
        let plan: Plan;
        if (bounds.length === 0) plan = REFUSE;
        else if (dtype === "int32" && bounds.some((b) => b < -(2 ** 31) || b >= 2 ** 31))
          plan = REFUSE; // the bound overflows int32
        else plan = spec.dtype === "bool" ? { ...clampTo, optional: true } : clampTo;
        checkAgainstPlan(`clamp(${min}, ${max})`, () => x.clamp(min, max), plan, [modelOf(spec)], [x]);
      }),
      fuzzParameters(RUNS),
    );
  });

  it("to(dtype) converts as PyTorch (float to int32 truncates, NaN to bool is true)", () => {
    fc.assert(
      fc.property(fuzzShapeArb().chain(specArb), fc.constantFrom<DType>("float32", "float64", "int32", "bool"), (spec, dtype) => {
        const x = buildTensor(spec);
        checkAgainstPlan(
          `to(${dtype})`,
          () => x.to(dtype),
          { refuse: false, dtype, compute: spec.dtype, fn: (v) => v },
          [modelOf(spec)],
          [x],
        );
      }),
      fuzzParameters(RUNS),
    );
  });
});

// ---- binary ----

const binaryNames = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"] as const;
const exported = nabla as unknown as Record<string, (a: TensorLike, b: TensorLike) => Tensor>;

describe("binary ops with broadcasting and type promotion", () => {
  it.each(binaryNames.map((n) => [n] as const))("%s", (name) => {
    const caseArb = broadcastableShapesArb(2, FUZZ_SHAPES).chain(([a, b]) => fc.tuple(operandArb(a!), operandArb(b!)));
    fc.assert(
      fc.property(caseArb, ([a, b]) => {
        const common = referenceResultType([operandInfo(a), operandInfo(b)]);
        const exponent = naive.flatValues(operandModel(b)).map((v) => castValue(v, common));
        const plan = binaryReference(
          name,
          common,
          exponent.some((v) => v < 0),
        );
        const x = operandValue(a);
        const y = operandValue(b);
        checkAgainstPlan(
          `${name}(${isSpec(a) ? a.dtype : a}, ${isSpec(b) ? b.dtype : b})`,
          () => exported[name]!(x, y),
          plan,
          [operandModel(a), operandModel(b)],
          [x, y],
        );
      }),
      fuzzParameters(RUNS),
    );
  });

  it("where picks from two promoted operands by a bool condition (other conditions are refused)", () => {
    const caseArb = broadcastableShapesArb(3, FUZZ_SHAPES).chain(([c, a, b]) =>
      fc.tuple(tensorSpecArb(c!, { dtypes: ["bool", "bool", "bool", "int32", "float32"] }), operandArb(a!), operandArb(b!)),
    );
    fc.assert(
      fc.property(caseArb, ([c, a, b]) => {
        const dtype = referenceResultType([operandInfo(a), operandInfo(b)]);
        const plan: Plan =
          c.dtype !== "bool" ? REFUSE : { refuse: false, dtype, compute: dtype, fn: (k, p, q) => (castValue(k, "bool") ? p : q) };
        const cond = buildTensor(c);
        const x = operandValue(a);
        const y = operandValue(b);
        checkAgainstPlan("where", () => nabla.where(cond, x, y), plan, [modelOf(c), operandModel(a), operandModel(b)], [cond, x, y]);
      }),
      fuzzParameters(RUNS),
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError, type DType, type Tensor, type TensorLike } from "@nabla/tensor";
import { advanceChain, applySteps, chainStart, viewChainArb, type ViewStep } from "../support/arbitraries";
import { attempt, describeError, fuzzParameters, wellFormedProblems } from "../support/fuzz-checks";
import {
  binaryReference,
  buildTensor,
  castScalar,
  castValue,
  category,
  elementwiseRtol,
  expectTensor,
  fuzzShapeArb,
  modelOf,
  referenceResultType,
  tensorSpecArb,
  type TensorSpec,
} from "../support/fuzz-tensors";
import * as naive from "../support/naive";

// In-place ops (add_ sub_ mul_ div_ copy_ fill_ zero_) written through random views of a base,
// with a source that is a number, an independent tensor, or another view of the same storage
// (overlapping or not). The model: the result is computed from the values before any write (PyTorch
// refuses a source that partly overlaps the target; refusing it is accepted too), cast to the
// target's dtype, and stored at the target's positions; every other position keeps its value. A
// refused case must leave the whole storage and its version as they were.

const RUNS = 150;
const ops = ["add_", "sub_", "mul_", "div_", "copy_", "fill_", "zero_"] as const;
type Op = (typeof ops)[number];

/** The storage positions a chain of view steps reads, or null when the chain copies. */
function positionsOf(baseShape: readonly number[], steps: readonly ViewStep[]): naive.NaiveArray | null {
  const state = steps.reduce(advanceChain, chainStart(baseShape));
  return state.copies === 0 ? state.positions : null;
}

const noCopyChainArb = (baseShape: readonly number[]) =>
  fc
    .oneof(
      { weight: 1, arbitrary: fc.constant<ViewStep[]>([]) },
      { weight: 4, arbitrary: viewChainArb({ baseShape, maxSteps: 3, maxNumel: 24 }).map((c) => c.steps) },
    )
    .filter((steps) => positionsOf(baseShape, steps) !== null);

type Source = { kind: "number"; value: number | boolean } | { kind: "tensor"; spec: TensorSpec } | { kind: "view"; steps: ViewStep[] };

interface InPlaceCase {
  base: TensorSpec;
  target: ViewStep[];
  op: Op;
  source: Source;
}

const numberArb = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.double({ min: -5, max: 5, noNaN: true }),
  fc.constantFrom(0.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, 1e300),
  fc.boolean(),
);

/** A source of a shape that broadcasts to the target's (a suffix with some sizes 1), now and then of any shape. */
const sourceArb = (baseShape: readonly number[], target: ViewStep[]): fc.Arbitrary<Source> => {
  const targetShape = positionsOf(baseShape, target)!.shape;
  const broadcastable = fc
    .record({
      drop: fc.integer({ min: 0, max: targetShape.length }),
      ones: fc.array(fc.boolean(), { minLength: targetShape.length, maxLength: targetShape.length }),
    })
    .map(({ drop, ones }) => targetShape.slice(drop).map((size, i) => (ones[i + drop] ? 1 : size)));
  const extra = fc.constantFrom<ViewStep>({ op: "T" }, { op: "transpose", dim0: 0, dim1: -1 }, { op: "flatten", startDim: 0, endDim: -1 });
  return fc.oneof(
    numberArb.map((value): Source => ({ kind: "number", value })),
    fc
      .oneof({ weight: 4, arbitrary: broadcastable }, { weight: 1, arbitrary: fuzzShapeArb({ maxRank: 3, maxNumel: 12 }) })
      .chain((shape) => tensorSpecArb(shape).map((spec): Source => ({ kind: "tensor", spec }))),
    // the same storage: the target seen through one more view (x.copy_(x.T)), or another view
    extra
      .map((step): Source => ({ kind: "view", steps: [...target, step] }))
      .filter((s) => s.kind === "view" && positionsOf(baseShape, s.steps) !== null),
    noCopyChainArb(baseShape).map((steps): Source => ({ kind: "view", steps })),
  );
};

/** Overlapping windows of one 1-D base: x[a:a+n].op_(x[b:b+n]), the classic shift. */
const shiftCaseArb: fc.Arbitrary<InPlaceCase> = fc.integer({ min: 2, max: 12 }).chain((size) =>
  fc.integer({ min: 1, max: size - 1 }).chain((length) =>
    fc.record({
      base: tensorSpecArb([size], { views: false }),
      target: fc.integer({ min: 0, max: size - length }).map((a): ViewStep[] => [{ op: "narrow", dim: 0, start: a, length }]),
      op: fc.constantFrom(...ops),
      source: fc
        .integer({ min: 0, max: size - length })
        .map((b): Source => ({ kind: "view", steps: [{ op: "narrow", dim: 0, start: b, length }] })),
    }),
  ),
);

const caseArb: fc.Arbitrary<InPlaceCase> = fc.oneof(
  {
    weight: 4,
    arbitrary: fuzzShapeArb({ maxRank: 3, maxNumel: 24 }).chain((baseShape) =>
      tensorSpecArb(baseShape, { views: false }).chain((base) =>
        noCopyChainArb(baseShape).chain((target) =>
          fc.record({
            base: fc.constant(base),
            target: fc.constant(target),
            op: fc.constantFrom(...ops),
            source: sourceArb(baseShape, target),
          }),
        ),
      ),
    ),
  },
  { weight: 1, arbitrary: shiftCaseArb },
);

const spec = (dtype: DType, baseShape: number[], values: number[]): TensorSpec => ({
  dtype,
  view: { baseShape, steps: [] },
  values,
  requiresGrad: false,
});

/** Cases every run starts with: a transposed copy of itself, an overlapping shift, a bool given 2. */
const EXAMPLES: [InPlaceCase][] = [
  [{ base: spec("float32", [3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]), target: [], op: "copy_", source: { kind: "view", steps: [{ op: "T" }] } }],
  [
    {
      base: spec("int32", [5], [1, 2, 3, 4, 5]),
      target: [{ op: "narrow", dim: 0, start: 1, length: 4 }],
      op: "copy_",
      source: { kind: "view", steps: [{ op: "narrow", dim: 0, start: 0, length: 4 }] },
    },
  ],
  [{ base: spec("bool", [2], [0, 1]), target: [], op: "copy_", source: { kind: "number", value: 2 } }],
];

const hasDuplicates = (values: number[]) => new Set(values).size < values.length;

/** A finite value float32 rounds to an infinity: PyTorch's fill_ refuses it, an infinity is accepted too. */
const overflowsFloat32 = (v: number | boolean, dtype: DType) =>
  dtype === "float32" && Number.isFinite(Number(v)) && !Number.isFinite(Math.fround(Number(v)));

/** The value `fill_(v)` (or copy_ of a number) stores in `dtype`, as PyTorch; null when PyTorch refuses it (overflow). */
function fillValue(v: number | boolean, dtype: DType): number | null {
  const n = Number(v);
  if (dtype === "int32") return Number.isFinite(n) && Math.trunc(n) >= -(2 ** 31) && Math.trunc(n) < 2 ** 31 ? Math.trunc(n) : null;
  return castValue(n, dtype);
}

/**
 * The model's outcome: "refuse", "either" (refusing or computing are both right), or the values of
 * the target's elements after the op (row-major), computed from the values before any write.
 */
function expectedTarget(
  c: InPlaceCase,
  storage: readonly number[],
): { refuse: boolean; optional: boolean; values: naive.NaiveArray | null; dtype: DType } {
  const dtype = c.base.dtype;
  const positions = positionsOf(c.base.view.baseShape, c.target)!;
  const targetPositions = naive.flatValues(positions);
  const target = naive.map(positions, (p) => storage[p]!);
  const refuse = { refuse: true, optional: false, values: null, dtype };
  const internalOverlap = hasDuplicates(targetPositions);
  if (c.op === "zero_" || c.op === "fill_") {
    const v = c.op === "zero_" ? 0 : c.source.kind === "number" ? c.source.value : null;
    if (v === null) return refuse; // fill_ takes a number
    const stored = fillValue(v, dtype);
    return stored === null
      ? refuse
      : { refuse: false, optional: overflowsFloat32(v, dtype), values: naive.map(target, () => stored), dtype };
  }
  if (internalOverlap) return refuse; // several elements share a position: PyTorch refuses the write
  let source: naive.NaiveArray;
  let sourcePositions: number[] = [];
  let sourceOperand: { dtype: DType; ndim: number } | number | boolean;
  if (c.source.kind === "number") {
    source = naive.build([], () => Number(c.source.kind === "number" ? c.source.value : 0));
    sourceOperand = c.source.value;
  } else if (c.source.kind === "tensor") {
    source = modelOf(c.source.spec);
    sourceOperand = { dtype: c.source.spec.dtype, ndim: source.shape.length };
  } else {
    const p = positionsOf(c.base.view.baseShape, c.source.steps)!;
    sourcePositions = naive.flatValues(p);
    source = naive.map(p, (q) => storage[q]!);
    sourceOperand = { dtype, ndim: source.shape.length };
  }
  let broadcast: number[];
  try {
    broadcast = naive.broadcastShapes(target.shape, source.shape);
  } catch {
    return refuse;
  }
  if (broadcast.length !== target.shape.length || broadcast.some((s, d) => s !== target.shape[d])) return refuse;
  const shared = sourcePositions.some((p) => targetPositions.includes(p));
  const samePositions =
    shared &&
    naive.flatValues(naive.expand(naive.fromFlat(sourcePositions, source.shape), target.shape)).every((p, i) => p === targetPositions[i]);
  const partialOverlap = shared && !samePositions;
  let values: naive.NaiveArray;
  if (c.op === "copy_") {
    if (c.source.kind === "number") {
      // a number is converted as fill_ converts it; one int32 cannot hold may be refused (as fill_)
      // or stored as anything (PyTorch's copy_ of a 0-d tensor)
      const stored = fillValue(c.source.value, dtype);
      if (stored === null) return { refuse: false, optional: true, values: naive.map(target, () => NaN), dtype };
      if (overflowsFloat32(c.source.value, dtype)) return { refuse: false, optional: true, values: naive.map(target, () => stored), dtype };
      values = naive.map(target, () => stored);
    } else values = naive.map(naive.expand(source, target.shape), (v) => castValue(v, dtype));
  } else {
    const common = referenceResultType([{ dtype, ndim: target.shape.length }, sourceOperand]);
    const plan = binaryReference(c.op.slice(0, -1), common, false);
    if (plan.refuse || category(plan.dtype) > category(dtype)) return refuse; // the result cannot be stored in the target's dtype
    const castSource = c.source.kind === "number" ? castScalar : castValue;
    const x = naive.map(target, (v) => castValue(v, plan.compute));
    const y = naive.map(source, (v) => castSource(v, plan.compute));
    values = naive.map(naive.elementwise(plan.fn, x, y), (v) => castValue(castValue(v, plan.dtype), dtype));
  }
  return { refuse: false, optional: partialOverlap, values, dtype };
}

describe("in-place ops through views of one storage", () => {
  it("write the model's values at the target's positions, or refuse and change nothing", () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const base = buildTensor(c.base);
        const storage = naive.flatValues(modelOf(c.base));
        const target = applySteps(base, c.target);
        const source: TensorLike =
          c.source.kind === "number"
            ? c.source.value
            : c.source.kind === "tensor"
              ? buildTensor(c.source.spec)
              : applySteps(base, c.source.steps);
        const expected = expectedTarget(c, storage);
        const version = base.storage.version;
        const label = `${c.op}`;
        const outcome = attempt(() => {
          if (c.op === "zero_") return target.zero_();
          if (c.op === "fill_") return target.fill_(source as number);
          return (target[c.op] as (other: TensorLike) => Tensor)(source);
        });
        if (!outcome.ok) {
          if (!(outcome.error instanceof NablaError)) expect.fail(`${label} threw ${describeError(outcome.error)}`);
          expect(Array.from(base.data()), `${label} threw and wrote the storage`).toEqual(storage.map((v) => castValue(v, c.base.dtype)));
          expect(base.storage.version, `${label} threw and bumped the version`).toBe(version);
          if (!expected.refuse && !expected.optional)
            expect.fail(`${label} refused a case PyTorch computes: ${describeError(outcome.error)}`);
          return;
        }
        if (expected.refuse) expect.fail(`${label} wrote where PyTorch refuses the case`);
        expect(outcome.value).toBe(target);
        expect(wellFormedProblems(base, "the base")).toEqual([]);
        expect(base.storage.version, `${label} did not bump the version`).toBeGreaterThan(version);
        // the whole storage: the target's positions hold the result, all others their old values
        const after = [...storage];
        const positions = naive.flatValues(positionsOf(c.base.view.baseShape, c.target)!);
        const values = naive.flatValues(expected.values!);
        for (const [i, p] of positions.entries()) after[p] = values[i]!;
        expectTensor(
          base,
          { dtype: c.base.dtype, values: naive.fromFlat(after, c.base.view.baseShape), rtol: elementwiseRtol(c.base.dtype) },
          `${label}: the storage after`,
        );
      }),
      { ...fuzzParameters<[InPlaceCase]>(RUNS), examples: EXAMPLES },
    );
  });
});

// fast-check arbitraries shared by the @nabla/tensor tests: shapes, values kept inside a domain
// (and away from kinks), and random strided views of a bigger contiguous base, described as a
// list of view steps so the same steps can be replayed on a tensor and on the naive model.

import fc from "fast-check";
import { tensor, type Tensor } from "@nabla/tensor";
import * as naive from "./naive";
import type { NaiveArray } from "./naive";

export const numelOf = naive.numelOf;

// ---- shapes ----

export interface ShapeOptions {
  minRank?: number;
  maxRank?: number;
  minSize?: number;
  maxSize?: number;
  /** Sizes are cut down (last dims first) until the shape has at most this many elements. */
  maxNumel?: number;
  /**
   * With minSize 0, a size is 0 about once in this many draws instead of as often as any other
   * size: high ranks then still give mostly non-empty shapes.
   */
  zeroOneIn?: number;
}

export function shapeArb({
  minRank = 0,
  maxRank = 4,
  minSize = 1,
  maxSize = 3,
  maxNumel = Infinity,
  zeroOneIn,
}: ShapeOptions = {}): fc.Arbitrary<number[]> {
  const size =
    zeroOneIn !== undefined && minSize === 0 && maxSize > 0
      ? fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: zeroOneIn - 1, arbitrary: fc.integer({ min: 1, max: maxSize }) })
      : fc.integer({ min: minSize, max: maxSize });
  return fc
    .integer({ min: minRank, max: maxRank })
    .chain((rank) => fc.array(size, { minLength: rank, maxLength: rank }))
    .map((shape) => {
      for (let d = shape.length - 1; d >= 0 && numelOf(shape) > maxNumel; d--) {
        while (shape[d]! > Math.max(minSize, 1) && numelOf(shape) > maxNumel) shape[d]!--;
      }
      return shape;
    });
}

// ---- values ----

export type Domain = "any" | "positive" | "nonzero" | "unit";

// Gradient-checked values lie on a grid: value = (k + (2·slot + 1)/8) / 256 for an integer k.
// Within one input the values are distinct (≥ 1/256 apart), so max/min and maximum/minimum never
// tie; inputs in different slots differ by ≥ 1/1024; no value is 0 or a multiple of 1/256, so
// relu/abs/sign kinks and clamp bounds chosen on the grid stay ≥ 1/1024 away — far beyond the
// finite-difference step of gradcheck.
const GRID = 256;
const DOMAIN_K: Record<Domain, readonly [number, number][]> = {
  any: [[-768, 767]], // [-3, 3)
  positive: [[25, 767]], // [0.1, 3): log, sqrt, pow bases
  nonzero: [
    [-768, -26],
    [25, 767],
  ], // |v| > 0.09: divisors
  unit: [[12, 242]], // (0.05, 0.95): probabilities
};

/** How many distinct grid values a domain holds. */
function domainCapacity(domain: Domain): number {
  return DOMAIN_K[domain].reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
}

function gridValue(domain: Domain, slot: number, j: number): number {
  let rest = j;
  for (const [lo, hi] of DOMAIN_K[domain]) {
    if (rest <= hi - lo) return (lo + rest + (2 * slot + 1) / 8) / GRID;
    rest -= hi - lo + 1;
  }
  throw new Error(`gridValue: ${j} is beyond the ${domain} domain`);
}

/**
 * `count` distinct float64 values of a domain on the grid of input `slot` (0…3), for gradcheck:
 * no ties, no kinks (see GRID).
 */
export function gridValuesArb(count: number, domain: Domain = "any", slot = 0): fc.Arbitrary<number[]> {
  const capacity = domainCapacity(domain);
  if (count > capacity) throw new Error(`gridValuesArb: ${count} distinct values do not fit the ${domain} domain`);
  return fc
    .uniqueArray(fc.integer({ min: 0, max: capacity - 1 }), { minLength: count, maxLength: count })
    .map((js) => js.map((j) => gridValue(domain, slot, j)));
}

/**
 * `count` float64 values for kernel tests: mostly finite doubles, some small integers (so ties
 * happen) and, with `special`, NaN, ±Infinity and −0.
 */
export function kernelValuesArb(count: number, { special = false } = {}): fc.Arbitrary<number[]> {
  const value = fc.oneof(
    { weight: 6, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
    { weight: 2, arbitrary: fc.integer({ min: -3, max: 3 }) },
    { weight: special ? 1 : 0, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, -0) },
  );
  return fc.array(value, { minLength: count, maxLength: count });
}

export function float64(values: readonly number[], shape: readonly number[]): Tensor {
  return tensor(Float64Array.from(values), { shape });
}

// ---- view steps: one vocabulary for tensors and the naive model ----

export type ViewStep =
  | { op: "permute"; dims: number[] }
  | { op: "transpose"; dim0: number; dim1: number }
  | { op: "T" }
  | { op: "mT" }
  | { op: "slice"; dim: number; start?: number; end?: number; step: number }
  | { op: "select"; dim: number; index: number }
  | { op: "narrow"; dim: number; start: number; length: number }
  | { op: "expand"; shape: number[] }
  | { op: "broadcastTo"; shape: number[] }
  | { op: "squeeze"; dim?: number | number[] }
  | { op: "unsqueeze"; dim: number }
  | { op: "flatten"; startDim: number; endDim: number }
  | { op: "view"; shape: number[] }
  | { op: "reshape"; shape: number[] }
  | { op: "asStrided"; shape: number[]; strides: number[]; offset: number }
  | { op: "split"; sizeOrSizes: number | number[]; dim: number; chunk: number };

export function applyStep(t: Tensor, step: ViewStep): Tensor {
  switch (step.op) {
    case "permute":
      return t.permute(step.dims);
    case "transpose":
      return t.transpose(step.dim0, step.dim1);
    case "T":
      return t.T;
    case "mT":
      return t.mT;
    case "slice":
      return t.slice(step.dim, step.start, step.end, step.step);
    case "select":
      return t.select(step.dim, step.index);
    case "narrow":
      return t.narrow(step.dim, step.start, step.length);
    case "expand":
      return t.expand(step.shape);
    case "broadcastTo":
      return t.broadcastTo(step.shape);
    case "squeeze":
      return t.squeeze(step.dim);
    case "unsqueeze":
      return t.unsqueeze(step.dim);
    case "flatten":
      return t.flatten(step.startDim, step.endDim);
    case "view":
      return t.view(step.shape);
    case "reshape":
      return t.reshape(step.shape);
    case "asStrided":
      return t.asStrided(step.shape, step.strides, step.offset);
    case "split":
      return t.split(step.sizeOrSizes, step.dim)[step.chunk]!;
  }
}

/** The same step on the model; asStrided reads `storage` (the base's storage, row-major). */
export function applyStepNaive(a: NaiveArray, step: ViewStep, storage: readonly number[]): NaiveArray {
  switch (step.op) {
    case "permute":
      return naive.permute(a, step.dims);
    case "transpose":
      return naive.transpose(a, step.dim0, step.dim1);
    case "T":
      return naive.permute(
        a,
        a.shape.map((_, d) => a.shape.length - 1 - d),
      );
    case "mT":
      return naive.transpose(a, -2, -1);
    case "slice":
      return naive.slice(a, step.dim, step.start, step.end, step.step);
    case "select":
      return naive.select(a, step.dim, step.index);
    case "narrow":
      return naive.narrow(a, step.dim, step.start, step.length);
    case "expand":
      return naive.expand(a, step.shape);
    case "broadcastTo":
      return naive.expand(a, step.shape);
    case "squeeze":
      return naive.squeeze(a, step.dim);
    case "unsqueeze":
      return naive.unsqueeze(a, step.dim);
    case "flatten":
      return naive.flatten(a, step.startDim, step.endDim);
    case "view":
      return naive.reshape(a, step.shape);
    case "reshape":
      return naive.reshape(a, step.shape);
    case "asStrided":
      return naive.asStrided(storage, step.shape, step.strides, step.offset);
    case "split":
      return naive.split(a, step.sizeOrSizes, step.dim)[step.chunk]!;
  }
}

export function applySteps(t: Tensor, steps: readonly ViewStep[]): Tensor {
  return steps.reduce(applyStep, t);
}

export function applyStepsNaive(a: NaiveArray, steps: readonly ViewStep[], storage: readonly number[]): NaiveArray {
  return steps.reduce((x, step) => applyStepNaive(x, step, storage), a);
}

// ---- strided views of a target shape ----

/**
 * A random strided view of a given shape: a contiguous base of `baseShape` and the view steps
 * that cut the view out of it (the base may carry an extra leading dim that is selected away,
 * each stored dim starts at an offset, steps over entries and leaves padding; the dims are
 * permuted; some dims may be broadcast by unsqueeze + expand, stride 0).
 */
export interface StridedView {
  baseShape: number[];
  steps: ViewStep[];
}

export interface StridedViewOptions {
  /** Allow dims made by unsqueeze + expand (stride 0, many elements at one storage position). */
  expand?: boolean;
  /** Padding and steps are dropped until the base holds at most this many elements. */
  maxBaseNumel?: number;
}

interface DimPlan {
  expanded: boolean;
  start: number;
  step: number;
  pad: number;
  negativeStart: boolean;
}

export function stridedViewArb(
  shape: readonly number[],
  { expand = true, maxBaseNumel = 256 }: StridedViewOptions = {},
): fc.Arbitrary<StridedView> {
  const rank = shape.length;
  const dimPlan: fc.Arbitrary<DimPlan> = fc.record({
    expanded: expand ? fc.integer({ min: 0, max: 3 }).map((r) => r === 0) : fc.constant(false),
    start: fc.integer({ min: 0, max: 1 }),
    step: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 1 }),
    negativeStart: fc.boolean(),
  });
  return fc
    .record({
      dims: fc.array(dimPlan, { minLength: rank, maxLength: rank }),
      // base dim i holds stored view dim order[i]
      order: fc.shuffledSubarray([...Array(rank).keys()], { minLength: rank, maxLength: rank }),
      selectIndex: fc.option(fc.integer({ min: 0, max: 1 }), { nil: null }),
    })
    .map(({ dims, order, selectIndex }) => planView(shape, dims, order, selectIndex, maxBaseNumel));
}

function planView(
  shape: readonly number[],
  dims: DimPlan[],
  order: number[],
  selectIndex: number | null,
  maxBaseNumel: number,
): StridedView {
  const stored = order.filter((d) => !dims[d]!.expanded);
  const extent = (d: number) => {
    const { start, step, pad } = dims[d]!;
    return shape[d] === 0 ? start + pad : start + (shape[d]! - 1) * step + 1 + pad;
  };
  const baseNumel = () => (selectIndex === null ? 1 : 2) * numelOf(stored.map(extent));
  // simplify until the base fits the budget: no extra dim, no padding, unit steps, no offsets
  const simplifications: (() => void)[] = [
    () => (selectIndex = null),
    ...stored.map((d) => () => (dims[d]!.pad = 0)),
    ...stored.map((d) => () => (dims[d]!.step = 1)),
    ...stored.map((d) => () => (dims[d]!.start = 0)),
  ];
  for (const simplify of simplifications) if (baseNumel() > maxBaseNumel) simplify();

  const steps: ViewStep[] = [];
  const baseShape = stored.map(extent);
  if (selectIndex !== null) {
    baseShape.unshift(2);
    steps.push({ op: "select", dim: 0, index: selectIndex === 1 ? -1 : 0 });
  }
  stored.forEach((d, i) => {
    const { start, step, negativeStart } = dims[d]!;
    const end = start + (shape[d]! - 1) * step + 1;
    const size = extent(d);
    // Python-style negative indices address the same positions
    const first = negativeStart && start < size ? start - size : start;
    steps.push({ op: "slice", dim: i, start: first, end: shape[d] === 0 ? start : end, step });
  });
  const storedAscending = [...stored].sort((x, y) => x - y);
  steps.push({ op: "permute", dims: storedAscending.map((d) => stored.indexOf(d)) });
  const expandedDims = shape.map((_, d) => d).filter((d) => dims[d]!.expanded);
  for (const d of expandedDims) steps.push({ op: "unsqueeze", dim: d });
  if (expandedDims.some((d) => shape[d] !== 1)) steps.push({ op: "expand", shape: [...shape] });
  return { baseShape, steps };
}

// ---- random chains of view ops ----

/** One random view op applicable to a tensor of `shape` whose storage holds `storageLength` elements. */
export function viewStepArb(shape: readonly number[], storageLength: number): fc.Arbitrary<ViewStep> {
  const rank = shape.length;
  const dims = [...Array(rank).keys()];
  const dimArb = (ndim = rank) => fc.integer({ min: -Math.max(ndim, 1), max: Math.max(ndim, 1) - 1 });
  const options: fc.Arbitrary<ViewStep>[] = [
    fc
      .shuffledSubarray(dims, { minLength: rank, maxLength: rank })
      .map((p) => ({ op: "permute" as const, dims: p.map((d, i) => (i % 2 === 1 ? d - rank : d)) })),
    fc.record({ dim0: dimArb(), dim1: dimArb() }).map((r) => ({ op: "transpose" as const, ...r })),
    fc.constant({ op: "T" as const }),
    fc.constant({ op: "squeeze" as const }),
    dimArb().map((dim) => ({ op: "squeeze" as const, dim })),
    fc
      .uniqueArray(fc.integer({ min: 0, max: Math.max(rank, 1) - 1 }), { maxLength: rank })
      .map((ds) => ({ op: "squeeze" as const, dim: ds.map((d, i) => (i % 2 === 1 ? d - Math.max(rank, 1) : d)) })),
    dimArb(rank + 1).map((dim) => ({ op: "unsqueeze" as const, dim })),
    expandArb(shape),
    viewShapeArb(shape).map((s) => ({ op: "view" as const, shape: s })),
  ];
  if (rank >= 1) {
    options.push(
      fc.integer({ min: 0, max: rank - 1 }).chain((d) => {
        const size = shape[d]!;
        const bound = fc.option(fc.integer({ min: -size - 2, max: size + 2 }), { nil: undefined });
        return fc
          .record({ start: bound, end: bound, step: fc.integer({ min: 1, max: 3 }), negativeDim: fc.boolean() })
          .map(({ start, end, step, negativeDim }) => ({ op: "slice" as const, dim: negativeDim ? d - rank : d, start, end, step }));
      }),
      fc.integer({ min: 0, max: rank - 1 }).chain((d) =>
        fc.integer({ min: 0, max: shape[d]! }).chain((from) =>
          fc.record({ length: fc.integer({ min: 0, max: shape[d]! - from }), negative: fc.boolean() }).map(({ length, negative }) => ({
            op: "narrow" as const,
            dim: d,
            start: negative && from < shape[d]! ? from - shape[d]! : from,
            length,
          })),
        ),
      ),
      fc
        .record({ startDim: fc.integer({ min: 0, max: rank - 1 }), endDim: fc.integer({ min: 0, max: rank - 1 }), negative: fc.boolean() })
        .map(({ startDim, endDim, negative }) => ({
          op: "flatten" as const,
          startDim: Math.min(startDim, endDim),
          endDim: negative ? Math.max(startDim, endDim) - rank : Math.max(startDim, endDim),
        })),
      fc.integer({ min: 0, max: rank - 1 }).chain((d) =>
        fc.record({ size: fc.integer({ min: 1, max: Math.max(1, shape[d]!) }), chunkSeed: fc.nat() }).map(({ size, chunkSeed }) => {
          const chunks = Math.max(1, Math.ceil(shape[d]! / size));
          return { op: "split" as const, sizeOrSizes: size, dim: d, chunk: chunkSeed % chunks };
        }),
      ),
    );
    const selectable = dims.filter((d) => shape[d]! > 0);
    if (selectable.length > 0) {
      options.push(
        fc
          .constantFrom(...selectable)
          .chain((d) => fc.integer({ min: -shape[d]!, max: shape[d]! - 1 }).map((index) => ({ op: "select" as const, dim: d, index }))),
      );
    }
  }
  if (rank >= 2) options.push(fc.constant({ op: "mT" as const }));
  if (storageLength > 0) options.push(asStridedArb(storageLength));
  return fc.oneof(...options);
}

/** expand/broadcastTo targets: size-1 dims grow (to 0…3), others keep their size or say -1; maybe new leading dims. */
function expandArb(shape: readonly number[]): fc.Arbitrary<ViewStep> {
  return fc
    .record({
      lead: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
      sizes: fc.tuple(...shape.map((size) => (size === 1 ? fc.integer({ min: 0, max: 3 }) : fc.constant(size)))),
      keepWithMinusOne: fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }),
      broadcastTo: fc.boolean(),
    })
    .map(({ lead, sizes, keepWithMinusOne, broadcastTo }) => {
      const target = [
        ...lead,
        ...(sizes as number[]).map((size, d) => (!broadcastTo && keepWithMinusOne[d] && size === shape[d] ? -1 : size)),
      ];
      return broadcastTo ? { op: "broadcastTo" as const, shape: target } : { op: "expand" as const, shape: target };
    });
}

/** A shape with the same number of elements (factors regrouped, 1s inserted), sometimes with one -1. */
function viewShapeArb(shape: readonly number[]): fc.Arbitrary<number[]> {
  const numel = numelOf(shape);
  if (numel === 0) {
    return fc
      .array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 3 })
      .map((rest) => [...rest, 0])
      .chain((s) => fc.shuffledSubarray(s, { minLength: s.length, maxLength: s.length }));
  }
  const factors: number[] = [];
  for (let n = numel, p = 2; n > 1; ) {
    if (n % p === 0) {
      factors.push(p);
      n /= p;
    } else p++;
  }
  return fc
    .record({
      groups: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: factors.length, maxLength: factors.length }),
      ones: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
      inferAt: fc.option(fc.nat(), { nil: null }),
    })
    .map(({ groups, ones, inferAt }) => {
      const sizes = [1, 1, 1, 1];
      factors.forEach((f, i) => {
        sizes[groups[i]!]! *= f;
      });
      const result = sizes.filter((s) => s > 1);
      for (const at of ones) result.splice(Math.min(at, result.length), 0, 1);
      if (inferAt !== null && result.length > 0) result[inferAt % result.length] = -1;
      return result;
    });
}

/** An asStrided layout reaching only positions inside a storage of `length` elements. */
function asStridedArb(length: number): fc.Arbitrary<ViewStep> {
  return fc
    .record({
      shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      strides: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
      offsetSeed: fc.nat(),
    })
    .map(({ shape, strides, offsetSeed }) => {
      const used = strides.slice(0, shape.length);
      // shrink sizes until the farthest position fits, then place the offset in the room left
      const reach = () => (numelOf(shape) === 0 ? 0 : shape.reduce((r, size, d) => r + (size - 1) * used[d]!, 0));
      for (let d = 0; d < shape.length && reach() >= length; d++) while (shape[d]! > 1 && reach() >= length) shape[d]!--;
      const offset = offsetSeed % (length - reach());
      return { op: "asStrided" as const, shape, strides: used, offset };
    });
}

/**
 * A contiguous base and a chain of view ops applied to it. Steps are drawn one after the other,
 * each for the shape the previous ones produced, while the naive model tracks the storage
 * position of every element: a requested `view` that no strides can express becomes a `reshape`
 * (which must copy), after which positions refer to the copy's storage.
 */
export interface ViewChain {
  baseShape: number[];
  steps: ViewStep[];
}

export interface ViewChainOptions {
  maxSteps?: number;
  /** Include asStrided steps (positions anywhere in the storage, overlapping ones too). */
  asStrided?: boolean;
  /** Results are kept to at most this many elements (expand can grow them). */
  maxNumel?: number;
  /** Start from a base of this shape (else a random one). */
  baseShape?: readonly number[];
}

/** The storage positions of a chain's result: the model a tensor's layout is checked against. */
export interface ChainState {
  positions: NaiveArray;
  storageLength: number;
  /** How many copies the chain has made so far (0: positions refer to the base's storage). */
  copies: number;
}

export function chainStart(baseShape: readonly number[]): ChainState {
  const n = numelOf(baseShape);
  return { positions: naive.fromFlat([...Array(n).keys()], baseShape), storageLength: n, copies: 0 };
}

/**
 * The model's result of one step: new positions, and a fresh storage after a copy (a `reshape`
 * step, or a `flatten` whose result no strides can express).
 */
export function advanceChain(state: ChainState, step: ViewStep): ChainState {
  const identity = [...Array(state.storageLength).keys()];
  const positions = applyStepNaive(state.positions, step, identity);
  const copies = step.op === "reshape" || (step.op === "flatten" && !isViewable(state, positions.shape));
  return copies ? { ...chainStart(positions.shape), copies: state.copies + 1 } : { ...state, positions };
}

/** Whether `view(shape)` can be done without copying, by the model. */
export function isViewable(state: ChainState, shape: readonly number[]): boolean {
  return naive.layoutOf(naive.reshape(state.positions, shape)) !== null;
}

export function viewChainArb({
  maxSteps = 5,
  asStrided = true,
  maxNumel = 256,
  baseShape,
}: ViewChainOptions = {}): fc.Arbitrary<ViewChain> {
  const stepsArb = (state: ChainState, remaining: number): fc.Arbitrary<ViewStep[]> => {
    if (remaining === 0) return fc.constant([]);
    return viewStepArb(state.positions.shape, asStrided ? state.storageLength : 0)
      .map((step) => (step.op === "view" && !isViewable(state, step.shape) ? { op: "reshape" as const, shape: step.shape } : step))
      .map((step) => ({ step, next: advanceChain(state, step) }))
      .filter(({ next }) => numelOf(next.positions.shape) <= maxNumel)
      .chain(({ step, next }) => stepsArb(next, remaining - 1).map((rest) => [step, ...rest]));
  };
  const baseShapeArb: fc.Arbitrary<number[]> = baseShape
    ? fc.constant([...baseShape])
    : shapeArb({ minRank: 0, maxRank: 4, minSize: 0, maxSize: 4, maxNumel: 64 });
  return fc
    .record({ baseShape: baseShapeArb, length: fc.integer({ min: 1, max: maxSteps }) })
    .chain(({ baseShape, length }) => stepsArb(chainStart(baseShape), length).map((steps) => ({ baseShape, steps })));
}

// ---- strided inputs for kernel tests ----

/** A strided view of some shape together with the values of its contiguous base. */
export interface StridedInput {
  view: StridedView;
  values: number[];
}

export function stridedInputArb(
  shape: readonly number[],
  values: (count: number) => fc.Arbitrary<number[]>,
  options: StridedViewOptions = {},
): fc.Arbitrary<StridedInput> {
  return stridedViewArb(shape, options).chain((view) => values(numelOf(view.baseShape)).map((vs) => ({ view, values: vs })));
}

/** The tensor view (of a float64 base unless `make` builds another) and the model's array for it. */
export function materialize(
  input: StridedInput,
  make: (values: readonly number[], shape: readonly number[]) => Tensor = float64,
): { tensor: Tensor; model: NaiveArray } {
  const base = make(input.values, input.view.baseShape);
  return {
    tensor: applySteps(base, input.view.steps),
    model: applyStepsNaive(naive.fromFlat(input.values, input.view.baseShape), input.view.steps, input.values),
  };
}

/**
 * `count` shapes that broadcast together: each is a random suffix of one output shape with some
 * sizes replaced by 1.
 */
export function broadcastableShapesArb(count: number, options: ShapeOptions = {}): fc.Arbitrary<number[][]> {
  return shapeArb(options).chain((shape) =>
    fc.tuple(
      ...Array.from({ length: count }, () =>
        fc
          .record({
            drop: fc.integer({ min: 0, max: shape.length }),
            ones: fc.array(
              fc.integer({ min: 0, max: 2 }).map((r) => r === 0),
              { minLength: shape.length, maxLength: shape.length },
            ),
          })
          .map(({ drop, ones }) => shape.slice(drop).map((size, i) => (ones[i + drop] ? 1 : size))),
      ),
    ),
  );
}

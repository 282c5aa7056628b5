import fc from "fast-check";
import { describe, it } from "vitest";
import * as nabla from "@nabla/tensor";
import {
  type Tensor,
  add,
  autogradGrad,
  defineOp,
  detectAnomaly,
  enableGrad,
  exp,
  grad,
  gradcheck,
  gradgradcheck,
  hessian,
  jacobian,
  jvp,
  mul,
  noGrad,
  sum,
  tanh,
  toDot,
  traceBackward,
  valueAndGrad,
  vjp,
  type DType,
} from "@nabla/tensor";
import { broadcastableShapesArb } from "../support/arbitraries";
import { describeRows, tensorArg, type Row } from "../support/fuzz-calls";
import {
  DTYPES,
  FLOAT_DTYPES,
  FUZZ_SHAPES,
  fuzzShapeArb,
  matmulSpecsArb,
  tensorSpecArb,
  type TensorSpecOptions,
} from "../support/fuzz-tensors";

// Every public function of @nabla/tensor (creation and random functions: creation.test.ts) with
// random arguments, mostly well typed and fitting, sometimes hostile: see support/fuzz-calls.ts
// for what each call is checked for.

const RUNS = 40;

// ---- argument arbitraries ----

const anyShape = fuzzShapeArb();
const T = (options: TensorSpecOptions = {}) => tensorArg(anyShape.chain((shape) => tensorSpecArb(shape, { grad: true, ...options })));
const tensorOf = (shape: readonly number[], options: TensorSpecOptions = {}) => tensorArg(tensorSpecArb(shape, { grad: true, ...options }));
const intTensorOf = (shape: readonly number[], limit: number) =>
  tensorArg(
    tensorSpecArb(shape, { dtypes: ["int32"], grad: false }).map((spec) => ({
      ...spec,
      values: spec.values.map((v) => (limit <= 0 ? v : ((v % limit) + limit) % limit)),
    })),
  );

/** A dim for a tensor of `rank` dims, one beyond the valid range on either side now and then. */
const dimArb = (rank: number) => fc.integer({ min: -Math.max(rank, 1) - 1, max: Math.max(rank, 1) });
const dimsArb = (rank: number) =>
  fc.oneof(
    fc.constant(undefined),
    dimArb(rank),
    fc.array(dimArb(rank), { maxLength: Math.max(rank, 1) }),
    fc.uniqueArray(fc.integer({ min: 0, max: Math.max(rank - 1, 0) }), { maxLength: rank }),
  );
const scalarArb: fc.Arbitrary<number | boolean> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 3 }) },
  { weight: 4, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 31, -(2 ** 31), 1e300) },
  { weight: 1, arbitrary: fc.boolean() },
);
const dtypeArb = fc.constantFrom<DType>(...DTYPES);
const smallShapeArb = fuzzShapeArb({ maxRank: 3, maxNumel: 24 });

/** A shape with the same number of elements as `shape` (sizes reordered, a 1 inserted, one -1), or a random one. */
const reshapeTargetArb = (shape: readonly number[]) =>
  fc.oneof(
    fc
      .record({
        order: fc.shuffledSubarray([...shape], { minLength: shape.length, maxLength: shape.length }),
        one: fc.option(fc.nat(shape.length)),
        infer: fc.option(fc.nat(shape.length)),
      })
      .map(({ order, one, infer }) => {
        const target = [...order];
        if (one !== null) target.splice(one, 0, 1);
        if (infer !== null && target.length > 0) target[infer % target.length] = -1;
        return target;
      }),
    fc.constant([-1]),
    fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 }),
  );

/**
 * Targets of expand/broadcastTo: size-1 dims grow, others stay or say -1, maybe new leading dims;
 * now and then to 2^35, a view too big for any storage (printing it must not materialise it).
 */
const grownSizeArb = fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constant(2 ** 35) });
const expandTargetArb = (shape: readonly number[]) =>
  fc
    .record({
      lead: fc.array(grownSizeArb, { maxLength: 2 }),
      sizes: fc.tuple(
        ...shape.map((size) => fc.oneof(fc.constant(size), fc.constant(-1), size === 1 ? grownSizeArb : fc.integer({ min: 0, max: 3 }))),
      ),
    })
    .map(({ lead, sizes }) => [...lead, ...(sizes as number[])]);

const withShape = <A>(build: (shape: number[]) => fc.Arbitrary<A>) => anyShape.chain(build);
const tensorAndTwoDims = withShape((s) => fc.tuple(tensorOf(s), dimArb(s.length), dimArb(s.length)));

/** Shapes of gather/scatterAdd operands that fit: an index no larger than the input outside dim. */
const alongArgs = (withSrc: boolean) =>
  fuzzShapeArb({ maxRank: 4, maxNumel: 24 }).chain((shape) =>
    dimArb(shape.length).chain((dim) => {
      const d = ((dim % Math.max(shape.length, 1)) + Math.max(shape.length, 1)) % Math.max(shape.length, 1);
      const limit = shape.length === 0 ? 1 : shape[d]!;
      return fc
        .tuple(...shape.map((size, k) => (k === d ? fc.integer({ min: 0, max: 3 }) : fc.integer({ min: 0, max: size }))))
        .chain((indexShape) => {
          const args: fc.Arbitrary<unknown>[] = [
            tensorOf(shape),
            fc.constant(dim),
            intTensorOf(limit === 0 ? indexShape.map((s, k) => (k === d ? 0 : s)) : indexShape, limit),
          ];
          if (withSrc)
            args.push(
              fc.tuple(...indexShape.map((size) => fc.integer({ min: size, max: size + 1 }))).chain((srcShape) => tensorOf(srcShape)),
            );
          return fc.tuple(...args);
        });
    }),
  );

const matmulArgs = matmulSpecsArb({ grad: true }).chain(([a, b]) => fc.tuple(tensorArg(fc.constant(a)), tensorArg(fc.constant(b))));

/** 1–3 tensors whose shapes agree except along one dim (sometimes a legacy empty [0] among them). */
const joinArgs = (sameShape: boolean) =>
  fuzzShapeArb({ minRank: 0, maxRank: 4, maxNumel: 24 }).chain((shape) =>
    dimArb(shape.length + (sameShape ? 1 : 0)).chain((dim) =>
      fc.tuple(
        fc.array(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc
                .integer({ min: 0, max: 3 })
                .chain((size) =>
                  tensorOf(
                    sameShape || shape.length === 0
                      ? shape
                      : shape.map((s, k) => (k === ((dim % shape.length) + shape.length) % shape.length ? size : s)),
                  ),
                ),
            },
            { weight: 1, arbitrary: tensorOf([0]) },
          ),
          { minLength: 1, maxLength: 3 },
        ),
        fc.constant(dim),
      ),
    ),
  );

// menus of functions for the autograd API: built from exported functions, so a hostile argument
// reaches nabla rather than failing in the test's own code
const differentiable: ((...xs: Tensor[]) => Tensor)[] = [
  (x) => mul(x, x),
  (x) => sum(exp(x)),
  (x) => tanh(x),
  (x, y) => (y === undefined ? sum(x) : add(x, y)),
  (x) => x,
];
const fnArb = fc.constantFrom(...differentiable);
const float64Grad = (shapeOptions = {}) =>
  tensorArg(
    fuzzShapeArb({ maxRank: 2, maxNumel: 6, ...shapeOptions }).chain((shape) =>
      tensorSpecArb(shape, { dtypes: ["float64"], grad: true, views: false, special: false, wide: false }).map((spec) => ({
        ...spec,
        requiresGrad: true,
      })),
    ),
  );

// ---- rows ----

const unary = [
  "neg",
  "exp",
  "log",
  "sqrt",
  "abs",
  "sign",
  "tanh",
  "sigmoid",
  "relu",
  "sin",
  "cos",
  "erf",
  "square",
  "contiguous",
  "clone",
  "detach",
  "isContiguous",
  "item",
  "data",
  "toArray",
  "toString",
  "retainGrad",
] as const;
const binary = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"] as const;
const inPlaceBinary = ["add_", "sub_", "mul_", "div_", "copy_"] as const;
// biome-ignore lint/suspicious/noExplicitAny: every export by name, called with deliberately wrong arguments
const exported = nabla as unknown as Record<string, (...args: any[]) => unknown>;
/** A Tensor method by name, as a function of its receiver. */
const method =
  (name: string) =>
  (x: Tensor, ...rest: unknown[]) =>
    (x as unknown as Record<string, (...args: unknown[]) => unknown>)[name]!(...rest);

const operand = (shape: readonly number[]) => fc.oneof({ weight: 4, arbitrary: tensorOf(shape) }, { weight: 1, arbitrary: scalarArb });

const rows: Row[] = [
  ...unary.map(
    (name): Row => ({ name, args: fc.tuple(T()), call: exported[name] ?? method(name), method: name, receiver: !(name in exported) }),
  ),
  ...binary.map(
    (name): Row => ({
      name,
      args: broadcastableShapesArb(2, FUZZ_SHAPES).chain(([a, b]) => fc.tuple(operand(a!), operand(b!))),
      call: exported[name]!,
      method: name,
    }),
  ),
  {
    name: "clamp",
    args: fc.tuple(T(), fc.option(scalarArb, { nil: undefined }), fc.option(scalarArb, { nil: undefined })),
    call: exported.clamp!,
    method: "clamp",
  },
  {
    name: "where",
    args: broadcastableShapesArb(3, FUZZ_SHAPES).chain(([c, a, b]) =>
      fc.tuple(tensorOf(c!, { dtypes: ["bool", "bool", "bool", "float32", "int32"] }), operand(a!), operand(b!)),
    ),
    call: exported.where!,
    method: "where",
  },
  ...(["sum", "max", "min", "mean"] as const).map(
    (name): Row => ({
      name,
      args: withShape((s) => fc.tuple(tensorOf(s), dimsArb(s.length), fc.boolean())),
      call: exported[name]!,
      method: name,
    }),
  ),
  ...(["var", "std"] as const).map(
    (name): Row => ({
      name,
      args: withShape((s) => fc.tuple(tensorOf(s), dimsArb(s.length), fc.boolean(), fc.constantFrom(0, 1, 2, 0.5, -1, NaN))),
      call: exported[name]!,
      method: name,
    }),
  ),
  ...(["argmax", "argmin"] as const).map(
    (name): Row => ({
      name,
      args: withShape((s) => fc.tuple(tensorOf(s), fc.option(dimArb(s.length), { nil: undefined }), fc.boolean())),
      call: exported[name]!,
      method: name,
    }),
  ),
  ...(["reshape", "view"] as const).map(
    (name): Row => ({ name, args: withShape((s) => fc.tuple(tensorOf(s), reshapeTargetArb(s))), call: exported[name]!, method: name }),
  ),
  { name: "transpose", args: tensorAndTwoDims, call: exported.transpose!, method: "transpose" },
  {
    name: "permute",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s),
        fc.oneof(
          fc
            .shuffledSubarray([...s.keys()], { minLength: s.length, maxLength: s.length })
            .map((p) => p.map((d, i) => (i % 2 ? d - s.length : d))),
          fc.array(dimArb(s.length), { maxLength: s.length + 1 }),
        ),
      ),
    ),
    call: exported.permute!,
    method: "permute",
  },
  { name: "T", args: fc.tuple(T()), call: (x: Tensor) => x.T, receiver: true },
  { name: "mT", args: fc.tuple(T()), call: (x: Tensor) => x.mT, receiver: true },
  { name: "squeeze", args: withShape((s) => fc.tuple(tensorOf(s), dimsArb(s.length))), call: exported.squeeze!, method: "squeeze" },
  {
    name: "unsqueeze",
    args: withShape((s) => fc.tuple(tensorOf(s), dimArb(s.length + 1))),
    call: exported.unsqueeze!,
    method: "unsqueeze",
  },
  ...(["expand", "broadcastTo"] as const).map(
    (name): Row => ({ name, args: withShape((s) => fc.tuple(tensorOf(s), expandTargetArb(s))), call: exported[name]!, method: name }),
  ),
  {
    name: "sumTo",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s),
        fc.nat(s.length).chain((drop) => fc.constant(s.slice(drop).map((size, i) => (i % 2 ? 1 : size)))),
      ),
    ),
    call: exported.sumTo!,
  },
  { name: "flatten", args: tensorAndTwoDims, call: exported.flatten!, method: "flatten" },
  {
    name: "slice",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s),
        dimArb(s.length),
        fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
        fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined }),
        fc.integer({ min: -1, max: 3 }),
      ),
    ),
    call: exported.slice!,
    method: "slice",
  },
  {
    name: "select",
    args: withShape((s) => fc.tuple(tensorOf(s), dimArb(s.length), fc.integer({ min: -4, max: 4 }))),
    call: exported.select!,
    method: "select",
  },
  {
    name: "narrow",
    args: withShape((s) => fc.tuple(tensorOf(s), dimArb(s.length), fc.integer({ min: -4, max: 4 }), fc.integer({ min: -1, max: 4 }))),
    call: exported.narrow!,
    method: "narrow",
  },
  {
    name: "asStrided",
    args: withShape((s) =>
      fc
        .tuple(
          tensorOf(s),
          smallShapeArb,
          fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }),
          fc.option(fc.integer({ min: -1, max: 8 }), { nil: undefined }),
        )
        .map(([x, shape, strides, offset]) => [
          x,
          shape,
          strides.length >= shape.length ? strides.slice(0, shape.length) : strides,
          offset,
        ]),
    ),
    call: exported.asStrided!,
    method: "asStrided",
  },
  { name: "to", args: fc.tuple(T(), dtypeArb), call: exported.to!, method: "to" },
  { name: "matmul", args: matmulArgs, call: exported.matmul!, method: "matmul" },
  { name: "gather", args: alongArgs(false), call: exported.gather!, method: "gather" },
  { name: "scatterAdd", args: alongArgs(true), call: exported.scatterAdd!, method: "scatterAdd" },
  {
    name: "indexSelect",
    args: fuzzShapeArb({ maxRank: 4, maxNumel: 24 }).chain((s) =>
      dimArb(s.length).chain((dim) => {
        const size = s.length === 0 ? 1 : (s.at(dim % Math.max(s.length, 1)) ?? 1);
        return fc.tuple(
          tensorOf(s),
          fc.constant(dim),
          fc.integer({ min: 0, max: 4 }).chain((n) => intTensorOf(size === 0 ? [0] : [n], size)),
        );
      }),
    ),
    call: exported.indexSelect!,
    method: "indexSelect",
  },
  {
    name: "pad",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s),
        fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 2 * Math.min(s.length, 3) + 1 }),
        fc.option(
          fc.record(
            {
              mode: fc.constantFrom("constant", "reflect", "replicate", "circular", "wrap"),
              value: fc.constantFrom(0, 1.5, -Infinity, NaN),
            },
            { requiredKeys: [] },
          ),
          { nil: undefined },
        ),
      ),
    ),
    call: exported.pad!,
    method: "pad",
  },
  { name: "cat", args: joinArgs(false), call: exported.cat! },
  { name: "stack", args: joinArgs(true), call: exported.stack! },
  {
    name: "split",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s),
        fc.oneof(fc.integer({ min: -1, max: 4 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 })),
        dimArb(s.length),
      ),
    ),
    call: exported.split!,
    method: "split",
  },
  {
    name: "oneHot",
    args: withShape((s) => fc.tuple(intTensorOf(s, 5), fc.integer({ min: -2, max: 6 }))),
    call: exported.oneHot!,
    method: "oneHot",
  },
  ...inPlaceBinary.map(
    (name): Row => ({
      name,
      args: broadcastableShapesArb(2, FUZZ_SHAPES).chain(([a, b]) => fc.tuple(tensorOf(a!, { grad: false }), operand(b!))),
      call: exported[name]!,
      method: name,
      writes: true,
    }),
  ),
  { name: "fill_", args: fc.tuple(T({ grad: false }), scalarArb), call: exported.fill_!, method: "fill_", writes: true },
  { name: "zero_", args: fc.tuple(T({ grad: false })), call: exported.zero_!, method: "zero_", writes: true },
  {
    name: "requiresGrad =",
    args: fc.tuple(T({ grad: false }), fc.boolean()),
    call: (x: Tensor, value: boolean) => {
      x.requiresGrad = value;
    },
    writes: true,
    receiver: true,
  },
  {
    name: "grad =",
    args: withShape((s) => fc.tuple(tensorOf(s, { dtypes: FLOAT_DTYPES, views: false }), fc.oneof(tensorOf(s), T(), fc.constant(null)))),
    call: (x: Tensor, g: Tensor | null) => {
      x.grad = g;
    },
    writes: true,
    receiver: true,
  },
  {
    name: "backward",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s, { dtypes: FLOAT_DTYPES }),
        fc.oneof(fc.constant(undefined), tensorOf(s), scalarArb),
        fc.option(fc.record({ retainGraph: fc.boolean() }), { nil: undefined }),
      ),
    ),
    call: (x: Tensor, ...rest: unknown[]) => x.backward(...(rest as Parameters<Tensor["backward"]>)),
    writes: true,
    receiver: true,
  },
  {
    name: "registerHook",
    args: fc.tuple(
      T({ dtypes: FLOAT_DTYPES }),
      fc.constantFrom(
        (g: Tensor) => g,
        () => undefined,
      ),
    ),
    call: method("registerHook"),
    receiver: true,
  },
  { name: "promoteTypes", args: fc.tuple(dtypeArb, dtypeArb), call: exported.promoteTypes! },
  { name: "resultType", args: fc.tuple(fc.array(fc.oneof(T(), scalarArb), { maxLength: 3 })), call: exported.resultType! },
  { name: "formatShape", args: fc.tuple(smallShapeArb), call: exported.formatShape! },
  { name: "broadcastShapes", args: fc.tuple(fc.constant("fuzz"), smallShapeArb, smallShapeArb), call: exported.broadcastShapes! },
  {
    name: "normalizeDim",
    args: fc.tuple(fc.constant("fuzz"), fc.integer({ min: -4, max: 4 }), fc.integer({ min: 0, max: 3 })),
    call: exported.normalizeDim!,
  },
  {
    name: "normalizeDims",
    args: fc.tuple(fc.constant("fuzz"), fc.array(fc.integer({ min: -4, max: 4 }), { maxLength: 3 }), fc.integer({ min: 0, max: 3 })),
    call: exported.normalizeDims!,
  },
  // setters of global state: each call puts the state back, so the other rows run as before
  ...(
    [
      ["setDefaultDevice", nabla.getDefaultDevice, nabla.setDefaultDevice, ["cpu", "webgpu", "gpu"]],
      ["setKernelPreference", nabla.getKernelPreference, nabla.setKernelPreference, ["js", "auto", "wasm", "simd"]],
    ] as const
  ).map(
    ([name, get, set, values]): Row => ({
      name,
      args: fc.tuple(fc.constantFrom(...values)),
      call: (value: never) => {
        const before = get();
        try {
          set(value);
          return get();
        } finally {
          set(before as never);
        }
      },
    }),
  ),
  { name: "getDefaultDevice", args: fc.constant([]), call: nabla.getDefaultDevice },
  { name: "getKernelPreference", args: fc.constant([]), call: nabla.getKernelPreference },
  { name: "noGrad", args: fc.tuple(fnArb.map((f) => () => f(nabla.ones([2])))), call: noGrad },
  { name: "enableGrad", args: fc.tuple(fnArb.map((f) => () => f(nabla.ones([2])))), call: enableGrad },
  { name: "isGradEnabled", args: fc.constant([]), call: exported.isGradEnabled! },
  { name: "registeredOps", args: fc.constant([]), call: exported.registeredOps! },
  {
    name: "detectAnomaly",
    args: fc.tuple(T({ dtypes: FLOAT_DTYPES }), fnArb),
    call: (x: Tensor, f: (x: Tensor) => Tensor) => detectAnomaly(typeof f === "function" ? () => f(x) : (f as never)),
  },
  {
    name: "autogradGrad",
    args: fc.tuple(
      float64Grad(),
      fnArb,
      fc.option(fc.record({ createGraph: fc.boolean(), allowUnused: fc.boolean(), retainGraph: fc.boolean() }), { nil: undefined }),
    ),
    call: (x: Tensor, f: (x: Tensor) => Tensor, options: object) => autogradGrad(typeof f === "function" ? f(x) : f, x, options),
  },
  {
    name: "grad",
    args: fc.tuple(fnArb, fc.option(fc.record({ argnums: fc.constantFrom(0, [0], 1, -1) }), { nil: undefined }), float64Grad()),
    call: (f: never, o: never, x: Tensor) => grad(f, o)(x),
  },
  {
    name: "valueAndGrad",
    args: fc.tuple(fnArb, fc.option(fc.record({ argnums: fc.constantFrom(0, [0], 1) }), { nil: undefined }), float64Grad()),
    call: (f: never, o: never, x: Tensor) => valueAndGrad(f, o)(x),
  },
  {
    name: "vjp",
    args: fc.tuple(fnArb, fc.array(float64Grad(), { minLength: 1, maxLength: 2 }), fc.option(float64Grad(), { nil: undefined })),
    call: vjp,
  },
  {
    name: "jvp",
    args: fc.tuple(fnArb, fc.array(float64Grad(), { minLength: 1, maxLength: 2 }), fc.array(float64Grad(), { minLength: 1, maxLength: 2 })),
    call: jvp,
  },
  { name: "jacobian", args: fc.tuple(fnArb, float64Grad()), call: jacobian },
  { name: "hessian", args: fc.tuple(fnArb, float64Grad()), call: hessian },
  {
    name: "gradcheck",
    args: fc.tuple(
      fnArb,
      fc.array(float64Grad(), { minLength: 1, maxLength: 2 }),
      fc.option(fc.record({ eps: fc.constantFrom(1e-6, 0, -1), throwOnFailure: fc.boolean() }), { nil: undefined }),
    ),
    call: gradcheck,
  },
  { name: "gradgradcheck", args: fc.tuple(fnArb, fc.array(float64Grad(), { minLength: 1, maxLength: 1 })), call: gradgradcheck },
  {
    name: "toDot",
    args: fc.tuple(
      T({ dtypes: FLOAT_DTYPES }),
      fc.option(fc.record({ values: fc.boolean(), grads: fc.boolean(), maxElements: fc.integer({ min: -1, max: 8 }) }), { nil: undefined }),
    ),
    call: toDot,
  },
  {
    name: "traceBackward",
    args: fc.tuple(
      T({ dtypes: FLOAT_DTYPES }),
      fc.option(fc.record({ maxElements: fc.integer({ min: -1, max: 8 }), retainGraph: fc.boolean() }), { nil: undefined }),
    ),
    call: traceBackward,
    writes: true,
  },
  {
    name: "defineOp",
    args: fc.tuple(
      fc.record({
        name: fc.constantFrom("fuzzOp", ""),
        forward: fc.constantFrom(
          (_ctx: unknown, x: Tensor) => mul(x, 2),
          (_ctx: unknown, x: Tensor) => x,
          () => 5,
          () => null,
          (_ctx: unknown, x: Tensor) => nabla.to(x, "int32"),
        ),
        backward: fc.constantFrom(
          (_ctx: unknown, g: Tensor) => [g],
          () => [],
          (_ctx: unknown, g: Tensor) => [nabla.sum(g)],
          () => null,
          () => [5],
          (_ctx: unknown, g: Tensor) => [nabla.to(g, "int32")],
          (_ctx: unknown, g: Tensor) => [g, g],
        ),
      }),
      T({ dtypes: FLOAT_DTYPES }),
    ),
    call: (definition: never, x: Tensor) => defineOp(definition)(x),
  },
  {
    name: "isTensor",
    args: fc.tuple(
      fc.oneof(T(), fc.constantFrom<unknown>([1, 2], { shape: [2] }, null)),
      fc.option(fc.constant("fuzz"), { nil: undefined }),
    ),
    call: exported.isTensor!,
  },
];

describeRows("@nabla/tensor", rows, RUNS);

describe("coverage", () => {
  it("every exported function has a row here or in creation.test.ts", () => {
    const covered = new Set([...rows.map((r) => r.name), ...CREATION, ...TYPES_AND_CLASSES]);
    const missing = Object.keys(nabla).filter((name) => typeof exported[name] === "function" && !covered.has(name));
    if (missing.length > 0) throw new Error(`no fuzz row for ${missing.join(", ")}`);
  });
});

/** Fuzzed in a separate process with a time limit (creation.test.ts). */
const CREATION = [
  "tensor",
  "zeros",
  "ones",
  "full",
  "zerosLike",
  "onesLike",
  "arange",
  "linspace",
  "eye",
  "rand",
  "randn",
  "randint",
  "randperm",
  "manualSeed",
  "Generator",
];
/** Classes users do not call directly. */
const TYPES_AND_CLASSES = ["Tensor", "Storage", "NablaError", "BackwardTrace"];

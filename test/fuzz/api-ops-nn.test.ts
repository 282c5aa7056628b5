import fc from "fast-check";
import { describe, it } from "vitest";
import * as ops from "@nabla/ops";
import * as nn from "@nabla/nn";
import type { SoftplusOptions, Tensor } from "@nabla/tensor";
import { CONV_LAYERS } from "../support/conv-layers";
import { builtArg, describeRows, tensorArg, type Row } from "../support/fuzz-calls";
import type { ShapeOptions } from "../support/arbitraries";
import {
  FLOAT_DTYPES,
  anyTensorSpecArb,
  fuzzShapeArb,
  tensorSpecArb,
  toProbabilities,
  type TensorSpec,
  type TensorSpecOptions,
} from "../support/fuzz-tensors";

// The functions of @nabla/ops and the modules, optimizers, schedulers, init and data helpers of
// @nabla/nn with random arguments, mostly well typed and fitting, sometimes hostile (see
// support/fuzz-calls.ts). Their values are checked in ops-nn.test.ts; safetensors and CSV
// parsing in safetensors.test.ts and csv.test.ts.

const RUNS = 30;

const T = (options: TensorSpecOptions & { shape?: ShapeOptions } = {}) => tensorArg(anyTensorSpecArb({ grad: true, ...options }));
const tensorOf = (shape: readonly number[], options: TensorSpecOptions = {}) => tensorArg(tensorSpecArb(shape, { grad: true, ...options }));
const dimArb = (rank: number) => fc.integer({ min: -Math.max(rank, 1) - 1, max: Math.max(rank, 1) });
const withShape = <A>(build: (shape: number[]) => fc.Arbitrary<A>) => fuzzShapeArb().chain(build);

/** Class-index targets (int32 in [0, C), some ignored) or probabilities, for an input of `shape`. */
function targetArb(shape: readonly number[]) {
  const classes = shape.length === 1 ? shape[0]! : (shape[1] ?? 0);
  const targetShape = shape.length === 1 ? [] : [shape[0]!, ...shape.slice(2)];
  const indices = tensorArg(
    tensorSpecArb(targetShape, { dtypes: ["int32"], wide: false }).map((spec) => ({
      ...spec,
      values: spec.values.map((v) => (v === -4 ? -100 : classes > 0 ? ((v % classes) + classes) % classes : v)),
    })),
  );
  return fc.oneof({ weight: 3, arbitrary: indices }, { weight: 1, arbitrary: tensorOf(shape, { dtypes: FLOAT_DTYPES, special: false }) });
}

const lossOptions = (classes: number) =>
  fc.option(
    fc.record(
      {
        weight: fc.oneof(
          tensorOf([classes], { dtypes: FLOAT_DTYPES, special: false, grad: false }),
          fc.array(fc.double({ min: 0, max: 2, noNaN: true }), { minLength: classes, maxLength: classes }),
        ),
        ignoreIndex: fc.constantFrom(-100, 0, 1),
        reduction: fc.constantFrom("mean", "sum", "none"),
        labelSmoothing: fc.constantFrom(0, 0.1, 1),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  );

const recurrentLayers = { RNN: nn.RNN, LSTM: nn.LSTM, GRU: nn.GRU };

/** Sizes of a recurrent layer's input: zero sizes included, and sometimes unbatched. */
const recurrentSizesArb = fc.record({
  inputSize: fc.integer({ min: 0, max: 3 }),
  hiddenSize: fc.integer({ min: 0, max: 3 }),
  steps: fc.integer({ min: 0, max: 3 }),
  batch: fc.integer({ min: 0, max: 2 }),
  unbatched: fc.boolean(),
});

const lossArgs = fuzzShapeArb({ minRank: 1, maxRank: 4, maxNumel: 24 }).chain((shape) =>
  fc.tuple(
    tensorOf(shape, { dtypes: ["float32", "float64", "float32", "int32"] }),
    targetArb(shape),
    lossOptions(shape.length === 1 ? shape[0]! : shape[1]!),
  ),
);

/** Probabilities in [0, 1] (most of the time: NaN and infinities stay), for binaryCrossEntropy's input. */
const probabilitiesOf = (shape: readonly number[], options: TensorSpecOptions) =>
  tensorArg(tensorSpecArb(shape, { grad: true, ...options }).map(toProbabilities));

/** A weight for the elementwise losses: one per position of the last dim, or of the whole shape, or absent. */
const elementWeightArb = (shape: readonly number[]) =>
  fc.option(
    fc.oneof(tensorOf(shape.slice(-1), { dtypes: FLOAT_DTYPES, grad: false }), tensorOf(shape, { dtypes: FLOAT_DTYPES, grad: false })),
    { nil: undefined },
  );

/** Options of every elementwise loss at once: each function takes the ones it knows (and the scan checks their types). */
const elementLossOptions = (shape: readonly number[]) =>
  fc.option(
    fc.record(
      {
        reduction: fc.constantFrom("mean", "sum", "none", "batchmean"),
        beta: fc.constantFrom(0, 0.5, 1, -1, NaN),
        delta: fc.constantFrom(0.5, 1, 0, -1),
        weight: elementWeightArb(shape),
        posWeight: elementWeightArb(shape),
        logTarget: fc.boolean(),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  );

/**
 * An input, a target (of the same shape and a float dtype mostly; another shape or dtype now and
 * then) and options, for the elementwise losses and their modules.
 */
const elementLossArgs = (input: (shape: readonly number[], options: TensorSpecOptions) => fc.Arbitrary<unknown>) =>
  fuzzShapeArb().chain((shape) =>
    fc.tuple(
      input(shape, { dtypes: ["float32", "float64", "float32", "int32"] }),
      fc.oneof({ weight: 4, arbitrary: tensorOf(shape, { dtypes: FLOAT_DTYPES }) }, { weight: 1, arbitrary: T() }),
      elementLossOptions(shape),
    ),
  );

/** Each elementwise loss module with the function whose arguments it takes. */
const ELEMENT_LOSS_MODULES = [
  ["MSELoss", nn.MSELoss, "mseLoss"],
  ["L1Loss", nn.L1Loss, "l1Loss"],
  ["SmoothL1Loss", nn.SmoothL1Loss, "smoothL1Loss"],
  ["HuberLoss", nn.HuberLoss, "huberLoss"],
  ["BCELoss", nn.BCELoss, "binaryCrossEntropy"],
  ["BCEWithLogitsLoss", nn.BCEWithLogitsLoss, "binaryCrossEntropyWithLogits"],
  ["KLDivLoss", nn.KLDivLoss, "klDiv"],
] as const;
const ELEMENT_LOSSES = ELEMENT_LOSS_MODULES.map(([, , name]) => name);
const argsOfLoss = (name: (typeof ELEMENT_LOSSES)[number]) => elementLossArgs(name === "binaryCrossEntropy" ? probabilitiesOf : tensorOf);

// ---- modules, optimizers ----

type LayerDescription =
  | { kind: "Linear"; inFeatures: number; outFeatures: number; bias: boolean; dtype: "float32" | "float64" }
  | { kind: "ReLU" | "Tanh" | "Sigmoid" | "GELU" | "GELU tanh" | "Dropout" | "Flatten" };

function buildLayer(d: LayerDescription): nn.Module {
  switch (d.kind) {
    case "Linear":
      return new nn.Linear(d.inFeatures, d.outFeatures, { bias: d.bias, dtype: d.dtype });
    case "ReLU":
      return new nn.ReLU();
    case "Tanh":
      return new nn.Tanh();
    case "Sigmoid":
      return new nn.Sigmoid();
    case "GELU":
      return new nn.GELU();
    case "GELU tanh":
      return new nn.GELU({ approximate: "tanh" });
    case "Dropout":
      return new nn.Dropout(0.5).eval();
    case "Flatten":
      return new nn.Flatten();
  }
}

const linearDescription = (inFeatures: number, outFeatures: number, dtype: "float32" | "float64") =>
  fc.record({
    kind: fc.constant("Linear" as const),
    inFeatures: fc.constant(inFeatures),
    outFeatures: fc.constant(outFeatures),
    bias: fc.boolean(),
    dtype: fc.constant(dtype),
  });
const activationDescription = fc.record({
  kind: fc.constantFrom("ReLU" as const, "Tanh" as const, "Sigmoid" as const, "GELU" as const, "GELU tanh" as const, "Dropout" as const),
});

/** A Sequential of Linear layers with activations between, and an input that fits it. */
const sequentialArgs = fc
  .record({
    sizes: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2, maxLength: 4 }),
    dtype: fc.constantFrom("float32" as const, "float64" as const),
    batch: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
  })
  .chain(({ sizes, dtype, batch }) =>
    fc.tuple(
      builtArg(
        "Sequential",
        fc.tuple(...sizes.slice(1).flatMap((out, i) => [linearDescription(sizes[i]!, out, dtype), activationDescription])),
        (layers) => new nn.Sequential(...(layers as LayerDescription[]).map(buildLayer)),
      ),
      tensorOf([...batch, sizes[0]!], { dtypes: [dtype, dtype, dtype, "int32"] }),
    ),
  );

/** A Sequential's layers under the keys "0", "1", …, for a ModuleDict. */
const layerRecord = (model: nn.Sequential) => Object.fromEntries(model.layers.map((layer, i) => [String(i), layer]));

/** A container of a Sequential's layers names its state as the Sequential does, and prints the same children. */
function sameStateKeys(model: nn.Sequential, build: (model: nn.Sequential) => nn.Module): string[] {
  const container = build(model);
  const problems: string[] = [];
  const expected = Object.keys(model.stateDict()).join(", ");
  const got = Object.keys(container.stateDict()).join(", ");
  if (got !== expected) problems.push(`state keys [${got}], expected [${expected}]`);
  const body = (module: nn.Module) => module.toString().split("\n").slice(1).join("\n");
  if (body(container) !== body(model)) problems.push(`prints ${container.toString()}, the Sequential ${model.toString()}`);
  return problems;
}

/** 1–3 floating leaf parameters of small shapes (0-d and empty included). */
const paramsArb = fc.array(
  fuzzShapeArb({ maxRank: 3, maxNumel: 12 }).chain((shape) =>
    tensorArg(
      tensorSpecArb(shape, { dtypes: FLOAT_DTYPES, views: false, special: false }).map((s): TensorSpec => ({ ...s, requiresGrad: true })),
    ),
  ),
  { minLength: 1, maxLength: 3 },
);
const gradsFor = (count: number) =>
  fc.array(fc.oneof({ weight: 4, arbitrary: T({ dtypes: FLOAT_DTYPES, grad: false }) }, { weight: 1, arbitrary: fc.constant(null) }), {
    minLength: count,
    maxLength: count,
  });
const optimizers = {
  SGD: nn.optim.SGD,
  Adam: nn.optim.Adam,
  AdamW: nn.optim.AdamW,
  RMSprop: nn.optim.RMSprop,
  Adagrad: nn.optim.Adagrad,
} as const;
const hyperparameters = fc.record(
  {
    lr: fc.constantFrom(0.1, 0.01, 0, -1, NaN),
    momentum: fc.constantFrom(0, 0.9),
    nesterov: fc.boolean(),
    weightDecay: fc.constantFrom(0, 0.1),
    betas: fc.constantFrom([0.9, 0.999], [0.5, 1], [0]),
    amsgrad: fc.boolean(),
    eps: fc.constantFrom(1e-8, 0),
    alpha: fc.constantFrom(0.99, 0, -1),
    centered: fc.boolean(),
    lrDecay: fc.constantFrom(0, 0.1, -1),
    initialAccumulatorValue: fc.constantFrom(0, 0.1, -1),
  },
  { requiredKeys: ["lr"] },
);

/** Assigns grads to params (when both are lists), as a training loop's backward would. */
function assignGrads(params: unknown, grads: unknown): void {
  if (!Array.isArray(params) || !Array.isArray(grads)) return;
  params.forEach((p: Tensor, i) => {
    if (p !== null && typeof p === "object") p.grad = grads[i] ?? null;
  });
}

const optimizerRows: Row[] = Object.entries(optimizers).flatMap(([name, Optimizer]): Row[] => [
  {
    name: `${name}.step`,
    args: paramsArb.chain((params) =>
      fc.tuple(fc.constant(params), hyperparameters, gradsFor(params.length), fc.integer({ min: 1, max: 3 })),
    ),
    prepare: (params: unknown, _options: unknown, grads: unknown) => assignGrads(params, grads),
    call: (params: Tensor[], options: never, _grads: unknown, steps: unknown) => {
      const optimizer = new Optimizer(params, options);
      // (the step count is the test's own loop: a hostile value there means one step)
      for (let i = 0; i < (Number.isInteger(steps) ? (steps as number) : 1); i++) optimizer.step();
      return optimizer.stateDict();
    },
    writes: true,
  },
  {
    name: `${name}.loadStateDict`,
    args: paramsArb.chain((params) =>
      fc.tuple(
        fc.constant(params),
        fc.record({ state: fc.constant({}), paramGroups: fc.constant([{ lr: 0.1, params: params.map((_, i) => i) }]) }),
      ),
    ),
    call: (params: Tensor[], stateDict: never) => new Optimizer(params, { lr: 0.1 }).loadStateDict(stateDict),
    writes: true,
  },
]);

/** Gradient clipping over parameters with random gradients (some null), by norm and by value. */
const clipRows: Row[] = [
  {
    name: "utils.clipGradNorm_",
    args: paramsArb.chain((params) =>
      fc.tuple(
        fc.constant(params),
        fc.constantFrom(1, 0.01, 0, 100, -1, NaN),
        fc.record({ normType: fc.constantFrom(2, 1, 3, Infinity, 0, -1), errorIfNonfinite: fc.boolean() }, { requiredKeys: [] }),
        gradsFor(params.length),
      ),
    ),
    prepare: (params: unknown, _maxNorm: unknown, _options: unknown, grads: unknown) => assignGrads(params, grads),
    call: (params: never, maxNorm: never, options: never) => nn.utils.clipGradNorm_(params, maxNorm, options),
    writes: true,
  },
  {
    name: "utils.clipGradValue_",
    args: paramsArb.chain((params) => fc.tuple(fc.constant(params), fc.constantFrom(1, 0.5, 0, -1, NaN), gradsFor(params.length))),
    prepare: (params: unknown, _clipValue: unknown, grads: unknown) => assignGrads(params, grads),
    call: (params: never, clipValue: never) => nn.utils.clipGradValue_(params, clipValue),
    writes: true,
  },
];

const schedulerRows: Row[] = [
  {
    name: "StepLR",
    args: fc.tuple(paramsArb, fc.record({ stepSize: fc.integer({ min: -1, max: 3 }), gamma: fc.constantFrom(0.1, 0, -1, NaN) })),
    call: (params: Tensor[], options: never) => new nn.optim.StepLR(new nn.optim.SGD(params, { lr: 0.1 }), options).step(),
  },
  {
    name: "CosineAnnealingLR",
    args: fc.tuple(
      paramsArb,
      fc.record({ tMax: fc.integer({ min: -1, max: 3 }), etaMin: fc.constantFrom(0, 0.01, -1, NaN) }, { requiredKeys: ["tMax"] }),
    ),
    call: (params: Tensor[], options: never) => new nn.optim.CosineAnnealingLR(new nn.optim.SGD(params, { lr: 0.1 }), options).step(),
  },
  ...newSchedulerRows(),
];

/** Steps a scheduler `steps` times (a hostile count means one) and returns its state dict. */
function stepped(scheduler: { step(metric: number): void; stateDict(): unknown }, steps: unknown, metric: (i: number) => number = () => 0) {
  for (let i = 0; i < (Number.isInteger(steps) ? Math.min(steps as number, 40) : 1); i++) scheduler.step(metric(i));
  return scheduler.stateDict();
}

/** Rows for LinearLR, ExponentialLR, MultiStepLR, LambdaLR, OneCycleLR, CosineAnnealingWarmRestarts, SequentialLR, ReduceLROnPlateau. */
function newSchedulerRows(): Row[] {
  const { optim } = nn;
  const sgd = (params: Tensor[]) => new optim.SGD(params, { lr: 0.1, momentum: 0.9 });
  const steps = fc.integer({ min: 0, max: 25 });
  const factor = fc.constantFrom(0.1, 0.5, 1, 0, -1, 2, NaN);
  const row = (
    name: string,
    options: fc.Arbitrary<unknown>,
    make: (optimizer: nn.optim.Optimizer, options: never) => { step(): void; stateDict(): unknown },
  ): Row => ({
    name,
    args: fc.tuple(paramsArb, options, steps),
    call: (params: Tensor[], opts: never, n: unknown) => stepped(make(sgd(params), opts), n),
  });
  return [
    row(
      "LinearLR",
      fc.record({ startFactor: factor, endFactor: factor, totalIters: fc.integer({ min: -1, max: 6 }) }, { requiredKeys: [] }),
      (o, opts) => new optim.LinearLR(o, opts),
    ),
    row("ExponentialLR", fc.record({ gamma: factor }), (o, opts) => new optim.ExponentialLR(o, opts)),
    row(
      "MultiStepLR",
      fc.record(
        { milestones: fc.array(fc.integer({ min: -1, max: 8 }), { maxLength: 3 }), gamma: factor },
        { requiredKeys: ["milestones"] },
      ),
      (o, opts) => new optim.MultiStepLR(o, opts),
    ),
    row(
      "LambdaLR",
      fc.record({
        lrLambda: fc.constantFrom(
          (e: number) => 0.9 ** e,
          (e: number) => (e > 3 ? NaN : 1),
          [(e: number) => e],
        ),
      }),
      (o, opts) => new optim.LambdaLR(o, opts),
    ),
    row(
      "OneCycleLR",
      fc.record(
        {
          maxLr: fc.constantFrom(1, 0.1, [0.1], 0, -1),
          totalSteps: fc.integer({ min: -1, max: 12 }),
          epochs: fc.integer({ min: 0, max: 3 }),
          stepsPerEpoch: fc.integer({ min: 0, max: 4 }),
          pctStart: fc.constantFrom(0.3, 0, 0.5, 1, 1.5),
          annealStrategy: fc.constantFrom("cos", "linear", "exp"),
          cycleMomentum: fc.boolean(),
          baseMomentum: fc.constantFrom(0.85, 1),
          maxMomentum: fc.constantFrom(0.95, -1),
          divFactor: fc.constantFrom(25, 0),
          finalDivFactor: fc.constantFrom(1e4, 1),
          threePhase: fc.boolean(),
        },
        { requiredKeys: ["maxLr"] },
      ),
      (o, opts) => new optim.OneCycleLR(o, opts),
    ),
    row(
      "CosineAnnealingWarmRestarts",
      fc.record(
        { t0: fc.integer({ min: -1, max: 4 }), tMult: fc.integer({ min: 0, max: 3 }), etaMin: fc.constantFrom(0, 0.01, NaN) },
        { requiredKeys: ["t0"] },
      ),
      (o, opts) => new optim.CosineAnnealingWarmRestarts(o, opts),
    ),
    row(
      "SequentialLR",
      fc.record({ milestones: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }), count: fc.integer({ min: 0, max: 3 }) }),
      (o, { milestones, count }: { milestones: number[]; count: number }) => {
        const schedulers = Array.from({ length: Number.isInteger(count) ? Math.min(count, 3) : 1 }, (_, i) =>
          i % 2 === 0 ? new optim.ExponentialLR(o, { gamma: 0.9 }) : new optim.CosineAnnealingWarmRestarts(o, { t0: 2 }),
        );
        return new optim.SequentialLR(o, { schedulers, milestones });
      },
    ),
    {
      name: "ReduceLROnPlateau",
      args: fc.tuple(
        paramsArb,
        fc.record(
          {
            mode: fc.constantFrom("min", "max", "mid"),
            factor,
            patience: fc.integer({ min: -1, max: 3 }),
            threshold: fc.constantFrom(1e-4, 0.1, -1),
            thresholdMode: fc.constantFrom("rel", "abs", "x"),
            cooldown: fc.integer({ min: -1, max: 2 }),
            minLr: fc.constantFrom(0, 0.01, [0.01], -1),
            eps: fc.constantFrom(1e-8, 0, NaN),
          },
          { requiredKeys: [] },
        ),
        fc.array(fc.constantFrom(1, 0.5, 2, NaN, Infinity), { maxLength: 12 }),
      ),
      call: (params: Tensor[], options: never, metrics: number[]) =>
        stepped(new optim.ReduceLROnPlateau(sgd(params), options), Array.isArray(metrics) ? metrics.length : 1, (i) => metrics?.[i] ?? 1),
    },
    {
      name: "ReduceLROnPlateau.loadStateDict",
      args: fc.tuple(paramsArb, fc.record({ best: fc.constantFrom(1, Infinity, "x"), patience: fc.integer({ min: -1, max: 2 }) })),
      call: (params: Tensor[], patch: object) => {
        const scheduler = new optim.ReduceLROnPlateau(sgd(params));
        scheduler.loadStateDict({ ...scheduler.stateDict(), ...patch });
        return scheduler.stateDict();
      },
    },
  ];
}

const initRows: Row[] = [
  ...(["uniform_", "normal_"] as const).map(
    (name): Row => ({
      name: `init.${name}`,
      args: fc.tuple(T({ grad: false }), fc.constantFrom(0, -1, 2, NaN), fc.constantFrom(1, 0, -1, Infinity)),
      call: nn.init[name],
      writes: true,
    }),
  ),
  ...(["zeros_", "ones_"] as const).map(
    (name): Row => ({ name: `init.${name}`, args: fc.tuple(T({ grad: false })), call: nn.init[name], writes: true }),
  ),
  ...(["xavierUniform_", "xavierNormal_"] as const).map(
    (name): Row => ({
      name: `init.${name}`,
      args: fc.tuple(T({ grad: false }), fc.option(fc.record({ gain: fc.constantFrom(1, 0, -1, NaN) }), { nil: undefined })),
      call: nn.init[name],
      writes: true,
    }),
  ),
  ...(["kaimingUniform_", "kaimingNormal_"] as const).map(
    (name): Row => ({
      name: `init.${name}`,
      args: fc.tuple(
        T({ grad: false }),
        fc.option(
          fc.record(
            {
              a: fc.constantFrom(0, Math.sqrt(5), -1),
              mode: fc.constantFrom("fanIn", "fanOut", "fan_in"),
              nonlinearity: fc.constantFrom("relu", "leakyRelu", "tanh", "selu", "nope"),
            },
            { requiredKeys: [] },
          ),
          { nil: undefined },
        ),
      ),
      call: nn.init[name],
      writes: true,
    }),
  ),
  {
    name: "init.calculateGain",
    args: fc.tuple(
      fc.constantFrom("linear", "relu", "leakyRelu", "tanh", "sigmoid", "selu", "conv2d", "nope"),
      fc.option(fc.constantFrom(0.01, -1, NaN), { nil: undefined }),
    ),
    call: nn.init.calculateGain,
  },
  { name: "init.calculateFanInAndFanOut", args: fc.tuple(T()), call: nn.init.calculateFanInAndFanOut },
];

/** A Linear layer's sizes and dtype, and the batch dims of its input. */
const linearSizesArb = fc.record({
  inFeatures: fc.integer({ min: 0, max: 4 }),
  outFeatures: fc.integer({ min: 0, max: 4 }),
  batch: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
  dtype: fc.constantFrom("float32" as const, "float64" as const),
});

// the functions of the namespaces by name, for rows made from lists of names
// batch dims (broadcasting), query and key lengths, feature sizes; zero sizes included
const attentionSizesArb = fc.record({
  batch: fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
  L: fc.integer({ min: 0, max: 3 }),
  S: fc.integer({ min: 0, max: 3 }),
  E: fc.integer({ min: 1, max: 3 }),
  Ev: fc.integer({ min: 1, max: 2 }),
});
const moduleSizesArb = fc.record({
  heads: fc.integer({ min: 1, max: 2 }),
  headDim: fc.integer({ min: 1, max: 2 }),
  L: fc.integer({ min: 1, max: 3 }),
  S: fc.integer({ min: 1, max: 3 }),
  N: fc.integer({ min: 0, max: 2 }),
  batchFirst: fc.boolean(),
});
const opsByName = { ...ops };
const layersByName = {
  ReLU: nn.ReLU,
  Tanh: nn.Tanh,
  Sigmoid: nn.Sigmoid,
  GELU: nn.GELU,
  SiLU: nn.SiLU,
  Softmax: nn.Softmax,
  LogSoftmax: nn.LogSoftmax,
};

// ---- convolution and pooling ----

/** A size option: an integer for every spatial dim, a list of them, or a string (for padding). */
const sizeOption = (spatial: number, min: number, max: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min, max }) },
    { weight: 2, arbitrary: fc.array(fc.integer({ min, max }), { minLength: spatial, maxLength: spatial }) },
    { weight: 1, arbitrary: fc.constantFrom("same", "valid", -1) },
  );

/** Convolution options, mostly valid: stride, padding, dilation, groups (and outputPadding for the transposed ones). */
const convOptions = (spatial: number, groups: number) =>
  fc.option(
    fc.record(
      {
        stride: sizeOption(spatial, 1, 2),
        padding: sizeOption(spatial, 0, 2),
        dilation: sizeOption(spatial, 1, 2),
        groups: fc.constantFrom(groups, groups, 1, 0),
        outputPadding: sizeOption(spatial, 0, 1),
      },
      { requiredKeys: [] },
    ),
    { nil: undefined },
  );

/** A convolution's sizes: input batch (or none) and spatial sizes, channels, groups and kernel. */
const convSizes = (spatial: number) =>
  fc.record({
    batch: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
    groups: fc.integer({ min: 1, max: 2 }),
    perGroupIn: fc.integer({ min: 1, max: 2 }),
    perGroupOut: fc.integer({ min: 0, max: 2 }),
    sizes: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: spatial, maxLength: spatial }),
    kernel: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: spatial, maxLength: spatial }),
    dtype: fc.constantFrom("float32" as const, "float64" as const),
  });
type ConvSizes = ReturnType<typeof convSizes> extends fc.Arbitrary<infer S> ? S : never;

/** An input of the sizes, mostly of their dtype. */
const convInput = ({ batch, groups, perGroupIn, sizes, dtype }: ConvSizes) =>
  tensorOf([...(batch === undefined ? [] : [batch]), groups * perGroupIn, ...sizes], { dtypes: [dtype, dtype, dtype, "int32"] });

/** An input, a weight that mostly fits it, a bias or not, and options. */
const convArgs = (spatial: number, transposed: boolean) =>
  convSizes(spatial).chain((c) => {
    const inChannels = c.groups * c.perGroupIn;
    const outChannels = c.groups * c.perGroupOut;
    const weight = transposed ? [inChannels, c.perGroupOut, ...c.kernel] : [outChannels, c.perGroupIn, ...c.kernel];
    return fc.tuple(
      convInput(c),
      tensorOf(weight, { dtypes: [c.dtype] }),
      fc.option(tensorOf([outChannels], { dtypes: [c.dtype] }), { nil: null }),
      convOptions(spatial, c.groups),
    );
  });

/** A conv layer's constructor arguments (options with bias, dtype and padding mode), and an input that mostly fits it. */
const convLayerArgs = (spatial: number, transposed: boolean) =>
  convSizes(spatial).chain((c) =>
    fc.tuple(
      fc.constant(c.groups * c.perGroupIn),
      fc.constant(c.groups * c.perGroupOut),
      fc.constant(c.kernel),
      convOptions(spatial, c.groups).chain((options) =>
        fc.record({
          ...Object.fromEntries(Object.entries(options ?? {}).map(([key, value]) => [key, fc.constant(value)])),
          bias: fc.boolean(),
          dtype: fc.constant(c.dtype),
          ...(transposed ? {} : { paddingMode: fc.constantFrom("zeros", "reflect", "replicate", "circular") }),
        }),
      ),
      convInput(c),
    ),
  );

/** A pooling input [N?, C, ...spatial], a kernel size and options. */
const poolArgs = (spatial: number) =>
  fc
    .record({
      batch: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      channels: fc.integer({ min: 0, max: 2 }),
      sizes: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: spatial, maxLength: spatial }),
    })
    .chain(({ batch, channels, sizes }) =>
      fc.tuple(
        tensorOf([...(batch === undefined ? [] : [batch]), channels, ...sizes], { dtypes: ["float32", "float64", "float32", "int32"] }),
        sizeOption(spatial, 1, 3),
        fc.option(
          fc.record(
            {
              stride: sizeOption(spatial, 1, 3),
              padding: sizeOption(spatial, 0, 2),
              dilation: sizeOption(spatial, 1, 2),
              countIncludePad: fc.boolean(),
              ceilMode: fc.boolean(),
            },
            { requiredKeys: [] },
          ),
          { nil: undefined },
        ),
      ),
    );

/** An adaptive pooling input and an output size (null keeps a dim, in 2-d). */
const adaptiveArgs = (spatial: number) =>
  fc
    .record({
      batch: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
      sizes: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: spatial, maxLength: spatial }),
    })
    .chain(({ batch, sizes }) =>
      fc.tuple(
        tensorOf([...(batch === undefined ? [] : [batch]), 2, ...sizes], { dtypes: ["float32", "float64", "float32", "int32"] }),
        fc.oneof(
          fc.integer({ min: 0, max: 4 }),
          fc.array(fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constant(null)), { minLength: spatial, maxLength: spatial }),
        ),
      ),
    );

const convolutionRows: Row[] = [
  ...(["conv1d", "conv2d", "convTranspose1d", "convTranspose2d"] as const).map(
    (name): Row => ({
      name,
      args: convArgs(name.endsWith("1d") ? 1 : 2, name.startsWith("convTranspose")),
      call: opsByName[name],
      method: name,
    }),
  ),
  {
    name: "unfold",
    args: poolArgs(2).map(([x, kernel, options]) => [x, kernel, options === undefined ? undefined : { ...options, ceilMode: undefined }]),
    call: ops.unfold,
    method: "unfold",
  },
  ...(["maxPool1d", "maxPool2d", "avgPool1d", "avgPool2d"] as const).map(
    (name): Row => ({ name, args: poolArgs(name.endsWith("1d") ? 1 : 2), call: opsByName[name], method: name }),
  ),
  ...(["adaptiveAvgPool1d", "adaptiveAvgPool2d"] as const).map(
    (name): Row => ({ name, args: adaptiveArgs(name.endsWith("1d") ? 1 : 2), call: opsByName[name], method: name }),
  ),
  ...(["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d"] as const).map(
    (name): Row => ({
      name,
      args: convLayerArgs(name.endsWith("1d") ? 1 : 2, name.startsWith("ConvTranspose")),
      call: (inChannels: never, outChannels: never, kernel: never, options: never, x: Tensor) =>
        new CONV_LAYERS[name](inChannels, outChannels, kernel, options).forward(x),
    }),
  ),
  ...(["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"] as const).map(
    (name): Row => ({
      name,
      args: poolArgs(name.endsWith("1d") ? 1 : 2),
      call: (x: Tensor, kernel: never, options: never) => new CONV_LAYERS[name](kernel, options).forward(x),
    }),
  ),
  ...(["AdaptiveAvgPool1d", "AdaptiveAvgPool2d"] as const).map(
    (name): Row => ({
      name,
      args: adaptiveArgs(name.endsWith("1d") ? 1 : 2),
      call: (x: Tensor, size: never) => new CONV_LAYERS[name](size).forward(x),
    }),
  ),
];

const rows: Row[] = [
  ...(["softmax", "logSoftmax"] as const).map(
    (name): Row => ({
      name,
      args: withShape((s) => fc.tuple(tensorOf(s, { dtypes: ["float32", "float64", "float32", "int32"] }), dimArb(s.length))),
      call: opsByName[name],
      method: name,
    }),
  ),
  {
    name: "logsumexp",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s, { dtypes: ["float32", "float64", "float32", "int32"] }),
        fc.oneof(dimArb(s.length), fc.array(dimArb(s.length), { maxLength: s.length })),
        fc.boolean(),
      ),
    ),
    call: ops.logsumexp,
    method: "logsumexp",
  },
  ...(["softmaxBackward", "logSoftmaxBackward"] as const).map(
    (name): Row => ({
      name,
      args: withShape((s) => fc.tuple(tensorOf(s, { dtypes: FLOAT_DTYPES }), tensorOf(s, { dtypes: FLOAT_DTYPES }), dimArb(s.length))),
      call: opsByName[name],
    }),
  ),
  { name: "softmaxJacobian", args: fc.tuple(T({ dtypes: FLOAT_DTYPES, shape: { maxRank: 2 } })), call: ops.softmaxJacobian },
  { name: "crossEntropy", args: lossArgs, call: ops.crossEntropy, method: "crossEntropy" },
  { name: "nllLoss", args: lossArgs, call: ops.nllLoss, method: "nllLoss" },
  ...ELEMENT_LOSSES.map((name): Row => ({ name, args: argsOfLoss(name), call: opsByName[name], method: name })),
  ...(
    [
      ["CrossEntropyLoss", nn.CrossEntropyLoss],
      ["NLLLoss", nn.NLLLoss],
    ] as const
  ).map(
    ([name, Loss]): Row => ({
      name,
      args: lossArgs,
      call: (input: Tensor, target: Tensor, options: never) => new Loss(options).forward(input, target),
    }),
  ),
  ...ELEMENT_LOSS_MODULES.map(
    ([name, Loss, functionName]): Row => ({
      name,
      args: argsOfLoss(functionName),
      call: (input: Tensor, target: Tensor, options: never) => new Loss(options).forward(input, target),
    }),
  ),
  {
    name: "layerNorm",
    args: withShape((s) =>
      fc.tuple(
        tensorOf(s, { dtypes: ["float32", "float64", "float32", "int32"] }),
        fc.oneof(fc.constant(s.slice(1)), fc.constant(s.slice(-1)), fc.constant(s), fc.constant([])),
        fc.record({ weight: tensorOf(s.slice(-1)), bias: tensorOf(s.slice(-1)), eps: fc.constantFrom(1e-5, 0, -1) }, { requiredKeys: [] }),
      ),
    ),
    call: ops.layerNorm,
    method: "layerNorm",
  },
  {
    name: "batchNorm",
    args: fuzzShapeArb({ minRank: 1, maxRank: 4, maxNumel: 24 }).chain((s) =>
      fc.tuple(
        tensorOf(s, { dtypes: ["float32", "float32", "float64", "int32"] }),
        fc.option(tensorOf([s[1] ?? 1], { grad: false }), { nil: null }),
        fc.option(tensorOf([s[1] ?? 1], { grad: false }), { nil: null }),
        fc.record(
          {
            weight: tensorOf([s[1] ?? 1]),
            bias: tensorOf([s[1] ?? 1]),
            training: fc.boolean(),
            momentum: fc.constantFrom(0.1, 0, 1, NaN),
            eps: fc.constantFrom(1e-5, 0),
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    call: ops.batchNorm,
    method: "batchNorm",
    // in training it updates the running statistics in place
    writes: true,
  },
  {
    name: "groupNorm",
    args: fuzzShapeArb({ minRank: 1, maxRank: 4, maxNumel: 24 }).chain((s) =>
      fc.tuple(
        tensorOf(s, { dtypes: ["float32", "float64", "float32", "int32"] }),
        fc.integer({ min: -1, max: 4 }),
        fc.record({ weight: tensorOf([s[1] ?? 1]), bias: tensorOf([s[1] ?? 1]), eps: fc.constantFrom(1e-5, 0) }, { requiredKeys: [] }),
      ),
    ),
    call: ops.groupNorm,
    method: "groupNorm",
  },
  {
    name: "embedding",
    args: fc.integer({ min: 0, max: 5 }).chain((rows) =>
      fc.tuple(
        tensorArg(
          anyTensorSpecArb({ dtypes: ["int32"], wide: false, shape: { maxRank: 3, maxNumel: 12 } }).map((spec) => ({
            ...spec,
            values: spec.values.map((v) => (v === -4 || rows === 0 ? v : ((v % rows) + rows) % rows)),
          })),
        ),
        tensorOf([rows, 3], { dtypes: FLOAT_DTYPES }),
        fc.record({ paddingIdx: fc.constantFrom(null, 0, -1, 5) }, { requiredKeys: [] }),
      ),
    ),
    call: ops.embedding,
    method: "embedding",
  },
  {
    name: "dropout",
    args: fc.tuple(T({ dtypes: ["float32", "float64", "float32", "int32"] }), fc.constantFrom(0, 0.5, 1, -0.1, 2, NaN), fc.boolean()),
    call: ops.dropout,
    method: "dropout",
  },
  {
    name: "scaledDotProductAttention",
    args: attentionSizesArb.chain(({ batch, L, S, E, Ev }) =>
      fc.tuple(
        tensorOf([...batch, L, E], { dtypes: ["float32", "float32", "float64", "int32"] }),
        tensorOf([...batch, S, E], { dtypes: ["float32", "float32", "float64"] }),
        tensorOf([...batch, S, Ev], { dtypes: ["float32", "float32", "float64"] }),
        fc.record(
          {
            attnMask: fc.option(tensorOf([L, S], { dtypes: ["bool", "float32"] }), { nil: null }),
            dropoutP: fc.constantFrom(0, 0.5, 1, -0.5),
            isCausal: fc.boolean(),
            scale: fc.constantFrom(null, 0.5, 0, NaN),
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    call: ops.scaledDotProductAttention,
    method: "scaledDotProductAttention",
  },
  {
    name: "attentionWeights",
    args: attentionSizesArb.chain(({ batch, L, S, E }) =>
      fc.tuple(
        tensorOf([...batch, L, E], { dtypes: ["float32", "float32", "float64", "int32"] }),
        tensorOf([...batch, S, E], { dtypes: ["float32", "float32", "float64"] }),
        fc.record(
          {
            attnMask: fc.option(tensorOf([L, S], { dtypes: ["bool", "float32"] }), { nil: null }),
            isCausal: fc.boolean(),
            scale: fc.constantFrom(null, 2),
          },
          { requiredKeys: [] },
        ),
      ),
    ),
    call: ops.attentionWeights,
    method: "attentionWeights",
  },
  {
    name: "MultiheadAttention",
    args: moduleSizesArb.chain(({ heads, headDim, L, S, N, batchFirst }) => {
      const E = heads * headDim;
      const lead = (length: number) => (batchFirst ? [N, length] : [length, N]);
      return fc.tuple(
        fc.constant(E),
        fc.constant(heads),
        fc.record(
          { dropout: fc.constantFrom(0, 0.5), batchFirst: fc.constant(batchFirst), kdim: fc.constant(2), bias: fc.boolean() },
          { requiredKeys: [] },
        ),
        fc.boolean(),
        tensorOf([...lead(L), E], { dtypes: ["float32", "float32", "float64"] }),
        tensorOf([...lead(S), 2], { dtypes: ["float32"] }),
        tensorOf([...lead(S), E], { dtypes: ["float32"] }),
        fc.record(
          {
            keyPaddingMask: fc.option(tensorOf([N, S], { dtypes: ["bool", "float32"] }), { nil: null }),
            attnMask: fc.option(tensorOf([L, S], { dtypes: ["bool", "float32"] }), { nil: null }),
            needWeights: fc.boolean(),
            averageAttnWeights: fc.boolean(),
            isCausal: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
      );
    }),
    call: (E: number, heads: number, options: never, training: boolean, q: Tensor, k: Tensor, v: Tensor, forwardOptions: never) =>
      new nn.MultiheadAttention(E, heads, options).train(training).forward(q, k, v, forwardOptions),
  },
  {
    name: "TransformerEncoderLayer",
    args: moduleSizesArb.chain(({ heads, headDim, L, N, batchFirst }) => {
      const E = heads * headDim;
      return fc.tuple(
        fc.constant(E),
        fc.constant(heads),
        fc.record(
          {
            dimFeedforward: fc.integer({ min: 1, max: 4 }),
            dropout: fc.constantFrom(0, 0.1),
            activation: fc.constantFrom("relu", "gelu"),
            batchFirst: fc.constant(batchFirst),
            normFirst: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        tensorOf(batchFirst ? [N, L, E] : [L, N, E], { dtypes: ["float32", "float32", "float64"] }),
        fc.record(
          {
            srcMask: fc.option(tensorOf([L, L], { dtypes: ["bool", "float32"] }), { nil: null }),
            srcKeyPaddingMask: fc.option(tensorOf([N, L], { dtypes: ["bool"] }), { nil: null }),
            isCausal: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
      );
    }),
    call: (E: number, heads: number, options: never, src: Tensor, forwardOptions: never) =>
      new nn.TransformerEncoderLayer(E, heads, options).forward(src, forwardOptions),
  },
  {
    name: "TransformerEncoder",
    args: moduleSizesArb.chain(({ heads, headDim, L, N }) =>
      fc.tuple(
        fc.constant(heads * headDim),
        fc.constant(heads),
        fc.integer({ min: -1, max: 2 }),
        fc.boolean(),
        tensorOf([L, N, heads * headDim], { dtypes: ["float32", "float32", "float64"] }),
        fc.record(
          { isCausal: fc.boolean(), srcKeyPaddingMask: fc.option(tensorOf([N, L], { dtypes: ["bool"] }), { nil: null }) },
          { requiredKeys: [] },
        ),
      ),
    ),
    call: (E: number, heads: number, layers: number, norm: boolean, src: Tensor, forwardOptions: never) =>
      new nn.TransformerEncoder(new nn.TransformerEncoderLayer(E, heads, { dimFeedforward: 3 }), layers, {
        norm: norm ? new nn.LayerNorm(E) : null,
      }).forward(src, forwardOptions),
  },
  {
    name: "Linear",
    args: linearSizesArb.chain(({ inFeatures, outFeatures, batch, dtype }) =>
      fc.tuple(
        fc.constant(inFeatures),
        fc.constant(outFeatures),
        fc.record({ bias: fc.boolean(), dtype: fc.constant(dtype) }),
        tensorOf([...batch, inFeatures], { dtypes: [dtype, dtype, dtype, "int32"] }),
      ),
    ),
    call: (inFeatures: number, outFeatures: number, options: never, x: Tensor) =>
      new nn.Linear(inFeatures, outFeatures, options).forward(x),
  },
  {
    name: "linear",
    args: linearSizesArb.chain(({ inFeatures, outFeatures, batch, dtype }) =>
      fc.tuple(
        tensorOf([...batch, inFeatures], { dtypes: [dtype] }),
        tensorOf([outFeatures, inFeatures], { dtypes: [dtype] }),
        fc.option(tensorOf([outFeatures], { dtypes: [dtype] }), { nil: undefined }),
      ),
    ),
    call: nn.linear,
  },
  { name: "Sequential", args: sequentialArgs, call: (model: nn.Module, x: Tensor) => model.forward(x), receiver: true },
  {
    name: "ModuleList",
    args: sequentialArgs,
    call: (model: nn.Sequential, x: Tensor) => [...new nn.ModuleList(model.layers)].reduce((h, layer) => layer.forward(h), x),
    receiver: true,
    expect: (_result: Tensor, args: unknown[]) => sameStateKeys(args[0] as nn.Sequential, (model) => new nn.ModuleList(model.layers)),
  },
  {
    name: "ModuleDict",
    args: sequentialArgs,
    call: (model: nn.Sequential, x: Tensor) => new nn.ModuleDict(layerRecord(model)).values().reduce((h, layer) => layer.forward(h), x),
    receiver: true,
    expect: (_result: Tensor, args: unknown[]) => sameStateKeys(args[0] as nn.Sequential, (model) => new nn.ModuleDict(layerRecord(model))),
  },
  ...(["ReLU", "Tanh", "Sigmoid", "GELU", "SiLU"] as const).map(
    (name): Row => ({ name, args: fc.tuple(T()), call: (x: Tensor) => new layersByName[name]().forward(x) }),
  ),
  {
    name: "LeakyReLU",
    args: fc.tuple(fc.constantFrom(0.01, 0.2, -1, 0, NaN), T()),
    call: (slope: number, x: Tensor) => new nn.LeakyReLU(slope).forward(x),
  },
  {
    name: "ELU",
    args: fc.tuple(fc.constantFrom(1, 0.5, -1, 0, Infinity), T()),
    call: (alpha: number, x: Tensor) => new nn.ELU(alpha).forward(x),
  },
  {
    name: "Softplus",
    args: fc.tuple(fc.record({ beta: fc.constantFrom(1, 2, 0.5, 0, -1), threshold: fc.constantFrom(20, 1, 0, -5, Infinity) }), T()),
    call: (options: SoftplusOptions, x: Tensor) => new nn.Softplus(options).forward(x),
  },
  {
    name: "Dropout",
    args: fc.tuple(fc.constantFrom(0, 0.5, 1, -0.1, 2, NaN), fc.boolean(), T({ dtypes: FLOAT_DTYPES })),
    call: (p: number, training: boolean, x: Tensor) => new nn.Dropout(p).train(training).forward(x),
  },
  {
    name: "Flatten",
    args: withShape((s) => fc.tuple(dimArb(s.length), dimArb(s.length), tensorOf(s))),
    call: (start: number, end: number, x: Tensor) => new nn.Flatten(start, end).forward(x),
  },
  ...(["BatchNorm1d", "BatchNorm2d"] as const).map(
    (name): Row => ({
      name,
      args: fuzzShapeArb({ minRank: 2, maxRank: 4, maxNumel: 24 }).chain((s) =>
        fc.tuple(
          fc.constant(s[1]!),
          fc.record(
            {
              momentum: fc.constantFrom(0.1, null, 0.5),
              affine: fc.boolean(),
              trackRunningStats: fc.boolean(),
              eps: fc.constantFrom(1e-5, 1e-3),
            },
            { requiredKeys: [] },
          ),
          fc.boolean(),
          tensorOf(s, { dtypes: ["float32", "float32", "float64"] }),
        ),
      ),
      call: (features: number, options: never, training: boolean, x: Tensor) => {
        const Layer = name === "BatchNorm1d" ? nn.BatchNorm1d : nn.BatchNorm2d;
        return new Layer(features, options).train(training).forward(x);
      },
    }),
  ),
  {
    name: "LayerNorm",
    args: withShape((s) =>
      fc.tuple(
        fc.oneof(fc.constant(s.slice(-1)), fc.constant(s), fc.constant([2])),
        fc.record({ elementwiseAffine: fc.boolean(), bias: fc.boolean(), eps: fc.constantFrom(1e-5, 0) }, { requiredKeys: [] }),
        tensorOf(s, { dtypes: ["float32", "float32", "float64"] }),
      ),
    ),
    call: (shape: number[], options: never, x: Tensor) => new nn.LayerNorm(shape, options).forward(x),
  },
  {
    name: "GroupNorm",
    args: fuzzShapeArb({ minRank: 2, maxRank: 4, maxNumel: 24 }).chain((s) =>
      fc.tuple(
        fc.integer({ min: 1, max: 3 }),
        fc.constant(s[1]!),
        fc.record({ affine: fc.boolean(), eps: fc.constantFrom(1e-5, 0) }, { requiredKeys: [] }),
        tensorOf(s, { dtypes: ["float32", "float32", "float64"] }),
      ),
    ),
    call: (groups: number, channels: number, options: never, x: Tensor) => new nn.GroupNorm(groups, channels, options).forward(x),
  },
  {
    name: "Embedding",
    args: fc
      .integer({ min: 0, max: 5 })
      .chain((rows) =>
        fc.tuple(
          fc.constant(rows),
          fc.integer({ min: 0, max: 3 }),
          fc.record({ paddingIdx: fc.constantFrom(null, 0, -1, 5) }, { requiredKeys: [] }),
          tensorArg(anyTensorSpecArb({ dtypes: ["int32"], wide: false, shape: { maxRank: 2, maxNumel: 8 } })),
        ),
      ),
    call: (rows: number, dim: number, options: never, x: Tensor) => new nn.Embedding(rows, dim, options).forward(x),
  },
  ...(["RNN", "LSTM", "GRU"] as const).map(
    (name): Row => ({
      name,
      args: recurrentSizesArb.chain(({ inputSize, hiddenSize, steps, batch, unbatched }) =>
        fc.tuple(
          fc.constant(inputSize),
          fc.constant(hiddenSize),
          fc.record(
            {
              numLayers: fc.integer({ min: 0, max: 2 }),
              bidirectional: fc.boolean(),
              batchFirst: fc.boolean(),
              bias: fc.boolean(),
              dropout: fc.constantFrom(0, 0.5, 1, -0.1, NaN),
              ...(name === "RNN" ? { nonlinearity: fc.constantFrom("tanh", "relu", "gelu") } : {}),
              ...(name === "LSTM" ? { projSize: fc.constantFrom(0, 1, 3) } : {}),
            },
            { requiredKeys: [] },
          ),
          fc.boolean(),
          tensorOf(unbatched ? [steps, inputSize] : [steps, batch, inputSize], { dtypes: ["float32", "float32", "float64"] }),
          // an initial state that fits one layer in both directions (or does not fit)
          fc.option(tensorOf(unbatched ? [2, hiddenSize] : [2, batch, hiddenSize], { dtypes: ["float32"] }), { nil: undefined }),
        ),
      ),
      // the output, so backward runs through the recurrence; the final states are checked by the well-formedness scan
      call: (inputSize: number, hiddenSize: number, options: never, training: boolean, x: Tensor, h?: Tensor) => {
        const layer = new recurrentLayers[name](inputSize, hiddenSize, options).train(training);
        const hx = h === undefined ? undefined : name === "LSTM" ? [h, h] : h;
        return layer.forward(x, hx as never)[0];
      },
    }),
  ),
  ...(["RNNCell", "LSTMCell", "GRUCell"] as const).map(
    (name): Row => ({
      name,
      args: recurrentSizesArb.chain(({ inputSize, hiddenSize, batch, unbatched }) =>
        fc.tuple(
          fc.constant(inputSize),
          fc.constant(hiddenSize),
          fc.record(
            { bias: fc.boolean(), ...(name === "RNNCell" ? { nonlinearity: fc.constantFrom("tanh", "relu", "gelu") } : {}) },
            { requiredKeys: [] },
          ),
          tensorOf(unbatched ? [inputSize] : [batch, inputSize], { dtypes: ["float32", "float32", "float64"] }),
          fc.option(tensorOf(unbatched ? [hiddenSize] : [batch, hiddenSize], { dtypes: ["float32"] }), { nil: undefined }),
        ),
      ),
      // h' (LSTMCell: h' of [h', c']), so backward runs through the step
      call: (inputSize: number, hiddenSize: number, options: never, x: Tensor, h?: Tensor) => {
        if (name === "LSTMCell") return new nn.LSTMCell(inputSize, hiddenSize, options).forward(x, h === undefined ? undefined : [h, h])[0];
        return new (name === "RNNCell" ? nn.RNNCell : nn.GRUCell)(inputSize, hiddenSize, options).forward(x, h);
      },
    }),
  ),
  { name: "Identity", args: fc.tuple(T()), call: (x: Tensor) => new nn.Identity().forward(x) },
  ...(["Softmax", "LogSoftmax"] as const).map(
    (name): Row => ({
      name,
      args: withShape((s) => fc.tuple(dimArb(s.length), tensorOf(s, { dtypes: ["float32", "float64", "int32"] }))),
      call: (dim: number, x: Tensor) => new layersByName[name](dim).forward(x),
    }),
  ),
  {
    name: "Unflatten",
    args: withShape((s) =>
      fc.tuple(
        dimArb(s.length),
        fc.oneof(fc.constant([s[0] ?? 1]), fc.constant([1, -1]), fc.constant([-1, 2]), fc.constant([-1, -1]), fc.constant([0, 3])),
        tensorOf(s),
      ),
    ),
    call: (dim: number, sizes: number[], x: Tensor) => new nn.Unflatten(dim, sizes).forward(x),
  },
  {
    name: "Module.loadStateDict",
    args: sequentialArgs.chain(([model]) =>
      fc.tuple(
        fc.constant(model),
        fc.dictionary(fc.constantFrom("0.weight", "0.bias", "2.weight", "2.bias", "extra"), T({ shape: { maxRank: 2, maxNumel: 16 } }), {
          maxKeys: 5,
        }),
        fc.option(fc.record({ strict: fc.boolean() }), { nil: undefined }),
      ),
    ),
    call: (model: nn.Module, stateDict: never, options: never) => model.loadStateDict(stateDict, options),
    writes: true,
    receiver: true,
  },
  ...convolutionRows,
  ...optimizerRows,
  ...clipRows,
  ...schedulerRows,
  ...initRows,
  {
    name: "TensorDataset",
    args: fc
      .integer({ min: 0, max: 4 })
      .chain((n) => fc.tuple(fc.array(tensorOf([n, 2]), { maxLength: 3 }), fc.integer({ min: -1, max: 4 }))),
    call: (tensors: Tensor[], i: number) => new nn.TensorDataset(...(Array.isArray(tensors) ? tensors : [tensors])).get(i),
  },
  {
    name: "DataLoader",
    args: fc
      .integer({ min: 0, max: 5 })
      .chain((n) =>
        fc.tuple(
          fc.array(tensorOf([n, 2]), { minLength: 1, maxLength: 2 }),
          fc.record(
            { batchSize: fc.integer({ min: -1, max: 3 }), shuffle: fc.boolean(), dropLast: fc.boolean(), seed: fc.nat() },
            { requiredKeys: ["batchSize"] },
          ),
        ),
      ),
    call: (tensors: Tensor[], options: never) =>
      [...new nn.DataLoader(new nn.TensorDataset(...(Array.isArray(tensors) ? tensors : [tensors])), options)].flat(),
  },
  {
    name: "DataLoader.collate",
    args: fc
      .integer({ min: 0, max: 5 })
      .chain((n) =>
        fc.tuple(
          fc.array(fc.oneof(tensorOf([2]), tensorOf([n]), fc.constantFrom(1, 0.5, true, "s")), { minLength: 1, maxLength: 2 }),
          fc.integer({ min: 0, max: 4 }),
          fc.record({ batchSize: fc.integer({ min: -1, max: 3 }), shuffle: fc.boolean(), seed: fc.nat() }, { requiredKeys: ["batchSize"] }),
        ),
      ),
    // A dataset of `length` samples, each the given fields (tensors, numbers, booleans, strings).
    call: (fields: unknown[], length: number, options: never) =>
      [...new nn.DataLoader({ length, get: () => fields }, options)].flat().filter((v) => typeof v !== "string"),
  },
  {
    name: "defaultCollate",
    args: fc.array(fc.oneof(T({ shape: { maxRank: 2, maxNumel: 6 } }), fc.constantFrom(1, 0.5, 2 ** 40, false, "s", null)), {
      maxLength: 4,
    }),
    call: (...samples: unknown[]) => nn.defaultCollate(samples),
  },
  {
    name: "trainTestSplit",
    args: fc.integer({ min: 0, max: 6 }).chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.option(
          fc.record(
            {
              testFraction: fc.constantFrom(0, 0.2, 0.5, 1, -0.1, 1.5),
              seed: fc.nat(),
              stratify: tensorOf([n], { dtypes: ["int32"], wide: false }),
            },
            { requiredKeys: [] },
          ),
          { nil: undefined },
        ),
      ),
    ),
    call: nn.trainTestSplit,
  },
  {
    name: "saveSafetensors",
    args: fc.tuple(
      fc.dictionary(fc.string({ maxLength: 4 }), T({ grad: false }), { maxKeys: 3 }),
      fc.option(fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }), { nil: undefined }),
    ),
    call: nn.saveSafetensors,
  },
];

describeRows("@nabla/ops and @nabla/nn", rows, RUNS);

describe("coverage", () => {
  it("every function and class @nabla/ops and @nabla/nn export is fuzzed", () => {
    // fuzzed elsewhere: the parsers in safetensors.test.ts and csv.test.ts; abstract bases through their subclasses
    const elsewhere = ["readCsv", "loadSafetensors", "Module", "Optimizer", "LRScheduler"];
    const names = [
      ...Object.keys(ops),
      ...Object.keys(nn).filter((name) => name !== "init" && name !== "optim" && name !== "utils"),
      ...Object.keys(nn.init).map((name) => `init.${name}`),
      ...Object.keys(nn.utils).map((name) => `utils.${name}`),
      ...Object.keys(nn.optim),
    ];
    const covered = (name: string) => elsewhere.includes(name) || rows.some((row) => row.name === name || row.name.startsWith(`${name}.`));
    const missing = names.filter((name) => !covered(name));
    if (missing.length > 0) throw new Error(`no fuzz row for ${missing.join(", ")}`);
  });
});

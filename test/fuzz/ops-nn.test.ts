import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError, Tensor, tensor, type DType } from "@nabla/tensor";
import {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  klDiv,
  l1Loss,
  logSoftmax,
  logsumexp,
  mseLoss,
  nllLoss,
  smoothL1Loss,
  softmax,
} from "@nabla/ops";
import * as nn from "@nabla/nn";
import { attempt, describeError, fuzzParameters, wellFormedProblems } from "../support/fuzz-checks";
import {
  FLOAT_DTYPES,
  buildTensor,
  castValue,
  expectOutcome,
  expectTensor,
  float32ReductionAtol,
  float64ReductionAtol,
  fuzzShapeArb,
  modelOf,
  tensorSpecArb,
  toProbabilities,
  type Expected,
  type TensorSpec,
} from "../support/fuzz-tensors";
import * as naive from "../support/naive";

// Values of @nabla/ops (softmax, logSoftmax, logsumexp, crossEntropy, nllLoss, the elementwise
// losses) and @nabla/nn
// (Linear and Sequential forward, optimizer steps, loadStateDict) against float64 models written
// from PyTorch's definitions, and the rule that a refused call changes nothing: no parameter, no
// optimizer state, no step count.

const RUNS = 60;
const EPS: Record<string, number> = { float32: 2 ** -23, float64: 2 ** -52 };

const floatSpec = (shape: readonly number[], options = {}) => tensorSpecArb(shape, { dtypes: FLOAT_DTYPES, wide: false, ...options });

// ---- softmax family ----

/** PyTorch's logsumexp of a slice: the max is taken out unless it is infinite. */
function logSumExp(values: number[]): number {
  if (values.length === 0) return -Infinity;
  const m = values.some(Number.isNaN) ? NaN : Math.max(...values);
  const shift = Math.abs(m) === Infinity ? 0 : m;
  return Math.log(values.reduce((s, v) => s + Math.exp(v - shift), 0)) + shift;
}

function softmaxSlice(slice: number[], log: boolean): number[] {
  const m = slice.some(Number.isNaN) ? NaN : Math.max(...slice);
  const sum = slice.reduce((s, v) => s + Math.exp(v - m), 0);
  return slice.map((v) => (log ? v - m - Math.log(sum) : Math.exp(v - m) / sum));
}

/** float rounding of x − max − log Σ: a few ulps of the magnitudes involved. */
const sliceAtol = (dtype: DType, model: naive.NaiveArray, dim: number | number[]) =>
  naive.reduceWith(
    model,
    (values) => 8 * EPS[dtype]! * (Math.max(0, ...values.filter(Number.isFinite).map(Math.abs)) + Math.log(values.length + 1) + 1),
    dim,
    true,
  );

describe("softmax, logSoftmax and logsumexp on strided float tensors with infinities", () => {
  it.each(["softmax", "logSoftmax"] as const)("%s along a dim", (name) => {
    const caseArb = fuzzShapeArb().chain((shape) =>
      fc.record({ spec: floatSpec(shape), dim: fc.integer({ min: -Math.max(shape.length, 1), max: Math.max(shape.length, 1) - 1 }) }),
    );
    fc.assert(
      fc.property(caseArb, ({ spec, dim }) => {
        const x = buildTensor(spec);
        const model = modelOf(spec);
        const values = naive.map(
          naive.mapSlices(model, dim, (slice) => softmaxSlice(slice, name === "logSoftmax")),
          (v) => castValue(v, spec.dtype),
        );
        const atol = naive.expand(sliceAtol(spec.dtype, model, model.shape.length === 0 ? [] : dim), model.shape);
        expectOutcome(`${name}(${dim})`, [x], () => (name === "softmax" ? softmax(x, dim) : logSoftmax(x, dim)), {
          dtype: spec.dtype,
          values,
          atol,
          rtol: 1e-5,
        });
      }),
      fuzzParameters(RUNS),
    );
  });

  it("logsumexp over dims, keepdim", () => {
    const caseArb = fuzzShapeArb().chain((shape) =>
      fc.record({
        spec: floatSpec(shape),
        dim: fc.oneof(
          fc.integer({ min: -Math.max(shape.length, 1), max: Math.max(shape.length, 1) - 1 }),
          fc.uniqueArray(fc.integer({ min: 0, max: Math.max(shape.length, 1) - 1 }), {
            minLength: 1,
            maxLength: Math.max(shape.length, 1),
          }),
        ),
        keepdim: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ spec, dim, keepdim }) => {
        const x = buildTensor(spec);
        const model = modelOf(spec);
        const values = naive.map(naive.reduceWith(model, logSumExp, dim, keepdim), (v) => castValue(v, spec.dtype));
        const atol = naive.reduceWith(
          model,
          (vs) => 8 * EPS[spec.dtype]! * (Math.max(0, ...vs.filter(Number.isFinite).map(Math.abs)) + Math.log(vs.length + 1) + 1),
          dim,
          keepdim,
        );
        expectOutcome(`logsumexp(${JSON.stringify(dim)}, ${keepdim})`, [x], () => logsumexp(x, dim, keepdim), {
          dtype: spec.dtype,
          values,
          atol,
          rtol: 1e-5,
        });
      }),
      fuzzParameters(RUNS),
    );
  });
});

// ---- losses ----

interface LossCase {
  op: "crossEntropy" | "nllLoss";
  input: TensorSpec;
  target: TensorSpec;
  weight: number[] | null;
  weightAsTensor: boolean;
  ignoreIndex: number;
  reduction: "mean" | "sum" | "none";
  labelSmoothing: number;
}

const lossCaseArb: fc.Arbitrary<LossCase> = fuzzShapeArb({ minRank: 1, maxRank: 4, maxNumel: 24 }).chain((shape) => {
  const classes = shape.length === 1 ? shape[0]! : shape[1]!;
  const targetShape = shape.length === 1 ? [] : [shape[0]!, ...shape.slice(2)];
  const indices = tensorSpecArb(targetShape, { dtypes: ["int32"], wide: false }).map((spec) => ({
    ...spec,
    values: spec.values.map((v) => (v === -4 ? -100 : v === 4 ? classes : classes > 0 ? ((v % classes) + classes) % classes : v)),
  }));
  return fc.record({
    op: fc.constantFrom("crossEntropy" as const, "nllLoss" as const),
    input: floatSpec(shape),
    target: fc.oneof(
      { weight: 3, arbitrary: indices },
      { weight: 1, arbitrary: floatSpec(shape, { special: false }).map((s) => ({ ...s, values: s.values.map((v) => Math.abs(v) / 10) })) },
    ),
    weight: fc.option(
      fc.array(fc.oneof(fc.constantFrom(0, 0.5, 1, 2), fc.double({ min: 0.1, max: 2, noNaN: true })), {
        minLength: classes,
        maxLength: classes,
      }),
      { nil: null },
    ),
    weightAsTensor: fc.boolean(),
    ignoreIndex: fc.constantFrom(-100, 0),
    reduction: fc.constantFrom("mean" as const, "sum" as const, "none" as const),
    labelSmoothing: fc.constantFrom(0, 0.1, 0.5, 1),
  });
});

/** PyTorch's cross_entropy / nll_loss, in float64 on the models; null when PyTorch refuses the case. */
function lossExpected(c: LossCase): Expected | null {
  const x = modelOf(c.input);
  const dtype = c.input.dtype;
  const classDim = x.shape.length === 1 ? 0 : 1;
  const classes = x.shape[classDim]!;
  const smoothing = c.op === "crossEntropy" ? c.labelSmoothing : 0;
  const logp = c.op === "crossEntropy" ? naive.mapSlices(x, classDim, (slice) => softmaxSlice(slice, true)) : x;
  const w = (c.weight ?? new Array<number>(classes).fill(1)).map((v) => castValue(v, dtype)); // a weight is a tensor of the input's dtype
  const at = (n: number[], k: number) => naive.at(logp, x.shape.length === 1 ? [k] : [n[0]!, k, ...n.slice(1)]);
  const target = modelOf(c.target);
  const perSample = x.shape.length === 1 ? [] : [x.shape[0]!, ...x.shape.slice(2)];
  let values: naive.NaiveArray;
  let denominator = 1;
  if (c.target.dtype === "int32") {
    const refused = naive.flatValues(target).some((y) => y !== c.ignoreIndex && (y < 0 || y >= classes));
    if (refused) return null;
    // as PyTorch: (1 − ε)·nll_loss + ε/C·(the reduced −Σ_c w[c]·logp[c] of the kept targets), so
    // ε > 0 with no classes is 0·∞ = NaN, as there
    denominator = 0;
    const nll = naive.build(perSample, (n) => {
      const y = naive.at(target, n);
      if (y === c.ignoreIndex) return 0;
      denominator += w[y]!;
      return -w[y]! * at(n, y);
    });
    const smooth = naive.build(perSample, (n) => {
      if (naive.at(target, n) === c.ignoreIndex) return 0;
      let total = 0;
      for (let k = 0; k < classes; k++) total -= w[k]! * at(n, k);
      return total;
    });
    const reduce = (a: naive.NaiveArray) => {
      const total = naive.flatValues(a).reduce((t, v) => t + v, 0);
      return c.reduction === "none" ? a : naive.build([], () => (c.reduction === "sum" ? total : total / denominator));
    };
    const reduced = reduce(nll);
    values =
      smoothing === 0 ? reduced : naive.elementwise((a, b) => (1 - smoothing) * a + (smoothing / classes) * b, reduced, reduce(smooth));
  } else {
    // probabilities: crossEntropy only, of the input's dtype, without ignoreIndex (PyTorch)
    if (c.op === "nllLoss" || c.target.dtype !== dtype || c.ignoreIndex !== -100) return null;
    const t = target;
    const losses = naive.build(perSample, (n) => {
      let total = 0;
      for (let k = 0; k < classes; k++) {
        const p = naive.at(t, x.shape.length === 1 ? [k] : [n[0]!, k, ...n.slice(1)]);
        total -= at(n, k) * ((1 - smoothing) * p + smoothing / classes) * w[k]!; // PyTorch's order: −(logp · t · w)
      }
      return total;
    });
    const total = naive.flatValues(losses).reduce((sum, v) => sum + v, 0);
    // PyTorch's mean over an empty input is NaN, even with samples of no classes
    const mean = naive.numelOf(x.shape) === 0 ? NaN : total / naive.numelOf(perSample);
    values = c.reduction === "none" ? losses : naive.build([], () => (c.reduction === "sum" ? total : mean));
  }
  const magnitude = naive.flatValues(x).reduce((s, v) => s + (Number.isFinite(v) ? Math.abs(v) : 0), classes) * Math.max(1, ...w);
  const scale = c.reduction === "mean" && c.target.dtype === "int32" ? Math.max(1e-3, Math.abs(denominator)) : 1;
  return {
    dtype,
    values: naive.map(values, (v) => castValue(v, dtype)),
    atol: (16 * EPS[dtype]! * magnitude * (classes + 4)) / scale,
    rtol: dtype === "float32" ? 1e-4 : 1e-10,
  };
}

describe("crossEntropy and nllLoss", () => {
  it("match PyTorch's definitions: weights, ignoreIndex, label smoothing, probability targets, every reduction", () => {
    fc.assert(
      fc.property(lossCaseArb, (c) => {
        const input = buildTensor(c.input);
        const target = buildTensor(c.target);
        const weight = c.weight === null ? undefined : c.weightAsTensor ? tensor(c.weight, { dtype: c.input.dtype }) : c.weight;
        const options = {
          weight,
          ignoreIndex: c.ignoreIndex,
          reduction: c.reduction,
          ...(c.op === "crossEntropy" ? { labelSmoothing: c.labelSmoothing } : {}),
        };
        const run = () => (c.op === "crossEntropy" ? crossEntropy(input, target, options) : nllLoss(input, target, options));
        expectOutcome(c.op, [input, target, weight], run, lossExpected(c));
      }),
      fuzzParameters(RUNS),
    );
  });
});

// ---- elementwise losses ----

type ElementLoss = "mseLoss" | "l1Loss" | "smoothL1Loss" | "huberLoss" | "binaryCrossEntropy" | "binaryCrossEntropyWithLogits" | "klDiv";

/**
 * Each loss per element, in float64, as PyTorch's kernels compute it (the same order of operations,
 * so NaN and infinities land where PyTorch's do), with the magnitude its rounding scales with.
 */
const ELEMENT_LOSSES: Record<ElementLoss, (x: number, y: number, w: number, p: number, c: ElementLossCase) => [number, number]> = {
  mseLoss: (x, y) => [(x - y) ** 2, (Math.abs(x) + Math.abs(y)) ** 2],
  l1Loss: (x, y) => [Math.abs(x - y), Math.abs(x) + Math.abs(y)],
  smoothL1Loss: (x, y, _w, _p, { beta }) => {
    const d = Math.abs(x - y);
    const value = beta === 0 ? d : d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
    return [value, (Math.abs(x) + Math.abs(y) + 1) ** 2 / Math.max(beta, 1e-3)];
  },
  huberLoss: (x, y, _w, _p, { delta }) => {
    const d = Math.abs(x - y);
    return [d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta), (Math.abs(x) + Math.abs(y) + delta) ** 2];
  },
  binaryCrossEntropy: (x, t, w) => {
    const value = (t - 1) * Math.max(Math.log(1 - x), -100) - t * Math.max(Math.log(x), -100);
    return [value * w, 200 * (Math.abs(t) + 1) * Math.abs(w)];
  },
  binaryCrossEntropyWithLogits: (x, t, w, p) => {
    const m = Math.max(-x, 0);
    const value = (1 - t) * x + (1 + (p - 1) * t) * (Math.log(Math.exp(-m) + Math.exp(-x - m)) + m);
    return [value * w, (Math.abs(t) + 1) * (Math.abs(x) + 1) * (Math.abs(p) + 2) * Math.abs(w)];
  },
  klDiv: (x, t, _w, _p, { logTarget }) =>
    logTarget
      ? [Math.exp(t) * (t - x), Math.exp(t) * (Math.abs(t) + Math.abs(x) + 1)]
      : [(t === 0 ? 0 : t * Math.log(t)) - t * x, t === 0 ? 0 : Math.abs(t) * (Math.abs(Math.log(Math.abs(t))) + Math.abs(x) + 1)],
};

interface ElementLossCase {
  op: ElementLoss;
  input: TensorSpec;
  target: TensorSpec;
  weight: TensorSpec | null;
  posWeight: TensorSpec | null;
  reduction: "none" | "mean" | "sum" | "batchmean";
  beta: number;
  delta: number;
  logTarget: boolean;
}

const elementLossCaseArb: fc.Arbitrary<ElementLossCase> = fc
  .record({
    op: fc.constantFrom(...(Object.keys(ELEMENT_LOSSES) as ElementLoss[])),
    shape: fuzzShapeArb(),
    dtype: fc.constantFrom(...FLOAT_DTYPES),
  })
  .chain(({ op, shape, dtype }) => {
    const weightShape = shape.length === 0 ? [] : shape.slice(-1);
    const weightArb = op.startsWith("binaryCrossEntropy")
      ? fc.option(floatSpec(weightShape, { dtypes: [dtype], special: false }), { nil: null })
      : fc.constant(null);
    return fc.record({
      op: fc.constant(op),
      input: floatSpec(shape, { dtypes: [dtype] }).map((spec) => (op === "binaryCrossEntropy" ? toProbabilities(spec) : spec)),
      target: floatSpec(shape, { dtypes: [dtype] }),
      weight: weightArb,
      posWeight: op === "binaryCrossEntropyWithLogits" ? weightArb : fc.constant(null),
      reduction: fc.constantFrom("none" as const, "mean" as const, "sum" as const, ...(op === "klDiv" ? ["batchmean" as const] : [])),
      beta: fc.constantFrom(0, 0.5, 1, 2.5),
      delta: fc.constantFrom(0.5, 1, 2.5),
      logTarget: fc.boolean(),
    });
  });

/** PyTorch's definition of the case, in float64; null where PyTorch refuses it (bce input outside [0, 1]). */
function elementLossExpected(c: ElementLossCase): Expected | null {
  const x = modelOf(c.input);
  const t = modelOf(c.target);
  const dtype = c.input.dtype;
  if (c.op === "binaryCrossEntropy" && naive.flatValues(x).some((v) => !(v >= 0 && v <= 1))) return null;
  const w = c.weight === null ? naive.build(x.shape, () => 1) : naive.expand(modelOf(c.weight), x.shape);
  const p = c.posWeight === null ? naive.build(x.shape, () => 1) : naive.expand(modelOf(c.posWeight), x.shape);
  const pairs = naive.elementwise((...v) => ELEMENT_LOSSES[c.op](v[0]!, v[1]!, v[2]!, v[3]!, c)[0], x, t, w, p);
  const magnitudes = naive.elementwise((...v) => ELEMENT_LOSSES[c.op](v[0]!, v[1]!, v[2]!, v[3]!, c)[1], x, t, w, p);
  const eps = EPS[dtype]!;
  if (c.reduction === "none") {
    return { dtype, values: naive.map(pairs, (v) => castValue(v, dtype)), atol: naive.map(magnitudes, (m) => 32 * eps * m), rtol: 1e-5 };
  }
  const losses = naive.flatValues(pairs);
  const count = losses.length;
  const total = losses.reduce((sum, v) => sum + v, 0);
  const divisor = c.reduction === "sum" ? 1 : c.reduction === "mean" ? count : x.shape.length === 0 ? 1 : x.shape[0]!;
  const magnitude = naive.flatValues(magnitudes).reduce((sum, m) => sum + m, 0);
  const reductionAtol = dtype === "float32" ? float32ReductionAtol(count, magnitude) : float64ReductionAtol(count, magnitude);
  return {
    dtype,
    values: naive.build([], () => castValue(total / divisor, dtype)),
    atol: (reductionAtol + 32 * eps * magnitude) / Math.max(divisor, 1),
    rtol: 1e-5,
  };
}

describe("elementwise losses", () => {
  it("match PyTorch's definitions on strided float tensors with infinities: weights, posWeight, beta, delta, logTarget, every reduction", () => {
    const calls: Record<ElementLoss, (x: Tensor, y: Tensor, options: never) => Tensor> = {
      mseLoss,
      l1Loss,
      smoothL1Loss,
      huberLoss,
      binaryCrossEntropy,
      binaryCrossEntropyWithLogits,
      klDiv,
    };
    fc.assert(
      fc.property(elementLossCaseArb, (c) => {
        const input = buildTensor(c.input);
        const target = buildTensor(c.target);
        const weight = c.weight === null ? undefined : buildTensor(c.weight);
        const posWeight = c.posWeight === null ? undefined : buildTensor(c.posWeight);
        const options = { reduction: c.reduction, beta: c.beta, delta: c.delta, logTarget: c.logTarget, weight, posWeight };
        expectOutcome(c.op, [input, target, weight, posWeight], () => calls[c.op](input, target, options as never), elementLossExpected(c));
      }),
      fuzzParameters(RUNS),
    );
  });
});

// ---- Linear and Sequential ----

type Activation = "ReLU" | "Tanh" | "Sigmoid" | "GELU" | "GELU tanh" | "Dropout";

const ACTIVATIONS: Record<Activation, [() => nn.Module, (v: number) => number]> = {
  ReLU: [() => new nn.ReLU(), (v) => (Number.isNaN(v) ? v : Math.max(v, 0))],
  Tanh: [() => new nn.Tanh(), Math.tanh],
  Sigmoid: [() => new nn.Sigmoid(), (v) => 1 / (1 + Math.exp(-v))],
  GELU: [() => new nn.GELU(), (v) => 0.5 * v * (1 + naive.erf(v / Math.SQRT2))],
  "GELU tanh": [
    () => new nn.GELU({ approximate: "tanh" }),
    (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  ],
  Dropout: [() => new nn.Dropout(0.5).eval(), (v) => v],
};

/** x Wᵀ + b on the last dim of the model of x, with the layer's own parameters. */
function linearModel(x: naive.NaiveArray, layer: nn.Linear): naive.NaiveArray {
  const w = naive.fromFlat(Array.from(layer.weight.data()), layer.weight.shape);
  const out = x.shape.length === 1 ? naive.matmul(w, x) : naive.matmul(x, naive.transpose(w, 0, 1));
  return layer.bias === null
    ? out
    : naive.elementwise((v, b) => v + b, out, naive.fromFlat(Array.from(layer.bias.data()), layer.bias.shape));
}

describe("Linear and Sequential forward", () => {
  it("a stack of Linear layers and activations computes x Wᵀ + b and the activations (empty sizes, 1-D inputs and dtype mismatches included)", () => {
    const caseArb = fc
      .record({
        sizes: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 2, maxLength: 4 }),
        dtype: fc.constantFrom<DType>("float32", "float64"),
        inputDtype: fc.option(fc.constantFrom<DType>("float32", "float64", "int32"), { freq: 5 }),
        activations: fc.array(fc.constantFrom<Activation>("ReLU", "Tanh", "Sigmoid", "GELU", "GELU tanh", "Dropout"), {
          minLength: 3,
          maxLength: 3,
        }),
        bias: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        batch: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 2 }),
      })
      .chain((c) =>
        tensorSpecArb([...c.batch, c.sizes[0]!], { dtypes: [c.inputDtype ?? c.dtype], wide: false }).map((input) => ({ ...c, input })),
      );
    fc.assert(
      fc.property(caseArb, ({ sizes, dtype, activations, bias, input }) => {
        const layers: nn.Module[] = [];
        let model: naive.NaiveArray | null = modelOf(input);
        for (let i = 1; i < sizes.length; i++) {
          const linear = new nn.Linear(sizes[i - 1]!, sizes[i]!, { bias: bias[i - 1], dtype: dtype as "float32" });
          const [make, fn] = ACTIVATIONS[activations[i - 1]!];
          layers.push(linear, make());
          if (model !== null)
            model = naive.map(
              naive.map(linearModel(model, linear), (v) => castValue(v, dtype)),
              fn,
            );
        }
        const sequential = new nn.Sequential(...layers);
        const x = buildTensor(input);
        const expected =
          input.dtype !== dtype || model === null
            ? null
            : {
                dtype,
                values: naive.map(model, (v) => castValue(v, dtype)),
                atol: dtype === "float32" ? 1e-5 : 1e-12,
                rtol: dtype === "float32" ? 1e-4 : 1e-10,
              };
        expectOutcome("Sequential.forward", [x, ...sequential.parameters()], () => sequential.forward(x), expected);
      }),
      fuzzParameters(RUNS),
    );
  });
});

// ---- optimizers ----

type OptimizerName = "SGD" | "Adam" | "AdamW";

interface Hyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
}

type GradKind = "fits" | "none" | "wrong shape" | "wrong dtype" | "strided";

interface OptimizerCase {
  name: OptimizerName;
  hyper: Hyper;
  params: TensorSpec[];
  grads: { kind: GradKind; spec: TensorSpec }[];
  steps: number;
}

const hyperArb: fc.Arbitrary<Hyper> = fc
  .record({
    lr: fc.constantFrom(0.1, 0.01, 1e-3),
    momentum: fc.constantFrom(0, 0.9),
    dampening: fc.constantFrom(0, 0.1),
    nesterov: fc.boolean(),
    weightDecay: fc.constantFrom(0, 0.01),
    betas: fc.constantFrom<[number, number]>([0.9, 0.999], [0.5, 0.9]),
    eps: fc.constantFrom(1e-8, 1e-3),
    amsgrad: fc.boolean(),
  })
  .map((h) => (h.nesterov && (h.momentum === 0 || h.dampening !== 0) ? { ...h, nesterov: false } : h));

const optimizerCaseArb: fc.Arbitrary<OptimizerCase> = fc
  .array(fc.record({ shape: fuzzShapeArb({ maxRank: 3, maxNumel: 12 }), dtype: fc.constantFrom<DType>(...FLOAT_DTYPES) }), {
    minLength: 1,
    maxLength: 3,
  })
  .chain((params) =>
    fc.record({
      name: fc.constantFrom<OptimizerName>("SGD", "Adam", "AdamW"),
      hyper: hyperArb,
      params: fc.tuple(
        ...params.map(({ shape, dtype }) => tensorSpecArb(shape, { dtypes: [dtype], views: false, special: false, wide: false })),
      ),
      grads: fc.tuple(
        ...params.map(({ shape, dtype }) =>
          fc.constantFrom<GradKind>("fits", "fits", "fits", "strided", "none", "wrong shape", "wrong dtype").chain((kind) => {
            const gradShape = kind === "wrong shape" ? (shape.length === 0 ? [1] : [...shape, 2]) : shape;
            const gradDtype: DType = kind === "wrong dtype" ? (dtype === "float32" ? "float64" : "float32") : dtype;
            return tensorSpecArb(gradShape, { dtypes: [gradDtype], views: kind === "strided", special: false, wide: false }).map(
              (spec) => ({ kind, spec }),
            );
          }),
        ),
      ),
      steps: fc.integer({ min: 1, max: 3 }),
    }),
  );

/** One parameter through `steps` updates in float64, PyTorch's SGD/Adam/AdamW. */
function optimizerModel(name: OptimizerName, h: Hyper, theta0: number[], g: number[], steps: number): number[] {
  let theta = [...theta0];
  let buffer: number[] | null = null;
  const m = theta.map(() => 0);
  const v = theta.map(() => 0);
  const vMax = theta.map(() => 0);
  for (let t = 1; t <= steps; t++) {
    if (name === "SGD") {
      const d = g.map((gi, i) => gi + h.weightDecay * theta[i]!);
      let direction = d;
      if (h.momentum !== 0) {
        buffer = buffer === null ? [...d] : buffer.map((b, i) => h.momentum * b + (1 - h.dampening) * d[i]!);
        direction = h.nesterov ? d.map((di, i) => di + h.momentum * buffer![i]!) : buffer;
      }
      theta = theta.map((th, i) => th - h.lr * direction[i]!);
      continue;
    }
    const [b1, b2] = h.betas;
    const decoupled = name === "AdamW";
    const decay = decoupled ? h.weightDecay : 0;
    const grad = g.map((gi, i) => (decoupled ? gi : gi + h.weightDecay * theta[i]!));
    if (decoupled) theta = theta.map((th) => th * (1 - h.lr * decay));
    grad.forEach((gi, i) => {
      m[i] = b1 * m[i]! + (1 - b1) * gi;
      v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
      vMax[i] = Math.max(vMax[i]!, v[i]!);
    });
    const stepSize = h.lr / (1 - b1 ** t);
    const correction = Math.sqrt(1 - b2 ** t);
    theta = theta.map((th, i) => th - (stepSize * m[i]!) / (Math.sqrt(h.amsgrad ? vMax[i]! : v[i]!) / correction + h.eps));
  }
  return theta;
}

function optimizerOptions(name: OptimizerName, h: Hyper) {
  return name === "SGD"
    ? { lr: h.lr, momentum: h.momentum, dampening: h.dampening, nesterov: h.nesterov, weightDecay: h.weightDecay }
    : { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weightDecay, amsgrad: h.amsgrad };
}

/** An optimizer's state as plain values (tensors as their data), to compare before and after. */
function plainState(optimizer: nn.optim.Optimizer): unknown {
  return JSON.parse(JSON.stringify(optimizer.stateDict(), (_key, value) => (value instanceof Tensor ? Array.from(value.data()) : value)));
}

describe("optimizer steps", () => {
  it("update every parameter with a gradient as PyTorch does, or refuse a bad gradient before changing anything", () => {
    fc.assert(
      fc.property(optimizerCaseArb, ({ name, hyper, params: paramSpecs, grads, steps }) => {
        const params = paramSpecs.map((spec) => {
          const p = buildTensor(spec);
          p.requiresGrad = true;
          return p;
        });
        const Optimizer = nn.optim[name];
        const optimizer = new Optimizer(params, optimizerOptions(name, hyper) as never);
        // a refused assignment (PyTorch checks .grad's shape and dtype) is as good as a refused step
        const assigned = grads.map(({ kind, spec }, i) =>
          kind === "none" ? true : attempt(() => (params[i]!.grad = buildTensor(spec))).ok,
        );
        for (let step = 0; step < steps; step++) {
          const before = params.map((p) => Array.from(p.data()));
          const state = plainState(optimizer);
          const outcome = attempt(() => optimizer.step());
          if (!outcome.ok) {
            if (!(outcome.error instanceof NablaError)) expect.fail(`${name}.step threw ${describeError(outcome.error)}`);
            expect(
              params.map((p) => Array.from(p.data())),
              `${name}.step threw and changed a parameter`,
            ).toEqual(before);
            expect(plainState(optimizer), `${name}.step threw and changed its state`).toEqual(state);
            expect(
              grads.some(({ kind }, i) => kind === "wrong shape" && assigned[i]),
              `${name}.step refused fitting gradients: ${describeError(outcome.error)}`,
            ).toBe(true);
            return;
          }
        }
        grads.forEach(({ kind, spec }, i) => {
          const p = params[i]!;
          expect(wellFormedProblems(p, `parameter ${i}`)).toEqual([]);
          if (kind === "wrong shape" && assigned[i])
            expect.fail(
              `${name}.step accepted a gradient of shape [${modelOf(spec).shape.join(", ")}] for a parameter of shape [${p.shape.join(", ")}]`,
            );
          const theta0 = naive.flatValues(modelOf(paramSpecs[i]!));
          // a refused assignment leaves .grad null: the parameter is skipped
          const values =
            kind === "none" || !assigned[i]
              ? theta0
              : optimizerModel(
                  name,
                  hyper,
                  theta0,
                  naive.flatValues(modelOf(spec)).map((v) => castValue(v, p.dtype)),
                  steps,
                );
          const atol = p.dtype === "float32" ? 1e-5 * (1 + hyper.lr * steps) : 1e-10;
          expectTensor(
            p,
            {
              dtype: p.dtype,
              values: naive.fromFlat(
                values.map((v) => castValue(v, p.dtype)),
                p.shape,
              ),
              atol,
              rtol: p.dtype === "float32" ? 1e-5 : 1e-10,
            },
            `${name} parameter ${i} after ${steps} steps`,
          );
        });
      }),
      fuzzParameters(RUNS),
    );
  });
});

// ---- loadStateDict ----

describe("Module.loadStateDict", () => {
  it("loads every fitting entry (converting dtypes), or refuses and changes no parameter", () => {
    const keys = ["0.weight", "0.bias", "1.weight", "1.bias"];
    const caseArb = fc
      .record({
        sizes: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
        dtype: fc.constantFrom<DType>("float32", "float64"),
        strict: fc.option(fc.boolean(), { nil: undefined }),
        entries: fc.array(
          fc.record({
            key: fc.constantFrom(...keys, "2.weight"),
            kind: fc.constantFrom("fits", "fits", "fits", "wrong shape", "not a tensor"),
          }),
          { maxLength: 5 },
        ),
      })
      .chain((c) => {
        const shapes: Record<string, number[]> = {
          "0.weight": [c.sizes[1], c.sizes[0]],
          "0.bias": [c.sizes[1]],
          "1.weight": [c.sizes[2], c.sizes[1]],
          "1.bias": [c.sizes[2]],
          "2.weight": [1],
        };
        return fc
          .tuple(
            ...c.entries.map((e) => tensorSpecArb(e.kind === "wrong shape" ? [...shapes[e.key]!, 1] : shapes[e.key]!, { wide: false })),
          )
          .map((specs) => ({ ...c, shapes, specs }));
      });
    fc.assert(
      fc.property(caseArb, ({ sizes, dtype, strict, entries, shapes, specs }) => {
        const model = new nn.Sequential(
          new nn.Linear(sizes[0], sizes[1], { dtype: dtype as "float32" }),
          new nn.Linear(sizes[1], sizes[2], { dtype: dtype as "float32" }),
        );
        const stateDict: Record<string, unknown> = {};
        for (const [i, e] of entries.entries())
          stateDict[e.key] = e.kind === "not a tensor" ? Array.from(modelOf(specs[i]!).shape) : buildTensor(specs[i]!);
        const named = Object.fromEntries(model.namedParameters());
        const before = Object.fromEntries(Object.entries(named).map(([k, p]) => [k, Array.from(p.data())]));
        const present = Object.keys(stateDict);
        const refuse =
          ((strict ?? true) && (keys.some((k) => !present.includes(k)) || present.includes("2.weight"))) ||
          present.some(
            (k) => k in named && (!(stateDict[k] instanceof Tensor) || (stateDict[k] as Tensor).shape.join() !== shapes[k]!.join()),
          );
        const outcome = attempt(() =>
          model.loadStateDict(stateDict as Record<string, Tensor>, strict === undefined ? undefined : { strict }),
        );
        const after = Object.fromEntries(Object.entries(named).map(([k, p]) => [k, Array.from(p.data())]));
        if (!outcome.ok) {
          if (!(outcome.error instanceof NablaError)) expect.fail(`loadStateDict threw ${describeError(outcome.error)}`);
          expect(after, "loadStateDict threw and changed a parameter").toEqual(before);
          expect(refuse, `loadStateDict refused a state dict PyTorch loads: ${describeError(outcome.error)}`).toBe(true);
          return;
        }
        expect(refuse, "loadStateDict loaded a state dict PyTorch refuses").toBe(false);
        for (const [key, p] of Object.entries(named)) {
          const given = stateDict[key];
          const expected = given instanceof Tensor ? Array.from(given.data()).map((v) => castValue(v, p.dtype)) : before[key]!;
          expect(after[key], `parameter ${key}`).toEqual(expected);
        }
      }),
      fuzzParameters(RUNS),
    );
  });
});

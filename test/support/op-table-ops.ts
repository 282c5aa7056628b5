// Op-table rows for @nabla/ops: softmax, logSoftmax, their fused VJPs softmaxBackward and
// logSoftmaxBackward, logsumexp, crossEntropy's fused class-index op (registered as crossEntropy) and
// binaryCrossEntropy (each one defineOp), and the losses composed from them, checked through their
// input gradient (and, for float targets, the target gradient). Dims, reductions and loss options
// come from rowChoices, so they vary with the shape fast-check draws and stay fixed across the
// calls one gradcheck makes. The regression losses stay off their kinks by the grid itself: input
// and target lie on grids of different slots, so |x − y| is never 0 nor a multiple of 1/256, and
// every beta and delta below is one. layerNorm is one op (fused kernels, its second derivative
// through tensor ops), batchNorm in training and groupNorm run on the standardize op (hand-written
// backward), batchNorm in eval mode on tensor ops; their weights and biases are cut from inputs of
// the drawn shape.

import { tensor, type Tensor } from "@nabla/tensor";
import {
  batchNorm,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  crossEntropy,
  embedding,
  groupNorm,
  huberLoss,
  klDiv,
  l1Loss,
  layerNorm,
  logSoftmax,
  logSoftmaxBackward,
  logsumexp,
  mseLoss,
  maxPool1d,
  maxPool2d,
  nllLoss,
  scaledDotProductAttention,
  smoothL1Loss,
  softmax,
  softmaxBackward,
  type CrossEntropyOptions,
  type KlDivReduction,
  type Reduction,
  unfold,
} from "@nabla/ops";
import { rowChoices, type OpRow } from "./op-table";

const REDUCTIONS: readonly Reduction[] = ["mean", "sum", "none"];

type Choices = ReturnType<typeof rowChoices>;

/** The class count of an input shaped (C), (N, C) or (N, C, d1, …). */
function classCount(shape: readonly number[]): number {
  return shape.length === 1 ? shape[0]! : shape[1]!;
}

/**
 * int32 class-index targets for an input of `shape` (the shape without its class dim): random
 * classes, every third one replaced by `ignoreIndex`, and the first always a class that is not
 * ignored, so a "mean" never divides by zero.
 */
function classTargets(shape: readonly number[], pick: Choices, ignoreIndex: number): Tensor {
  const classes = classCount(shape);
  const targetShape = shape.length === 1 ? [] : [shape[0]!, ...shape.slice(2)];
  const count = targetShape.reduce((n, size) => n * size, 1);
  const values = Int32Array.from({ length: count }, (_, i) => (i % 3 === 2 ? ignoreIndex : pick.int(0, classes - 1)));
  if (values[0] === ignoreIndex) values[0] = (ignoreIndex + 1) % classes;
  return tensor(values, { shape: targetShape });
}

/** Loss options: any reduction, weighted or not (distinct positive weights), smoothed or not. */
function lossOptions(shape: readonly number[], pick: Choices): CrossEntropyOptions {
  const options: CrossEntropyOptions = { reduction: REDUCTIONS[pick.int(0, 2)]! };
  if (pick.bool()) {
    options.weight = tensor(Float64Array.from({ length: classCount(shape) }, (_, c) => 0.5 + ((c * 37) % 10) / 10));
  }
  if (pick.bool()) options.labelSmoothing = 0.15;
  return options;
}

/** Class-index targets and options: the default ignoreIndex, or a real class ignored (C ≥ 2). */
function classIndexCase(shape: readonly number[], salt: number): { target: Tensor; options: CrossEntropyOptions } {
  const pick = rowChoices(shape, salt);
  const options = lossOptions(shape, pick);
  const classes = classCount(shape);
  if (classes >= 2 && pick.bool()) options.ignoreIndex = pick.int(0, classes - 1);
  return { target: classTargets(shape, pick, options.ignoreIndex ?? -100), options };
}

/** The last `keep` dims of t: index 0 of every leading dim (a differentiable view). */
function trailing(t: Tensor, keep: number): Tensor {
  let view = t;
  while (view.ndim > keep) view = view.select(0, 0);
  return view;
}

/** `[C]` from an input of shape `[N, C, …]`: index 0 of every other dim. */
function channels(t: Tensor): Tensor {
  let view = t.select(0, 0);
  while (view.ndim > 1) view = view.select(1, 0);
  return view;
}

/** Per-channel running statistics: distinct means and positive variances, made afresh per call. */
function runningStats(count: number): [Tensor, Tensor] {
  const mean = tensor(Float64Array.from({ length: count }, (_, c) => 0.3 * c - 0.5));
  const variance = tensor(Float64Array.from({ length: count }, (_, c) => 0.5 + 0.25 * c));
  return [mean, variance];
}
/**
 * A constant float64 weight that broadcasts to `shape`: one per position of the last dim (0-d for
 * a 0-d input), distinct and positive; or undefined (unweighted), as the row's choices say.
 */
function elementWeight(shape: readonly number[], pick: Choices): Tensor | undefined {
  if (pick.bool()) return undefined;
  const size = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  return tensor(
    Float64Array.from({ length: size }, (_, i) => 0.5 + ((i * 37) % 10) / 10),
    { shape: shape.length === 0 ? [] : [size] },
  );
}

/** A two-input loss row: input and target of one shape, the reduction (and options) from rowChoices. */
function lossRow(
  name: string,
  salt: number,
  domains: OpRow["domains"],
  loss: (x: Tensor, y: Tensor, reduction: Reduction, pick: Choices, shape: readonly number[]) => Tensor,
): OpRow {
  return {
    name,
    arity: 2,
    sameShape: true,
    domains,
    call: ([x, y], shape) => {
      const pick = rowChoices(shape, salt);
      return loss(x!, y!, REDUCTIONS[pick.int(0, 2)]!, pick, shape);
    },
  };
}

/** Keys and values for a query of `shape`: S ≤ L (and ≤ maxKeys) keys, Ev ≤ E value features (narrowed views). */
function attentionInputs(k: Tensor, v: Tensor, shape: readonly number[], salt: number, maxKeys = Infinity) {
  const pick = rowChoices(shape, salt);
  const [L, E] = shape.slice(-2) as [number, number];
  const most = Math.min(L, maxKeys);
  const S = most === 0 ? 0 : pick.int(1, most);
  const Ev = E === 0 ? 0 : pick.int(1, E);
  return { pick, keys: k.narrow(-2, 0, S), values: v.narrow(-2, 0, S).narrow(-1, 0, Ev) };
}

/** A bool mask [L, S] (true: takes part), fixed by the row's choices. */
function boolMask(L: number, S: number, pick: Choices): Tensor {
  return tensor(
    Uint8Array.from({ length: L * S }, () => (pick.int(0, 2) > 0 ? 1 : 0)),
    { shape: [L, S], dtype: "bool" },
  );
}

// ---- convolution and pooling ----
// The drawn shape [a, b, c] is the input: batched [N, C, L] for the 1-d ops, unbatched [C, H, W]
// for the 2-d ones (or a batch of two stride-0 copies of it). Weights and biases are cut from the
// other inputs' leading elements, so they arrive as strided views too; the options vary with the
// shape, within what the sizes allow.

const product = (values: readonly number[]) => values.reduce((p, v) => p * v, 1);

/** The first elements of `t` (row-major) as a tensor of `shape`: a weight cut from a drawn input. */
const cut = (t: Tensor, shape: number[]) => t.flatten().narrow(0, 0, product(shape)).reshape(shape);

/**
 * Random convolution geometry for spatial sizes `sizes`: per dim a padding, dilation, stride and a
 * kernel whose dilated span fits the unpadded size; `room` bounds the product of the kernel sizes.
 */
function convGeometry(pick: Choices, sizes: readonly number[], room: number) {
  const dilation = sizes.map(() => pick.int(1, 2));
  let budget = room;
  const kernel = sizes.map((size, d) => {
    const k = pick.int(1, Math.max(1, Math.min(3, Math.floor((size - 1) / dilation[d]!) + 1, budget)));
    budget = Math.max(1, Math.floor(budget / k));
    return k;
  });
  return { padding: sizes.map(() => pick.int(0, 1)), dilation, stride: sizes.map(() => pick.int(1, 2)), kernel };
}

/** One of the divisors of n. */
function divisorOf(pick: Choices, n: number): number {
  const divisors = Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
  return divisors[pick.int(0, divisors.length - 1)]!;
}

/**
 * A convolution row's choices for the drawn shape: the channels and spatial sizes it holds, a
 * number of groups dividing the channels, and the room (elements per channel) a weight may take.
 */
function convCase(shape: readonly number[], spatial: number, salt: number) {
  const pick = rowChoices(shape, salt);
  const channels = shape[spatial === 1 ? 1 : 0]!;
  return { pick, channels, sizes: shape.slice(-spatial), groups: divisorOf(pick, channels), room: product(shape) / channels };
}

/** A batched or unbatched conv input (`spatial` 2: the drawn [C, H, W], maybe as a batch of two stride-0 copies). */
function convInput(x: Tensor, spatial: number, pick: Choices): Tensor {
  return spatial === 2 && pick.bool() ? x.unsqueeze(0).expand([2, ...x.shape]) : x;
}

/** conv1d / conv2d with random stride, padding (integers, "same", "valid"), dilation, groups and bias. */
function convRow(spatial: 1 | 2, salt: number): OpRow {
  return {
    name: "conv2d",
    // its backward: the im2col route in differentiable ops
    covers: ["im2col", "col2im", "matmul", "reshape", "permute", "sum", "expand"],
    arity: 3,
    sameShape: true,
    minRank: 3,
    maxRank: 3,
    call: ([x, w, b], shape) => {
      const { pick, channels, sizes, groups, room } = convCase(shape, spatial, salt);
      const { padding, dilation, stride, kernel } = convGeometry(pick, sizes, room);
      const perGroup = Math.max(1, Math.min(2, Math.floor(room / product(kernel))));
      const outChannels = groups * pick.int(1, perGroup);
      const weight = cut(w!, [outChannels, channels / groups, ...kernel]);
      const form = pick.int(0, 3);
      const options = {
        stride: form === 2 ? 1 : stride,
        padding: form === 0 ? padding : form === 1 ? "valid" : form === 2 ? "same" : padding[0]!,
        dilation,
        groups,
      };
      const bias = pick.bool() ? cut(b!, [outChannels]) : null;
      const input = convInput(x!, spatial, pick);
      return spatial === 1 ? conv1d(input, weight, bias, options as never) : conv2d(input, weight, bias, options as never);
    },
  };
}

/** convTranspose1d / convTranspose2d with random stride, padding, outputPadding, dilation, groups and bias. */
function convTransposeRow(spatial: 1 | 2, salt: number): OpRow {
  return {
    name: "col2im",
    covers: ["matmul", "reshape", "permute", "add", "expand"],
    arity: 3,
    sameShape: true,
    minRank: 3,
    maxRank: 3,
    call: ([x, w, b], shape) => {
      const { pick, channels, sizes, groups, room } = convCase(shape, spatial, salt);
      let budget = room;
      const kernel = sizes.map(() => {
        const k = pick.int(1, Math.min(2, budget));
        budget = Math.floor(budget / k);
        return k;
      });
      const perGroup = Math.max(1, Math.min(2, Math.floor(room / product(kernel))));
      const stride = sizes.map(() => pick.int(1, 2));
      const dilation = sizes.map(() => pick.int(1, 2));
      const outputPadding = sizes.map((_, d) => pick.int(0, Math.max(stride[d]!, dilation[d]!) - 1));
      // padding crops the output: keep at least one element
      const padding = sizes.map((size, d) => {
        const full = (size - 1) * stride[d]! + dilation[d]! * (kernel[d]! - 1) + 1 + outputPadding[d]!;
        return pick.int(0, Math.min(1, Math.floor((full - 1) / 2)));
      });
      const weight = cut(w!, [channels, pick.int(1, perGroup), ...kernel]);
      const outChannels = weight.shape[1]! * groups;
      const bias = pick.bool() && outChannels <= product(shape) ? cut(b!, [outChannels]) : null;
      const options = { stride, padding, outputPadding, dilation, groups };
      const input = convInput(x!, spatial, pick);
      return spatial === 1
        ? convTranspose1d(input, weight, bias, options as never)
        : convTranspose2d(input, weight, bias, options as never);
    },
  };
}

/** Pooling geometry: a (dilated) kernel that fits the input, padding at most half of it, a stride, ceilMode. */
function poolGeometry(pick: Choices, sizes: readonly number[]) {
  const dilation = sizes.map(() => pick.int(1, 2));
  const kernel = sizes.map((size, d) => pick.int(1, Math.min(3, Math.floor((size - 1) / dilation[d]!) + 1)));
  return {
    kernel,
    stride: kernel.map(() => pick.int(1, 2)),
    padding: kernel.map((k) => pick.int(0, Math.floor(k / 2))),
    dilation,
    ceilMode: pick.bool(),
  };
}

function poolRow(kind: "max" | "avg", spatial: 1 | 2, salt: number): OpRow {
  return {
    name: kind === "max" ? "maxPool" : "im2col",
    covers: ["reshape", ...(kind === "max" ? ["scatterAdd"] : ["sum", "div", "cast"])],
    arity: 1,
    minRank: 3,
    maxRank: 3,
    call: ([x], shape) => {
      const pick = rowChoices(shape, salt);
      const { kernel, stride, padding, dilation, ceilMode } = poolGeometry(pick, shape.slice(-spatial));
      const input = convInput(x!, spatial, pick);
      if (kind === "max") {
        const options = { stride, padding, dilation, ceilMode };
        return spatial === 1
          ? maxPool1d(input, kernel as [number], options as never)
          : maxPool2d(input, kernel as [number, number], options as never);
      }
      const options = { stride, padding, ceilMode, countIncludePad: pick.bool() };
      return spatial === 1
        ? avgPool1d(input, kernel as [number], options as never)
        : avgPool2d(input, kernel as [number, number], options as never);
    },
  };
}

const KL_REDUCTIONS: readonly KlDivReduction[] = ["mean", "batchmean", "sum", "none"];
const convolutionRows: OpRow[] = [
  convRow(1, 120),
  convRow(2, 121),
  convTransposeRow(1, 122),
  convTransposeRow(2, 123),
  poolRow("max", 1, 124),
  poolRow("max", 2, 125),
  poolRow("avg", 1, 126),
  poolRow("avg", 2, 127),
  {
    // adaptive average pooling gathers each window's inputs (indexSelect, a zero padded past the dim) and averages them
    name: "gather",
    covers: ["cat", "sum", "div", "reshape"],
    arity: 1,
    minRank: 3,
    maxRank: 3,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 128);
      const out = shape.map((size) => pick.int(1, size + 1));
      return pick.bool() ? adaptiveAvgPool1d(x!, out[2]!) : adaptiveAvgPool2d(x!, [out[1]!, pick.bool() ? null : out[2]!]);
    },
  },
  {
    name: "im2col",
    covers: ["reshape"],
    arity: 1,
    minRank: 3,
    maxRank: 3,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 129);
      const { padding, dilation, stride, kernel } = convGeometry(pick, shape.slice(1), 9);
      return unfold(convInput(x!, 2, pick), kernel as [number, number], {
        padding: padding as [number, number],
        dilation: dilation as [number, number],
        stride: stride as [number, number],
      });
    },
  },
];

export const opsRows: OpRow[] = [
  ...convolutionRows,
  { name: "softmax", arity: 1, call: ([x], shape) => softmax(x!, rowChoices(shape, 100).dim(shape.length)) },
  { name: "logSoftmax", arity: 1, call: ([x], shape) => logSoftmax(x!, rowChoices(shape, 101).dim(shape.length)) },
  {
    // the VJPs as functions of both their inputs: any saved output s (or y) and any gradient g
    name: "softmaxBackward",
    arity: 2,
    sameShape: true,
    call: ([s, g], shape) => softmaxBackward(s!, g!, rowChoices(shape, 106).dim(shape.length)),
  },
  {
    name: "logSoftmaxBackward",
    arity: 2,
    sameShape: true,
    call: ([y, g], shape) => logSoftmaxBackward(y!, g!, rowChoices(shape, 107).dim(shape.length)),
  },
  {
    // one dim (as a number) or a list of dims, keepdim either way
    name: "logsumexp",
    arity: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 102);
      const dim = pick.bool() ? pick.dim(shape.length) : pick.dims(shape.length);
      return logsumexp(x!, dim, pick.bool());
    },
  },
  {
    name: "crossEntropy",
    covers: ["logSoftmax"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const { target, options } = classIndexCase(shape, 103);
      return crossEntropy(x!, target, options);
    },
  },
  {
    // (N, C) logits, class indices, no weight or smoothing, "mean" or "sum": the fused op, which
    // defineOp registers as "crossEntropy"
    name: "crossEntropy",
    arity: 1,
    minRank: 2,
    maxRank: 2,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 108);
      const ignoreIndex = shape[1]! >= 2 && pick.bool() ? pick.int(0, shape[1]! - 1) : -100;
      const reduction = pick.bool() ? "mean" : "sum";
      return crossEntropy(x!, classTargets(shape, pick, ignoreIndex), { ignoreIndex, reduction });
    },
  },
  {
    // probability targets: gradients flow to the input and to the target
    name: "crossEntropy",
    covers: ["logSoftmax"],
    arity: 2,
    domains: ["any", "unit"],
    sameShape: true,
    minRank: 1,
    call: ([x, target], shape) => crossEntropy(x!, target!, lossOptions(shape, rowChoices(shape, 104))),
  },
  {
    name: "nllLoss",
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const { target, options } = classIndexCase(shape, 105);
      delete options.labelSmoothing; // not an nllLoss option
      return nllLoss(x!, target, options);
    },
  },
  {
    // over 1 to ndim trailing dims, with a weight and a bias cut from the other inputs
    name: "layerNorm",
    arity: 3,
    sameShape: true,
    minRank: 1,
    call: ([x, w, b], shape) => {
      const pick = rowChoices(shape, 109);
      const keep = pick.int(1, shape.length);
      const weight = pick.bool() ? trailing(w!, keep) : null;
      return layerNorm(x!, shape.slice(shape.length - keep), { weight, bias: pick.bool() ? trailing(b!, keep) : null });
    },
  },
  {
    // training (batch statistics, when a channel holds more than one value) or eval (running ones), affine or not
    name: "batchNorm",
    covers: ["standardize"],
    arity: 3,
    sameShape: true,
    minRank: 2,
    call: ([x, w, b], shape) => {
      const pick = rowChoices(shape, 110);
      const perChannel = shape.reduce((n, size) => n * size, 1) / Math.max(shape[1]!, 1);
      const training = perChannel !== 1 && pick.bool();
      const affine = pick.bool();
      const [runningMean, runningVar] = runningStats(shape[1]!);
      return batchNorm(x!, runningMean, runningVar, {
        training,
        momentum: 0.3,
        weight: affine ? channels(w!) : null,
        bias: affine ? channels(b!) : null,
      });
    },
  },
  {
    name: "groupNorm",
    covers: ["standardize"],
    arity: 3,
    sameShape: true,
    minRank: 2,
    call: ([x, w, b], shape) => {
      const pick = rowChoices(shape, 111);
      // F.group_norm refuses a single sample with one value per group (as many groups as values):
      // such counts are left out, and a one-value input is given a batch of two
      const numel = shape.reduce((n, size) => n * size, 1);
      const input = numel === 1 ? x!.expand([2, ...shape.slice(1)]) : x!;
      const divisors = [...Array(shape[1]! + 1).keys()].filter((g) => g > 0 && shape[1]! % g === 0 && (g !== numel || numel === 1));
      const groups = divisors.length > 0 ? divisors[pick.int(0, divisors.length - 1)]! : pick.int(1, 3);
      const affine = pick.bool();
      return groupNorm(input, groups, { weight: affine ? channels(w!) : null, bias: affine ? channels(b!) : null });
    },
  },
  {
    // the weight [V, D] takes the gradient, repeated indices adding up (no paddingIdx: withholding
    // that row's gradient is a convention finite differences cannot see; test/ops/norm.test.ts pins it)
    name: "embedding",
    arity: 1,
    minRank: 2,
    maxRank: 2,
    call: ([weight], shape) => {
      const pick = rowChoices(shape, 112);
      const rows = shape[0]!;
      const indexShape = rows === 0 ? [0] : [pick.int(1, 3), pick.int(1, 4)];
      const count = indexShape.reduce((n, size) => n * size, 1);
      const indices = tensor(
        Int32Array.from({ length: count }, () => pick.int(0, rows - 1)),
        { shape: indexShape },
      );
      return embedding(indices, weight!);
    },
  },
  {
    // q [..., L, E]; k and v cut to S ≤ L keys (v to Ev ≤ E features); no mask, a bool mask or causal; any scale
    name: "scaledDotProductAttention",
    arity: 3,
    sameShape: true,
    minRank: 2,
    call: ([q, k, v], shape) => {
      const { pick, keys, values } = attentionInputs(k!, v!, shape, 118);
      const kind = pick.int(0, 2);
      const attnMask = kind === 1 ? boolMask(shape.at(-2)!, keys.shape.at(-2)!, pick) : null;
      return scaledDotProductAttention(q!, keys, values, { attnMask, isCausal: kind === 2, scale: pick.bool() ? 0.7 : null });
    },
  },
  {
    // a float mask [L, S] cut from the fourth input, which takes a gradient too
    name: "scaledDotProductAttention",
    arity: 4,
    sameShape: true,
    minRank: 2,
    call: ([q, k, v, m], shape) => {
      // S ≤ E too, so the mask fits in the input's last two dims
      const { keys, values } = attentionInputs(k!, v!, shape, 119, shape.at(-1)!);
      return scaledDotProductAttention(q!, keys, values, { attnMask: trailing(m!, 2).narrow(-1, 0, keys.shape.at(-2)!) });
    },
  },
  lossRow("mseLoss", 110, ["any", "any"], (x, y, reduction) => mseLoss(x, y, { reduction })),
  lossRow("l1Loss", 111, ["any", "any"], (x, y, reduction) => l1Loss(x, y, { reduction })),
  // beta 0 is the L1 loss
  lossRow("smoothL1Loss", 112, ["any", "any"], (x, y, reduction, pick) =>
    smoothL1Loss(x, y, { reduction, beta: [0, 0.5, 1, 2][pick.int(0, 3)]! }),
  ),
  lossRow("huberLoss", 113, ["any", "any"], (x, y, reduction, pick) => huberLoss(x, y, { reduction, delta: [0.5, 1, 2][pick.int(0, 2)]! })),
  // probabilities inside (0, 1), away from the clamp; soft targets get their gradient too
  lossRow("binaryCrossEntropy", 114, ["unit", "unit"], (x, y, reduction, pick, shape) =>
    binaryCrossEntropy(x, y, { reduction, weight: elementWeight(shape, pick) }),
  ),
  lossRow("binaryCrossEntropyWithLogits", 115, ["any", "unit"], (x, y, reduction, pick, shape) =>
    binaryCrossEntropyWithLogits(x, y, { reduction, weight: elementWeight(shape, pick), posWeight: elementWeight(shape, pick) }),
  ),
  // probability targets are positive (log p has no derivative at 0); log targets are any value
  lossRow("klDiv", 116, ["any", "positive"], (x, y, _reduction, pick) => klDiv(x, y, { reduction: KL_REDUCTIONS[pick.int(0, 3)]! })),
  lossRow("klDiv", 117, ["any", "any"], (x, y, _reduction, pick) =>
    klDiv(x, y, { reduction: KL_REDUCTIONS[pick.int(0, 3)]!, logTarget: true }),
  ),
];

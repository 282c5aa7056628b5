// Op-table rows for @nabla/ops: softmax, logSoftmax, their fused VJPs softmaxBackward and
// logSoftmaxBackward, logsumexp and crossEntropy's fused crossEntropyClassIndices (each one
// defineOp), and the losses composed from them, checked through their input gradient (and, for
// probability targets, the target gradient). Dims, reductions and loss options come from
// rowChoices, so they vary with the shape fast-check draws and stay fixed across the calls one
// gradcheck makes.

import { tensor, type Tensor } from "@nabla/tensor";
import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  crossEntropy,
  logSoftmax,
  logSoftmaxBackward,
  logsumexp,
  maxPool1d,
  maxPool2d,
  nllLoss,
  softmax,
  softmaxBackward,
  type CrossEntropyOptions,
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
    name: "matmul",
    covers: ["asStrided", "reshape", "permute", "cat", "clone", "add", "expand"],
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
    name: "scatterAdd",
    covers: ["matmul", "reshape", "permute", "slice", "add", "expand"],
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
    name: kind === "max" ? "gather" : "sum",
    covers: ["asStrided", "cat", "reshape", "clone", ...(kind === "max" ? [] : ["div", "cast"])],
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
    name: "matmul",
    covers: ["cast", "permute"],
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
    name: "asStrided",
    covers: ["cat", "reshape", "permute", "clone"],
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
    // (N, C) logits, class indices, no weight or smoothing, "mean" or "sum": the fused op
    name: "crossEntropyClassIndices",
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
];

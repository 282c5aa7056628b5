import { Tensor } from "@nabla/tensor";
import { type CrossEntropyOptions, crossEntropy, type NllLossOptions, nllLoss } from "./cross-entropy";
import {
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  type HuberLossOptions,
  type KlDivOptions,
  type LossOptions,
  type SmoothL1LossOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  huberLoss,
  klDiv,
  l1Loss,
  mseLoss,
  smoothL1Loss,
} from "./losses";
import { logSoftmax, logsumexp, softmax } from "./softmax";
import {
  type ConvOptions,
  type ConvTransposeOptions,
  type Size1d,
  type Size2d,
  type UnfoldOptions,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  unfold,
} from "./conv";
import {
  type AdaptiveSize2d,
  type AvgPoolOptions,
  type MaxPoolOptions,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  maxPool1d,
  maxPool2d,
} from "./pool";
import { type BatchNormOptions, batchNorm, type GroupNormOptions, groupNorm, type LayerNormOptions, layerNorm } from "./norm";
import { type EmbeddingOptions, embedding } from "./embedding";
import { dropout } from "./dropout";
import {
  type AttentionWeightsOptions,
  type ScaledDotProductAttentionOptions,
  attentionWeights,
  scaledDotProductAttention,
} from "./attention";

// Importing @nabla/ops gives tensors the methods of its ops whose first argument is a tensor, as
// PyTorch users type them (`x.softmax(-1)`); TypeScript sees them through this augmentation. They
// land on the Tensor class of the @nabla/tensor copy that @nabla/ops itself imports.

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * `softmax(this, dim)`: the softmax along `dim` (default the last), from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([2.0, 1.0, 0.1]).softmax(); // → [0.6590, 0.2424, 0.0986]
     * ```
     */
    softmax(dim?: number): Tensor;
    /**
     * `logSoftmax(this, dim)`: the log of the softmax along `dim` (default the last), computed
     * stably, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([0, 0]).logSoftmax(); // → [-0.6931, -0.6931]
     * ```
     */
    logSoftmax(dim?: number): Tensor;
    /**
     * `logsumexp(this, dim, keepdim)`: log Σ exp over `dim`, computed stably, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[0, 0], [1000, 1000]]).logsumexp(1); // → [0.6931, 1000.6931]
     * ```
     */
    logsumexp(dim: number | readonly number[], keepdim?: boolean): Tensor;
    /**
     * `crossEntropy(this, target, options)`: this tensor holds the logits, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[0, 0]]).crossEntropy(tensor([1], { dtype: "int32" })); // → 0.6931
     * ```
     */
    crossEntropy(target: Tensor, options?: CrossEntropyOptions): Tensor;
    /**
     * `nllLoss(this, target, options)`: this tensor holds log-probabilities, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[-1, -2]]).nllLoss(tensor([1], { dtype: "int32" })); // → 2
     * ```
     */
    nllLoss(target: Tensor, options?: NllLossOptions): Tensor;
    /**
     * `mseLoss(this, target, options)`: the mean squared error, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([1, 2]).mseLoss(tensor([2, 4])); // → 2.5
     * ```
     */
    mseLoss(target: Tensor, options?: LossOptions): Tensor;
    /**
     * `l1Loss(this, target, options)`: the mean absolute error, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([1, 2]).l1Loss(tensor([2, 4])); // → 1.5
     * ```
     */
    l1Loss(target: Tensor, options?: LossOptions): Tensor;
    /**
     * `smoothL1Loss(this, target, options)`: quadratic below `beta`, linear above, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([0, 0]).smoothL1Loss(tensor([0.5, 3])); // → 1.3125
     * ```
     */
    smoothL1Loss(target: Tensor, options?: SmoothL1LossOptions): Tensor;
    /**
     * `huberLoss(this, target, options)`: quadratic below `delta`, linear above, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([0, 0]).huberLoss(tensor([0.5, 3]), { delta: 2 }); // → 2.0625
     * ```
     */
    huberLoss(target: Tensor, options?: HuberLossOptions): Tensor;
    /**
     * `binaryCrossEntropy(this, target, options)`: this tensor holds probabilities, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([0.5, 0.5]).binaryCrossEntropy(tensor([1, 0])); // → 0.6931
     * ```
     */
    binaryCrossEntropy(target: Tensor, options?: BinaryCrossEntropyOptions): Tensor;
    /**
     * `binaryCrossEntropyWithLogits(this, target, options)`: this tensor holds logits, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([0, 1000]).binaryCrossEntropyWithLogits(tensor([1, 1])); // → 0.3466
     * ```
     */
    binaryCrossEntropyWithLogits(target: Tensor, options?: BinaryCrossEntropyWithLogitsOptions): Tensor;
    /**
     * `klDiv(this, target, options)`: this tensor holds log-probabilities, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[0.5, 0.5]]).log().klDiv(tensor([[1, 0]]), { reduction: "batchmean" }); // → 0.693147
     * ```
     */
    klDiv(target: Tensor, options?: KlDivOptions): Tensor;
    /**
     * `layerNorm(this, normalizedShape, options)`: normalised over the last dims, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[1, 2, 3]]).layerNorm([3]); // → [[-1.2247, 0, 1.2247]]
     * ```
     */
    layerNorm(normalizedShape: number | readonly number[], options?: LayerNormOptions): Tensor;
    /**
     * `batchNorm(this, runningMean, runningVar, options)`: normalised per channel of `(N, C, *)`,
     * from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[1, 10], [3, 30]]).batchNorm(null, null, { training: true }); // → [[-1.0000, -1.0000], [1.0000, 1.0000]]
     * ```
     */
    batchNorm(runningMean: Tensor | null, runningVar: Tensor | null, options?: BatchNormOptions): Tensor;
    /**
     * `groupNorm(this, numGroups, options)`: normalised per sample and group of channels, from
     * `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[1, 3, 10, 30]]).groupNorm(2); // → [[-1.0000, 1.0000, -1.0000, 1.0000]]
     * ```
     */
    groupNorm(numGroups: number, options?: GroupNormOptions): Tensor;
    /**
     * `embedding(this, weight, options)`: this int32 tensor holds the indices of the rows of
     * `weight` to look up, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([1, 0], { dtype: "int32" }).embedding(tensor([[0, 1], [2, 3]])); // → [[2, 3], [0, 1]]
     * ```
     */
    embedding(weight: Tensor, options?: EmbeddingOptions): Tensor;
    /**
     * `dropout(this, p, training)`: inverted dropout, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * ones([3]).dropout(0.5, false); // → [1, 1, 1]
     * ```
     */
    dropout(p?: number, training?: boolean): Tensor;
    /**
     * `scaledDotProductAttention(this, key, value, options)`: this tensor holds the queries
     * `[..., L, E]`, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[1, 0]]).scaledDotProductAttention(tensor([[1, 0], [0, 1]]), tensor([[1, 2], [3, 4]]), { scale: 0 }); // → [[2, 3]]
     * ```
     */
    scaledDotProductAttention(key: Tensor, value: Tensor, options?: ScaledDotProductAttentionOptions): Tensor;
    /**
     * `attentionWeights(this, key, options)`: this tensor holds the queries `[..., L, E]`, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[1, 0]]).attentionWeights(tensor([[1, 0], [0, 1]]), { scale: 0 }); // → [[0.5, 0.5]]
     * ```
     */
    attentionWeights(key: Tensor, options?: AttentionWeightsOptions): Tensor;
  }
}

// convolution and pooling, this tensor being the input
declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * `conv1d(this, weight, bias, options)`: the 1-d convolution of this `[N, C, L]` input, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 2, 3]]]).conv1d(tensor([[[1, 1]]])); // → [[[3, 5]]]
     * ```
     */
    conv1d(weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size1d>): Tensor;
    /**
     * `conv2d(this, weight, bias, options)`: the 2-d convolution of this `[N, C, H, W]` input, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * ones([1, 1, 3, 3]).conv2d(ones([1, 1, 2, 2])); // → [[[[4, 4], [4, 4]]]]
     * ```
     */
    conv2d(weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size2d>): Tensor;
    /**
     * `convTranspose1d(this, weight, bias, options)`: the transposed 1-d convolution, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 2]]]).convTranspose1d(tensor([[[1, 1]]])); // → [[[1, 3, 2]]]
     * ```
     */
    convTranspose1d(weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size1d>): Tensor;
    /**
     * `convTranspose2d(this, weight, bias, options)`: the transposed 2-d convolution, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * ones([1, 1, 1, 1]).convTranspose2d(ones([1, 1, 2, 2])); // → [[[[1, 1], [1, 1]]]]
     * ```
     */
    convTranspose2d(weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size2d>): Tensor;
    /**
     * `unfold(this, kernelSize, options)`: the sliding blocks of this `[N, C, H, W]` input as columns
     * (`F.unfold`, im2col), from `@nabla/ops`. Not PyTorch's `Tensor.unfold(dim, size, step)`.
     *
     * @example
     * ```ts
     * ones([1, 2, 3, 3]).unfold(2).shape; // → [1, 8, 4]
     * ```
     */
    unfold(kernelSize: Size2d, options?: UnfoldOptions): Tensor;
    /**
     * `maxPool1d(this, kernelSize, options)`: max pooling along the last dim, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 3, 2, 0]]]).maxPool1d(2); // → [[[3, 2]]]
     * ```
     */
    maxPool1d(kernelSize: Size1d, options?: MaxPoolOptions<Size1d>): Tensor;
    /**
     * `maxPool2d(this, kernelSize, options)`: max pooling over the last two dims, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[[1, 2], [4, 3]]]]).maxPool2d(2); // → [[[[4]]]]
     * ```
     */
    maxPool2d(kernelSize: Size2d, options?: MaxPoolOptions<Size2d>): Tensor;
    /**
     * `avgPool1d(this, kernelSize, options)`: average pooling along the last dim, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 3, 2, 0]]]).avgPool1d(2); // → [[[2, 1]]]
     * ```
     */
    avgPool1d(kernelSize: Size1d, options?: AvgPoolOptions<Size1d>): Tensor;
    /**
     * `avgPool2d(this, kernelSize, options)`: average pooling over the last two dims, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[[1, 2], [4, 3]]]]).avgPool2d(2); // → [[[[2.5]]]]
     * ```
     */
    avgPool2d(kernelSize: Size2d, options?: AvgPoolOptions<Size2d>): Tensor;
    /**
     * `adaptiveAvgPool1d(this, outputSize)`: adaptive average pooling along the last dim, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 3, 2, 0]]]).adaptiveAvgPool1d(1); // → [[[1.5]]]
     * ```
     */
    adaptiveAvgPool1d(outputSize: Size1d): Tensor;
    /**
     * `adaptiveAvgPool2d(this, outputSize)`: adaptive average pooling over the last two dims, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[[1, 2], [4, 3]]]]).adaptiveAvgPool2d(1); // → [[[[2.5]]]]
     * ```
     */
    adaptiveAvgPool2d(outputSize: AdaptiveSize2d): Tensor;
  }
}

/** `op` as a method of its first argument: `x.op(...args)` is `op(x, ...args)`. */
function asMethod<A extends unknown[]>(op: (x: Tensor, ...args: A) => Tensor) {
  return function (this: Tensor, ...args: A): Tensor {
    return op(this, ...args);
  };
}

// `satisfies` checks each method against its declaration above
const methods = {
  softmax: asMethod(softmax),
  logSoftmax: asMethod(logSoftmax),
  logsumexp: asMethod(logsumexp),
  crossEntropy: asMethod(crossEntropy),
  nllLoss: asMethod(nllLoss),
  mseLoss: asMethod(mseLoss),
  l1Loss: asMethod(l1Loss),
  smoothL1Loss: asMethod(smoothL1Loss),
  huberLoss: asMethod(huberLoss),
  binaryCrossEntropy: asMethod(binaryCrossEntropy),
  binaryCrossEntropyWithLogits: asMethod(binaryCrossEntropyWithLogits),
  klDiv: asMethod(klDiv),
  layerNorm: asMethod(layerNorm),
  batchNorm: asMethod(batchNorm),
  groupNorm: asMethod(groupNorm),
  embedding: asMethod(embedding),
  dropout: asMethod(dropout),
  scaledDotProductAttention: asMethod(scaledDotProductAttention),
  attentionWeights: asMethod(attentionWeights),
  conv1d: asMethod(conv1d),
  conv2d: asMethod(conv2d),
  convTranspose1d: asMethod(convTranspose1d),
  convTranspose2d: asMethod(convTranspose2d),
  unfold: asMethod(unfold),
  maxPool1d: asMethod(maxPool1d),
  maxPool2d: asMethod(maxPool2d),
  avgPool1d: asMethod(avgPool1d),
  avgPool2d: asMethod(avgPool2d),
  adaptiveAvgPool1d: asMethod(adaptiveAvgPool1d),
  adaptiveAvgPool2d: asMethod(adaptiveAvgPool2d),
} satisfies Partial<Tensor>;

// non-enumerable, as the class's own methods are
for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
}

/**
 * The functional layer (PyTorch's `torch.nn.functional`): softmax, log-softmax and logsumexp with
 * hand-written backward rules, cross-entropy and negative log-likelihood, the regression and
 * probability losses (mean squared error, L1, smooth L1, Huber, binary cross-entropy, KL divergence),
 * layer/batch/group normalisation, embedding lookups, dropout, convolution, pooling and scaled
 * dot-product attention.
 *
 * This entry leaves `Tensor` without the methods `@nabla/ops` adds (`x.softmax()`), and imports
 * `@nabla/tensor/functional`, so a bundler keeps only the ops a program imports.
 *
 * @module @nabla/ops/functional
 */
export { softmax, logSoftmax, logsumexp, softmaxBackward, logSoftmaxBackward, softmaxJacobian } from "./softmax";
export { crossEntropy, nllLoss } from "./cross-entropy";
export type { CrossEntropyOptions, NllLossOptions, Reduction } from "./cross-entropy";
export { layerNorm, batchNorm, groupNorm } from "./norm";
export type { LayerNormOptions, BatchNormOptions, GroupNormOptions } from "./norm";
export { embedding } from "./embedding";
export type { EmbeddingOptions } from "./embedding";
export { dropout } from "./dropout";
export { scaledDotProductAttention, attentionWeights } from "./attention";
export type { ScaledDotProductAttentionOptions, AttentionWeightsOptions } from "./attention";
export { mseLoss, l1Loss, smoothL1Loss, huberLoss, binaryCrossEntropy, binaryCrossEntropyWithLogits, klDiv } from "./losses";
export type {
  LossOptions,
  SmoothL1LossOptions,
  HuberLossOptions,
  BinaryCrossEntropyOptions,
  BinaryCrossEntropyWithLogitsOptions,
  KlDivOptions,
  KlDivReduction,
} from "./losses";
export { conv1d, conv2d, convTranspose1d, convTranspose2d, unfold } from "./conv";
export type { ConvOptions, ConvTransposeOptions, UnfoldOptions, Size1d, Size2d } from "./conv";
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool1d, adaptiveAvgPool2d } from "./pool";
export type { MaxPoolOptions, AvgPoolOptions, AdaptiveSize2d } from "./pool";

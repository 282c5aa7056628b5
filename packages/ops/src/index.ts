/**
 * The functional layer (PyTorch's `torch.nn.functional`): softmax, log-softmax and logsumexp with
 * hand-written backward rules, cross-entropy and negative log-likelihood, the regression and
 * probability losses (mean squared error, L1, smooth L1, Huber, binary cross-entropy, KL divergence),
 * layer/batch/group normalisation, embedding lookups, dropout and scaled dot-product attention.
 *
 * @module @nabla/ops
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
// gives tensors x.softmax(), x.logSoftmax(), x.logsumexp(), x.crossEntropy(), x.nllLoss(), the losses, x.layerNorm(), …
import "./methods";

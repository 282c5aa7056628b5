/**
 * The functional layer (PyTorch's `torch.nn.functional`): softmax, log-softmax and logsumexp with
 * hand-written backward rules, cross-entropy and negative log-likelihood, layer/batch/group
 * normalisation, embedding lookups and dropout.
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
// gives tensors x.softmax(), x.logSoftmax(), x.logsumexp(), x.crossEntropy(), x.nllLoss(), x.layerNorm(), …
import "./methods";

/**
 * The functional layer (PyTorch's `torch.nn.functional`): softmax, log-softmax and logsumexp with
 * hand-written backward rules, cross-entropy and negative log-likelihood, convolution and pooling.
 *
 * @module @nabla/ops
 */
export { softmax, logSoftmax, logsumexp, softmaxBackward, logSoftmaxBackward, softmaxJacobian } from "./softmax";
export { crossEntropy, nllLoss } from "./cross-entropy";
export type { CrossEntropyOptions, NllLossOptions, Reduction } from "./cross-entropy";
export { conv1d, conv2d, convTranspose1d, convTranspose2d, unfold } from "./conv";
export type { ConvOptions, ConvTransposeOptions, UnfoldOptions, Size1d, Size2d } from "./conv";
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool1d, adaptiveAvgPool2d } from "./pool";
export type { MaxPoolOptions, AvgPoolOptions, AdaptiveSize2d } from "./pool";
// gives tensors x.softmax(), x.logSoftmax(), x.logsumexp(), x.crossEntropy(), x.nllLoss(), x.conv2d(), x.maxPool2d(), …
import "./methods";

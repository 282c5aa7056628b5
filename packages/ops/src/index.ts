export { softmax, logSoftmax, logsumexp, softmaxBackward, logSoftmaxBackward, softmaxJacobian } from "./softmax";
export { crossEntropy, nllLoss } from "./cross-entropy";
export type { CrossEntropyOptions, NllLossOptions, Reduction } from "./cross-entropy";

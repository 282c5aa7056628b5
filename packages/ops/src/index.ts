export { softmax, logSoftmax, logsumexp, softmaxBackward, softmaxJacobian } from "./softmax";
export { crossEntropy, nllLoss } from "./cross-entropy";
export type { CrossEntropyOptions, NllLossOptions, Reduction } from "./cross-entropy";

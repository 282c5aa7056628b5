/**
 * The functional layer (PyTorch's `torch.nn.functional`): softmax, log-softmax and logsumexp with
 * hand-written backward rules, cross-entropy and negative log-likelihood, the regression and
 * probability losses (mean squared error, L1, smooth L1, Huber, binary cross-entropy, KL divergence),
 * layer/batch/group normalisation, embedding lookups, dropout, convolution, pooling and scaled
 * dot-product attention.
 *
 * @module @nabla/ops
 */
export * from "./functional";
// gives tensors x.softmax(), x.logSoftmax(), x.logsumexp(), x.crossEntropy(), x.nllLoss(), the losses, x.layerNorm(), x.conv2d(), …
import "./methods";

import { Tensor } from "@nabla/tensor";
import { type CrossEntropyOptions, crossEntropy, type NllLossOptions, nllLoss } from "./cross-entropy";
import { logSoftmax, logsumexp, softmax } from "./softmax";

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
  }
}

const methods: Pick<Tensor, "softmax" | "logSoftmax" | "logsumexp" | "crossEntropy" | "nllLoss"> = {
  softmax(this: Tensor, dim?: number) {
    return softmax(this, dim);
  },
  logSoftmax(this: Tensor, dim?: number) {
    return logSoftmax(this, dim);
  },
  logsumexp(this: Tensor, dim: number | readonly number[], keepdim?: boolean) {
    return logsumexp(this, dim, keepdim);
  },
  crossEntropy(this: Tensor, target: Tensor, options?: CrossEntropyOptions) {
    return crossEntropy(this, target, options);
  },
  nllLoss(this: Tensor, target: Tensor, options?: NllLossOptions) {
    return nllLoss(this, target, options);
  },
};

// non-enumerable, as the class's own methods are
for (const [name, method] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
}

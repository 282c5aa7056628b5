// The scans and the samplers as Tensor methods (`x.cumsum(0)` is `cumsum(x, 0)`). TypeScript sees
// them through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as sampling from "../ops/sampling";
import type { BernoulliOptions, MultinomialOptions } from "../ops/sampling";
import * as scan from "../ops/scan";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The running sum along `dim` (PyTorch's `cumsum`); int32 and bool give int32.
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).cumsum(0); // → [1, 3, 6]
     * ```
     */
    cumsum(dim: number): Tensor;
    /**
     * The running product along `dim` (PyTorch's `cumprod`); the gradient is right with zeros too.
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).cumprod(0); // → [1, 2, 6]
     * ```
     */
    cumprod(dim: number): Tensor;
    /**
     * `numSamples` category indices (int32) per row of these weights (PyTorch's `multinomial`).
     *
     * @example
     * ```ts
     * tensor([0, 0, 1]).multinomial(2, { replacement: true }); // → [2, 2]
     * ```
     */
    multinomial(numSamples: number, options?: MultinomialOptions): Tensor;
    /**
     * 1 with probability p and 0 otherwise, for each element p of this tensor (PyTorch's `bernoulli`).
     *
     * @example
     * ```ts
     * tensor([1, 0]).bernoulli(); // → [1, 0]
     * ```
     */
    bernoulli(options?: BernoulliOptions): Tensor;
  }
}

installOps({
  cumsum: scan.cumsum,
  cumprod: scan.cumprod,
  multinomial: sampling.multinomial,
  bernoulli: sampling.bernoulli,
});

// The activations and maskedFill as Tensor methods (`x.silu()` is `silu(x)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as activation from "../ops/activation";
import type { GeluOptions, SoftplusOptions } from "../ops/activation";
import { maskedFill } from "../ops/compare";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * x where x > 0, else negativeSlope · x (PyTorch's `leaky_relu`); the gradient at 0 is negativeSlope.
     *
     * @example
     * ```ts
     * tensor([-2, 3]).leakyRelu(0.5); // → [-1, 3]
     * ```
     */
    leakyRelu(negativeSlope?: number): Tensor;
    /**
     * x where x > 0, else alpha · (eˣ − 1) (PyTorch's `elu`); the gradient at 0 is alpha.
     *
     * @example
     * ```ts
     * tensor([-1, 2]).elu(); // → [-0.63212056, 2]
     * ```
     */
    elu(alpha?: number): Tensor;
    /**
     * x · σ(x), elementwise (PyTorch's `silu`).
     *
     * @example
     * ```ts
     * tensor([0, 2]).silu(); // → [0, 1.7615942]
     * ```
     */
    silu(): Tensor;
    /**
     * x·Φ(x) (PyTorch's `gelu`), exact or with `{ approximate: "tanh" }`.
     *
     * @example
     * ```ts
     * tensor([-1, 1]).gelu(); // → [-0.15865526, 0.84134474]
     * ```
     */
    gelu(options?: GeluOptions): Tensor;
    /**
     * ln(1 + e^(β·x)) / β, and x where β·x > threshold (PyTorch's `softplus`).
     *
     * @example
     * ```ts
     * tensor([0, 30]).softplus(); // → [0.69314718, 30]
     * ```
     */
    softplus(options?: SoftplusOptions): Tensor;
    /**
     * This tensor with `value` wherever the bool `mask` is true (PyTorch's `masked_fill`); the
     * gradient is 0 at the filled positions.
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).maskedFill(tensor([false, true, false]), 0); // → [1, 0, 3]
     * ```
     */
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
  }
}

installOps({
  leakyRelu: activation.leakyRelu,
  elu: activation.elu,
  silu: activation.silu,
  gelu: activation.gelu,
  softplus: activation.softplus,
  maskedFill: maskedFill,
});

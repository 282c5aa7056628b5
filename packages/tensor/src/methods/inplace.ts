// The in-place ops as Tensor methods (`x.add_(y)` is `add_(x, y)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import type { TensorLike } from "../tensor";
import * as inplace from "../ops/inplace";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * Adds `other` (broadcast to this tensor's shape) in place and returns this tensor; views of the
     * same storage see the change. A leaf that requires grad can be changed in place only inside
     * `noGrad`, as in PyTorch.
     *
     * @example
     * ```ts
     * const x = tensor([1, 2]);
     * x.add_(10);
     * x; // → [11, 12]
     * const w = tensor([1, 2], { requiresGrad: true });
     * w.add_(1); // throws add_: a leaf tensor that requires grad cannot be modified in place outside noGrad (wrap the update in noGrad)
     * ```
     */
    add_(other: TensorLike): this;
    /**
     * Subtracts `other` in place and returns this tensor (see `add_`).
     *
     * @example
     * ```ts
     * const w = tensor([1, 2], { requiresGrad: true });
     * w.sum().backward();
     * noGrad(() => w.sub_(w.grad!.mul(0.5))); // a gradient-descent step
     * w; // → [0.5, 1.5]
     * ```
     */
    sub_(other: TensorLike): this;
    /**
     * Multiplies by `other` in place and returns this tensor (see `add_`).
     *
     * @example
     * ```ts
     * const x = tensor([1, 2]);
     * x.mul_(3);
     * x; // → [3, 6]
     * ```
     */
    mul_(other: TensorLike): this;
    /**
     * Divides by `other` in place and returns this tensor (see `add_`); an int32 tensor cannot hold the
     * float32 quotient, so it throws.
     *
     * @example
     * ```ts
     * const x = tensor([2, 4]);
     * x.div_(2);
     * x; // → [1, 2]
     * ```
     */
    div_(other: TensorLike): this;
    /**
     * Sets every element to 0 in place and returns this tensor.
     *
     * @example
     * ```ts
     * const x = tensor([1, 2]);
     * x.zero_();
     * x; // → [0, 0]
     * ```
     */
    zero_(): this;
    /**
     * Sets every element to `value` in place and returns this tensor.
     *
     * @example
     * ```ts
     * const x = zeros([2, 2]);
     * x.fill_(7);
     * x; // → [[7, 7], [7, 7]]
     * ```
     */
    fill_(value: number | boolean): this;
    /**
     * Copies `src` (broadcast to this tensor's shape, converted to its dtype) into this tensor in place
     * and returns it; gradients flow to `src`.
     *
     * @example
     * ```ts
     * const x = zeros([2, 2]);
     * x.copy_(tensor([1, 2]));
     * x; // → [[1, 2], [1, 2]]
     * ```
     */
    copy_(src: TensorLike): this;
  }
}

installOps({
  add_: inplace.add_,
  sub_: inplace.sub_,
  mul_: inplace.mul_,
  div_: inplace.div_,
  zero_: inplace.zero_,
  fill_: inplace.fill_,
  copy_: inplace.copy_,
});

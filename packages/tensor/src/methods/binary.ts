// The elementwise binary ops as Tensor methods (`x.add(y)` is `add(x, y)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import type { TensorLike } from "../tensor";
import * as binary from "../ops/binary";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * this + other, elementwise with broadcasting (PyTorch's `add`). A JS number is a "weak" scalar
     * that keeps this tensor's dtype unless it is of a higher kind (int32 + 1.5 is float32); tensors
     * of different dtypes promote (see `resultType`).
     *
     * @example
     * ```ts
     * const x = tensor([[1, 2], [3, 4]]);
     * x.add(tensor([10, 20])); // → [[11, 22], [13, 24]]
     * x.add(1);                // → [[2, 3], [4, 5]]
     * ```
     */
    add(other: TensorLike): Tensor;
    /**
     * this − other, elementwise with broadcasting (PyTorch's `sub`). Not defined for bool.
     *
     * @example
     * ```ts
     * tensor([5, 7]).sub(tensor([1, 2])); // → [4, 5]
     * ```
     */
    sub(other: TensorLike): Tensor;
    /**
     * this ⊙ other, elementwise with broadcasting (PyTorch's `mul`; `matmul` is the matrix product).
     *
     * @example
     * ```ts
     * tensor([[1, 2], [3, 4]]).mul(tensor([[10], [100]])); // → [[10, 20], [300, 400]]
     * ```
     */
    mul(other: TensorLike): Tensor;
    /**
     * this / other, elementwise with broadcasting: true division, so integer inputs give float32
     * (PyTorch's `div`). Division by zero gives ±Infinity or NaN, as IEEE.
     *
     * @example
     * ```ts
     * arange(3).div(2);               // → [0, 0.5, 1]
     * tensor([1, -1, 0]).div(0);      // → [Infinity, -Infinity, NaN]
     * ```
     */
    div(other: TensorLike): Tensor;
    /**
     * this raised to `exponent`, elementwise with broadcasting (PyTorch's `pow`). Integer tensors cannot
     * be raised to negative integer powers.
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).pow(2);  // → [1, 4, 9]
     * tensor([4, 9]).pow(0.5);   // → [2, 3]
     * ```
     */
    pow(exponent: TensorLike): Tensor;
    /**
     * The larger of this and other, elementwise with broadcasting (PyTorch's `maximum`); NaN
     * propagates. At a tie each side gets half the gradient.
     *
     * @example
     * ```ts
     * tensor([1, 5, NaN]).maximum(tensor([3, 2, 0])); // → [3, 5, NaN]
     * ```
     */
    maximum(other: TensorLike): Tensor;
    /**
     * The smaller of this and other, elementwise with broadcasting (PyTorch's `minimum`); NaN
     * propagates. At a tie each side gets half the gradient.
     *
     * @example
     * ```ts
     * tensor([1, 5]).minimum(2); // → [1, 2]
     * ```
     */
    minimum(other: TensorLike): Tensor;
  }
}

installOps({
  add: binary.add,
  sub: binary.sub,
  mul: binary.mul,
  div: binary.div,
  pow: binary.pow,
  maximum: binary.maximum,
  minimum: binary.minimum,
});

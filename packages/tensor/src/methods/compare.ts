// The comparisons and `where` as Tensor methods (`x.eq(y)` is `eq(x, y)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import { Tensor, type TensorLike } from "../tensor";
import * as compare from "../ops/compare";
import { installMethods, installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * this == other, elementwise with broadcasting, as a bool tensor (PyTorch's `eq`; NaN equals
     * nothing). Comparisons have no gradient.
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).eq(2); // → [false, true, false]
     * ```
     */
    eq(other: TensorLike): Tensor;
    /**
     * this != other, elementwise with broadcasting, as a bool tensor (PyTorch's `ne`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).ne(2); // → [true, false, true]
     * ```
     */
    ne(other: TensorLike): Tensor;
    /**
     * this < other, elementwise with broadcasting, as a bool tensor (PyTorch's `lt`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).lt(tensor([3, 2, 1])); // → [true, false, false]
     * ```
     */
    lt(other: TensorLike): Tensor;
    /**
     * this <= other, elementwise with broadcasting, as a bool tensor (PyTorch's `le`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).le(2); // → [true, true, false]
     * ```
     */
    le(other: TensorLike): Tensor;
    /**
     * this > other, elementwise with broadcasting, as a bool tensor (PyTorch's `gt`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).gt(2); // → [false, false, true]
     * ```
     */
    gt(other: TensorLike): Tensor;
    /**
     * this >= other, elementwise with broadcasting, as a bool tensor (PyTorch's `ge`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).ge(2); // → [false, true, true]
     * ```
     */
    ge(other: TensorLike): Tensor;
    /**
     * `cond.where(a, b)` is `where(cond, a, b)`. On a non-bool tensor with a bool first argument it
     * reads as PyTorch's `x.where(cond, y)`, i.e. `where(cond, x, y)`.
     *
     * @example
     * ```ts
     * const x = tensor([-1, 2, -3]);
     * x.gt(0).where(x, 0); // → [0, 2, 0]
     * x.where(x.gt(0), 0); // → [0, 2, 0]
     * ```
     */
    where(a: TensorLike, b: TensorLike): Tensor;
  }
}

installOps({
  eq: compare.eq,
  ne: compare.ne,
  lt: compare.lt,
  le: compare.le,
  gt: compare.gt,
  ge: compare.ge,
});

installMethods({
  where(a: TensorLike, b: TensorLike): Tensor {
    if (this.dtype !== "bool" && a instanceof Tensor && a.dtype === "bool") return compare.where(a, this, b);
    return compare.where(this, a, b);
  },
});

// The reductions as Tensor methods (`x.sum(0)` is `sum(x, 0)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import type { Dims } from "../tensor";
import * as reduce from "../ops/reduce";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The sum over `dim` (a dim or a list of dims; all when left out), as PyTorch's `sum`; `keepdim`
     * keeps the reduced dims with size 1. int32 and bool sums are int32 (PyTorch's int64).
     *
     * @example
     * ```ts
     * const x = tensor([[1, 2], [3, 4]]);
     * x.sum();        // → 10
     * x.sum(0);       // → [4, 6]
     * x.sum(1, true); // → [[3], [7]]
     * ```
     */
    sum(dim?: Dims, keepdim?: boolean): Tensor;
    /**
     * The largest value over `dim` (or all); NaN propagates. Returns the values only (PyTorch's
     * `amax`); `argmax` gives the indices. Tied maxima share the gradient equally.
     *
     * @example
     * ```ts
     * const x = tensor([[1, 5], [7, 2]]);
     * x.max();  // → 7
     * x.max(1); // → [5, 7]
     * ```
     */
    max(dim?: Dims, keepdim?: boolean): Tensor;
    /**
     * The smallest value over `dim` (or all); NaN propagates. Returns the values only (PyTorch's
     * `amin`); `argmin` gives the indices. Tied minima share the gradient equally.
     *
     * @example
     * ```ts
     * const x = tensor([[1, 5], [7, 2]]);
     * x.min();  // → 1
     * x.min(0); // → [1, 2]
     * ```
     */
    min(dim?: Dims, keepdim?: boolean): Tensor;
    /**
     * The index (int32) of the first largest value along `dim`; without `dim`, the 0-d flat index over
     * all elements (PyTorch's `argmax`).
     *
     * @example
     * ```ts
     * const x = tensor([[1, 5], [7, 2]]);
     * x.argmax(1); // → [1, 0]
     * x.argmax();  // → 2
     * ```
     */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    /**
     * The index (int32) of the first smallest value along `dim`; without `dim`, the 0-d flat index over
     * all elements (PyTorch's `argmin`).
     *
     * @example
     * ```ts
     * const x = tensor([[1, 5], [7, 2]]);
     * x.argmin(1); // → [0, 1]
     * x.argmin();  // → 0
     * ```
     */
    argmin(dim?: number, keepdim?: boolean): Tensor;
  }
}

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The product over `dim` (or all), as PyTorch's `prod`; int32 and bool give int32. The gradient
     * is the product of the other elements, right with zeros too.
     *
     * @example
     * ```ts
     * tensor([[1, 2], [3, 4]]).prod(1); // → [2, 12]
     * ```
     */
    prod(dim?: Dims, keepdim?: boolean): Tensor;
    /**
     * The vector p-norm over `dim` (or all), as PyTorch's `linalg.vector_norm`; "fro" is 2.
     *
     * @example
     * ```ts
     * tensor([3, -4]).norm();         // → 5
     * tensor([3, -4]).norm(Infinity); // → 4
     * ```
     */
    norm(p?: number | "fro", dim?: Dims, keepdim?: boolean): Tensor;
    /**
     * Whether any element over `dim` (or all) is non-zero, as PyTorch's `any`; bool.
     *
     * @example
     * ```ts
     * tensor([[0, 1], [0, 0]]).any(1); // → [true, false]
     * ```
     */
    any(dim?: Dims, keepdim?: boolean): Tensor;
    /**
     * Whether every element over `dim` (or all) is non-zero, as PyTorch's `all`; bool.
     *
     * @example
     * ```ts
     * tensor([[1, 2], [0, 3]]).all(1); // → [true, false]
     * ```
     */
    all(dim?: Dims, keepdim?: boolean): Tensor;
  }
}

installOps({
  sum: reduce.sum,
  max: reduce.max,
  min: reduce.min,
  argmax: reduce.argmax,
  argmin: reduce.argmin,
  prod: reduce.prod,
  norm: reduce.norm,
  any: reduce.any,
  all: reduce.all,
});

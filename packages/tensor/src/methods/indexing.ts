// The indexing ops as Tensor methods (`x.gather(1, index)` is `gather(x, 1, index)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as indexing from "../ops/indexing";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The values along `dim` at the positions `index` holds (PyTorch's `gather`): `index` is int32 with
     * the same number of dims, and the result has its shape.
     *
     * @example
     * ```ts
     * const x = tensor([[1, 2, 3], [4, 5, 6]]);
     * x.gather(1, tensor([[2], [0]], { dtype: "int32" })); // → [[3], [4]]
     * ```
     */
    gather(dim: number, index: Tensor): Tensor;
    /**
     * The slices at the positions of `index` (1-D int32) along `dim`, in that order, repeats allowed
     * (PyTorch's `index_select`).
     *
     * @example
     * ```ts
     * const x = tensor([[1, 2], [3, 4]]);
     * x.indexSelect(0, tensor([1, 1, 0], { dtype: "int32" })); // → [[3, 4], [3, 4], [1, 2]]
     * ```
     */
    indexSelect(dim: number, index: Tensor): Tensor;
    /**
     * A copy of this tensor with `src`'s values added at the positions `index` gives along `dim`;
     * repeated positions add up (PyTorch's `scatter_add`, out of place).
     *
     * @example
     * ```ts
     * zeros([3]).scatterAdd(0, tensor([0, 2, 0], { dtype: "int32" }), tensor([1, 2, 3])); // → [4, 0, 2]
     * ```
     */
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    /**
     * One-hot encoding of int32 class indices: shape [...shape, numClasses], int32 (PyTorch's
     * `one_hot`). numClasses -1 means one more than the largest index.
     *
     * @example
     * ```ts
     * tensor([0, 2], { dtype: "int32" }).oneHot(3); // → [[1, 0, 0], [0, 0, 1]]
     * ```
     */
    oneHot(numClasses?: number): Tensor;
    /**
     * Views of consecutive chunks along `dim`: chunks of `size` (the last may be smaller), or of the
     * given sizes, which must add up to the dim's size (PyTorch's `split`).
     *
     * @example
     * ```ts
     * arange(5).split(2);      // → [[0, 1], [2, 3], [4]]
     * arange(5).split([1, 4]); // → [[0], [1, 2, 3, 4]]
     * ```
     */
    split(sizeOrSizes: number | readonly number[], dim?: number): Tensor[];
  }
}

installOps({
  gather: indexing.gather,
  indexSelect: indexing.indexSelect,
  scatterAdd: indexing.scatterAdd,
  oneHot: indexing.oneHot,
  split: indexing.split,
});

// Advanced indexing as Tensor methods (`x.index([i])` is `index(x, [i])`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as advanced from "../ops/advanced-indexing";
import type { IndexEntry, IndexPutOptions } from "../ops/advanced-indexing";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * Advanced indexing, as PyTorch's `x[i, :, j]`: entry k indexes dim k (null keeps it whole);
     * int32 indices of any shape broadcast together, bool tensors are masks, negative indices count
     * from the end. Gradients flow back, repeated positions adding up.
     *
     * @example
     * ```ts
     * const embeddings = tensor([[0, 0], [1, 1], [2, 2]]);
     * embeddings.index([tensor([[2, 0]], { dtype: "int32" })]); // → [[[2, 2], [0, 0]]]
     * ```
     */
    index(indices: readonly IndexEntry[]): Tensor;
    /**
     * Writes `values` into the elements `indices` selects, in place (PyTorch's `index_put_`); with
     * `accumulate` they are added, repeats adding up. Without it, the last of repeated positions wins.
     *
     * @example
     * ```ts
     * zeros([3]).indexPut_([tensor([2], { dtype: "int32" })], 1); // → [0, 0, 1]
     * ```
     */
    indexPut_(indices: readonly IndexEntry[], values: Tensor | number, options?: IndexPutOptions): this;
    /**
     * The elements where the bool `mask` (broadcast) is true, as a 1-D tensor (PyTorch's `masked_select`).
     *
     * @example
     * ```ts
     * const x = tensor([1, -2, 3]);
     * x.maskedSelect(x.gt(0)); // → [1, 3]
     * ```
     */
    maskedSelect(mask: Tensor): Tensor;
    /**
     * The positions of the nonzero elements, int32 of shape [n, ndim] (PyTorch's `nonzero`).
     *
     * @example
     * ```ts
     * tensor([0, 5, 0, 7]).nonzero(); // → [[1], [3]]
     * ```
     */
    nonzero(): Tensor;
    /**
     * The elements at flat (row-major) positions `index`, shaped as `index` (PyTorch's `take`).
     *
     * @example
     * ```ts
     * tensor([[1, 2], [3, 4]]).take(tensor([3, 0], { dtype: "int32" })); // → [4, 1]
     * ```
     */
    take(index: Tensor): Tensor;
  }
}

installOps({
  index: advanced.index,
  indexPut_: advanced.indexPut_,
  maskedSelect: advanced.maskedSelect,
  nonzero: advanced.nonzero,
  take: advanced.take,
});

// The ordering ops as Tensor methods (`x.sort()` is `sort(x)`). TypeScript sees them through the
// augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as ordering from "../ops/sort";
import type { SortOptions, SortResult, TopkOptions } from "../ops/sort";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * Sorted along `dim` (the last by default), ascending unless `descending`, with the int32
     * position each value came from (PyTorch's `sort`); equal values keep their order and NaN
     * sorts as the largest.
     *
     * @example
     * ```ts
     * tensor([3, 1, 2]).sort().values;                          // → [1, 2, 3]
     * tensor([3, 1, 2]).sort(0, { descending: true }).indices;  // → [0, 2, 1]
     * ```
     */
    sort(dim?: number, options?: SortOptions): SortResult;
    /**
     * The int32 positions that sort this tensor along `dim` (PyTorch's `argsort`).
     *
     * @example
     * ```ts
     * tensor([3, 1, 2]).argsort(); // → [1, 2, 0]
     * ```
     */
    argsort(dim?: number, options?: SortOptions): Tensor;
    /**
     * The `k` largest (or smallest, `largest: false`) values along `dim`, in order, with their int32
     * positions (PyTorch's `topk`).
     *
     * @example
     * ```ts
     * tensor([1, 5, 3, 4]).topk(2).indices; // → [1, 3]
     * ```
     */
    topk(k: number, dim?: number, options?: TopkOptions): SortResult;
  }
}

installOps({
  sort: ordering.sort,
  argsort: ordering.argsort,
  topk: ordering.topk,
});

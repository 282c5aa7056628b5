import { checkBoolean, checkInteger, checkOptions, checkTensor } from "../args";
import { NablaError } from "../errors";
import { formatShape, normalizeDim } from "../shape";
import { Tensor } from "../tensor";
import { gatherOp } from "./indexing";
import { narrow, reshape } from "./movement";

// Ordering is one primitive, `sort`, giving the permutation; the values are a gather through it,
// so their gradient is gather's: scattered back to where each value came from.

/** The values and int32 positions (along the dim) that `sort` and `topk` return. */
export interface SortResult {
  values: Tensor;
  indices: Tensor;
}

/** Options of `sort` and `argsort`. */
export interface SortOptions {
  /** Largest first (default false). */
  descending?: boolean;
  /** Keep equal values in their order; nabla's sort always does, so this changes nothing (default false). */
  stable?: boolean;
}

/** Options of `topk`. */
export interface TopkOptions {
  /** The k largest (default true), or the k smallest. */
  largest?: boolean;
  /** In order, largest first for `largest` (default true); nabla always returns them in order. */
  sorted?: boolean;
}

/** The sorting permutation of x along dim (checked), with a 0-d x treated as one of shape [1]. */
function sortIndices(op: string, x: Tensor, dim: number, descending: boolean): { indices: Tensor; d: number; source: Tensor } {
  const d = normalizeDim(op, dim, x.ndim);
  const source = x.ndim === 0 ? reshape(x, [1]) : x;
  const { backend } = source.storage;
  const indices = Tensor.fromBuffer(backend, backend.run.sort(source, d, descending), source.shape, "int32");
  return { indices, d, source };
}

function sortOptions(op: string, options: SortOptions | undefined): { descending: boolean } {
  const { descending = false, stable = false } = checkOptions(op, options);
  checkBoolean(op, "descending", descending);
  checkBoolean(op, "stable", stable);
  return { descending };
}

/**
 * `x` sorted along `dim` (the last by default), ascending unless `descending`, with the int32
 * position each value came from (PyTorch's `sort`). Equal values keep their order (PyTorch's
 * stable sort), and NaN sorts as the largest value. The gradient of `values` flows back to the
 * positions in `indices`.
 *
 * @example
 * ```ts
 * const { values, indices } = sort(tensor([3, 1, 2, 1]));
 * values;  // → [1, 1, 2, 3]
 * indices; // → [1, 3, 2, 0]
 * sort(tensor([[2, NaN, 1]]), -1, { descending: true }).values; // → [[NaN, 2, 1]]
 * ```
 */
export function sort(x: Tensor, dim = -1, options?: SortOptions): SortResult {
  checkTensor("sort", "input", x);
  checkInteger("sort", "dim", dim);
  const { descending } = sortOptions("sort", options);
  const { indices, d, source } = sortIndices("sort", x, dim, descending);
  const values = gatherOp(source, d, indices);
  return x.ndim === 0 ? { values: reshape(values, []), indices: reshape(indices, []) } : { values, indices };
}

/**
 * The int32 positions that sort `x` along `dim` (PyTorch's `argsort`): `sort(x, dim, options).indices`.
 *
 * @example
 * ```ts
 * argsort(tensor([3, 1, 2]));                       // → [1, 2, 0]
 * argsort(tensor([3, 1, 2]), 0, { descending: true }); // → [0, 2, 1]
 * ```
 */
export function argsort(x: Tensor, dim = -1, options?: SortOptions): Tensor {
  checkTensor("argsort", "input", x);
  checkInteger("argsort", "dim", dim);
  const { descending } = sortOptions("argsort", options);
  const { indices } = sortIndices("argsort", x, dim, descending);
  return x.ndim === 0 ? reshape(indices, []) : indices;
}

/**
 * The `k` largest (or, with `largest: false`, smallest) values of `x` along `dim` (the last by
 * default), in order, with their int32 positions (PyTorch's `topk`). NaN counts as the largest;
 * among equal values the earlier position comes first. The gradient of `values` flows back to
 * those positions.
 *
 * @example
 * ```ts
 * const { values, indices } = topk(tensor([1, 5, 3, 4]), 2);
 * values;  // → [5, 4]
 * indices; // → [1, 3]
 * topk(tensor([1, 5, 3, 4]), 1, 0, { largest: false }).values; // → [1]
 * topk(tensor([1, 2]), 3); // throws topk: k 3 is out of range for dim -1 of size 2 (shape [2])
 * ```
 */
export function topk(x: Tensor, k: number, dim = -1, options?: TopkOptions): SortResult {
  checkTensor("topk", "input", x);
  checkInteger("topk", "k", k);
  checkInteger("topk", "dim", dim);
  const { largest = true, sorted = true } = checkOptions("topk", options);
  checkBoolean("topk", "largest", largest);
  checkBoolean("topk", "sorted", sorted);
  const d = normalizeDim("topk", dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  if (k < 0 || k > size)
    throw new NablaError("topk", `k ${k} is out of range for dim ${dim} of size ${size} (shape ${formatShape(x.shape)})`);
  const { indices: order, source } = sortIndices("topk", x, dim, largest);
  const indices = narrow(order, d, 0, k);
  const values = gatherOp(source, d, indices);
  return x.ndim === 0 ? { values: reshape(values, []), indices: reshape(indices, []) } : { values, indices };
}

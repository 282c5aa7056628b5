import { checkBoolean, checkOptions, checkTensor } from "../args";
import { isTensor } from "../copies";
import { arange } from "../creation";
import { canCast, checkValueFits } from "../dtype";
import { NablaError, describeValue } from "../errors";
import { broadcastShapes, formatShape, numelOf, shapesEqual } from "../shape";
import { recordsGraph, Tensor } from "../tensor";
import { add, mul } from "./binary";
import { lt, ne, where } from "./compare";
import { gatherOp, scatterAddOp, selectIndices } from "./indexing";
import { checkTarget, writeResult } from "./inplace";
import { clone, expand, permute, reshape, select, to, unsqueeze } from "./movement";
import { valueRange } from "./operands";

// Advanced indexing (numpy's and PyTorch's x[i, :, j]) is a composite: the indexed dims are moved
// to the front and merged into one, the index tensors are combined into one flat position per
// result element, and `indexSelect` picks the rows. Its gradient is indexSelect's (a scatter-add),
// so repeated positions add up, and it is itself differentiable.

/** One entry of an index list: an int32 (or bool mask) tensor for one leading dim, or null for the whole dim. */
export type IndexEntry = Tensor | null;

/** Options of `indexPut_`. */
export interface IndexPutOptions {
  /** Add `values` to the indexed elements (repeats add up) instead of replacing them (default false). */
  accumulate?: boolean;
}

/** Where the indexed dims went: which dims of x each int32 index addresses, after masks are expanded. */
interface IndexPlan {
  /** x, with a new size-1 dim for each 0-d mask. */
  input: Tensor;
  /** The dims of `input` indexed by a tensor, in order, and their (normalized, broadcast) indices. */
  dims: number[];
  indices: Tensor[];
  /** The broadcast shape of the indices. */
  indexShape: number[];
}

/** The multi-index of flat position `flat` in a row-major `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    position[d] = flat % size;
    flat = Math.floor(flat / size);
  }
  return position;
}

/**
 * Checks that every value of `index` lies in [-size, size), naming the first one that does not;
 * returns the smallest value (0 for an empty index).
 */
function checkRange(op: string, index: Tensor, size: number, dim: number, label: string): number {
  if (index.numel === 0) return 0;
  const { min, max } = valueRange(index);
  if (min >= -size && max < size) return min;
  const values = index.data();
  const at = values.findIndex((v) => v < -size || v >= size);
  throw new NablaError(
    op,
    `index ${values[at]} is out of range for dim ${dim} of size ${size} (at position ${formatShape(unravel(at, index.shape))} of ${label})`,
  );
}

/**
 * Checks an index list against x and turns it into int32 indices of dims of x (masks become the
 * columns of their nonzero(); negative indices count from the end), broadcast to one shape.
 */
function planIndex(op: string, x: Tensor, indices: readonly unknown[], label: (i: number) => string): IndexPlan {
  if (!Array.isArray(indices)) throw new NablaError(op, `indices must be an array of tensors and nulls, got ${describeValue(indices)}`);
  let input = x;
  const dims: number[] = [];
  const raw: { index: Tensor; label: string }[] = [];
  let dim = 0; // the next dim of `input` to index
  indices.forEach((entry, i) => {
    if (entry === null || entry === undefined) {
      dim++;
      return;
    }
    if (!isTensor(entry, op) || (entry.dtype !== "int32" && entry.dtype !== "bool")) {
      throw new NablaError(
        op,
        `${label(i)} must be an int32 tensor, a bool mask or null, got ${isTensor(entry, op) ? `a ${entry.dtype} tensor` : describeValue(entry)}`,
      );
    }
    const consumed = entry.dtype === "bool" ? entry.ndim : 1;
    if (dim + consumed > input.ndim) {
      throw new NablaError(
        op,
        `too many indices for a tensor of shape ${formatShape(x.shape)}: ${label(i)} (${entry.dtype} ${formatShape(entry.shape)}) would index dim ${dim + consumed - 1}`,
      );
    }
    if (entry.dtype === "int32") {
      raw.push({ index: entry, label: label(i) });
      dims.push(dim++);
      return;
    }
    if (entry.ndim === 0) {
      // a 0-d mask adds a dim of size 1, kept (true) or emptied (false), as numpy
      input = unsqueeze(input, dim);
      raw.push({ index: Tensor.fromData(new Int32Array(entry.item() ? 1 : 0), [entry.item() ? 1 : 0], "int32"), label: label(i) });
      dims.push(dim++);
      return;
    }
    const covered = input.shape.slice(dim, dim + consumed);
    if (!shapesEqual(covered, entry.shape)) {
      throw new NablaError(
        op,
        `the mask ${label(i)} of shape ${formatShape(entry.shape)} does not match the dims it indexes, ${formatShape(covered)} (dims ${dim} to ${dim + consumed - 1} of shape ${formatShape(x.shape)})`,
      );
    }
    const positions = nonzero(entry);
    for (let k = 0; k < consumed; k++) {
      raw.push({ index: select(positions, 1, k), label: label(i) });
      dims.push(dim++);
    }
  });
  const indexShape = broadcastShapes(op, ...raw.map((r) => r.index.shape));
  const normalized = raw.map(({ index, label }, k) => {
    const size = input.shape[dims[k]!]!;
    const min = checkRange(op, index, size, dims[k]!, label);
    const wrapped = min < 0 ? where(lt(index, 0), add(index, size), index) : index;
    return expand(wrapped, indexShape);
  });
  return { input, dims, indices: normalized, indexShape };
}

/** The result of indexing per a plan (see `index`). */
function indexWithPlan({ input, dims, indices, indexShape }: IndexPlan): Tensor {
  if (dims.length === 0) return input;
  const rest = input.shape.map((_, d) => d).filter((d) => !dims.includes(d));
  const restShape = rest.map((d) => input.shape[d]!);
  // one flat position per result element over the indexed dims, row-major
  let flat = indices[0]!;
  for (let k = 1; k < dims.length; k++) flat = add(mul(flat, input.shape[dims[k]!]!), indices[k]!);
  const merged = reshape(permute(input, [...dims, ...rest]), [numelOf(dims.map((d) => input.shape[d]!)), ...restShape]);
  // every index was checked in planIndex, so their flat positions are in range
  const picked = reshape(selectIndices(merged, 0, reshape(flat, [-1])), [...indexShape, ...restShape]);
  // indexed dims next to each other keep their place (numpy's rule); apart, the result dims come first
  const adjacent = dims.every((d, k) => k === 0 || d === dims[k - 1]! + 1);
  if (!adjacent || dims[0] === 0) return picked;
  const before = dims[0]!;
  const b = indexShape.length;
  const order = [...rest.keys()].map((k) => b + k);
  const resultDims = [...indexShape.keys()];
  return permute(picked, [...order.slice(0, before), ...resultDims, ...order.slice(before)]);
}

/**
 * Advanced indexing, as numpy's and PyTorch's `x[i, :, j]`: entry k of `indices` indexes dim k
 * (null keeps the whole dim, as `:`). int32 index tensors of any shape broadcast together and
 * their shape replaces the indexed dims (so `C.index([X])` with X of shape [B, T] on C [V, D]
 * gives [B, T, D], an embedding lookup); negative indices count from the end. A bool tensor is a
 * mask over as many dims as it has (as its `nonzero()`). When the indexed dims are not next to
 * each other, the result dims come first (numpy's rule). Gradients flow back to `x`, repeated
 * positions adding up.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * index(x, [tensor([1, 0, 1], { dtype: "int32" })]);                // → [[4, 5, 6], [1, 2, 3], [4, 5, 6]]
 * index(x, [null, tensor([-1], { dtype: "int32" })]);               // → [[3], [6]]
 * index(x, [tensor([0, 1], { dtype: "int32" }), tensor([2, 0], { dtype: "int32" })]); // → [3, 4]
 * index(x, [x.gt(2)]);                                              // → [3, 4, 5, 6]
 * index(x, [tensor([2], { dtype: "int32" })]); // throws index: index 2 is out of range for dim 0 of size 2 (at position [0] of indices[0])
 * ```
 */
export function index(x: Tensor, indices: readonly IndexEntry[]): Tensor {
  checkTensor("index", "input", x);
  return indexWithPlan(planIndex("index", x, indices, (i) => `indices[${i}]`));
}

/**
 * Writes `values` (broadcast to the shape `index(x, indices)` would have, converted to x's
 * dtype) into the elements of `x` that `indices` selects, in place, and returns `x` (PyTorch's
 * `index_put_`). With `accumulate`, the values are added instead, and repeated positions add up.
 * Without it, of several values for one position the last (in row-major order of the indices)
 * is kept; PyTorch leaves that choice undefined. Gradients flow to `values` and, for the
 * elements not replaced, to x's previous values.
 *
 * @example
 * ```ts
 * const x = zeros([3]);
 * indexPut_(x, [tensor([0, 2], { dtype: "int32" })], tensor([5, 7]));
 * x; // → [5, 0, 7]
 * indexPut_(x, [tensor([1, 1], { dtype: "int32" })], tensor(1), { accumulate: true });
 * x; // → [5, 2, 7]
 * ```
 */
export function indexPut_<T extends Tensor>(x: T, indices: readonly IndexEntry[], values: Tensor | number, options?: IndexPutOptions): T {
  checkTensor("indexPut_", "target", x);
  const { accumulate = false } = checkOptions("indexPut_", options);
  checkBoolean("indexPut_", "accumulate", accumulate);
  if (!isTensor(values, "indexPut_") && typeof values !== "number") {
    throw new NablaError("indexPut_", `values must be a tensor or a number, got ${describeValue(values)}`);
  }
  if (typeof values === "number") checkValueFits("indexPut_", values, x.dtype);
  else if (!canCast(values.dtype, x.dtype))
    throw new NablaError("indexPut_", `values of dtype ${values.dtype} cannot be stored in a ${x.dtype} tensor`);
  // the flat position in x of every selected element: x's own positions, indexed the same way
  const all = reshape(arange(0, x.numel, 1, { dtype: "int32" }), x.shape);
  const positions = indexWithPlan(planIndex("indexPut_", all, indices, (i) => `indices[${i}]`));
  const source = isTensor(values, "indexPut_") ? values : Tensor.fromNumber(values, x.dtype);
  const lead = positions.ndim - source.ndim;
  if (lead < 0 || source.shape.some((size, k) => size !== 1 && size !== positions.shape[lead + k])) {
    throw new NablaError(
      "indexPut_",
      `values of shape ${formatShape(source.shape)} cannot be broadcast to the indexed shape ${formatShape(positions.shape)}`,
    );
  }
  checkTarget("indexPut_", x);
  const spread = reshape(expand(to(source, x.dtype), positions.shape), [-1]);
  const flatPositions = reshape(positions, [-1]);
  // when recording, compute from a copy: the ops may save their input, which the write changes
  const old = recordsGraph(x, source) ? clone(x) : x;
  let result: Tensor;
  if (accumulate) {
    // positions of x's own elements, so in range: no second check
    result = reshape(scatterAddOp(reshape(old, [-1]), 0, flatPositions, spread), x.shape);
  } else {
    // which value each element of x takes: the last one aimed at it (-1: none)
    const winner = new Int32Array(x.numel).fill(-1);
    flatPositions.data().forEach((p, i) => {
      winner[p] = i;
    });
    const chosen = Tensor.fromData(winner, x.shape, "int32");
    const taken = ne(chosen, -1);
    result = positions.numel === 0 ? old : where(taken, reshape(gatherOp(spread, 0, reshape(where(taken, chosen, 0), [-1])), x.shape), old);
  }
  return writeResult("indexPut_", x, result) as T;
}

/**
 * The elements of `x` where the bool `mask` (broadcast with x) is true, as a 1-D tensor in
 * row-major order (PyTorch's `masked_select`). Differentiable in x.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * maskedSelect(x, x.gt(1));                              // → [2, 3, 4]
 * maskedSelect(x, tensor([true, false]));                // → [1, 3]
 * ```
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkTensor("maskedSelect", "input", x);
  if (!isTensor(mask, "maskedSelect") || mask.dtype !== "bool") {
    throw new NablaError(
      "maskedSelect",
      `mask must be a bool tensor, got ${isTensor(mask, "maskedSelect") ? `a ${mask.dtype} tensor` : describeValue(mask)}`,
    );
  }
  const shape = broadcastShapes("maskedSelect", x.shape, mask.shape);
  const flat = reshape(expand(x, shape), [-1]);
  return index(flat, [reshape(expand(mask, shape), [-1])]);
}

/**
 * The positions of the nonzero (true) elements of `x`, as an int32 tensor of shape [n, ndim]:
 * one row per element, in row-major order (PyTorch's `nonzero`). NaN counts as nonzero.
 *
 * @example
 * ```ts
 * nonzero(tensor([[0, 3], [2, 0]])); // → [[0, 1], [1, 0]]
 * nonzero(tensor([true, false, true])); // → [[0], [2]]
 * ```
 */
export function nonzero(x: Tensor): Tensor {
  checkTensor("nonzero", "input", x);
  const flags = (x.dtype === "bool" ? x : ne(x, 0)).data();
  const ndim = x.ndim;
  let count = 0;
  for (const flag of flags) if (flag) count++;
  const out = new Int32Array(count * ndim);
  const position = new Array<number>(ndim).fill(0);
  let row = 0;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i]) {
      for (let d = 0; d < ndim; d++) out[row * ndim + d] = position[d]!;
      row++;
    }
    // step the row-major position (an odometer)
    for (let d = ndim - 1; d >= 0; d--) {
      if (++position[d]! < x.shape[d]!) break;
      position[d] = 0;
    }
  }
  return Tensor.fromData(out, [count, ndim], "int32");
}

/**
 * The elements of `x` at flat (row-major) positions `index` (int32, any shape; negative counts
 * from the end), shaped as `index` (PyTorch's `take`). Differentiable in x.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * take(x, tensor([[0, 3], [-1, 1]], { dtype: "int32" })); // → [[1, 4], [4, 2]]
 * ```
 */
export function take(x: Tensor, index: Tensor): Tensor {
  checkTensor("take", "input", x);
  if (!isTensor(index, "take") || index.dtype !== "int32") {
    throw new NablaError(
      "take",
      `index must be an int32 tensor, got ${isTensor(index, "take") ? `a ${index.dtype} tensor` : describeValue(index)}`,
    );
  }
  return indexWithPlan(planIndex("take", reshape(x, [-1]), [index], () => "index"));
}

import { allocate, type DType, toBool, type TypedArray } from "../../dtype";
import { isContiguousLayout } from "../../layout";
import { contiguousStrides, numelOf } from "../../shape";
import type { ArgReduceOp, ReduceOp } from "../primitives";
import { RowWalker, type HostView } from "./iterate";

/**
 * Reduces x over the dims flagged in `reduced`; the result is contiguous, shaped like x with
 * those dims removed (a keepdim shape has the same element order).
 *
 * The input is walked in its own memory order while the output is addressed through strides
 * that are 0 along reduced dims, so summing over rows or over columns both stream through memory.
 * Sums accumulate in float64 (exact enough for float32 without pairwise summation).
 */
export function reduceAxes(kind: ReduceOp, x: HostView, reduced: readonly boolean[], dtype: DType): TypedArray {
  const keptShape = x.shape.map((size, d) => (reduced[d] ? 1 : size));
  const keptStrides = contiguousStrides(keptShape).map((stride, d) => (reduced[d] ? 0 : stride));
  const acc = new Float64Array(numelOf(keptShape));
  const split = kind === "sum" && isContiguousLayout(x) ? adjacentSplit(x.shape, reduced) : null;
  if (split !== null) {
    sumContiguous(x.buffer, x.offset, split, acc);
    return fromAccumulator(acc, dtype);
  }
  if (kind === "prod") return productAxes(x, keptStrides, acc, dtype);
  const initial = kind === "sum" ? 0 : kind === "max" ? -Infinity : Infinity;
  if (initial !== 0) acc.fill(initial);
  const walker = new RowWalker(x.shape, [x, { strides: keptStrides, offset: 0 }]);
  const n = walker.rowLength;
  const sx = walker.rowStrides[0]!;
  const sa = walker.rowStrides[1]!;
  const data = x.buffer;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let px = walker.offsets[0]!;
    let pa = walker.offsets[1]!;
    if (sa === 0) {
      let value = acc[pa]!;
      if (kind === "sum") for (let i = 0; i < n; i++, px += sx) value += data[px]!;
      // NaN wins, as in PyTorch: once value is NaN no comparison replaces it
      else if (kind === "max")
        for (let i = 0; i < n; i++, px += sx) {
          const v = data[px]!;
          if (v > value || v !== v) value = v;
        }
      else
        for (let i = 0; i < n; i++, px += sx) {
          const v = data[px]!;
          if (v < value || v !== v) value = v;
        }
      acc[pa] = value;
    } else if (kind === "sum") {
      for (let i = 0; i < n; i++, px += sx, pa += sa) acc[pa] = acc[pa]! + data[px]!;
    } else if (kind === "max") {
      for (let i = 0; i < n; i++, px += sx, pa += sa) {
        const v = data[px]!;
        if (v > acc[pa]! || v !== v) acc[pa] = v;
      }
    } else {
      for (let i = 0; i < n; i++, px += sx, pa += sa) {
        const v = data[px]!;
        if (v < acc[pa]! || v !== v) acc[pa] = v;
      }
    }
  }
  return fromAccumulator(acc, dtype);
}

/**
 * Products into acc (addressed through `keptStrides`, 0 along reduced dims). int32 inputs multiply
 * with Math.imul, wrapping as int32 arithmetic does (a float64 product would round past 2⁵³).
 */
function productAxes(x: HostView, keptStrides: readonly number[], acc: Float64Array, dtype: DType): TypedArray {
  acc.fill(1);
  const wrap = x.buffer instanceof Int32Array;
  const walker = new RowWalker(x.shape, [x, { strides: keptStrides, offset: 0 }]);
  const n = walker.rowLength;
  const [sx, sa] = walker.rowStrides as [number, number];
  const data = x.buffer;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let px = walker.offsets[0]!;
    let pa = walker.offsets[1]!;
    for (let i = 0; i < n; i++, px += sx, pa += sa) acc[pa] = wrap ? Math.imul(acc[pa]!, data[px]!) : acc[pa]! * data[px]!;
  }
  return fromAccumulator(acc, dtype);
}

export function fromAccumulator(acc: Float64Array, dtype: DType): TypedArray {
  if (dtype === "float64") return acc;
  const out = allocate(dtype, acc.length);
  if (dtype === "bool") for (let i = 0; i < acc.length; i++) out[i] = toBool(acc[i]!);
  else out.set(acc);
  return out;
}

/** A contiguous tensor seen as [outer, size, inner] with the reduced elements along `size`. */
export interface ReductionSplit {
  outer: number;
  size: number;
  inner: number;
}

/**
 * The [outer, size, inner] view of a contiguous shape whose reduced dims are adjacent (size-1 dims
 * anywhere don't count): sum(-1) is [rows, n, 1], sum(0) is [1, n, cols]. Null when kept dims sit
 * between reduced ones.
 */
export function adjacentSplit(shape: readonly number[], reduced: readonly boolean[]): ReductionSplit | null {
  let first = shape.length;
  let last = -1;
  for (let d = 0; d < shape.length; d++) {
    if (reduced[d] && shape[d] !== 1) {
      first = Math.min(first, d);
      last = d;
    }
  }
  if (last < 0) return { outer: numelOf(shape), size: 1, inner: 1 };
  for (let d = first; d <= last; d++) if (!reduced[d] && shape[d] !== 1) return null;
  return { outer: numelOf(shape.slice(0, first)), size: numelOf(shape.slice(first, last + 1)), inner: numelOf(shape.slice(last + 1)) };
}

/**
 * Sums of a contiguous [outer, size, inner] block along `size` into acc [outer, inner]. Rows are
 * summed with four independent partial sums (the adds overlap instead of waiting on each other);
 * columns take eight input rows per pass, so acc is read and written an eighth as often.
 */
export function sumContiguous(data: TypedArray, offset: number, { outer, size, inner }: ReductionSplit, acc: Float64Array): void {
  if (inner === 1) {
    for (let o = 0, p = offset; o < outer; o++) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const end = p + size;
      for (; p + 4 <= end; p += 4) {
        s0 += data[p]!;
        s1 += data[p + 1]!;
        s2 += data[p + 2]!;
        s3 += data[p + 3]!;
      }
      for (; p < end; p++) s0 += data[p]!;
      acc[o] = s0 + s1 + s2 + s3;
    }
    return;
  }
  const stride = inner;
  for (let o = 0; o < outer; o++) {
    const base = offset + o * size * inner;
    const target = o * inner;
    let r = 0;
    for (; r + 8 <= size; r += 8) {
      const row = base + r * stride;
      for (let j = 0, p = row; j < inner; j++, p++) {
        // the eight rows are summed before they meet the accumulator
        acc[target + j] =
          acc[target + j]! +
          (data[p]! +
            data[p + stride]! +
            data[p + 2 * stride]! +
            data[p + 3 * stride]! +
            data[p + 4 * stride]! +
            data[p + 5 * stride]! +
            data[p + 6 * stride]! +
            data[p + 7 * stride]!);
      }
    }
    for (; r < size; r++) {
      for (let j = 0, p = base + r * stride; j < inner; j++, p++) acc[target + j] = acc[target + j]! + data[p]!;
    }
  }
}

/**
 * Index of the first maximum (or minimum) along `dim`, NaN counting as the extreme (PyTorch);
 * the result is contiguous int32 shaped like x without `dim`.
 */
export function argReduce(kind: ArgReduceOp, x: HostView, dim: number): Int32Array {
  const size = x.shape[dim]!;
  const step = x.strides[dim]!;
  const outer = { shape: x.shape.filter((_, d) => d !== dim), strides: x.strides.filter((_, d) => d !== dim), offset: x.offset };
  const out = new Int32Array(numelOf(outer.shape));
  const walker = new RowWalker(outer.shape, [outer]);
  const n = walker.rowLength;
  const rowStride = walker.rowStrides[0]!;
  const data = x.buffer;
  const sign = kind === "max" ? 1 : -1;
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    for (let i = 0, start = walker.offsets[0]!; i < n; i++, start += rowStride) {
      let best = 0;
      let bestValue = data[start]! * sign;
      if (bestValue === bestValue) {
        for (let j = 1, p = start + step; j < size; j++, p += step) {
          const v = data[p]! * sign;
          if (v > bestValue || v !== v) {
            best = j;
            bestValue = v;
            if (v !== v) break;
          }
        }
      }
      out[o++] = best;
    }
  }
  return out;
}

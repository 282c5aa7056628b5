import { allocate, type DType, type TypedArray } from "../dtype";
import { contiguousStrides, numelOf } from "../shape";
import { RowWalker, type Strided } from "./iterate";

export type ReduceKind = "sum" | "max" | "min";

/**
 * Reduces x over the dims flagged in `reduced`; the result is contiguous, shaped like x with
 * those dims removed (a keepdim shape has the same element order).
 *
 * The input is walked in its own memory order while the output is addressed through strides
 * that are 0 along reduced dims, so summing over rows or over columns both stream through memory.
 * Sums accumulate in float64 (exact enough for float32 without pairwise summation).
 */
export function reduceAxes(x: Strided, reduced: readonly boolean[], kind: ReduceKind, dtype: DType): TypedArray {
  const keptShape = x.shape.map((size, d) => (reduced[d] ? 1 : size));
  const keptStrides = contiguousStrides(keptShape).map((stride, d) => (reduced[d] ? 0 : stride));
  const acc = new Float64Array(numelOf(keptShape));
  const initial = kind === "sum" ? 0 : kind === "max" ? -Infinity : Infinity;
  if (initial !== 0) acc.fill(initial);
  const walker = new RowWalker(x.shape, [x, { strides: keptStrides, offset: 0 }]);
  const n = walker.rowLength;
  const sx = walker.rowStrides[0]!;
  const sa = walker.rowStrides[1]!;
  const data = x.data;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let px = walker.offsets[0]!;
    let pa = walker.offsets[1]!;
    if (sa === 0) {
      let value = acc[pa]!;
      if (kind === "sum") for (let i = 0; i < n; i++, px += sx) value += data[px]!;
      // NaN wins, as in PyTorch: once value is NaN no comparison replaces it
      else if (kind === "max") for (let i = 0; i < n; i++, px += sx) { const v = data[px]!; if (v > value || v !== v) value = v; }
      else for (let i = 0; i < n; i++, px += sx) { const v = data[px]!; if (v < value || v !== v) value = v; }
      acc[pa] = value;
    } else if (kind === "sum") {
      for (let i = 0; i < n; i++, px += sx, pa += sa) acc[pa] += data[px]!;
    } else if (kind === "max") {
      for (let i = 0; i < n; i++, px += sx, pa += sa) { const v = data[px]!; if (v > acc[pa]! || v !== v) acc[pa] = v; }
    } else {
      for (let i = 0; i < n; i++, px += sx, pa += sa) { const v = data[px]!; if (v < acc[pa]! || v !== v) acc[pa] = v; }
    }
  }
  if (dtype === "float64") return acc;
  const out = allocate(dtype, acc.length);
  if (dtype === "bool") for (let i = 0; i < acc.length; i++) out[i] = acc[i] !== 0 ? 1 : 0;
  else out.set(acc);
  return out;
}

/**
 * Index of the first maximum (or minimum) along `dim`, NaN counting as the extreme (PyTorch);
 * the result is contiguous int32 shaped like x without `dim`.
 */
export function argReduce(x: Strided, dim: number, kind: "max" | "min"): Int32Array {
  const size = x.shape[dim]!;
  const step = x.strides[dim]!;
  const outer = { shape: x.shape.filter((_, d) => d !== dim), strides: x.strides.filter((_, d) => d !== dim), offset: x.offset };
  const out = new Int32Array(numelOf(outer.shape));
  const walker = new RowWalker(outer.shape, [outer]);
  const n = walker.rowLength;
  const rowStride = walker.rowStrides[0]!;
  const data = x.data;
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

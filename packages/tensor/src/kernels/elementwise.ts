import type { DType, TypedArray } from "../dtype";
import { allocate } from "../dtype";
import { contiguousLayout, isContiguousLayout } from "../layout";
import { numelOf } from "../shape";
import { RowWalker, type Strided } from "./iterate";

// Booleans stored into a Uint8Array become 0/1 by the typed array's own conversion, so comparison
// functions may return booleans.
export type UnaryFn = (x: number) => number | boolean;
export type BinaryFn = (x: number, y: number) => number | boolean;

/** out[i] = fn(x[i]) into a new contiguous array of `dtype`. */
export function mapUnary(x: Strided, dtype: DType, fn: UnaryFn): TypedArray {
  const out = allocate(dtype, numelOf(x.shape));
  const src = x.data;
  if (isContiguousLayout(x)) {
    const base = x.offset;
    for (let i = 0; i < out.length; i++) out[i] = fn(src[base + i]!) as number;
    return out;
  }
  const walker = new RowWalker(x.shape, [x]);
  const n = walker.rowLength;
  const step = walker.rowStrides[0]!;
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let p = walker.offsets[0]!;
    for (let i = 0; i < n; i++, p += step) out[o++] = fn(src[p]!) as number;
  }
  return out;
}

/** out[i] = fn(a[i], b[i]) for operands already broadcast to one shape. */
export function zipBinary(a: Strided, b: Strided, dtype: DType, fn: BinaryFn): TypedArray {
  const out = allocate(dtype, numelOf(a.shape));
  const da = a.data;
  const db = b.data;
  const aDense = isContiguousLayout(a);
  if (aDense && isContiguousLayout(b)) {
    const oa = a.offset;
    const ob = b.offset;
    for (let i = 0; i < out.length; i++) out[i] = fn(da[oa + i]!, db[ob + i]!) as number;
    return out;
  }
  const walker = new RowWalker(a.shape, [a, b]);
  const n = walker.rowLength;
  const sa = walker.rowStrides[0]!;
  const sb = walker.rowStrides[1]!;
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let pa = walker.offsets[0]!;
    let pb = walker.offsets[1]!;
    if (sb === 0) {
      // a row of a against one broadcast value of b (bias adds, scalar operands)
      const y = db[pb]!;
      for (let i = 0; i < n; i++, pa += sa) out[o++] = fn(da[pa]!, y) as number;
    } else {
      for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o++] = fn(da[pa]!, db[pb]!) as number;
    }
  }
  return out;
}

/** out[i] = cond[i] ? a[i] : b[i] for operands already broadcast to one shape. */
export function selectWhere(cond: Strided, a: Strided, b: Strided, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(cond.shape));
  const dc = cond.data;
  const da = a.data;
  const db = b.data;
  const walker = new RowWalker(cond.shape, [cond, a, b]);
  const n = walker.rowLength;
  const [sc, sa, sb] = walker.rowStrides as [number, number, number];
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let pc = walker.offsets[0]!;
    let pa = walker.offsets[1]!;
    let pb = walker.offsets[2]!;
    for (let i = 0; i < n; i++, pc += sc, pa += sa, pb += sb) out[o++] = dc[pc] ? da[pa]! : db[pb]!;
  }
  return out;
}

/**
 * Copies src into dst element by element (same shape, any strides), converting dtype on the way:
 * to bool, anything non-zero (NaN included) is true; to int32, floats truncate toward zero.
 */
export function copyStrided(src: Strided, dst: Strided): void {
  const ds = src.data;
  const dd = dst.data;
  const toBool = dd instanceof Uint8Array && !(ds instanceof Uint8Array);
  // an empty view's offset may lie past the end of its storage: nothing to read or write
  if (numelOf(src.shape) === 0) return;
  if (!toBool && isContiguousLayout(src) && isContiguousLayout(dst) && ds.constructor === dd.constructor) {
    const n = numelOf(src.shape);
    dd.set(ds.subarray(src.offset, src.offset + n) as never, dst.offset);
    return;
  }
  const walker = new RowWalker(src.shape, [src, dst]);
  const n = walker.rowLength;
  const [ss, sd] = walker.rowStrides as [number, number];
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let ps = walker.offsets[0]!;
    let pd = walker.offsets[1]!;
    if (toBool) for (let i = 0; i < n; i++, ps += ss, pd += sd) dd[pd] = ds[ps] !== 0 ? 1 : 0;
    else for (let i = 0; i < n; i++, ps += ss, pd += sd) dd[pd] = ds[ps]!;
  }
}

/** A new contiguous array holding src's elements in row-major order, as `dtype`. */
export function toContiguous(src: Strided, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(src.shape));
  copyStrided(src, { data: out, ...contiguousLayout(src.shape) });
  return out;
}

/** Writes one value into every element a layout reaches. */
export function fillStrided(dst: Strided, value: number): void {
  const walker = new RowWalker(dst.shape, [dst]);
  const n = walker.rowLength;
  const step = walker.rowStrides[0]!;
  const data = dst.data;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let p = walker.offsets[0]!;
    for (let i = 0; i < n; i++, p += step) data[p] = value;
  }
}

import { allocate, type DType, toBool, type TypedArray } from "../../dtype";
import { isContiguousLayout } from "../../layout";
import { numelOf } from "../../shape";
import { RowWalker, type HostView } from "./iterate";

// Both kernels walk the index's shape; along `dim` the position comes from the index value, so
// the other operand is addressed with its `dim` stride set to 0 plus value × that stride. A 0-d
// operand beside a 1-D index acts as one of size 1 (PyTorch): its only index is 0, so it reads
// with stride 0 along the index's dim.

/** x's strides over the index's dims, 0 along `dim` (and for a 0-d x). */
function stridesAlongIndex(x: HostView, dim: number, index: HostView): number[] {
  return index.shape.map((_, d) => (d === dim ? 0 : (x.strides[d] ?? 0)));
}

/** out[…i…] = x[…index[…i…]…] along dim (indices already validated). */
export function gatherAlong(x: HostView, dim: number, index: HostView, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(index.shape));
  const dimStride = x.strides[dim] ?? 0;
  const source = { strides: stridesAlongIndex(x, dim, index), offset: x.offset };
  const walker = new RowWalker(index.shape, [index, source]);
  const n = walker.rowLength;
  const [si, sx] = walker.rowStrides as [number, number];
  const idx = index.buffer;
  const data = x.buffer;
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let pi = walker.offsets[0]!;
    let px = walker.offsets[1]!;
    if (si === 0) {
      // one position for the whole row (indexSelect's index, expanded along the row): a row copy
      px += idx[pi]! * dimStride;
      for (let i = 0; i < n; i++, px += sx) out[o++] = data[px]!;
    } else for (let i = 0; i < n; i++, pi += si, px += sx) out[o++] = data[px + idx[pi]! * dimStride]!;
  }
  return out;
}

/**
 * target[…index[…i…]…] += src[…i…] along dim, in place (indices already validated). Into bool,
 * the sum is converted back to bool at each step (true + true is true, as PyTorch), so repeats
 * cannot carry it past a byte.
 */
export function scatterAddAlong(target: HostView, dim: number, index: HostView, src: HostView): void {
  if (scatterAddRows(target, dim, index, src)) return;
  const dimStride = target.strides[dim] ?? 0;
  const destination = { strides: stridesAlongIndex(target, dim, index), offset: target.offset };
  const walker = new RowWalker(index.shape, [index, src, destination]);
  const n = walker.rowLength;
  const [si, ss, st] = walker.rowStrides as [number, number, number];
  const idx = index.buffer;
  const values = src.buffer;
  const out = target.buffer;
  const bool = out instanceof Uint8Array;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let pi = walker.offsets[0]!;
    let ps = walker.offsets[1]!;
    let pt = walker.offsets[2]!;
    if (si === 0 && !bool) {
      // one position for the whole row (the gradient of indexSelect): a row added in
      pt += idx[pi]! * dimStride;
      for (let i = 0; i < n; i++, ps += ss, pt += st) out[pt] = out[pt]! + values[ps]!;
    } else
      for (let i = 0; i < n; i++, pi += si, ps += ss, pt += st) {
        const t = pt + idx[pi]! * dimStride;
        out[t] = bool ? toBool(out[t]! + values[ps]!) : out[t]! + values[ps]!;
      }
  }
}

/**
 * scatterAddAlong where dim is the last one and target, index and src are contiguous, index and
 * src of one shape, target of it but along dim: rows of the index add into rows of the target,
 * one flat loop each (as max pooling's gradient does, rows of a few windows, which RowWalker
 * would visit one by one). Returns whether it ran.
 */
function scatterAddRows(target: HostView, dim: number, index: HostView, src: HostView): boolean {
  const nd = index.shape.length;
  if (dim !== nd - 1 || target.shape.length !== nd || src.shape.length !== nd || target.buffer instanceof Uint8Array) return false;
  for (let d = 0; d < nd; d++) {
    if (src.shape[d] !== index.shape[d] || (d < dim && target.shape[d] !== index.shape[d])) return false;
  }
  if (!isContiguousLayout(target) || !isContiguousLayout(index) || !isContiguousLayout(src)) return false;
  const length = index.shape[dim]!;
  const targetLength = target.shape[dim]!;
  const rows = length === 0 ? 0 : numelOf(index.shape) / length;
  const idx = index.buffer;
  const values = src.buffer;
  const out = target.buffer;
  for (let r = 0, pi = index.offset, ps = src.offset; r < rows; r++) {
    const row = target.offset + r * targetLength;
    for (let i = 0; i < length; i++, pi++, ps++) {
      const t = row + idx[pi]!;
      out[t] = out[t]! + values[ps]!;
    }
  }
  return true;
}

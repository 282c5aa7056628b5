import { contiguousStrides, numelOf } from "../../shape";
import { type HostView, linesAlong } from "./iterate";

/**
 * The permutation that sorts x along `dim`, as int32 positions shaped like x: out[…, i, …] is the
 * position along `dim` of the i-th smallest (or largest) element of its row. Stable (equal values
 * keep their order, as PyTorch's stable sort), and NaN counts as larger than every number, so it
 * comes last ascending and first descending (PyTorch).
 */
export function sortAlong(x: HostView, dim: number, descending: boolean): Int32Array {
  const size = x.shape[dim]!;
  const step = x.strides[dim]!;
  // the output is contiguous, shaped like x: a row's positions lie `inner` apart
  const inner = contiguousStrides(x.shape)[dim]!;
  const out = new Int32Array(numelOf(x.shape));
  const walker = linesAlong(x, dim);
  const n = walker.rowLength;
  const [rowStride, outRowStride] = walker.rowStrides as [number, number];
  const data = x.buffer;
  const keys = new Float64Array(size);
  const order = new Int32Array(size);
  const sign = descending ? -1 : 1;
  // a total order (value, then position), so the result does not depend on the sort's stability
  const compare = (i: number, j: number): number => {
    const a = keys[i]!;
    const b = keys[j]!;
    const aNaN = a !== a;
    const bNaN = b !== b;
    if (aNaN || bNaN) return aNaN && bNaN ? i - j : (aNaN ? 1 : -1) * sign;
    return a < b ? -sign : a > b ? sign : i - j;
  };
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    for (let i = 0, start = walker.offsets[0]!, o = walker.offsets[1]!; i < n; i++, start += rowStride, o += outRowStride) {
      for (let j = 0, p = start; j < size; j++, p += step) {
        keys[j] = data[p]!;
        order[j] = j;
      }
      order.sort(compare);
      for (let j = 0; j < size; j++) out[o + j * inner] = order[j]!;
    }
  }
  return out;
}

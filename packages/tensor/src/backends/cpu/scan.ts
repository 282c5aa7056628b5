import { allocate, type DType, type TypedArray } from "../../dtype";
import { contiguousStrides, numelOf } from "../../shape";
import type { ScanOp } from "../primitives";
import { type HostView, linesAlong } from "./iterate";

/**
 * The scan primitive: running sums or products along `dim` into a new contiguous array of x's
 * shape, from the first element on, or from the last backwards when `reverse`. Float running
 * values are kept in float64 (as PyTorch's CPU accumulator); int32 ones wrap as int32 arithmetic.
 * The lines along dim are walked by an odometer over the other dims, in and out together.
 */
export function scanAlong(op: ScanOp, x: HostView, dim: number, reverse: boolean, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(x.shape));
  const size = x.shape[dim] ?? 1;
  if (out.length === 0) return out;
  const step = x.strides[dim] ?? 0;
  const outStep = contiguousStrides(x.shape)[dim] ?? 0;
  const lines = linesAlong(x, dim);
  const wrap = dtype === "int32";
  const data = x.buffer;
  const n = lines.rowLength;
  const [sx, so] = lines.rowStrides as [number, number];
  // walking backwards: start at the last element of each line and step by −stride
  const first = reverse ? size - 1 : 0;
  const dx = reverse ? -step : step;
  const dout = reverse ? -outStep : outStep;
  for (let r = 0; r < lines.rows; r++, lines.next()) {
    for (let i = 0, startX = lines.offsets[0]!, startOut = lines.offsets[1]!; i < n; i++, startX += sx, startOut += so) {
      let px = startX + first * step;
      let po = startOut + first * outStep;
      if (op === "sum") {
        let acc = 0;
        for (let k = 0; k < size; k++, px += dx, po += dout) {
          acc = wrap ? (acc + data[px]!) | 0 : acc + data[px]!;
          out[po] = acc;
        }
      } else {
        let acc = 1;
        for (let k = 0; k < size; k++, px += dx, po += dout) {
          acc = wrap ? Math.imul(acc, data[px]!) : acc * data[px]!;
          out[po] = acc;
        }
      }
    }
  }
  return out;
}

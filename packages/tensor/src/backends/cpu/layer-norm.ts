import { allocate, type DType, type TypedArray } from "../../dtype";
import { toContiguous } from "./elementwise";
import type { HostView } from "./iterate";
import { fromAccumulator } from "./reduce";

// The reference kernels of layer normalisation and its VJP over the rows of an [R, N] view: per
// row, one pass for the mean, one for the squared deviations (both summed in float64, so float32
// results are rounded once and a large mean costs no accuracy) and one to write.

type FloatArray = Float32Array | Float64Array;

/** The rows of an [R, N] view: row r starts at data[base + r·stride], its entries adjacent. */
export interface Rows {
  data: FloatArray;
  base: number;
  stride: number;
}

/** x [R, N] read in place when each row is contiguous (rows any distance apart), else a contiguous copy. */
export function rowsOf(x: HostView, dtype: DType): Rows {
  const n = x.shape[1]!;
  if (n <= 1 || x.strides[1] === 1) return { data: x.buffer as FloatArray, base: x.offset, stride: x.strides[0]! };
  return { data: toContiguous(x, dtype) as FloatArray, base: 0, stride: n };
}

/** A 1-D view's `length` values as float64, or `fill` everywhere when there is no view. */
export function valuesOf(v: HostView | null, length: number, fill: number): Float64Array {
  const out = new Float64Array(length);
  if (v === null) return out.fill(fill);
  const step = v.strides[0] ?? 0;
  for (let i = 0, k = v.offset; i < length; i++, k += step) out[i] = v.buffer[k]!;
  return out;
}

/** y = (x − mean)·rstd ⊙ weight + bias for every row of x [R, N], with each row's mean and rstd. */
export function layerNormRows(
  x: HostView,
  weight: HostView | null,
  bias: HostView | null,
  eps: number,
  dtype: DType,
): { out: TypedArray; mean: TypedArray; rstd: TypedArray } {
  const [rows, n] = x.shape as [number, number];
  const { data, base, stride } = rowsOf(x, dtype);
  const w = valuesOf(weight, n, 1);
  const b = valuesOf(bias, n, 0);
  const out = allocate(dtype, rows * n, "layerNorm");
  const mean = allocate(dtype, rows, "layerNorm");
  const rstd = allocate(dtype, rows, "layerNorm");
  for (let r = 0, o = 0; r < rows; r++) {
    const start = base + r * stride;
    const end = start + n;
    let sum = 0;
    for (let k = start; k < end; k++) sum += data[k]!;
    const mu = sum / n;
    let squares = 0;
    for (let k = start; k < end; k++) {
      const d = data[k]! - mu;
      squares += d * d;
    }
    const inv = 1 / Math.sqrt(squares / n + eps);
    for (let j = 0, k = start; j < n; j++, k++, o++) out[o] = (data[k]! - mu) * inv * w[j]! + b[j]!;
    mean[r] = mu;
    rstd[r] = inv;
  }
  return { out, mean, rstd };
}

/**
 * layerNorm's VJP, one row at a time: the sums of ĝ = g ⊙ weight and ĝ ⊙ x̂ over the row (x̂ =
 * (x − mean)·rstd), then dx = rstd·(ĝ − mean ĝ − x̂·mean(ĝ ⊙ x̂)); dweight = Σ g ⊙ x̂ and dbias =
 * Σ g gather over the rows in float64 on the way.
 */
export function layerNormBackwardRows(
  x: HostView,
  g: HostView,
  mean: HostView,
  rstd: HostView,
  weight: HostView | null,
  dtype: DType,
): { dx: TypedArray; dweight: TypedArray; dbias: TypedArray } {
  const [rows, n] = x.shape as [number, number];
  const xs = rowsOf(x, dtype);
  const gs = rowsOf(g, dtype);
  const [xData, gData] = [xs.data, gs.data];
  const means = valuesOf(mean, rows, 0);
  const rstds = valuesOf(rstd, rows, 0);
  const w = valuesOf(weight, n, 1);
  const dx = allocate(dtype, rows * n, "layerNormBackward");
  const dweight = new Float64Array(n);
  const dbias = new Float64Array(n);
  for (let r = 0, o = 0; r < rows; r++) {
    const [mu, inv] = [means[r]!, rstds[r]!];
    const xStart = xs.base + r * xs.stride;
    const gStart = gs.base + r * gs.stride;
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0, k = xStart, l = gStart; j < n; j++, k++, l++) {
      const xHat = (xData[k]! - mu) * inv;
      const gv = gData[l]!;
      const gw = gv * w[j]!;
      sumG += gw;
      sumGX += gw * xHat;
      dweight[j]! += gv * xHat;
      dbias[j]! += gv;
    }
    const meanG = sumG / n;
    const meanGX = sumGX / n;
    for (let j = 0, k = xStart, l = gStart; j < n; j++, k++, l++, o++) {
      dx[o] = inv * (gData[l]! * w[j]! - meanG - (xData[k]! - mu) * inv * meanGX);
    }
  }
  return { dx, dweight: fromAccumulator(dweight, dtype), dbias: fromAccumulator(dbias, dtype) };
}

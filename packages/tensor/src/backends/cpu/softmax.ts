import { allocate, type DType, type TypedArray } from "../../dtype";
import { isContiguousLayout } from "../../layout";
import { toContiguous } from "./elementwise";
import { expForFloat32 } from "./exp-float32";
import type { HostView } from "./iterate";

// The reference kernels of softmax, its VJP and the fused cross-entropy: one pass per slice for the
// max, one for the sum of exponentials (kept in float64, so float32 results are rounded once) and
// one to write. float32 results take expForFloat32, float64 ones Math.exp.

type FloatArray = Float32Array | Float64Array;

/**
 * A contiguous array seen as `outer` blocks, each holding `size` slices entries spaced `inner`
 * apart: the slices along one dim (entry k of slice (o, i) sits at o·size·inner + k·inner + i).
 */
interface SliceLayout {
  outer: number;
  size: number;
  inner: number;
}

export function sliceLayout(shape: readonly number[], dim: number): SliceLayout {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < dim; d++) outer *= shape[d]!;
  for (let d = dim + 1; d < shape.length; d++) inner *= shape[d]!;
  // a 0-d view is one slice of one entry
  return { outer, size: shape.length === 0 ? 1 : shape[dim]!, inner };
}

/** A view's elements in row-major order: its own buffer when contiguous (no copy), else a copy. */
function rowMajor(x: HostView, dtype: DType): { data: FloatArray; base: number } {
  return isContiguousLayout(x) ? { data: x.buffer as FloatArray, base: x.offset } : { data: toContiguous(x, dtype) as FloatArray, base: 0 };
}

function expFor(dtype: DType): (a: number) => number {
  return dtype === "float32" ? expForFloat32 : Math.exp;
}

/**
 * softmax or log-softmax of every slice along `dim`. Subtracting the slice max keeps every exponent
 * ≤ 0, so nothing overflows and [1000, 1001, 1002] behaves as [0, 1, 2]; a -Infinity entry becomes
 * exp(-Infinity) = 0 exactly. A slice that is all -Infinity has max -Infinity and x − max = NaN, so
 * the whole slice is NaN, as in PyTorch; NaN anywhere in a slice poisons its sum.
 */
export function softmaxAlong(x: HostView, dim: number, log: boolean, dtype: DType): TypedArray {
  const { data: input, base } = rowMajor(x, dtype);
  const { outer, size, inner } = sliceLayout(x.shape, dim);
  const out = allocate(dtype, outer * size * inner, "softmax");
  const exp = expFor(dtype);
  // one slice's exponentials, kept in float64 so float32 outputs are rounded once, at the end
  const exps = new Float64Array(size);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * size * inner + i;
      let max = -Infinity;
      for (let j = 0, k = base + start; j < size; j++, k += inner) if (input[k]! > max) max = input[k]!;
      let sum = 0;
      for (let j = 0, k = base + start; j < size; j++, k += inner) {
        const e = exp(input[k]! - max);
        exps[j] = e;
        sum += e;
      }
      if (log) {
        const logSum = Math.log(sum);
        for (let j = 0, k = start; j < size; j++, k += inner) out[k] = input[base + k]! - max - logSum;
      } else {
        for (let j = 0, k = start; j < size; j++, k += inner) out[k] = exps[j]! / sum;
      }
    }
  }
  return out;
}

/**
 * The VJPs of softmax and log-softmax along `dim` in one pass per slice, from the op's output and
 * the incoming gradient; the slice sums are kept in float64.
 * - softmax (log false), y = s:      out = s ⊙ (g − Σ g ⊙ s)
 * - log-softmax (log true), y:       out = g − exp(y) ⊙ Σ g
 */
export function softmaxBackwardAlong(yView: HostView, gView: HostView, dim: number, log: boolean, dtype: DType): TypedArray {
  const { data: y, base: yBase } = rowMajor(yView, dtype);
  const { data: g, base: gBase } = rowMajor(gView, dtype);
  const { outer, size, inner } = sliceLayout(yView.shape, dim);
  const out = allocate(dtype, outer * size * inner, "softmaxBackward");
  const exp = expFor(dtype);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * size * inner + i;
      const end = start + size * inner;
      let total = 0;
      if (log) {
        for (let k = start; k < end; k += inner) total += g[gBase + k]!;
        for (let k = start; k < end; k += inner) out[k] = g[gBase + k]! - exp(y[yBase + k]!) * total;
      } else {
        for (let k = start; k < end; k += inner) total += g[gBase + k]! * y[yBase + k]!;
        for (let k = start; k < end; k += inner) out[k] = y[yBase + k]! * (g[gBase + k]! - total);
      }
    }
  }
  return out;
}

/** Row n's class index: where targets [N] (int32) holds it. */
export function targetOf(targets: HostView, n: number): number {
  return targets.buffer[targets.offset + n * (targets.strides[0] ?? 0)]!;
}

/**
 * The cross-entropy of logits [N, C] and class indices [N] over the rows not ignored, divided by
 * `denominator`; every row's softmax goes into `probabilities` (contiguous [N, C]) on the way.
 */
export function crossEntropyRows(
  logits: HostView,
  targets: HostView,
  ignoreIndex: number,
  denominator: number,
  probabilities: HostView,
  dtype: DType,
): TypedArray {
  const [rows, classes] = logits.shape as [number, number];
  const [rowStride, classStride] = logits.strides as [number, number];
  const x = logits.buffer;
  const p = probabilities.buffer;
  const exp = expFor(dtype);
  const exps = new Float64Array(classes);
  let total = 0;
  for (let n = 0; n < rows; n++) {
    const start = logits.offset + n * rowStride;
    let max = -Infinity;
    for (let c = 0, k = start; c < classes; c++, k += classStride) if (x[k]! > max) max = x[k]!;
    let sum = 0;
    for (let c = 0, k = start; c < classes; c++, k += classStride) {
      exps[c] = exp(x[k]! - max);
      sum += exps[c]!;
    }
    const row = probabilities.offset + n * classes;
    for (let c = 0; c < classes; c++) p[row + c] = exps[c]! / sum;
    const target = targetOf(targets, n);
    // an all -Infinity row has max − max = NaN, so its loss is NaN, as through logSoftmax
    if (target !== ignoreIndex) total += max + Math.log(sum) - x[start + target * classStride]!;
  }
  const loss = allocate(dtype, 1, "crossEntropy");
  loss[0] = total / denominator;
  return loss;
}

/** (p[n] − onehot(tₙ)) · scale for every row not ignored (0 elsewhere), from probabilities p [N, C]. */
export function crossEntropyBackwardRows(
  probabilities: HostView,
  targets: HostView,
  ignoreIndex: number,
  scale: number,
  dtype: DType,
): TypedArray {
  const [rows, classes] = probabilities.shape as [number, number];
  const { data: p, base } = rowMajor(probabilities, dtype);
  const grad = allocate(dtype, rows * classes, "crossEntropyBackward");
  for (let n = 0; n < rows; n++) {
    const target = targetOf(targets, n);
    if (target === ignoreIndex) continue; // ignored rows get no gradient
    const row = n * classes;
    for (let k = row; k < row + classes; k++) grad[k] = p[base + k]! * scale;
    grad[row + target]! -= scale;
  }
  return grad;
}

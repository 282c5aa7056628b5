import { allocate, type DType, type TypedArray } from "../../dtype";
import type { WindowGeometry } from "../primitives";
import { toContiguous } from "./elementwise";
import type { HostView } from "./iterate";
import { matmulBatched } from "./matmul";

// Sliding-window kernels (im2col, its adjoint col2im, max pooling, and conv2d with its gradients
// made of them and the matmul) over the last two dims of an [N, C, H, W] view. Sizes are read by
// index, not destructured: array destructuring goes through the iterator protocol, which V8
// deoptimised here over and over. The loops run over (n, c, tap) and then over window rows; the
// range of windows whose tap lands inside the input is worked out once per tap, so the inner loops
// do no bounds checks and no index arithmetic beyond a stride step.

/**
 * Per tap along one dim: its shift (tap·dilation − padding) and the windows [lo, hi) whose tap
 * lands inside the input: 0 ≤ o·stride + shift < size ⇔ ⌈−shift / stride⌉ ≤ o ≤ ⌊(size − 1 − shift) / stride⌋.
 */
export function tapRanges(geometry: WindowGeometry, dim: 0 | 1, size: number): { shift: number; lo: number; hi: number }[] {
  const { kernel, stride, padding, dilation, out } = geometry;
  return Array.from({ length: kernel[dim] }, (_, tap) => {
    const shift = tap * dilation[dim] - padding[dim];
    const lo = Math.max(0, Math.ceil(-shift / stride[dim]));
    const hi = Math.min(out[dim], Math.floor((size - 1 - shift) / stride[dim]) + 1);
    return { shift, lo, hi: Math.max(lo, hi) };
  });
}

/** im2col: x [N, C, H, W] → [C·kH·kW, N, outH·outW], zero where a tap falls outside x. */
export function im2col(x: HostView, geometry: WindowGeometry, dtype: DType): TypedArray {
  const batch = x.shape[0]!;
  const channels = x.shape[1]!;
  const height = x.shape[2]!;
  const width = x.shape[3]!;
  const kh = geometry.kernel[0]!;
  const kw = geometry.kernel[1]!;
  const oh = geometry.out[0]!;
  const ow = geometry.out[1]!;
  const sh = geometry.stride[0]!;
  const sw = geometry.stride[1]!;
  const strideN = x.strides[0]!;
  const strideC = x.strides[1]!;
  const strideH = x.strides[2]!;
  const strideW = x.strides[3]!;
  const rows = tapRanges(geometry, 0, height);
  const cols = tapRanges(geometry, 1, width);
  const positions = oh * ow;
  const out = allocate(dtype, batch * channels * kh * kw * positions);
  const data = x.buffer;
  const step = sw * strideW; // input step between neighbouring windows along a row
  const rowLength = batch * positions; // one output row (c, p, q) holds every window of every sample
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const plane = x.offset + n * strideN + c * strideC;
      for (let p = 0; p < kh; p++) {
        const row = rows[p]!;
        for (let q = 0; q < kw; q++) {
          const col = cols[q]!;
          const o = ((c * kh + p) * kw + q) * rowLength + n * positions;
          for (let i = row.lo; i < row.hi; i++) {
            const start = plane + (i * sh + row.shift) * strideH + (col.lo * sw + col.shift) * strideW;
            const end = o + i * ow + col.hi;
            for (let t = o + i * ow + col.lo, s = start; t < end; t++, s += step) out[t] = data[s]!;
          }
        }
      }
    }
  }
  return out;
}

/** col2im: columns [N, C·kH·kW, outH·outW] added into a zeroed [N, C, H, W] where im2col read them. */
export function col2im(columns: HostView, geometry: WindowGeometry, size: readonly [number, number], dtype: DType): TypedArray {
  const batch = columns.shape[0]!;
  const taps = columns.shape[1]!;
  const kh = geometry.kernel[0]!;
  const kw = geometry.kernel[1]!;
  const ow = geometry.out[1]!;
  const sh = geometry.stride[0]!;
  const sw = geometry.stride[1]!;
  const height = size[0]!;
  const width = size[1]!;
  const channels = taps / (kh * kw);
  const strideN = columns.strides[0]!;
  const strideR = columns.strides[1]!;
  const strideL = columns.strides[2]!;
  const rows = tapRanges(geometry, 0, height);
  const cols = tapRanges(geometry, 1, width);
  const out = allocate(dtype, batch * channels * height * width);
  const data = columns.buffer;
  const rowStep = ow * strideL; // column step between window rows
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const plane = (n * channels + c) * height * width;
      for (let p = 0; p < kh; p++) {
        const row = rows[p]!;
        for (let q = 0; q < kw; q++) {
          const col = cols[q]!;
          const source = columns.offset + n * strideN + ((c * kh + p) * kw + q) * strideR;
          for (let i = row.lo; i < row.hi; i++) {
            const target = plane + (i * sh + row.shift) * width + col.shift;
            let s = source + i * rowStep + col.lo * strideL;
            for (let j = col.lo; j < col.hi; j++, s += strideL) {
              const t = target + j * sw;
              out[t] = out[t]! + data[s]!;
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Per window along one dim: the first input position its taps reach inside the input, and the
 * end of its taps there (exclusive; taps step by the dilation), so first ≥ end when none is inside.
 */
function windowTaps(geometry: WindowGeometry, dim: 0 | 1, size: number): { first: Int32Array; end: Int32Array } {
  const { kernel, stride, padding, dilation, out } = geometry;
  const windows = out[dim];
  const first = new Int32Array(windows);
  const end = new Int32Array(windows);
  const d = dilation[dim];
  for (let o = 0; o < windows; o++) {
    const start = o * stride[dim] - padding[dim];
    const lo = Math.min(kernel[dim], Math.max(0, Math.ceil(-start / d)));
    const hi = Math.max(lo, Math.min(kernel[dim], Math.floor((size - 1 - start) / d) + 1));
    first[o] = start + lo * d;
    end[o] = start + (hi - 1) * d + 1;
    if (hi === lo) end[o] = first[o]!;
  }
  return { first, end };
}

/**
 * The first maximum of one window (the first NaN, if any) into values[o], and its position
 * h·W + w into indices[o]: taps h in [hLo, hHi) by dh, w in [wLo, wHi) by dw of the plane at
 * `plane`, -Infinity at `empty` when there are none.
 */
function windowMax(
  data: TypedArray,
  plane: number,
  strideH: number,
  strideW: number,
  width: number,
  hLo: number,
  hHi: number,
  dh: number,
  wLo: number,
  wHi: number,
  dw: number,
  empty: number,
  values: TypedArray,
  indices: TypedArray,
  o: number,
): void {
  // the first tap inside x holds the window's maximum until a larger one (or a NaN) comes; the
  // comparison is a select rather than a branch, as random data mispredicts it
  let max = Number.NEGATIVE_INFINITY;
  let at = hLo < hHi && wLo < wHi ? hLo * width + wLo : empty;
  for (let h = hLo; h < hHi; h += dh) {
    const base = plane + h * strideH;
    for (let w = wLo; w < wHi; w += dw) {
      const v = data[base + w * strideW]!;
      if (v !== v) {
        // the first NaN is the maximum
        if (max === max) {
          max = v;
          at = h * width + w;
        }
      } else {
        const larger = v > max;
        max = larger ? v : max;
        at = larger ? h * width + w : at;
      }
    }
  }
  values[o] = max;
  indices[o] = at;
}

/** Whether windows are 2 × 2, stepping 2, inside x of `height` × `width`: max pooling's usual case. */
export const isPairPool = (g: WindowGeometry, height: number, width: number) =>
  2 * g.out[0] <= height &&
  2 * g.out[1] <= width &&
  g.kernel[0] === 2 &&
  g.kernel[1] === 2 &&
  g.stride[0] === 2 &&
  g.stride[1] === 2 &&
  g.padding[0] === 0 &&
  g.padding[1] === 0 &&
  g.dilation[0] === 1 &&
  g.dilation[1] === 1;

/**
 * conv2d: x [N, C, H, W] ⋆ weight [O, C/groups, kH, kW] (+ bias [O]) → [N, O, outH, outW], as
 * im2col, one product per group (the matmul reference) and convOutput.
 */
export function conv2d(
  x: HostView,
  weight: HostView,
  bias: HostView | null,
  geometry: WindowGeometry,
  groups: number,
  dtype: DType,
): TypedArray {
  const batch = x.shape[0]!;
  const outChannels = weight.shape[0]!;
  const rows = weight.shape[1]! * geometry.kernel[0] * geometry.kernel[1];
  const positions = geometry.out[0] * geometry.out[1];
  const columns = im2col(x, geometry, dtype);
  const w = groupedWeight(weight, groups, dtype);
  const product = matmulBatched(w, groupedRows(columns, groups, rows, batch * positions), dtype);
  const out = allocate(dtype, outChannels * batch * positions);
  convOutput(product, bias, outChannels, batch, positions, out);
  return out;
}

/** conv2dWeightGrad: per group ḡ [O/G, N·outH·outW] · columnsᵀ → [O, C/groups, kH, kW]. */
export function conv2dWeightGrad(x: HostView, gradOut: HostView, geometry: WindowGeometry, groups: number, dtype: DType): TypedArray {
  const perGroup = gradOut.shape[1]! / groups;
  const rows = (x.shape[1]! / groups) * geometry.kernel[0] * geometry.kernel[1];
  const length = x.shape[0]! * geometry.out[0] * geometry.out[1];
  const columns = im2col(x, geometry, dtype);
  const g = gradientRows(gradOut, dtype);
  // ḡ's rows times the columns' rows, transposed
  const columnsT = { buffer: columns, shape: [groups, length, rows], strides: [rows * length, 1, length], offset: 0 };
  return matmulBatched(groupedRows(g, groups, perGroup, length), columnsT, dtype);
}

/** conv2dInputGrad: col2im of per group weightᵀ [C/G·kH·kW, O/G] · ḡ [O/G, N·outH·outW] → [N, C, ...size]. */
export function conv2dInputGrad(
  gradOut: HostView,
  weight: HostView,
  geometry: WindowGeometry,
  groups: number,
  size: readonly [number, number],
  dtype: DType,
): TypedArray {
  const batch = gradOut.shape[0]!;
  const outChannels = gradOut.shape[1]!;
  const positions = geometry.out[0] * geometry.out[1];
  const length = batch * positions;
  const w = groupedWeight(weight, groups, dtype);
  const rows = w.shape[2]!;
  const g = gradientRows(gradOut, dtype);
  const perGroup = outChannels / groups;
  const weightT = { buffer: w.buffer, shape: [groups, rows, perGroup], strides: [w.strides[0]!, 1, w.strides[1]!], offset: w.offset };
  const columns = matmulBatched(weightT, groupedRows(g, groups, perGroup, length), dtype);
  // [G·rows, N, positions] = [C·kH·kW, N, positions], read as [N, C·kH·kW, positions]
  return col2im(
    { buffer: columns, shape: [batch, groups * rows, positions], strides: [positions, length, 1], offset: 0 },
    geometry,
    size,
    dtype,
  );
}

/** Contiguous rows [groups · rows, length] seen as [groups, rows, length]: one matrix per group. */
function groupedRows(buffer: TypedArray, groups: number, rows: number, length: number): HostView {
  return { buffer, shape: [groups, rows, length], strides: [rows * length, length, 1], offset: 0 };
}

/** ḡ [N, O, outH, outW] as contiguous rows [O, N·outH·outW] (a copy). */
function gradientRows(gradOut: HostView, dtype: DType): TypedArray {
  const { shape, strides } = gradOut;
  const swapped = { shape: [shape[1]!, shape[0]!, shape[2]!, shape[3]!], strides: [strides[1]!, strides[0]!, strides[2]!, strides[3]!] };
  return toContiguous({ buffer: gradOut.buffer, ...swapped, offset: gradOut.offset }, dtype);
}

/**
 * A conv weight [O, C/groups, kH, kW] as [groups, O/groups, C/groups·kH·kW]: a view when its last
 * three dims are stored together row-major (as a parameter is), else a contiguous copy.
 */
export function groupedWeight(weight: HostView, groups: number, dtype: DType): HostView {
  const outChannels = weight.shape[0]!;
  const rows = weight.shape[1]! * weight.shape[2]! * weight.shape[3]!;
  // the last three dims merge into one of stride 1 when each (of more than one entry) steps by the
  // number of values after it
  let merges = true;
  for (let d = 3, after = 1; d >= 1; after *= weight.shape[d]!, d--) merges &&= weight.shape[d] === 1 || weight.strides[d] === after;
  const { buffer, offset, strides } = merges ? weight : { buffer: toContiguous(weight, dtype), offset: 0, strides: [rows] };
  const perGroup = outChannels / groups;
  return { buffer, shape: [groups, perGroup, rows], strides: [perGroup * strides[0]!, strides[0]!, 1], offset };
}

/**
 * out [N, O, positions] = product [O, N·positions] (the per-group products, stacked) moved to
 * batch-major, plus bias[o] on every value of channel o. Without a bias the values are copied as
 * they are (no + 0, which would turn a −0 into +0).
 */
function convOutput(
  product: TypedArray,
  bias: HostView | null,
  outChannels: number,
  batch: number,
  positions: number,
  out: TypedArray,
): void {
  for (let o = 0; o < outChannels; o++) {
    const b = bias === null ? null : bias.buffer[bias.offset + o * bias.strides[0]!]!;
    for (let n = 0, src = o * batch * positions; n < batch; n++, src += positions) {
      const dst = (n * outChannels + o) * positions;
      if (b === null) for (let p = 0; p < positions; p++) out[dst + p] = product[src + p]!;
      else for (let p = 0; p < positions; p++) out[dst + p] = product[src + p]! + b;
    }
  }
}

/**
 * Max pooling of x [N, C, H, W]: each window's first maximum (the first NaN, if any) and its
 * position h·W + w in the plane, taps outside x skipped. A window with no tap inside x (possible
 * only with dilation) gives -Infinity at position H·W, one past the plane.
 */
export function maxPool(x: HostView, geometry: WindowGeometry, dtype: DType): { values: TypedArray; indices: TypedArray } {
  const [batch, channels, height, width] = x.shape as [number, number, number, number];
  const [strideN, strideC, strideH, strideW] = x.strides as [number, number, number, number];
  const oh = geometry.out[0]!;
  const ow = geometry.out[1]!;
  const values = allocate(dtype, batch * channels * oh * ow);
  const indices = allocate("int32", batch * channels * oh * ow);
  const data = x.buffer;
  const pairs = isPairPool(geometry, height, width);
  const rows = windowTaps(geometry, 0, height);
  const cols = windowTaps(geometry, 1, width);
  const dh = geometry.dilation[0]!;
  const dw = geometry.dilation[1]!;
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const plane = x.offset + n * strideN + c * strideC;
      if (pairs) {
        maxPoolPairs(data, plane, strideH, strideW, width, oh, ow, values, indices, o);
        o += oh * ow;
        continue;
      }
      for (let i = 0; i < oh; i++) {
        const hLo = rows.first[i]!;
        const hHi = rows.end[i]!;
        for (let j = 0; j < ow; j++, o++) {
          const wLo = cols.first[j]!;
          const wHi = cols.end[j]!;
          windowMax(data, plane, strideH, strideW, width, hLo, hHi, dh, wLo, wHi, dw, height * width, values, indices, o);
        }
      }
    }
  }
  return { values, indices };
}

/**
 * maxPool of one plane's 2 × 2 windows stepping 2 (see isPairPool) into values and indices from
 * `o`: the four taps read and compared unrolled, ties to the first in row-major order; a window
 * holding a NaN (its sum is NaN, as it is for one holding both infinities) goes through windowMax.
 */
function maxPoolPairs(
  data: TypedArray,
  plane: number,
  strideH: number,
  strideW: number,
  width: number,
  oh: number,
  ow: number,
  values: TypedArray,
  indices: TypedArray,
  o: number,
): void {
  for (let i = 0; i < oh; i++) {
    const top = plane + 2 * i * strideH;
    const bottom = top + strideH;
    // p: the window's first tap past the row's start; at0: its position in the plane
    for (let j = 0, p = 0, at0 = 2 * i * width; j < ow; j++, o++, p += 2 * strideW, at0 += 2) {
      const v0 = data[top + p]!;
      const v1 = data[top + p + strideW]!;
      const v2 = data[bottom + p]!;
      const v3 = data[bottom + p + strideW]!;
      const sum = v0 + v1 + v2 + v3;
      if (sum !== sum) {
        windowMax(data, plane, strideH, strideW, width, 2 * i, 2 * i + 2, 1, 2 * j, 2 * j + 2, 1, 0, values, indices, o);
        continue;
      }
      let max = v0;
      let at = at0;
      let larger = v1 > max;
      max = larger ? v1 : max;
      at = larger ? at0 + 1 : at;
      larger = v2 > max;
      max = larger ? v2 : max;
      at = larger ? at0 + width : at;
      larger = v3 > max;
      max = larger ? v3 : max;
      at = larger ? at0 + width + 1 : at;
      values[o] = max;
      indices[o] = at;
    }
  }
}

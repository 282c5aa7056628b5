import type { WindowGeometry } from "../../primitives";
import type { HostView, Strided } from "../iterate";
import { groupedWeight } from "../windows";
import type { HeapBlock, WasmHeap } from "./heap";
import { multiplyScratchBytes, multiplySimd } from "./matmul";
import { readsAsStridedRows, stridedRowsKernels, stridedRowsSimd } from "./strided-unary";
import { float32RegionBytes, wasmHeap } from "./wasm-api";
import { col2imSimd, im2colSimd } from "./windows";

// The WebAssembly drivers of conv2d and its two gradients. im2col writes the columns straight into
// a heap block and the matmul kernel packs them from there (or, for the input's gradient, the
// product is written there and col2im reads it); strided-unary.wat moves [O, N, outH·outW] to
// [N, O, outH·outW] and back in the heap. So the columns (kH·kW times the input) are never copied
// out and back in nor allocated as a typed array: only the result leaves the heap. A batch runs a
// few samples per pass (see PASS_COLUMN_VALUES).

/**
 * The most columns' values per pass: a batch whose columns are more runs a few samples at a time,
 * so the columns stay in cache between im2col and the product, and a large batch needs no more of
 * the heap than this (4 MiB of columns).
 */
const PASS_COLUMN_VALUES = 1 << 20;

/** rowsF32's ops (strided-unary.wat). */
const COPY = 0;
const ADD_BIAS = 2;

/**
 * conv2d of float32 x [N, C, H, W] with weight [O, C/groups, kH, kW] and bias [O] (or null) into
 * `out` [N, O, outH, outW] (see cpu/windows.ts's conv2d). False where the heap has no room or
 * im2colSimd declines: the reference kernel runs then (into an output of its own; what this one
 * wrote is dropped).
 */
export function conv2dSimd(
  x: Strided,
  weight: HostView,
  bias: HostView | null,
  geometry: WindowGeometry,
  groups: number,
  out: Float32Array,
): boolean {
  const kernels = stridedRowsKernels();
  if (kernels === null) return false;
  const batch = x.shape[0]!;
  const outChannels = weight.shape[0]!;
  const rows = weight.shape[1]! * geometry.kernel[0] * geometry.kernel[1];
  const { perGroup, positions, samples } = passSizes(batch, outChannels, rows, groups, geometry);
  const pass = samples * positions;
  const scratch = multiplyScratchBytes(perGroup, rows, pass, false);
  // the columns, the product, the product moved to [N, O, outH·outW], the bias
  const counts = [groups * rows * pass, outChannels * pass, outChannels * pass, outChannels] as const;
  return withBlocks(kernels.heap, counts, scratch, ([columns, product, moved, biasValues]) => {
    if (bias !== null) {
      const values = biasValues.f32();
      for (let o = 0; o < outChannels; o++) values[o] = bias.buffer[bias.offset + o * bias.strides[0]!]!;
    }
    const op = bias === null ? COPY : ADD_BIAS;
    const w = groupedWeight(weight, groups, "float32");
    for (let first = 0; first < batch; first += samples) {
      const count = Math.min(samples, batch - first);
      const length = count * positions;
      if (!im2colSimd(samplesOf(x, first, count), geometry, columns)) return false;
      // taken after im2col's scratch block (which may grow the memory); the reservation keeps
      // them valid through the products' scratch blocks
      const [columnsView, productView] = [columns.f32(), product.f32()];
      for (let g = 0; g < groups; g++) {
        const left = { data: w.buffer, offset: w.offset + g * w.strides[0]!, rowStride: w.strides[1]!, colStride: 1 };
        const right = { data: columnsView, offset: g * rows * length, rowStride: length, colStride: 1 };
        if (!multiplySimd(left, right, perGroup, rows, length, false, productView, g * perGroup * length, true)) return false;
      }
      // product [O, count, positions] → [count, O, positions], plus the bias
      kernels.exports.rowsF32(op, product.ptr, positions * 4, length * 4, count, outChannels, positions, biasValues.ptr, moved.ptr);
      out.set(moved.f32().subarray(0, outChannels * length), first * outChannels * positions);
    }
    return true;
  });
}

/**
 * conv2dWeightGrad of float32 x [N, C, H, W] and ḡ [N, O, outH, outW] into `out` [O, C/groups, kH,
 * kW] (zeroed; see cpu/windows.ts), the products of later passes added into it. False as conv2dSimd.
 */
export function conv2dWeightGradSimd(x: Strided, gradOut: Strided, geometry: WindowGeometry, groups: number, out: Float32Array): boolean {
  const heap = wasmHeap();
  if (heap === null) return false;
  const batch = x.shape[0]!;
  const outChannels = gradOut.shape[1]!;
  const rows = (x.shape[1]! / groups) * geometry.kernel[0] * geometry.kernel[1];
  const { perGroup, positions, samples } = passSizes(batch, outChannels, rows, groups, geometry);
  const pass = samples * positions;
  const scratch = multiplyScratchBytes(perGroup, pass, rows, false);
  return withBlocks(heap, [groups * rows * pass, outChannels * pass], scratch, ([columns, grads]) => {
    for (let first = 0; first < batch; first += samples) {
      const count = Math.min(samples, batch - first);
      const length = count * positions;
      if (!im2colSimd(samplesOf(x, first, count), geometry, columns) || !gradientRows(gradOut, first, count, grads)) return false;
      const [columnsView, gradsView] = [columns.f32(), grads.f32()];
      for (let g = 0; g < groups; g++) {
        const left = { data: gradsView, offset: g * perGroup * length, rowStride: length, colStride: 1 };
        const right = { data: columnsView, offset: g * rows * length, rowStride: 1, colStride: length };
        if (!multiplySimd(left, right, perGroup, length, rows, false, out, g * perGroup * rows, true, first > 0)) return false;
      }
    }
    return true;
  });
}

/**
 * conv2dInputGrad of float32 ḡ [N, O, outH, outW] and weight [O, C/groups, kH, kW] into `out` [N,
 * C, ...size] (see cpu/windows.ts). False as conv2dSimd.
 */
export function conv2dInputGradSimd(
  gradOut: Strided,
  weight: HostView,
  geometry: WindowGeometry,
  groups: number,
  size: readonly [number, number],
  out: Float32Array,
): boolean {
  const heap = wasmHeap();
  if (heap === null) return false;
  const batch = gradOut.shape[0]!;
  const outChannels = gradOut.shape[1]!;
  const w = groupedWeight(weight, groups, "float32");
  const rows = w.shape[2]!;
  const plane = out.length / batch; // C·H·W values per sample
  const { perGroup, positions, samples } = passSizes(batch, outChannels, rows, groups, geometry);
  const pass = samples * positions;
  const scratch = multiplyScratchBytes(rows, perGroup, pass, false);
  return withBlocks(heap, [groups * rows * pass, outChannels * pass], scratch, ([columns, grads]) => {
    for (let first = 0; first < batch; first += samples) {
      const count = Math.min(samples, batch - first);
      const length = count * positions;
      if (!gradientRows(gradOut, first, count, grads)) return false;
      const [columnsView, gradsView] = [columns.f32(), grads.f32()];
      for (let g = 0; g < groups; g++) {
        const left = { data: w.buffer, offset: w.offset + g * w.strides[0]!, rowStride: 1, colStride: w.strides[1]! };
        const right = { data: gradsView, offset: g * perGroup * length, rowStride: length, colStride: 1 };
        if (!multiplySimd(left, right, rows, perGroup, length, false, columnsView, g * rows * length, true)) return false;
      }
      // the pass's columns [C·kH·kW, count, positions], read as [count, C·kH·kW, positions]
      const passColumns: Strided = {
        get data() {
          return columns.f32();
        },
        shape: [count, groups * rows, positions],
        strides: [positions, length, 1],
        offset: 0,
      };
      if (!col2imSimd(passColumns, geometry, size, out.subarray(first * plane, (first + count) * plane))) return false;
    }
    return true;
  });
}

/**
 * What every driver works with: output channels per group, windows per sample, and samples per
 * pass for `rows` columns' rows per group (see PASS_COLUMN_VALUES).
 */
function passSizes(batch: number, outChannels: number, rows: number, groups: number, geometry: WindowGeometry) {
  const positions = geometry.out[0] * geometry.out[1];
  const samples = Math.min(batch, Math.max(1, Math.floor(PASS_COLUMN_VALUES / (groups * rows * positions))));
  return { perGroup: outChannels / groups, positions, samples };
}

/**
 * Runs `body` on heap blocks for float32 regions of `counts` values (see float32RegionBytes), once
 * `scratch` bytes more are reserved for the products' scratch blocks (see WasmHeap.reserve); false,
 * without running it, where they do not fit. The blocks are freed after.
 */
function withBlocks<const Counts extends readonly number[]>(
  heap: WasmHeap,
  counts: Counts,
  scratch: number,
  body: (blocks: { readonly [K in keyof Counts]: HeapBlock }) => boolean,
): boolean {
  const blocks: HeapBlock[] = [];
  try {
    for (const count of counts) {
      const block = heap.allocate(float32RegionBytes(count));
      if (block === null) return false;
      blocks.push(block);
    }
    return heap.reserve(scratch) && body(blocks as unknown as { readonly [K in keyof Counts]: HeapBlock });
  } finally {
    for (const block of blocks) block.free();
  }
}

/** Samples first … first + count − 1 of x, its data still looked up when read (see wasm-kernels.ts's strided). */
function samplesOf(x: Strided, first: number, count: number): Strided {
  return {
    get data() {
      return x.data;
    },
    shape: [count, ...x.shape.slice(1)],
    strides: x.strides,
    offset: x.offset + first * x.strides[0]!,
  };
}

/**
 * ḡ's samples first … first + count − 1 as rows [O, count·outH·outW] into the block `into`: by
 * strided-unary.wat where each plane's rows are runs of values (as ḡ's usually are), else by a JS
 * loop. False where the heap has no room for the copy.
 */
function gradientRows(gradOut: Strided, first: number, count: number, into: HeapBlock): boolean {
  const outChannels = gradOut.shape[1]!;
  const oh = gradOut.shape[2]!;
  const ow = gradOut.shape[3]!;
  const [sN, sO, sH, sW] = [gradOut.strides[0]!, gradOut.strides[1]!, gradOut.strides[2]!, gradOut.strides[3]!];
  const offset = gradOut.offset + first * sN;
  // ḡ's samples seen [O, count, outH, outW]
  const rows: Strided = {
    get data() {
      return gradOut.data;
    },
    shape: [outChannels, count, oh, ow],
    strides: [sO, sN, sH, sW],
    offset,
  };
  if (readsAsStridedRows(rows)) return stridedRowsSimd("copy", rows, into);
  const data = gradOut.data;
  const values = into.f32();
  let t = 0;
  for (let o = 0; o < outChannels; o++) {
    for (let n = 0; n < count; n++) {
      for (let i = 0, row = offset + n * sN + o * sO; i < oh; i++, row += sH) {
        for (let j = 0, s = row; j < ow; j++, s += sW) values[t++] = data[s]!;
      }
    }
  }
  return true;
}

import type { View } from "../../backend";
import { type CpuBuffer, HEAP_MIN_ELEMENTS, hostView } from "../buffer";
import { type Rows, rowsOf, valuesOf } from "../layer-norm";
import { WasmFloat32Buffer } from "./float32-buffer";
import type { HeapBlock } from "./heap";
import { LAYER_NORM_WASM_BASE64 } from "./layer-norm-binary";
import { float32RegionBytes, lazyWasmKernels } from "./wasm-api";

// The drivers of layer-norm.wat, registered beside the reference kernels of layerNorm and
// layerNormBackward (cpu/layer-norm.ts). Float32 storage in the heap is read where it lives and
// outputs are written straight into new heap storage; an operand that is a typed array (or whose
// rows are not contiguous) is copied into a scratch block a block of rows at a time, and an
// output the heap has no room for is written there and copied out.

/** Pointers are byte offsets into the heap's memory; strides are bytes between rows. */
interface LayerNormKernels {
  layerNormF32(
    x: number,
    xStride: number,
    rows: number,
    n: number,
    weight: number,
    bias: number,
    eps: number,
    dst: number,
    mean: number,
    rstd: number,
  ): void;
  layerNormBackwardF32(
    x: number,
    xStride: number,
    g: number,
    gStride: number,
    mean: number,
    rstd: number,
    weight: number,
    rows: number,
    n: number,
    dx: number,
    dweight: number,
    dbias: number,
  ): void;
}

/**
 * Rows per block of copied operands: about this many bytes of each, so a block's input, output and
 * the row being worked on stay in cache between the copy in, the kernel and the copy out.
 */
const BLOCK_BYTES = 128 * 1024;

const simdKernels = /* @__PURE__ */ lazyWasmKernels<LayerNormKernels>(LAYER_NORM_WASM_BASE64);

/** Whether the WebAssembly SIMD layer-norm kernels can run here. */
export function simdLayerNormAvailable(): boolean {
  return simdKernels() !== null;
}

/** Rows in the heap (`ptr` the first, rows `strideBytes` apart), or the rows of a typed array (see rowsOf). */
type RowSource = { ptr: number; strideBytes: number } | Rows;

/** An [R, N] float32 view as the kernels take it: in place when it lives in the heap with contiguous rows. */
function rowSource(x: View<CpuBuffer>): RowSource {
  const { buffer, strides, offset } = x;
  if (buffer instanceof WasmFloat32Buffer && (x.shape[1]! <= 1 || strides[1] === 1)) {
    return { ptr: buffer.ptr + offset * 4, strideBytes: strides[0]! * 4 };
  }
  // a typed array, or a copy of heap storage whose rows are not contiguous (never a view of the heap)
  return rowsOf(hostView(x), "float32");
}

/**
 * Named regions of one scratch block, in order: each one's byte offset in the block (whole vectors
 * with slack, see float32RegionBytes), and the bytes they take.
 */
function scratchLayout<K extends string>(bytes: Record<K, number>): { at: Record<K, number>; total: number } {
  const at = {} as Record<K, number>;
  let total = 0;
  for (const name of Object.keys(bytes) as K[]) {
    at[name] = total;
    total += float32RegionBytes(bytes[name] / 4);
  }
  return { at, total };
}

/** Bytes of `count` float32 values, and of `count` float64 values. */
const f32Bytes = (count: number) => count * 4;
const f64Bytes = (count: number) => count * 8;

/**
 * The kernel's pointer and row stride for rows [r, r + count) of `source`: where they live, or
 * copied (contiguous) into the scratch region at byte `regionAt` of `scratch`.
 */
function rowsAt(source: RowSource, r: number, count: number, n: number, scratch: HeapBlock, regionAt: number): [number, number] {
  if ("ptr" in source) return [source.ptr + r * source.strideBytes, source.strideBytes];
  const { data, base, stride } = source;
  const values = scratch.f32();
  const first = regionAt / 4;
  if (stride === n) values.set(data.subarray(base + r * n, base + (r + count) * n), first);
  else for (let t = 0; t < count; t++) values.set(data.subarray(base + (r + t) * stride, base + (r + t) * stride + n), first + t * n);
  return [scratch.ptr + regionAt, n * 4];
}

/** What a driver hands inRowBlocks besides the shape and its operands' rows. */
interface RowBlocksJob<K extends string, T> {
  /** The scratch regions the kernel uses on every call (weights, statistics, sums), in bytes. */
  regions: Record<K, number>;
  /** Fills those regions (at: their byte offsets in the scratch block) before the first call. */
  prepare(scratch: HeapBlock, at: Record<K, number>): void;
  /** Runs the kernel on rows [r, r + count): each operand's pointer and row stride, the output's pointer, the regions' pointers. */
  call(rowsIn: readonly [number, number][], dst: number, r: number, count: number, ptrs: Record<K, number>): void;
  /** Reads what the driver returns besides the output out of the regions after the last call. */
  finish(scratch: HeapBlock, at: Record<K, number>): T;
}

/**
 * Runs a row kernel over every row of [R, N] float32 operands into a new [R, N] output, with one
 * scratch block: operands in the heap are read where they live and an output in the heap is
 * written in place, all rows in one call; otherwise the kernel takes a block of rows at a time,
 * copied into the scratch (an operand) or out of it (the output: heap storage for fewer than
 * HEAP_MIN_ELEMENTS values, as allocateBuffer, or when the heap has no room). Null, having done
 * nothing, when the heap cannot give the scratch.
 */
function inRowBlocks<K extends string, T>(
  rows: number,
  n: number,
  operands: readonly RowSource[],
  job: RowBlocksJob<K, T>,
): ({ out: CpuBuffer } & T) | null {
  const heapOut = rows * n >= HEAP_MIN_ELEMENTS ? WasmFloat32Buffer.allocate(rows * n) : null;
  const inPlace = operands.every((operand) => "ptr" in operand) && heapOut !== null;
  const block = inPlace ? rows : Math.min(rows, Math.max(1, Math.floor(BLOCK_BYTES / (n * 4))));
  // scratch: [the job's regions | a block of each copied operand | a block of the output]
  const regions = scratchLayout(job.regions);
  const blockBytes = float32RegionBytes(block * n);
  let copies = 0;
  const copyAt = operands.map((operand) => ("ptr" in operand ? 0 : regions.total + blockBytes * copies++));
  const outAt = regions.total + blockBytes * copies;
  const scratch = simdKernels()!.heap.allocate(outAt + (heapOut === null ? blockBytes : 0));
  if (scratch === null) {
    heapOut?.free();
    return null;
  }
  const out = heapOut ?? new Float32Array(rows * n);
  const ptrs = {} as Record<K, number>;
  for (const name of Object.keys(regions.at) as K[]) ptrs[name] = scratch.ptr + regions.at[name];
  try {
    job.prepare(scratch, regions.at);
    for (let r = 0; r < rows; r += block) {
      const count = Math.min(block, rows - r);
      const rowsIn = operands.map((operand, k) => rowsAt(operand, r, count, n, scratch, copyAt[k]!));
      job.call(rowsIn, heapOut === null ? scratch.ptr + outAt : heapOut.ptr + r * n * 4, r, count, ptrs);
      if (heapOut === null) (out as Float32Array).set(scratch.f32().subarray(outAt / 4, outAt / 4 + count * n), r * n);
    }
    return { out, ...job.finish(scratch, regions.at) };
  } finally {
    scratch.free();
  }
}

/**
 * layerNorm of float32 x [R, N] (weight and bias [N] or null) through the SIMD kernel. Null, having
 * done nothing, when the JS kernel should run instead: no elements, a full heap, or no WebAssembly SIMD.
 */
export function layerNormSimd(
  x: View<CpuBuffer>,
  weight: View<CpuBuffer> | null,
  bias: View<CpuBuffer> | null,
  eps: number,
): { out: CpuBuffer; mean: Float32Array; rstd: Float32Array } | null {
  const kernels = simdKernels();
  const [rows, n] = x.shape as [number, number];
  if (kernels === null || rows * n === 0) return null;
  const source = rowSource(x);
  const w = valuesOf(weight && hostView(weight), n, 1);
  const b = valuesOf(bias && hostView(bias), n, 0);
  return inRowBlocks(rows, n, [source], {
    regions: { weight: f32Bytes(n), bias: f32Bytes(n), mean: f32Bytes(rows), rstd: f32Bytes(rows) },
    prepare(scratch, at) {
      const values = scratch.f32();
      values.set(w, at.weight / 4);
      values.set(b, at.bias / 4);
    },
    call(rowsIn, dst, r, count, ptrs) {
      const [xPtr, xStride] = rowsIn[0]!;
      kernels.exports.layerNormF32(xPtr, xStride, count, n, ptrs.weight, ptrs.bias, eps, dst, ptrs.mean + r * 4, ptrs.rstd + r * 4);
    },
    finish(scratch, at) {
      const values = scratch.f32();
      return { mean: values.slice(at.mean / 4, at.mean / 4 + rows), rstd: values.slice(at.rstd / 4, at.rstd / 4 + rows) };
    },
  });
}

/**
 * layerNormBackward of float32 x and g [R, N] from the mean and rstd [R] layerNorm gave (weight [N]
 * or null) through the SIMD kernel. Null when the JS kernel should run instead (as layerNormSimd).
 */
export function layerNormBackwardSimd(
  x: View<CpuBuffer>,
  g: View<CpuBuffer>,
  mean: View<CpuBuffer>,
  rstd: View<CpuBuffer>,
  weight: View<CpuBuffer> | null,
): { dx: CpuBuffer; dweight: Float32Array; dbias: Float32Array } | null {
  const kernels = simdKernels();
  const [rows, n] = x.shape as [number, number];
  if (kernels === null || rows * n === 0) return null;
  const operands = [rowSource(x), rowSource(g)];
  const w = valuesOf(weight && hostView(weight), n, 1);
  const means = valuesOf(hostView(mean), rows, 0);
  const rstds = valuesOf(hostView(rstd), rows, 0);
  const sumsOf = (scratch: HeapBlock, at: number) => scratch.f64().subarray(at / 8, at / 8 + n);
  const result = inRowBlocks(rows, n, operands, {
    regions: { weight: f32Bytes(n), mean: f32Bytes(rows), rstd: f32Bytes(rows), dweight: f64Bytes(n), dbias: f64Bytes(n) },
    prepare(scratch, at) {
      const values = scratch.f32();
      values.set(w, at.weight / 4);
      values.set(means, at.mean / 4);
      values.set(rstds, at.rstd / 4);
      // the kernel adds into the column sums (the heap reuses blocks: they start as whatever was there)
      sumsOf(scratch, at.dweight).fill(0);
      sumsOf(scratch, at.dbias).fill(0);
    },
    call(rowsIn, dst, r, count, ptrs) {
      const [[xPtr, xStride], [gPtr, gStride]] = rowsIn as [[number, number], [number, number]];
      kernels.exports.layerNormBackwardF32(
        xPtr,
        xStride,
        gPtr,
        gStride,
        ptrs.mean + r * 4,
        ptrs.rstd + r * 4,
        ptrs.weight,
        count,
        n,
        dst,
        ptrs.dweight,
        ptrs.dbias,
      );
    },
    finish: (scratch, at) => ({
      dweight: Float32Array.from(sumsOf(scratch, at.dweight)),
      dbias: Float32Array.from(sumsOf(scratch, at.dbias)),
    }),
  });
  return result === null ? null : { dx: result.out, dweight: result.dweight, dbias: result.dbias };
}

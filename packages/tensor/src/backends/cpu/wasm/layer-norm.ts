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
 * with slack, see float32RegionBytes; a region of 0 bytes takes no room), and the block's size.
 */
function scratchLayout<K extends string>(bytes: Record<K, number>): { at: Record<K, number>; total: number } {
  const at = {} as Record<K, number>;
  let total = 0;
  for (const name of Object.keys(bytes) as K[]) {
    at[name] = total;
    total += bytes[name] === 0 ? 0 : float32RegionBytes(bytes[name] / 4);
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

/** Rows per call: all of them when nothing is copied, else a block's worth. */
function rowsPerBlock(rows: number, n: number, copies: boolean): number {
  return copies ? Math.min(rows, Math.max(1, Math.floor(BLOCK_BYTES / (n * 4)))) : rows;
}

/**
 * A kernel's output of `rows` × `n` float32 values: new heap storage it writes in place (from
 * HEAP_MIN_ELEMENTS, as allocateBuffer), or, for fewer values or when the heap has no room, a typed
 * array that `copyOut` fills a block of rows at a time from the scratch region the kernel wrote.
 */
function outputOf(rows: number, n: number) {
  const heap = rows * n >= HEAP_MIN_ELEMENTS ? WasmFloat32Buffer.allocate(rows * n) : null;
  const array = heap === null ? new Float32Array(rows * n) : null;
  return {
    heap,
    result: (heap ?? array) as CpuBuffer,
    copyOut(scratch: HeapBlock, regionAt: number, r: number, count: number): void {
      array?.set(scratch.f32().subarray(regionAt / 4, regionAt / 4 + count * n), r * n);
    },
  };
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
  const out = outputOf(rows, n);
  const block = rowsPerBlock(rows, n, !("ptr" in source) || out.heap === null);
  const { at, total } = scratchLayout({
    weight: f32Bytes(n),
    bias: f32Bytes(n),
    mean: f32Bytes(rows),
    rstd: f32Bytes(rows),
    x: "ptr" in source ? 0 : f32Bytes(block * n),
    out: out.heap === null ? f32Bytes(block * n) : 0,
  });
  const scratch = kernels.heap.allocate(total);
  if (scratch === null) {
    out.heap?.free();
    return null;
  }
  const ptr = scratch.ptr;
  try {
    scratch.f32().set(w, at.weight / 4);
    scratch.f32().set(b, at.bias / 4);
    for (let r = 0; r < rows; r += block) {
      const count = Math.min(block, rows - r);
      const [xPtr, xStride] = rowsAt(source, r, count, n, scratch, at.x);
      const dst = out.heap === null ? ptr + at.out : out.heap.ptr + r * n * 4;
      kernels.exports.layerNormF32(
        xPtr,
        xStride,
        count,
        n,
        ptr + at.weight,
        ptr + at.bias,
        eps,
        dst,
        ptr + at.mean + r * 4,
        ptr + at.rstd + r * 4,
      );
      out.copyOut(scratch, at.out, r, count);
    }
    const values = scratch.f32();
    return {
      out: out.result,
      mean: values.slice(at.mean / 4, at.mean / 4 + rows),
      rstd: values.slice(at.rstd / 4, at.rstd / 4 + rows),
    };
  } finally {
    scratch.free();
  }
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
  const xSource = rowSource(x);
  const gSource = rowSource(g);
  const w = valuesOf(weight && hostView(weight), n, 1);
  const means = valuesOf(hostView(mean), rows, 0);
  const rstds = valuesOf(hostView(rstd), rows, 0);
  const dx = outputOf(rows, n);
  const block = rowsPerBlock(rows, n, !("ptr" in xSource) || !("ptr" in gSource) || dx.heap === null);
  const { at, total } = scratchLayout({
    weight: f32Bytes(n),
    mean: f32Bytes(rows),
    rstd: f32Bytes(rows),
    dweight: f64Bytes(n),
    dbias: f64Bytes(n),
    x: "ptr" in xSource ? 0 : f32Bytes(block * n),
    g: "ptr" in gSource ? 0 : f32Bytes(block * n),
    dx: dx.heap === null ? f32Bytes(block * n) : 0,
  });
  const scratch = kernels.heap.allocate(total);
  if (scratch === null) {
    dx.heap?.free();
    return null;
  }
  const ptr = scratch.ptr;
  try {
    const values = scratch.f32();
    values.set(w, at.weight / 4);
    values.set(means, at.mean / 4);
    values.set(rstds, at.rstd / 4);
    // the column sums are added into, from zero (the heap reuses blocks)
    scratch.f64().fill(0, at.dweight / 8, at.x / 8);
    for (let r = 0; r < rows; r += block) {
      const count = Math.min(block, rows - r);
      const [xPtr, xStride] = rowsAt(xSource, r, count, n, scratch, at.x);
      const [gPtr, gStride] = rowsAt(gSource, r, count, n, scratch, at.g);
      const dst = dx.heap === null ? ptr + at.dx : dx.heap.ptr + r * n * 4;
      kernels.exports.layerNormBackwardF32(
        xPtr,
        xStride,
        gPtr,
        gStride,
        ptr + at.mean + r * 4,
        ptr + at.rstd + r * 4,
        ptr + at.weight,
        count,
        n,
        dst,
        ptr + at.dweight,
        ptr + at.dbias,
      );
      dx.copyOut(scratch, at.dx, r, count);
    }
    const sums = scratch.f64();
    return {
      dx: dx.result,
      dweight: Float32Array.from(sums.subarray(at.dweight / 8, at.dweight / 8 + n)),
      dbias: Float32Array.from(sums.subarray(at.dbias / 8, at.dbias / 8 + n)),
    };
  } finally {
    scratch.free();
  }
}

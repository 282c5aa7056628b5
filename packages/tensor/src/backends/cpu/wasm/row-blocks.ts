import { viewStrides } from "../../../layout";
import type { View } from "../../backend";
import { type CpuBuffer, HEAP_MIN_ELEMENTS, hostView } from "../buffer";
import { toContiguous } from "../elementwise";
import type { Rows } from "../layer-norm";
import { WasmFloat32Buffer } from "./float32-buffer";
import type { HeapBlock } from "./heap";
import { float32RegionBytes, wasmHeap } from "./wasm-api";

// How the drivers of row kernels (layer norm, softmax) hand float32 rows to WebAssembly: storage in
// the heap is read where it lives and outputs are written straight into new heap storage; an
// operand that is a typed array (or whose rows are not evenly spaced runs of values) is copied into
// a scratch block a block of rows at a time, and an output the heap has no room for is written
// there and copied out.

/**
 * Rows per block of copied operands: about this many bytes of each, so a block's input, output and
 * the row being worked on stay in cache between the copy in, the kernel and the copy out.
 */
const BLOCK_BYTES = 128 * 1024;

/** Rows in the heap (`ptr` the first, rows `strideBytes` apart), or the rows of a typed array (see Rows). */
export type RowSource = { ptr: number; strideBytes: number } | Rows;

/**
 * A float32 view as `rows` rows of `n` values (its elements in row-major order, so a 2-D view's
 * own rows, or the slices along the last dim that is not 1): in place when its rows are runs of
 * adjacent values evenly spaced (any distance apart, even 0 or backwards), in the heap or in a
 * typed array; else a contiguous copy (never a view of the heap, which an allocation may detach).
 */
export function rowSource(x: View<CpuBuffer>, rows: number, n: number): RowSource {
  const { buffer, offset } = x;
  const strides = viewStrides(x, [rows, n]);
  if (strides !== null && (n <= 1 || strides[1] === 1)) {
    if (buffer instanceof WasmFloat32Buffer) return { ptr: buffer.ptr + offset * 4, strideBytes: strides[0]! * 4 };
    return { data: buffer as Float32Array, base: offset, stride: strides[0]! };
  }
  return { data: toContiguous(hostView(x), "float32") as Float32Array, base: 0, stride: n };
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
export const f32Bytes = (count: number) => count * 4;
export const f64Bytes = (count: number) => count * 8;

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
export interface RowBlocksJob<K extends string, T> {
  /** The scratch regions the kernel uses on every call (weights, statistics, sums), in bytes. */
  regions: Record<K, number>;
  /** Fills those regions (at: their byte offsets in the scratch block) before the first call. */
  prepare?(scratch: HeapBlock, at: Record<K, number>): void;
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
export function inRowBlocks<K extends string, T>(
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
  const scratch = wasmHeap()!.allocate(outAt + (heapOut === null ? blockBytes : 0));
  if (scratch === null) {
    heapOut?.free();
    return null;
  }
  const out = heapOut ?? new Float32Array(rows * n);
  const ptrs = {} as Record<K, number>;
  for (const name of Object.keys(regions.at) as K[]) ptrs[name] = scratch.ptr + regions.at[name];
  try {
    job.prepare?.(scratch, regions.at);
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

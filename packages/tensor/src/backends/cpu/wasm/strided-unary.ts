import { RowWalker, type Strided } from "../iterate";
import type { HeapBlock } from "./heap";
import { STRIDED_UNARY_WASM_BASE64 } from "./strided-unary-binary";
import { float32RegionBytes, lazyWasmKernels } from "./wasm-api";
import { copyIn, spanOf } from "./windows";

// The driver of strided-unary.wat, registered beside the JS copy and ReLU (cpu/elementwise.ts) for
// float32 views that are not contiguous but whose rows are runs of adjacent values, at most two
// dims of them: it copies the storage the view spans into one scratch block, and the output out a
// block of rows at a time.

/** Pointers and strides are byte offsets and byte steps in the heap's memory. */
interface StridedUnaryKernels {
  rowsF32(
    op: number,
    x: number,
    outerStride: number,
    middleStride: number,
    outer: number,
    middle: number,
    n: number,
    bias: number,
    out: number,
  ): void;
}

/** strided-unary.wat's kernels (conv.ts runs them on data already in the heap). */
export const stridedRowsKernels = lazyWasmKernels<StridedUnaryKernels>(STRIDED_UNARY_WASM_BASE64);

/** Values per block of the output: a block is still in cache when it is copied out. */
const BLOCK_ELEMENTS = 65536;

/**
 * A view as the kernel walks it: [outer, middle] rows of n adjacent values (dims of size 1 dropped,
 * neighbouring dims merged), or null for other views (the JS loop takes those).
 */
function stridedRows(x: Strided): { walker: RowWalker; outer: number; outerStride: number; middle: number; middleStride: number } | null {
  const walker = new RowWalker(x.shape, [x]);
  const sizes = walker.outerSizes;
  const strides = walker.outerStrides[0]!;
  if (walker.rows === 0 || walker.rowStrides[0] !== 1 || walker.rowLength < 4 || sizes.length > 2) return null;
  const two = sizes.length === 2;
  return {
    walker,
    outer: two ? sizes[0]! : 1,
    outerStride: two ? strides[0]! : 0,
    middle: sizes.at(-1) ?? 1,
    middleStride: strides.at(-1) ?? 0,
  };
}

/** Whether `x` is a view for stridedRowsSimd: rows of at least four adjacent values over at most two dims. */
export function readsAsStridedRows(x: Strided | Omit<Strided, "data">): boolean {
  return stridedRows(x as Strided) !== null;
}

/**
 * out = x (op "copy") or relu(x) (op "relu") for a float32 view whose rows are adjacent values (see
 * readsAsStridedRows), `out` contiguous: a typed array, written a block of rows at a time (each
 * block copied out while in cache), or a heap block (float32RegionBytes of the output: the kernel
 * writes whole vectors), written straight. False, having written nothing, for another view, without
 * WebAssembly SIMD, for a view spanning sparsely over a much larger storage (see spanOf) or without
 * room in the heap for the span of x and a block.
 */
export function stridedRowsSimd(op: "copy" | "relu", x: Strided, out: Float32Array | HeapBlock): boolean {
  const kernels = stridedRowsKernels();
  const rows = stridedRows(x);
  const span = spanOf(x);
  if (kernels === null || rows === null || span === null || !(x.data instanceof Float32Array)) return false;
  const { outer, outerStride, middle, middleStride } = rows;
  const n = rows.walker.rowLength;
  const inHeap = !(out instanceof Float32Array);
  const block = inHeap ? outer : Math.max(1, Math.floor(BLOCK_ELEMENTS / (middle * n)));
  // scratch: [x | a block of the output, unless it goes to the heap]
  const outAt = float32RegionBytes(span.length);
  const scratch = kernels.heap.allocate(outAt + (inHeap ? 0 : float32RegionBytes(Math.min(block, outer) * middle * n)));
  if (scratch === null) return false;
  try {
    const base = copyIn(x, span, scratch, 0);
    for (let a = 0; a < outer; a += block) {
      const count = Math.min(block, outer - a);
      const at = inHeap ? out.ptr : scratch.ptr + outAt;
      kernels.exports.rowsF32(
        op === "relu" ? 1 : 0,
        base + a * outerStride * 4,
        outerStride * 4,
        middleStride * 4,
        count,
        middle,
        n,
        0,
        at,
      );
      if (!inHeap) out.set(scratch.f32().subarray(outAt / 4, outAt / 4 + count * middle * n), a * middle * n);
    }
  } finally {
    scratch.free();
  }
  return true;
}

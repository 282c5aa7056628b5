import type { Layout } from "../../../layout";
import type { Strided } from "../iterate";
import { ELEMENTWISE_WASM_BASE64 } from "./elementwise-binary";
import { float32RegionBytes, lazyWasmKernels } from "./wasm-api";

/**
 * binaryF32(op, a, aRowStep, aSplat, b, bRowStep, bSplat, out, rows, n) and unaryF32(op, x, out, n)
 * of elementwise.wat; pointers and steps in bytes.
 */
interface ElementwiseKernels {
  unaryF32(op: number, x: number, out: number, n: number): void;
  binaryF32(
    op: number,
    a: number,
    aRowStep: number,
    aSplat: number,
    b: number,
    bRowStep: number,
    bSplat: number,
    out: number,
    rows: number,
    n: number,
  ): void;
}

/** The operations of two operands elementwise.wat has, by its op code. */
const OP_CODES: Readonly<Record<string, number>> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  geluTanhBackward: 4,
  geluBackward: 5,
  reluBackward: 6,
};

/** Its operations of one operand, by op code. */
const UNARY_OP_CODES: Readonly<Record<string, number>> = { geluTanh: 0, gelu: 1, relu: 2 };

/** Elements of the output per block: operands and output of a block stay in cache (64 KiB each). */
const BLOCK_ELEMENTS = 16384;

const simdKernels = lazyWasmKernels<ElementwiseKernels>(ELEMENTWISE_WASM_BASE64);

/** Whether the WebAssembly SIMD elementwise kernel can run here. */
export function simdElementwiseAvailable(): boolean {
  return simdKernels() !== null;
}

/**
 * How an operand of shape [..., n] reads as rows of n: `splat` when its last dim has stride 0 (one
 * value per row), and the step from one row to the next in elements (0 when every row is the
 * same). Null when its leading dims do not step evenly (a general view: the JS kernel handles it).
 */
interface RowPattern {
  splat: boolean;
  rowStep: number;
}

function rowPattern(x: Layout): RowPattern | null {
  const last = x.shape.length - 1;
  const inner = last < 0 ? 0 : x.strides[last]!;
  if (last >= 0 && x.shape[last]! > 1 && inner !== 0 && inner !== 1) return null;
  const splat = last < 0 || x.shape[last] === 1 || inner === 0;
  // the leading dims must make one row step: stride(d) = stride(d + 1) · size(d + 1), or all zero
  let rowStep: number | null = null;
  let span = 1;
  for (let d = last - 1; d >= 0; d--) {
    const size = x.shape[d]!;
    if (size === 1) continue;
    const stride = x.strides[d]!;
    if (rowStep === null) rowStep = stride;
    else if (stride !== rowStep * span) return null;
    span *= size;
  }
  rowStep ??= 0;
  const n = last < 0 ? 1 : x.shape[last]!;
  // rows of one value stepping 1 are the operand whole
  if (n === 1 && rowStep === 1) return { splat: false, rowStep: 1 };
  // a whole operand steps n, or repeats its row; a column of values steps 1, or repeats its value
  if (splat ? rowStep !== 1 && rowStep !== 0 : rowStep !== n && rowStep !== 0) return null;
  return { splat, rowStep };
}

/** Whether an operand reads as one long row: whole, or a single value. */
const isFlat = (p: RowPattern) => (p.splat ? p.rowStep === 0 : p.rowStep !== 0);

/**
 * out = a op b (op: add, sub, mul, div, geluTanhBackward or geluBackward) for float32 operands of
 * one (broadcast) shape through the SIMD kernel, when each operand reads as rows (see RowPattern):
 * whole, broadcast down the rows, one value per row, or a single value. Returns false, having
 * done nothing, otherwise, for rows too long for a block to fit in the heap (see
 * WasmHeap.allocate) or without WebAssembly SIMD.
 */
export function zipBinarySimd(op: string, a: Strided, b: Strided, out: Float32Array): boolean {
  const code = OP_CODES[op];
  const total = out.length;
  if (code === undefined || total === 0) return false;
  if (!(a.data instanceof Float32Array) || !(b.data instanceof Float32Array)) return false;
  const pa = rowPattern(a);
  const pb = pa && rowPattern(b);
  if (pa === null || pb === null) return false;
  const kernels = simdKernels();
  if (kernels === null) return false;
  let n = a.shape.length === 0 ? 1 : a.shape[a.shape.length - 1]!;
  let rows = total / n;
  // operands that are whole or a single value are one long row: cut it into blocks instead
  if (isFlat(pa) && isFlat(pb)) {
    rows = Math.ceil(total / BLOCK_ELEMENTS);
    n = Math.min(total, BLOCK_ELEMENTS);
  }
  const rowsPerBlock = Math.max(1, Math.floor(BLOCK_ELEMENTS / n));
  // scratch: [a block | b block | out block], each with slack; a block of a splat or a repeated
  // operand is at most one value per row or one row
  const regionBytes = float32RegionBytes(rowsPerBlock * n);
  const scratch = kernels.heap.allocate(3 * regionBytes);
  if (scratch === null) return false;
  const heap = scratch.f32();
  const [aAt, bAt, outAt] = [scratch.ptr, scratch.ptr + regionBytes, scratch.ptr + 2 * regionBytes];
  const outFirst = (2 * regionBytes) / 4;
  try {
    for (let r = 0; r < rows; r += rowsPerBlock) {
      const count = Math.min(rowsPerBlock, rows - r);
      // the last block of a flat row cut into blocks may be shorter than n
      const length = Math.min(count * n, total - r * n);
      const aStep = copyBlock(a, pa, r, count, n, length, heap, 0);
      const bStep = copyBlock(b, pb, r, count, n, length, heap, regionBytes / 4);
      kernels.exports.binaryF32(code, aAt, aStep * 4, pa.splat ? 1 : 0, bAt, bStep * 4, pb.splat ? 1 : 0, outAt, count, n);
      out.set(heap.subarray(outFirst, outFirst + length), r * n);
    }
  } finally {
    scratch.free();
  }
  return true;
}

/** An operand that lives in the heap: its layout, and the byte offset of its buffer's element 0. */
export interface HeapOperand extends Layout {
  readonly ptr: number;
}

/**
 * out = a op b (op: add, sub, mul, div, geluTanhBackward or geluBackward) for float32 operands of
 * one (broadcast) shape that live in the heap, where they are: no copy in, no copy out. Each operand
 * must read as rows (see RowPattern); `out` is the byte offset of a contiguous WasmFloat32Buffer
 * of the shape's size, written whole (with up to three values past its end, which such a buffer
 * owns). False, having done nothing, for an operand that does not read as rows, an op the kernel
 * lacks or without WebAssembly SIMD.
 */
export function binaryRowsInPlace(op: string, a: HeapOperand, b: HeapOperand, out: number): boolean {
  const code = OP_CODES[op];
  const pa = rowPattern(a);
  const pb = pa && rowPattern(b);
  const kernels = simdKernels();
  if (code === undefined || pa === null || pb === null || kernels === null) return false;
  let total = 1;
  for (const size of a.shape) total *= size;
  if (total === 0) return true;
  let n = a.shape.length === 0 ? 1 : a.shape[a.shape.length - 1]!;
  let rows = total / n;
  if (isFlat(pa) && isFlat(pb)) [rows, n] = [1, total];
  const at = (x: HeapOperand) => x.ptr + x.offset * 4;
  kernels.exports.binaryF32(code, at(a), pa.rowStep * 4, pa.splat ? 1 : 0, at(b), pb.rowStep * 4, pb.splat ? 1 : 0, out, rows, n);
  return true;
}

/**
 * out = op(x) (op: geluTanh or gelu) for a contiguous float32 x through the SIMD kernel, copied
 * block by block into a scratch block and back. False, having done nothing, for an op the kernel
 * lacks, without WebAssembly SIMD or without room in the heap for a block.
 */
export function mapUnarySimd(op: string, x: Strided, out: Float32Array): boolean {
  const code = UNARY_OP_CODES[op];
  const kernels = simdKernels();
  if (code === undefined || kernels === null || !(x.data instanceof Float32Array)) return false;
  const total = out.length;
  const block = Math.min(total, BLOCK_ELEMENTS);
  const regionBytes = float32RegionBytes(block);
  const scratch = kernels.heap.allocate(2 * regionBytes);
  if (scratch === null) return false;
  // taken after the allocation, which may have grown the memory
  const [data, heap] = [x.data, scratch.f32()];
  try {
    for (let at = 0; at < total; at += block) {
      const length = Math.min(block, total - at);
      heap.set(data.subarray(x.offset + at, x.offset + at + length), 0);
      kernels.exports.unaryF32(code, scratch.ptr, scratch.ptr + regionBytes, length);
      out.set(heap.subarray(regionBytes / 4, regionBytes / 4 + length), at);
    }
  } finally {
    scratch.free();
  }
  return true;
}

/**
 * out[i] = op(x[i]) (op: geluTanh or gelu) for the n contiguous float32 values at byte offset `x`
 * in the heap, into the n at `out` (a WasmFloat32Buffer, which owns the up to three values the
 * last vector writes past its end). False, having done nothing, for an op the kernel lacks or without
 * WebAssembly SIMD.
 */
export function unaryInPlace(op: string, x: number, out: number, n: number): boolean {
  const code = UNARY_OP_CODES[op];
  const kernels = simdKernels();
  if (code === undefined || kernels === null) return false;
  kernels.exports.unaryF32(code, x, out, n);
  return true;
}

/** Whether an operand reads as rows that the elementwise kernel can walk (see RowPattern). */
export function readsAsRows(x: Layout): boolean {
  return rowPattern(x) !== null;
}

/**
 * Copies what rows r … r+count−1 of an operand read into the scratch block at `at` and returns
 * the row step (in elements) the kernel walks them with there.
 */
function copyBlock(x: Strided, p: RowPattern, r: number, count: number, n: number, length: number, heap: Float32Array, at: number): number {
  const data = x.data as Float32Array;
  if (p.rowStep === 0) {
    // the same row (or value) for every row
    const width = p.splat ? 1 : n;
    heap.set(data.subarray(x.offset, x.offset + width), at);
    return 0;
  }
  if (p.splat) {
    heap.set(data.subarray(x.offset + r, x.offset + r + count), at);
    return 1;
  }
  heap.set(data.subarray(x.offset + r * n, x.offset + r * n + length), at);
  return n;
}

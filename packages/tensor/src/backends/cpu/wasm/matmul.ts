import type { TypedArray } from "../../../dtype";
import { addOrSet } from "../matmul";
import type { WasmHeap } from "./heap";
import { MATMUL_WASM_BASE64 } from "./matmul-binary";
import { CONTROL_BYTES, MatmulHelper } from "./matmul-threads";
import { compileWasmKernels } from "./wasm-api";

/** One matrix of a batched product: where it starts in its storage and how its rows and columns step. */
export interface MatrixView {
  data: TypedArray;
  offset: number;
  rowStride: number;
  colStride: number;
}

/** gemm(a, b, c, paddedRows, paddedCols, k, ldc, rowBegin, rowEnd) of matmul.wat; pointers are byte offsets. */
type Gemm = (
  a: number,
  b: number,
  c: number,
  paddedRows: number,
  paddedCols: number,
  k: number,
  ldc: number,
  rowBegin: number,
  rowEnd: number,
) => void;

/** compact(c, ldc, n, m, double) of matmul.wat: C's n × m result made contiguous at its start. */
type Compact = (c: number, ldc: number, n: number, m: number, double: number) => void;

/** packPanelsF32(src, ld, columnMajor, rows, paddedRows, p0, depth, w, dst) of matmul.wat. */
type PackPanels = (
  src: number,
  ld: number,
  columnMajor: number,
  rows: number,
  paddedRows: number,
  p0: number,
  depth: number,
  w: number,
  dst: number,
) => void;

interface Runtime {
  heap: WasmHeap;
  gemmF32: Gemm;
  gemmF64: Gemm;
  compact: Compact;
  packPanelsF32: PackPanels;
  /** The second thread, where memory is shared and workers exist. */
  helper: MatmulHelper | null;
}

/** A tile of C is 4 rows × 8 floats or 4 doubles (two 128-bit vectors); the depth is packed in blocks of 256 (see matmul.wat). */
const TILE_ROWS = 4;
const DEPTH_BLOCK = 256;
const PACK_ROW_GROUP = 4;

/**
 * The most depth one call into the module takes: longer products run as several calls, whose
 * results are added in float64. With the kernel's float32 sums of at most DEPTH_BLOCK products
 * (see matmul.wat), no float32 sum then takes more than DEPTH_BLOCK + 16 terms, whatever k is.
 * Each call's result costs n·m against its n·m·4096 multiply-adds.
 */
const DEPTH_SLICE = 16 * DEPTH_BLOCK;

/**
 * A product whose operands and result do not fit in the heap at once (see blocking) is computed in
 * blocks of C of at most this many rows and columns, each over as much of the depth as fits beside
 * it (whole multiples of DEPTH_BLOCK). Packing costs about (1/rows + 1/columns) of the arithmetic.
 */
const BLOCK_ROWS = 1024;
const BLOCK_COLS = 1024;

/**
 * Products from this many multiply-adds (512 × 512 × 1024) are split over two threads when a
 * second one is available. Measured on a 2-vCPU machine: 1.6× at 1024³; none at 512³ and below,
 * where the halves run no faster side by side than one after the other.
 */
const THREADED_MIN_MULTIPLY_ADDS = 512 * 512 * 1024;

/**
 * The kernels over the heap's memory. Where that memory is shared (Node), a worker runs the same
 * module over it too, taking its work through a control block allocated here for good. The module
 * is about 2 KiB, under the 4 KiB that browsers allow to compile synchronously on the main thread.
 */
function instantiate(): Runtime | null {
  const compiled = compileWasmKernels(MATMUL_WASM_BASE64);
  if (compiled === null) return null;
  const { wasm, heap, module } = compiled;
  const exports = new wasm.Instance(module, { env: { memory: heap.memory } }).exports as unknown as {
    gemmF32: Gemm;
    gemmF64: Gemm;
    compact: Compact;
    packPanelsF32: PackPanels;
  };
  const control = heap.shared ? heap.allocate(CONTROL_BYTES) : null;
  return { heap, ...exports, helper: control === null ? null : new MatmulHelper(module, heap.memory, control.ptr) };
}

let runtime: Runtime | null | undefined;

/** The kernels, compiled on first use; null where WebAssembly SIMD is missing (the JS kernel runs then). */
function simdRuntime(): Runtime | null {
  if (runtime === undefined) runtime = instantiate();
  return runtime;
}

/** Whether the WebAssembly SIMD matmul can run here. */
export function simdMatmulAvailable(): boolean {
  return simdRuntime() !== null;
}

/** Starts the second thread if there can be one and resolves once it takes work (tests use this). */
export function simdMatmulThreadsReady(): Promise<boolean> {
  return simdRuntime()?.helper?.ready() ?? Promise.resolve(false);
}

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** A tile's width in C's columns: 8 floats or 4 doubles. */
const tileWidth = (double: boolean) => (double ? 4 : 8);

/**
 * C's row stride (in elements) for `cols` columns: padded to whole tiles, plus one tile. With a
 * power-of-two row length every row of a tile would map to the same few L1 sets and evict each
 * other (measured: 28 vs 39 GFLOP/s in the kernel at 1024 columns).
 */
const cRowStride = (cols: number, double: boolean) => roundUp(cols, tileWidth(double)) + tileWidth(double);

/** The bytes of one block's scratch in the heap: see the layout in multiplySimd. */
function blockBytes(rows: number, depth: number, cols: number, double: boolean): number {
  const bytes = double ? 8 : 4;
  const paddedRows = roundUp(rows, TILE_ROWS);
  // packed panels, plus (float32) the operands as stored, at most as large again
  const operands = (paddedRows + roundUp(cols, tileWidth(double))) * depth * (double ? 8 : 2 * 4);
  return paddedRows * cRowStride(cols, double) * bytes + operands + 16;
}

/**
 * The block of C (rows × cols) and the share of the depth computed per call into the module: the
 * whole product where it fits in `budget` bytes (and k in DEPTH_SLICE), else blocks of at most
 * BLOCK_ROWS × BLOCK_COLS over as many whole depth blocks as fit beside them, halved until at
 * least one depth block fits. Null when not even a tile of C over one depth block fits.
 */
function blocking(n: number, k: number, m: number, double: boolean, budget: number): { rows: number; depth: number; cols: number } | null {
  const slice = Math.min(k, DEPTH_SLICE);
  if (blockBytes(n, slice, m, double) <= budget) return { rows: n, depth: slice, cols: m };
  let rows = Math.min(n, BLOCK_ROWS);
  let cols = Math.min(m, BLOCK_COLS);
  for (;;) {
    const perDepth = blockBytes(rows, 1, cols, double) - blockBytes(rows, 0, cols, double);
    const fits = Math.floor((budget - blockBytes(rows, 0, cols, double)) / perDepth);
    if (fits >= slice) return { rows, depth: slice, cols };
    if (fits >= DEPTH_BLOCK) return { rows, depth: fits - (fits % DEPTH_BLOCK), cols };
    if (rows <= TILE_ROWS && cols <= tileWidth(double)) return null;
    rows = Math.max(TILE_ROWS, Math.ceil(rows / 2));
    cols = Math.max(tileWidth(double), Math.ceil(cols / 2));
  }
}

/** The most scratch memory multiplySimd takes for one [n, k] × [k, m] product. */
export const multiplyScratchBytes = (n: number, k: number, m: number, double: boolean) =>
  blockBytes(n, Math.min(k, DEPTH_SLICE), m, double);

/**
 * out[outBase…] = A·B for one [n, k] × [k, m] pair of float32 (or float64) matrices with any
 * strides, through the SIMD kernel. Operands are packed into a scratch block of the heap (the
 * packing is where strides and transposes are absorbed), the kernel zeroes a padded C there and
 * accumulates into it, and the valid part is made contiguous in place and copied out. A product
 * too large for what the heap can give (see blocking) runs block by block of C, so the memory
 * never grows past its limit; a depth longer than DEPTH_SLICE runs a slice at a time, the slices'
 * results added in float64. So float32 products sum at most 256 products in float32 and then at
 * most 16 such sums (see matmul.wat): the error does not grow with k. With `threads` (and a call's
 * n·k·m large enough) a worker computes the lower half of C's rows meanwhile; every element is
 * computed the same way either way, so the result does not depend on it. With k = 0, `out` (zeros
 * as allocated) is left as it is. With `add`, the product is added into `out` instead. Returns
 * false, having written nothing, when the heap cannot give even the smallest block (it is full of
 * live data): the caller runs its JS kernel then.
 */
export function multiplySimd(
  a: MatrixView,
  b: MatrixView,
  n: number,
  k: number,
  m: number,
  double: boolean,
  out: TypedArray,
  outBase: number,
  threads: boolean,
  add = false,
): boolean {
  const runtime = simdRuntime()!;
  const sizes = blocking(n, k, m, double, runtime.heap.largestAvailable());
  const scratch = sizes && runtime.heap.allocate(blockBytes(sizes.rows, sizes.depth, sizes.cols, double));
  if (sizes === null || scratch === null) return false;
  const { rows, depth, cols } = sizes;
  const heap = double ? scratch.f64() : scratch.f32();
  // scratch: [C | Ã | B̃ | A as stored | B as stored]; every size is a multiple of 16 bytes
  const cStart = scratch.ptr;
  try {
    for (let i0 = 0; i0 < n; i0 += rows) {
      const blockRows = Math.min(rows, n - i0);
      for (let j0 = 0; j0 < m; j0 += cols) {
        const blockCols = Math.min(cols, m - j0);
        const length = blockRows * blockCols;
        const sum = depth < k ? new Float64Array(length) : null;
        for (let p0 = 0; p0 < k; p0 += depth) {
          const left = {
            data: a.data,
            offset: a.offset + i0 * a.rowStride + p0 * a.colStride,
            rowStride: a.rowStride,
            colStride: a.colStride,
          };
          const right = {
            data: b.data,
            offset: b.offset + p0 * b.rowStride + j0 * b.colStride,
            rowStride: b.rowStride,
            colStride: b.colStride,
          };
          multiplyBlock(runtime, heap, cStart, left, right, blockRows, Math.min(depth, k - p0), blockCols, double, threads);
          // one copy out per block instead of one per row (each subarray costs more than its row's copy when m is small)
          runtime.compact(cStart, cRowStride(blockCols, double), blockRows, blockCols, double ? 1 : 0);
          if (sum !== null) for (let t = 0; t < length; t++) sum[t] = sum[t]! + heap[t]!;
        }
        if (k === 0) continue;
        const result = sum ?? heap.subarray(0, length);
        if (blockCols === m) addOrSet(out, outBase + i0 * m, result, add);
        else
          for (let r = 0; r < blockRows; r++)
            addOrSet(out, outBase + (i0 + r) * m + j0, result.subarray(r * blockCols, (r + 1) * blockCols), add);
      }
    }
  } finally {
    scratch.free();
  }
  return true;
}

/**
 * C (at cStart, rows × cols padded to whole tiles) = A·B for one block, A [rows, depth] and B
 * [depth, cols] packed after it. Pointers are byte offsets in the memory; `heap` views the scratch
 * block, which starts at cStart.
 */
function multiplyBlock(
  runtime: Runtime,
  heap: Float32Array | Float64Array,
  cStart: number,
  a: MatrixView,
  b: MatrixView,
  n: number,
  k: number,
  m: number,
  double: boolean,
  threads: boolean,
): void {
  const { gemmF32, gemmF64, packPanelsF32, helper } = runtime;
  const bytes = double ? 8 : 4;
  const width = tileWidth(double);
  const paddedRows = roundUp(n, TILE_ROWS);
  const paddedCols = roundUp(m, width);
  const ldc = cRowStride(m, double);
  // float32 operands stored as rows or columns (a whole matrix, or a block of one) are packed by
  // the module, from where they are when already in the heap (their storage), else copied in line
  // by line; others are packed element by element from JS, wherever their strides lead
  const wholeA = double ? null : storedLines(a, n, k);
  const wholeB = double ? null : storedLines({ data: b.data, offset: b.offset, rowStride: b.colStride, colStride: b.rowStride }, m, k);
  const aStart = cStart + paddedRows * ldc * bytes;
  const bStart = aStart + paddedRows * k * bytes;
  const index = (pointer: number) => (pointer - cStart) / bytes;
  const memory = runtime.heap.memory.buffer;
  const storedA = bStart + k * paddedCols * bytes;
  const storedB = storedA + (wholeA ? roundUp(n * k * bytes, 16) : 0);
  const inPlaceA = wholeA !== null && a.data.buffer === memory;
  const inPlaceB = wholeB !== null && b.data.buffer === memory;
  const storedAStart = inPlaceA ? a.data.byteOffset + a.offset * bytes : storedA;
  const storedBStart = inPlaceB ? b.data.byteOffset + b.offset * bytes : storedB;
  if (wholeA && !inPlaceA) copyLines(a, wholeA, heap, index(storedA));
  if (wholeB && !inPlaceB) copyLines(b, wholeB, heap, index(storedB));
  // lines in place stay their stride apart; copied, they are adjacent
  const ldA = wholeA === null ? 0 : inPlaceA ? wholeA.stride : wholeA.length;
  const ldB = wholeB === null ? 0 : inPlaceB ? wholeB.stride : wholeB.length;
  for (let p0 = 0; p0 < k; p0 += DEPTH_BLOCK) {
    const depth = Math.min(DEPTH_BLOCK, k - p0);
    const aBlock = aStart + p0 * paddedRows * bytes;
    const bBlock = bStart + p0 * paddedCols * bytes;
    if (wholeA) packPanelsF32(storedAStart, ldA, wholeA.columnMajor ? 1 : 0, n, paddedRows, p0, depth, TILE_ROWS, aBlock);
    else packRowPanels(a, p0, paddedRows, n, depth, heap, index(aBlock));
    // B̃'s panels are Bᵀ's row panels
    if (wholeB) packPanelsF32(storedBStart, ldB, wholeB.columnMajor ? 1 : 0, m, paddedCols, p0, depth, width, bBlock);
    else packColumnPanels(b, p0, depth, m, paddedCols, width, heap, index(bBlock));
  }
  const gemm = double ? gemmF64 : gemmF32;
  const args = [aStart, bStart, cStart, paddedRows, paddedCols, k, ldc];
  // the worker takes the lower rows (a whole number of tiles), the main thread the upper ones
  const split = roundUp(paddedRows / 2, TILE_ROWS);
  if (threads && helper !== null && n * k * m >= THREADED_MIN_MULTIPLY_ADDS && split < paddedRows && helper.available()) {
    helper.start([...args, split, paddedRows], double);
    gemm(aStart, bStart, cStart, paddedRows, paddedCols, k, ldc, 0, split);
    if (!helper.wait()) gemm(aStart, bStart, cStart, paddedRows, paddedCols, k, ldc, split, paddedRows);
  } else {
    gemm(aStart, bStart, cStart, paddedRows, paddedCols, k, ldc, 0, paddedRows);
  }
}

/**
 * Lines shorter than this are not copied one by one (see storedLines): a copy per line costs more
 * than its elements then, and the JS packing runs instead.
 */
const MIN_LINE_COPY = 64;

/**
 * How X [rows, cols] is stored as lines of consecutive elements, if it is: rows (X[i][p] at
 * i·stride + p) or columns (X[i][p] at p·stride + i), `count` lines of `length`, `stride` apart
 * (more than `length` for a block of a larger matrix, as a slice of a long depth). matmul.wat's
 * packer reads such an X row-major or column-major with its lines `stride` apart where it is in
 * the heap, or `length` apart once copied in line by line (copyLines).
 */
function storedLines(
  x: MatrixView,
  rows: number,
  cols: number,
): { columnMajor: boolean; count: number; length: number; stride: number } | null {
  if (x.colStride === 1 && (x.rowStride === cols || (x.rowStride > cols && cols >= MIN_LINE_COPY)))
    return { columnMajor: false, count: rows, length: cols, stride: x.rowStride };
  if (x.rowStride === 1 && (x.colStride === rows || (x.colStride > rows && rows >= MIN_LINE_COPY)))
    return { columnMajor: true, count: cols, length: rows, stride: x.colStride };
  return null;
}

/** X's lines (see storedLines) copied one after another into `heap` from `start`: one copy when they are adjacent. */
function copyLines(
  x: MatrixView,
  lines: { count: number; length: number; stride: number },
  heap: Float32Array | Float64Array,
  start: number,
): void {
  const { count, length, stride } = lines;
  const data = x.data as Float32Array;
  if (stride === length) {
    heap.set(data.subarray(x.offset, x.offset + count * length), start);
    return;
  }
  for (let line = 0, s = x.offset; line < count; line++, s += stride) heap.set(data.subarray(s, s + length), start + line * length);
}

/**
 * Ã for one depth block p0 … p0+depth−1: all rows of A in panels of 4; within a panel the 4 values
 * of one p are adjacent. Rows past n (the padding) are zeros.
 */
function packRowPanels(
  a: MatrixView,
  p0: number,
  paddedRows: number,
  n: number,
  depth: number,
  heap: Float32Array | Float64Array,
  start: number,
): void {
  const { data, rowStride, colStride } = a;
  let d = start;
  for (let r = 0; r < paddedRows; r += TILE_ROWS) {
    let p = a.offset + r * rowStride + p0 * colStride;
    const live = n - r;
    if (live >= TILE_ROWS) {
      for (let q = 0; q < depth; q++, p += colStride, d += 4) {
        heap[d] = data[p]!;
        heap[d + 1] = data[p + rowStride]!;
        heap[d + 2] = data[p + 2 * rowStride]!;
        heap[d + 3] = data[p + 3 * rowStride]!;
      }
    } else {
      for (let q = 0; q < depth; q++, p += colStride) {
        for (let t = 0; t < TILE_ROWS; t++) heap[d++] = t < live ? data[p + t * rowStride]! : 0;
      }
    }
  }
}

/**
 * B̃ for one depth block p0 … p0+depth−1: all columns of B in panels of `width`; within a panel
 * the `width` values of one p are adjacent. Columns past m (the padding) are zeros.
 *
 * The order follows B's layout so each cache line read is used whole before it is evicted. Rows
 * of a row-major B are copied whole, run by run (unrolled: 2.7× faster than the general loop). A
 * transposed B (as backward's Bᵀ) is read panel by panel down the whole depth, where each of the
 * panel's columns is a contiguous run in memory; other layouts four rows at a time.
 */
function packColumnPanels(
  b: MatrixView,
  p0: number,
  depth: number,
  m: number,
  paddedCols: number,
  width: number,
  heap: Float32Array | Float64Array,
  start: number,
): void {
  const { data, rowStride, colStride } = b;
  const panelLength = depth * width;
  const fullCols = m - (m % width);
  if (colStride === 1) {
    for (let q = 0; q < depth; q++) {
      const row = b.offset + (p0 + q) * rowStride;
      let d = start + q * width;
      if (width === 8) {
        for (let j = 0; j < fullCols; j += 8, d += panelLength) {
          const s = row + j;
          heap[d] = data[s]!;
          heap[d + 1] = data[s + 1]!;
          heap[d + 2] = data[s + 2]!;
          heap[d + 3] = data[s + 3]!;
          heap[d + 4] = data[s + 4]!;
          heap[d + 5] = data[s + 5]!;
          heap[d + 6] = data[s + 6]!;
          heap[d + 7] = data[s + 7]!;
        }
      } else {
        for (let j = 0; j < fullCols; j += 4, d += panelLength) {
          const s = row + j;
          heap[d] = data[s]!;
          heap[d + 1] = data[s + 1]!;
          heap[d + 2] = data[s + 2]!;
          heap[d + 3] = data[s + 3]!;
        }
      }
      // the last, partial panel and the zero padding after it
      if (fullCols < paddedCols) for (let t = 0; t < width; t++) heap[d + t] = fullCols + t < m ? data[row + fullCols + t]! : 0;
    }
    return;
  }
  if (rowStride === 1) {
    // each column of B is a contiguous run (B is a transposed row-major matrix, as Wᵀ in x·Wᵀ):
    // read each run once, front to back, writing every `width`-th slot of its panel
    for (let j = 0, panel = start; j < paddedCols; j += width, panel += panelLength) {
      for (let t = 0; t < width; t++) {
        let d = panel + t;
        if (j + t >= m) {
          for (let q = 0; q < depth; q++, d += width) heap[d] = 0;
          continue;
        }
        for (let q = 0, s = b.offset + p0 + (j + t) * colStride; q < depth; q++, d += width, s++) heap[d] = data[s]!;
      }
    }
    return;
  }
  const group = Math.abs(rowStride) < Math.abs(colStride) ? depth : PACK_ROW_GROUP;
  for (let q0 = 0; q0 < depth; q0 += group) {
    const qEnd = Math.min(q0 + group, depth);
    for (let j = 0, panel = start; j < paddedCols; j += width, panel += panelLength) {
      const live = Math.min(width, m - j);
      for (let q = q0; q < qEnd; q++) {
        const d = panel + q * width;
        let s = b.offset + (p0 + q) * rowStride + j * colStride;
        if (live === width) for (let t = 0; t < width; t++, s += colStride) heap[d + t] = data[s]!;
        else for (let t = 0; t < width; t++, s += colStride) heap[d + t] = t < live ? data[s]! : 0;
      }
    }
  }
}

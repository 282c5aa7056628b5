import { allocate, type DType, type TypedArray } from "../../dtype";
import { numelOf } from "../../shape";
import { RowWalker, type Strided } from "./iterate";
import { useWasmKernel, type WasmKernelSize } from "./preference";
import { multiplySimd, simdMatmulAvailable } from "./wasm/matmul";

// Rows of B kept hot in cache while the rows of A pass over them.
const K_BLOCK = 128;

/**
 * Below this many multiply-adds per matrix (n·k·m) the JS kernel is as fast: the SIMD path's fixed
 * costs (packing into wasm memory, zeroing and copying out C, padding to whole 4 × 8 tiles) are
 * most of the ≈ 3 µs both take at 4 × 4 × 4. Measured from there: 1.7 vs 3.1 µs at 8³, 7 vs 37 µs
 * at 32³. Large products also split over two threads where a worker can run (wasm/matmul.ts).
 */
const SIMD_MATMUL: WasmKernelSize = { minElements: 8 * 8 * 8 };

/** Copies an [rows, cols] strided matrix into a row-major float64 buffer. */
function packMatrix(
  source: TypedArray,
  offset: number,
  rowStride: number,
  colStride: number,
  rows: number,
  cols: number,
  into: Float64Array,
): void {
  let o = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0, p = offset + r * rowStride; c < cols; c++, p += colStride) into[o++] = source[p]!;
  }
}

/**
 * out[…] = a[…] @ b[…] for a [...batch, n, k] and b [...batch, k, m] whose batch dims are already
 * broadcast to one shape (stride 0 where a matrix is shared). The result is contiguous.
 *
 * float32 and float64 products run the WebAssembly SIMD kernel (wasm/matmul.ts) where
 * useWasmKernel says so (by default: any size but the smallest). The JS kernel, for the rest and as
 * the reference: each matrix pair is first packed into row-major float64 buffers, so transposed or strided operands (as backward produces)
 * run the same loop and the loop body sees one array type. The loop is i-p-j, blocked over p, with
 * four rows of A at a time so each loaded element of B feeds four multiply-adds; accumulation is
 * in float64 and rounded once at the end.
 */
export function matmulBatched(a: Strided, b: Strided, dtype: DType): TypedArray {
  const nd = a.shape.length;
  const n = a.shape[nd - 2]!;
  const k = a.shape[nd - 1]!;
  const m = b.shape[nd - 1]!;
  const batchShape = a.shape.slice(0, nd - 2);
  const out = allocate(dtype, numelOf(batchShape) * n * m);
  if (out.length === 0) return out;
  const floating = dtype === "float32" || dtype === "float64";
  const simd = floating && useWasmKernel(SIMD_MATMUL, n * k * m) && simdMatmulAvailable();
  // made on first use: the SIMD kernel needs none, unless the WebAssembly heap is full
  let aPacked: Float64Array | null = null;
  let bPacked: Float64Array | null = null;
  let acc: Float64Array | null = null;
  const walker = new RowWalker(batchShape, [
    { strides: a.strides.slice(0, nd - 2), offset: a.offset },
    { strides: b.strides.slice(0, nd - 2), offset: b.offset },
  ]);
  const left = { data: a.data, offset: 0, rowStride: a.strides[nd - 2]!, colStride: a.strides[nd - 1]! };
  const right = { data: b.data, offset: 0, rowStride: b.strides[nd - 2]!, colStride: b.strides[nd - 1]! };
  let outBase = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    for (let t = 0; t < walker.rowLength; t++, outBase += n * m) {
      left.offset = walker.offsets[0]! + t * walker.rowStrides[0]!;
      right.offset = walker.offsets[1]! + t * walker.rowStrides[1]!;
      if (simd && multiplySimd(left, right, n, k, m, dtype === "float64", out, outBase, true)) continue;
      if (dtype === "int32") {
        multiplyInt32(left, right, n, k, m, out, outBase);
        continue;
      }
      aPacked ??= new Float64Array(n * k);
      bPacked ??= new Float64Array(k * m);
      acc ??= new Float64Array(n * m);
      packMatrix(a.data, left.offset, left.rowStride, left.colStride, n, k, aPacked);
      packMatrix(b.data, right.offset, right.rowStride, right.colStride, k, m, bPacked);
      acc.fill(0);
      multiplyPacked(aPacked, bPacked, acc, n, k, m);
      out.set(acc, outBase);
    }
  }
  return out;
}

/** acc[n, m] += A[n, k] · B[k, m], all row-major float64. */
function multiplyPacked(A: Float64Array, B: Float64Array, acc: Float64Array, n: number, k: number, m: number): void {
  for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
    const pEnd = Math.min(p0 + K_BLOCK, k);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const c0 = i * m;
      const c1 = c0 + m;
      const c2 = c1 + m;
      const c3 = c2 + m;
      for (let p = p0; p < pEnd; p++) {
        const a0 = A[i * k + p]!;
        const a1 = A[(i + 1) * k + p]!;
        const a2 = A[(i + 2) * k + p]!;
        const a3 = A[(i + 3) * k + p]!;
        const bRow = p * m;
        for (let j = 0; j < m; j++) {
          const bv = B[bRow + j]!;
          acc[c0 + j] = acc[c0 + j]! + a0 * bv;
          acc[c1 + j] = acc[c1 + j]! + a1 * bv;
          acc[c2 + j] = acc[c2 + j]! + a2 * bv;
          acc[c3 + j] = acc[c3 + j]! + a3 * bv;
        }
      }
    }
    for (; i < n; i++) {
      const c0 = i * m;
      for (let p = p0; p < pEnd; p++) {
        const a0 = A[i * k + p]!;
        const bRow = p * m;
        for (let j = 0; j < m; j++) acc[c0 + j] = acc[c0 + j]! + a0 * B[bRow + j]!;
      }
    }
  }
}

interface MatrixView {
  data: TypedArray;
  offset: number;
  rowStride: number;
  colStride: number;
}

/**
 * out[n, m] = A[n, k] · B[k, m] for int32, read through the strides: products and sums wrap as int32
 * arithmetic does (Math.imul, | 0), as PyTorch's integer matmul, where float64 accumulation would
 * round a sum past 2⁵³ before it wraps.
 */
function multiplyInt32(A: MatrixView, B: MatrixView, n: number, k: number, m: number, out: TypedArray, outBase: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let acc = 0;
      let pa = A.offset + i * A.rowStride;
      let pb = B.offset + j * B.colStride;
      for (let p = 0; p < k; p++, pa += A.colStride, pb += B.rowStride) acc = (acc + Math.imul(A.data[pa]!, B.data[pb]!)) | 0;
      out[outBase + i * m + j] = acc;
    }
  }
}

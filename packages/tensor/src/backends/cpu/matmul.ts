import { allocate, type DType, type TypedArray } from "../../dtype";
import { numelOf } from "../../shape";
import { type HostView, RowWalker } from "./iterate";
import type { MatrixView } from "./wasm/matmul";

// Rows of B kept hot in cache while the rows of A pass over them.
const K_BLOCK = 128;

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
 * out[n, m] (at outBase of a contiguous out) = left[n, k] · right[k, m], or with `add`,
 * out[n, m] += left · right.
 */
export type MultiplyMatrices = (
  left: MatrixView,
  right: MatrixView,
  n: number,
  k: number,
  m: number,
  out: TypedArray,
  outBase: number,
  add: boolean,
) => void;

/**
 * The batched product a[...batch, n, k] · b[...batch, k, m], batch dims already broadcast to one
 * shape (stride 0 where a matrix is shared), into a new contiguous array, or added into `into` (a
 * contiguous view of the product's shape), whose array is returned then: `multiply` runs once per
 * matrix pair. The JS reference kernel and the WebAssembly one share this walk.
 */
export function forEachMatrixPair(a: HostView, b: HostView, dtype: DType, multiply: MultiplyMatrices, into?: HostView): TypedArray {
  const nd = a.shape.length;
  const n = a.shape[nd - 2]!;
  const k = a.shape[nd - 1]!;
  const m = b.shape[nd - 1]!;
  const batchShape = a.shape.slice(0, nd - 2);
  const add = into !== undefined;
  const out = add ? into.buffer : allocate(dtype, numelOf(batchShape) * n * m);
  if (numelOf(batchShape) * n * m === 0) return out;
  const walker = new RowWalker(batchShape, [
    { strides: a.strides.slice(0, nd - 2), offset: a.offset },
    { strides: b.strides.slice(0, nd - 2), offset: b.offset },
  ]);
  const left: MatrixView = { data: a.buffer, offset: 0, rowStride: a.strides[nd - 2]!, colStride: a.strides[nd - 1]! };
  const right: MatrixView = { data: b.buffer, offset: 0, rowStride: b.strides[nd - 2]!, colStride: b.strides[nd - 1]! };
  let outBase = add ? into.offset : 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    for (let t = 0; t < walker.rowLength; t++, outBase += n * m) {
      left.offset = walker.offsets[0]! + t * walker.rowStrides[0]!;
      right.offset = walker.offsets[1]! + t * walker.rowStrides[1]!;
      multiply(left, right, n, k, m, out, outBase, add);
    }
  }
  return out;
}

/**
 * The matmul primitive's JS reference kernel. float32/float64: each matrix pair is first packed
 * into row-major float64 buffers, so transposed or strided operands (as backward produces) run the
 * same loop and the loop body sees one array type. The loop is i-p-j, blocked over p, with four
 * rows of A at a time so each loaded element of B feeds four multiply-adds; accumulation is in
 * float64 and rounded once at the end. int32 wraps (multiplyInt32).
 */
export function matmulBatched(a: HostView, b: HostView, dtype: DType, into?: HostView): TypedArray {
  if (dtype === "int32") return forEachMatrixPair(a, b, dtype, multiplyInt32, into);
  const nd = a.shape.length;
  const n = a.shape[nd - 2]!;
  const k = a.shape[nd - 1]!;
  const m = b.shape[nd - 1]!;
  const aPacked = new Float64Array(n * k);
  const bPacked = new Float64Array(k * m);
  const acc = new Float64Array(n * m);
  return forEachMatrixPair(
    a,
    b,
    dtype,
    (left, right, n, k, m, out, outBase, add) => {
      packMatrix(left.data, left.offset, left.rowStride, left.colStride, n, k, aPacked);
      packMatrix(right.data, right.offset, right.rowStride, right.colStride, k, m, bPacked);
      acc.fill(0);
      multiplyPacked(aPacked, bPacked, acc, n, k, m);
      addOrSet(out, outBase, acc, add);
    },
    into,
  );
}

/**
 * out[outBase + i] = values[i], or with `add`, out[outBase + i] += values[i] with values[i] rounded
 * to float32 first in a Float32Array: the bits of the product stored, then added.
 */
export function addOrSet(out: TypedArray, outBase: number, values: Float32Array | Float64Array, add: boolean): void {
  if (!add) out.set(values, outBase);
  else if (out instanceof Float32Array)
    for (let i = 0; i < values.length; i++) out[outBase + i] = out[outBase + i]! + Math.fround(values[i]!);
  else for (let i = 0; i < values.length; i++) out[outBase + i] = out[outBase + i]! + values[i]!;
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

/**
 * out[n, m] = A[n, k] · B[k, m] for int32, read through the strides: products and sums wrap as int32
 * arithmetic does (Math.imul, | 0), as PyTorch's integer matmul, where float64 accumulation would
 * round a sum past 2⁵³ before it wraps.
 */
const multiplyInt32: MultiplyMatrices = (A, B, n, k, m, out, outBase, add) => {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let acc = add ? out[outBase + i * m + j]! : 0;
      let pa = A.offset + i * A.rowStride;
      let pb = B.offset + j * B.colStride;
      for (let p = 0; p < k; p++, pa += A.colStride, pb += B.rowStride) acc = (acc + Math.imul(A.data[pa]!, B.data[pb]!)) | 0;
      out[outBase + i * m + j] = acc;
    }
  }
};

import { allocate, type DType, type TypedArray } from "../dtype";
import { numelOf } from "../shape";
import { RowWalker, type Strided } from "./iterate";

// Rows of B kept hot in cache while every row of A passes over them.
const K_BLOCK = 128;

/**
 * out[…] = a[…] @ b[…] for a [...batch, n, k] and b [...batch, k, m] whose batch dims are already
 * broadcast to one shape (stride 0 where a matrix is shared). The result is contiguous.
 *
 * Per matrix: i-p-j order so the innermost loop streams a row of B into a row of C, blocked
 * over p; accumulation in float64, rounded once at the end. A B that is not row-major (a
 * transposed weight in backward) is packed first, so transposed operands run the same loop.
 */
export function matmulBatched(a: Strided, b: Strided, dtype: DType): TypedArray {
  const nd = a.shape.length;
  const n = a.shape[nd - 2]!;
  const k = a.shape[nd - 1]!;
  const m = b.shape[nd - 1]!;
  const batchShape = a.shape.slice(0, nd - 2);
  const out = allocate(dtype, numelOf(batchShape) * n * m);
  if (out.length === 0) return out;
  const aRowStride = a.strides[nd - 2]!;
  const aColStride = a.strides[nd - 1]!;
  const bRowStride = b.strides[nd - 2]!;
  const bColStride = b.strides[nd - 1]!;
  const bRowMajor = bColStride === 1 || m === 1;
  const packed = bRowMajor ? null : new Float64Array(k * m);
  const acc = new Float64Array(n * m);
  const walker = new RowWalker(batchShape, [
    { strides: a.strides.slice(0, nd - 2), offset: a.offset },
    { strides: b.strides.slice(0, nd - 2), offset: b.offset },
  ]);
  const aData = a.data;
  let outBase = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    for (let t = 0; t < walker.rowLength; t++, outBase += n * m) {
      const aOffset = walker.offsets[0]! + t * walker.rowStrides[0]!;
      let bOffset = walker.offsets[1]! + t * walker.rowStrides[1]!;
      let bData: TypedArray = b.data;
      let bStep = bRowStride;
      if (packed) {
        for (let p = 0; p < k; p++) {
          for (let j = 0; j < m; j++) packed[p * m + j] = bData[bOffset + p * bRowStride + j * bColStride]!;
        }
        bData = packed;
        bOffset = 0;
        bStep = m;
      }
      acc.fill(0);
      for (let p0 = 0; p0 < k; p0 += K_BLOCK) {
        const pEnd = Math.min(p0 + K_BLOCK, k);
        for (let i = 0; i < n; i++) {
          const aRow = aOffset + i * aRowStride;
          const cRow = i * m;
          for (let p = p0; p < pEnd; p++) {
            const aip = aData[aRow + p * aColStride]!;
            const bRow = bOffset + p * bStep;
            for (let j = 0; j < m; j++) acc[cRow + j] += aip * bData[bRow + j]!;
          }
        }
      }
      out.set(acc, outBase);
    }
  }
  return out;
}

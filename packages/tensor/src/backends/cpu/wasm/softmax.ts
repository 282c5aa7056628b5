import type { View } from "../../backend";
import type { CpuBuffer } from "../buffer";
import { f64Bytes, inRowBlocks, rowSource } from "./row-blocks";
import { SOFTMAX_WASM_BASE64 } from "./softmax-binary";
import { lazyWasmKernels } from "./wasm-api";

// The drivers of softmax.wat, registered beside the reference kernels of softmax, softmaxBackward
// and crossEntropy (cpu/softmax.ts): float32 rows in place on heap storage, else a block of rows
// at a time (see row-blocks.ts), worked on with SIMD (a vector exp instead of a call to Math.exp
// per element).

/** Pointers are byte offsets into the heap's memory; strides are bytes between rows. */
interface SoftmaxKernels {
  softmaxRowsF32(src: number, srcStride: number, rows: number, n: number, dst: number, maxima: number, sums: number, log: number): void;
  softmaxVjpF32(y: number, yStride: number, g: number, gStride: number, rows: number, n: number, dst: number): void;
  logSoftmaxVjpF32(y: number, yStride: number, g: number, gStride: number, rows: number, n: number, dst: number): void;
}

const simdKernels = /* @__PURE__ */ lazyWasmKernels<SoftmaxKernels>(SOFTMAX_WASM_BASE64, { log: Math.log });

/** Whether the WebAssembly SIMD softmax kernels can run here. */
export function simdSoftmaxAvailable(): boolean {
  return simdKernels() !== null;
}

/** Each row's max and Σ exp(x − max), as float64. */
export interface RowStatistics {
  maxima: Float64Array;
  sums: Float64Array;
}

/**
 * Softmax (log false) or log-softmax (log true) of each of the `rows` rows of `n` values of float32
 * x (its elements in row-major order: see rowSource), contiguous in the output, with each row's
 * statistics when `statistics` is true (else empty arrays). Null, having done nothing, when the JS
 * kernel should run instead: no elements, rows too long for what the heap can give, or no
 * WebAssembly SIMD.
 */
export function softmaxRowsSimd(
  x: View<CpuBuffer>,
  rows: number,
  n: number,
  log: boolean,
  statistics = false,
): ({ out: CpuBuffer } & RowStatistics) | null {
  const kernels = simdKernels();
  if (kernels === null || rows * n === 0) return null;
  return inRowBlocks(rows, n, [rowSource(x, rows, n)], {
    regions: { maxima: f64Bytes(rows), sums: f64Bytes(rows) },
    call(rowsIn, dst, r, count, ptrs) {
      const [src, srcStride] = rowsIn[0]!;
      kernels.exports.softmaxRowsF32(src, srcStride, count, n, dst, ptrs.maxima + r * 8, ptrs.sums + r * 8, log ? 1 : 0);
    },
    finish(scratch, at) {
      if (!statistics) return { maxima: new Float64Array(0), sums: new Float64Array(0) };
      const values = scratch.f64();
      return { maxima: values.slice(at.maxima / 8, at.maxima / 8 + rows), sums: values.slice(at.sums / 8, at.sums / 8 + rows) };
    },
  });
}

/**
 * The VJP of softmax (log false: y ⊙ (g − Σ g ⊙ y)) or log-softmax (log true: g − exp(y) ⊙ Σ g)
 * of each of the `rows` rows of `n` values of float32 y and g (as softmaxRowsSimd), from the op's
 * output y and the incoming gradient g. Null when the JS kernel should run instead (as softmaxRowsSimd).
 */
export function softmaxVjpRowsSimd(y: View<CpuBuffer>, g: View<CpuBuffer>, rows: number, n: number, log: boolean): CpuBuffer | null {
  const kernels = simdKernels();
  if (kernels === null || rows * n === 0) return null;
  const vjp = log ? kernels.exports.logSoftmaxVjpF32 : kernels.exports.softmaxVjpF32;
  const result = inRowBlocks(rows, n, [rowSource(y, rows, n), rowSource(g, rows, n)], {
    regions: {},
    call(rowsIn, dst, _r, count) {
      const [[yPtr, yStride], [gPtr, gStride]] = rowsIn as [[number, number], [number, number]];
      vjp(yPtr, yStride, gPtr, gStride, count, n, dst);
    },
    finish: () => ({}),
  });
  return result?.out ?? null;
}

import { SOFTMAX_WASM_BASE64 } from "./softmax-binary";
import { float32RegionBytes, lazyWasmKernels, type WasmKernels } from "./wasm-api";

// Drivers of softmax.wat, registered beside the reference kernels of softmax, softmaxBackward,
// crossEntropy and crossEntropyBackward (cpu/softmax.ts): float32 rows copied into a scratch block of the WebAssembly heap a block
// at a time, worked on there with SIMD (a vector exp instead of a call to Math.exp per element),
// and copied out.

/** Pointers are byte offsets into the heap's memory. */
interface SoftmaxKernels {
  softmaxRowsF32(src: number, rows: number, n: number, dst: number, stats: number, log: number): void;
  softmaxVjpF32(y: number, g: number, rows: number, n: number, dst: number): void;
  logSoftmaxVjpF32(y: number, g: number, rows: number, n: number, dst: number): void;
}

/**
 * Rows per block: about this many bytes of each operand, so a block's input, output and the
 * row being worked on stay in cache between the copy in, the kernel and the copy out.
 */
const BLOCK_BYTES = 128 * 1024;

const simdKernels = /* @__PURE__ */ lazyWasmKernels<SoftmaxKernels>(SOFTMAX_WASM_BASE64, { log: Math.log });

/** Whether the WebAssembly SIMD softmax kernels can run here. */
export function simdSoftmaxAvailable(): boolean {
  return simdKernels() !== null;
}

function useSimd(elements: number): WasmKernels<SoftmaxKernels> | null {
  return elements === 0 ? null : simdKernels();
}

function rowsPerBlock(n: number): number {
  return Math.max(1, Math.floor(BLOCK_BYTES / (n * 4)));
}

/** Softmax or log-softmax of rows, with each row's max and Σ exp(x − max) (as float64). */
export interface SoftmaxRows {
  out: Float32Array;
  maxima: Float64Array;
  sums: Float64Array;
}

/**
 * Softmax (log false) or log-softmax (log true) of each of `rows` contiguous float32 rows of `n`
 * entries starting at x[offset]. Null, having done nothing, when the JS kernel should run instead:
 * no elements, rows too long for what the heap can give, or no WebAssembly SIMD.
 */
export function softmaxRowsSimd(x: Float32Array, offset: number, rows: number, n: number, log: boolean): SoftmaxRows | null {
  const kernels = useSimd(rows * n);
  if (kernels === null) return null;
  const block = rowsPerBlock(n);
  // scratch: [src block | dst block | maxima and sums of a block]
  const blockBytes = float32RegionBytes(block * n);
  const scratch = kernels.heap.allocate(2 * blockBytes + block * 16 + 16);
  if (scratch === null) return null;
  const [srcAt, dstAt, statsAt] = [scratch.ptr, scratch.ptr + blockBytes, scratch.ptr + 2 * blockBytes];
  const heap = scratch.f32();
  const stats = scratch.f64().subarray(blockBytes / 4, blockBytes / 4 + 2 * block);
  const out = new Float32Array(rows * n);
  const maxima = new Float64Array(rows);
  const sums = new Float64Array(rows);
  try {
    for (let r = 0; r < rows; r += block) {
      const count = Math.min(block, rows - r);
      heap.set(x.subarray(offset + r * n, offset + (r + count) * n), 0);
      kernels.exports.softmaxRowsF32(srcAt, count, n, dstAt, statsAt, log ? 1 : 0);
      out.set(heap.subarray(blockBytes / 4, blockBytes / 4 + count * n), r * n);
      maxima.set(stats.subarray(0, count), r);
      sums.set(stats.subarray(count, 2 * count), r);
    }
  } finally {
    scratch.free();
  }
  return { out, maxima, sums };
}

/**
 * The VJP of softmax (log false: y ⊙ (g − Σ g ⊙ y)) or log-softmax (log true: g − exp(y) ⊙ Σ g)
 * of each of `rows` contiguous float32 rows of `n` entries, from the op's output y and the incoming
 * gradient g. Null when the JS kernel should run instead (as softmaxRowsSimd).
 */
export function softmaxVjpRowsSimd(
  y: Float32Array,
  yOffset: number,
  g: Float32Array,
  gOffset: number,
  rows: number,
  n: number,
  log: boolean,
): Float32Array | null {
  const kernels = useSimd(rows * n);
  if (kernels === null) return null;
  const block = rowsPerBlock(n);
  // scratch: [y block | g block | dst block]
  const blockBytes = float32RegionBytes(block * n);
  const scratch = kernels.heap.allocate(3 * blockBytes);
  if (scratch === null) return null;
  const heap = scratch.f32();
  const [gIndex, dstIndex] = [blockBytes / 4, (2 * blockBytes) / 4];
  const vjp = log ? kernels.exports.logSoftmaxVjpF32 : kernels.exports.softmaxVjpF32;
  const out = new Float32Array(rows * n);
  try {
    for (let r = 0; r < rows; r += block) {
      const count = Math.min(block, rows - r);
      heap.set(y.subarray(yOffset + r * n, yOffset + (r + count) * n), 0);
      heap.set(g.subarray(gOffset + r * n, gOffset + (r + count) * n), gIndex);
      vjp(scratch.ptr, scratch.ptr + gIndex * 4, count, n, scratch.ptr + dstIndex * 4);
      out.set(heap.subarray(dstIndex, dstIndex + count * n), r * n);
    }
  } finally {
    scratch.free();
  }
  return out;
}

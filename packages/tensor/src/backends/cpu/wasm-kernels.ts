import { type DType, dtypeOfArray, type TypedArray } from "../../dtype";
import { isContiguousLayout } from "../../layout";
import { numelOf } from "../../shape";
import type { BinaryOp, OptimizerStep, ReduceOp } from "../primitives";
import { registerKernel } from "../registry";
import type { HostView } from "./iterate";
import { forEachMatrixPair } from "./matmul";
import { adjacentSplit, fromAccumulator } from "./reduce";
import { rowMajor, sliceLayout, targetOf } from "./softmax";
import { zipBinarySimd } from "./wasm/elementwise";
import { multiplySimd, simdMatmulAvailable } from "./wasm/matmul";
import { sumContiguousSimd } from "./wasm/reduce";
import { softmaxRowsSimd, softmaxVjpRowsSimd } from "./wasm/softmax";
import { simdUpdateRule, updateSimd } from "./wasm/updates";

// The WebAssembly SIMD kernels, registered beside the JS reference kernels of the same
// primitives. Each declares its dtypes, the size from which it is faster (as measured) and what
// else it needs; the registry runs it only then, and the reference kernel otherwise.

const SIMD_ARITHMETIC: ReadonlySet<BinaryOp> = new Set(["add", "sub", "mul", "div"]);
const FLOATS: readonly DType[] = ["float32", "float64"];

/**
 * Softmax of float32 rows in fewer elements stays in JS (no copies, no call into the module).
 * Measured on a 2-vCPU machine: even at about 16 elements, 3× faster at 256 and 6–10× from 4,096 up.
 */
const SOFTMAX_MIN_ELEMENTS = 64;

/** Whether the slices along `dim` are rows: no dim after it holds more than one entry. */
const alongRows = (x: HostView, dim: number) => x.shape.length > 0 && sliceLayout(x.shape, dim).inner === 1;

/** A host view as the WebAssembly wrappers take their operands. */
const strided = (x: HostView) => ({ data: x.buffer, shape: x.shape, strides: x.strides, offset: x.offset });

export function registerWasmKernels(): void {
  registerKernel("cpu", "binary", {
    name: "binaryF32Simd",
    dtypes: ["float32"],
    // fewer elements stay in the JS loops, where there is nothing to copy; measured on a 2-vCPU
    // machine (float32 multiply, contiguous): about even at 2,048 elements, 3–5× faster from 65,536
    minElements: 8192,
    dtype: (_op: BinaryOp, _a: HostView, _b: HostView, dtype: DType) => dtype,
    size: (_op: BinaryOp, a: HostView) => numelOf(a.shape),
    accepts: (op: BinaryOp, a: HostView, b: HostView) =>
      SIMD_ARITHMETIC.has(op) && a.buffer instanceof Float32Array && b.buffer instanceof Float32Array,
    // operands that do not read as rows (see wasm/elementwise.ts), or memory it cannot get: declined
    run(op: BinaryOp, a: HostView, b: HostView): TypedArray | null {
      const out = new Float32Array(numelOf(a.shape));
      return zipBinarySimd(op, strided(a), strided(b), out) ? out : null;
    },
  });

  registerKernel("cpu", "reduce", {
    name: "sumSimd",
    dtypes: FLOATS,
    // sums of fewer elements stay in JS, where there is no copy and no call into the module;
    // measured on a 2-vCPU machine (float32, rows and columns of a square): about even at 32 × 32,
    // 1.9–3.1× faster at 64 × 64, 3.4–8× from 256 × 256 up
    minElements: 64 * 64,
    dtype: (_op: ReduceOp, x: HostView) =>
      x.buffer instanceof Float64Array ? "float64" : x.buffer instanceof Float32Array ? "float32" : "int32",
    size: (_op: ReduceOp, x: HostView) => numelOf(x.shape),
    // contiguous, with the reduced dims adjacent: an [outer, size, inner] block
    accepts: (op: ReduceOp, x: HostView, reduced: readonly boolean[]) =>
      op === "sum" && isContiguousLayout(x) && adjacentSplit(x.shape, reduced) !== null,
    run(_op: ReduceOp, x: HostView, reduced: readonly boolean[], dtype: DType): TypedArray | null {
      const { outer, size, inner } = adjacentSplit(x.shape, reduced)!;
      const acc = new Float64Array(outer * inner);
      return sumContiguousSimd(x.buffer, x.offset, outer, size, inner, acc) ? fromAccumulator(acc, dtype) : null;
    },
  });

  registerKernel("cpu", "matmul", {
    name: "matmulSimd",
    dtypes: FLOATS,
    // below this many multiply-adds per matrix (n·k·m) the JS kernel is as fast: the SIMD path's
    // fixed costs (packing into wasm memory, zeroing and copying out C, padding to whole 4 × 8
    // tiles) are most of the ≈ 3 µs both take at 4 × 4 × 4. Measured from there: 1.7 vs 3.1 µs at
    // 8³, 7 vs 37 µs at 32³. Large products also split over two threads (wasm/matmul.ts).
    minElements: 8 * 8 * 8,
    dtype: (_a: HostView, _b: HostView, dtype: DType) => dtype,
    size: (a: HostView, b: HostView) => {
      const nd = a.shape.length;
      return a.shape[nd - 2]! * a.shape[nd - 1]! * b.shape[nd - 1]!;
    },
    accepts: () => simdMatmulAvailable(),
    // declined (the reference kernel runs) when the heap has no room for a scratch block
    run(a: HostView, b: HostView, dtype: DType): TypedArray | null {
      let declined = false;
      const out = forEachMatrixPair(a, b, dtype, (left, right, n, k, m, out, outBase) => {
        declined ||= !multiplySimd(left, right, n, k, m, dtype === "float64", out, outBase, true);
      });
      return declined ? null : out;
    },
  });

  registerKernel("cpu", "softmax", {
    name: "softmaxRowsF32Simd",
    dtypes: ["float32"],
    minElements: SOFTMAX_MIN_ELEMENTS,
    dtype: (_x: HostView, _dim: number, _log: boolean, dtype: DType) => dtype,
    size: (x: HostView) => numelOf(x.shape),
    accepts: (x: HostView, dim: number) => x.buffer instanceof Float32Array && alongRows(x, dim),
    run(x: HostView, dim: number, log: boolean, dtype: DType): TypedArray | null {
      const { data, base } = rowMajor(x, dtype);
      const { outer, size } = sliceLayout(x.shape, dim);
      return softmaxRowsSimd(data as Float32Array, base, outer, size, log)?.out ?? null;
    },
  });

  registerKernel("cpu", "softmaxBackward", {
    name: "softmaxVjpRowsF32Simd",
    dtypes: ["float32"],
    minElements: SOFTMAX_MIN_ELEMENTS,
    dtype: (_y: HostView, _g: HostView, _dim: number, _log: boolean, dtype: DType) => dtype,
    size: (y: HostView) => numelOf(y.shape),
    accepts: (y: HostView, g: HostView, dim: number) =>
      y.buffer instanceof Float32Array && g.buffer instanceof Float32Array && alongRows(y, dim),
    run(y: HostView, g: HostView, dim: number, log: boolean, dtype: DType): TypedArray | null {
      const { data: yData, base: yBase } = rowMajor(y, dtype);
      const { data: gData, base: gBase } = rowMajor(g, dtype);
      const { outer, size } = sliceLayout(y.shape, dim);
      return softmaxVjpRowsSimd(yData as Float32Array, yBase, gData as Float32Array, gBase, outer, size, log);
    },
  });

  // cross-entropy takes each row's max and Σ exp(x − max) (forward) or its probabilities
  // (backward) from the SIMD softmax of the rows
  registerKernel("cpu", "crossEntropy", {
    name: "crossEntropyF32Simd",
    dtypes: ["float32"],
    minElements: SOFTMAX_MIN_ELEMENTS,
    dtype: (_logits: HostView, _targets: HostView, _ignoreIndex: number, _value: number, dtype: DType) => dtype,
    size: (logits: HostView) => numelOf(logits.shape),
    accepts: () => true,
    run(logits: HostView, targets: HostView, ignoreIndex: number, denominator: number, dtype: DType): TypedArray | null {
      const [rows, classes] = logits.shape as [number, number];
      const { data: x, base } = rowMajor(logits, dtype);
      const rowStats = softmaxRowsSimd(x as Float32Array, base, rows, classes, false);
      if (rowStats === null) return null;
      const { maxima, sums } = rowStats;
      let total = 0;
      for (let n = 0; n < rows; n++) {
        const target = targetOf(targets, n);
        if (target !== ignoreIndex) total += maxima[n]! + Math.log(sums[n]!) - x[base + n * classes + target]!;
      }
      return Float32Array.of(total / denominator);
    },
  });

  registerKernel("cpu", "crossEntropyBackward", {
    name: "crossEntropyBackwardF32Simd",
    dtypes: ["float32"],
    minElements: SOFTMAX_MIN_ELEMENTS,
    dtype: (_logits: HostView, _targets: HostView, _ignoreIndex: number, _value: number, dtype: DType) => dtype,
    size: (logits: HostView) => numelOf(logits.shape),
    accepts: () => true,
    run(logits: HostView, targets: HostView, ignoreIndex: number, scale: number, dtype: DType): TypedArray | null {
      const [rows, classes] = logits.shape as [number, number];
      const { data, base } = rowMajor(logits, dtype);
      const grad = softmaxRowsSimd(data as Float32Array, base, rows, classes, false)?.out;
      if (grad === undefined) return null;
      for (let n = 0; n < rows; n++) {
        const target = targetOf(targets, n);
        const row = grad.subarray(n * classes, (n + 1) * classes);
        if (target === ignoreIndex) row.fill(0);
        else {
          for (let c = 0; c < classes; c++) row[c]! *= scale;
          row[target]! -= scale;
        }
      }
      return grad;
    },
  });

  registerKernel("cpu", "optimizerUpdate", {
    name: "updateF32Simd",
    dtypes: ["float32"],
    // fewer elements stay in the JS loop, where there is nothing to copy (≈ even at 16 elements)
    minElements: 32,
    dtype: (_step: OptimizerStep, param: HostView) => dtypeOfArray(param.buffer),
    size: (_step: OptimizerStep, param: HostView) => numelOf(param.shape),
    accepts: (step: OptimizerStep) => simdUpdateRule(step.rule),
    run: (step: OptimizerStep, param: HostView, grad: HostView, state: readonly (HostView | null)[]) =>
      updateSimd(step, param, grad, state) ? undefined : null,
  });
}

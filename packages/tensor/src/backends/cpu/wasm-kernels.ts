import type { DType, TypedArray } from "../../dtype";
import { isContiguousLayout } from "../../layout";
import { numelOf } from "../../shape";
import type { View } from "../backend";
import type { BinaryOp, OptimizerStep, ReduceOp, UnaryOp, WindowGeometry } from "../primitives";
import { registerKernel } from "../registry";
import { type CpuBuffer, HEAP_MIN_ELEMENTS, hostArray, hostView } from "./buffer";
import type { HostView, Strided } from "./iterate";
import { forEachMatrixPair } from "./matmul";
import { adjacentSplit, fromAccumulator } from "./reduce";
import { sliceLayout, targetOf } from "./softmax";
import { conv2dInputGradSimd, conv2dSimd, conv2dWeightGradSimd } from "./wasm/conv";
import { binaryRowsInPlace, type HeapOperand, mapUnarySimd, readsAsRows, unaryInPlace, zipBinarySimd } from "./wasm/elementwise";
import { WasmFloat32Buffer } from "./wasm/float32-buffer";
import { layerNormBackwardSimd, layerNormSimd } from "./wasm/layer-norm";
import { multiplySimd, simdMatmulAvailable } from "./wasm/matmul";
import { sumContiguousSimd, sumInPlace } from "./wasm/reduce";
import { softmaxRowsSimd, softmaxVjpRowsSimd } from "./wasm/softmax";
import { readsAsStridedRows, stridedRowsSimd } from "./wasm/strided-unary";
import { simdUpdateRule, updateSimd } from "./wasm/updates";
import { wasmHeap } from "./wasm/wasm-api";
import { col2imSimd, im2colSimd, maxPool2x2Simd } from "./wasm/windows";
import { isPairPool } from "./windows";

// The WebAssembly SIMD kernels, registered beside the JS reference kernels of the same
// primitives. Each declares its dtypes, the size from which it is faster (as measured) and what
// else it needs; the registry runs it only then, and the reference kernel otherwise. Those that
// work in place (operands living in the heap, see buffer.ts) are registered last, so they are
// tried first; those that copy their operands into a scratch block run for typed arrays.

type CpuView = View<CpuBuffer>;

const SIMD_ARITHMETIC: ReadonlySet<BinaryOp> = new Set(["add", "sub", "mul", "div"]);
const SIMD_GELU_BACKWARD: ReadonlySet<BinaryOp> = new Set(["geluTanhBackward", "geluBackward"]);
const SIMD_RELU_BACKWARD: ReadonlySet<BinaryOp> = new Set(["reluBackward"]);
const SIMD_UNARY: ReadonlySet<UnaryOp> = new Set(["geluTanh", "gelu", "relu"]);
const FLOATS: readonly DType[] = ["float32", "float64"];

/**
 * Softmax of float32 rows in fewer elements stays in JS (no copies, no call into the module).
 * Measured on a 2-vCPU machine: even at about 16 elements, 3× faster at 256 and 6–10× from 4,096 up.
 */
const SOFTMAX_MIN_ELEMENTS = 64;

/**
 * Layer norm of fewer float32 elements stays in JS, where there is no scratch block to set up.
 * Measured on a 2-vCPU machine (forward / backward): 2.0 / 3.6 µs in JS vs 3.2 / 3.9 µs at 4 × 64,
 * 5.9 / 9.4 vs 4.3 / 5.7 µs at 16 × 64, 0.30 / 0.47 ms vs 0.10 / 0.10 ms at 256 × 256.
 */
const LAYER_NORM_MIN_ELEMENTS = 1024;

/** Whether the slices along `dim` are rows: no dim after it holds more than one entry. */
const alongRows = (x: CpuView, dim: number) => x.shape.length > 0 && sliceLayout(x.shape, dim).inner === 1;

/**
 * A view as the copying WebAssembly drivers take their operands: `data` is looked up each time it
 * is read, so a driver reading it after allocating its scratch block (which may grow the heap's
 * memory and detach older views) gets a view over the memory as it is then.
 */
const strided = (x: CpuView): Strided => ({
  get data() {
    return hostArray(x.buffer);
  },
  shape: x.shape,
  strides: x.strides,
  offset: x.offset,
});

const inHeap = (x: CpuView): x is View<WasmFloat32Buffer> => x.buffer instanceof WasmFloat32Buffer;
const isFloat32 = (x: CpuView) => x.buffer instanceof Float32Array || x.buffer instanceof WasmFloat32Buffer;

/**
 * A view whose typed array stays valid across allocations in the heap: a buffer in the heap is
 * copied out unless the heap's memory is shared (growing a shared memory detaches nothing).
 */
function stableHostView(x: CpuView): HostView {
  if (!inHeap(x) || wasmHeap()?.shared) return hostView(x);
  return { buffer: x.buffer.data().slice(), shape: x.shape, strides: x.strides, offset: x.offset };
}

/** What both float32 binary kernels declare: the call's dtype and elements, and the ops they have. */
const binaryF32 = {
  dtypes: ["float32"],
  dtype: (_op: BinaryOp, _a: CpuView, _b: CpuView, dtype: DType) => dtype,
  size: (_op: BinaryOp, a: CpuView) => numelOf(a.shape),
  takes: (op: BinaryOp, a: CpuView, b: CpuView) =>
    (SIMD_ARITHMETIC.has(op) || SIMD_GELU_BACKWARD.has(op) || SIMD_RELU_BACKWARD.has(op)) && isFloat32(a) && isFloat32(b),
} as const;

/** The binary kernel that copies its operands into a scratch block (see zipBinarySimd), for `ops`. */
function copyingBinaryF32(name: string, ops: ReadonlySet<BinaryOp>, minElements: number) {
  return {
    name,
    ...binaryF32,
    minElements,
    accepts: (op: BinaryOp, a: CpuView, b: CpuView) => ops.has(op) && binaryF32.takes(op, a, b),
    // operands that do not read as rows (see wasm/elementwise.ts), or memory it cannot get: declined
    run(op: BinaryOp, a: CpuView, b: CpuView): TypedArray | null {
      const out = new Float32Array(numelOf(a.shape));
      return zipBinarySimd(op, strided(a), strided(b), out) ? out : null;
    },
  };
}

/** What both float32 unary kernels declare: the call's dtype and elements, the ops and layouts they take. */
const unaryF32 = {
  dtypes: ["float32"],
  dtype: (_op: UnaryOp, _x: CpuView, dtype: DType) => dtype,
  size: (_op: UnaryOp, x: CpuView) => numelOf(x.shape),
  accepts: (op: UnaryOp, x: CpuView) => SIMD_UNARY.has(op) && isFloat32(x) && isContiguousLayout(x),
} as const;

/** What both sum kernels declare: the input's dtype and elements. */
const sumOf = { dtype: elementDType, size: (_op: ReduceOp, x: CpuView) => numelOf(x.shape) };

/**
 * The sums the SIMD kernels take: a contiguous x whose reduced dims are adjacent, an [outer, size,
 * inner] block, with inner either 1 (row sums) or at least 8. Column sums run one call per slab of
 * `outer`: with fewer columns the calls cost more than the JS loop (measured on a 2-vCPU machine,
 * 2²⁰ elements in slabs of 4 rows: 2.9 vs 2.6 ms at 4 columns, 6.9 vs 3.0 at 2; 1.7 vs 2.4 at 8).
 */
const sumSplit = (op: ReduceOp, x: CpuView, reduced: readonly boolean[]) => {
  const split = op === "sum" && isContiguousLayout(x) ? adjacentSplit(x.shape, reduced) : null;
  return split !== null && (split.inner === 1 || split.inner >= 8) ? split : null;
};

/**
 * The product kernel's threshold, in multiply-adds (n·k·m per matrix, or a convolution's), for
 * matmul and for conv2d and its gradients (most of whose work is that product): below it the JS
 * kernel is as fast, the SIMD path's fixed costs (packing into wasm memory, zeroing and copying
 * out C, padding to whole 4 × 8 tiles) being most of the ≈ 3 µs both take at 4 × 4 × 4. Measured
 * from there: 1.7 vs 3.1 µs at 8³, 7 vs 37 µs at 32³.
 */
const MIN_MULTIPLY_ADDS = 8 * 8 * 8;

export function registerWasmKernels(): void {
  // fewer elements stay in the JS loops, where there is nothing to copy; measured on a 2-vCPU
  // machine (float32 multiply, contiguous): about even at 2,048 elements, 3–5× faster from 65,536
  registerKernel("cpu", "binary", copyingBinaryF32("binaryF32Simd", SIMD_ARITHMETIC, 8192));
  // GELU's backward is worth the copies sooner: on a 2-vCPU machine (contiguous), even at 512
  // elements, 9–11 vs 12 µs at 1024 for the tanh form and 9 vs 36 µs for GELU, 50 vs 102 and 47 vs
  // 298 µs at 8192
  registerKernel("cpu", "binary", copyingBinaryF32("geluBackwardF32Simd", SIMD_GELU_BACKWARD, 1024));
  // ReLU's backward too: on a 2-vCPU machine (typed-array operands), even at 1024 elements, 10–16
  // vs 17 µs at 4096, 32–54 vs 94–99 µs at 16,384, 134–182 vs 260–306 µs at 65,536
  registerKernel("cpu", "binary", copyingBinaryF32("reluBackwardF32Simd", SIMD_RELU_BACKWARD, 1024));

  registerKernel("cpu", "unary", {
    name: "unaryF32Simd",
    ...unaryF32,
    // fewer elements stay in the JS loop; measured on a 2-vCPU machine (contiguous, typed-array
    // operands): even at 512 elements for GELU's tanh form, 4.5–5.1 vs 11 µs at 1024 and 5.5 vs
    // 26–27 µs for GELU; ReLU about even at 1024 (3.0–3.9 vs 3.0–3.3 µs)
    minElements: 1024,
    // no room in the heap for a scratch block: declined
    run(op: UnaryOp, x: CpuView): TypedArray | null {
      const out = new Float32Array(numelOf(x.shape));
      return mapUnarySimd(op, strided(x), out) ? out : null;
    },
  });

  registerKernel("cpu", "unary", {
    name: "reluStridedF32Simd",
    ...unaryF32,
    // views the kernel above declines, as [N, C, H, W] stored [C, N, H·W] (images transposed
    // from channels-first rows); measured on a 2-vCPU machine (rows of 16 and 64): even at 1024
    // elements, 2× faster at 4096, 1.3–2.5× at 32,768–65,536
    minElements: 1024,
    accepts: (op: UnaryOp, x: CpuView) => op === "relu" && isFloat32(x) && !isContiguousLayout(x) && readsAsStridedRows(x),
    run(_op: UnaryOp, x: CpuView): TypedArray | null {
      const out = new Float32Array(numelOf(x.shape));
      return stridedRowsSimd("relu", strided(x), out) ? out : null;
    },
  });
  // the same kernel copies such views contiguous (reshaping a convolution's gradient, seen
  // [C, N, H, W], into rows of channels, as its backward does under createGraph); measured on a
  // 2-vCPU machine: even at 4096 elements in rows of 64 (which the JS loop copies with `set`), 3×
  // faster at 8192 in rows of 16, 1.3× at 65,536 in rows of 64 and 4× at 32,768 in rows of 16
  registerKernel("cpu", "copy", {
    name: "copyStridedF32Simd",
    dtypes: ["float32"],
    minElements: 4096,
    dtype: (_x: CpuView, dtype: DType) => dtype,
    size: (x: CpuView) => numelOf(x.shape),
    accepts: (x: CpuView) => isFloat32(x) && !isContiguousLayout(x) && readsAsStridedRows(x),
    run(x: CpuView): TypedArray | null {
      const out = new Float32Array(numelOf(x.shape));
      return stridedRowsSimd("copy", strided(x), out) ? out : null;
    },
  });

  registerKernel("cpu", "reduce", {
    name: "sumSimd",
    dtypes: FLOATS,
    // sums of fewer elements stay in JS, where there is no copy and no call into the module;
    // measured on a 2-vCPU machine (float32, rows and columns of a square): about even at 32 × 32,
    // 1.9–3.1× faster at 64 × 64, 3.4–8× from 256 × 256 up
    minElements: 64 * 64,
    ...sumOf,
    // a typed array (a buffer in the heap is summed in place, below)
    accepts: (op: ReduceOp, x: CpuView, reduced: readonly boolean[]) => !inHeap(x) && sumSplit(op, x, reduced) !== null,
    run(_op: ReduceOp, x: CpuView, reduced: readonly boolean[], dtype: DType): TypedArray | null {
      const { outer, size, inner } = adjacentSplit(x.shape, reduced)!;
      const acc = new Float64Array(outer * inner);
      return sumContiguousSimd(hostArray(x.buffer), x.offset, outer, size, inner, acc) ? fromAccumulator(acc, dtype) : null;
    },
  });

  registerKernel("cpu", "matmul", {
    name: "matmulSimd",
    dtypes: FLOATS,
    // Large products also split over two threads (wasm/matmul.ts).
    minElements: MIN_MULTIPLY_ADDS,
    dtype: (_a: CpuView, _b: CpuView, dtype: DType) => dtype,
    size: (a: CpuView, b: CpuView) => {
      const nd = a.shape.length;
      return a.shape[nd - 2]! * a.shape[nd - 1]! * b.shape[nd - 1]!;
    },
    // a destination in the heap is written through a view, which growing an unshared memory for
    // the scratch block would detach
    accepts: (_a: CpuView, _b: CpuView, _dtype: DType, into?: CpuView) =>
      simdMatmulAvailable() && (into === undefined || !inHeap(into) || wasmHeap()?.shared === true),
    // declined (the reference kernel runs) when the heap has no room for a scratch block, having
    // written nothing (the first pair's block is the largest any pair takes)
    run(a: CpuView, b: CpuView, dtype: DType, into?: CpuView): CpuBuffer | null {
      let declined = false;
      // the driver allocates scratch blocks while it reads the operands
      const out = forEachMatrixPair(
        stableHostView(a),
        stableHostView(b),
        dtype,
        (left, right, n, k, m, out, outBase, add) => {
          declined ||= !multiplySimd(left, right, n, k, m, dtype === "float64", out, outBase, true, add);
        },
        into && hostView(into),
      );
      return declined ? null : into ? into.buffer : out;
    },
  });

  // In place: float32 operands that live in the heap (a typed-array operand is copied into a
  // block of its own first), the output a new buffer in the heap. Registered last: tried first.
  registerKernel("cpu", "binary", {
    name: "binaryF32InHeap",
    ...binaryF32,
    // nothing to copy: on a 2-vCPU machine (float32 multiply, contiguous) 4–7 vs 14–20 µs for the
    // JS kernel at 4096 elements, 5–6 vs 21–30 µs at 8192, 30–32 vs 168–193 µs at 65,536
    minElements: HEAP_MIN_ELEMENTS,
    accepts: (op: BinaryOp, a: CpuView, b: CpuView) =>
      binaryF32.takes(op, a, b) && (inHeap(a) || inHeap(b)) && readsAsRows(a) && readsAsRows(b),
    // no room in the heap for the output: declined (the copying kernel or the reference runs)
    run(op: BinaryOp, a: CpuView, b: CpuView): CpuBuffer | null {
      const out = WasmFloat32Buffer.allocate(numelOf(a.shape));
      if (out === null) return null;
      if (binaryInHeap(op, a, b, out.ptr)) return out;
      out.free();
      return null;
    },
  });

  // The write primitive's accumulation (dst += src, add_ and gradient sums) of float32: in the
  // heap where the destination lives there (registered last, tried first), else through the
  // copying kernel, which writes each block back after reading it. Smaller ones stay in the JS
  // loop, as binary's do.
  const addsFloat32 = (dst: CpuView, src: CpuView, add?: boolean) =>
    add === true && isFloat32(dst) && isFloat32(src) && dst.buffer !== src.buffer && isContiguousLayout(dst) && readsAsRows(src);
  const writeF32 = {
    dtypes: ["float32"],
    dtype: (dst: CpuView) => (isFloat32(dst) ? "float32" : "float64"),
    size: (_dst: CpuView, src: CpuView) => numelOf(src.shape),
  } as const;
  registerKernel("cpu", "write", {
    name: "addF32Simd",
    ...writeF32,
    minElements: 8192,
    accepts: (dst: CpuView, src: CpuView, add?: boolean) => !inHeap(dst) && addsFloat32(dst, src, add),
    run(dst: CpuView, src: CpuView): undefined | null {
      const out = (dst.buffer as Float32Array).subarray(dst.offset, dst.offset + numelOf(dst.shape));
      return zipBinarySimd("add", strided(dst), strided(src), out) ? undefined : null;
    },
  });
  registerKernel("cpu", "write", {
    name: "addF32InHeap",
    ...writeF32,
    minElements: HEAP_MIN_ELEMENTS,
    // the kernel stores whole vectors, up to three values past each row of n: over the destination
    // it reads from, only rows of whole vectors are safe
    accepts: (dst: CpuView, src: CpuView, add?: boolean) => inHeap(dst) && (dst.shape.at(-1) ?? 1) % 4 === 0 && addsFloat32(dst, src, add),
    run(dst: CpuView, src: CpuView): undefined | null {
      return binaryInHeap("add", dst, src, (dst.buffer as WasmFloat32Buffer).ptr + dst.offset * 4) ? undefined : null;
    },
  });

  registerKernel("cpu", "unary", {
    name: "unaryF32InHeap",
    ...unaryF32,
    // measured on a 2-vCPU machine (contiguous, 4096 elements): 11–14 vs 44–77 µs for the JS
    // kernel for GELU's tanh form, 15 vs 112–165 µs for GELU, 3–6 vs 15–26 µs for ReLU
    minElements: HEAP_MIN_ELEMENTS,
    accepts: (op: UnaryOp, x: CpuView) => unaryF32.accepts(op, x) && inHeap(x),
    // no room in the heap for the output: declined (the copying kernel or the reference runs)
    run(op: UnaryOp, x: CpuView): CpuBuffer | null {
      const n = numelOf(x.shape);
      const out = WasmFloat32Buffer.allocate(n);
      if (out === null) return null;
      if (unaryInPlace(op, (x.buffer as WasmFloat32Buffer).ptr + x.offset * 4, out.ptr, n)) return out;
      out.free();
      return null;
    },
  });

  registerKernel("cpu", "reduce", {
    name: "sumF32InHeap",
    dtypes: ["float32"],
    // measured on a 2-vCPU machine (float32, [n / 64, 64] over either axis): 8–10 vs 7–8 µs for
    // the JS kernel at 4096 elements, 8–9 vs 12–16 µs at 8192, 12–13 vs 51–62 µs at 65,536
    minElements: 8192,
    ...sumOf,
    accepts: (op: ReduceOp, x: CpuView, reduced: readonly boolean[]) => inHeap(x) && sumSplit(op, x, reduced) !== null,
    run(_op: ReduceOp, x: CpuView, reduced: readonly boolean[], dtype: DType): TypedArray | null {
      const { outer, size, inner } = adjacentSplit(x.shape, reduced)!;
      const acc = new Float64Array(outer * inner);
      const ptr = (x.buffer as WasmFloat32Buffer).ptr + x.offset * 4;
      return sumInPlace(ptr, [outer, size, inner], acc) ? fromAccumulator(acc, dtype) : null;
    },
  });

  registerKernel("cpu", "softmax", {
    name: "softmaxRowsF32Simd",
    dtypes: ["float32"],
    minElements: SOFTMAX_MIN_ELEMENTS,
    dtype: (_x: CpuView, _dim: number, _log: boolean, dtype: DType) => dtype,
    size: (x: CpuView) => numelOf(x.shape),
    accepts: (x: CpuView, dim: number) => isFloat32(x) && alongRows(x, dim),
    run(x: CpuView, dim: number, log: boolean): CpuBuffer | null {
      const { outer, size } = sliceLayout(x.shape, dim);
      return softmaxRowsSimd(x, outer, size, log)?.out ?? null;
    },
  });

  registerKernel("cpu", "softmaxBackward", {
    name: "softmaxVjpRowsF32Simd",
    dtypes: ["float32"],
    minElements: SOFTMAX_MIN_ELEMENTS,
    dtype: (_y: CpuView, _g: CpuView, _dim: number, _log: boolean, dtype: DType) => dtype,
    size: (y: CpuView) => numelOf(y.shape),
    accepts: (y: CpuView, g: CpuView, dim: number) => isFloat32(y) && isFloat32(g) && alongRows(y, dim),
    run(y: CpuView, g: CpuView, dim: number, log: boolean): CpuBuffer | null {
      const { outer, size } = sliceLayout(y.shape, dim);
      return softmaxVjpRowsSimd(y, g, outer, size, log);
    },
  });

  // cross-entropy takes each row's probabilities, max and Σ exp(x − max) from the SIMD softmax of
  // the rows; its backward, one multiply per element, stays in JS
  registerKernel("cpu", "crossEntropy", {
    name: "crossEntropyF32Simd",
    dtypes: ["float32"],
    minElements: SOFTMAX_MIN_ELEMENTS,
    dtype: (_logits: CpuView, _targets: CpuView, _ignoreIndex: number, _denominator: number, _probabilities: CpuView, dtype: DType) =>
      dtype,
    size: (logits: CpuView) => numelOf(logits.shape),
    accepts: (logits: CpuView) => isFloat32(logits),
    run(logits: CpuView, targets: CpuView, ignoreIndex: number, denominator: number, probabilities: CpuView): TypedArray | null {
      const [rows, classes] = logits.shape as [number, number];
      const softmaxRows = softmaxRowsSimd(logits, rows, classes, false, true);
      if (softmaxRows === null) return null;
      const { out, maxima, sums } = softmaxRows;
      // views over the heap taken after the kernel's allocations, which could have detached older ones
      hostArray(probabilities.buffer).set(hostArray(out), probabilities.offset);
      if (out instanceof WasmFloat32Buffer) out.free();
      const x = hostView(logits);
      const [rowStride, classStride] = x.strides as [number, number];
      const targetsView = hostView(targets);
      let total = 0;
      for (let n = 0; n < rows; n++) {
        const target = targetOf(targetsView, n);
        if (target !== ignoreIndex) total += maxima[n]! + Math.log(sums[n]!) - x.buffer[x.offset + n * rowStride + target * classStride]!;
      }
      return Float32Array.of(total / denominator);
    },
  });

  registerKernel("cpu", "layerNorm", {
    name: "layerNormF32Simd",
    dtypes: ["float32"],
    minElements: LAYER_NORM_MIN_ELEMENTS,
    dtype: (_x: CpuView, _weight: CpuView | null, _bias: CpuView | null, _eps: number, dtype: DType) => dtype,
    size: (x: CpuView) => numelOf(x.shape),
    accepts: (x: CpuView) => isFloat32(x),
    run: (x: CpuView, weight: CpuView | null, bias: CpuView | null, eps: number) => layerNormSimd(x, weight, bias, eps),
  });

  registerKernel("cpu", "layerNormBackward", {
    name: "layerNormBackwardF32Simd",
    dtypes: ["float32"],
    minElements: LAYER_NORM_MIN_ELEMENTS,
    dtype: (_x: CpuView, _g: CpuView, _mean: CpuView, _rstd: CpuView, _weight: CpuView | null, dtype: DType) => dtype,
    size: (x: CpuView) => numelOf(x.shape),
    accepts: (x: CpuView, g: CpuView) => isFloat32(x) && isFloat32(g),
    run: (x: CpuView, g: CpuView, mean: CpuView, rstd: CpuView, weight: CpuView | null) => layerNormBackwardSimd(x, g, mean, rstd, weight),
  });

  // The window kernels copy their operand into the heap whole (one copy of the storage its view
  // spans, however strided) and their results out, ≈ 4 µs a call more than the JS loops. Measured
  // on a 2-vCPU machine (float32, 3 × 3 windows, padding 1): im2col and col2im even at 2304
  // elements stepping 1 (of the columns), 1.7 and 2.3× faster at 9216, 1.7 and 3.1× at 36,864;
  // stepping 2, even at 3456–9216. Max pooling (2 × 2) even at 1024 elements of x, 1.5× at 4096,
  // 2–5× from 65,536.
  const windowDType = (_x: CpuView, _geometry: WindowGeometry, dtype: DType) => dtype;
  /** The elements of x's columns: N·C·kH·kW·outH·outW. */
  const columnsOf = (x: CpuView, g: WindowGeometry) => x.shape[0]! * x.shape[1]! * g.kernel[0] * g.kernel[1] * g.out[0] * g.out[1];
  registerKernel("cpu", "im2col", {
    name: "im2colF32Simd",
    dtypes: ["float32"],
    minElements: 4096,
    dtype: windowDType,
    size: columnsOf,
    accepts: (x: CpuView) => isFloat32(x),
    run(x: CpuView, geometry: WindowGeometry): TypedArray | null {
      const out = new Float32Array(columnsOf(x, geometry));
      return im2colSimd(strided(x), geometry, out) ? out : null;
    },
  });
  registerKernel("cpu", "col2im", {
    name: "col2imF32Simd",
    dtypes: ["float32"],
    minElements: 4096,
    dtype: (_columns: CpuView, _geometry: WindowGeometry, _size: readonly [number, number], dtype: DType) => dtype,
    size: (columns: CpuView) => numelOf(columns.shape),
    accepts: (columns: CpuView) => isFloat32(columns),
    run(columns: CpuView, geometry: WindowGeometry, size: readonly [number, number]): TypedArray | null {
      const [batch, taps] = columns.shape as [number, number];
      const out = new Float32Array((batch * taps * size[0] * size[1]) / (geometry.kernel[0] * geometry.kernel[1]));
      return col2imSimd(strided(columns), geometry, size, out) ? out : null;
    },
  });
  registerKernel("cpu", "maxPool", {
    name: "maxPool2x2F32Simd",
    dtypes: ["float32"],
    minElements: 1024,
    dtype: windowDType,
    size: (x: CpuView) => numelOf(x.shape),
    accepts: (x: CpuView, geometry: WindowGeometry) => isFloat32(x) && x.strides[3] === 1 && isPairPool(geometry, x.shape[2]!, x.shape[3]!),
    run(x: CpuView, geometry: WindowGeometry): { values: CpuBuffer; indices: CpuBuffer } | null {
      const windows = x.shape[0]! * x.shape[1]! * geometry.out[0] * geometry.out[1];
      const values = new Float32Array(windows);
      const indices = new Int32Array(windows);
      return maxPool2x2Simd(strided(x), geometry, values, indices) ? { values, indices } : null;
    },
  });

  // The convolution and its gradients from as many multiply-adds as the matmul kernel: most of
  // their work is the product, which their references do with the JS matmul.
  registerKernel("cpu", "conv2d", {
    name: "conv2dF32Simd",
    dtypes: ["float32"],
    minElements: MIN_MULTIPLY_ADDS,
    dtype: (_x: CpuView, _weight: CpuView, _bias: CpuView | null, _geometry: WindowGeometry, _groups: number, dtype: DType) => dtype,
    /** Multiply-adds: N·O·outH·outW·(C/groups)·kH·kW. */
    size: (x: CpuView, weight: CpuView, _bias: CpuView | null, g: WindowGeometry) =>
      x.shape[0]! * g.out[0] * g.out[1] * numelOf(weight.shape),
    accepts: (x: CpuView, weight: CpuView, bias: CpuView | null) =>
      simdMatmulAvailable() && isFloat32(x) && isFloat32(weight) && (bias === null || isFloat32(bias)),
    run(x: CpuView, weight: CpuView, bias: CpuView | null, geometry: WindowGeometry, groups: number): TypedArray | null {
      const out = new Float32Array(x.shape[0]! * weight.shape[0]! * geometry.out[0] * geometry.out[1]);
      const biasView = bias === null ? null : stableHostView(bias);
      return conv2dSimd(strided(x), stableHostView(weight), biasView, geometry, groups, out) ? out : null;
    },
  });

  registerKernel("cpu", "conv2dWeightGrad", {
    name: "conv2dWeightGradF32Simd",
    dtypes: ["float32"],
    minElements: MIN_MULTIPLY_ADDS,
    dtype: (_x: CpuView, _gradOut: CpuView, _geometry: WindowGeometry, _groups: number, dtype: DType) => dtype,
    /** Multiply-adds: N·O·outH·outW·(C/groups)·kH·kW. */
    size: (x: CpuView, gradOut: CpuView, g: WindowGeometry, groups: number) =>
      (numelOf(gradOut.shape) * x.shape[1]! * g.kernel[0] * g.kernel[1]) / groups,
    accepts: (x: CpuView, gradOut: CpuView) => simdMatmulAvailable() && isFloat32(x) && isFloat32(gradOut),
    run(x: CpuView, gradOut: CpuView, geometry: WindowGeometry, groups: number): TypedArray | null {
      const out = new Float32Array((gradOut.shape[1]! * x.shape[1]! * geometry.kernel[0] * geometry.kernel[1]) / groups);
      return conv2dWeightGradSimd(strided(x), strided(gradOut), geometry, groups, out) ? out : null;
    },
  });
  registerKernel("cpu", "conv2dInputGrad", {
    name: "conv2dInputGradF32Simd",
    dtypes: ["float32"],
    minElements: MIN_MULTIPLY_ADDS,
    dtype: (
      _gradOut: CpuView,
      _weight: CpuView,
      _geometry: WindowGeometry,
      _groups: number,
      _size: readonly [number, number],
      dtype: DType,
    ) => dtype,
    /** Multiply-adds: N·O·outH·outW·(C/groups)·kH·kW. */
    size: (gradOut: CpuView, weight: CpuView) => numelOf(gradOut.shape) * numelOf(weight.shape.slice(1)),
    accepts: (gradOut: CpuView, weight: CpuView) => simdMatmulAvailable() && isFloat32(gradOut) && isFloat32(weight),
    run(gradOut: CpuView, weight: CpuView, geometry: WindowGeometry, groups: number, size: readonly [number, number]): TypedArray | null {
      const out = new Float32Array(gradOut.shape[0]! * weight.shape[1]! * groups * size[0] * size[1]);
      return conv2dInputGradSimd(strided(gradOut), stableHostView(weight), geometry, groups, size, out) ? out : null;
    },
  });

  registerKernel("cpu", "optimizerUpdate", {
    name: "updateF32Simd",
    dtypes: ["float32"],
    // fewer elements stay in the JS loop, where there is nothing to copy (≈ even at 16 elements)
    minElements: 32,
    dtype: (_step: OptimizerStep, param: CpuView) => (isFloat32(param) ? "float32" : "float64"),
    size: (_step: OptimizerStep, param: CpuView) => numelOf(param.shape),
    accepts: (step: OptimizerStep) => simdUpdateRule(step.rule),
    run: (step: OptimizerStep, param: CpuView, grad: CpuView, state: readonly (CpuView | null)[]) =>
      updateSimd(step, param, grad, state) ? undefined : null,
  });
}

/**
 * op(a, b) of float32 operands that read as rows into the heap at byte offset `out`, which may be
 * where `a` lies if its rows are whole vectors (each vector is read before it is written, but the
 * last of a row writes up to three values past it); an operand outside the heap is copied into a
 * block of its own first. False when the heap has no room for such a copy.
 */
function binaryInHeap(op: BinaryOp, a: CpuView, b: CpuView, out: number): boolean {
  const copies: WasmFloat32Buffer[] = [];
  const operand = (x: CpuView): HeapOperand | null => {
    if (inHeap(x)) return { ptr: x.buffer.ptr, shape: x.shape, strides: x.strides, offset: x.offset };
    const copy = WasmFloat32Buffer.from(x.buffer as Float32Array);
    if (copy === null) return null;
    copies.push(copy);
    return { ptr: copy.ptr, shape: x.shape, strides: x.strides, offset: x.offset };
  };
  try {
    const left = operand(a);
    const right = left && operand(b);
    return left !== null && right !== null && binaryRowsInPlace(op, left, right, out);
  } finally {
    for (const copy of copies) copy.free();
  }
}

/** The dtype of a reduction's input, read from its buffer. */
function elementDType(_op: ReduceOp, x: CpuView): DType {
  const buffer = x.buffer;
  if (buffer instanceof Float64Array) return "float64";
  return buffer instanceof Float32Array || buffer instanceof WasmFloat32Buffer ? "float32" : "int32";
}

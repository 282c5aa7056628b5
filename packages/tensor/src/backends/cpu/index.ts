import type { BackendDefinition, View } from "../backend";
import { registerBackend } from "../registry";
import { allocateBuffer, type CpuBuffer, hostArray, hostView, uploadBuffer } from "./buffer";
import { binary, clamp, compare, fillStrided, inRange, selectWhere, toContiguous, unary, write } from "./elementwise";
import type { HostView } from "./iterate";
import { gatherAlong, scatterAddAlong } from "./indexing";
import { layerNormBackwardRows, layerNormRows } from "./layer-norm";
import { matmulBatched } from "./matmul";
import { optimizerUpdate } from "./optimizer";
import { argReduce, reduceAxes } from "./reduce";
import { sortAlong } from "./sort";
import { scanAlong } from "./scan";
import { crossEntropyBackwardRows, crossEntropyRows, softmaxAlong, softmaxBackwardAlong } from "./softmax";
import { registerWasmKernels } from "./wasm-kernels";
import { col2im, conv2d, conv2dInputGrad, conv2dWeightGrad, im2col, maxPool } from "./windows";

/**
 * The CPU backend: a buffer is a typed array (bool as 0/1 bytes), or float32 values living in the
 * WebAssembly heap (buffer.ts), and every primitive has its JS reference kernel here. Each takes
 * the typed arrays of its operands right before it runs (hostView) and returns a new typed array;
 * the WebAssembly SIMD kernels are registered beside them (wasm-kernels.ts); the registry chooses.
 */
export const cpuDefinition: BackendDefinition<CpuBuffer> = {
  device: "cpu",
  allocate: allocateBuffer,
  upload: uploadBuffer,
  sizeOf: (buffer) => buffer.length,
  // always a new array: a view over the heap would be detached by the next growth of its memory
  readSync: (view, dtype) => toContiguous(hostView(view), dtype),
  read: async (view, dtype) => toContiguous(hostView(view), dtype),
  hostArray,
  kernels: {
    unary: (op, x, dtype) => unary(op, hostView(x), dtype),
    binary: (op, a, b, dtype) => binary(op, hostView(a), hostView(b), dtype),
    compare: (op, a, b) => compare(op, hostView(a), hostView(b)),
    where: (cond, a, b, dtype) => selectWhere(hostView(cond), hostView(a), hostView(b), dtype),
    clamp: (x, min, max, dtype) => clamp(hostView(x), min, max, dtype),
    inRange: (x, min, max) => inRange(hostView(x), min, max),
    copy: (x, dtype) => toContiguous(hostView(x), dtype),
    write: (dst, src, add) => write(hostView(dst), hostView(src), add),
    fill: (dst, value) => fillStrided(hostView(dst), value),
    reduce: (op, x, reduced, dtype) => reduceAxes(op, hostView(x), reduced, dtype),
    argReduce: (op, x, dim) => argReduce(op, hostView(x), dim),
    scan: (op, x, dim, reverse, dtype) => scanAlong(op, hostView(x), dim, reverse, dtype),
    matmul: (a, b, dtype, into) => {
      if (into === undefined) return matmulBatched(hostView(a), hostView(b), dtype);
      matmulBatched(hostView(a), hostView(b), dtype, hostView(into));
      return into.buffer;
    },
    gather: (x, dim, index, dtype) => gatherAlong(hostView(x), dim, hostView(index), dtype),
    scatterAdd: (target, dim, index, src) => scatterAddAlong(hostView(target), dim, hostView(index), hostView(src)),
    sort: (x, dim, descending) => sortAlong(hostView(x), dim, descending),
    softmax: (x, dim, log, dtype) => softmaxAlong(hostView(x), dim, log, dtype),
    softmaxBackward: (y, g, dim, log, dtype) => softmaxBackwardAlong(hostView(y), hostView(g), dim, log, dtype),
    crossEntropy: (logits, targets, ignoreIndex, denominator, probabilities, dtype) =>
      crossEntropyRows(hostView(logits), hostView(targets), ignoreIndex, denominator, hostView(probabilities), dtype),
    crossEntropyBackward: (probabilities, targets, ignoreIndex, scale, dtype) =>
      crossEntropyBackwardRows(hostView(probabilities), hostView(targets), ignoreIndex, scale, dtype),
    layerNorm: (x, weight, bias, eps, dtype) => layerNormRows(hostView(x), hostOrNull(weight), hostOrNull(bias), eps, dtype),
    layerNormBackward: (x, g, mean, rstd, weight, dtype) =>
      layerNormBackwardRows(hostView(x), hostView(g), hostView(mean), hostView(rstd), hostOrNull(weight), dtype),
    // in place: the typed arrays over the heap stay valid, as the loop allocates nothing
    optimizerUpdate: (step, param, grad, state) => optimizerUpdate(step, hostView(param), hostView(grad), state.map(hostOrNull)),
    im2col: (x, geometry, dtype) => im2col(hostView(x), geometry, dtype),
    col2im: (columns, geometry, size, dtype) => col2im(hostView(columns), geometry, size, dtype),
    conv2d: (x, weight, bias, geometry, groups, dtype) => conv2d(hostView(x), hostView(weight), hostOrNull(bias), geometry, groups, dtype),
    conv2dWeightGrad: (x, gradOut, geometry, groups, dtype) => conv2dWeightGrad(hostView(x), hostView(gradOut), geometry, groups, dtype),
    conv2dInputGrad: (gradOut, weight, geometry, groups, size, dtype) =>
      conv2dInputGrad(hostView(gradOut), hostView(weight), geometry, groups, size, dtype),
    maxPool: (x, geometry, dtype) => maxPool(hostView(x), geometry, dtype),
  },
};

/** hostView of an optional operand. */
function hostOrNull(view: View<CpuBuffer> | null): HostView | null {
  return view === null ? null : hostView(view);
}

export const cpu = registerBackend(cpuDefinition);
registerWasmKernels();

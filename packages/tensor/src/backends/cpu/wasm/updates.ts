import { numelOf } from "../../../shape";
import type { View } from "../../backend";
import type { OptimizerStep } from "../../primitives";
import { type CpuBuffer, hostArray } from "../buffer";
import { adamScalars, sgdScalars } from "../optimizer";
import type { WasmHeap } from "./heap";
import { UPDATES_WASM_BASE64 } from "./updates-binary";
import { float32RegionBytes, lazyWasmKernels } from "./wasm-api";

// The driver of updates.wat: a float32 parameter's SGD, Adam or AdamW update four elements at a
// time, registered beside optimizerUpdate's reference kernel (cpu/optimizer.ts). V8 runs the JS
// loops one element at a time with a float64 division and square root each; here they are vector
// instructions, and copying the arrays in and out costs less than that saves.

/** Pointers are byte offsets into the heap's memory; flags are 0 or 1. */
interface UpdateKernels {
  adamF32(
    theta: number,
    g: number,
    m: number,
    v: number,
    vMax: number,
    n: number,
    shrink: number,
    decay: number,
    beta1: number,
    beta2: number,
    gradScale1: number,
    gradScale2: number,
    correction2: number,
    eps: number,
    negativeStepSize: number,
    decoupled: number,
    decayGrad: number,
    amsgrad: number,
  ): void;
  sgdF32(
    theta: number,
    g: number,
    buffer: number,
    n: number,
    decay: number,
    momentum: number,
    directionScale: number,
    negativeLr: number,
    hasDecay: number,
    hasBuffer: number,
    startsBuffer: number,
    nesterov: number,
  ): void;
}

/**
 * Elements per block: a parameter is updated a block at a time, so the scratch in the heap holds a
 * few blocks (never a copy of a parameter of any size) and each block's arrays stay in cache between
 * the copy in, the kernel and the copy out.
 */
const BLOCK_ELEMENTS = 16384;

const simdKernels = /* @__PURE__ */ lazyWasmKernels<UpdateKernels>(UPDATES_WASM_BASE64);

/** Whether the WebAssembly SIMD updates can run here. */
export function simdUpdatesAvailable(): boolean {
  return simdKernels() !== null;
}

/**
 * Runs `kernel` over the views' elements (contiguous float32, as optimizerUpdate requires) a block
 * at a time: each block is copied into a scratch block of the heap, one region per view (aligned
 * and with slack, see float32RegionBytes; absent views get a region that stays unused), `kernel`
 * gets the regions' byte offsets and the block's length, and the views marked in `written` are
 * copied back. False, having done nothing, when the heap cannot give the scratch.
 */
function updateInBlocks(
  heap: WasmHeap,
  tensors: readonly (View<CpuBuffer> | null)[],
  written: readonly boolean[],
  n: number,
  kernel: (at: readonly number[], count: number) => void,
): boolean {
  const block = Math.min(n, BLOCK_ELEMENTS);
  const stride = float32RegionBytes(block);
  const scratch = heap.allocate(tensors.length * stride);
  if (scratch === null) return false;
  const values = scratch.f32();
  const at = tensors.map((_, k) => scratch.ptr + k * stride);
  const first = tensors.map((_, k) => (k * stride) / 4);
  try {
    for (let start = 0; start < n; start += block) {
      const count = Math.min(block, n - start);
      tensors.forEach((t, k) => {
        if (t !== null) values.set(hostArray(t.buffer).subarray(t.offset + start, t.offset + start + count), first[k]);
      });
      kernel(at, count);
      tensors.forEach((t, k) => {
        if (t !== null && written[k]) hostArray(t.buffer).set(values.subarray(first[k]!, first[k]! + count), t.offset + start);
      });
    }
  } finally {
    scratch.free();
  }
  return true;
}

/** Whether updateSimd has a kernel for the rule (SGD, Adam and AdamW; the others stay in JS). */
export function simdUpdateRule(rule: OptimizerStep["rule"]): boolean {
  return rule === "sgd" || rule === "adam" || rule === "adamw";
}

/**
 * optimizerUpdate of a float32 parameter (SGD, Adam or AdamW, see simdUpdateRule) through the SIMD
 * kernels, writing the parameter and its state in place with the same scalars, rounded to float32,
 * as the reference kernel. False, having done nothing, for another rule, a full heap or without
 * WebAssembly SIMD: the reference kernel runs then.
 */
export function updateSimd(
  step: OptimizerStep,
  param: View<CpuBuffer>,
  grad: View<CpuBuffer>,
  state: readonly (View<CpuBuffer> | null)[],
): boolean {
  const n = numelOf(param.shape);
  const kernels = simdKernels();
  if (kernels === null || n === 0) return false;
  if (step.rule === "sgd") {
    const s = sgdScalars(true, step);
    const buffer = state[0] ?? null;
    return updateInBlocks(kernels.heap, [param, grad, buffer], [true, false, true], n, ([thetaAt, gAt, bufferAt], count) =>
      kernels.exports.sgdF32(
        thetaAt!,
        gAt!,
        bufferAt!,
        count,
        s.decay,
        s.momentum,
        s.directionScale,
        s.negativeLr,
        step.weightDecay !== 0 ? 1 : 0,
        buffer !== null ? 1 : 0,
        step.startsBuffer ? 1 : 0,
        step.nesterov ? 1 : 0,
      ),
    );
  }
  if (step.rule !== "adam" && step.rule !== "adamw") return false;
  const s = adamScalars(true, step);
  const vMax = step.amsgrad ? (state[2] ?? null) : null;
  return updateInBlocks(
    kernels.heap,
    [param, grad, state[0]!, state[1]!, vMax],
    [true, false, true, true, true],
    n,
    ([thetaAt, gAt, mAt, vAt, vMaxAt], count) =>
      kernels.exports.adamF32(
        thetaAt!,
        gAt!,
        mAt!,
        vAt!,
        vMaxAt!,
        count,
        s.shrink,
        s.decay,
        s.beta1,
        s.beta2,
        s.gradScale1,
        s.gradScale2,
        s.correction2,
        s.eps,
        s.negativeStepSize,
        s.decoupled ? 1 : 0,
        s.decayGrad ? 1 : 0,
        vMax !== null ? 1 : 0,
      ),
  );
}

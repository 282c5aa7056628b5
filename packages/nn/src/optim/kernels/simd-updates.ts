import type { Tensor } from "@nabla/tensor";
import { float32RegionBytes, lazyWasmKernels, useWasmKernel, type WasmHeap, type WasmKernelSize } from "@nabla/tensor/internal";
import { UPDATES_WASM_BASE64 } from "./updates-binary";

// Drivers of updates.wat: a float32 parameter's update four elements at a time. V8 runs the JS
// fused loops one element at a time with a float64 division and square root each; here they are
// vector instructions, and copying the arrays in and out costs less than that saves.

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

/** Fewer elements stay in the JS loop, where there is nothing to copy (≈ even at 16 elements). */
const FUSED_UPDATES: WasmKernelSize = { minElements: 32 };

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

/** The kernels when n elements should go through them (as useWasmKernel decides). */
function useSimd(n: number): ReturnType<typeof simdKernels> {
  return n === 0 || !useWasmKernel(FUSED_UPDATES, n) ? null : simdKernels();
}

/**
 * Runs `kernel` over the tensors' elements (contiguous float32, as canFuseUpdate checked) a block
 * at a time: each block is copied into a scratch block of the heap, one region per tensor (aligned
 * and with slack, see float32RegionBytes; absent tensors get a region that stays unused), `kernel`
 * gets the regions' byte offsets and the block's length, and the tensors marked in `written` are
 * copied back. False, having done nothing, when the heap cannot give the scratch.
 */
function updateInBlocks(
  heap: WasmHeap,
  tensors: readonly (Tensor | null)[],
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
        if (t !== null) values.set((t.storage.data as Float32Array).subarray(t.offset + start, t.offset + start + count), first[k]);
      });
      kernel(at, count);
      tensors.forEach((t, k) => {
        if (t !== null && written[k]) t.storage.data.set(values.subarray(first[k]!, first[k]! + count), t.offset + start);
      });
    }
  } finally {
    scratch.free();
  }
  return true;
}

/** The scalars of one Adam step, each already rounded to float32 as adam.ts rounds them. */
export interface AdamScalars {
  shrink: number;
  decay: number;
  beta1: number;
  beta2: number;
  gradScale1: number;
  gradScale2: number;
  correction2: number;
  eps: number;
  negativeStepSize: number;
  decoupled: boolean;
  decayGrad: boolean;
}

/**
 * adam.ts's fused update of a float32 parameter through the SIMD kernel, writing θ, m, v (and v̂
 * with amsgrad) in place. False, having done nothing, for float64, few elements (as useWasmKernel
 * decides), a full heap or without WebAssembly SIMD: the JS loop runs then.
 */
export function adamUpdateSimd(theta: Tensor, g: Tensor, m: Tensor, v: Tensor, vMax: Tensor | null, s: AdamScalars): boolean {
  const n = theta.numel;
  const kernels = theta.dtype === "float32" ? useSimd(n) : null;
  if (kernels === null) return false;
  return updateInBlocks(
    kernels.heap,
    [theta, g, m, v, vMax],
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

/** The scalars of one SGD step, each already rounded to float32 as sgd.ts rounds them. */
export interface SgdScalars {
  decay: number;
  momentum: number;
  directionScale: number;
  negativeLr: number;
  hasDecay: boolean;
  startsBuffer: boolean;
  nesterov: boolean;
}

/** sgd.ts's fused update of a float32 parameter through the SIMD kernel, as adamUpdateSimd. */
export function sgdUpdateSimd(theta: Tensor, g: Tensor, buffer: Tensor | null, s: SgdScalars): boolean {
  const n = theta.numel;
  const kernels = theta.dtype === "float32" ? useSimd(n) : null;
  if (kernels === null) return false;
  return updateInBlocks(kernels.heap, [theta, g, buffer], [true, false, true], n, ([thetaAt, gAt, bufferAt], count) =>
    kernels.exports.sgdF32(
      thetaAt!,
      gAt!,
      bufferAt!,
      count,
      s.decay,
      s.momentum,
      s.directionScale,
      s.negativeLr,
      s.hasDecay ? 1 : 0,
      buffer !== null ? 1 : 0,
      s.startsBuffer ? 1 : 0,
      s.nesterov ? 1 : 0,
    ),
  );
}

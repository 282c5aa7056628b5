import type { Tensor } from "@nabla/tensor";
import { float32RegionBytes, growWasmMemory, lazyWasmKernels, type WasmMemory } from "@nabla/tensor/internal";
import { UPDATES_WASM_BASE64 } from "./updates-binary";

// Drivers of updates.wat: a float32 parameter's update four elements at a time. V8 runs the JS
// fused loops one element at a time with a float64 division and square root each; here they are
// vector instructions, and copying the arrays in and out costs less than that saves.

/** Pointers are byte offsets into the module's memory; flags are 0 or 1. */
interface UpdateKernels {
  adamF32(
    theta: number, g: number, m: number, v: number, vMax: number, n: number,
    shrink: number, decay: number, beta1: number, beta2: number, gradScale1: number, gradScale2: number,
    correction2: number, eps: number, negativeStepSize: number,
    decoupled: number, decayGrad: number, amsgrad: number,
  ): void;
  sgdF32(
    theta: number, g: number, buffer: number, n: number,
    decay: number, momentum: number, directionScale: number, negativeLr: number,
    hasDecay: number, hasBuffer: number, startsBuffer: number, nesterov: number,
  ): void;
}

const MAX_PAGES = 32768; // 2 GiB, the maximum updates.wat declares

/** Fewer elements stay in the JS loop, where there is nothing to copy (≈ even at 16 elements). */
const SIMD_MIN_ELEMENTS = 32;

const simdKernels = /* @__PURE__ */ lazyWasmKernels<UpdateKernels>(UPDATES_WASM_BASE64, MAX_PAGES);

/** Whether the WebAssembly SIMD updates can run here. */
export function simdUpdatesAvailable(): boolean {
  return simdKernels() !== null;
}

/** The kernels when n elements should go through them (`force` waives the size threshold, for tests). */
function useSimd(n: number, force: boolean): ReturnType<typeof simdKernels> {
  return n === 0 || (!force && n < SIMD_MIN_ELEMENTS) ? null : simdKernels();
}

/**
 * Copies the tensors' elements (contiguous float32, as canFuseUpdate checked) into the module's
 * memory one after another, each region aligned and with slack (see float32RegionBytes), and
 * returns their byte offsets.
 */
function copyIn(memory: WasmMemory, tensors: readonly (Tensor | null)[], n: number): number[] {
  const stride = float32RegionBytes(n);
  growWasmMemory(memory, tensors.length * stride);
  const heap = new Float32Array(memory.buffer);
  return tensors.map((t, k) => {
    if (t !== null) heap.set((t.storage.data as Float32Array).subarray(t.offset, t.offset + n), (k * stride) / 4);
    return k * stride;
  });
}

function copyOut(memory: WasmMemory, t: Tensor, at: number, n: number): void {
  t.storage.data.set(new Float32Array(memory.buffer, at, n), t.offset);
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
 * with amsgrad) in place. False, having done nothing, for float64, few elements (`force` skips that
 * check, for tests) or without WebAssembly SIMD: the JS loop runs then.
 */
export function adamUpdateSimd(theta: Tensor, g: Tensor, m: Tensor, v: Tensor, vMax: Tensor | null, s: AdamScalars, force = false): boolean {
  const n = theta.numel;
  const kernels = theta.dtype === "float32" ? useSimd(n, force) : null;
  if (kernels === null) return false;
  const [thetaAt, gAt, mAt, vAt, vMaxAt] = copyIn(kernels.memory, [theta, g, m, v, vMax], n) as [number, number, number, number, number];
  kernels.exports.adamF32(
    thetaAt, gAt, mAt, vAt, vMaxAt, n,
    s.shrink, s.decay, s.beta1, s.beta2, s.gradScale1, s.gradScale2, s.correction2, s.eps, s.negativeStepSize,
    s.decoupled ? 1 : 0, s.decayGrad ? 1 : 0, vMax !== null ? 1 : 0,
  );
  copyOut(kernels.memory, theta, thetaAt, n);
  copyOut(kernels.memory, m, mAt, n);
  copyOut(kernels.memory, v, vAt, n);
  if (vMax !== null) copyOut(kernels.memory, vMax, vMaxAt, n);
  return true;
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
export function sgdUpdateSimd(theta: Tensor, g: Tensor, buffer: Tensor | null, s: SgdScalars, force = false): boolean {
  const n = theta.numel;
  const kernels = theta.dtype === "float32" ? useSimd(n, force) : null;
  if (kernels === null) return false;
  const [thetaAt, gAt, bufferAt] = copyIn(kernels.memory, [theta, g, buffer], n) as [number, number, number];
  kernels.exports.sgdF32(
    thetaAt, gAt, bufferAt, n,
    s.decay, s.momentum, s.directionScale, s.negativeLr,
    s.hasDecay ? 1 : 0, buffer !== null ? 1 : 0, s.startsBuffer ? 1 : 0, s.nesterov ? 1 : 0,
  );
  copyOut(kernels.memory, theta, thetaAt, n);
  if (buffer !== null) copyOut(kernels.memory, buffer, bufferAt, n);
  return true;
}

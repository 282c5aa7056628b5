import { float32RegionBytes, growWasmMemory, lazyWasmKernels, type WasmMemory } from "@nabla/tensor";
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

const simdKernels = lazyWasmKernels<UpdateKernels>(UPDATES_WASM_BASE64, MAX_PAGES);

/** Whether the WebAssembly SIMD updates can run here. */
export function simdUpdatesAvailable(): boolean {
  return simdKernels() !== null;
}

/** The kernels when n elements should go through them (`force` waives the size threshold, for tests). */
function useSimd(n: number, force: boolean): ReturnType<typeof simdKernels> {
  return n === 0 || (!force && n < SIMD_MIN_ELEMENTS) ? null : simdKernels();
}

/** A float32 array's n elements from `offset`: a parameter, its gradient or a state buffer. */
export interface Float32Run {
  data: Float32Array;
  offset: number;
}

/**
 * Copies the runs into the module's memory one after another (each 16-byte aligned, with 16 bytes
 * of slack for the kernels' whole-vector reads and writes) and returns their byte offsets.
 */
function copyIn(memory: WasmMemory, runs: readonly (Float32Run | null)[], n: number): number[] {
  const stride = float32RegionBytes(n);
  growWasmMemory(memory, runs.length * stride);
  const heap = new Float32Array(memory.buffer);
  return runs.map((run, k) => {
    if (run !== null) heap.set(run.data.subarray(run.offset, run.offset + n), (k * stride) / 4);
    return k * stride;
  });
}

function copyOut(memory: WasmMemory, run: Float32Run, at: number, n: number): void {
  run.data.set(new Float32Array(memory.buffer, at, n), run.offset);
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
 * adam.ts's fused float32 update of n elements through the SIMD kernel, writing θ, m, v (and v̂
 * with amsgrad) in place. False, having done nothing, for few elements (`force` skips that check,
 * for tests) or without WebAssembly SIMD: the JS loop runs then.
 */
export function adamUpdateSimd(
  n: number,
  theta: Float32Run,
  g: Float32Run,
  m: Float32Run,
  v: Float32Run,
  vMax: Float32Run | null,
  s: AdamScalars,
  force = false,
): boolean {
  const kernels = useSimd(n, force);
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

/** sgd.ts's fused float32 update through the SIMD kernel, as adamUpdateSimd. */
export function sgdUpdateSimd(n: number, theta: Float32Run, g: Float32Run, buffer: Float32Run | null, s: SgdScalars, force = false): boolean {
  const kernels = useSimd(n, force);
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

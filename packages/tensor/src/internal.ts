/**
 * `@nabla/tensor/internal`: plumbing shared with @nabla/ops and @nabla/nn, which ship WebAssembly
 * kernels of their own and check their arguments as @nabla/tensor does. Not public API: it may
 * change or go away in any release, without notice. Users import from `@nabla/tensor`.
 */

export { lazyWasmKernels, growWasmMemory, float32RegionBytes, wasmMemoryBytes } from "./backends/cpu/wasm/wasm-api";
export type { WasmKernels, WasmMemory } from "./backends/cpu/wasm/wasm-api";
export { useWasmKernel } from "./backends/registry";
export type { KernelSize as WasmKernelSize } from "./backends/registry";
export { markWritten } from "./elements";
export { describeValue } from "./errors";
export { checkTensor, checkNumber, checkInteger, checkBoolean, checkFunction, checkOptions, checkDims, checkIntegers } from "./args";
// scatterAdd without the index range check, for indices a kernel made (valid by construction)
export { scatterAddOp as scatterAddUnchecked } from "./ops/indexing";
export type { WindowGeometry } from "./backends/primitives";

/**
 * `@nabla/tensor/internal`: plumbing shared with @nabla/ops and @nabla/nn, which run primitives
 * (optimizerUpdate's step type, the in-place write record) and check their arguments as
 * @nabla/tensor does, and with the benchmarks (the WebAssembly heap's size). Not public API: it
 * may change or go away in any release, without notice. Users import from `@nabla/tensor`.
 */

export { wasmMemoryBytes } from "./backends/cpu/wasm/wasm-api";
export { markWritten } from "./elements";
export type { OptimizerStep } from "./backends/primitives";
export { describeValue } from "./errors";
export { checkTensor, checkNumber, checkInteger, checkBoolean, checkOptions, checkIntegers } from "./args";
// scatterAdd into zeros without the index range check, for indices a kernel made (valid by construction)
export { scatterAddToZeros } from "./ops/indexing";
// a product added into a gradient the engine holds, for backward rules (see accumulateInto)
export { matmulInto } from "./ops/linalg";
export type { WindowGeometry } from "./backends/primitives";
// the number of elements of a shape (the product of its sizes)
export { numelOf } from "./shape";
// PyTorch's uniform_ and normal_ kernels on a generator, for the initializers of @nabla/nn
export { defaultGenerator, normalFill, uniformFill } from "./random";

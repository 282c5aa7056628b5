/**
 * Everything `@nabla/tensor` exports, without the op methods on `Tensor`: the ops are called as
 * functions (`add(x, y)`, not `x.add(y)`), so a bundler keeps only the ops a program imports, as
 * tfjs-core's `dist/base` leaves out the chained ops. The CPU backend and its kernels register as
 * with the main entry. Importing `@nabla/tensor` anywhere in the program installs the methods.
 *
 * @module @nabla/tensor/functional
 */
export { Tensor, Storage } from "./tensor";
export { isTensor, version } from "./copies";
export type { NestedArray, TensorLike, Dims } from "./tensor";
export type { DType, TypedArray } from "./dtype";
export { promoteTypes, resultType } from "./dtype";
export type { Shape } from "./shape";
export { formatShape, broadcastShapes, normalizeDim, normalizeDims, MAX_DIMS } from "./shape";
export type { Layout } from "./layout";
export { NablaError } from "./errors";
export type { Device } from "./device";
export { setDefaultDevice, getDefaultDevice } from "./device";
export { tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, rand, randn, randint, randperm } from "./creation";
export type { TensorOptions, RandomOptions } from "./creation";
export { Generator, manualSeed } from "./random";
export { neg, exp, log, sqrt, abs, sign, tanh, sigmoid, relu, sin, cos, erf, clamp } from "./ops/unary";
export { floor, ceil, round, trunc, reciprocal, rsqrt, log1p, expm1 } from "./ops/unary";
export { leakyRelu, elu, silu, gelu, softplus } from "./ops/activation";
export type { GeluOptions, SoftplusOptions } from "./ops/activation";
export { maskedFill } from "./ops/compare";
export { add, sub, mul, div, pow, maximum, minimum } from "./ops/binary";
export { eq, ne, lt, le, gt, ge, where } from "./ops/compare";
export { sum, max, min, argmax, argmin } from "./ops/reduce";
export { prod, norm, any, all } from "./ops/reduce";
export { cumsum, cumprod } from "./ops/scan";
export { multinomial, bernoulli } from "./ops/sampling";
export type { MultinomialOptions, BernoulliOptions } from "./ops/sampling";
export { square, mean, variance as var, std } from "./composite";
export {
  reshape,
  view,
  transpose,
  permute,
  squeeze,
  unsqueeze,
  expand,
  broadcastTo,
  flatten,
  slice,
  select,
  narrow,
  asStrided,
  contiguous,
  clone,
  to,
  sumTo,
} from "./ops/movement";
export { matmul } from "./ops/linalg";
export { setKernelPreference, getKernelPreference } from "./backends/preference";
export type { KernelPreference } from "./backends/preference";
export { gather, indexSelect, scatterAdd, cat, stack, split, oneHot } from "./ops/indexing";
export { pad, type PadMode, type PadOptions } from "./ops/pad";
export { sort, argsort, topk } from "./ops/sort";
export type { SortResult, SortOptions, TopkOptions } from "./ops/sort";
export { index, indexPut_, maskedSelect, nonzero, take } from "./ops/advanced-indexing";
export type { IndexEntry, IndexPutOptions } from "./ops/advanced-indexing";
export { tril, triu, flip, roll, repeat, tile } from "./ops/structure";
export { einsum } from "./ops/einsum";
export { add_, sub_, mul_, div_, zero_, fill_, copy_ } from "./ops/inplace";
export { defineOp, registeredOps } from "./autograd/define-op";
export type { OpContext, OpContextBase, UntypedFields, OpDefinition, OpFormula, Node } from "./autograd/define-op";
export type { GradHook, InputEdge } from "./autograd/define-op";
export { noGrad, enableGrad, isGradEnabled } from "./autograd/grad-mode";
export { detectAnomaly } from "./autograd/anomaly";
export { autogradGrad } from "./autograd/functional";
export type { AutogradGradOptions } from "./autograd/functional";
export { grad, valueAndGrad, vjp, jvp, jacobian, hessian } from "./autograd/functional";
export type { GradOptions } from "./autograd/functional";
export type { BackwardOptions } from "./autograd/engine";
export { gradcheck } from "./autograd/gradcheck";
export type { GradcheckOptions, GradcheckResult, GradcheckWorst } from "./autograd/gradcheck";
export { gradgradcheck } from "./autograd/gradcheck";
export type { GradgradcheckOptions } from "./autograd/gradcheck";
export { toDot } from "./autograd/dot";
export type { ToDotOptions } from "./autograd/dot";
export { traceBackward, BackwardTrace } from "./autograd/trace";
export type { TraceBackwardOptions, BackwardStep, SentGradient } from "./autograd/trace";
export type { TensorSummary } from "./autograd/tensor-summary";

import { checkBoolean, checkTensor } from "./args";
import { isFloating } from "./dtype";
import { NablaError, describeValue } from "./errors";
import { checkReductionDim, sum } from "./ops/reduce";
import { normalizeDims, numelOf } from "./shape";
import type { Dims, Tensor } from "./tensor";
import { sqrt } from "./ops/unary";
import { div, mul, sub } from "./ops/binary";

// Ops built from primitives, with no backward of their own.

/**
 * x², elementwise (PyTorch's `square`).
 *
 * @example
 * ```ts
 * square(tensor([-2, 3])); // → [4, 9]
 * ```
 */
export function square(x: Tensor): Tensor {
  checkTensor("square", "input", x);
  return mul(x, x);
}

/** How many elements a reduction over `dim` combines; checks the dims in the name of `op`. */
function reducedCount(op: string, x: Tensor, dim: Dims | undefined): number {
  checkReductionDim(op, dim);
  if (dim === undefined) return x.numel;
  const dims = normalizeDims(op, typeof dim === "number" ? [dim] : dim, x.ndim);
  return numelOf(dims.map((d) => x.shape[d] ?? 1));
}

/**
 * The arithmetic mean over `dim` (a dim or a list; all when left out), as PyTorch's `mean`.
 * Floating-point tensors only; an empty reduction gives NaN.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * mean(x);    // → 2.5
 * mean(x, 1); // → [1.5, 3.5]
 * ```
 */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor("mean", "input", x);
  checkBoolean("mean", "keepdim", keepdim);
  if (!isFloating(x.dtype)) {
    throw new NablaError("mean", `needs a floating-point tensor, got ${x.dtype}; convert with to("float32") first`);
  }
  const n = reducedCount("mean", x, dim);
  // an empty reduction gives 0/0 = NaN, as in PyTorch
  return div(sum(x, dim, keepdim), n);
}

/**
 * The variance over `dim` (or all), dividing by n − `correction`: 1 (the default, Bessel's) is the
 * sample variance, 0 the population variance, as PyTorch's `var`. Computed from deviations about
 * the mean (two passes, no catastrophic cancellation). Floating-point tensors only. Exported as
 * `var`, a reserved word: `import { var as variance } from "@nabla/tensor"`, or call `x.var()`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3, 4]);
 * x.var();            // → 1.6666666
 * x.var(0, false, 0); // → 1.25
 * ```
 */
export function variance(x: Tensor, dim?: Dims, keepdim = false, correction = 1): Tensor {
  return varianceAs("var", x, dim, keepdim, correction);
}

/**
 * The standard deviation √var, with `var`'s arguments (PyTorch's `std`).
 *
 * @example
 * ```ts
 * std(tensor([1, 2, 3, 4]));           // → 1.2909944
 * std(tensor([[1, 3], [5, 9]]), 1, false, 0); // → [1, 2]
 * ```
 */
export function std(x: Tensor, dim?: Dims, keepdim = false, correction = 1): Tensor {
  return sqrt(varianceAs("std", x, dim, keepdim, correction));
}

/** The variance, with bad arguments reported in the name of `op` (var or std). */
function varianceAs(op: string, x: Tensor, dim: Dims | undefined, keepdim: boolean, correction: number): Tensor {
  checkTensor(op, "input", x);
  checkBoolean(op, "keepdim", keepdim);
  if (!isFloating(x.dtype)) throw new NablaError(op, `needs a floating-point tensor, got ${x.dtype}`);
  if (!Number.isFinite(correction) || correction < 0)
    throw new NablaError(op, `correction must be a non-negative number, got ${describeValue(correction)}`);
  const n = reducedCount(op, x, dim);
  const deviations = sub(x, mean(x, dim, true));
  // PyTorch divides by max(0, n − correction): fewer samples than the correction gives inf/NaN
  return div(sum(square(deviations), dim, keepdim), Math.max(0, n - correction));
}

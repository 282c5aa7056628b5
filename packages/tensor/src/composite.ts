import { full } from "./creation";
import { isFloating } from "./dtype";
import { NablaError } from "./errors";
import { normalizeDims, numelOf } from "./shape";
import type { Dims, Tensor } from "./tensor";

// Ops built from primitives, with no backward of their own.

/** x². */
export function square(x: Tensor): Tensor {
  return x.mul(x);
}

/** A tensor shaped like `t` filled with `value`, in t's dtype. */
export function fullLike(t: Tensor, value: number): Tensor {
  return full(t.shape, value, { dtype: t.dtype });
}

/** How many elements a reduction over `dim` combines. */
function reducedCount(x: Tensor, dim: Dims | undefined): number {
  if (dim === undefined) return x.numel;
  const dims = normalizeDims("mean", typeof dim === "number" ? [dim] : dim, x.ndim);
  return numelOf(dims.map((d) => x.shape[d] ?? 1));
}

/** Arithmetic mean over `dim` (or all). Floating inputs only, as PyTorch. */
export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  if (!isFloating(x.dtype)) {
    throw new NablaError("mean", `needs a floating-point tensor, got ${x.dtype}; convert with to("float32") first`);
  }
  // an empty reduction gives 0/0 = NaN, as in PyTorch
  return x.sum(dim, keepdim).div(reducedCount(x, dim));
}

/**
 * Variance over `dim` (or all) with Bessel's `correction` (1 = sample variance, 0 = population),
 * computed from deviations about the mean (two passes, no catastrophic cancellation).
 */
export function variance(x: Tensor, dim?: Dims, keepdim = false, correction = 1): Tensor {
  if (!isFloating(x.dtype)) throw new NablaError("var", `needs a floating-point tensor, got ${x.dtype}`);
  if (!Number.isFinite(correction) || correction < 0) throw new NablaError("var", `correction must be a non-negative number, got ${correction}`);
  const deviations = x.sub(mean(x, dim, true));
  const n = reducedCount(x, dim);
  // PyTorch divides by max(0, n − correction): fewer samples than the correction gives inf/NaN
  return deviations.square().sum(dim, keepdim).div(Math.max(0, n - correction));
}

/** Standard deviation: √var with the same arguments. */
export function std(x: Tensor, dim?: Dims, keepdim = false, correction = 1): Tensor {
  if (!isFloating(x.dtype)) throw new NablaError("std", `needs a floating-point tensor, got ${x.dtype}`);
  return variance(x, dim, keepdim, correction).sqrt();
}


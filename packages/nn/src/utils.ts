import { clamp, copy_, isTensor, mul_, NablaError, noGrad, norm, promoteTypes, type Tensor, tensor } from "@nabla/tensor/functional";
import { checkOptions, describeValue } from "@nabla/tensor/internal";

/** Options of `clipGradNorm_`. */
export interface ClipGradNormOptions {
  /**
   * The order of the norm, any number as PyTorch's: `Infinity` for the largest absolute entry,
   * `-Infinity` for the smallest, 0 for the count of nonzero entries; default 2.
   */
  normType?: number;
  /** Throw when the total norm is NaN or infinite, instead of scaling the gradients by it; default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales the gradients of `params` in place so that their total norm (the norm of all of them
 * joined into one vector) is at most `maxNorm`, as PyTorch's `clip_grad_norm_`: each is
 * multiplied by min(1, maxNorm / (total + 1e-6)). Parameters without a gradient are skipped.
 * Returns the total norm before clipping, as a 0-d tensor (float32 0 when no parameter has a
 * gradient).
 *
 * @example
 * ```ts
 * const w = tensor([1, 1], { requiresGrad: true });
 * w.mul(tensor([3, 4])).sum().backward(); // the gradient is [3, 4], of norm 5
 * utils.clipGradNorm_([w], 1);            // → 5
 * w.grad;                                 // → [0.6, 0.8]
 * utils.clipGradNorm_(w, 1, { normType: Infinity }); // → 0.8
 * utils.clipGradNorm_(w, -1);             // throws clipGradNorm_: maxNorm must be a number ≥ 0, got -1
 * ```
 */
export function clipGradNorm_(params: Tensor | Iterable<Tensor>, maxNorm: number, options: ClipGradNormOptions = {}): Tensor {
  const op = "clipGradNorm_";
  const { normType = 2, errorIfNonfinite = false } = checkOptions(op, options);
  if (typeof maxNorm !== "number" || !(maxNorm >= 0))
    throw new NablaError(op, `maxNorm must be a number ≥ 0, got ${describeValue(maxNorm)}`);
  if (typeof normType !== "number" || Number.isNaN(normType)) {
    throw new NablaError(op, `normType must be a number (Infinity and -Infinity included), got ${describeValue(normType)}`);
  }
  if (typeof errorIfNonfinite !== "boolean") {
    throw new NablaError(op, `errorIfNonfinite must be true or false, got ${describeValue(errorIfNonfinite)}`);
  }
  const grads = gradientsOf(op, params);
  if (grads.length === 0) return tensor(0);
  return noGrad(() => {
    // each gradient's norm, then the norm of those norms: for an order > 0 the norm of all the
    // gradients joined; for the others what PyTorch computes the same way
    const norms = grads.map((grad) => (grad.numel === 0 ? 0 : (norm(grad, normType).item() as number)));
    const joined = norm(tensor(norms, { dtype: "float64" }), normType).item() as number;
    const dtype = grads.map((grad) => grad.dtype).reduce(promoteTypes);
    const total = tensor(joined, { dtype });
    const value = total.item() as number;
    if (errorIfNonfinite && !Number.isFinite(value)) {
      throw new NablaError(
        op,
        `the total norm of order ${normType} of the gradients is ${value}, so they cannot be clipped (errorIfNonfinite is true)`,
      );
    }
    // clamp(coef, max = 1) as PyTorch's: a NaN coefficient (a NaN norm) passes through, as with Math.min
    const coefficient = maxNorm / (value + 1e-6);
    const clamped = Math.min(coefficient, 1);
    if (clamped !== 1) for (const grad of grads) mul_(grad, clamped);
    return total;
  });
}

/**
 * Clamps every entry of the gradients of `params` to [−clipValue, clipValue] in place, as
 * PyTorch's `clip_grad_value_`. Parameters without a gradient are skipped.
 *
 * @example
 * ```ts
 * const w = tensor([1, 1, 1], { requiresGrad: true });
 * w.mul(tensor([-3, 0.5, 2])).sum().backward();
 * utils.clipGradValue_([w], 1);
 * w.grad;                      // → [-1, 0.5, 1]
 * utils.clipGradValue_(w, NaN); // throws clipGradValue_: clipValue must be a number ≥ 0, got NaN
 * ```
 */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  const op = "clipGradValue_";
  if (typeof clipValue !== "number" || !(clipValue >= 0)) {
    throw new NablaError(op, `clipValue must be a number ≥ 0, got ${describeValue(clipValue)}`);
  }
  const grads = gradientsOf(op, params);
  noGrad(() => {
    for (const grad of grads) copy_(grad, clamp(grad, -clipValue, clipValue));
  });
}

/** The gradients of the parameters that have one; throws for anything that is not a tensor. */
function gradientsOf(op: string, params: Tensor | Iterable<Tensor>): Tensor[] {
  if (isTensor(params, op)) params = [params];
  else if (params === null || typeof params !== "object" || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== "function") {
    throw new NablaError(op, `params must be a Tensor or an iterable of Tensors, got ${describeValue(params)}`);
  }
  const grads: Tensor[] = [];
  let index = 0;
  for (const param of params) {
    if (!isTensor(param, op)) throw new NablaError(op, `params[${index}] is ${describeValue(param)}, expected a Tensor`);
    const grad: unknown = param.grad;
    if (grad !== null && !isTensor(grad, op))
      throw new NablaError(op, `the gradient of params[${index}] is ${describeValue(grad)}, expected a Tensor`);
    if (grad !== null) grads.push(grad as Tensor);
    index++;
  }
  return grads;
}

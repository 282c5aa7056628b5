import { checkNumber, checkOptions, checkTensor } from "../args";
import { isFloating } from "../dtype";
import { NablaError, describeValue } from "../errors";
import type { Tensor } from "../tensor";
import { where } from "./compare";
import { erf, expm1, log1p } from "./unary";

// Activations composed of differentiable ops (where, exp, erf, …): no backward of their own.
// Where a branch that `where` discards could overflow (exp of a large input), its input is
// replaced by a harmless value first, so the discarded branch's gradient is 0, not 0 · ∞ = NaN.

/** The input of an activation: a floating-point tensor, as PyTorch's kernels accept. */
function floatingInput(op: string, x: unknown): Tensor {
  const input = checkTensor(op, "input", x);
  if (!isFloating(input.dtype)) {
    throw new NablaError(op, `needs a floating-point tensor, got ${input.dtype}; convert with to("float32") first`);
  }
  return input;
}

/**
 * x where x > 0, else negativeSlope · x, elementwise (PyTorch's `leaky_relu`); the gradient at 0
 * is negativeSlope, as PyTorch. Floating-point tensors only.
 *
 * @example
 * ```ts
 * leakyRelu(tensor([-2, 0, 3]));      // → [-0.02, 0, 3]
 * leakyRelu(tensor([-2, 3]), 0.5);    // → [-1, 3]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  const input = floatingInput("leakyRelu", x);
  checkNumber("leakyRelu", "negativeSlope", negativeSlope);
  return where(input.gt(0), input, input.mul(negativeSlope));
}

/**
 * x where x > 0, else alpha · (eˣ − 1), elementwise (PyTorch's `elu`); the gradient at 0 is alpha,
 * as PyTorch. Floating-point tensors only.
 *
 * @example
 * ```ts
 * elu(tensor([-1, 0, 2]));     // → [-0.63212056, 0, 2]
 * elu(tensor([-1, 2]), 2);     // → [-1.2642411, 2]
 * ```
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  const input = floatingInput("elu", x);
  checkNumber("elu", "alpha", alpha);
  const positive = input.gt(0);
  // eˣ of a large positive x would overflow in the branch that where discards
  return where(positive, input, expm1(where(positive, 0, input)).mul(alpha));
}

/**
 * x · σ(x), elementwise (PyTorch's `silu`, also called swish). Floating-point tensors only.
 *
 * @example
 * ```ts
 * silu(tensor([-1, 0, 2])); // → [-0.26894142, 0, 1.7615942]
 * ```
 */
export function silu(x: Tensor): Tensor {
  const input = floatingInput("silu", x);
  return input.mul(input.sigmoid());
}

/** Options of `gelu`. */
export interface GeluOptions {
  /** "none" (default): the exact x·Φ(x) through erf; "tanh": the tanh approximation, as PyTorch. */
  approximate?: "none" | "tanh";
}

// √(2/π), the tanh approximation's scale
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The Gaussian error linear unit x·Φ(x), elementwise (PyTorch's `gelu`): exactly
 * 0.5·x·(1 + erf(x/√2)), or with `{ approximate: "tanh" }` 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
 * Floating-point tensors only.
 *
 * @example
 * ```ts
 * gelu(tensor([-1, 0, 1]));                        // → [-0.15865526, 0, 0.84134474]
 * gelu(tensor([-1, 0, 1]), { approximate: "tanh" }); // → [-0.15880801, 0, 0.84119199]
 * ```
 */
export function gelu(x: Tensor, options?: GeluOptions): Tensor {
  const input = floatingInput("gelu", x);
  const approximate = checkOptions("gelu", options).approximate ?? "none";
  if (approximate !== "none" && approximate !== "tanh") {
    throw new NablaError("gelu", `approximate must be "none" or "tanh", got ${describeValue(approximate)}`);
  }
  const half = input.mul(0.5);
  if (approximate === "tanh") {
    const cube = input.mul(input).mul(input);
    return half.mul(input.add(cube.mul(0.044715)).mul(SQRT_2_OVER_PI).tanh().add(1));
  }
  return half.mul(erf(input.mul(Math.SQRT1_2)).add(1));
}

/** Options of `softplus`. */
export interface SoftplusOptions {
  /** The sharpness β (default 1). */
  beta?: number;
  /** Above this value of β·x the result is x itself (default 20), as PyTorch. */
  threshold?: number;
}

/**
 * ln(1 + e^(β·x)) / β, elementwise (PyTorch's `softplus`), and x itself where β·x > threshold (its
 * value there to float precision, and no overflow). Floating-point tensors only.
 *
 * @example
 * ```ts
 * softplus(tensor([-1, 0, 30]));                 // → [0.31326169, 0.69314718, 30]
 * softplus(tensor([1]), { beta: 2, threshold: 1 }); // → [1]
 * ```
 */
export function softplus(x: Tensor, options?: SoftplusOptions): Tensor {
  const input = floatingInput("softplus", x);
  const { beta = 1, threshold = 20 } = checkOptions("softplus", options);
  checkNumber("softplus", "beta", beta);
  checkNumber("softplus", "threshold", threshold);
  const scaled = input.mul(beta);
  const linear = scaled.gt(threshold);
  // e^(βx) of the inputs the linear branch takes could overflow: they see 0 instead
  return where(linear, input, log1p(where(linear, 0, scaled).exp()).div(beta));
}

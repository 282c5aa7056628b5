import { checkNumber, checkOptions, checkTensor } from "../args";
import { type OpContext, defineOp } from "../autograd/define-op";
import { isFloating, promoteTypes } from "../dtype";
import { NablaError, describeValue } from "../errors";
import { Tensor } from "../tensor";
import { gt, where } from "./compare";
import { exp, expm1, log1p, neg, sigmoid, tanh } from "./unary";
import { add, div, mul, sub } from "./binary";

// Activations composed of differentiable ops (where, exp, …): no backward of their own; gelu, one
// op, is the exception. Where a branch that `where` discards could overflow (exp of a large input),
// its input is replaced by a harmless value first, so the discarded branch's gradient is 0, not
// 0 · ∞ = NaN.

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
  return where(gt(input, 0), input, mul(input, negativeSlope));
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
  const positive = gt(input, 0);
  // eˣ of a large positive x would overflow in the branch that where discards
  return where(positive, input, mul(expm1(where(positive, 0, input)), alpha));
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
  return mul(input, sigmoid(input));
}

/** Options of `gelu`. */
export interface GeluOptions {
  /** "none" (default): the exact x·Φ(x) through erf; "tanh": the tanh approximation, as PyTorch. */
  approximate?: "none" | "tanh";
}

type GeluForm = NonNullable<GeluOptions["approximate"]>;

// gelu is one op: its forward one pass of the unary primitive, its backward one pass of the
// binary primitive over (ȳ, x). The second derivative, rarely wanted, is written in tensor ops.

/** The primitives of each form: the function and g · its derivative. */
const GELU_PRIMITIVES = {
  none: { forward: "gelu", backward: "geluBackward" },
  tanh: { forward: "geluTanh", backward: "geluTanhBackward" },
} as const;

// √(2/π) and 0.044715: the tanh form's u = √(2/π) (x + 0.044715 x³)
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const CUBIC = 0.044715;
/** 1/√(2π), the scale of the standard normal density φ */
const NORMAL_DENSITY = 1 / Math.sqrt(2 * Math.PI);

const geluOp = defineOp({
  name: "gelu",
  forward(ctx: OpContext<{ form: GeluForm }>, x: Tensor, form: GeluForm) {
    ctx.save(x);
    ctx.form = form;
    const { backend } = x.storage;
    return Tensor.fromBuffer(backend, backend.run.unary(GELU_PRIMITIVES[form].forward, x, x.dtype), x.shape, x.dtype);
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [geluBackward(gradOut, x, ctx.form)];
  },
  formula: { forward: "y = x Φ(x)  (or x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2)", backward: "x̄ = ȳ ⊙ gelu′(x)" },
});

const geluBackward: (g: Tensor, x: Tensor, form: GeluForm) => Tensor = defineOp({
  name: "geluBackward",
  forward(ctx: OpContext<{ form: GeluForm }>, g: Tensor, x: Tensor, form: GeluForm) {
    ctx.save(g, x);
    ctx.form = form;
    const dtype = promoteTypes(g.dtype, x.dtype);
    const { backend } = x.storage;
    return Tensor.fromBuffer(backend, backend.run.binary(GELU_PRIMITIVES[form].backward, g, x, dtype), x.shape, dtype);
  },
  backward(ctx, gradOut) {
    const [g, x] = ctx.saved as [Tensor, Tensor];
    // ∂/∂g = gelu′(x) (this op again), ∂/∂x = g gelu″(x)
    return [
      ctx.needsInputGrad[0] ? geluBackward(gradOut, x, ctx.form) : null,
      ctx.needsInputGrad[1] ? mul(mul(gradOut, g), geluSecondDerivative(x, ctx.form)) : null,
    ];
  },
  formula: { forward: "z = g ⊙ gelu′(x)", backward: "ḡ = z̄ ⊙ gelu′(x), x̄ = z̄ ⊙ g ⊙ gelu″(x)" },
});

function geluSecondDerivative(x: Tensor, form: GeluForm): Tensor {
  const square = mul(x, x);
  if (form === "none") {
    // (x Φ)″ = 2φ + x φ′ = φ (2 − x²), φ(x) = e^(−x²/2) / √(2π)
    const density = mul(exp(mul(square, -0.5)), NORMAL_DENSITY);
    return mul(density, add(neg(square), 2));
  }
  // y = x (1 + t) / 2 with t = tanh u: y″ = (1 − t²) (u′ + x u″ / 2 − x t u′²), where
  // u′ = √(2/π) (1 + 3c x²) and x u″ / 2 = 3c √(2/π) x², c = 0.044715
  const t = tanh(mul(add(x, mul(mul(square, x), CUBIC)), SQRT_2_OVER_PI));
  const du = add(mul(square, 3 * CUBIC * SQRT_2_OVER_PI), SQRT_2_OVER_PI);
  const inner = sub(add(du, mul(square, 3 * CUBIC * SQRT_2_OVER_PI)), mul(mul(x, t), mul(du, du)));
  return mul(add(neg(mul(t, t)), 1), inner);
}

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
  return geluOp(input, approximate);
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
  const scaled = mul(input, beta);
  const linear = gt(scaled, threshold);
  // e^(βx) of the inputs the linear branch takes could overflow: they see 0 instead
  return where(linear, input, div(log1p(exp(where(linear, 0, scaled))), beta));
}

import { checkNumber, checkTensor } from "../args";
import { type OpDefinition, defineOp } from "../autograd/define-op";
import { checkValueFits, floatResult, isFloating, promoteTypes } from "../dtype";
import { NablaError } from "../errors";
import type { BinaryOp, UnaryOp } from "../backends/primitives";
import { Tensor } from "../tensor";
import { where } from "./compare";
import { to } from "./movement";
import { square } from "../composite";
import { add, div, mul } from "./binary";

/** A public unary op: defineOp's, with the input checked to be a Tensor first, in the op's name. */
/* @__NO_SIDE_EFFECTS__ */
function unaryOp(definition: OpDefinition<[Tensor]>): (x: Tensor) => Tensor {
  const op = defineOp(definition);
  return (x) => op(checkTensor(definition.name, "input", x));
}

function map(x: Tensor, op: UnaryOp, dtype = x.dtype): Tensor {
  const { backend } = x.storage;
  return Tensor.fromBuffer(backend, backend.run.unary(op, x, dtype), x.shape, dtype);
}

/**
 * Ops such as exp produce reals: int32 and bool inputs give float32, as in PyTorch, which converts
 * the input to float32 first (sin(2147483647) is sin(2147483648)), not the exact integer.
 */
function mapToFloat(x: Tensor, op: UnaryOp): Tensor {
  const dtype = floatResult(x.dtype);
  if (x.dtype === dtype) return map(x, op);
  const { backend } = x.storage;
  const converted = Tensor.fromBuffer(backend, backend.run.copy(x, dtype), x.shape, dtype);
  return map(converted, op);
}

function rejectBool(op: string, x: Tensor): void {
  if (x.dtype === "bool") throw new NablaError(op, 'is not supported for bool tensors; convert with to("int32") or to("float32") first');
}

/**
 * A unary op with a real result (see `mapToFloat`) whose derivative is a function of its input or
 * of its output: the op saves that one tensor, and `backward(gradOut, saved)` gives x̄.
 */
/* @__NO_SIDE_EFFECTS__ */
function realOp(
  name: UnaryOp,
  saves: "input" | "output",
  backward: (gradOut: Tensor, saved: Tensor) => Tensor,
  formula: { forward: string; backward: string },
): (x: Tensor) => Tensor {
  return unaryOp({
    name,
    forward(ctx, x: Tensor) {
      const y = mapToFloat(x, name);
      ctx.save(saves === "input" ? x : y);
      return y;
    },
    backward(ctx, gradOut) {
      const [saved] = ctx.saved as [Tensor];
      return [backward(gradOut, saved)];
    },
    formula,
  });
}

/**
 * −x, elementwise (PyTorch's `neg`). Not defined for bool.
 *
 * @example
 * ```ts
 * neg(tensor([1, -2])); // → [-1, 2]
 * ```
 */
export const neg = unaryOp({
  name: "neg",
  forward(_ctx, x: Tensor) {
    rejectBool("neg", x);
    return map(x, "neg");
  },
  backward(_ctx, gradOut) {
    return [neg(gradOut)];
  },
  formula: { forward: "y = −x", backward: "x̄ = −ȳ" },
});

/**
 * eˣ, elementwise (PyTorch's `exp`); int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * exp(tensor([0, 1])); // → [1, 2.7182817]
 * ```
 */
export const exp = realOp("exp", "output", (gradOut, y) => mul(gradOut, y), {
  // d exp = exp: keep the output, not the input
  forward: "y = eˣ",
  backward: "x̄ = ȳ ⊙ y",
});

/**
 * The natural logarithm, elementwise (PyTorch's `log`): -Infinity at 0, NaN below 0; int32
 * and bool inputs give float32.
 *
 * @example
 * ```ts
 * log(tensor([1, Math.E, 0])); // → [0, 1, -Infinity]
 * ```
 */
export const log = realOp("log", "input", (gradOut, x) => div(gradOut, x), {
  forward: "y = ln x",
  backward: "x̄ = ȳ / x",
});

/**
 * √x, elementwise (PyTorch's `sqrt`): NaN below 0; int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * sqrt(tensor([4, 9])); // → [2, 3]
 * ```
 */
export const sqrt = realOp("sqrt", "output", (gradOut, y) => div(gradOut, mul(y, 2)), {
  forward: "y = √x",
  backward: "x̄ = ȳ / (2y)",
});

/**
 * |x|, elementwise (PyTorch's `abs`); the gradient at 0 is 0. Not defined for bool.
 *
 * @example
 * ```ts
 * abs(tensor([-1.5, 2])); // → [1.5, 2]
 * ```
 */
export const abs = unaryOp({
  name: "abs",
  forward(ctx, x: Tensor) {
    rejectBool("abs", x);
    ctx.save(x);
    return map(x, "abs");
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [mul(gradOut, sign(x))]; // abs'(0) = sign(0) = 0, as PyTorch
  },
  formula: { forward: "y = |x|", backward: "x̄ = ȳ ⊙ sign(x)  (0 at x = 0)" },
});

/**
 * −1, 0 or 1 by the sign of each element (PyTorch's `sign`); NaN stays NaN, and the gradient
 * is 0. Not defined for bool.
 *
 * @example
 * ```ts
 * sign(tensor([-2, 0, 3])); // → [-1, 0, 1]
 * ```
 */
export const sign = unaryOp({
  name: "sign",
  forward(_ctx, x: Tensor) {
    rejectBool("sign", x);
    return map(x, "sign"); // keeps 0, -0 and NaN
  },
  backward(_ctx, gradOut) {
    return [mul(gradOut, 0)]; // piecewise constant: zero almost everywhere
  },
  formula: { forward: "y = sign(x)", backward: "x̄ = 0" },
});

/**
 * The hyperbolic tangent, elementwise (PyTorch's `tanh`); int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * tanh(tensor([0, 0.5])); // → [0, 0.46211716]
 * ```
 */
export const tanh = realOp("tanh", "output", (gradOut, y) => tanhBackward(gradOut, y), {
  forward: "y = tanh x",
  backward: "x̄ = ȳ ⊙ (1 − y²)",
});

// tanh′, σ′ and relu′ are functions of the output, so each backward is one op of (ȳ, y) with one
// kernel pass, instead of a chain of elementwise ops. Each is differentiable in both arguments, for
// createGraph and higher-order gradients.

/** A gradient g and an output y of one shape, combined elementwise into a new tensor. */
function zipGradient(g: Tensor, y: Tensor, op: BinaryOp): Tensor {
  const dtype = promoteTypes(g.dtype, y.dtype);
  const { backend } = y.storage;
  return Tensor.fromBuffer(backend, backend.run.binary(op, g, y, dtype), y.shape, dtype);
}

const tanhBackward: (g: Tensor, y: Tensor) => Tensor = defineOp({
  name: "tanhBackward",
  forward(ctx, g: Tensor, y: Tensor) {
    ctx.save(g, y);
    return zipGradient(g, y, "tanhBackward");
  },
  backward(ctx, gradOut) {
    const [g, y] = ctx.saved as [Tensor, Tensor];
    // ∂/∂g = 1 − y² (this op again), ∂/∂y = −2 g y
    return [ctx.needsInputGrad[0] ? tanhBackward(gradOut, y) : null, ctx.needsInputGrad[1] ? mul(mul(mul(gradOut, g), y), -2) : null];
  },
  formula: { forward: "z = g ⊙ (1 − y²)", backward: "ḡ = z̄ ⊙ (1 − y²), ȳ = −2 z̄ ⊙ g ⊙ y" },
});

/**
 * The logistic function 1 / (1 + e⁻ˣ), elementwise (PyTorch's `sigmoid`), accurate for large
 * |x|; int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * sigmoid(tensor([0, 2])); // → [0.5, 0.88079708]
 * ```
 */
export const sigmoid = realOp("sigmoid", "output", (gradOut, y) => sigmoidBackward(gradOut, y), {
  forward: "y = 1 / (1 + e^(−x))",
  backward: "x̄ = ȳ ⊙ y ⊙ (1 − y)",
});

const sigmoidBackward: (g: Tensor, y: Tensor) => Tensor = defineOp({
  name: "sigmoidBackward",
  forward(ctx, g: Tensor, y: Tensor) {
    ctx.save(g, y);
    return zipGradient(g, y, "sigmoidBackward");
  },
  backward(ctx, gradOut) {
    const [g, y] = ctx.saved as [Tensor, Tensor];
    // ∂/∂g = y (1 − y) (this op again), ∂/∂y = g (1 − 2y)
    return [
      ctx.needsInputGrad[0] ? sigmoidBackward(gradOut, y) : null,
      ctx.needsInputGrad[1] ? mul(mul(gradOut, g), add(mul(y, -2), 1)) : null,
    ];
  },
  formula: { forward: "z = g ⊙ y ⊙ (1 − y)", backward: "ḡ = z̄ ⊙ y ⊙ (1 − y), ȳ = z̄ ⊙ g ⊙ (1 − 2y)" },
});

/**
 * max(x, 0), elementwise (PyTorch's `relu`); the gradient at 0 is 0, and NaN stays NaN. Not
 * defined for bool.
 *
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])); // → [0, 0, 2]
 * ```
 */
export const relu = unaryOp({
  name: "relu",
  forward(ctx, x: Tensor) {
    rejectBool("relu", x);
    const y = map(x, "relu");
    ctx.save(y);
    return y;
  },
  backward(ctx, gradOut) {
    const [y] = ctx.saved as [Tensor];
    return [reluBackward(gradOut, y)];
  },
  formula: { forward: "y = max(x, 0)", backward: "x̄ = ȳ ⊙ [x > 0]" },
});

const reluBackward: (g: Tensor, y: Tensor) => Tensor = defineOp({
  name: "reluBackward",
  forward(ctx, g: Tensor, y: Tensor) {
    ctx.save(y);
    // relu'(0) = 0, and a NaN input passes its gradient (see the reluBackward primitive)
    return zipGradient(g, y, "reluBackward");
  },
  backward(ctx, gradOut) {
    const [y] = ctx.saved as [Tensor];
    // ∂/∂g = [y > 0] (this op again); [y > 0] is piecewise constant, so nothing flows to y
    return [ctx.needsInputGrad[0] ? reluBackward(gradOut, y) : null, null];
  },
  formula: { forward: "z = g ⊙ [y > 0]", backward: "ḡ = z̄ ⊙ [y > 0], ȳ = 0" },
});

/**
 * The sine (radians), elementwise (PyTorch's `sin`); int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * sin(tensor([0, Math.PI / 2])); // → [0, 1]
 * ```
 */
export const sin = realOp("sin", "input", (gradOut, x) => mul(gradOut, cos(x)), {
  forward: "y = sin x",
  backward: "x̄ = ȳ ⊙ cos x",
});

/**
 * The cosine (radians), elementwise (PyTorch's `cos`); int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * cos(tensor([0, Math.PI])); // → [1, -1]
 * ```
 */
export const cos = realOp("cos", "input", (gradOut, x) => neg(mul(gradOut, sin(x))), {
  forward: "y = cos x",
  backward: "x̄ = −ȳ ⊙ sin x",
});

/**
 * The error function (2/√π) ∫₀ˣ e^(−t²) dt, elementwise (PyTorch's `erf`); int32 and bool
 * inputs give float32.
 *
 * @example
 * ```ts
 * erf(tensor([0, 1])); // → [0, 0.84270079]
 * ```
 */
export const erf = realOp("erf", "input", (gradOut, x) => mul(gradOut, mul(exp(neg(square(x))), 2 / Math.sqrt(Math.PI))), {
  forward: "y = erf x = (2/√π) ∫₀ˣ e^(−t²) dt",
  backward: "x̄ = ȳ ⊙ (2/√π) e^(−x²)",
});

const clampOp = defineOp({
  name: "clamp",
  forward(ctx, x: Tensor, min: number, max: number) {
    rejectBool("clamp", x);
    // the gradient passes where min ≤ x ≤ max, bounds included (PyTorch)
    const { backend } = x.storage;
    ctx.save(Tensor.fromBuffer(backend, backend.run.inRange(x, min, max), x.shape, "bool"));
    // NaN stays NaN; min > max gives max
    return Tensor.fromBuffer(backend, backend.run.clamp(x, min, max, x.dtype), x.shape, x.dtype);
  },
  backward(ctx, gradOut) {
    const [inside] = ctx.saved as [Tensor];
    return [where(inside, gradOut, 0)];
  },
  formula: { forward: "y = min(max(x, min), max)", backward: "x̄ = ȳ ⊙ [min ≤ x ≤ max]" },
});

/**
 * Each element limited to [min, max] (PyTorch's `clamp`); either bound may be null or left out,
 * not both. The gradient passes where min ≤ x ≤ max, bounds included. An int32 tensor with a
 * fractional bound gives float32; a bound the result dtype cannot hold throws, as PyTorch.
 *
 * @example
 * ```ts
 * clamp(tensor([-2, 0.5, 3]), 0, 1); // → [0, 0.5, 1]
 * clamp(tensor([-2, 3]), null, 1);   // → [-2, 1]
 * clamp(tensor([1])); // throws clamp: needs at least one of min and max
 * ```
 */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  checkTensor("clamp", "input", x);
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new NablaError("clamp", "needs at least one of min and max");
  }
  for (const [name, bound] of [
    ["min", min],
    ["max", max],
  ] as const) {
    if (bound !== undefined && bound !== null) checkNumber("clamp", name, bound);
  }
  // a bound that is not an integer (a fraction, ±Infinity, NaN) makes an integer tensor's result
  // float32, as PyTorch's type promotion with a float scalar does
  const given = [min, max].filter((bound): bound is number => bound !== undefined && bound !== null);
  const input = !isFloating(x.dtype) && given.some((bound) => !Number.isInteger(bound)) ? to(x, "float32") : x;
  // a bound the computing dtype cannot hold is refused, as PyTorch does, never wrapped or rounded
  // to ±Infinity (clamp(int32 tensor, 2 ** 40), clamp(float32 tensor, 1e39))
  for (const bound of given) checkValueFits("clamp", bound, input.dtype);
  return clampOp(input, min ?? -Infinity, max ?? Infinity);
}

/**
 * A rounding op: piecewise constant, so its gradient is 0 (PyTorch's choice at the jumps too).
 * int32 inputs are integers already and come back as int32; bool is refused, as PyTorch.
 */
/* @__NO_SIDE_EFFECTS__ */
function roundingOp(name: "floor" | "ceil" | "round" | "trunc", rule: string) {
  return unaryOp({
    name,
    forward(_ctx, x: Tensor) {
      rejectBool(name, x);
      return map(x, name);
    },
    backward(_ctx, gradOut) {
      return [mul(gradOut, 0)];
    },
    formula: { forward: `y = ${rule}`, backward: "x̄ = 0" },
  });
}

/**
 * The largest integer ≤ x, elementwise (PyTorch's `floor`); the gradient is 0. int32 stays int32;
 * not defined for bool.
 *
 * @example
 * ```ts
 * floor(tensor([-1.5, 0.5, 2])); // → [-2, 0, 2]
 * ```
 */
export const floor = roundingOp("floor", "⌊x⌋");

/**
 * The smallest integer ≥ x, elementwise (PyTorch's `ceil`); the gradient is 0. int32 stays int32;
 * not defined for bool.
 *
 * @example
 * ```ts
 * ceil(tensor([-1.5, 0.5, 2])); // → [-1, 1, 2]
 * ```
 */
export const ceil = roundingOp("ceil", "⌈x⌉");

/**
 * The nearest integer, elementwise, halves to the even one (PyTorch's `round`); the gradient is 0.
 * int32 stays int32; not defined for bool.
 *
 * @example
 * ```ts
 * round(tensor([0.5, 1.5, 2.5, -0.5, 1.2])); // → [0, 2, 2, -0, 1]
 * ```
 */
export const round = roundingOp("round", "x rounded to the nearest integer, halves to even");

/**
 * x with its fractional part dropped (rounded toward 0), elementwise (PyTorch's `trunc`); the
 * gradient is 0. int32 stays int32; not defined for bool.
 *
 * @example
 * ```ts
 * trunc(tensor([-1.5, 0.5, 2.7])); // → [-1, 0, 2]
 * ```
 */
export const trunc = roundingOp("trunc", "x rounded toward 0");

/**
 * 1 / x, elementwise (PyTorch's `reciprocal`): ±Infinity at ±0; int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * reciprocal(tensor([2, -0.5, 0])); // → [0.5, -2, Infinity]
 * ```
 */
export const reciprocal = realOp("reciprocal", "output", (gradOut, y) => neg(mul(gradOut, mul(y, y))), {
  // d(1/x) = −1/x² = −y²
  forward: "y = 1 / x",
  backward: "x̄ = −ȳ ⊙ y²",
});

/**
 * 1 / √x, elementwise (PyTorch's `rsqrt`): Infinity at 0, NaN below 0; int32 and bool inputs give
 * float32.
 *
 * @example
 * ```ts
 * rsqrt(tensor([4, 0.25])); // → [0.5, 2]
 * ```
 */
export const rsqrt = realOp("rsqrt", "output", (gradOut, y) => mul(mul(gradOut, mul(mul(y, y), y)), -0.5), {
  // d x^(−1/2) = −x^(−3/2) / 2 = −y³ / 2
  forward: "y = 1 / √x",
  backward: "x̄ = −ȳ ⊙ y³ / 2",
});

/**
 * ln(1 + x), elementwise (PyTorch's `log1p`), accurate for tiny x where 1 + x would round to 1;
 * int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * log1p(tensor([0, 1e-10, -1])); // → [0, 1e-10, -Infinity]
 * ```
 */
export const log1p = realOp("log1p", "input", (gradOut, x) => div(gradOut, add(x, 1)), {
  forward: "y = ln(1 + x)",
  backward: "x̄ = ȳ / (1 + x)",
});

/**
 * eˣ − 1, elementwise (PyTorch's `expm1`), accurate for tiny x where eˣ would round to 1; int32
 * and bool inputs give float32.
 *
 * @example
 * ```ts
 * expm1(tensor([0, 1e-10, -Infinity])); // → [0, 1e-10, -1]
 * ```
 */
export const expm1 = realOp("expm1", "output", (gradOut, y) => mul(gradOut, add(y, 1)), {
  // d(eˣ − 1) = eˣ = y + 1
  forward: "y = eˣ − 1",
  backward: "x̄ = ȳ ⊙ (y + 1)",
});

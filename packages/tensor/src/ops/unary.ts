import { checkNumber, checkTensor } from "../args";
import { type OpDefinition, defineOp } from "../autograd/define-op";
import { type DType, checkValueFits, floatResult, isFloating, promoteTypes } from "../dtype";
import { NablaError } from "../errors";
import { type BinaryFn, type BinaryMath, type UnaryFn, type UnaryMath, mapUnary, zipBinary } from "../backends/cpu/elementwise";
import { Tensor } from "../tensor";
import { where } from "./compare";

/** A public unary op: defineOp's, with the input checked to be a Tensor first, in the op's name. */
/* @__NO_SIDE_EFFECTS__ */
function unaryOp(definition: OpDefinition<[Tensor]>): (x: Tensor) => Tensor {
  const op = defineOp(definition);
  return (x) => op(checkTensor(definition.name, "input", x));
}

function map(x: Tensor, dtype: DType, fn: UnaryFn, math?: UnaryMath): Tensor {
  return Tensor.fromData(mapUnary(x.strided, dtype, fn, math), x.shape, dtype);
}

/**
 * Ops such as exp produce reals: int32 and bool inputs give float32, as in PyTorch, which converts
 * the input to float32 first (sin(2147483647) is sin(2147483648)), not the exact integer.
 */
function mapToFloat(x: Tensor, fn: UnaryFn, math?: UnaryMath): Tensor {
  const dtype = floatResult(x.dtype);
  return map(x.dtype === dtype ? x : map(x, dtype, (v) => v), dtype, fn, math);
}

function rejectBool(op: string, x: Tensor): void {
  if (x.dtype === "bool") throw new NablaError(op, 'is not supported for bool tensors; convert with to("int32") or to("float32") first');
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
    return map(x, x.dtype, (v) => -v, "neg");
  },
  backward(_ctx, gradOut) {
    return [gradOut.neg()];
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
export const exp = unaryOp({
  name: "exp",
  forward(ctx, x: Tensor) {
    const y = mapToFloat(x, Math.exp, "exp");
    ctx.save(y); // d exp = exp: keep the output, not the input
    return y;
  },
  backward(ctx, gradOut) {
    const [y] = ctx.saved as [Tensor];
    return [gradOut.mul(y)];
  },
  formula: { forward: "y = eˣ", backward: "x̄ = ȳ ⊙ y" },
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
export const log = unaryOp({
  name: "log",
  forward(ctx, x: Tensor) {
    ctx.save(x);
    return mapToFloat(x, Math.log, "log");
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [gradOut.div(x)];
  },
  formula: { forward: "y = ln x", backward: "x̄ = ȳ / x" },
});

/**
 * √x, elementwise (PyTorch's `sqrt`): NaN below 0; int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * sqrt(tensor([4, 9])); // → [2, 3]
 * ```
 */
export const sqrt = unaryOp({
  name: "sqrt",
  forward(ctx, x: Tensor) {
    const y = mapToFloat(x, Math.sqrt, "sqrt");
    ctx.save(y);
    return y;
  },
  backward(ctx, gradOut) {
    const [y] = ctx.saved as [Tensor];
    return [gradOut.div(y.mul(2))];
  },
  formula: { forward: "y = √x", backward: "x̄ = ȳ / (2y)" },
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
    return map(x, x.dtype, Math.abs);
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [gradOut.mul(sign(x))]; // abs'(0) = sign(0) = 0, as PyTorch
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
    return map(x, x.dtype, (v) => (v > 0 ? 1 : v < 0 ? -1 : v)); // keeps 0, -0 and NaN
  },
  backward(_ctx, gradOut) {
    return [gradOut.mul(0)]; // piecewise constant: zero almost everywhere
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
export const tanh = unaryOp({
  name: "tanh",
  forward(ctx, x: Tensor) {
    const y = mapToFloat(x, Math.tanh, "tanh");
    ctx.save(y);
    return y;
  },
  backward(ctx, gradOut) {
    const [y] = ctx.saved as [Tensor];
    return [tanhBackward(gradOut, y)];
  },
  formula: { forward: "y = tanh x", backward: "x̄ = ȳ ⊙ (1 − y²)" },
});

// tanh′, σ′ and relu′ are functions of the output, so each backward is one op of (ȳ, y) with one
// kernel pass, instead of a chain of elementwise ops. Each is differentiable in both arguments, for
// createGraph and higher-order gradients.

/** A gradient g and an output y of one shape, combined elementwise into a new tensor. */
function zipGradient(g: Tensor, y: Tensor, fn: BinaryFn, math: BinaryMath): Tensor {
  const dtype = promoteTypes(g.dtype, y.dtype);
  return Tensor.fromData(zipBinary(g.strided, y.strided, dtype, fn, math), y.shape, dtype);
}

const tanhBackward: (g: Tensor, y: Tensor) => Tensor = defineOp({
  name: "tanhBackward",
  forward(ctx, g: Tensor, y: Tensor) {
    ctx.save(g, y);
    return zipGradient(g, y, (gv, yv) => gv * (1 - yv * yv), "tanhBackward");
  },
  backward(ctx, gradOut) {
    const [g, y] = ctx.saved as [Tensor, Tensor];
    // ∂/∂g = 1 − y² (this op again), ∂/∂y = −2 g y
    return [ctx.needsInputGrad[0] ? tanhBackward(gradOut, y) : null, ctx.needsInputGrad[1] ? gradOut.mul(g).mul(y).mul(-2) : null];
  },
  formula: { forward: "z = g ⊙ (1 − y²)", backward: "ḡ = z̄ ⊙ (1 − y²), ȳ = −2 z̄ ⊙ g ⊙ y" },
});

// 1/(1+e^(−x)) overflows e^(−x) for very negative x only to +∞, which still gives the right 0;
// the branch keeps precision for large negative x, where 1 − σ would cancel
function logistic(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * The logistic function 1 / (1 + e⁻ˣ), elementwise (PyTorch's `sigmoid`), accurate for large
 * |x|; int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * sigmoid(tensor([0, 2])); // → [0.5, 0.88079708]
 * ```
 */
export const sigmoid = unaryOp({
  name: "sigmoid",
  forward(ctx, x: Tensor) {
    const y = mapToFloat(x, logistic);
    ctx.save(y);
    return y;
  },
  backward(ctx, gradOut) {
    const [y] = ctx.saved as [Tensor];
    return [sigmoidBackward(gradOut, y)];
  },
  formula: { forward: "y = 1 / (1 + e^(−x))", backward: "x̄ = ȳ ⊙ y ⊙ (1 − y)" },
});

const sigmoidBackward: (g: Tensor, y: Tensor) => Tensor = defineOp({
  name: "sigmoidBackward",
  forward(ctx, g: Tensor, y: Tensor) {
    ctx.save(g, y);
    return zipGradient(g, y, (gv, yv) => gv * yv * (1 - yv), "sigmoidBackward");
  },
  backward(ctx, gradOut) {
    const [g, y] = ctx.saved as [Tensor, Tensor];
    // ∂/∂g = y (1 − y) (this op again), ∂/∂y = g (1 − 2y)
    return [
      ctx.needsInputGrad[0] ? sigmoidBackward(gradOut, y) : null,
      ctx.needsInputGrad[1] ? gradOut.mul(g).mul(y.mul(-2).add(1)) : null,
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
    const y = map(x, x.dtype, (v) => (v > 0 ? v : v !== v ? v : 0), "relu");
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
    // y ≤ 0 exactly where x ≤ 0: relu'(0) = 0, and a NaN input (y = NaN) passes its gradient, as
    // PyTorch's threshold_backward
    return zipGradient(g, y, (gv, yv) => (yv <= 0 ? 0 : gv), "reluBackward");
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
export const sin = unaryOp({
  name: "sin",
  forward(ctx, x: Tensor) {
    ctx.save(x);
    return mapToFloat(x, Math.sin);
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [gradOut.mul(x.cos())];
  },
  formula: { forward: "y = sin x", backward: "x̄ = ȳ ⊙ cos x" },
});

/**
 * The cosine (radians), elementwise (PyTorch's `cos`); int32 and bool inputs give float32.
 *
 * @example
 * ```ts
 * cos(tensor([0, Math.PI])); // → [1, -1]
 * ```
 */
export const cos = unaryOp({
  name: "cos",
  forward(ctx, x: Tensor) {
    ctx.save(x);
    return mapToFloat(x, Math.cos);
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [gradOut.mul(x.sin()).neg()];
  },
  formula: { forward: "y = cos x", backward: "x̄ = −ȳ ⊙ sin x" },
});

/**
 * The error function, to double precision: W. J. Cody's rational approximations (1969) on
 * |x| < 0.5, 0.5 ≤ |x| < 4 (via erfc) and |x| ≥ 4 (asymptotic erfc).
 */
export function erfScalar(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const top =
      (((0.185777706184603153 * t + 3.1611237438705656) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const bottom = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return (x * top) / bottom;
  }
  let erfc: number;
  if (ax < 4) {
    const top =
      (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax +
        298.635138197400131) *
        ax +
        881.95222124176909) *
        ax +
        1712.04761263407058) *
        ax +
        2051.07837782607147) *
        ax +
      1230.33935479799725;
    const bottom =
      (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax +
        3290.79923573345963) *
        ax +
        4362.61909014324716) *
        ax +
        3439.36767414372164) *
        ax +
      1230.33935480374942;
    erfc = Math.exp(-ax * ax) * (top / bottom);
  } else {
    const z = 1 / (ax * ax);
    const top =
      ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z +
        0.0160837851487422766) *
        z +
      6.58749161529837803e-4;
    const bottom =
      ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z +
      2.33520497626869185e-3;
    erfc = (Math.exp(-ax * ax) / ax) * (0.564189583547756287 - (z * top) / bottom);
  }
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/**
 * The error function (2/√π) ∫₀ˣ e^(−t²) dt, elementwise (PyTorch's `erf`); int32 and bool
 * inputs give float32.
 *
 * @example
 * ```ts
 * erf(tensor([0, 1])); // → [0, 0.84270079]
 * ```
 */
export const erf = unaryOp({
  name: "erf",
  forward(ctx, x: Tensor) {
    ctx.save(x);
    return mapToFloat(x, erfScalar);
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [
      gradOut.mul(
        x
          .square()
          .neg()
          .exp()
          .mul(2 / Math.sqrt(Math.PI)),
      ),
    ];
  },
  formula: { forward: "y = erf x = (2/√π) ∫₀ˣ e^(−t²) dt", backward: "x̄ = ȳ ⊙ (2/√π) e^(−x²)" },
});

const clampOp = defineOp({
  name: "clamp",
  forward(ctx, x: Tensor, min: number, max: number) {
    rejectBool("clamp", x);
    // the gradient passes where min ≤ x ≤ max, bounds included (PyTorch)
    ctx.save(map(x, "bool", (v) => v >= min && v <= max));
    return map(x, x.dtype, (v) => Math.min(Math.max(v, min), max)); // NaN stays NaN; min > max gives max
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
  const input = !isFloating(x.dtype) && given.some((bound) => !Number.isInteger(bound)) ? x.to("float32") : x;
  // a bound the computing dtype cannot hold is refused, as PyTorch does, never wrapped or rounded
  // to ±Infinity (clamp(int32 tensor, 2 ** 40), clamp(float32 tensor, 1e39))
  for (const bound of given) checkValueFits("clamp", bound, input.dtype);
  return clampOp(input, min ?? -Infinity, max ?? Infinity);
}

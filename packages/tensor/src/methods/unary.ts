// The elementwise unary ops as Tensor methods (`x.exp()` is `exp(x)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as unary from "../ops/unary";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * −this, elementwise (PyTorch's `neg`). Not defined for bool.
     *
     * @example
     * ```ts
     * tensor([1, -2]).neg(); // → [-1, 2]
     * ```
     */
    neg(): Tensor;
    /**
     * eˣ, elementwise (PyTorch's `exp`); int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([0, 1]).exp(); // → [1, 2.7182817]
     * ```
     */
    exp(): Tensor;
    /**
     * The natural logarithm, elementwise (PyTorch's `log`): -Infinity at 0, NaN below; int32 and
     * bool give float32.
     *
     * @example
     * ```ts
     * tensor([1, Math.E, 0]).log(); // → [0, 1, -Infinity]
     * ```
     */
    log(): Tensor;
    /**
     * √x, elementwise (PyTorch's `sqrt`): NaN for negative values; int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([4, 9, -1]).sqrt(); // → [2, 3, NaN]
     * ```
     */
    sqrt(): Tensor;
    /**
     * |x|, elementwise (PyTorch's `abs`); the gradient at 0 is 0. Not defined for bool.
     *
     * @example
     * ```ts
     * tensor([-1.5, 2]).abs(); // → [1.5, 2]
     * ```
     */
    abs(): Tensor;
    /**
     * The hyperbolic tangent, elementwise (PyTorch's `tanh`); int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([0, 0.5, 100]).tanh(); // → [0, 0.46211716, 1]
     * ```
     */
    tanh(): Tensor;
    /**
     * The logistic function 1 / (1 + e⁻ˣ), elementwise (PyTorch's `sigmoid`), accurate for large
     * |x|; int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([0, 2]).sigmoid(); // → [0.5, 0.88079708]
     * ```
     */
    sigmoid(): Tensor;
    /**
     * max(x, 0), elementwise (PyTorch's `relu`); the gradient at 0 is 0, and NaN stays NaN.
     *
     * @example
     * ```ts
     * tensor([-1, 0, 2]).relu(); // → [0, 0, 2]
     * ```
     */
    relu(): Tensor;
    /**
     * The sine (radians), elementwise (PyTorch's `sin`); int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([0, Math.PI / 2]).sin(); // → [0, 1]
     * ```
     */
    sin(): Tensor;
    /**
     * The cosine (radians), elementwise (PyTorch's `cos`); int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([0, Math.PI]).cos(); // → [1, -1]
     * ```
     */
    cos(): Tensor;
    /**
     * The error function (2/√π) ∫₀ˣ e^(−t²) dt, elementwise (PyTorch's `erf`); int32 and bool give
     * float32.
     *
     * @example
     * ```ts
     * tensor([0, 1, -1]).erf(); // → [0, 0.84270079, -0.84270079]
     * ```
     */
    erf(): Tensor;
    /**
     * −1, 0 or 1 by the sign of each element (PyTorch's `sign`); NaN stays NaN, and the gradient is 0.
     *
     * @example
     * ```ts
     * tensor([-2, 0, 3]).sign(); // → [-1, 0, 1]
     * ```
     */
    sign(): Tensor;
    /**
     * Each element limited to [min, max] (PyTorch's `clamp`); either bound may be null or left out,
     * not both. The gradient passes where min ≤ x ≤ max, bounds included.
     *
     * @example
     * ```ts
     * tensor([-2, 0.5, 3]).clamp(0, 1); // → [0, 0.5, 1]
     * tensor([-2, 3]).clamp(null, 1);   // → [-2, 1]
     * ```
     */
    clamp(min?: number | null, max?: number | null): Tensor;
  }
}

installOps({
  neg: unary.neg,
  exp: unary.exp,
  log: unary.log,
  sqrt: unary.sqrt,
  abs: unary.abs,
  tanh: unary.tanh,
  sigmoid: unary.sigmoid,
  relu: unary.relu,
  sin: unary.sin,
  cos: unary.cos,
  erf: unary.erf,
  sign: unary.sign,
  clamp: unary.clamp,
});

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The largest integer ≤ x, elementwise (PyTorch's `floor`); the gradient is 0.
     *
     * @example
     * ```ts
     * tensor([-1.5, 0.5, 2]).floor(); // → [-2, 0, 2]
     * ```
     */
    floor(): Tensor;
    /**
     * The smallest integer ≥ x, elementwise (PyTorch's `ceil`); the gradient is 0.
     *
     * @example
     * ```ts
     * tensor([-1.5, 0.5, 2]).ceil(); // → [-1, 1, 2]
     * ```
     */
    ceil(): Tensor;
    /**
     * The nearest integer, elementwise, halves to the even one (PyTorch's `round`); the gradient is 0.
     *
     * @example
     * ```ts
     * tensor([0.5, 1.5, 2.5, 1.2]).round(); // → [0, 2, 2, 1]
     * ```
     */
    round(): Tensor;
    /**
     * x rounded toward 0, elementwise (PyTorch's `trunc`); the gradient is 0.
     *
     * @example
     * ```ts
     * tensor([-1.5, 2.7]).trunc(); // → [-1, 2]
     * ```
     */
    trunc(): Tensor;
    /**
     * 1 / x, elementwise (PyTorch's `reciprocal`); int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([2, -0.5]).reciprocal(); // → [0.5, -2]
     * ```
     */
    reciprocal(): Tensor;
    /**
     * 1 / √x, elementwise (PyTorch's `rsqrt`); int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([4, 0.25]).rsqrt(); // → [0.5, 2]
     * ```
     */
    rsqrt(): Tensor;
    /**
     * ln(1 + x), elementwise (PyTorch's `log1p`), accurate for tiny x; int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([0, 1e-10]).log1p(); // → [0, 1e-10]
     * ```
     */
    log1p(): Tensor;
    /**
     * eˣ − 1, elementwise (PyTorch's `expm1`), accurate for tiny x; int32 and bool give float32.
     *
     * @example
     * ```ts
     * tensor([0, 1e-10]).expm1(); // → [0, 1e-10]
     * ```
     */
    expm1(): Tensor;
  }
}

installOps({
  floor: unary.floor,
  ceil: unary.ceil,
  round: unary.round,
  trunc: unary.trunc,
  reciprocal: unary.reciprocal,
  rsqrt: unary.rsqrt,
  log1p: unary.log1p,
  expm1: unary.expm1,
});

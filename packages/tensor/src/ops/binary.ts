import { defineOp } from "../autograd/define-op";
import { type DType, floatResult } from "../dtype";
import { NablaError } from "../errors";
import type { BinaryOp } from "../backends/primitives";
import { formatShape } from "../shape";
import { Tensor, type TensorLike } from "../tensor";
import { eq, ge, gt, lt, where } from "./compare";
import { broadcastOperands, valueRange } from "./operands";
import { log, neg } from "./unary";

// Each primitive takes operands already broadcast to one shape (see broadcastOperands); the
// public function does the broadcasting, so no backward here ever sums over broadcast dims.

function zip(a: Tensor, b: Tensor, dtype: DType, op: BinaryOp): Tensor {
  const { backend } = a.storage;
  return Tensor.fromBuffer(backend, backend.run.binary(op, a, b, dtype), a.shape, dtype);
}

const addOp = defineOp({
  name: "add",
  forward(_ctx, a: Tensor, b: Tensor, dtype: DType) {
    return zip(a, b, dtype, "add");
  },
  backward(_ctx, gradOut) {
    return [gradOut, gradOut];
  },
  formula: { forward: "y = a + b", backward: "ā = ȳ, b̄ = ȳ" },
});

const subOp = defineOp({
  name: "sub",
  forward(_ctx, a: Tensor, b: Tensor, dtype: DType) {
    return zip(a, b, dtype, "sub");
  },
  backward(ctx, gradOut) {
    return [gradOut, ctx.needsInputGrad[1] ? neg(gradOut) : null];
  },
  formula: { forward: "y = a − b", backward: "ā = ȳ, b̄ = −ȳ" },
});

const mulOp = defineOp({
  name: "mul",
  forward(ctx, a: Tensor, b: Tensor, dtype: DType) {
    // ā needs b and b̄ needs a: keep only what is read, so (as in PyTorch) an operand whose partner
    // is a constant may be written in place afterwards
    if (ctx.needsInputGrad[0]) ctx.save(b);
    if (ctx.needsInputGrad[1]) ctx.save(a);
    return zip(a, b, dtype, "mul");
  },
  backward(ctx, gradOut) {
    const { saved, needsInputGrad } = ctx;
    // saved holds b when ā is needed, then a when b̄ is
    return [needsInputGrad[0] ? mul(gradOut, saved[0]!) : null, needsInputGrad[1] ? mul(gradOut, saved[needsInputGrad[0] ? 1 : 0]!) : null];
  },
  formula: { forward: "y = a ⊙ b", backward: "ā = ȳ ⊙ b, b̄ = ȳ ⊙ a" },
});

const divOp = defineOp({
  name: "div",
  forward(ctx, a: Tensor, b: Tensor, dtype: DType) {
    // only b̄ reads a: a constant denominator leaves the numerator free to be written in place
    ctx.save(b);
    if (ctx.needsInputGrad[1]) ctx.save(a);
    return zip(a, b, dtype, "div");
  },
  backward(ctx, gradOut) {
    const [b, a] = ctx.saved as [Tensor, Tensor | undefined];
    const gradA = div(gradOut, b);
    // d(a/b)/db = −a/b², written as −(ȳ/b)·(a/b) to avoid squaring b
    return [ctx.needsInputGrad[0] ? gradA : null, ctx.needsInputGrad[1] ? neg(mul(gradA, div(a!, b))) : null];
  },
  formula: { forward: "y = a / b", backward: "ā = ȳ / b, b̄ = −ȳ ⊙ a / b²" },
});

const powOp = defineOp({
  name: "pow",
  forward(ctx, a: Tensor, b: Tensor, dtype: DType) {
    ctx.save(a, b);
    return zip(a, b, dtype, "pow");
  },
  backward(ctx, gradOut) {
    const [a, b] = ctx.saved as [Tensor, Tensor];
    // ∂/∂a = b·a^(b−1), zero where b = 0 (so 0^0 does not produce 0·∞)
    const gradA = ctx.needsInputGrad[0] ? where(eq(b, 0), 0, mul(mul(gradOut, b), pow(a, sub(b, 1)))) : null;
    // ∂/∂b = a^b·ln a, zero where a = 0 and b ≥ 0 (PyTorch's convention at the boundary)
    const gradB = ctx.needsInputGrad[1] ? where(mul(eq(a, 0), ge(b, 0)), 0, mul(mul(gradOut, pow(a, b)), log(a))) : null;
    return [gradA, gradB];
  },
  formula: { forward: "y = a^b", backward: "ā = ȳ ⊙ b ⊙ a^(b−1), b̄ = ȳ ⊙ a^b ⊙ ln a" },
});

const maximumOp = defineOp({
  name: "maximum",
  forward(ctx, a: Tensor, b: Tensor, dtype: DType) {
    ctx.save(a, b);
    return zip(a, b, dtype, "maximum"); // a tie takes b, so maximum(0, -0) is -0
  },
  backward(ctx, gradOut) {
    const [a, b] = ctx.saved as [Tensor, Tensor];
    return splitByComparison(gradOut, gt(a, b), eq(a, b), ctx.needsInputGrad);
  },
  formula: { forward: "y = max(a, b)", backward: "ā = ȳ where a > b, b̄ = ȳ where b > a; ties split ȳ/2 each" },
});

const minimumOp = defineOp({
  name: "minimum",
  forward(ctx, a: Tensor, b: Tensor, dtype: DType) {
    ctx.save(a, b);
    return zip(a, b, dtype, "minimum"); // a tie takes b, so minimum(-0, 0) is 0
  },
  backward(ctx, gradOut) {
    const [a, b] = ctx.saved as [Tensor, Tensor];
    return splitByComparison(gradOut, lt(a, b), eq(a, b), ctx.needsInputGrad);
  },
  formula: { forward: "y = min(a, b)", backward: "ā = ȳ where a < b, b̄ = ȳ where b < a; ties split ȳ/2 each" },
});

/** The winner takes the gradient; at a tie each side gets half (PyTorch's maximum/minimum). */
function splitByComparison(gradOut: Tensor, aWins: Tensor, tie: Tensor, needs: readonly boolean[]): (Tensor | null)[] {
  const half = mul(gradOut, 0.5);
  return [needs[0] ? where(aWins, gradOut, where(tie, half, 0)) : null, needs[1] ? where(aWins, 0, where(tie, half, gradOut)) : null];
}

type BinaryPrimitive = (a: Tensor, b: Tensor, dtype: DType) => Tensor;

function elementwise(op: string, primitive: BinaryPrimitive, a: TensorLike, b: TensorLike, toFloat = false): Tensor {
  const { tensors, dtype } = broadcastOperands(op, [a, b]);
  return primitive(tensors[0]!, tensors[1]!, toFloat ? floatResult(dtype) : dtype);
}

/**
 * a + b, elementwise with broadcasting (PyTorch's `add`). Either side may be a JS number, a "weak"
 * scalar that keeps the tensor's dtype unless it is of a higher kind (int32 + 1.5 is float32);
 * tensors of different dtypes promote (see `resultType`), and bool + bool is logical or.
 *
 * @example
 * ```ts
 * add(tensor([[1, 2], [3, 4]]), tensor([10, 20])); // → [[11, 22], [13, 24]]
 * add(tensor([1, 2]), 0.5);                        // → [1.5, 2.5]
 * add(zeros([2]), zeros([3])); // throws add: cannot broadcast shapes [2] and [3] (size 2 vs 3 at dim -1)
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("add", addOp, a, b);
}

/**
 * a − b, elementwise with broadcasting (PyTorch's `sub`). Not defined for bool.
 *
 * @example
 * ```ts
 * sub(10, tensor([1, 2])); // → [9, 8]
 * ```
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const { tensors, dtype } = broadcastOperands("sub", [a, b]);
  if (dtype === "bool")
    throw new NablaError("sub", 'subtracting bool tensors is not supported; use logical ops or convert with to("int32")');
  return subOp(tensors[0]!, tensors[1]!, dtype);
}

/**
 * a ⊙ b (the elementwise product), with broadcasting (PyTorch's `mul`; `matmul` is the matrix
 * product). bool ⊙ bool is logical and.
 *
 * @example
 * ```ts
 * mul(tensor([[1, 2], [3, 4]]), tensor([[10], [100]])); // → [[10, 20], [300, 400]]
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("mul", mulOp, a, b);
}

/**
 * True division a / b, elementwise with broadcasting (PyTorch's `div`): integer inputs give
 * float32; division by zero gives ±Infinity or NaN, as IEEE.
 *
 * @example
 * ```ts
 * div(arange(3), 2);             // → [0, 0.5, 1]
 * div(tensor([1, -1, 0]), 0);    // → [Infinity, -Infinity, NaN]
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("div", divOp, a, b, true);
}

/**
 * a raised to b, elementwise with broadcasting (PyTorch's `pow`). Integer tensors cannot be raised
 * to negative integer powers, as in PyTorch.
 *
 * @example
 * ```ts
 * pow(tensor([1, 2, 3]), 2); // → [1, 4, 9]
 * pow(2, tensor([0, 1, 2])); // → [1, 2, 4]
 * ```
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  const { tensors, dtype } = broadcastOperands("pow", [a, b]);
  const [base, exponent] = tensors as [Tensor, Tensor];
  if (dtype === "bool") {
    throw new NablaError(
      "pow",
      'is not supported for bool tensors (base and exponent are both bool); convert with to("int32") or to("float32") first',
    );
  }
  if (dtype === "int32" && exponent.numel > 0 && valueRange(exponent).min < 0) {
    throw new NablaError(
      "pow",
      `integers cannot be raised to negative integer powers (base ${base.dtype} ${formatShape(base.shape)}, exponent ${exponent.dtype} with a negative entry); convert the base with to("float32")`,
    );
  }
  return powOp(base, exponent, dtype);
}

/**
 * The larger of a and b, elementwise with broadcasting (PyTorch's `maximum`); NaN propagates. At a
 * tie each side gets half the gradient.
 *
 * @example
 * ```ts
 * maximum(tensor([1, 5, NaN]), tensor([3, 2, 0])); // → [3, 5, NaN]
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("maximum", maximumOp, a, b);
}

/**
 * The smaller of a and b, elementwise with broadcasting (PyTorch's `minimum`); NaN propagates. At a
 * tie each side gets half the gradient.
 *
 * @example
 * ```ts
 * minimum(tensor([1, 5]), 2); // → [1, 2]
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return elementwise("minimum", minimumOp, a, b);
}

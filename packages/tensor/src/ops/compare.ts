import { defineOp } from "../autograd/define-op";
import { isTensor } from "../copies";
import { checkValueFits } from "../dtype";
import { NablaError, describeValue } from "../errors";
import { broadcastShapes, formatShape } from "../shape";
import type { CompareOp } from "../backends/primitives";
import { Tensor, type TensorLike } from "../tensor";
import { broadcastOperands } from "./operands";
import { to } from "./movement";

// Comparisons have no gradient, so they are plain functions, not ops: their bool results never
// join the graph.

/* @__NO_SIDE_EFFECTS__ */
function comparison(op: CompareOp) {
  return (a: TensorLike, b: TensorLike): Tensor => {
    const { tensors } = broadcastOperands(op, [a, b]);
    const [x, y] = tensors as [Tensor, Tensor];
    const { backend } = x.storage;
    return Tensor.fromBuffer(backend, backend.run.compare(op, x, y), x.shape, "bool");
  };
}

/**
 * Elementwise a == b with broadcasting, as a bool tensor (PyTorch's `eq`; NaN equals nothing).
 * Comparisons have no gradient.
 *
 * @example
 * ```ts
 * eq(tensor([1, 2, NaN]), tensor([1, 0, NaN])); // → [true, false, false]
 * ```
 */
export const eq = comparison("eq");
/**
 * Elementwise a != b with broadcasting, as a bool tensor (PyTorch's `ne`).
 *
 * @example
 * ```ts
 * ne(tensor([1, 2, 3]), 2); // → [true, false, true]
 * ```
 */
export const ne = comparison("ne");
/**
 * Elementwise a < b with broadcasting, as a bool tensor (PyTorch's `lt`).
 *
 * @example
 * ```ts
 * lt(tensor([1, 2, 3]), 2); // → [true, false, false]
 * ```
 */
export const lt = comparison("lt");
/**
 * Elementwise a <= b with broadcasting, as a bool tensor (PyTorch's `le`).
 *
 * @example
 * ```ts
 * le(tensor([1, 2, 3]), 2); // → [true, true, false]
 * ```
 */
export const le = comparison("le");
/**
 * Elementwise a > b with broadcasting, as a bool tensor (PyTorch's `gt`).
 *
 * @example
 * ```ts
 * gt(tensor([[1], [3]]), tensor([2, 0])); // → [[false, true], [true, true]]
 * ```
 */
export const gt = comparison("gt");
/**
 * Elementwise a >= b with broadcasting, as a bool tensor (PyTorch's `ge`).
 *
 * @example
 * ```ts
 * ge(tensor([1, 2, 3]), 2); // → [false, true, true]
 * ```
 */
export const ge = comparison("ge");

const whereOp = defineOp({
  name: "where",
  forward(ctx, cond: Tensor, a: Tensor, b: Tensor) {
    ctx.save(cond);
    const { backend } = cond.storage;
    return Tensor.fromBuffer(backend, backend.run.where(cond, a, b, a.dtype), cond.shape, a.dtype);
  },
  backward(ctx, gradOut) {
    const [cond] = ctx.saved as [Tensor];
    return [null, ctx.needsInputGrad[1] ? where(cond, gradOut, 0) : null, ctx.needsInputGrad[2] ? where(cond, 0, gradOut) : null];
  },
  formula: { forward: "y = cond ? a : b", backward: "ā = ȳ ⊙ [cond], b̄ = ȳ ⊙ [¬cond]" },
});

/**
 * Picks from `a` where `cond` is true and from `b` elsewhere, with broadcasting over all three
 * (PyTorch's `where`). `cond` must be bool; a and b promote to a common dtype. The gradient goes to
 * the side each element was taken from.
 *
 * @example
 * ```ts
 * const x = tensor([-1, 2, -3]);
 * where(x.gt(0), x, 0); // → [0, 2, 0]
 * where(x, x, 0); // throws where: condition must be a bool tensor, got dtype float32
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!isTensor(cond, "where") || cond.dtype !== "bool") {
    throw new NablaError("where", `condition must be a bool tensor, got ${isTensor(cond, "where") ? `dtype ${cond.dtype}` : typeof cond}`);
  }
  const values = broadcastOperands("where", [a, b]);
  const { tensors } = broadcastOperands("where", [cond, ...values.tensors], { toCommonDtype: false });
  const [c, x, y] = tensors as [Tensor, Tensor, Tensor];
  return whereOp(c, x, y);
}

/**
 * x with `value` wherever `mask` is true (PyTorch's `masked_fill`): mask is a bool tensor that
 * broadcasts with x; value is a number or a 0-d tensor, stored as x's dtype (a fraction truncates
 * into int32; a value int32 cannot hold throws). The gradient is 0 at the filled positions; a 0-d
 * tensor value receives the sum of the gradient there.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3]);
 * maskedFill(x, tensor([true, false, true]), 0);   // → [0, 2, 0]
 * x.maskedFill(x.gt(1), -Infinity);                // → [1, -Infinity, -Infinity]
 * ```
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  if (!isTensor(x, "maskedFill")) throw new NablaError("maskedFill", `input must be a Tensor, got ${describeValue(x)}`);
  if (!isTensor(mask, "maskedFill") || mask.dtype !== "bool") {
    throw new NablaError(
      "maskedFill",
      `mask must be a bool tensor, got ${isTensor(mask, "maskedFill") ? `dtype ${mask.dtype}` : describeValue(mask)}`,
    );
  }
  broadcastShapes("maskedFill", x.shape, mask.shape);
  let fill: Tensor;
  if (typeof value === "number") {
    checkValueFits("maskedFill", value, x.dtype);
    fill = Tensor.fromNumber(value, x.dtype);
  } else if (isTensor(value, "maskedFill")) {
    if (value.ndim !== 0) {
      throw new NablaError("maskedFill", `value must be a number or a 0-d tensor, got a tensor of shape ${formatShape(value.shape)}`);
    }
    fill = value.dtype === x.dtype ? value : to(value, x.dtype);
  } else {
    throw new NablaError("maskedFill", `value must be a number or a 0-d tensor, got ${describeValue(value)}`);
  }
  return where(mask, fill, x);
}

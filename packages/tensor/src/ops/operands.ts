import { allocate, type DType, resultType } from "../dtype";
import { NablaError } from "../errors";
import { broadcastShapes, shapesEqual } from "../shape";
import { Tensor, type TensorLike } from "../tensor";
import { expand } from "./movement";

/** A JS number or boolean as a 0-d tensor of `dtype`. */
export function scalarTensor(value: number | boolean, dtype: DType): Tensor {
  const data = allocate(dtype, 1);
  data[0] = typeof value === "boolean" ? (value ? 1 : 0) : value;
  return Tensor.fromData(data, [], dtype);
}

function checkOperand(op: string, value: unknown, position: number): TensorLike {
  if (value instanceof Tensor || typeof value === "number" || typeof value === "boolean") return value;
  throw new NablaError(op, `operand ${position} must be a Tensor or a number, got ${value === null ? "null" : typeof value}`);
}

/**
 * Prepares operands for an elementwise op: PyTorch's result dtype (JS numbers are weak scalars),
 * numbers turned into 0-d tensors of that dtype, and every operand broadcast to the common shape
 * by a stride-0 `expand` (only where its shape differs), so expand's backward is the one place
 * broadcasting is undone.
 */
export function broadcastOperands(op: string, operands: readonly unknown[]): { tensors: Tensor[]; dtype: DType } {
  const checked = operands.map((v, i) => checkOperand(op, v, i));
  const dtype = resultType(checked);
  const tensors = checked.map((v) => (v instanceof Tensor ? v : scalarTensor(v, dtype)));
  const shape = broadcastShapes(op, ...tensors.map((t) => t.shape));
  return { tensors: tensors.map((t) => (shapesEqual(t.shape, shape) ? t : expand(t, shape))), dtype };
}

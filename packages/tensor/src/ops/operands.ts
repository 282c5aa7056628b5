import { allocate, type DType, resultType } from "../dtype";
import { NablaError } from "../errors";
import { broadcastShapes, type Shape, shapesEqual } from "../shape";
import { Storage, Tensor, type TensorLike } from "../tensor";
import { expand } from "./movement";

/**
 * A JS number or boolean as a tensor of `dtype` and `shape` (0-d by default): one stored element
 * that every index reaches through stride 0, the layout `expand` would give it.
 */
export function scalarTensor(value: number | boolean, dtype: DType, shape: Shape = []): Tensor {
  const data = allocate(dtype, 1);
  data[0] = typeof value === "boolean" ? (value ? 1 : 0) : value;
  return new Tensor(new Storage(data), { shape, strides: shape.map(() => 0), offset: 0 }, dtype);
}

function checkOperand(op: string, value: unknown, position: number): TensorLike {
  if (value instanceof Tensor || typeof value === "number" || typeof value === "boolean") return value;
  throw new NablaError(op, `operand ${position} must be a Tensor or a number, got ${value === null ? "null" : typeof value}`);
}

/** The shape every operand is broadcast to; numbers are 0-d and so never change it. */
function commonShape(op: string, operands: readonly TensorLike[]): Shape {
  const shapes: Shape[] = [];
  for (const operand of operands) if (operand instanceof Tensor) shapes.push(operand.shape);
  // operands of one shape, the usual case, need no new shape
  if (shapes.every((shape) => shapesEqual(shape, shapes[0]!))) return shapes[0] ?? [];
  return broadcastShapes(op, ...shapes);
}

/**
 * Prepares operands for an elementwise op: PyTorch's result dtype (JS numbers are weak scalars),
 * and every operand broadcast to the common shape by a stride-0 `expand` (only where its shape
 * differs), so expand's backward is the one place broadcasting is undone. A number becomes a
 * stride-0 tensor of that shape and dtype directly: it needs no gradient, so no expand either.
 */
export function broadcastOperands(op: string, operands: readonly unknown[]): { tensors: Tensor[]; dtype: DType } {
  const checked = operands.map((v, i) => checkOperand(op, v, i));
  const dtype = resultType(checked);
  const shape = commonShape(op, checked);
  const tensors = checked.map((v) => {
    if (!(v instanceof Tensor)) return scalarTensor(v, dtype, shape);
    return shapesEqual(v.shape, shape) ? v : expand(v, shape);
  });
  return { tensors, dtype };
}

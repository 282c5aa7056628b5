import { isTensor } from "../copies";
import { type DType, resultType } from "../dtype";
import { NablaError, describeValue } from "../errors";
import { broadcastShapes, type Shape, shapesEqual } from "../shape";
import { Tensor, type TensorLike } from "../tensor";
import { expand, to } from "./movement";

function checkOperand(op: string, value: unknown, position: number): void {
  if (isTensor(value, op) || typeof value === "number" || typeof value === "boolean") return;
  throw new NablaError(op, `operand ${position} must be a Tensor or a number, got ${describeValue(value)}`);
}

/** The shape every operand is broadcast to; numbers are 0-d and so never change it. */
function commonShape(op: string, operands: readonly TensorLike[]): Shape {
  // operands of one shape, the usual case, need no new shape (nor a list of shapes)
  let first: Shape | null = null;
  let oneShape = true;
  for (const operand of operands) {
    if (!isTensor(operand, op)) continue;
    if (first === null) first = operand.shape;
    else if (!shapesEqual(operand.shape, first)) oneShape = false;
  }
  if (oneShape) return first ?? [];
  const shapes: Shape[] = [];
  for (const operand of operands) if (isTensor(operand, op)) shapes.push(operand.shape);
  return broadcastShapes(op, ...shapes);
}

/**
 * Prepares operands for an elementwise op: PyTorch's result dtype (JS numbers are weak scalars),
 * every tensor converted to it (as PyTorch computes in the common dtype: a 0-d float64 tensor
 * meeting a float32 one is rounded to float32 first), and every operand broadcast to the common
 * shape by a stride-0 `expand` (only where its shape differs), so expand's backward is the one
 * place broadcasting is undone. A number becomes a stride-0 tensor of that shape and dtype
 * directly: it needs no gradient, so no expand either. `where` broadcasts its bool condition with
 * `toCommonDtype: false`.
 */
export function broadcastOperands(
  op: string,
  operands: readonly unknown[],
  { toCommonDtype = true } = {},
): { tensors: Tensor[]; dtype: DType } {
  // plain loops: this runs for every elementwise op, where closures and growing arrays show
  for (let i = 0; i < operands.length; i++) checkOperand(op, operands[i], i);
  const checked = operands as readonly TensorLike[];
  const dtype = resultType(checked);
  const shape = commonShape(op, checked);
  const tensors = new Array<Tensor>(checked.length);
  for (let i = 0; i < checked.length; i++) {
    const v = checked[i]!;
    if (!isTensor(v, op)) {
      tensors[i] = Tensor.fromNumber(v, dtype, shape);
      continue;
    }
    // converted before the expand, so only the operand's own elements are
    const converted = toCommonDtype && v.dtype !== dtype ? to(v, dtype) : v;
    tensors[i] = shapesEqual(converted.shape, shape) ? converted : expand(converted, shape);
  }
  return { tensors, dtype };
}

/**
 * The smallest and largest element of x, read back (indices are checked before a kernel runs);
 * Infinity and -Infinity for an empty x.
 */
export function valueRange(x: Tensor): { min: number; max: number } {
  const { backend } = x.storage;
  const all = x.shape.map(() => true);
  const read = (op: "min" | "max") =>
    backend.readSync({ buffer: backend.run.reduce(op, x, all, "float64"), shape: [], strides: [], offset: 0 }, "float64")[0]!;
  return { min: read("min"), max: read("max") };
}

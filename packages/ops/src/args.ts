import { NablaError, type Tensor, formatShape } from "@nabla/tensor/functional";
import { checkNumber, checkTensor, describeValue } from "@nabla/tensor/internal";

// Argument checks and message pieces shared by the functional ops.

/** A float32 or float64 Tensor, else a NablaError naming the argument's dtype and shape. */
export function checkFloatTensor(op: string, name: string, value: unknown): Tensor {
  const t = checkTensor(op, name, value);
  if (t.dtype !== "float32" && t.dtype !== "float64") {
    throw new NablaError(op, `expected a float32 or float64 ${name}, got ${t.dtype} of shape ${formatShape(t.shape)}`);
  }
  return t;
}

/** A probability in [0, 1] (NaN is not one), else a NablaError naming the argument. */
export function checkProbability(op: string, name: string, value: unknown): number {
  checkNumber(op, name, value);
  if (!((value as number) >= 0 && (value as number) <= 1)) {
    throw new NablaError(op, `${name} must be a probability in [0, 1], got ${describeValue(value)}`);
  }
  return value as number;
}

/** "[1, 2]": the position of a flat (row-major) index in a shape, for error messages. */
export function formatPosition(flatIndex: number, shape: readonly number[]): string {
  const position = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    position[d] = flatIndex % shape[d]!;
    flatIndex = Math.floor(flatIndex / shape[d]!);
  }
  return formatShape(position);
}

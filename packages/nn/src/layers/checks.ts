import { NablaError, type Tensor } from "@nabla/tensor/functional";
import { checkNumber, checkTensor, describeValue } from "@nabla/tensor/internal";

/** The dtypes a layer's parameters may have. */
export type FloatDType = "float32" | "float64";

/** A layer's dtype option, checked. */
export function checkDType(op: string, dtype: unknown): FloatDType {
  if (dtype !== "float32" && dtype !== "float64")
    throw new NablaError(op, `dtype must be "float32" or "float64", got ${describeValue(dtype)}`);
  return dtype;
}

/** A tensor argument of a layer's forward, which must have the layer's dtype. */
export function checkModuleTensor(op: string, name: string, value: unknown, dtype: FloatDType): Tensor {
  const t = checkTensor(op, name, value);
  if (t.dtype !== dtype) {
    throw new NablaError(op, `${name} dtype ${t.dtype} differs from the module's ${dtype} (convert with .to("${dtype}"))`);
  }
  return t;
}

/** A layer's dropout option: a probability in [0, 1]. */
export function checkDropout(op: string, p: unknown): number {
  checkNumber(op, "dropout", p);
  if (!((p as number) >= 0 && (p as number) <= 1))
    throw new NablaError(op, `dropout must be a probability in [0, 1], got ${describeValue(p)}`);
  return p as number;
}

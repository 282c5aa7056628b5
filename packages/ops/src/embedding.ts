import { eq, formatShape, indexSelect, isGradEnabled, NablaError, reshape, type Tensor, unsqueeze, where } from "@nabla/tensor/functional";
import { checkInteger, checkOptions, checkTensor } from "@nabla/tensor/internal";
import { formatPosition } from "./args";

/** The options of `embedding`, as PyTorch's `F.embedding` keywords. */
export interface EmbeddingOptions {
  /** The row whose lookups get no gradient (negative counts from the end); none when absent. */
  paddingIdx?: number | null;
}

/**
 * A lookup table, as PyTorch's `F.embedding`: row `input[…]` of `weight` `[V, D]` for every index
 * of the int32 `input` (any shape), so the output is `[...input.shape, D]`. Gradients add up into
 * the rows looked up (repeats add), except the `paddingIdx` row, which gets none. An index outside
 * [0, V) is a NablaError naming it and where it is.
 *
 * @example
 * ```ts
 * const weight = tensor([[0, 0], [1, 1], [2, 4]], { requiresGrad: true });
 * const ids = tensor([[2, 0], [1, 2]], { dtype: "int32" });
 * embedding(ids, weight); // → [[[2, 4], [0, 0]], [[1, 1], [2, 4]]]
 * embedding(ids, weight, { paddingIdx: 0 }).sum().backward();
 * weight.grad;            // → [[0, 0], [1, 1], [2, 2]]
 * embedding(tensor([1, 3], { dtype: "int32" }), weight); // throws embedding: index 3 at position [1] of input [2] is out of range for a weight of 3 rows
 * ```
 */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const op = "embedding";
  checkTensor(op, "input", input);
  checkTensor(op, "weight", weight);
  if (input.dtype !== "int32") {
    throw new NablaError(op, `input must be an int32 tensor of indices, got ${input.dtype} of shape ${formatShape(input.shape)}`);
  }
  if (weight.ndim !== 2 || (weight.dtype !== "float32" && weight.dtype !== "float64")) {
    throw new NablaError(
      op,
      `weight must be a 2-D float32 or float64 tensor [V, D], got ${weight.dtype} of shape ${formatShape(weight.shape)}`,
    );
  }
  const [rows, features] = weight.shape as [number, number];
  const { paddingIdx = null } = checkOptions(op, options);
  let padding: number | null = null;
  if (paddingIdx !== null) {
    checkInteger(op, "paddingIdx", paddingIdx);
    if (paddingIdx < -rows || paddingIdx >= rows) {
      throw new NablaError(op, `paddingIdx ${paddingIdx} is out of range for a weight of ${rows} rows`);
    }
    padding = paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
  }
  const indices = input.data() as Int32Array;
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (index < 0 || index >= rows) {
      throw new NablaError(
        op,
        `index ${index} at position ${formatPosition(i, input.shape)} of input ${formatShape(input.shape)} is out of range for a weight of ${rows} rows`,
      );
    }
  }
  const flat = reshape(input, [input.numel]);
  let looked = indexSelect(weight, 0, flat);
  if (padding !== null && weight.requiresGrad && isGradEnabled()) {
    // the same values, but the padding lookups read a detached weight: no gradient reaches its row
    looked = where(unsqueeze(eq(flat, padding), 1), looked.detach(), looked);
  }
  return reshape(looked, [...input.shape, features]);
}

import { ge, mul, rand, type Tensor, to } from "@nabla/tensor/functional";
import { checkBoolean, checkTensor } from "@nabla/tensor/internal";
import { checkFloatTensor, checkProbability } from "./args";

/**
 * Inverted dropout, as PyTorch's `F.dropout`: with `training` (the default), zeroes each element
 * with probability `p` (default 0.5) and scales the survivors by 1/(1 − p), so the expected output
 * equals the input and evaluation needs no rescaling; without it, returns the input itself. Masks
 * come from the global generator, so `manualSeed` makes them reproducible (nabla's own draws, not
 * PyTorch's masks for the same seed). `p` outside [0, 1] and a
 * non-float input are NablaErrors.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * dropout(ones([8]));             // → [0, 2, 0, 0, 0, 2, 0, 2]
 * dropout(ones([3]), 0.5, false); // → [1, 1, 1]
 * dropout(ones([3]), 1.5);        // throws dropout: p must be a probability in [0, 1], got 1.5
 * ```
 */
export function dropout(input: Tensor, p = 0.5, training = true): Tensor {
  const op = "dropout";
  checkTensor(op, "input", input);
  checkProbability(op, "p", p);
  checkBoolean(op, "training", training);
  checkFloatTensor(op, "input", input);
  if (!training || p === 0) return input;
  if (p === 1) return mul(input, 0); // everything dropped; 1/(1 − p) would be infinite
  // keep where u ≥ p, u ~ U[0, 1): probability 1 − p
  const keep = ge(rand(input.shape, { dtype: input.dtype }), p);
  return mul(input, mul(to(keep, input.dtype), 1 / (1 - p)));
}

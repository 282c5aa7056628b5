import type { Tensor } from "@nabla/tensor/functional";
import { markWritten, type OptimizerStep } from "@nabla/tensor/internal";
import { sameShape } from "./optimizer";

/*
 * Why optimizers have a second, fused form of their update: written with tensor ops, one parameter's
 * update is 5–13 ops, each allocating a fresh array (in-place ops too: they compute out of place, then
 * copy), and on small machines the allocations and the dispatch cost more than the arithmetic. The fused
 * form is the backend's optimizerUpdate primitive: the same update as one call per parameter, writing
 * the parameter and its state in place.
 *
 * The tensor-op form stays as the reference and as the path for everything unusual (non-contiguous
 * tensors, mixed dtypes, a gradient sharing the parameter's storage). The primitive rounds exactly
 * where the tensor-op form stores an intermediate tensor of the parameter's dtype, in the same order,
 * so both forms give the same bits.
 */

/**
 * Updates one parameter by `step`: through its backend's optimizerUpdate primitive (one call, whatever
 * the size, writing the parameter and `state` in place; see OptimizerStep for the state of each rule)
 * when `canFuseUpdate` allows, else by `withOps`, the same update as tensor ops. The primitive's writes
 * are recorded, so saved tensors over them are seen to be stale.
 */
export function updateParameter(
  step: OptimizerStep,
  param: Tensor,
  grad: Tensor,
  state: readonly (Tensor | null)[],
  withOps: () => void,
): void {
  if (canFuseUpdate(param, [grad, ...state])) {
    param.storage.backend.run.optimizerUpdate(step, param, grad, state);
    markWritten(param, ...state);
  } else {
    withOps();
  }
}

/**
 * Whether `param` can be updated by the optimizerUpdate primitive reading and writing `operands`
 * (gradient, state buffers; null entries are absent ones): all contiguous float32 or float64 of
 * one dtype and one shape, each in its own storage, so element i of every operand is at its offset + i
 * and writing one cannot change what the update reads from another.
 *
 * Parameters that share storage with other parameters (views, aliases) qualify: each is still read and
 * written element by element in one pass, and parameters are updated one after another, as in the
 * tensor-op form.
 */
function canFuseUpdate(param: Tensor, operands: readonly (Tensor | null)[]): boolean {
  if ((param.dtype !== "float32" && param.dtype !== "float64") || !param.isContiguous()) return false;
  const storages = [param.storage];
  for (const operand of operands) {
    if (operand === null) continue;
    if (operand.dtype !== param.dtype || !operand.isContiguous() || !sameShape(operand.shape, param.shape)) return false;
    if (storages.includes(operand.storage)) return false;
    storages.push(operand.storage);
  }
  return true;
}

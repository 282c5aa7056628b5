import { full } from "../creation";
import { NablaError } from "../errors";
import { formatShape, shapesEqual } from "../shape";
import { Tensor } from "../tensor";
import { runBackward } from "./engine";

export interface AutogradGradOptions {
  /** The vectors in the vector-Jacobian products, one per output (default 1 for scalar outputs). */
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null;
  /** Keep the graph for another backward (defaults to createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

function asList(op: string, value: Tensor | readonly Tensor[], what: string): Tensor[] {
  const list = value instanceof Tensor ? [value] : [...value];
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new NablaError(op, `${what} ${i} is not a tensor`);
  });
  return list;
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned instead of accumulated into `.grad`
 * (PyTorch's torch.autograd.grad). With `createGraph` the results are differentiable.
 *
 * @example
 * const [dy] = autogradGrad(x.pow(3).sum(), [x], { createGraph: true }); // 3x²
 * const [d2y] = autogradGrad(dy!.sum(), [x]);                             // 6x
 */
export function autogradGrad(outputs: Tensor | readonly Tensor[], inputs: Tensor | readonly Tensor[], options: AutogradGradOptions = {}): (Tensor | null)[] {
  const outs = asList("autogradGrad", outputs, "output");
  const ins = asList("autogradGrad", inputs, "input");
  const { createGraph = false, allowUnused = false } = options;
  const retainGraph = options.retainGraph ?? createGraph;
  ins.forEach((t, i) => {
    if (!t.requiresGrad) throw new NablaError("autogradGrad", `input ${i} (shape ${formatShape(t.shape)}) does not require grad`);
  });
  const given = options.gradOutputs === undefined || options.gradOutputs === null ? [] : options.gradOutputs instanceof Tensor ? [options.gradOutputs] : [...options.gradOutputs];
  if (given.length > 0 && given.length !== outs.length) {
    throw new NablaError("autogradGrad", `got ${given.length} gradOutputs for ${outs.length} outputs`);
  }
  const roots: Tensor[] = [];
  const seeds: Tensor[] = [];
  outs.forEach((out, i) => {
    if (!out.requiresGrad) throw new NablaError("autogradGrad", `output ${i} does not require grad and has no gradFn`);
    let seed = given[i] ?? null;
    if (seed === null) {
      if (out.numel !== 1) throw new NablaError("autogradGrad", `output ${i} has shape ${formatShape(out.shape)}: gradOutputs is needed for non-scalar outputs`);
      seed = full(out.shape, 1, { dtype: out.dtype });
    } else if (!shapesEqual(seed.shape, out.shape)) {
      throw new NablaError("autogradGrad", `gradOutputs ${i} has shape ${formatShape(seed.shape)} but output ${i} has shape ${formatShape(out.shape)}`);
    }
    roots.push(out);
    seeds.push(seed);
  });
  const grads = runBackward(roots, seeds, { retainGraph, createGraph, capture: ins });
  grads.forEach((g, i) => {
    if (g === null && !allowUnused) {
      throw new NablaError("autogradGrad", `input ${i} (shape ${formatShape(ins[i]!.shape)}) was not used in the graph of the outputs; pass { allowUnused: true } to get null for it`);
    }
  });
  return grads;
}

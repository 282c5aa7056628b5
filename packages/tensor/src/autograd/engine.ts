import { NablaError } from "../errors";
import { formatShape, shapesEqual } from "../shape";
import type { Tensor } from "../tensor";
import { checkAnomaly } from "./anomaly";
import type { Node } from "./define-op";
import { setGradEnabled } from "./grad-mode";

export interface BackwardOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
}

interface RunOptions extends BackwardOptions {
  /** When given, gradients for these tensors are returned instead of accumulated into `.grad`. */
  capture?: readonly Tensor[];
}

/**
 * Reverse-mode sweep from `roots` (each seeded with its gradient). Nodes run in topological order
 * (Kahn's algorithm over dependency counts, no recursion, so a 100,000-op chain is fine); the
 * gradients meeting at a node are added before its backward runs. Leaves receive their summed
 * gradient at the end. Returns the captured gradients when `capture` is set.
 */
export function runBackward(roots: readonly Tensor[], rootGrads: readonly Tensor[], options: RunOptions): (Tensor | null)[] {
  const { retainGraph = false, createGraph = false, capture } = options;
  const dependencies = countDependencies(roots);
  const pending = new Map<Node, Tensor>();
  const leafGrads = new Map<Tensor, Tensor>();
  const captured = capture ? capture.map(() => null as Tensor | null) : [];
  const captureIndex = new Map<Tensor | Node, number>();
  capture?.forEach((t, i) => captureIndex.set(t.gradFn ?? t, i));

  const previousMode = setGradEnabled(createGraph);
  try {
    const ready: Node[] = [];
    roots.forEach((root, i) => {
      const grad = rootGrads[i]!;
      if (root.gradFn) {
        accumulate(pending, root.gradFn, grad);
        if (dependencies.get(root.gradFn) === 0 && !ready.includes(root.gradFn)) ready.push(root.gradFn);
      } else accumulate(leafGrads, root, grad);
    });
    while (ready.length > 0) {
      const node = ready.pop()!;
      let gradOut = pending.get(node);
      pending.delete(node);
      const inputGrads = gradOut === undefined ? null : runNode(node, (gradOut = observe(node, gradOut, createGraph, captureIndex, captured)));
      for (let i = 0; i < node.inputs.length; i++) {
        const input = node.inputs[i];
        if (!input) continue;
        const grad = inputGrads?.[i] ?? null;
        const parent = input.gradFn;
        if (parent) {
          if (grad) accumulate(pending, parent, grad);
          const left = dependencies.get(parent)! - 1;
          dependencies.set(parent, left);
          if (left === 0) ready.push(parent);
        } else if (grad) accumulate(leafGrads, input, grad);
      }
      if (!retainGraph) node.release();
    }
    for (const [leaf, grad] of leafGrads) {
      const final = leaf.runHooks(grad);
      const index = captureIndex.get(leaf);
      if (capture) {
        if (index !== undefined) captured[index] = captured[index] ? captured[index]!.add(final) : final;
      } else {
        const stored = createGraph ? final : final.detach();
        leaf.grad = leaf.grad ? (createGraph ? leaf.grad.add(stored) : leaf.grad.add(stored).detach()) : stored;
      }
    }
  } finally {
    setGradEnabled(previousMode);
  }
  return captured;
}

/** How many recorded uses each reachable node's output has, found by an iterative walk. */
function countDependencies(roots: readonly Tensor[]): Map<Node, number> {
  const dependencies = new Map<Node, number>();
  const stack: Node[] = [];
  for (const root of roots) {
    if (root.gradFn && !dependencies.has(root.gradFn)) {
      dependencies.set(root.gradFn, 0);
      stack.push(root.gradFn);
    }
  }
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const input of node.inputs) {
      const parent = input?.gradFn;
      if (!parent) continue;
      const seen = dependencies.get(parent);
      dependencies.set(parent, (seen ?? 0) + 1);
      if (seen === undefined) stack.push(parent);
    }
  }
  return dependencies;
}

function accumulate<K>(map: Map<K, Tensor>, key: K, grad: Tensor): void {
  const current = map.get(key);
  map.set(key, current ? current.add(grad) : grad);
}

/** Hooks and retained grads of a non-leaf output see its total gradient before its op runs. */
function observe(node: Node, gradOut: Tensor, createGraph: boolean, captureIndex: Map<Tensor | Node, number>, captured: (Tensor | null)[]): Tensor {
  const output = node.observed;
  let grad = gradOut;
  if (output) {
    grad = output.runHooks(grad);
    if (output.retainsGrad) {
      const stored = createGraph ? grad : grad.detach();
      output.grad = output.grad ? output.grad.add(stored) : stored;
    }
  }
  const index = captureIndex.get(node);
  if (index !== undefined) captured[index] = captured[index] ? captured[index]!.add(grad) : grad;
  return grad;
}

function runNode(node: Node, gradOut: Tensor): ReadonlyArray<Tensor | null> {
  if (node.released) {
    throw new NablaError(
      "backward",
      `trying to backward through the graph a second time (${node.name}'s saved tensors were freed); ` +
        "pass { retainGraph: true } to the first backward call if you need to go through it again",
    );
  }
  node.checkSavedVersions();
  const grads = node.definition.backward(node.ctx, gradOut);
  if (grads.length !== node.inputs.length) {
    throw new NablaError(node.name, `backward returned ${grads.length} gradients for ${node.inputs.length} tensor inputs`);
  }
  const checked: (Tensor | null)[] = [];
  for (let i = 0; i < grads.length; i++) {
    const input = node.inputs[i];
    let grad = grads[i] ?? null;
    if (!input || !grad) {
      checked.push(null);
      continue;
    }
    if (!shapesEqual(grad.shape, input.shape)) {
      throw new NablaError(
        node.name,
        `backward returned a gradient of shape ${formatShape(grad.shape)} for input ${i} of shape ${formatShape(input.shape)}`,
      );
    }
    if (grad.dtype !== input.dtype) grad = grad.to(input.dtype);
    const creation = node.stack ? `\n${node.name} was created at:\n${node.stack}` : "";
    checkAnomaly(`${node.name} backward`, grad, "backward", ` (gradient for input ${i} of ${node.name}, the forward op that created this node)${creation}`);
    checked.push(grad);
  }
  return checked;
}

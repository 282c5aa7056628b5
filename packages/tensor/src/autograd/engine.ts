import { isTensor, sharedAcrossCopies } from "../copies";
import { NablaError, describeValue } from "../errors";
import { formatShape, shapesEqual } from "../shape";
import { Storage, type Tensor } from "../tensor";
import { checkAnomaly, isAnomalyEnabled, withinBackward } from "./anomaly";
import type { GradHook, Node } from "./define-op";
import { setGradEnabled } from "./grad-mode";
import { add_ } from "../ops/inplace";
import { clone, to } from "../ops/movement";
import { add } from "../ops/binary";

/** Options of `Tensor.backward`. */
export interface BackwardOptions {
  /** Keep the saved tensors for another backward through the same graph (defaults to createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the gradients can be differentiated again. */
  createGraph?: boolean;
}

interface RunOptions extends BackwardOptions {
  /** When given, gradients for these tensors are returned instead of accumulated into `.grad`. */
  capture?: readonly Tensor[];
  /** Called after each node's backward with what it received and returned (traceBackward). */
  onStep?: (node: Node, gradOut: Tensor, inputGrads: ReadonlyArray<Tensor | null>) => void;
}

/**
 * Reverse-mode sweep from `roots` (each seeded with its gradient). Nodes run in topological order
 * (Kahn's algorithm over dependency counts, no recursion, so a 100,000-op chain is fine); the
 * gradients meeting at a node are added, passed through its output's hooks, then its backward
 * runs. Leaves receive their summed gradient at the end, after their own hooks.
 *
 * With `capture` (autogradGrad, gradcheck) the gradients of those tensors are returned instead,
 * no `.grad` of a leaf changes, and only the nodes on a path to a captured tensor run (PyTorch's
 * engine prunes the same way), so an inner gradient never walks or frees an outer graph.
 */
export function runBackward(roots: readonly Tensor[], rootGrads: readonly Tensor[], options: RunOptions): (Tensor | null)[] {
  const { createGraph = false, capture } = options;
  const retainGraph = options.retainGraph ?? createGraph;
  const captured: (Tensor | null)[] = capture ? capture.map(() => null) : [];
  const captureSlots = new Map<Tensor | Node, number[]>();
  capture?.forEach((t, i) => {
    const key = t.gradFn ?? t;
    captureSlots.set(key, [...(captureSlots.get(key) ?? []), i]);
  });
  const collect = (key: Tensor | Node, grad: Tensor) => {
    const slots = captureSlots.get(key);
    if (slots) for (const slot of slots) captured[slot] = captured[slot] ? add(captured[slot]!, grad) : grad;
  };

  const leafGrads = new Map<Tensor, Tensor>();
  const pending = new PendingGradients(!createGraph && !capture && !options.onStep && !isAnomalyEnabled());
  // gradients this pass may store without a copy: nothing outside the pass can hold them unless a
  // hook saw them or they are returned to the caller (see storeGrad; a trace's onStep copies what
  // it shows)
  const owned: OwnedGradients = { firstSerial: Storage.created, taken: new Set(), allowed: !createGraph && !capture };
  const runHooksOf = (hooks: readonly GradHook[] | null, grad: Tensor) => {
    if (hooks && hooks.length > 0) owned.allowed = false;
    return runHooks(hooks, grad);
  };
  const sweep = new Sweep(roots);
  const previousMode = setGradEnabled(createGraph);
  try {
    const executes = capture ? nodesLeadingTo(captureSlots, sweep.nodes) : null;
    // anomaly mode checks what each node returns, not every op of the sweep (see withinBackward)
    withinBackward(() => {
      const ready: Node[] = [];
      roots.forEach((root, i) => {
        // a seed of another dtype is converted, as every gradient is, to the dtype of its tensor
        const grad = rootGrads[i]!.dtype === root.dtype ? rootGrads[i]! : to(rootGrads[i]!, root.dtype);
        const node = root.gradFn;
        if (node) {
          pending.addToNode(node, grad, false);
          if (node.dependencies === 0 && !ready.includes(node)) ready.push(node);
        } else pending.addToLeaf(leafGrads, root, grad, false);
      });
      while (ready.length > 0) {
        const node = ready.pop()!;
        let gradOut = pending.take(node);
        const runs = executes === null || executes.has(node);
        if (gradOut !== null && (runs || captureSlots.has(node))) {
          gradOut = runHooksOf(node.hooks, gradOut);
          if (node.retainer) storeGrad(node.retainer, gradOut, createGraph, owned);
          if (capture) collect(node, gradOut);
        }
        // a node off every path to a captured tensor has only such nodes above it: they never run
        if (!runs) continue;
        const inputGrads = gradOut === null ? null : runNode(node, gradOut, pending.targets(node, leafGrads));
        if (gradOut !== null && inputGrads) options.onStep?.(node, gradOut, inputGrads);
        // what an accumulateInto op's backward returns is fresh: the engine's own
        const fresh = node.definition.accumulateInto !== undefined;
        for (let i = 0; i < node.inputs.length; i++) {
          const edge = node.inputs[i];
          if (!edge) continue;
          const grad = inputGrads?.[i] ?? null;
          const parent = edge.node;
          if (parent) {
            if (grad) pending.addToNode(parent, grad, fresh);
            if (--parent.dependencies === 0) ready.push(parent);
          } else if (grad && (!capture || captureSlots.has(edge.leaf!))) pending.addToLeaf(leafGrads, edge.leaf!, grad, fresh);
        }
        if (!retainGraph) node.release();
      }
      // a leaf's hook may keep the gradient it sees, which another leaf could be handed too
      for (const leaf of leafGrads.keys()) if (leaf.hooks && leaf.hooks.length > 0) owned.allowed = false;
      for (const [leaf, grad] of leafGrads) {
        if (capture && !captureSlots.has(leaf)) continue; // a root leaf that is not captured
        const final = runHooks(leaf.hooks, grad);
        if (capture) collect(leaf, final);
        else storeGrad(leaf, final, createGraph, owned);
      }
    });
  } finally {
    setGradEnabled(previousMode);
    sweep.end();
  }
  return captured;
}

/**
 * The gradients a sweep has received so far for each node's output (on the node) and each leaf
 * (in a map), summed as they arrive. Some of them only the engine holds: the sums it made, and
 * what the backward of an op with `accumulateInto` returned (a fresh tensor). Without createGraph
 * (`inPlace`), such an op adds its input's gradient into one of those in place (a slice writes
 * its part; PyTorch's engine likewise adds into a gradient nothing else references), so the N
 * slices of an RNN's input cost one zero tensor rather than N, and N full-size sums.
 */
class PendingGradients {
  /** Gradients waiting in a pending slot that nothing but that slot holds. */
  private readonly own = new Set<Tensor>();

  constructor(private readonly inPlace: boolean) {}

  /** Adds a gradient to what a node's output has received; `fresh`: nothing else holds it. */
  addToNode(node: Node, grad: Tensor, fresh: boolean): void {
    node.pendingGrad = this.sum(node.pendingGrad, grad, fresh);
  }

  /** Adds a gradient to what a leaf has received, as addToNode. */
  addToLeaf(leafGrads: Map<Tensor, Tensor>, leaf: Tensor, grad: Tensor, fresh: boolean): void {
    leafGrads.set(leaf, this.sum(leafGrads.get(leaf) ?? null, grad, fresh));
  }

  /** A node's summed gradient, now for its backward to use (and pass on): no longer the engine's own. */
  take(node: Node): Tensor | null {
    const grad = node.pendingGrad;
    node.pendingGrad = null;
    if (grad) this.own.delete(grad);
    return grad;
  }

  /**
   * For an accumulateInto op, what each input has received so far where the engine holds it alone
   * (the tensors that op may add its gradients into in place); null when there is none, or for an
   * op without accumulateInto: backward runs as usual then.
   */
  targets(node: Node, leafGrads: ReadonlyMap<Tensor, Tensor>): (Tensor | null)[] | null {
    if (!this.inPlace || node.definition.accumulateInto === undefined) return null;
    let any = false;
    const into = node.inputs.map((edge) => {
      const received = edge === null ? null : edge.node ? edge.node.pendingGrad : (leafGrads.get(edge.leaf!) ?? null);
      if (received === null || !this.own.has(received)) return null;
      any = true;
      return received;
    });
    return any ? into : null;
  }

  private sum(current: Tensor | null, grad: Tensor, fresh: boolean): Tensor {
    if (current === null) {
      if (fresh && this.inPlace) this.own.add(grad);
      return grad;
    }
    // one the engine holds alone takes the gradient in place, as PyTorch's engine adds into a
    // gradient nothing else references
    if (this.own.has(current)) return add_(current, grad);
    const sum = add(current, grad);
    if (this.inPlace) this.own.add(sum);
    return sum;
  }
}

// sweep ids are compared on nodes, which either copy of the package may have made
const sweeps = sharedAcrossCopies("sweeps", () => ({ lastId: 0 }));

/**
 * One backward sweep's claim on the nodes it reaches. Their per-sweep state (`sweepId`, the
 * `dependencies` count, the `pendingGrad` sum) lives on the nodes, so the sweep does no map
 * lookups per edge. A sweep started while another runs (a backward inside a hook) may reach nodes
 * the outer one holds: it sets their state aside and puts it back when it ends.
 */
class Sweep {
  readonly id = ++sweeps.lastId;
  /** Every node reachable from the roots, each once. */
  readonly nodes: Node[] = [];
  private readonly setAside: { node: Node; sweepId: number; dependencies: number; pendingGrad: Tensor | null }[] = [];

  /** Claims every node reachable from the roots and counts each one's recorded uses (iteratively). */
  constructor(roots: readonly Tensor[]) {
    const stack: Node[] = [];
    for (const root of roots) if (root.gradFn && this.claim(root.gradFn)) stack.push(root.gradFn);
    while (stack.length > 0) {
      const node = stack.pop()!;
      for (const edge of node.inputs) {
        const parent = edge?.node;
        if (!parent) continue;
        if (this.claim(parent)) stack.push(parent);
        parent.dependencies++;
      }
    }
  }

  /** Takes a node into this sweep; false when it already was. */
  private claim(node: Node): boolean {
    if (node.sweepId === this.id) return false;
    if (node.sweepId !== 0) {
      this.setAside.push({ node, sweepId: node.sweepId, dependencies: node.dependencies, pendingGrad: node.pendingGrad });
    }
    node.sweepId = this.id;
    node.dependencies = 0;
    node.pendingGrad = null;
    this.nodes.push(node);
    return true;
  }

  /** Leaves no gradient on the nodes (even after an error), and gives back what was set aside. */
  end(): void {
    for (const node of this.nodes) {
      node.sweepId = 0;
      node.pendingGrad = null;
    }
    for (let i = this.setAside.length - 1; i >= 0; i--) {
      const { node, sweepId, dependencies, pendingGrad } = this.setAside[i]!;
      node.sweepId = sweepId;
      node.dependencies = dependencies;
      node.pendingGrad = pendingGrad;
    }
  }
}

/** What storeGrad may take over instead of copying, in one backward pass. */
interface OwnedGradients {
  /** The serial of the first storage made during the pass. */
  firstSerial: number;
  /** Storages already stored as some tensor's `.grad` in this pass. */
  taken: Set<Storage>;
  /** False once a hook could have kept a gradient, with createGraph, and when capturing. */
  allowed: boolean;
}

/**
 * Adds a gradient into `.grad`. Without createGraph the stored gradient is one that nothing else
 * shares, and later gradients are added into it in place, as PyTorch does; with createGraph it
 * stays differentiable and accumulates out of place.
 *
 * A first gradient is stored without a copy (as PyTorch steals a gradient nobody else references)
 * when it is a whole storage the pass itself made, in row-major order, that no other `.grad` took:
 * backward rules make their results fresh, and only hooks could keep one (`owned.allowed` is then
 * false). Anything else is copied: a rule may hand the same tensor to
 * several inputs, pass the caller's seed through, or return a view.
 */
function storeGrad(t: Tensor, grad: Tensor, createGraph: boolean, owned: OwnedGradients): void {
  const current = t.grad;
  if (createGraph) {
    t.grad = current ? add(current, grad) : grad;
  } else if (
    current &&
    !current.requiresGrad &&
    current.isContiguous() &&
    shapesEqual(current.shape, grad.shape) &&
    current.dtype === t.dtype
  ) {
    add_(current, grad);
  } else if (!current && isOwned(grad, t, owned)) {
    owned.taken.add(grad.storage);
    t.grad = grad.alias(); // not a view: the tensor that made the storage is the pass's to drop
  } else {
    t.grad = current ? add(current, grad).detach() : clone(grad.detach());
  }
}

function isOwned(grad: Tensor, t: Tensor, owned: OwnedGradients): boolean {
  const { storage } = grad;
  return (
    owned.allowed &&
    storage.serial >= owned.firstSerial &&
    !owned.taken.has(storage) &&
    grad.dtype === t.dtype &&
    grad.gradFn === null &&
    !grad.requiresGrad &&
    grad.offset === 0 &&
    grad.numel === storage.size &&
    grad.isContiguous()
  );
}

/**
 * The reachable nodes whose backward must run to reach a captured tensor: those with an input
 * edge to a captured leaf, to a captured node, or to a node that must run. Visits the nodes in
 * reverse topological order (inputs before their consumers).
 */
function nodesLeadingTo(captureSlots: ReadonlyMap<Tensor | Node, number[]>, reachable: readonly Node[]): Set<Node> {
  const left = new Map<Node, number>();
  for (const node of reachable) left.set(node, node.dependencies);
  const order: Node[] = [];
  for (const [node, count] of left) if (count === 0) order.push(node);
  for (let i = 0; i < order.length; i++) {
    for (const edge of order[i]!.inputs) {
      const parent = edge?.node;
      if (!parent) continue;
      const count = left.get(parent)! - 1;
      left.set(parent, count);
      if (count === 0) order.push(parent);
    }
  }
  const executes = new Set<Node>();
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    const leads = node.inputs.some((edge) => {
      if (!edge) return false;
      if (edge.node) return executes.has(edge.node) || captureSlots.has(edge.node);
      return captureSlots.has(edge.leaf!);
    });
    if (leads) executes.add(node);
  }
  return executes;
}

/** Passes a gradient through hooks in registration order; a returned tensor replaces it. */
function runHooks(hooks: readonly GradHook[] | null, grad: Tensor): Tensor {
  if (!hooks || hooks.length === 0) return grad;
  let current = grad;
  for (const hook of [...hooks]) {
    const replaced = hook(current);
    if (replaced === undefined) continue;
    if (!isTensor(replaced, "registerHook") || !shapesEqual(replaced.shape, current.shape) || replaced.dtype !== current.dtype) {
      const got = isTensor(replaced, "registerHook")
        ? `a ${replaced.dtype} tensor of shape ${formatShape(replaced.shape)}`
        : String(replaced);
      throw new NablaError(
        "registerHook",
        `a hook returned ${got} for a ${current.dtype} gradient of shape ${formatShape(current.shape)}; it must return nothing or a tensor of the gradient's shape and dtype`,
      );
    }
    current = replaced;
  }
  return current;
}

/** Runs a node's backward, or its accumulateInto with `into` (see PendingGradients.targets). */
function runNode(node: Node, gradOut: Tensor, into: ReadonlyArray<Tensor | null> | null): ReadonlyArray<Tensor | null> {
  if (node.released) {
    throw new NablaError(
      "backward",
      `trying to backward through the graph a second time (${node.name}'s saved tensors were freed); ` +
        "pass { retainGraph: true } to the first backward call if you need to go through it again",
    );
  }
  node.checkSavedVersions();
  // a custom op's backward is user code: check what it returns before reading it
  const grads: unknown =
    into === null ? node.definition.backward(node.ctx, gradOut) : node.definition.accumulateInto!(node.ctx, gradOut, into);
  if (!Array.isArray(grads)) {
    throw new NablaError(
      node.name,
      `backward returned ${describeValue(grads)}; expected an array with a gradient (or null) for each of its ${node.inputs.length} tensor inputs`,
    );
  }
  if (grads.length !== node.inputs.length) {
    throw new NablaError(node.name, `backward returned ${grads.length} gradients for ${node.inputs.length} tensor inputs`);
  }
  const checked = new Array<Tensor | null>(grads.length).fill(null);
  for (let i = 0; i < grads.length; i++) {
    const edge = node.inputs[i];
    const given: unknown = grads[i] ?? null;
    if (!edge || given === null) continue;
    if (!isTensor(given, node.name)) {
      throw new NablaError(
        node.name,
        `backward returned ${describeValue(given)} as the gradient of input ${i}; expected a tensor of shape ${formatShape(edge.shape)} or null`,
      );
    }
    let grad = given;
    if (!shapesEqual(grad.shape, edge.shape)) {
      throw new NablaError(
        node.name,
        `backward returned a gradient of shape ${formatShape(grad.shape)} for input ${i} of shape ${formatShape(edge.shape)}`,
      );
    }
    if (isAnomalyEnabled()) checkAnomaly(`${node.name} backward`, grad, "backward", describeCreation(node, i));
    if (grad.dtype !== edge.dtype) grad = to(grad, edge.dtype);
    checked[i] = grad;
  }
  return checked;
}

function describeCreation(node: Node, input: number): string {
  const where = node.stack
    ? `; ${node.name} was created at:\n${node.stack}`
    : "; run the forward pass inside detectAnomaly too to see where it was created";
  return ` (the gradient for input ${input} of ${node.name}, the forward op that created this node)${where}`;
}

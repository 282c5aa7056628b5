import { isTensor } from "../copies";
import type { DType } from "../dtype";
import { NablaError } from "../errors";
import type { Shape } from "../shape";
import type { Tensor } from "../tensor";
import type { Node, OperandInfo } from "./define-op";

/**
 * The recorded graph behind a tensor, laid out for teaching output (toDot, traceBackward) with
 * stable ids given in data-flow order.
 *
 * What the graph holds decides what can be shown. A Node keeps one edge per tensor input that
 * needs a gradient (the producing node or the leaf, with the input's shape and dtype), null for
 * an operand without grad, and no intermediate tensor. So the walk knows every op, every leaf
 * that requires grad, and every op's output shape and dtype; output values and strides are known
 * only for tensors the caller still holds and passes in (the root, and `names`).
 */
export interface GraphWalk {
  /** Op applications in data-flow order (every op after the ops that produced its inputs). */
  ops: GraphOp[];
  /** Leaves requiring grad, in order of first use. */
  parameters: GraphParameter[];
  /** Operands that need no gradient (data, numbers), one per null input slot. */
  constants: GraphConstant[];
  /** One per input slot of every op, in data-flow order of the consuming op, then by slot. */
  edges: GraphEdge[];
  /** The id of the tensor the walk started from (an op or, for a leaf, a parameter/constant). */
  rootId: string;
}

export interface GraphOp {
  /** `op1`, `op2`, … in data-flow order. */
  id: string;
  node: Node;
  /** The shape and dtype of the op's output. */
  shape: Shape;
  dtype: DType;
}

export interface GraphParameter {
  /** `leaf1`, `leaf2`, … in order of first use. */
  id: string;
  tensor: Tensor;
}

export interface GraphConstant {
  /** `const1`, `const2`, … */
  id: string;
  /** Known only when the root itself is a leaf without grad; an operand slot keeps no tensor. */
  tensor: Tensor | null;
  /** What the operand looked like (its shape, dtype, and whether it is a single value); null for a root. */
  operand: OperandInfo | null;
}

export interface GraphEdge {
  from: string;
  to: string;
  /** Which tensor input of the consuming op this is. */
  slot: number;
}

interface Frame {
  node: Node;
  /** The inputs have been pushed; popping the frame again emits the op. */
  expanded: boolean;
}

/**
 * Walks the graph behind `root` iteratively (an explicit stack, so a 10,000-op chain is fine):
 * a post-order depth-first walk, inputs in slot order, which numbers every op after its inputs.
 */
export function walkGraph(root: Tensor): GraphWalk {
  const ops: GraphOp[] = [];
  const parameters: GraphParameter[] = [];
  const constants: GraphConstant[] = [];
  const edges: GraphEdge[] = [];

  const rootNode = root.gradFn;
  if (!rootNode) {
    if (root.requiresGrad) {
      parameters.push({ id: "leaf1", tensor: root });
      return { ops, parameters, constants, edges, rootId: "leaf1" };
    }
    constants.push({ id: "const1", tensor: root, operand: null });
    return { ops, parameters, constants, edges, rootId: "const1" };
  }

  const opIds = new Map<Node, string>();
  const parameterIds = new Map<Tensor, string>();
  // an op's output shape is read off the edge of its first consumer (or the root)
  const outputs = new Map<Node, { shape: Shape; dtype: DType }>([[rootNode, { shape: root.shape, dtype: root.dtype }]]);
  const stack: Frame[] = [{ node: rootNode, expanded: false }];
  const entered = new Set<Node>();
  while (stack.length > 0) {
    const { node, expanded } = stack.pop()!;
    if (expanded) {
      const id = `op${ops.length + 1}`;
      opIds.set(node, id);
      ops.push({ id, node, ...outputs.get(node)! });
      node.inputs.forEach((edge, slot) => {
        if (edge) {
          edges.push({ from: edge.node ? opIds.get(edge.node)! : parameterIds.get(edge.leaf!)!, to: id, slot });
          return;
        }
        const constant = { id: `const${constants.length + 1}`, tensor: null, operand: node.operands?.[slot] ?? null };
        constants.push(constant);
        edges.push({ from: constant.id, to: id, slot });
      });
      continue;
    }
    if (entered.has(node)) continue;
    entered.add(node);
    stack.push({ node, expanded: true });
    for (const edge of node.inputs) {
      if (edge?.node && !outputs.has(edge.node)) outputs.set(edge.node, { shape: edge.shape, dtype: edge.dtype });
      // leaves are numbered when first met, in slot order
      if (edge?.leaf && !parameterIds.has(edge.leaf)) {
        const id = `leaf${parameters.length + 1}`;
        parameterIds.set(edge.leaf, id);
        parameters.push({ id, tensor: edge.leaf });
      }
    }
    // pushed in reverse, so that slot 0's subgraph is walked (and numbered) first
    for (let slot = node.inputs.length - 1; slot >= 0; slot--) {
      const parent = node.inputs[slot]?.node;
      if (parent && !entered.has(parent)) stack.push({ node: parent, expanded: false });
    }
  }
  return { ops, parameters, constants, edges, rootId: opIds.get(rootNode)! };
}

/** A tensor the caller named, found by what the graph holds. */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/**
 * The caller's names keyed by what the graph holds: a leaf by itself, a result by its gradFn
 * (the graph knows a result only by the node that made it).
 */
export function namesByTarget(op: string, names: Record<string, Tensor>): Map<Tensor | Node, NamedTensor> {
  if (typeof names !== "object" || names === null)
    throw new NablaError(op, `names must be an object of tensors, got ${names === null ? "null" : typeof names}`);
  const byTarget = new Map<Tensor | Node, NamedTensor>();
  for (const [name, tensor] of Object.entries(names)) {
    if (!isTensor(tensor, op)) throw new NablaError(op, `names.${name} must be a Tensor, got ${tensor === null ? "null" : typeof tensor}`);
    byTarget.set(tensor.gradFn ?? tensor, { name, tensor });
  }
  return byTarget;
}

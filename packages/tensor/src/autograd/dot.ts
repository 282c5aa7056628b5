import { isTensor } from "../copies";
import { checkBoolean, checkOptions } from "../args";
import { NablaError, describeValue } from "../errors";
import type { DType } from "../dtype";
import { formatShape, type Shape } from "../shape";
import type { Tensor } from "../tensor";
import type { Node } from "./define-op";
import { type GraphOp, namesByTarget, walkGraph } from "./graph-walk";
import { formatSummaryValues, summarizeTensor, type TensorSummary } from "./tensor-summary";
import { BackwardTrace } from "./trace";

/** Options of `toDot`. */
export interface ToDotOptions {
  /** Show a summary of each tensor's values (all of them when small, else min/mean/max). */
  values?: boolean;
  /**
   * Show gradients: a leaf's `.grad`; for an op, its output's `.grad` when retained, else the
   * gradient the op received in `trace`.
   */
  grads?: boolean;
  /** Tensors with at most this many elements are shown in full. Default 6. */
  maxElements?: number;
  /** Names for tensors (leaves or results): `{ a, b, W1: model.weight }`. */
  names?: Record<string, Tensor>;
  /** A trace of backward through this graph: gives `grads` for every op, retained or not. */
  trace?: BackwardTrace;
  /** Graphviz layout direction: left to right (default, as micrograd) or top to bottom. */
  rankdir?: "LR" | "TB";
}

// Colours: ops blue, parameters amber, the output green, operands without grad grey and dashed.
const OP_STYLE = 'shape=box, style="rounded,filled", fillcolor="#dbe9fb", color="#4a78b5"';
const OUTPUT_STYLE = 'shape=box, style="rounded,filled", fillcolor="#d9f2df", color="#3d8b52", penwidth=2';
const PARAMETER_STYLE = 'shape=box, style="filled", fillcolor="#fdecc8", color="#b7862b"';
const INPUT_STYLE = 'shape=box, style="dashed", color="#5b7fa8", fontcolor="#3c5a7d", fontsize=10';
const CONSTANT_STYLE = 'shape=box, style="dashed", color="#9a9a9a", fontcolor="#6a6a6a", fontsize=9, height=0.3';

/**
 * The graph behind `output` as Graphviz DOT text: one box per op (its name, output shape and
 * dtype, and on request a summary of values and gradients), one per leaf, edges in data-flow
 * order. Ids are stable (`op1`, `op2`, … in data-flow order; `leaf1`, …; `const1`, …), so the
 * same graph always gives the same text. Render it with Graphviz (`dot -Tsvg`) or `@viz-js/viz`.
 *
 * Leaves are marked by what backward does with them: a leaf that requires grad is a
 * **parameter** (backward fills its `.grad`; model weights, and inputs being differentiated, as
 * micrograd's `a` and `b`). An operand that needs no gradient is an **input** when it holds data
 * (a batch, labels: shown with its shape and dtype) and a **constant** when it is a single value
 * (the 2 in `x.mul(2)`, even once broadcast). The graph remembers only such an operand's shape and
 * dtype, never its values, so it never keeps a data batch alive.
 *
 * The graph keeps no intermediate tensor, only each op's output shape and dtype. Values (and a
 * view's strides and offset) are shown for the tensors still at hand: the leaves, `output`,
 * results passed in `names` and results that called `retainGrad()`. Gradients come from `.grad`
 * (leaves and retaining results) or, for every op, from a `trace` of the backward pass.
 *
 * @example
 * ```ts
 * const a = tensor(-4, { dtype: "float64", requiresGrad: true });
 * const y = a.mul(a);
 * const g = y.add(1);
 * const trace = traceBackward(g);
 * const dot = toDot(g, { values: true, grads: true, names: { a, y, g }, trace });
 * dot.startsWith("digraph nabla {"); // → true
 * ```
 */
export function toDot(output: Tensor, options: ToDotOptions = {}): string {
  const { values = false, grads = false, maxElements = 6, names = {}, trace, rankdir = "LR" } = checkOptions("toDot", options);
  checkBoolean("toDot", "values", values);
  checkBoolean("toDot", "grads", grads);
  if (!isTensor(output, "toDot")) throw new NablaError("toDot", `expected a Tensor, got ${typeof output}`);
  if (!Number.isInteger(maxElements) || maxElements < 0) {
    throw new NablaError("toDot", `maxElements must be a non-negative integer, got ${describeValue(maxElements)}`);
  }
  if (rankdir !== "LR" && rankdir !== "TB") throw new NablaError("toDot", `rankdir must be "LR" or "TB", got ${String(rankdir)}`);
  if (trace !== undefined && !(trace instanceof BackwardTrace)) {
    throw new NablaError("toDot", `trace must be what traceBackward returns, got ${trace === null ? "null" : typeof trace}`);
  }
  const nameOf = namesByTarget("toDot", names);
  const graph = walkGraph(output);

  const summaryLines = (value: Tensor | null, grad: TensorSummary | null): string[] => {
    const lines: string[] = [];
    if (values && value) lines.push(`value ${formatSummaryValues(summarizeTensor(value, maxElements))}`);
    if (grads && grad) lines.push(`grad ${formatSummaryValues(grad)}`);
    return lines;
  };
  const gradOf = (t: Tensor): TensorSummary | null => (t.grad ? summarizeTensor(t.grad, maxElements) : null);
  // an op's output tensor is known when it is the root, the caller named it, or it retains its grad
  const outputOf = (op: GraphOp): Tensor | null => {
    if (op.id === graph.rootId) return output;
    return nameOf.get(op.node)?.tensor ?? op.node.retainer;
  };
  const opGrad = (op: GraphOp, known: Tensor | null): TensorSummary | null => {
    if (known?.grad) return gradOf(known);
    const received = trace?.stepOf(op.node)?.gradOut;
    if (!received) return null;
    // a trace keeps values up to its own maxElements; past ours, min/mean/max reads better
    return received.values && received.values.length > maxElements ? { ...received, values: null } : received;
  };

  const lines = [
    "digraph nabla {",
    `  rankdir=${rankdir};`,
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
  ];
  for (const constant of graph.constants) {
    const { tensor: t, operand } = constant;
    let label: string[];
    if (t) label = ["constant", shapeLine(t.shape, t.dtype), ...summaryLines(t, null)];
    else if (operand && !operand.singleValue) label = ["input", shapeLine(operand.shape, operand.dtype)];
    else label = ["constant"];
    lines.push(`  ${constant.id} [label=${quote(label)}, ${label[0] === "input" ? INPUT_STYLE : CONSTANT_STYLE}];`);
  }
  for (const parameter of graph.parameters) {
    const t = parameter.tensor;
    const title = `parameter ${nameOf.get(t)?.name ?? parameter.id}`;
    const label = [title, shapeLine(t.shape, t.dtype), ...summaryLines(t, gradOf(t))];
    lines.push(`  ${parameter.id} [label=${quote(label)}, ${PARAMETER_STYLE}];`);
  }
  for (const op of graph.ops) {
    const known = outputOf(op);
    const name = nameOf.get(op.node)?.name;
    const title = `${op.id} · ${op.node.name}${name ? ` → ${name}` : ""}`;
    const label = [title, shapeLine(op.shape, op.dtype), ...viewLine(known), ...summaryLines(known, opGrad(op, known))];
    const style = op.id === graph.rootId ? OUTPUT_STYLE : OP_STYLE;
    lines.push(`  ${op.id} [label=${quote(label)}, tooltip=${quote([tooltip(op.node)])}, ${style}];`);
  }
  const slotCount = new Map<string, number>();
  for (const edge of graph.edges) slotCount.set(edge.to, (slotCount.get(edge.to) ?? 0) + 1);
  for (const edge of graph.edges) {
    // operand order matters for sub, div, matmul…: number the slots of ops with several
    const label = slotCount.get(edge.to)! > 1 ? ` [label=${quote([String(edge.slot)])}]` : "";
    lines.push(`  ${edge.from} -> ${edge.to}${label};`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

function shapeLine(shape: Shape, dtype: DType): string {
  return `${formatShape(shape)} ${dtype}`;
}

/** A view reads another tensor's storage: show the layout it reads it with. */
function viewLine(t: Tensor | null): string[] {
  return t?.base ? [`view: strides ${formatShape(t.strides)}, offset ${t.offset}`] : [];
}

function tooltip(node: Node): string {
  const formula = node.formula;
  return formula ? `${node.name}: ${formula.forward}; backward: ${formula.backward}` : `${node.name} (no formula)`;
}

/** A DOT string literal of the lines, centred (Graphviz's \n), with quotes and backslashes escaped. */
function quote(lines: string[]): string {
  return `"${lines.map((l) => l.replace(/\\/g, "\\\\").replace(/"/g, '\\"')).join("\\n")}"`;
}

import { isTensor } from "../copies";
import { full, onesLike } from "../creation";
import { checkBoolean, checkOptions } from "../args";
import { NablaError, describeValue } from "../errors";
import { formatShape, type Shape, shapesEqual } from "../shape";
import type { Tensor } from "../tensor";
import type { InputEdge, Node, OpFormula } from "./define-op";
import { runBackward } from "./engine";
import { namesByTarget, walkGraph } from "./graph-walk";
import { formatSummaryValues, summarizeTensor, type TensorSummary } from "./tensor-summary";

/** Options of `traceBackward`. */
export interface TraceBackwardOptions {
  /** The gradient of the output (needed when it is not a scalar), as `backward(gradient)`. */
  gradient?: Tensor | number;
  /** Keep the graph's saved tensors, so backward (or another trace) can run through it again. */
  retainGraph?: boolean;
  /** Gradients with at most this many elements are recorded in full; larger ones as min/mean/max. Default 8. */
  maxElements?: number;
  /** Names for tensors (leaves or results), used in place of ids: `{ a, b, W1 }`. */
  names?: Record<string, Tensor>;
}

/** Where one gradient of a step went. */
export interface SentGradient {
  /** The input's id as in toDot (`op3`, `leaf1`), its name when given one, or `constant`. */
  to: string;
  /** What the input is: `op3 mul`, `parameter a`, `constant`. */
  target: string;
  /** The input's shape (null for an operand without grad: the graph keeps only its slot). */
  shape: Shape | null;
  /** The gradient sent, or null when none flows (an operand without grad, or a null returned by backward). */
  grad: TensorSummary | null;
}

/** One op's backward, as the engine ran it. */
export interface BackwardStep {
  /** 1-based position in the backward order. */
  step: number;
  /** The op's id as in toDot (`op7`). */
  id: string;
  /** The op's name (`mul`). */
  op: string;
  /** The name the caller gave the op's output in `names`, if any. */
  name: string | null;
  formula: OpFormula | null;
  /** The shape of the op's output, which is also the shape of the gradient it received. */
  outputShape: Shape;
  /** The total gradient of the op's output, after hooks: the ȳ its backward formula reads. */
  gradOut: TensorSummary;
  /** One entry per tensor input of the op, in argument order. */
  sent: SentGradient[];
  /** The graph node, so other teaching output (toDot's `trace` option) can match steps to ops. */
  node: Node;
}

/**
 * The steps of one backward pass, in the order they ran (see `traceBackward`). `format()` prints
 * them as a table.
 *
 * @example
 * ```ts
 * const a = tensor(3, { requiresGrad: true });
 * const trace = traceBackward(a.mul(a), { names: { a } });
 * trace.steps.length;                    // → 1
 * trace.steps[0]!.op;                    // → "mul"
 * trace.steps[0]!.sent[0]!.grad!.values; // → [3]
 * ```
 */
export class BackwardTrace {
  private readonly byNode: Map<Node, BackwardStep>;

  constructor(
    /** The steps, in the order backward ran them. */
    readonly steps: readonly BackwardStep[],
  ) {
    this.byNode = new Map(steps.map((s) => [s.node, s]));
  }

  /** The step that ran `node`'s backward, if it ran. */
  stepOf(node: Node): BackwardStep | undefined {
    return this.byNode.get(node);
  }

  /**
   * A plain-text table, one line per gradient sent:
   * ```
   * step  op       backward formula      incoming ȳ  input        gradient sent
   *    1  op2 add  ā = ȳ, b̄ = ȳ          [] 1        op1 mul      [] 1
   *                                                  parameter a  [] 1
   *    2  op1 mul  ā = ȳ ⊙ b, b̄ = ȳ ⊙ a  [] 1        parameter a  [] 3
   *                                                  parameter b  [] 2
   * ```
   */
  format(): string {
    const header = ["step", "op", "backward formula", "incoming ȳ", "input", "gradient sent"];
    const rows: string[][] = [];
    for (const s of this.steps) {
      const first = [
        String(s.step),
        `${s.id} ${s.op}${s.name ? ` (${s.name})` : ""}`,
        s.formula?.backward ?? "(no formula)",
        describe(s.gradOut),
      ];
      const blank = first.map(() => "");
      if (s.sent.length === 0) rows.push([...first, "", ""]);
      s.sent.forEach((sent, i) => {
        const grad = sent.grad ? describe(sent.grad) : sent.shape ? "none" : "none (needs no grad)";
        rows.push([...(i === 0 ? first : blank), sent.target, grad]);
      });
    }
    return renderTable(header, rows);
  }

  /** The table of `format()`. */
  toString(): string {
    return this.format();
  }
}

function describe(summary: TensorSummary): string {
  return `${formatShape(summary.shape)} ${formatSummaryValues(summary)}`;
}

/** Printed width of a cell: combining marks (the bar of x̄) take no column. */
function columns(text: string): number {
  return [...text.replace(/\p{M}/gu, "")].length;
}

function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(columns(h), ...rows.map((r) => columns(r[c]!))));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? " ".repeat(widths[c]! - columns(cell)) + cell : cell + " ".repeat(widths[c]! - columns(cell))))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/**
 * Runs backward from `loss` (gradients accumulate into the leaves' `.grad`, exactly as
 * `loss.backward()`) and records every op's backward step in the order the engine ran it: the op,
 * its formula, the gradient it received and what it sent to each input, as values when small.
 * Iterative like backward itself, so a 10,000-op chain traces fine.
 *
 * @example
 * ```ts
 * const a = tensor(2, { dtype: "float64", requiresGrad: true });
 * const trace = traceBackward(a.mul(a).add(1), { names: { a } });
 * trace.steps.map((s) => s.op); // → ["add", "mul"]
 * a.grad;                       // → 4
 * trace.format().split("\n")[0]; // → "step  op       backward formula      incoming ȳ  input        gradient sent"
 * ```
 */
export function traceBackward(loss: Tensor, options: TraceBackwardOptions = {}): BackwardTrace {
  const { gradient, retainGraph = false, maxElements = 8, names = {} } = checkOptions("traceBackward", options);
  checkBoolean("traceBackward", "retainGraph", retainGraph);
  if (!isTensor(loss, "traceBackward")) throw new NablaError("traceBackward", `expected a Tensor, got ${typeof loss}`);
  loss.syncHistory("traceBackward");
  if (!loss.requiresGrad) {
    throw new NablaError(
      "traceBackward",
      `the tensor of shape ${formatShape(loss.shape)} does not require grad and has no gradFn: there is no backward to trace`,
    );
  }
  if (!Number.isInteger(maxElements) || maxElements < 0) {
    throw new NablaError("traceBackward", `maxElements must be a non-negative integer, got ${describeValue(maxElements)}`);
  }
  const nameOf = namesByTarget("traceBackward", names);
  const seed = backwardSeed(loss, gradient);

  // ids come from a walk of the graph before backward runs, as toDot numbers it
  const graph = walkGraph(loss);
  const opIds = new Map<Node, string>(graph.ops.map((op) => [op.node, op.id]));
  const parameterIds = new Map<Tensor, string>(graph.parameters.map((p) => [p.tensor, p.id]));
  const destination = (edge: InputEdge | null): Pick<SentGradient, "to" | "target"> => {
    if (!edge) return { to: "constant", target: "constant" };
    if (edge.node) {
      const id = opIds.get(edge.node)!;
      const name = nameOf.get(edge.node)?.name;
      return { to: name ?? id, target: `${id} ${edge.node.name}${name ? ` (${name})` : ""}` };
    }
    const name = nameOf.get(edge.leaf!)?.name ?? parameterIds.get(edge.leaf!)!;
    return { to: name, target: `parameter ${name}` };
  };

  const steps: BackwardStep[] = [];
  runBackward([loss], [seed], {
    retainGraph,
    onStep(node, gradOut, inputGrads) {
      steps.push({
        step: steps.length + 1,
        id: opIds.get(node)!,
        op: node.name,
        name: nameOf.get(node)?.name ?? null,
        formula: node.formula ?? null,
        outputShape: [...gradOut.shape],
        gradOut: summarizeTensor(gradOut, maxElements),
        sent: node.inputs.map((edge, i) => {
          const grad = inputGrads[i];
          return { ...destination(edge), shape: edge ? [...edge.shape] : null, grad: grad ? summarizeTensor(grad, maxElements) : null };
        }),
        node,
      });
    },
  });
  return new BackwardTrace(steps);
}

/** The gradient backward starts from: 1 for a one-element output, else the given one (checked). */
function backwardSeed(loss: Tensor, gradient: Tensor | number | undefined): Tensor {
  if (gradient === undefined) {
    if (loss.numel !== 1) {
      throw new NablaError(
        "traceBackward",
        `a gradient can be created implicitly only for one-element outputs, got shape ${formatShape(loss.shape)}; pass { gradient }`,
      );
    }
    return onesLike(loss);
  }
  if (typeof gradient === "number") return full(loss.shape, gradient, { dtype: loss.dtype });
  if (!isTensor(gradient, "traceBackward") || !shapesEqual(gradient.shape, loss.shape)) {
    const got = isTensor(gradient, "traceBackward") ? `shape ${formatShape(gradient.shape)}` : typeof gradient;
    throw new NablaError("traceBackward", `gradient must be a Tensor of the output's shape ${formatShape(loss.shape)}, got ${got}`);
  }
  return gradient;
}

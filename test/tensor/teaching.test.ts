import { describe, expect, it } from "vitest";
import { type BackwardTrace, defineOp, type Tensor, tensor, toDot, traceBackward } from "@nabla/tensor";
import { nablaError } from "../support/errors";

function leaf(values: number[] | number, shape?: number[]): Tensor {
  if (shape) return tensor(Float64Array.from(values as number[]), { shape, requiresGrad: true });
  return tensor(values, { dtype: "float64", requiresGrad: true });
}

function expectNablaError(fn: () => unknown, op: string, message: RegExp): void {
  expect(nablaError(fn, op).message).toMatch(message);
}

/** The `id [label="…"` lines and `a -> b` lines of a DOT text. */
function nodeLabel(dot: string, id: string): string {
  const line = dot.split("\n").find((l) => l.trimStart().startsWith(`${id} [`));
  if (!line) throw new Error(`no node ${id} in\n${dot}`);
  return JSON.parse(line.match(/label=("(?:[^"\\]|\\.)*")/)![1]!.replace(/\\n/g, "\\\\n"))
    .split("\\n")
    .join("\n");
}

function edges(dot: string): string[] {
  return dot
    .split("\n")
    .filter((l) => l.includes("->"))
    .map((l) => l.trim().replace(/;$/, ""));
}

describe("toDot", () => {
  it("draws ops in data-flow order, leaves, constants and slot-numbered edges", () => {
    const x = leaf([1, 2, 3]);
    const w = leaf([4, 5, 6]);
    const loss = x.mul(w).add(1).sum();
    const dot = toDot(loss);
    expect(dot.startsWith("digraph nabla {\n  rankdir=LR;")).toBe(true);
    expect(nodeLabel(dot, "op1")).toBe("op1 · mul\n[3] float64");
    expect(nodeLabel(dot, "op2")).toBe("op2 · add\n[3] float64");
    expect(nodeLabel(dot, "op3")).toBe("op3 · sum\n[] float64");
    expect(nodeLabel(dot, "leaf1")).toBe("parameter leaf1\n[3] float64");
    expect(nodeLabel(dot, "leaf2")).toBe("parameter leaf2\n[3] float64");
    // the 1 is broadcast (expanded) to [3] before add, and needs no gradient: a constant slot
    expect(nodeLabel(dot, "const1")).toBe("constant");
    expect(edges(dot)).toEqual([
      'leaf1 -> op1 [label="0"]',
      'leaf2 -> op1 [label="1"]',
      'op1 -> op2 [label="0"]',
      'const1 -> op2 [label="1"]',
      "op2 -> op3",
    ]);
    // the output is drawn apart from the other ops
    expect(dot).toMatch(/op3 \[.*penwidth=2/);
    expect(dot).not.toMatch(/op2 \[.*penwidth=2/);
  });

  it("marks an operand holding data as an input (with its shape) and a single value as a constant", () => {
    const w = leaf([1, 2, 3, 4, 5, 6], [3, 2]);
    const batch = tensor(
      [
        [1, 0, 2],
        [0, 1, 3],
      ],
      { dtype: "float64" },
    );
    const dot = toDot(batch.matmul(w).mul(0.5));
    expect(nodeLabel(dot, "const1")).toBe("input\n[2, 3] float64");
    expect(nodeLabel(dot, "const2")).toBe("constant");
    expect(dot).toMatch(/const1 \[.*color="#5b7fa8"/);
  });

  it("gives the same text for the same graph, and for the same program run twice", () => {
    const build = () => {
      const a = leaf([1, -2]);
      const b = leaf([0.5, 3]);
      const h = a.mul(b).tanh();
      return h.add(a).sub(h.mul(b)).square().sum();
    };
    const first = build();
    expect(toDot(first)).toBe(toDot(first));
    expect(toDot(first, { values: true })).toBe(toDot(build(), { values: true }));
  });

  it("labels tensors from names and shows values and gradients when asked", () => {
    const a = leaf(-4);
    const y = a.mul(a);
    const g = y.add(1);
    g.backward();
    const plain = toDot(g, { names: { a, y, g } });
    expect(nodeLabel(plain, "leaf1")).toBe("parameter a\n[] float64");
    expect(nodeLabel(plain, "op1")).toBe("op1 · mul → y\n[] float64");
    const full = toDot(g, { values: true, grads: true, names: { a, y, g } });
    expect(nodeLabel(full, "leaf1")).toBe("parameter a\n[] float64\nvalue -4\ngrad -8");
    // y's value is known because it was named; its gradient was neither retained nor traced
    expect(nodeLabel(full, "op1")).toBe("op1 · mul → y\n[] float64\nvalue 16");
    expect(nodeLabel(full, "op2")).toBe("op2 · add → g\n[] float64\nvalue 17");
  });

  it("shows the values and gradients of unnamed results that retain their grad, and of the output", () => {
    const x = leaf([0.25, 0.5]);
    const h = x.exp();
    h.retainGrad();
    const out = h.mul(2).sum();
    out.backward();
    const dot = toDot(out, { values: true, grads: true });
    // h retains its grad, so the graph holds it: its value and gradient show
    expect(nodeLabel(dot, "op1")).toBe(
      `op1 · exp\n[2] float64\nvalue [${Math.exp(0.25).toFixed(4)}, ${Math.exp(0.5).toFixed(4)}]\ngrad [2, 2]`,
    );
    expect(nodeLabel(dot, "op2")).toBe("op2 · mul\n[2] float64");
    expect(nodeLabel(dot, "op3")).toBe(`op3 · sum\n[] float64\nvalue ${(2 * (Math.exp(0.25) + Math.exp(0.5))).toFixed(4)}`);
  });

  it("takes every op's gradient from a trace of the backward pass", () => {
    const x = leaf([1, 2]);
    const out = x.square().mul(3).sum(); // composite square: mul(x, x)
    const trace = traceBackward(out);
    const dot = toDot(out, { grads: true, trace });
    expect(nodeLabel(dot, "op1")).toBe("op1 · mul\n[2] float64\ngrad [3, 3]");
    expect(nodeLabel(dot, "op2")).toBe("op2 · mul\n[2] float64\ngrad [1, 1]");
    expect(nodeLabel(dot, "op3")).toBe("op3 · sum\n[] float64\ngrad 1");
    expect(nodeLabel(dot, "leaf1")).toBe("parameter leaf1\n[2] float64\ngrad [6, 12]");
  });

  it("summarises tensors past maxElements as min/mean/max", () => {
    const w = leaf([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    const out = w.sum();
    out.backward();
    const dot = toDot(out, { values: true, grads: true, maxElements: 4 });
    expect(nodeLabel(dot, "leaf1")).toBe("parameter leaf1\n[2, 4] float64\nvalue min 1 mean 4.5000 max 8\ngrad min 1 mean 1 max 1");
    const nested = toDot(out, { values: true, maxElements: 8 });
    expect(nodeLabel(nested, "leaf1")).toBe("parameter leaf1\n[2, 4] float64\nvalue [[1, 2, 3, 4], [5, 6, 7, 8]]");
  });

  it("shows a view's strides and offset", () => {
    const m = leaf([1, 2, 3, 4, 5, 6], [2, 3]);
    const t = m.T;
    const column = t.select(0, 1);
    const dot = toDot(column, { names: { t } });
    expect(nodeLabel(dot, "op1")).toBe("op1 · permute → t\n[3, 2] float64\nview: strides [1, 3], offset 0");
    const last = nodeLabel(dot, "op2");
    expect(last.startsWith("op2 · slice\n[1, 2] float64")).toBe(true);
    // the output is select's squeeze of that slice: [2] read with stride 3 from offset 1
    expect(nodeLabel(dot, "op3")).toBe("op3 · reshape\n[2] float64\nview: strides [3], offset 1");
  });

  it("draws a leaf output as a parameter, and a tensor without grad as a constant", () => {
    expect(nodeLabel(toDot(leaf([1, 2]), { values: true }), "leaf1")).toBe("parameter leaf1\n[2] float64\nvalue [1, 2]");
    const plain = tensor([[1, 2]], { dtype: "int32" });
    expect(nodeLabel(toDot(plain, { values: true }), "const1")).toBe("constant\n[1, 2] int32\nvalue [[1, 2]]");
  });

  it("escapes quotes and backslashes in labels, and carries formulas as tooltips", () => {
    const quoted = defineOp({
      name: 'say"hi\\',
      formula: { forward: "y = x", backward: "x̄ = ȳ" },
      forward(_ctx, x: Tensor) {
        return x.clone();
      },
      backward(_ctx, gradOut) {
        return [gradOut];
      },
    });
    const dot = toDot(quoted(leaf([1])));
    expect(dot).toContain('label="op1 · say\\"hi\\\\\\n[1] float64"');
    expect(dot).toContain('tooltip="say\\"hi\\\\: y = x; backward: x̄ = ȳ"');
  });

  it("walks a 10,000-op chain without recursion", () => {
    const x = leaf([1, 2]);
    let y = x;
    for (let i = 0; i < 10_000; i++) y = y.neg();
    const dot = toDot(y.sum());
    expect(dot).toContain('op10001 [label="op10001 · sum');
    expect(dot).toContain("leaf1 -> op1;");
    expect(dot).toContain("op9999 -> op10000;");
  });

  it("rejects bad arguments with the op's name", () => {
    const x = leaf([1]);
    expectNablaError(() => toDot(42 as unknown as Tensor), "toDot", /expected a Tensor, got number/);
    expectNablaError(() => toDot(x, { maxElements: -1 }), "toDot", /maxElements must be a non-negative integer, got -1/);
    expectNablaError(() => toDot(x, { names: { w: [1, 2] as unknown as Tensor } }), "toDot", /names\.w must be a Tensor, got object/);
    expectNablaError(() => toDot(x, { rankdir: "RL" as "LR" }), "toDot", /rankdir must be "LR" or "TB", got RL/);
    expectNablaError(
      () => toDot(x, { trace: { steps: [] } as unknown as BackwardTrace }),
      "toDot",
      /trace must be what traceBackward returns, got object/,
    );
  });
});

describe("traceBackward", () => {
  it("records each op's incoming gradient and what it sent, in backward order", () => {
    const x = leaf([1, 2, 3]);
    const w = leaf([4, 5, 6]);
    const trace = traceBackward(x.mul(w).sum(), { names: { x, w } });
    expect(trace.steps.map((s) => `${s.id} ${s.op}`)).toEqual(["op2 sum", "op1 mul"]);
    const [sum, mul] = trace.steps;
    expect(sum!.formula).toEqual({ forward: "y = Σ x over dims", backward: "x̄ = ȳ broadcast back over the summed dims" });
    expect(sum!.outputShape).toEqual([]);
    expect(sum!.gradOut.values).toEqual([1]);
    expect(sum!.sent).toEqual([{ to: "op1", target: "op1 mul", shape: [3], grad: expect.objectContaining({ values: [1, 1, 1] }) }]);
    // d(x ⊙ w)/dx = w and d(x ⊙ w)/dw = x
    expect(mul!.sent.map((s) => [s.to, s.grad!.values])).toEqual([
      ["x", [4, 5, 6]],
      ["w", [1, 2, 3]],
    ]);
    // and backward ran for real: the leaves hold their gradients
    expect(Array.from(x.grad!.data())).toEqual([4, 5, 6]);
    expect(Array.from(w.grad!.data())).toEqual([1, 2, 3]);
  });

  it("marks operands without grad, and keeps only min/mean/max of large gradients", () => {
    const x = leaf(Array.from({ length: 10 }, (_, i) => i));
    const trace = traceBackward(x.mul(2).sum(), { maxElements: 4 });
    const mul = trace.steps[1]!;
    expect(mul.sent[1]).toEqual({ to: "constant", target: "constant", shape: null, grad: null });
    expect(mul.gradOut.values).toBeNull();
    expect([mul.gradOut.min, mul.gradOut.mean, mul.gradOut.max]).toEqual([1, 1, 1]);
    expect(mul.sent[0]!.grad).toMatchObject({ shape: [10], values: null, min: 2, mean: 2, max: 2 });
  });

  it("records the gradient after hooks, as the op's backward receives it", () => {
    const x = leaf([1, 2]);
    const h = x.mul(3);
    h.registerHook((g) => g.mul(10));
    const trace = traceBackward(h.sum(), { names: { h } });
    const mul = trace.steps.find((s) => s.name === "h")!;
    expect(mul.gradOut.values).toEqual([10, 10]);
    expect(Array.from(x.grad!.data())).toEqual([30, 30]);
  });

  it("seeds with a given gradient, and retains the graph on request", () => {
    const x = leaf([1, 2]);
    const y = x.mul(x);
    const first = traceBackward(y, { gradient: tensor([1, -1], { dtype: "float64" }), retainGraph: true });
    expect(first.steps[0]!.gradOut.values).toEqual([1, -1]);
    expect(Array.from(x.grad!.data())).toEqual([2, -4]);
    traceBackward(y, { gradient: 0.5 });
    expect(Array.from(x.grad!.data())).toEqual([3, -2]);
    expect(() => traceBackward(y, { gradient: 0.5 })).toThrow(/backward through the graph a second time/);
  });

  it("has no steps for a leaf", () => {
    const x = leaf(2);
    expect(traceBackward(x).steps).toEqual([]);
    expect(x.grad!.item()).toBe(1);
  });

  it("prints an aligned table, one line per gradient sent", () => {
    const a = leaf(2);
    const b = leaf(3);
    const text = traceBackward(a.mul(b).add(a), { names: { a, b } }).format();
    const lines = text.split("\n");
    expect(lines).toEqual([
      "step  op       backward formula      incoming ȳ  input        gradient sent",
      "   1  op2 add  ā = ȳ, b̄ = ȳ          [] 1        op1 mul      [] 1",
      "                                                 parameter a  [] 1",
      "   2  op1 mul  ā = ȳ ⊙ b, b̄ = ȳ ⊙ a  [] 1        parameter a  [] 3",
      "                                                 parameter b  [] 2",
    ]);
    expect(String(traceBackward(leaf(1).mul(2)))).toMatch(/\n {10,}constant +none \(needs no grad\)$/);
  });

  it("traces a 10,000-op chain without recursion", () => {
    const x = leaf([1, 2]);
    let y = x;
    for (let i = 0; i < 10_000; i++) y = y.neg();
    const trace = traceBackward(y.sum());
    expect(trace.steps).toHaveLength(10_001);
    expect(trace.steps.at(-1)!.sent[0]!.to).toBe("leaf1");
    expect(Array.from(x.grad!.data())).toEqual([1, 1]); // (−1)^10000
    expect(trace.format().split("\n")).toHaveLength(10_002);
  });

  it("rejects bad arguments with the op's name", () => {
    expectNablaError(() => traceBackward(tensor([1, 2])), "traceBackward", /tensor of shape \[2\] does not require grad/);
    expectNablaError(
      () => traceBackward(leaf([1, 2]).mul(2)),
      "traceBackward",
      /only for one-element outputs, got shape \[2\]; pass \{ gradient \}/,
    );
    expectNablaError(
      () => traceBackward(leaf([1, 2]).mul(2), { gradient: tensor([1, 2, 3]) }),
      "traceBackward",
      /gradient must be a Tensor of the output's shape \[2\], got shape \[3\]/,
    );
    expectNablaError(
      () => traceBackward(leaf(1).mul(2), { maxElements: 1.5 }),
      "traceBackward",
      /maxElements must be a non-negative integer, got 1.5/,
    );
  });
});

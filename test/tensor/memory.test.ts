import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defineOp, noGrad, tensor, type Node, type OpContext, type Tensor } from "@nabla/tensor";
import { nablaError } from "../support/errors";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = fileURLToPath(new URL("../../examples/node_modules/.bin/tsx", import.meta.url));

/** Every node behind `t`, found through the recorded edges. */
function nodesBehind(t: Tensor): Node[] {
  const seen = new Set<Node>();
  const stack = t.gradFn ? [t.gradFn] : [];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const edge of node.inputs) if (edge?.node) stack.push(edge.node);
  }
  return [...seen];
}

describe("the tape stays small", () => {
  it("no node is recorded when no input requires grad, or inside noGrad", () => {
    expect(tensor([1, 2]).exp().mul(3).gradFn).toBeNull();
    const x = tensor([1, 2], { requiresGrad: true });
    expect(noGrad(() => x.exp().mul(3)).gradFn).toBeNull();
    expect(x.exp().mul(3).gradFn!.name).toBe("mul");
  });

  it("backward releases every node's saved tensors unless retainGraph is set", () => {
    const x = tensor([0.5, 1.5], { requiresGrad: true });
    const w = tensor([2, -1], { requiresGrad: true });
    const kept = x.mul(w).tanh().exp().sum();
    const nodes = nodesBehind(kept);
    expect(nodes.map((n) => n.name).sort()).toEqual(["exp", "mul", "sum", "tanh"]);
    expect(nodes.some((n) => n.ctx.saved.length > 0)).toBe(true);

    kept.backward(undefined, { retainGraph: true });
    expect(nodes.every((n) => !n.released)).toBe(true);
    kept.backward();
    expect(nodes.every((n) => n.ctx.saved.length === 0)).toBe(true);
    // a node that saved tensors refuses a second run; sum saved none and may run again
    expect(
      nodes
        .filter((n) => n.released)
        .map((n) => n.name)
        .sort(),
    ).toEqual(["exp", "mul", "tanh"]);
  });

  it("a released node drops every field its op set, not only its saved tensors", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    // keeps a large array as a field and saves no tensor: still freed after backward
    const scaled = defineOp({
      name: "scaledByTable",
      forward(ctx: OpContext<{ table: Float64Array; scale: number }>, input: Tensor) {
        ctx.table = new Float64Array(1_000_000).fill(2);
        ctx.scale = 2;
        return input.mul(2);
      },
      backward(ctx, gradOut) {
        return [gradOut.mul(ctx.table[0]! * (ctx.scale / 2))];
      },
    });
    const y = scaled(x).sum();
    const node = y.gradFn!.inputs[0]!.node!;
    expect(node.name).toBe("scaledByTable");
    expect(node.ctx.fieldNames().sort()).toEqual(["scale", "table"]);

    y.backward(undefined, { retainGraph: true });
    expect(node.ctx.fieldNames(), "retainGraph keeps them").toHaveLength(2);
    y.backward();
    expect(x.grad!.toArray()).toEqual([4, 4, 4]);
    expect(node.released).toBe(true);
    expect(node.ctx.fieldNames()).toEqual([]);
    expect(Object.values(node.ctx).some((v) => v instanceof Float64Array)).toBe(false);
    expect(nablaError(() => y.backward()).message).toMatch(
      /^backward: trying to backward through the graph a second time \(scaledByTable's saved tensors were freed\); pass \{ retainGraph: true \}/,
    );
    expect(x.grad!.toArray(), "the failed call adds nothing").toEqual([4, 4, 4]);
  });

  it("a node that kept only plain metadata keeps it and can run again (sum, reshape), as PyTorch", () => {
    const x = tensor([1, 2, 3, 4], { requiresGrad: true });
    const y = x.reshape(2, 2).sum(0).sum();
    const nodes = nodesBehind(y);
    y.backward();
    expect(nodes.every((n) => !n.released)).toBe(true);
    expect(nodes.find((n) => n.name === "reshape")!.ctx.fieldNames()).toEqual(["inputShape"]);
    y.backward();
    expect(x.grad!.toArray()).toEqual([2, 2, 2, 2]);
  });

  it("a node that saved a tensor drops its plain fields too (gather)", () => {
    const x = tensor([[1, 2, 3]], { requiresGrad: true });
    const y = x.gather(1, tensor([[2, 0]], { dtype: "int32" })).sum();
    const node = y.gradFn!.inputs[0]!.node!;
    expect(node.ctx.fieldNames().sort()).toEqual(["dim", "inputShape"]);
    y.backward();
    expect(x.grad!.toArray()).toEqual([[1, 0, 1]]);
    expect(node.ctx.fieldNames()).toEqual([]);
    expect(node.ctx.saved).toEqual([]);
  });

  it("a recorded edge holds no intermediate tensor: only leaves are referenced", () => {
    const x = tensor([0.5, 1.5], { requiresGrad: true });
    const y = x.mul(2).add(1).sin();
    const edges = nodesBehind(y).flatMap((n) => n.inputs.filter((e) => e !== null));
    expect(edges.filter((e) => e!.leaf !== null).map((e) => e!.leaf)).toEqual([x]);
    expect(edges.every((e) => (e!.node === null) !== (e!.leaf === null))).toBe(true);
  });
});

describe("memory over a long training run", () => {
  it("10,000 SGD steps of a 2→16→1 MLP grow the heap by less than 10 MB", () => {
    const run = spawnSync(tsx, ["--expose-gc", "test/tensor/memory-train.ts", "10000"], { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as {
      steps: number;
      firstLoss: number;
      lastLoss: number;
      heapGrowth: number;
      bufferGrowth: number;
    };
    expect(report.steps).toBe(10_000);
    expect(report.lastLoss).toBeLessThan(report.firstLoss / 10); // it really trained
    expect(report.heapGrowth).toBeLessThan(10 * 1024 * 1024);
    expect(report.bufferGrowth).toBeLessThan(10 * 1024 * 1024);
  }, 120_000);
});

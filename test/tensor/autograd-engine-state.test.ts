import { describe, expect, it } from "vitest";
import { defineOp, div, mul, pow, tensor, type Tensor } from "@nabla/tensor";
import { nablaError } from "../support/errors";

// What the graph keeps compactly (number operands as their value, shared needsInputGrad and
// version lists) and where the backward sweep keeps its per-node state (on the nodes) must give
// what the general path gives.

const f64 = (data: number[], requiresGrad = true) => tensor(data, { dtype: "float64", requiresGrad });
const f32 = (data: number[], requiresGrad = true) => tensor(data, { dtype: "float32", requiresGrad });

/** The gradient of sum(fn(x)) for a fresh leaf over `data`. */
function gradOf(data: number[], make: (data: number[]) => Tensor, fn: (x: Tensor) => Tensor): number[] {
  const x = make(data);
  fn(x).sum().backward();
  return x.grad!.toArray() as number[];
}

describe("a number operand saved for backward", () => {
  const ops: Record<string, (x: Tensor, c: number | Tensor) => Tensor> = {
    "x · c": (x, c) => x.mul(c),
    "c · x": (x, c) => mul(c, x),
    "c / x": (x, c) => div(c, x),
    "c ^ x": (x, c) => pow(c, x),
    "x / c": (x, c) => x.div(c),
    "x ^ c": (x, c) => x.pow(c),
    "max(x, c)": (x, c) => x.maximum(c),
  };
  for (const [name, op] of Object.entries(ops)) {
    it(`gives ${name} the gradient it has with c as a tensor (float32 rounding included)`, () => {
      const data = [0.3, 1.7, 2.5, 0.1]; // positive, for the powers; 0.1 ties with c in max
      for (const make of [f32, f64]) {
        const c = 0.1; // not a float32 value: both paths must round it the same way
        const asNumber = gradOf(data, make, (x) => op(x, c));
        const asTensor = gradOf(data, make, (x) => op(x, tensor(c, { dtype: x.dtype })));
        expect(asNumber).toEqual(asTensor);
      }
    });
  }

  it("is rebuilt with its dtype and shape for a second-order gradient", () => {
    const x = f64([0.5, -2, 3]);
    const y = x.mul(3).pow(2).sum(); // 9x²
    y.backward(undefined, { createGraph: true });
    const first = x.grad!;
    expect(first.toArray()).toEqual([9, -36, 54]); // 18x
    x.grad = null;
    first.sum().backward();
    expect(x.grad!.toArray()).toEqual([18, 18, 18]);
  });

  it("still counts as saved: a second backward through x·c needs retainGraph", () => {
    const x = f64([1, 2]);
    const loss = x.mul(3).sum();
    loss.backward();
    expect(nablaError(() => loss.backward()).message).toMatch(
      /^backward: trying to backward through the graph a second time \(mul's saved tensors were freed\)/,
    );
  });

  it("reads back from ctx.saved as a stride-0 tensor of the op's dtype and shape", () => {
    const y = f32([1, 2, 3]).mul(0.1);
    const [c] = y.gradFn!.ctx.saved;
    expect([c!.shape, c!.strides, c!.dtype]).toEqual([[3], [0], "float32"]);
    expect(c!.toArray()).toEqual(tensor([0.1, 0.1, 0.1], { dtype: "float32" }).toArray());
  });
});

describe("needsInputGrad and saved versions shared between nodes", () => {
  it("tells each node which of its inputs need a gradient, whatever other nodes had", () => {
    const seen: boolean[][] = [];
    const probe = defineOp({
      name: "testNeedsProbe",
      forward(ctx, ...inputs: Tensor[]) {
        seen.push([...ctx.needsInputGrad]);
        return inputs.reduce((total, t) => total.add(t));
      },
      backward(ctx, gradOut) {
        return ctx.needsInputGrad.map((needed: boolean) => (needed ? gradOut : null));
      },
    });
    const a = f64([1]);
    const b = f64([2], false);
    probe(a, b);
    probe(b, a);
    probe(a, a, b);
    // more inputs than a shared list is kept for
    const many = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? a : b));
    probe(...many)
      .sum()
      .backward();
    expect(seen.slice(0, 3)).toEqual([
      [true, false],
      [false, true],
      [true, true, false],
    ]);
    expect(seen[3]).toEqual(many.map((t) => t === a));
    expect(a.grad!.toArray()).toEqual([14]); // a is 14 of the 40 inputs
  });

  it("checks a tensor saved after an in-place write against the version it had then", () => {
    const x = f64([1, 2]);
    const w = f64([3, 4], false);
    w.add_(1); // version 1 before it is saved
    const y = x.mul(w).sum();
    y.backward(undefined, { retainGraph: true });
    expect(x.grad!.toArray()).toEqual([4, 5]);
    w.add_(1);
    expect(nablaError(() => y.backward()).message).toMatch(
      /^backward: one of the tensors saved by mul .* it is at version 2, but backward needs version 1/,
    );
  });
});

describe("the backward sweep's state on the nodes", () => {
  it("gives a backward started inside a hook its own state, and the outer sweep its own back", () => {
    const x = f64([1, 2]);
    const h = x.mul(x); // used by both sweeps
    const a = h.mul(3);
    const inner = h.mul(2).sum(); // d(2x²) = 4x
    // when a's hook runs, the outer sweep holds h's node with the gradient from the add pending
    a.registerHook(() => {
      inner.backward(undefined, { retainGraph: true });
    });
    a.add(h).sum().backward(); // d(3x² + x²) = 8x
    expect(x.grad!.toArray()).toEqual([12, 24]);
  });

  it("leaves nothing behind when a sweep fails, so the next one starts clean", () => {
    const x = f64([1, 2]);
    const h = x.mul(x);
    const loss = h.mul(3).add(h).sum();
    const g = h.mul(1);
    g.registerHook(() => {
      throw new Error("stop");
    });
    // the sweep runs loss's side first (its node is pushed last), so h's node holds a gradient
    // when g's hook throws
    expect(() => g.add(loss).sum().backward(undefined, { retainGraph: true })).toThrow("stop");
    expect(x.grad).toBeNull();
    for (const node of [h.gradFn!, loss.gradFn!]) expect([node.sweepId, node.pendingGrad]).toEqual([0, null]);
    loss.backward();
    expect(x.grad!.toArray()).toEqual([8, 16]); // d(4x²)
  });
});

import { describe, expect, it } from "vitest";
import { autogradGrad, defineOp, enableGrad, isGradEnabled, noGrad, ones, stack, tensor, zeros, type Tensor } from "@nabla/tensor";
import { nablaError } from "../support/errors";

const f64 = (data: number[] | number[][], requiresGrad = true) => tensor(data, { dtype: "float64", requiresGrad });

describe("the backward sweep", () => {
  it("runs a 100,000-op chain without overflowing the stack", () => {
    const x = f64([1.5]);
    let y: Tensor = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(1.00001);
    y.sum().backward();
    // d(x·aⁿ)/dx = aⁿ
    expect(x.grad!.item()).toBeCloseTo(1.00001 ** 100_000, 8);
  });

  it("adds the gradients of two backward calls on a leaf", () => {
    const x = f64([1, 2, 3]);
    x.mul(x).sum().backward(); // 2x
    expect(x.grad!.toArray()).toEqual([2, 4, 6]);
    x.mul(3).sum().backward(); // + 3
    expect(x.grad!.toArray()).toEqual([5, 7, 9]);
    x.grad = null; // assignable, as PyTorch
    x.mul(3).sum().backward();
    expect(x.grad!.toArray()).toEqual([3, 3, 3]);
  });

  it("keeps .grad of a non-leaf only when it retains it", () => {
    const x = f64([1, 2]);
    const y = x.mul(2);
    const z = x.mul(3);
    z.retainGrad();
    expect([x.isLeaf, y.isLeaf, z.isLeaf]).toEqual([true, false, false]);
    y.mul(z).sum().backward();
    expect(y.grad).toBeNull();
    expect(z.grad!.toArray()).toEqual([2, 4]); // ∂(y·z)/∂z = y
    expect(x.grad!.toArray()).toEqual([12, 24]); // 2·z + 3·y = 12x
  });

  it("refuses to go through a freed graph a second time, unless the graph was retained", () => {
    const x = f64([1, 2]);
    const loss = x.mul(x).sum();
    loss.backward(undefined, { retainGraph: true });
    loss.backward();
    expect(x.grad!.toArray()).toEqual([4, 8]);
    const error = nablaError(() => loss.backward());
    expect(error.op).toBe("backward");
    expect(error.message).toMatch(
      /^backward: trying to backward through the graph a second time \((sum|mul)'s saved tensors were freed\); pass \{ retainGraph: true \}/,
    );
    expect(x.grad!.toArray(), "the failed call adds nothing").toEqual([4, 8]);
  });

  it("goes through a graph twice when none of its ops saved a tensor (add, sum), as PyTorch", () => {
    const x = f64([1, 2]);
    const loss = x.add(1).sum();
    loss.backward();
    loss.backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });

  it("needs an explicit gradient for a non-scalar output, of the output's shape", () => {
    const x = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const y = x.mul(2);
    expect(nablaError(() => y.backward()).message).toBe(
      "backward: a gradient can be created implicitly only for scalar outputs, got shape [2, 3]; pass gradient",
    );
    expect(nablaError(() => y.backward(ones([3, 2], { dtype: "float64" }))).message).toBe(
      "backward: gradient has shape [3, 2] but the tensor has shape [2, 3]",
    );
    y.backward(
      f64(
        [
          [1, 0, 0],
          [0, 0, 1],
        ],
        false,
      ),
    );
    expect(x.grad!.toArray()).toEqual([
      [2, 0, 0],
      [0, 0, 2],
    ]);
    expect(nablaError(() => f64([1], false).backward()).message).toMatch(/^backward: the tensor does not require grad/);
  });
});

describe("what joins the graph", () => {
  it("records nothing when no input requires grad", () => {
    const a = f64([1, 2], false);
    const b = f64([3, 4], false);
    const c = a.mul(b).exp().sum();
    expect(c.gradFn).toBeNull();
    expect(c.requiresGrad).toBe(false);
  });

  it("records a node named after the op when an input requires grad; the other input gets no grad", () => {
    const a = f64([1, 2]);
    const b = f64([3, 4], false);
    const c = a.mul(b);
    expect(c.gradFn?.name).toBe("mul");
    expect(c.requiresGrad).toBe(true);
    c.sum().backward();
    expect(a.grad!.toArray()).toEqual([3, 4]);
    expect(b.grad).toBeNull();
  });

  it("never makes int32 or bool results require grad", () => {
    const x = f64([-1, 2, 0.5]);
    for (const result of [x.gt(0), x.eq(x), x.argmax(), x.argmin(0), x.to("int32"), x.to("bool")]) {
      expect(result.requiresGrad).toBe(false);
      expect(result.gradFn).toBeNull();
    }
    expect(x.to("float32").requiresGrad).toBe(true);
  });

  it("lets only floating-point leaves require grad", () => {
    const n = tensor([1, 2], { dtype: "int32" });
    expect(nablaError(() => (n.requiresGrad = true)).message).toBe(
      "requiresGrad: only floating-point tensors can require gradients, got int32",
    );
    expect(nablaError(() => tensor([true], { requiresGrad: true })).message).toBe(
      "tensor: only floating-point tensors can require gradients, got dtype bool",
    );
    const y = f64([1]).mul(2);
    expect(nablaError(() => (y.requiresGrad = false)).message).toBe(
      "requiresGrad: can only change requiresGrad on leaf tensors; use detach() to get a tensor without history",
    );
  });

  it("noGrad and enableGrad switch recording and restore it, even after a throw", () => {
    const x = f64([1, 2]);
    expect(isGradEnabled()).toBe(true);
    const inside = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      const y = x.mul(2);
      const z = enableGrad(() => {
        expect(isGradEnabled()).toBe(true);
        return x.mul(3);
      });
      expect(isGradEnabled()).toBe(false);
      return { y, z };
    });
    expect(isGradEnabled()).toBe(true);
    expect(inside.y.gradFn).toBeNull();
    expect(inside.y.requiresGrad).toBe(false);
    expect(inside.z.gradFn?.name).toBe("mul");
    expect(() =>
      noGrad(() => {
        throw new Error("inside");
      }),
    ).toThrow("inside");
    expect(isGradEnabled()).toBe(true);
  });

  it("detach shares the storage and cuts the graph", () => {
    const x = f64([1, 2]);
    const d = x.mul(2).detach();
    expect([d.requiresGrad, d.gradFn, d.isLeaf]).toEqual([false, null, true]);
    const leafView = x.detach();
    expect(leafView.storage).toBe(x.storage);
    // the detached branch contributes no gradient
    x.mul(d).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 4]);
  });
});

describe("gradients through views and broadcasting", () => {
  it("adds the gradients of overlapping asStrided elements at their storage position", () => {
    const x = f64([1, 2, 3, 4]);
    // windows [[x0, x1], [x1, x2], [x2, x3]]: x1 and x2 are read twice
    const windows = x.asStrided([3, 2], [1, 1]);
    windows.backward(
      f64(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        false,
      ),
    );
    expect(x.grad!.toArray()).toEqual([1, 2 + 3, 4 + 5, 6]);
  });

  it("routes asStrided gradients through a strided input to its base", () => {
    const base = f64([0, 1, 2, 3, 4, 5, 6, 7]);
    const odd = base.slice(0, 1, undefined, 2); // storage positions 1, 3, 5, 7
    // positions 3, 5 and 5, 7: position 5 read twice
    const pairs = odd.asStrided([2, 2], [2, 2], 3);
    expect(pairs.toArray()).toEqual([
      [3, 5],
      [5, 7],
    ]);
    pairs.backward(
      f64(
        [
          [1, 10],
          [100, 1000],
        ],
        false,
      ),
    );
    expect(base.grad!.toArray()).toEqual([0, 0, 0, 1, 0, 110, 0, 1000]);
  });

  it("sums broadcast gradients back to each input's shape", () => {
    const a = f64([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const b = f64([10, 20, 30]); // broadcast over rows
    const c = f64([[1], [2]]); // broadcast over columns
    const s = tensor(2, { dtype: "float64", requiresGrad: true }); // 0-d, broadcast everywhere
    const g = f64(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      false,
    );
    a.mul(b).add(c).mul(s).backward(g);
    expect(a.grad!.toArray()).toEqual([
      [20, 80, 180],
      [80, 200, 360],
    ]); // g·b·s
    expect(b.grad!.toArray()).toEqual([(1 * 1 + 4 * 4) * 2, (2 * 2 + 5 * 5) * 2, (3 * 3 + 6 * 6) * 2]); // Σ_rows g·a·s
    expect(c.grad!.toArray()).toEqual([[12], [30]]); // Σ_cols g·s
    expect(s.grad!.item()).toBe(1 * 11 + 2 * 41 + 3 * 91 + 4 * 42 + 5 * 102 + 6 * 182); // Σ g·(a·b + c)
  });

  it("sums the gradient of an expanded (stride-0) view over its copies", () => {
    const x = f64([[1], [2]]);
    const e = x.expand([2, 3]);
    expect(e.strides).toEqual([1, 0]);
    e.backward(
      f64(
        [
          [1, 2, 3],
          [4, 5, 6],
        ],
        false,
      ),
    );
    expect(x.grad!.toArray()).toEqual([[6], [15]]);
  });

  it("adds the gradients of a tensor used twice (a diamond)", () => {
    const x = f64([1, -2]);
    const y = x.mul(2);
    // z = y² + y, so dz/dx = (2y + 1)·2
    y.mul(y).add(y).sum().backward();
    expect(x.grad!.toArray()).toEqual([(2 * 2 + 1) * 2, (2 * -4 + 1) * 2]);
  });

  it("adds the gradients of many slices and gathers of one tensor, leaf or not, as autogradGrad does", () => {
    // every time step of an RNN reads x[:, t]: the slices' gradients meet at x (and at the leaf w)
    const w = f64([
      [1, -2, 3],
      [4, 5, -6],
    ]);
    const loss = (w: Tensor) => {
      const x = w.mul(w); // not a leaf
      const parts = [0, 1, 2].map((t) => x.select(1, t).mul(t + 1));
      parts.push(x.narrow(1, 1, 2).sum(1), x.slice(1, 0, 3, 2).sum(1), w.select(0, 1).narrow(0, 1, 2));
      parts.push(
        w
          .indexSelect(1, tensor([2, 0, 2], { dtype: "int32" }))
          .sum(0)
          .narrow(0, 0, 2),
      );
      parts.push(w.indexSelect(1, tensor([1, 1], { dtype: "int32" })).sum(0));
      return stack(parts).square().sum();
    };
    const [expected] = autogradGrad(loss(w), [w]);
    loss(w).backward();
    expect(w.grad!.toArray()).toEqual(expected!.toArray());
    expect(w.grad!.toArray()).toEqual([
      [54, -220, 1242],
      [1098, 3242, -10506],
    ]); // PyTorch's
  });

  it("never adds a slice's gradient into one that something else holds", () => {
    // s's gradient ḡ, the sum of its slices', is s.grad and, through add, p's (and q's) too: p's
    // own slice must not add into it
    const a = f64([1, 2]);
    const b = f64([3, 4]);
    const p = a.mul(1);
    const s = p.add(b.mul(1));
    s.retainGrad();
    p.select(0, 0)
      .mul(5)
      .add(s.select(0, 0).mul(2).add(s.select(0, 1).mul(3)))
      .backward();
    expect(s.grad!.toArray()).toEqual([2, 3]);
    expect(a.grad!.toArray()).toEqual([7, 3]);
    expect(b.grad!.toArray()).toEqual([2, 3]);
  });

  it("shows a retained or hooked tensor the sum of its slices' gradients", () => {
    const w = f64([1, 2, 3]);
    const x = w.mul(2);
    x.retainGrad();
    const seen: number[][] = [];
    x.registerHook((g) => {
      seen.push(g.toArray() as number[]);
    });
    x.select(0, 0).add(x.select(0, 2).mul(10)).add(x.select(0, 0)).backward();
    expect(seen).toEqual([[2, 0, 10]]);
    expect(x.grad!.toArray()).toEqual([2, 0, 10]);
    expect(w.grad!.toArray()).toEqual([4, 0, 20]);
  });

  it("gives a float32 leaf a float32 gradient, of its own shape", () => {
    const w = tensor([[1, 2]], { requiresGrad: true });
    const out = w.matmul(zeros([2, 3]).add(1)).sum();
    out.backward();
    expect(w.grad!.dtype).toBe("float32");
    expect(w.grad!.toArray()).toEqual([[3, 3]]);
  });
});

describe("a custom op that returns the wrong thing", () => {
  const double = (backward: (ctx: unknown, gradOut: Tensor) => unknown) =>
    defineOp({ name: "double", forward: (_ctx, x: Tensor) => x.mul(2), backward: backward as never });

  it("is a NablaError naming the op when forward returns something that is not a tensor", () => {
    const broken = defineOp({ name: "broken", forward: (_ctx, _x: Tensor) => null as never, backward: (_ctx, g) => [g] });
    const error = nablaError(() => broken(f64([1, 2])), "broken");
    expect(error.message).toBe("broken: forward returned null; it must return a Tensor");
  });

  it("is a NablaError naming the op, not a TypeError, when backward returns no array or a non-tensor gradient", () => {
    const x = f64([1, 2]);
    expect(
      nablaError(
        () =>
          double(() => null)(x)
            .sum()
            .backward(),
        "double",
      ).message,
    ).toBe("double: backward returned null; expected an array with a gradient (or null) for each of its 1 tensor inputs");
    expect(
      nablaError(
        () =>
          double(() => [5])(x)
            .sum()
            .backward(),
        "double",
      ).message,
    ).toBe("double: backward returned 5 as the gradient of input 0; expected a tensor of shape [2] or null");
    expect(x.grad).toBeNull();
  });

  it("still takes null as no gradient for an input", () => {
    const x = f64([1, 2]);
    double(() => [null])(x)
      .sum()
      .backward();
    expect(x.grad).toBeNull();
  });
});

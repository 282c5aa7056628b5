import { describe, expect, it } from "vitest";
import { autogradGrad, defineOp, ones, tensor, type Tensor } from "@nabla/tensor";

// backward() stores a leaf's first gradient without copying it when the pass made it and nothing
// else can hold it (PyTorch steals such a gradient too); everything that could be shared is copied,
// so a later in-place accumulation into `.grad` never shows up anywhere else.

/** An op whose backward returns what `makeGrad` gives, so a test decides what reaches the leaf. */
function passing(makeGrad: (gradOut: Tensor) => Tensor) {
  return defineOp({
    name: "passing",
    forward: (_ctx, x: Tensor) => x.clone(),
    backward: (_ctx, gradOut) => [makeGrad(gradOut)],
    formula: { forward: "y = x", backward: "x̄ = f(ȳ)" },
  });
}

describe("storing gradients without a copy", () => {
  it("takes a gradient the pass made, whole and row-major, as the leaf's .grad", () => {
    let made: Tensor | null = null;
    const op = passing((g) => (made = g.mul(2)));
    const x = tensor([1, 2, 3], { requiresGrad: true });
    op(x).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2, 2]);
    expect(x.grad!.storage).toBe(made!.storage);
    expect(x.grad!.base).toBeNull(); // a tensor of its own, not a view of the op's result
  });

  it("copies a gradient made before the pass (a constant a backward rule returns)", () => {
    const constant = tensor([5, 6, 7]);
    const x = tensor([1, 2, 3], { requiresGrad: true });
    passing(() => constant)(x)
      .sum()
      .backward();
    expect(x.grad!.storage).not.toBe(constant.storage);
    x.grad!.add_(1);
    expect(constant.toArray()).toEqual([5, 6, 7]);
  });

  it("copies the caller's seed, even when it passes straight through to the leaf", () => {
    const seed = tensor([1, 1, 1]);
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.add(0).backward(seed);
    const leaf = tensor([4, 5, 6], { requiresGrad: true });
    leaf.backward(seed);
    expect(x.grad!.storage).not.toBe(seed.storage);
    expect(leaf.grad!.storage).not.toBe(seed.storage);
    x.grad!.add_(10);
    leaf.grad!.add_(10);
    expect(seed.toArray()).toEqual([1, 1, 1]);
  });

  it("gives two leaves handed the same gradient storages of their own", () => {
    // add's backward hands its incoming gradient to both inputs
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([3, 4], { requiresGrad: true });
    a.add(b).mul(3).sum().backward();
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    a.grad!.add_(1);
    expect(b.grad!.toArray()).toEqual([3, 3]);
  });

  it("keeps a retained gradient apart from the leaf gradient that passes through its node", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.add(1);
    y.retainGrad();
    y.mul(3).sum().backward();
    expect(y.grad!.storage).not.toBe(x.grad!.storage);
    y.grad!.add_(1);
    expect(x.grad!.toArray()).toEqual([3, 3]);
  });

  it("copies what a hook on an intermediate tensor has seen (the hook may keep it)", () => {
    let seen: Tensor | null = null;
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.add(0); // add's backward passes y's gradient, which the hook sees, on to x
    y.registerHook((g) => {
      seen = g;
    });
    y.mul(3).sum().backward();
    expect(x.grad!.storage).not.toBe(seen!.storage);
    x.grad!.add_(1);
    expect(seen!.toArray()).toEqual([3, 3]);
  });

  it("copies what a hook on the leaf has seen", () => {
    let seen: Tensor | null = null;
    const x = tensor([1, 2], { requiresGrad: true });
    x.registerHook((g) => {
      seen = g;
    });
    x.mul(2).sum().backward();
    expect(x.grad!.storage).not.toBe(seen!.storage);
    x.grad!.add_(1);
    expect(seen!.toArray()).toEqual([2, 2]);
  });

  it("adds later gradients into the stored one in place, as before", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    x.mul(2).sum().backward();
    const first = x.grad!;
    x.mul(ones([3]))
      .sum()
      .backward();
    expect(x.grad).toBe(first);
    expect(x.grad!.toArray()).toEqual([3, 3, 3]);
  });
});

describe("gradients returned by autogradGrad", () => {
  it("never share storage with a retained .grad filled in the same pass", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.retainGrad();
    const [gy] = autogradGrad(y.mul(3).sum(), [y]);
    if (y.grad !== null) {
      expect(y.grad.storage).not.toBe(gy!.storage);
      y.grad.add_(1);
    }
    expect(gy!.toArray()).toEqual([3, 3]);
  });
});

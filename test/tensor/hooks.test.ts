import { describe, expect, it } from "vitest";
import { autogradGrad, NablaError, tensor, type Tensor } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";

interface Entry {
  shape: number[];
  values: number[];
}
interface Seen {
  hook: string;
  grad: Entry;
}
interface HookCase {
  name: string;
  seen: Seen[];
  grads: Record<string, Entry>;
}

const f64 = (values: number[]) => tensor(Float64Array.from(values));
const C4 = f64([1, -2, 0.5, 3]);
const x4 = () => tensor(Float64Array.from([0.5, -1, 2, 1.5]), { requiresGrad: true });
const entry = (t: Tensor): Entry => ({ shape: [...t.shape], values: Array.from(t.data()) });

/** A hook that records the gradient it sees under `label`, then returns `transform(grad)`. */
function recorder(seen: Seen[]) {
  return (label: string, transform?: (g: Tensor) => Tensor) => (g: Tensor) => {
    seen.push({ hook: label, grad: entry(g) });
    return transform ? transform(g) : undefined;
  };
}

/** Twins of gen_autodiff.py's hooks(): each returns what its hooks saw and the grads. */
const twins: Record<string, () => { seen: Seen[]; grads: Record<string, Tensor> }> = {
  nonleaf_replace() {
    const seen: Seen[] = [];
    const record = recorder(seen);
    const x = x4();
    const y = x.mul(2);
    y.registerHook(record("y", (g) => g.mul(3)));
    y.mul(y).mul(C4).sum().backward();
    return { seen, grads: { x: x.grad! } };
  },
  leaf_order() {
    const seen: Seen[] = [];
    const record = recorder(seen);
    const x = x4();
    x.registerHook(record("first", (g) => g.mul(2)));
    x.registerHook(record("second", (g) => g.add(1)));
    x.mul(3).mul(C4).sum().backward();
    return { seen, grads: { x: x.grad! } };
  },
  nonleaf_total() {
    const seen: Seen[] = [];
    const record = recorder(seen);
    const x = x4();
    const y = x.mul(2);
    y.registerHook(record("y"));
    y.mul(3).mul(C4).add(y.mul(y)).sum().backward();
    return { seen, grads: { x: x.grad! } };
  },
  hook_then_retain() {
    const seen: Seen[] = [];
    const record = recorder(seen);
    const x = x4();
    const y = x.tanh();
    y.registerHook(record("y", (g) => g.mul(10)));
    y.retainGrad();
    y.mul(C4).sum().backward();
    return { seen, grads: { x: x.grad!, y: y.grad! } };
  },
  removed() {
    const seen: Seen[] = [];
    const record = recorder(seen);
    const x = x4();
    const y = x.mul(x);
    const remove = y.registerHook(record("removed", (g) => g.mul(100)));
    y.registerHook(record("kept", (g) => g.sub(1)));
    remove();
    y.mul(C4).sum().backward();
    return { seen, grads: { x: x.grad! } };
  },
  chain_order() {
    const seen: Seen[] = [];
    const record = recorder(seen);
    const x = x4();
    const y = x.sin();
    const z = y.mul(y);
    y.registerHook(record("y", (g) => g.mul(2)));
    z.registerHook(record("z", (g) => g.add(1)));
    z.mul(C4).sum().backward();
    return { seen, grads: { x: x.grad! } };
  },
  create_graph() {
    const seen: Seen[] = [];
    const record = recorder(seen);
    const x = x4();
    const y = x.pow(3);
    y.registerHook(record("y", (g) => g.mul(y)));
    y.mul(C4).sum().backward(undefined, { createGraph: true });
    const [second] = autogradGrad(x.grad!.mul(C4).sum(), [x]);
    return { seen, grads: { x: x.grad!, second: second! } };
  },
};

function expectEntry(actual: Entry, expected: Entry, label: string): void {
  expect(actual.shape, label).toEqual(expected.shape);
  expected.values.forEach((v, i) => {
    expect(actual.values[i], `${label} [${i}]`).toBeCloseTo(v, 10);
  });
}

describe("hooks match PyTorch (cases where PyTorch 1.13 and 2.x agree)", () => {
  const cases = loadFixture<HookCase[]>("autodiff_hooks.json");

  it("covers the fixture", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(twins).sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const { seen, grads } = twins[name]!();
    expect(
      seen.map((s) => s.hook),
      "hooks called, in order",
    ).toEqual(c.seen.map((s) => s.hook));
    seen.forEach((s, i) => {
      expectEntry(s.grad, c.seen[i]!.grad, `gradient seen by hook ${i} (${s.hook})`);
    });
    expect(Object.keys(grads).sort()).toEqual(Object.keys(c.grads).sort());
    for (const [key, value] of Object.entries(grads)) expectEntry(entry(value), c.grads[key]!, `grad ${key}`);
  });
});

// PyTorch 2.0 changed three things that Debian's PyTorch 1.13 still does the old way (pytorch#85849,
// pytorch#79996); nabla follows 2.0. The expected values below are worked out by hand.
describe("hook semantics of PyTorch ≥ 2.0", () => {
  it("a retained grad sees the hooks' result even when retainGrad was called first", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.retainGrad();
    y.registerHook((g) => g.mul(10));
    y.mul(3).sum().backward();
    expect(y.grad!.toArray()).toEqual([30, 30]); // 1.13 gives [3, 3]
    expect(x.grad!.toArray()).toEqual([60, 60]);
  });

  it("after an in-place op, old hooks stay with the old value and the retained grad follows the tensor", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    const seen: [string, unknown][] = [];
    y.registerHook((g) => {
      seen.push(["before", g.toArray()]);
    });
    y.retainGrad();
    y.add_(1);
    y.registerHook((g) => {
      seen.push(["after", g.toArray()]);
      return g.mul(10);
    });
    y.mul(y).sum().backward();
    // ∂Σy²/∂y = 2y = 2(2x + 1) = [6, 10, 14]; the new hook multiplies it by 10, add passes it to the old y
    expect(seen).toEqual([
      ["after", [6, 10, 14]],
      ["before", [60, 100, 140]],
    ]);
    expect(y.grad!.toArray()).toEqual([60, 100, 140]);
    expect(x.grad!.toArray()).toEqual([120, 200, 280]);
  });

  it("autogradGrad runs the hooks of a leaf it returns the gradient of, and returns their result", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.registerHook((g) => g.mul(2));
    const [g] = autogradGrad(x.mul(3).sum(), [x]);
    expect(g!.toArray()).toEqual([6, 6]); // 1.13 gives [3, 3]
    expect(x.grad).toBeNull();
  });
});

describe("when hooks run", () => {
  it("a leaf's hooks run once, on its summed gradient, before it is added to .grad", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.grad = tensor([100, 100]);
    const seen: unknown[] = [];
    x.registerHook((g) => {
      seen.push(g.toArray());
    });
    x.mul(2).add(x.mul(3)).sum().backward();
    expect(seen).toEqual([[5, 5]]);
    expect(x.grad!.toArray()).toEqual([105, 105]);
  });

  it("autogradGrad runs no hook of a leaf it does not return", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const w = tensor([3, 4], { requiresGrad: true });
    let calls = 0;
    w.registerHook(() => {
      calls++;
    });
    const [g] = autogradGrad(x.mul(w).sum(), [x]);
    expect(g!.toArray()).toEqual([3, 4]);
    expect(calls).toBe(0);
    expect(w.grad).toBeNull();
  });

  it("non-leaf grads are kept only with retainGrad; leaves always keep theirs", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    const z = y.mul(y);
    z.retainGrad();
    x.retainGrad(); // a leaf: nothing to do
    z.sum().backward();
    expect(y.grad).toBeNull();
    expect(z.grad!.toArray()).toEqual([1, 1]);
    expect(x.grad!.toArray()).toEqual([8, 16]);
  });

  it("removing a hook twice, or one of two registrations of the same function, is safe", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const double = (g: Tensor) => g.mul(2);
    const removeFirst = x.registerHook(double);
    x.registerHook(double);
    removeFirst();
    removeFirst();
    x.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });

  it("a hook's replacement is differentiable under createGraph, and the hook runs again on the next pass", () => {
    const x = tensor(Float64Array.from([0.5, 2]), { requiresGrad: true });
    const y = x.square();
    y.registerHook((g) => g.mul(y));
    // first pass: ȳ = 1·y, x̄ = ȳ·2x = 2x³
    const [g] = autogradGrad(y.sum(), [x], { createGraph: true });
    expect(g!.toArray()).toEqual([0.25, 16]);
    // second pass through g = 2x·y: ȳ = 2x, hooked to 2x·y = 2x³, then ·2x; plus 2y directly: 4x⁴ + 2x²
    const [h] = autogradGrad(g!.sum(), [x]);
    expect(h!.requiresGrad).toBe(false);
    expect(h!.toArray()).toEqual([0.75, 72]);
  });
});

describe("bad hooks are rejected with a NablaError", () => {
  it("a hook returning the wrong shape, dtype or type", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    y.registerHook(() => tensor([1, 2, 3]));
    expect(() => y.sum().backward()).toThrowError(NablaError);
    const z = x.mul(2);
    z.registerHook(() => tensor([1, 2, 3]));
    expect(() => z.sum().backward()).toThrowError(
      "registerHook: a hook returned a float32 tensor of shape [3] for a float32 gradient of shape [2]; it must return nothing or a tensor of the gradient's shape and dtype",
    );
    const w = x.mul(2);
    w.registerHook(() => tensor([1, 2], { dtype: "float64" }));
    expect(() => w.sum().backward()).toThrowError(
      "registerHook: a hook returned a float64 tensor of shape [2] for a float32 gradient of shape [2]",
    );
    const v = x.mul(2);
    v.registerHook((() => 3) as unknown as (g: Tensor) => Tensor);
    expect(() => v.sum().backward()).toThrowError("registerHook: a hook returned 3 for a float32 gradient of shape [2]");
  });

  it("hooks and retainGrad need a tensor that requires grad", () => {
    expect(() => tensor([1, 2]).registerHook(() => undefined)).toThrowError(
      "registerHook: cannot register a hook on a tensor that does not require grad",
    );
    expect(() => tensor([1, 2]).retainGrad()).toThrowError("retainGrad: cannot retain the gradient of a tensor that does not require grad");
    expect(() => tensor([1], { requiresGrad: true }).registerHook(3 as unknown as () => undefined)).toThrowError(
      "registerHook: expected a function, got number",
    );
  });
});

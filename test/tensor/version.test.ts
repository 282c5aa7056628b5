import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { autogradGrad, cat, noGrad, tensor, zeros, type Tensor } from "@nabla/tensor";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";

// In-place ops inside a graph: version counters, PyTorch's errors, and the values and gradients of
// in-place chains on non-leaves and on views (PyTorch fixtures, and a property comparing every
// in-place chain with the same chain written out of place).

interface Entry {
  shape: number[];
  values: number[];
}
interface InplaceFixture {
  cases: { name: string; values: Entry; grads: Record<string, Entry> }[];
  errors: { name: string; error: string | null }[];
}

const f64 = (values: number[], shape = [values.length]) => tensor(Float64Array.from(values), { shape });
const C4 = f64([1, -2, 0.5, 3]);
const C6 = f64([1, -2, 0.5, 3, 0.25, -1.5], [2, 3]);
const x4 = () => tensor(Float64Array.from([0.5, -1, 2, 1.5]), { requiresGrad: true });
const w2 = () => tensor(Float64Array.from([1.5, -0.75]), { requiresGrad: true });
const requiring = (values: number[], shape = [values.length]) => tensor(Float64Array.from(values), { shape, requiresGrad: true });

/** Twins of gen_autodiff.py's INPLACE_CASES. */
const twins: Record<string, () => { values: Tensor; grads: Record<string, Tensor | null> }> = {
  chain() {
    const x = x4();
    const w = requiring([2, -1, 0.5, 4]);
    const y = x.mul(2);
    y.add_(1);
    y.mul_(3);
    y.div_(w);
    y.sub_(x);
    y.mul_(x);
    y.mul(C4).sum().backward();
    return { values: y, grads: { x: x.grad, w: w.grad } };
  },
  exp_chain() {
    const x = x4();
    const y = x.exp().mul(1);
    y.add_(x);
    const z = y.tanh().mul(1);
    z.mul_(2);
    z.mul(C4).sum().backward();
    return { values: z, grads: { x: x.grad } };
  },
  tanh_input_modified() {
    const x = x4();
    const y = x.mul(1);
    const z = y.tanh();
    y.mul_(2);
    z.mul(C4).add(y).sum().backward();
    return { values: z, grads: { x: x.grad } };
  },
  view_write_base_use() {
    const x = x4();
    const w = w2();
    const y = x.mul(1);
    y.slice(0, 1, 3).mul_(w);
    y.mul(C4).sum().backward();
    return { values: y, grads: { x: x.grad, w: w.grad } };
  },
  sibling_view() {
    const x = x4();
    const y = x.mul(1);
    const v1 = y.slice(0, 0, 2);
    const v2 = y.slice(0, 1, 3);
    v2.mul_(3);
    v1.mul(f64([1, 2]))
      .sum()
      .backward();
    return { values: v1, grads: { x: x.grad } };
  },
  view_copy_into_constant() {
    const base = zeros([4], { dtype: "float64" });
    const x = w2();
    base.slice(0, 1, 3).copy_(x.mul(3));
    base.mul(C4).sum().backward();
    return { values: base, grads: { x: x.grad } };
  },
  transposed_view_write() {
    const x = requiring([0.5, -1, 2, 1.5, -0.5, 0.25], [2, 3]);
    const w = w2();
    const y = x.mul(2);
    y.T.select(0, 1).add_(w);
    y.T.select(0, 2).mul_(w);
    y.mul(C6).sum().backward();
    return { values: y, grads: { x: x.grad, w: w.grad } };
  },
  fill_and_zero() {
    const x = x4();
    const y = x.mul(x);
    y.slice(0, 0, 2).zero_();
    y.slice(0, 3, 4).fill_(5);
    const z = y.mul(x);
    z.mul(C4).sum().backward();
    return { values: z, grads: { x: x.grad } };
  },
  copy_over_history() {
    const x = x4();
    const w = requiring([3, -2, 1, 0.5]);
    const y = x.mul(2);
    y.copy_(w.mul(w));
    y.mul(x).mul(C4).sum().backward();
    return { values: y, grads: { x: x.grad, w: w.grad } };
  },
  nested_view_write() {
    const x = requiring([1, 2, 3, 4, 5, 6]);
    const w = w2();
    const y = x.mul(1).reshape([2, 3]);
    const row = y.select(0, 1);
    row.slice(0, 0, 2).mul_(w);
    y.mul(C6).sum().backward();
    return { values: y, grads: { x: x.grad, w: w.grad } };
  },
  view_then_base_write() {
    const x = x4();
    const y = x.mul(1);
    const v = y.slice(0, 2, 4);
    y.mul_(f64([1, 2, 3, 4]));
    v.mul(f64([1, -1]))
      .sum()
      .backward();
    return { values: v, grads: { x: x.grad } };
  },
};

/** Twins of gen_autodiff.py's INPLACE_ERRORS: each runs the chain and its backward. */
const errorTwins: Record<string, () => void> = {
  mul_self() {
    const y = x4().mul(2);
    y.add_(1);
    y.mul_(y);
    y.mul(C4).sum().backward();
  },
  exp_output: savedOutput((x) => x.exp()),
  tanh_output: savedOutput((x) => x.tanh()),
  sigmoid_output: savedOutput((x) => x.sigmoid()),
  sqrt_output: savedOutput((x) => x.mul(x).add(1).sqrt()),
  mul_input: savedInput((y) => y.mul(f64([1, 2, 3, 4]))),
  div_input: savedInput((y) => f64([1, 2, 3, 4]).div(y)),
  sin_input: savedInput((y) => y.sin()),
  log_input: savedInput((y) => y.mul(y).log()),
  leaf() {
    x4().add_(1);
  },
  leaf_view() {
    x4().slice(0, 0, 2).mul_(2);
  },
};

function savedOutput(op: (x: Tensor) => Tensor) {
  return () => {
    const y = op(x4());
    y.add_(1);
    y.mul(C4).sum().backward();
  };
}

function savedInput(op: (y: Tensor) => Tensor) {
  return () => {
    const y = x4().mul(1);
    const z = op(y);
    y.mul_(2);
    z.mul(C4).sum().backward();
  };
}

function expectClose(actual: Tensor, expected: Entry, label: string): void {
  expect(actual.shape, label).toEqual(expected.shape);
  const values = Array.from(actual.data());
  expected.values.forEach((v, i) => {
    expect(Math.abs(values[i]! - v), `${label} [${i}]: ${values[i]} vs ${v}`).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(v)));
  });
}

const fixture = loadFixture<InplaceFixture>("autodiff_inplace.json");

describe("in-place chains inside a graph match PyTorch (values and gradients)", () => {
  it("covers the fixture", () => {
    expect(fixture.cases.map((c) => c.name).sort()).toEqual(Object.keys(twins).sort());
    expect(fixture.errors.map((c) => c.name).sort()).toEqual(Object.keys(errorTwins).sort());
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const { values, grads } = twins[name]!();
    expectClose(values, c.values, `${name} values`);
    for (const [key, expected] of Object.entries(c.grads)) expectClose(grads[key]!, expected, `${name} grad ${key}`);
  });
});

describe("where PyTorch refuses an in-place chain, nabla throws a NablaError too", () => {
  it.each(fixture.errors.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const run = errorTwins[name]!;
    if (c.error === null) {
      expect(run).not.toThrow();
      return;
    }
    const { message } = nablaError(run);
    if (c.error.includes("modified by an inplace operation")) {
      // name the op that saved the tensor and both versions, as PyTorch does
      const [, now, wanted] = /is at version (\d+); expected version (\d+)/.exec(c.error)!;
      expect(message).toMatch(
        new RegExp(
          `^backward: one of the tensors saved by \\w+ \\(shape \\[4\\]\\) was modified by an in-place operation: it is at version ${now}, but backward needs version ${wanted}$`,
        ),
      );
    } else {
      expect(message).toMatch(/(a leaf tensor|a view of a leaf tensor of shape \[4\]) that requires grad/);
    }
  });

  it("names the op whose saved tensor changed", () => {
    expect(errorTwins.exp_output).toThrowError(
      "backward: one of the tensors saved by exp (shape [4]) was modified by an in-place operation: it is at version 1, but backward needs version 0",
    );
    expect(errorTwins.sin_input).toThrowError("saved by sin (shape [4])");
    expect(errorTwins.div_input).toThrowError("saved by div (shape [4])");
    expect(errorTwins.mul_self).toThrowError(
      "saved by mul (shape [4]) was modified by an in-place operation: it is at version 2, but backward needs version 1",
    );
    expect(errorTwins.leaf).toThrowError(
      "add_: a leaf tensor that requires grad cannot be modified in place outside noGrad (wrap the update in noGrad)",
    );
    expect(errorTwins.leaf_view).toThrowError(
      "mul_: the target (shape [2]) is a view of a leaf tensor of shape [4] that requires grad; it cannot be modified in place outside noGrad (clone() the leaf first, or wrap the update in noGrad)",
    );
  });
});

describe("version counters", () => {
  it("every in-place op bumps the storage version once, shared by all views", () => {
    const t = zeros([4], { dtype: "float64" });
    const view = t.slice(0, 1, 3);
    const steps: [string, () => void][] = [
      ["add_", () => t.add_(1)],
      ["sub_", () => view.sub_(0.5)],
      ["mul_", () => t.mul_(2)],
      ["div_", () => view.div_(4)],
      ["zero_", () => t.zero_()],
      ["fill_", () => view.fill_(3)],
      ["copy_", () => t.copy_(f64([1, 2, 3, 4]))],
    ];
    steps.forEach(([name, step], i) => {
      step();
      expect(t.storage.version, name).toBe(i + 1);
      expect(view.storage.version, name).toBe(i + 1);
    });
    expect(t.toArray()).toEqual([1, 2, 3, 4]);
  });

  it("a leaf that requires grad may be updated inside noGrad; a graph that saved it then refuses to backward", () => {
    const w = x4();
    const loss = w.mul(w).sum();
    noGrad(() => w.sub_(w.mul(0.1)));
    expect(w.storage.version).toBe(1);
    expect(() => loss.backward()).toThrowError(
      "backward: one of the tensors saved by mul (shape [4]) was modified by an in-place operation: it is at version 1, but backward needs version 0",
    );
  });

  it("an in-place op on a tensor with no grad and an operand that requires grad joins the graph", () => {
    const acc = zeros([2], { dtype: "float64" });
    const x = w2();
    acc.add_(x.mul(2));
    expect(acc.requiresGrad).toBe(true);
    expect(acc.gradFn!.name).toBe("add");
    acc.sum().backward();
    expect(x.grad!.toArray()).toEqual([2, 2]);
  });

  it("an edge recorded before an in-place op keeps pointing at the old value's history", () => {
    const x = x4();
    const y = x.mul(2);
    const z = y.add(1); // add saves nothing, so writing y afterwards is allowed
    y.mul_(5);
    z.mul(C4).sum().backward();
    expect(x.grad!.toArray()).toEqual([2, -4, 1, 6]); // not 10·C4: z used y before the write
  });

  it("writing through a detach() alias inside a graph is a NablaError when the original is used again", () => {
    const x = w2();
    const w = w2();
    const y = x.mul(2);
    const alias = y.detach();
    alias.add_(w);
    expect(() => y.mul(y)).toThrowError(
      "mul: an input of shape [2] computed by mul was modified in place inside a graph through another tensor sharing its storage that is not a view of it (such as a detach() alias), so its gradient history no longer matches its values; clone() it before writing, or write inside noGrad",
    );
  });

  it("a leaf written through a detach() alias stays a plain leaf (p.detach().copy_(w) is an ordinary idiom)", () => {
    const p = w2();
    const v = p.slice(0, 0, 1);
    const source = w2().mul(2); // requires grad: the copy is recorded on the alias
    p.detach().copy_(source);
    expect(p.toArray()).toEqual([3, -1.5]);
    p.mul(p).sum().backward();
    expect(p.grad!.toArray()).toEqual([6, -3]);
    // a view taken before the write is rebuilt from the leaf
    v.mul(10).sum().backward();
    expect(p.grad!.toArray()).toEqual([16, -3]);
  });

  it("a view taken inside noGrad of a tensor that requires grad cannot be written with grad mode on", () => {
    const y = x4().mul(2);
    const view = noGrad(() => y.slice(0, 0, 2));
    expect(() => view.mul_(3)).toThrowError(
      "mul_: the target (shape [2]) is a view taken inside noGrad of a tensor of shape [4] that requires grad; write through it inside noGrad as well, or take the view with grad mode on",
    );
    expect(() => noGrad(() => view.mul_(3))).not.toThrow();
  });

  it("retained graphs are checked again on every backward", () => {
    const x = x4();
    const y = x.exp();
    const loss = y.mul(C4).sum();
    loss.backward(undefined, { retainGraph: true });
    noGrad(() => y.add_(1));
    expect(() => loss.backward()).toThrowError(
      "saved by exp (shape [4]) was modified by an in-place operation: it is at version 1, but backward needs version 0",
    );
  });
});

// Every in-place chain must mean exactly what the same chain written out of place means, on the
// whole tensor or on a slice of it (where the out-of-place twin rebuilds the tensor with cat).
describe("property: an in-place chain equals its out-of-place twin", () => {
  type Step =
    | { op: "add_" | "sub_" | "mul_" | "div_"; operand: "const" | "w" | "self"; value: number }
    | { op: "fill_"; value: number }
    | { op: "copy_w" };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(
    fc.record({
      op: fc.constantFrom("add_" as const, "sub_" as const, "mul_" as const, "div_" as const),
      operand: fc.constantFrom("const" as const, "w" as const, "self" as const),
      value: fc.double({ min: 0.5, max: 2, noNaN: true }),
    }),
    fc.record({ op: fc.constant("fill_" as const), value: fc.double({ min: -2, max: 2, noNaN: true }) }),
    fc.record({ op: fc.constant("copy_w" as const) }),
  );

  /** One step out of place: the new value of the (sliced) target. */
  function outOfPlace(current: Tensor, step: Step, w: Tensor, snapshot: Tensor): Tensor {
    if (step.op === "fill_") return current.mul(0).add(step.value);
    if (step.op === "copy_w") return w.mul(1);
    const operand = step.operand === "const" ? step.value : step.operand === "w" ? w.abs().add(0.5) : snapshot;
    return { add_: current.add(operand), sub_: current.sub(operand), mul_: current.mul(operand), div_: current.div(operand) }[step.op];
  }

  function inPlace(target: Tensor, step: Step, w: Tensor, snapshot: Tensor): void {
    if (step.op === "fill_") target.fill_(step.value);
    else if (step.op === "copy_w") target.copy_(w.mul(1));
    else {
      const operand = step.operand === "const" ? step.value : step.operand === "w" ? w.abs().add(0.5) : snapshot;
      target[step.op](operand);
    }
  }

  it("values and gradients agree", () => {
    const caseArb = fc.record({
      n: fc.integer({ min: 2, max: 6 }),
      cut: fc.tuple(fc.nat(), fc.nat()),
      steps: fc.array(stepArb, { minLength: 1, maxLength: 5 }),
      sliced: fc.boolean(),
      xs: fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: 6, maxLength: 6 }),
    });
    fc.assert(
      fc.property(caseArb, ({ n, cut, steps, sliced, xs }) => {
        const start = sliced ? cut[0] % n : 0;
        const end = sliced ? start + 1 + (cut[1] % (n - start)) : n;
        const cotangent = f64(Array.from({ length: n }, (_, i) => ((i * 7) % 5) - 1.5));
        const run = (inplace: boolean) => {
          const x = requiring(xs.slice(0, n));
          const w = requiring(xs.slice(0, end - start).map((v) => 1 / v));
          let y = x.mul(1.5);
          if (inplace) {
            const target = y.slice(0, start, end);
            for (const step of steps) inPlace(target, step, w, target.abs().detach().add(1));
          } else {
            let part = y.slice(0, start, end);
            for (const step of steps) part = outOfPlace(part, step, w, part.abs().detach().add(1));
            y = cat([y.slice(0, 0, start), part, y.slice(0, end, n)]);
          }
          const [gx, gw] = autogradGrad(y.mul(cotangent).sum(), [x, w], { allowUnused: true });
          return { y: Array.from(y.data()), gx: gx ? Array.from(gx.data()) : null, gw: gw ? Array.from(gw.data()) : null };
        };
        const a = run(true);
        const b = run(false);
        expect(a.y.map((v, i) => v - b.y[i]!).every((d) => Math.abs(d) < 1e-12)).toBe(true);
        for (const key of ["gx", "gw"] as const) {
          const [ga, gb] = [a[key] ?? [], b[key] ?? []];
          // an unused input gets null in one chain and zeros in the other
          const padded = (g: number[], len: number) => (g.length === 0 ? new Array<number>(len).fill(0) : g);
          const len = Math.max(ga.length, gb.length);
          const [pa, pb] = [padded(ga, len), padded(gb, len)];
          expect(
            pa.every((v, i) => Math.abs(v - pb[i]!) < 1e-12),
            `${key}: ${pa} vs ${pb}`,
          ).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });
});

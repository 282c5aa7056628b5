import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { autogradGrad, defineOp, erf, gradcheck, gradgradcheck, NablaError, tensor, type Tensor } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { float64 } from "../support/arbitraries";
import { allRows as rows, rowLabel, rowProperty } from "../support/op-table-cases";

// Second derivatives of every op: gradgradcheck differentiates each backward rule (recorded with
// createGraph) and compares with finite differences of the backward pass, over the same op table
// and strided views as the first-order gradcheck property.

const NUM_RUNS = 3;
const SIZES = { maxNumel: 12, maxBaseNumel: 24, maxRank: 3 };

describe("gradgradcheck over the op table (float64, random strided views)", () => {
  it.each(rows.map((row, i) => [rowLabel(row, i), row] as const))("%s", (_label, row) => {
    fc.assert(rowProperty(row, SIZES, gradgradcheck), { numRuns: NUM_RUNS });
  });
});

describe("gradgradcheck catches a backward that is right only to first order", () => {
  // exp whose backward multiplies by a detached copy of the output: first derivatives are exact,
  // but differentiating the backward misses y's dependence on x (the second derivative is 0
  // instead of eˣ)
  const flatExp = defineOp({
    name: "flatExp",
    forward(ctx, x: Tensor) {
      const y = x.exp();
      ctx.save(y);
      return y;
    },
    backward(ctx, gradOut) {
      return [gradOut.mul(ctx.saved[0]!.detach())];
    },
  });
  const x = float64([0.5, -1.25, 2], [3]);

  it("gradcheck passes, gradgradcheck fails and names the worst second derivative", () => {
    expect(gradcheck((t) => flatExp(t), [x]).ok).toBe(true);
    const v = float64([1, -2, 0.5], [3]);
    const report = gradgradcheck((t) => flatExp(t), [x], { gradOutputs: v });
    expect(report.ok).toBe(false);
    // ∂(v ⊙ eˣ)ᵢ/∂xᵢ = vᵢeˣⁱ is largest at element 2 (0.5e²); the broken rule gives 0 everywhere
    expect(report.worst).toMatchObject({ input: 0, index: 2, outputIndex: 2 });
    expect(report.worst!.analytic).toBe(0);
    expect(report.worst!.numeric).toBeCloseTo(0.5 * Math.exp(2), 6);
  });

  it("throws a NablaError describing it when asked", () => {
    expect(() => gradgradcheck((t) => flatExp(t), [x], { throwOnFailure: true })).toThrowError(NablaError);
    expect(() => gradgradcheck((t) => flatExp(t), [x], { throwOnFailure: true })).toThrowError(
      /^gradgradcheck: second derivatives differ: the derivative of element \d of input 0's gradient with respect to input 0 at element \d \[\d\] is 0 analytically but -?\d/,
    );
  });

  it("the same op with a differentiable backward passes", () => {
    expect(gradgradcheck((t) => t.exp(), [x]).ok).toBe(true);
  });

  it("checks the gradient with respect to the cotangent too, and reports float32 inputs as upcast", () => {
    const report = gradgradcheck((a, b) => a.mul(b).sin(), [tensor([0.5, 1.5]), tensor([2, -1])]);
    expect(report).toMatchObject({ ok: true, upcast: true });
  });

  it("rejects bad arguments before any work", () => {
    expect(() => gradgradcheck((t) => t.exp(), [x], { gradOutputs: float64([1, 2], [2]) })).toThrowError(
      "gradgradcheck: gradOutputs must be a tensor of f's output shape [3], got shape [2]",
    );
    expect(() => gradgradcheck((t) => t, [tensor([1, 2], { dtype: "int32" })])).toThrowError(
      "gradgradcheck: needs at least one floating-point input to differentiate",
    );
  });
});

// ---- higher orders against PyTorch ----

interface Entry {
  shape: number[];
  values: number[];
}
const asTensor = (e: Entry) => tensor(Float64Array.from(e.values), { shape: e.shape });

/** The twins of gen_autodiff.py's HIGHER table. */
const higher: Record<string, (x: Tensor) => Tensor> = {
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  exp: (x) => x.exp(),
  log: (x) => x.log(),
  sqrt: (x) => x.sqrt(),
  erf: (x) => erf(x),
  pow: (x) => x.pow(3.5),
  sin_cos: (x) => x.sin().mul(x.mul(2).cos()),
  rational: (x) => x.mul(x).add(1).pow(-1),
  softplus: (x) => x.exp().add(1).log(),
  softmax: (x) => {
    const e = x.sub(x.max(1, true)).exp();
    return e.div(e.sum(1, true));
  },
  logsumexp: (x) => x.exp().sum(1).log(),
  normalize: (x) => x.div(x.mul(x).sum().sqrt()),
  variance: (x) => x.var(1),
  matmul_tanh: (x) => x.matmul(x.T).tanh(),
  gelu_erf: (x) => x.mul(0.5).mul(erf(x.div(Math.SQRT2)).add(1)),
};

interface HigherCase {
  name: string;
  x: Entry;
  y: Entry;
  cotangents: Entry[];
  grads: Entry[];
}

function expectClose(actual: Tensor, expected: Entry, label: string, tolerance = 1e-9): void {
  expect(actual.shape, label).toEqual(expected.shape);
  const values = Array.from(actual.data() as Float64Array);
  expected.values.forEach((v, i) => {
    expect(Math.abs(values[i]! - v), `${label} [${i}]: ${values[i]} vs ${v}`).toBeLessThanOrEqual(tolerance * (1 + Math.abs(v)));
  });
}

describe("first, second and third derivatives match PyTorch", () => {
  const cases = loadFixture<HigherCase[]>("autodiff_higher_order.json");

  it("covers every function of the fixture", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(higher).sort());
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s (autogradGrad with createGraph)", (name, c) => {
    const x = asTensor(c.x);
    x.requiresGrad = true;
    const y = higher[name]!(x);
    expectClose(y, c.y, `${name} value`);
    let out = y;
    c.cotangents.forEach((v, order) => {
      const [g] = autogradGrad(out, [x], { gradOutputs: asTensor(v), createGraph: order < 2, allowUnused: true });
      const grad = g ?? x.mul(0).detach();
      expectClose(grad, c.grads[order]!, `${name} order ${order + 1}`);
      out = grad;
      if (order < 2 && !out.requiresGrad) out = out.add(x.mul(0)); // a constant derivative: keep the chain going
    });
  });

  it.each(cases.slice(0, 6).map((c) => [c.name, c] as const))("%s (backward with createGraph, then backward of x.grad)", (name, c) => {
    const x = asTensor(c.x);
    x.requiresGrad = true;
    higher[name]!(x).backward(asTensor(c.cotangents[0]!), { createGraph: true });
    const first = x.grad!;
    expectClose(first, c.grads[0]!, `${name} first`);
    expect(first.requiresGrad).toBe(true);
    x.grad = null;
    first.backward(asTensor(c.cotangents[1]!));
    expectClose(x.grad!, c.grads[1]!, `${name} second`);
  });
});

describe("createGraph semantics", () => {
  it("without createGraph the gradients carry no graph; with it they do", () => {
    const x = float64([0.5, 2], [2]);
    x.requiresGrad = true;
    const [plain] = autogradGrad(x.pow(3).sum(), [x]);
    expect(plain!.requiresGrad).toBe(false);
    const [recorded] = autogradGrad(x.pow(3).sum(), [x], { createGraph: true });
    expect(recorded!.requiresGrad).toBe(true);
    expect(recorded!.gradFn).not.toBeNull();
  });

  it("a backward through freed saved tensors fails; createGraph retains them by default (as PyTorch)", () => {
    const x = float64([0.5, 2], [2]);
    x.requiresGrad = true;
    const y = x.exp().sum();
    y.backward(undefined, { createGraph: true });
    expect(() => y.backward()).not.toThrow();
    const z = x.exp().sum();
    z.backward();
    expect(() => z.backward()).toThrowError(
      /^backward: trying to backward through the graph a second time \(exp's saved tensors were freed\)/,
    );
  });

  it(".grad gets its own storage, in the tensor's dtype, and later backwards add into it in place (as PyTorch)", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seed = tensor([0.5, 4], { dtype: "float64" });
    x.backward(seed);
    const first = x.grad!;
    expect(first.dtype).toBe("float32");
    expect(first.toArray()).toEqual([0.5, 4]);
    x.mul(3).sum().backward();
    expect(x.grad).toBe(first);
    expect(first.toArray()).toEqual([3.5, 7]);
    first.zero_();
    expect(seed.toArray()).toEqual([0.5, 4]);
    // add's backward hands the same gradient to both operands; their .grad must not share it
    const a = tensor([1], { requiresGrad: true });
    const b = tensor([2], { requiresGrad: true });
    a.add(b).sum().backward();
    a.grad!.mul_(10);
    expect(b.grad!.toArray()).toEqual([1]);
  });

  it("second derivatives of a custom op come from its backward written in tensor ops", () => {
    const cube = defineOp({
      name: "cubeForHigherOrder",
      forward(ctx, x: Tensor) {
        ctx.save(x);
        return x.mul(x).mul(x);
      },
      backward(ctx, gradOut) {
        return [gradOut.mul(ctx.saved[0]!.square()).mul(3)];
      },
    });
    const x = float64([0.5, -2], [2]);
    x.requiresGrad = true;
    const [first] = autogradGrad(cube(x).sum(), [x], { createGraph: true });
    const [second] = autogradGrad(first!.sum(), [x], { createGraph: true });
    const [third] = autogradGrad(second!.sum(), [x]);
    expect(first!.toArray()).toEqual([0.75, 12]);
    expect(second!.toArray()).toEqual([3, -12]);
    expect(third!.toArray()).toEqual([6, 6]);
  });
});

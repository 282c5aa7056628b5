import { describe, expect, it } from "vitest";
import { grad, hessian, jacobian, jvp, NablaError, noGrad, tensor, valueAndGrad, vjp, Tensor } from "@nabla/tensor";
import { softmax } from "@nabla/ops";
import { loadFixture } from "../support/fixtures";

interface Entry {
  shape: number[];
  values: number[];
}
const asTensor = (e: Entry) => tensor(Float64Array.from(e.values), { shape: e.shape });

function expectClose(actual: Tensor, expected: Entry | Tensor, label: string, tolerance = 1e-9): void {
  const want = expected instanceof Tensor ? { shape: [...expected.shape], values: Array.from(expected.data() as Float64Array) } : expected;
  expect(actual.shape, label).toEqual(want.shape);
  const values = Array.from(actual.data() as Float64Array);
  want.values.forEach((v, i) => {
    expect(Math.abs(values[i]! - v), `${label} [${i}]: ${values[i]} vs ${v}`).toBeLessThanOrEqual(tolerance * (1 + Math.abs(v)));
  });
}

const f64 = (values: number[], shape = [values.length]) => tensor(Float64Array.from(values), { shape });

interface Fixture {
  constants: { a: Entry; w: Entry; b: Entry };
  scalar: { name: string; x: Entry; value: number; grad: Entry; hessian: Entry }[];
  vector: { name: string; x: Entry; y: Entry; jacobian: Entry; cotangent: Entry; vjp: Entry; tangent: Entry; jvp: Entry }[];
  layer: {
    x: Entry;
    y: Entry;
    jacobians: Entry[];
    cotangent: Entry;
    vjps: Entry[];
    tangents: Entry[];
    jvp: Entry;
    loss: number;
    hessian: Entry[][];
  };
  matrix: { x: Entry; softmax_rows_jacobian: Entry; cubic_sin_hessian: Entry; frobenius_ratio_hessian: Entry };
}

const fixture = loadFixture<Fixture>("autodiff_functional.json");
const a = asTensor(fixture.constants.a);
const w = asTensor(fixture.constants.w);
const b = asTensor(fixture.constants.b);

// softmax written with tensor ops (exp/sum/div), as gen_autodiff.py's softmax_like
function softmaxLike(x: Tensor, dim = -1): Tensor {
  const e = x.sub(x.max(dim, true)).exp();
  return e.div(e.sum(dim, true));
}

/** Twins of gen_autodiff.py's scalar functions. */
const scalar: Record<string, (x: Tensor) => Tensor> = {
  tanh_softmax: (x) => x.tanh().mul(softmaxLike(x)).sum(),
  quadratic: (x) => x.matmul(a.matmul(x)),
  logsumexp: (x) => x.exp().sum().log(),
  sin_cos_product: (x) =>
    x
      .select(0, 0)
      .sin()
      .mul(x.select(0, 1).cos())
      .mul(x.select(0, 2).mul(x.select(0, 3)).sin())
      .add(x.sin().mul(x.mul(2).add(1).cos()).sum()),
};

/** Twins of gen_autodiff.py's vector functions. */
const vector: Record<string, (x: Tensor) => Tensor> = {
  tanh_softmax: (x) => x.tanh().mul(softmaxLike(x)),
  tanh_ax: (x) => a.matmul(x).tanh(),
  outer_sin: (x) => x.unsqueeze(1).mul(x.sin().unsqueeze(0)),
};

const layer = (x: Tensor, w_: Tensor, b_: Tensor) => w_.matmul(x).add(b_).tanh();
const layerLoss = (x: Tensor, w_: Tensor, b_: Tensor) => layer(x, w_, b_).square().sum().add(x.mul(x).sum().mul(b_.sum()));

describe("grad, valueAndGrad and hessian of scalar functions match PyTorch", () => {
  it("covers the fixture", () => {
    expect(fixture.scalar.map((c) => c.name).sort()).toEqual(Object.keys(scalar).sort());
  });

  it.each(fixture.scalar.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const f = scalar[name]!;
    const x = asTensor(c.x);
    expectClose(grad(f)(x), c.grad, `${name} grad`);
    const { value, grad: g } = valueAndGrad(f)(x);
    expect(value.item()).toBeCloseTo(c.value, 12);
    expectClose(g, c.grad, `${name} valueAndGrad`);
    const h = hessian(f, x);
    expect(h.shape).toEqual([4, 4]);
    expectClose(h, c.hessian, `${name} hessian`);
    // hessian is the Jacobian of the gradient, and each row is a jvp of the gradient
    expectClose(jacobian(grad(f), x), c.hessian, `${name} jacobian(grad)`);
    const e2 = f64([0, 0, 1, 0]);
    expectClose(jvp(grad(f), [x], [e2]).tangent, asTensor(c.hessian).select(1, 2), `${name} jvp(grad)`);
  });

  it("sum(tanh(x) · softmax(x)) with @nabla/ops' softmax (its hand-written backward) gives the same Hessian", () => {
    const c = fixture.scalar.find((s) => s.name === "tanh_softmax")!;
    expectClose(
      hessian((x: Tensor) => x.tanh().mul(softmax(x)).sum(), asTensor(c.x)),
      c.hessian,
      "ops softmax hessian",
    );
  });
});

describe("jacobian, vjp and jvp of vector functions match PyTorch", () => {
  it.each(fixture.vector.map((c) => [c.name, c] as const))("%s", (name, c) => {
    const f = vector[name]!;
    const x = asTensor(c.x);
    const j = jacobian(f, x);
    expect(j.shape).toEqual([...c.y.shape, ...c.x.shape]);
    expectClose(j, c.jacobian, `${name} jacobian`);

    const pulled = vjp(f, [x], asTensor(c.cotangent));
    expectClose(pulled.out, c.y, `${name} vjp out`);
    expect(pulled.grads).toHaveLength(1);
    expectClose(pulled.grads[0]!, c.vjp, `${name} vjp`);

    const pushed = jvp(f, [x], [asTensor(c.tangent)]);
    expectClose(pushed.out, c.y, `${name} jvp out`);
    expectClose(pushed.tangent, c.jvp, `${name} jvp`);
  });

  it("softmax jacobian through @nabla/ops matches the tensor-op composite", () => {
    const c = fixture.vector.find((v) => v.name === "tanh_softmax")!;
    expectClose(
      jacobian((x: Tensor) => x.tanh().mul(softmax(x)), asTensor(c.x)),
      c.jacobian,
      "ops softmax jacobian",
    );
  });
});

describe("functions of several arguments and of matrices match PyTorch", () => {
  const c = fixture.layer;
  const primals = [asTensor(c.x), w, b];

  it("jacobian returns one Jacobian per primal, shaped [...out, ...primal]", () => {
    const js = jacobian(layer, primals);
    expect(js.map((j) => j.shape)).toEqual([
      [2, 3],
      [2, 2, 3],
      [2, 2],
    ]);
    js.forEach((j, i) => {
      expectClose(j, c.jacobians[i]!, `jacobian ${i}`);
    });
  });

  it("vjp and jvp take every primal", () => {
    const { out, grads } = vjp(layer, primals, asTensor(c.cotangent));
    expectClose(out, c.y, "out");
    grads.forEach((g, i) => {
      expectClose(g, c.vjps[i]!, `vjp ${i}`);
    });
    expectClose(jvp(layer, primals, c.tangents.map(asTensor)).tangent, c.jvp, "jvp");
  });

  it("hessian gives the blocks ∂²f/∂xᵢ∂xⱼ", () => {
    const blocks = hessian(layerLoss, primals);
    expect(blocks.map((row) => row.map((block) => block.shape))).toEqual(c.hessian.map((row) => row.map((block) => block.shape)));
    for (const [i, row] of blocks.entries()) {
      for (const [j, block] of row.entries()) expectClose(block, c.hessian[i]![j]!, `hessian ${i},${j}`);
    }
  });

  it("grad with argnums lists the gradients of the chosen arguments", () => {
    const [gw, gx] = grad(layerLoss, { argnums: [1, 0] })(...(primals as [Tensor, Tensor, Tensor]));
    expect(gw!.shape).toEqual([2, 3]);
    expect(gx!.shape).toEqual([3]);
    // the hessian's block rows are jacobians of these gradients
    expectClose(
      jacobian((x: Tensor) => grad(layerLoss, { argnums: 1 })(x, w, b), primals[0]!),
      c.hessian[1]![0]!,
      "∂(∂f/∂w)/∂x",
    );
  });

  it("matrix inputs: Jacobian [2, 3, 2, 3] and Hessians", () => {
    const m = fixture.matrix;
    const x = asTensor(m.x);
    expectClose(
      jacobian((t: Tensor) => softmaxLike(t, 1), x),
      m.softmax_rows_jacobian,
      "softmax rows",
    );
    expectClose(
      jacobian((t: Tensor) => softmax(t, 1), x),
      m.softmax_rows_jacobian,
      "ops softmax rows",
    );
    expectClose(
      hessian((t: Tensor) => t.pow(3).mul(t.sin()).sum(), x),
      m.cubic_sin_hessian,
      "cubic sin",
    );
    expectClose(
      hessian((t: Tensor) => t.mul(t).sum().div(t.sum().square().add(1)), x),
      m.frobenius_ratio_hessian,
      "frobenius ratio",
    );
  });
});

describe("jvp and vjp against central finite differences", () => {
  const eps = 1e-6;
  const f = (x: Tensor, y: Tensor) =>
    x
      .sin()
      .mul(y.exp())
      .add(x.matmul(y.unsqueeze(1)).tanh());
  const x = f64([0.3, -1.2, 0.7, 2.0, -0.4, 1.1], [2, 3]);
  const y = f64([0.5, -0.25, 1.5]);
  const tx = f64([1, -0.5, 0.25, 0.75, -1.5, 2], [2, 3]);
  const ty = f64([-0.3, 0.8, 0.1]);

  it("jvp's out is f(x) and its tangent is (f(x + εt) − f(x − εt)) / 2ε", () => {
    const { out, tangent } = jvp(f, [x, y], [tx, ty]);
    expectClose(out, f(x, y), "out");
    const numeric = f(x.add(tx.mul(eps)), y.add(ty.mul(eps)))
      .sub(f(x.sub(tx.mul(eps)), y.sub(ty.mul(eps))))
      .div(2 * eps);
    expectClose(tangent, numeric, "tangent", 1e-7);
  });

  it("vjp satisfies ⟨c, J t⟩ = ⟨vjp(c), t⟩ with J t from finite differences", () => {
    const c = f64([0.9, -1.1, 0.2, 0.4, 1.3, -0.6], [2, 3]);
    const { out, grads } = vjp(f, [x, y], c);
    expectClose(out, f(x, y), "out");
    const jt = f(x.add(tx.mul(eps)), y.add(ty.mul(eps)))
      .sub(f(x.sub(tx.mul(eps)), y.sub(ty.mul(eps))))
      .div(2 * eps);
    const left = c.mul(jt).sum().item() as number;
    const right = (grads[0]!.mul(tx).sum().item() as number) + (grads[1]!.mul(ty).sum().item() as number);
    expect(Math.abs(left - right)).toBeLessThan(1e-7);
  });
});

describe("transforms compose", () => {
  it("grad(grad(grad(sin))) is −cos", () => {
    const d3 = grad(grad(grad((x: Tensor) => x.sin())));
    const x = f64([0.7], []);
    expect(d3(x).item()).toBeCloseTo(-Math.cos(0.7), 12);
  });

  it("grad of a function that closes over the outer argument differentiates through the inner transform", () => {
    // h(a) = Σ ∂/∂b sin(a·b) at b0 = Σ a cos(a b0);  h'(a) = cos(a b0) − a b0 sin(a b0)
    const b0 = f64([0.4, -1.3]);
    const h = (av: Tensor) => grad((bv: Tensor) => av.mul(bv).sin().sum())(b0).sum();
    const a0 = f64([1.5, 0.6]);
    const expected = [0, 1].map((i) => {
      const [ai, bi] = [a0.data()[i]!, b0.data()[i]!];
      return Math.cos(ai * bi) - ai * bi * Math.sin(ai * bi);
    });
    expectClose(grad(h)(a0), f64(expected), "h'");
  });

  it("valueAndGrad inside grad: the inner value and gradient are both differentiable", () => {
    // F(x) = f(x) + Σ f'(x) with f = Σ x³: F' = 3x² + 6x
    const F = (x: Tensor) => {
      const { value, grad: g } = valueAndGrad((t: Tensor) => t.pow(3).sum())(x);
      return value.add(g.sum());
    };
    expectClose(grad(F)(f64([1, -2])), f64([9, 0]), "F'");
  });

  it("vjp and jvp inside grad", () => {
    // Σ vjp(sin, x, c) = Σ c cos x → gradient −c sin x; Σ jvp(x², t) = Σ 2xt → gradient 2t
    const c = f64([2, -1]);
    const t = f64([0.5, 3]);
    const x = f64([0.3, 1.1]);
    expectClose(grad((u: Tensor) => vjp((v: Tensor) => v.sin(), [u], c).grads[0]!.sum())(x), c.mul(x.sin()).neg(), "vjp");
    expectClose(grad((u: Tensor) => jvp((v: Tensor) => v.square(), [u], [t]).tangent.sum())(x), t.mul(2), "jvp");
  });

  it("a transform applied to tensors that require grad keeps the outer graph, so backward reaches them", () => {
    const weight = f64([2, -3]);
    weight.requiresGrad = true;
    const g = grad((x: Tensor) => x.mul(weight).sin().sum())(f64([0.5, 0.25])); // weight · cos(x ⊙ weight)
    expect(g.requiresGrad).toBe(true);
    g.sum().backward();
    // ∂/∂w [w cos(xw)] = cos(xw) − x w sin(xw)
    const expected = [
      [0.5, 2],
      [0.25, -3],
    ].map(([xi, wi]) => Math.cos(xi! * wi!) - xi! * wi! * Math.sin(xi! * wi!));
    expectClose(weight.grad!, f64(expected), "outer gradient");
  });
});

describe("transforms leave their arguments alone", () => {
  it("inputs need no requiresGrad and get no .grad; top-level results carry no graph", () => {
    const x = f64([1, 2]);
    const g = grad((t: Tensor) => t.square().sum())(x);
    expect(g.toArray()).toEqual([2, 4]);
    expect(g.requiresGrad).toBe(false);
    expect(x.requiresGrad).toBe(false);
    expect(x.grad).toBeNull();
    const { value } = valueAndGrad((t: Tensor) => t.square().sum())(x);
    expect(value.requiresGrad).toBe(false);
    expect(jacobian((t: Tensor) => t.exp(), x).requiresGrad).toBe(false);
  });

  it("works inside noGrad, with results that carry no graph", () => {
    const x = f64([0.5]);
    x.requiresGrad = true;
    const g = noGrad(() => grad((t: Tensor) => t.exp().sum())(x));
    expect(g.item()).toBeCloseTo(Math.exp(0.5), 12);
    expect(g.requiresGrad).toBe(false);
  });

  it("other arguments pass through unchanged; unused inputs get zeros", () => {
    const index = tensor([1, 0], { dtype: "int32" });
    const f = (x: Tensor, idx: Tensor, scale: number) => x.gather(0, idx).mul(scale).sum();
    const g = grad(f)(f64([3, 4]), index, 2.5);
    expect(g.toArray()).toEqual([2.5, 2.5]);
    const [gx, gy] = grad((x: Tensor, _y: Tensor) => x.sum(), { argnums: [0, 1] })(f64([1, 2]), f64([5, 6, 7]));
    expect(gx!.toArray()).toEqual([1, 1]);
    expect(gy!.toArray()).toEqual([0, 0, 0]);
    expect(jacobian(() => f64([1, 2]), f64([3])).toArray()).toEqual([[0], [0]]);
  });

  it("float32 primals give float32 results", () => {
    const g = grad((t: Tensor) => t.square().sum())(tensor([1.5, -2]));
    expect(g.dtype).toBe("float32");
    expect(g.toArray()).toEqual([3, -4]);
  });
});

describe("bad input is rejected with a NablaError naming the transform", () => {
  const x = f64([1, 2]);

  it("grad needs a single-element output", () => {
    expect(() => grad((t: Tensor) => t.exp())(x)).toThrowError(NablaError);
    expect(() => grad((t: Tensor) => t.exp())(x)).toThrowError(
      "grad: f must return a single-element tensor to be differentiated, got shape [2] (use vjp or jacobian for other outputs)",
    );
  });

  it("argnums must name tensor arguments of a floating dtype", () => {
    expect(() => grad((t: Tensor) => t.sum(), { argnums: 2 })(x)).toThrowError(
      "grad: argnums 2 is out of range for a call with 1 arguments",
    );
    expect(() => grad((t: Tensor) => t.sum())(tensor([1, 2], { dtype: "int32" }))).toThrowError(
      "grad: argument 0 has dtype int32 (shape [2]); only float32 and float64 tensors can be differentiated",
    );
    expect(() => (grad as (f: unknown) => (...a: unknown[]) => Tensor)((t: number) => tensor([t]))(3)).toThrowError(
      "grad: argument 0 must be a tensor to be differentiated, got number",
    );
    expect(() => grad((t: Tensor) => t.sum(), { argnums: [] })).toThrowError(
      "grad: argnums must be a number or a non-empty array of numbers, got an array of 0 values",
    );
  });

  it("f must return tensors", () => {
    expect(() => grad((() => 3) as unknown as (t: Tensor) => Tensor)(x)).toThrowError("grad: f must return a tensor, got number");
    expect(() => jacobian((() => [x, x]) as unknown as (t: Tensor) => Tensor, x)).toThrowError(
      "jacobian: f must return one tensor, got an array of 2",
    );
  });

  it("cotangents and tangents must match in number and shape", () => {
    expect(() => vjp((t: Tensor) => t.exp(), [x], f64([1, 2, 3]))).toThrowError("vjp: cotangent 0 has shape [3] but must match shape [2]");
    expect(() => vjp((t: Tensor) => t.exp(), [x])).toThrowError(
      "vjp: output 0 has shape [2]: a cotangent is needed for outputs with more than one element",
    );
    expect(() => jvp((t: Tensor) => t.exp(), [x], [])).toThrowError("jvp: got 0 tangents for 1 primals");
    expect(() => jvp((t: Tensor) => t.exp(), [x], [f64([1])])).toThrowError("jvp: tangent 0 has shape [1] but must match shape [2]");
  });
});

import { describe, expect, it } from "vitest";
import { type Tensor, autogradGrad, cat, gradcheck, manualSeed, ones, randn, stack, tensor, zeros } from "@nabla/tensor";
import { Dropout, Flatten, GELU, Linear, linear, type Module, ReLU, Sequential, Sigmoid, Tanh } from "@nabla/nn";
import { loadFixture } from "../support/fixtures";
import { nablaError } from "../support/errors";
import { expectClose } from "../support/reference";

type Nested = number | Nested[];

function values(t: Tensor): number[] {
  return Array.from(t.data());
}

function flat(value: Nested): number[] {
  return Array.isArray(value) ? value.flatMap(flat) : [value];
}

describe("Linear", () => {
  it("initialises as PyTorch: weight and bias uniform within ±1/√inFeatures", () => {
    manualSeed(0);
    const layer = new Linear(64, 200);
    const bound = 1 / Math.sqrt(64);
    const weight = values(layer.weight);
    const bias = values(layer.bias!);
    expect(layer.weight.shape).toEqual([200, 64]);
    expect(layer.bias!.shape).toEqual([200]);
    expect(Math.max(...weight.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...bias.map(Math.abs))).toBeLessThanOrEqual(bound);
    // 12 800 uniform draws: the extremes come close to the bound, the mean near 0, the std near bound/√3
    expect(Math.max(...weight)).toBeGreaterThan(0.99 * bound);
    expect(Math.min(...weight)).toBeLessThan(-0.99 * bound);
    const mean = weight.reduce((s, v) => s + v, 0) / weight.length;
    const std = Math.sqrt(weight.reduce((s, v) => s + (v - mean) ** 2, 0) / weight.length);
    expect(Math.abs(mean)).toBeLessThan(0.01 * bound);
    expect(std / (bound / Math.sqrt(3))).toBeCloseTo(1, 1);
    expect(Math.max(...bias)).toBeGreaterThan(0.9 * bound);
    expect(Math.min(...bias)).toBeLessThan(-0.9 * bound);
  });

  it("is reproducible under manualSeed", () => {
    manualSeed(42);
    const a = new Linear(5, 3);
    manualSeed(42);
    const b = new Linear(5, 3);
    const c = new Linear(5, 3);
    expect(values(a.weight)).toEqual(values(b.weight));
    expect(values(a.bias!)).toEqual(values(b.bias!));
    expect(values(c.weight)).not.toEqual(values(b.weight));
  });

  it("computes x Wᵀ + b over the last dimension, for any leading shape", () => {
    const layer = new Linear(2, 3);
    layer.loadStateDict({
      weight: tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      bias: tensor([0.5, -0.5, 1]),
    });
    expect(layer.forward(tensor([1, -1])).toArray()).toEqual([-0.5, -1.5, 0]);
    expect(layer.forward(tensor([[[1, 0]], [[0, 1]]])).toArray()).toEqual([[[1.5, 2.5, 6]], [[2.5, 3.5, 7]]]);
    const noBias = new Linear(2, 3, { bias: false, dtype: "float64" });
    expect(noBias.bias).toBeNull();
    expect(noBias.weight.dtype).toBe("float64");
    expect(noBias.forward(zeros([4, 2], { dtype: "float64" })).shape).toEqual([4, 3]);
  });

  it("rejects inputs of the wrong size or dtype, and bad sizes", () => {
    const layer = new Linear(4, 3);
    expect(nablaError(() => layer.forward(zeros([2, 3]))).message).toBe("Linear: expected input of shape [*, 4], got [2, 3]");
    expect(nablaError(() => layer.forward(zeros([]))).message).toBe("Linear: expected input of shape [*, 4], got []");
    expect(nablaError(() => layer.forward(zeros([2, 4], { dtype: "float64" }))).message).toBe(
      'Linear: input dtype float64 differs from the weight\'s float32 (convert with .to("float32"))',
    );
    expect(nablaError(() => new Linear(2.5, 3)).message).toBe("Linear: inFeatures must be a non-negative integer, got 2.5");
    expect(nablaError(() => new Linear(2, -1)).message).toBe("Linear: outFeatures must be a non-negative integer, got -1");
  });
});

interface SequentialFixture {
  stateDict: Record<string, Nested>;
  parameterNames: string[];
  input: Nested;
  output: Nested;
  cotangent: Nested;
  inputGrad: Nested;
  parameterGrads: Record<string, Nested>;
}

/** The architecture of gen_nn.py's Sequential, in float64. */
function referenceModel(): Sequential {
  const options = { dtype: "float64" } as const;
  return new Sequential(
    new Flatten(),
    new Linear(6, 5, options),
    new Tanh(),
    new Linear(5, 4, options),
    new GELU(),
    new Dropout(0.5),
    new Linear(4, 4, { ...options, bias: false }),
    new Sigmoid(),
    new Linear(4, 3, options),
    new ReLU(),
    new Linear(3, 2, options),
  );
}

describe("linear, the op behind Linear", () => {
  it.each([[[5]], [[3, 5]], [[2, 3, 5]]])("equals x·Wᵀ + b with the same gradients, input shape %j", (shape) => {
    manualSeed(3);
    const x = randn(shape, { dtype: "float64", requiresGrad: true });
    const weight = randn([4, 5], { dtype: "float64", requiresGrad: true });
    const bias = randn([4], { dtype: "float64", requiresGrad: true });
    const g = randn([...shape.slice(0, -1), 4], { dtype: "float64" });
    const out = linear(x, weight, bias);
    out.backward(g);
    const [gx, gw, gb] = [x.grad!, weight.grad!, bias.grad!];
    x.grad = weight.grad = bias.grad = null;
    const composite = x.matmul(weight.mT).add(bias);
    composite.backward(g);
    expect(out.shape).toEqual(composite.shape);
    expectClose(Array.from(out.data()), Array.from(composite.data()), { rtol: 1e-12, atol: 1e-12 }, "value");
    expectClose(Array.from(gx.data()), Array.from(x.grad!.data()), { rtol: 1e-12, atol: 1e-12 }, "x.grad");
    expectClose(Array.from(gw.data()), Array.from(weight.grad!.data()), { rtol: 1e-12, atol: 1e-12 }, "weight.grad");
    expectClose(Array.from(gb.data()), Array.from(bias.grad!.data()), { rtol: 1e-12, atol: 1e-12 }, "bias.grad");
    // W̄ = ȳᵀ x is made [out, in]: stored as it is, row-major
    expect(gw.isContiguous()).toBe(true);
  });

  it.each(["float32", "float64"] as const)(
    "applied at every step of a sequence, gives the gradients autogradGrad sums step by step (%s)",
    (dtype) => {
      // backward adds each step's W̄ and b̄ into one gradient in place: the same bits as the sums
      manualSeed(5);
      const cell = new Linear(6, 4, { dtype });
      const inputs = randn([3, 7, 2], { dtype, requiresGrad: true });
      const loss = () => {
        let h = zeros([3, 4], { dtype });
        const steps: Tensor[] = [];
        for (let t = 0; t < 7; t++) {
          h = cell.forward(cat([inputs.select(1, t), h], 1)).tanh();
          steps.push(h);
        }
        return stack(steps, 1).square().sum();
      };
      const params = [cell.weight, cell.bias!, inputs];
      const expected = autogradGrad(loss(), params);
      loss().backward();
      for (const [i, p] of params.entries()) expect(Array.from(p.grad!.data()), `gradient ${i}`).toEqual(Array.from(expected[i]!.data()));
    },
  );

  it("rejects mismatched shapes and dtypes, naming them", () => {
    const x = zeros([2, 3]);
    expect(nablaError(() => linear(x, zeros([4, 2]))).message).toBe(
      "linear: expected input [*, in] and weight [out, in], got input [2, 3] and weight [4, 2]",
    );
    expect(nablaError(() => linear(x, zeros([4, 3]), zeros([3]))).message).toBe(
      "linear: expected bias of shape [4] for weight [4, 3], got [3]",
    );
    expect(nablaError(() => linear(x, zeros([4, 3], { dtype: "float64" }))).message).toBe(
      "linear: input, weight and bias must share a dtype, got input float32 and weight float64",
    );
  });
});

describe("Sequential against PyTorch", () => {
  const fixture = loadFixture<SequentialFixture>("nn_sequential.json");
  const load = () => {
    const model = referenceModel();
    const state = Object.fromEntries(
      Object.entries(fixture.stateDict).map(([name, value]) => [name, tensor(value as number[], { dtype: "float64" })]),
    );
    model.loadStateDict(state);
    return model.eval();
  };

  it("has PyTorch's parameter names", () => {
    expect(
      referenceModel()
        .namedParameters()
        .map(([name]) => name),
    ).toEqual(fixture.parameterNames);
  });

  it("gives PyTorch's output and gradients (Dropout in eval mode)", () => {
    const model = load();
    const input = tensor(fixture.input as number[], { dtype: "float64", requiresGrad: true });
    const output = model.forward(input);
    expect(output.shape).toEqual([3, 2]);
    expectClose(values(output), flat(fixture.output), { rtol: 1e-12, atol: 1e-12 }, "output");
    output.backward(tensor(fixture.cotangent as number[], { dtype: "float64" }));
    expectClose(values(input.grad!), flat(fixture.inputGrad), { rtol: 1e-12, atol: 1e-12 }, "input grad");
    for (const [name, parameter] of model.namedParameters()) {
      expectClose(values(parameter.grad!), flat(fixture.parameterGrads[name]!), { rtol: 1e-12, atol: 1e-12 }, `${name} grad`);
    }
  });

  it("passes gradcheck with respect to its input (float64)", () => {
    const model = load();
    const input = tensor(fixture.input as number[], { dtype: "float64" });
    const result = gradcheck((x: Tensor) => model.forward(x), [input]);
    expect(result.ok).toBe(true);
  });

  it("rejects arguments that are not modules", () => {
    expect(nablaError(() => new Sequential(new ReLU(), (() => 1) as unknown as Module)).message).toBe(
      "Sequential: argument 1 is not a Module",
    );
  });
});

describe("activations", () => {
  const gelu = loadFixture<{ input: number[]; none: { output: number[]; grad: number[] }; tanh: { output: number[]; grad: number[] } }>(
    "nn_gelu.json",
  );

  it.each(["none", "tanh"] as const)("GELU (approximate: %s) matches PyTorch, values and gradients", (approximate) => {
    const x = tensor(gelu.input, { dtype: "float64", requiresGrad: true });
    const y = new GELU({ approximate }).forward(x);
    expectClose(values(y), gelu[approximate].output, { rtol: 1e-12, atol: 1e-12 }, "gelu");
    y.sum().backward();
    expectClose(values(x.grad!), gelu[approximate].grad, { rtol: 1e-12, atol: 1e-12 }, "gelu grad");
  });

  it("GELU defaults to the exact erf form", () => {
    expect(new GELU().approximate).toBe("none");
    expect(nablaError(() => new GELU({ approximate: "fast" as "tanh" })).message).toBe(
      'GELU: approximate must be "none" or "tanh", got "fast"',
    );
  });

  it("ReLU, Tanh and Sigmoid apply their functions", () => {
    const x = tensor([-2, 0, 0.5], { dtype: "float64" });
    expect(new ReLU().forward(x).toArray()).toEqual([0, 0, 0.5]);
    expectClose(values(new Tanh().forward(x)), [Math.tanh(-2), 0, Math.tanh(0.5)], { rtol: 1e-15, atol: 1e-15 }, "tanh");
    expectClose(
      values(new Sigmoid().forward(x)),
      [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-0.5))],
      { rtol: 1e-15, atol: 1e-15 },
      "sigmoid",
    );
  });
});

describe("Dropout", () => {
  it("rejects p outside [0, 1]", () => {
    expect(nablaError(() => new Dropout(-0.1)).message).toBe("Dropout: p must be a probability in [0, 1], got -0.1");
    expect(nablaError(() => new Dropout(1.5)).message).toBe("Dropout: p must be a probability in [0, 1], got 1.5");
    expect(nablaError(() => new Dropout(Number.NaN)).message).toBe("Dropout: p must be a probability in [0, 1], got NaN");
    expect(nablaError(() => new Dropout(0.5).forward(tensor([1, 2], { dtype: "int32" }))).message).toBe(
      "dropout: expected a float32 or float64 input, got int32 of shape [2]",
    );
  });

  it.each([0.2, 0.5, 0.8])("drops a fraction p and scales survivors by 1/(1 − p) (p = %s)", (p) => {
    manualSeed(3);
    const n = 20000;
    const output = values(new Dropout(p).forward(ones([n], { dtype: "float64" })));
    const dropped = output.filter((v) => v === 0).length;
    // binomial count: within 5 standard deviations of n·p
    expect(Math.abs(dropped - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
    expect(new Set(output.filter((v) => v !== 0))).toEqual(new Set([1 / (1 - p)]));
    const mean = output.reduce((s, v) => s + v, 0) / n;
    expect(Math.abs(mean - 1)).toBeLessThan(5 * Math.sqrt(p / (1 - p) / n));
  });

  it("is the identity in eval mode and for p = 0; p = 1 drops everything", () => {
    const x = randn([4, 5]);
    const dropout = new Dropout(0.5);
    expect(dropout.eval().forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(values(new Dropout(1).forward(x)).every((v) => v === 0)).toBe(true); // −0 for negative inputs, as PyTorch's x·0
  });

  it("draws its masks from the seeded generator", () => {
    const x = ones([50]);
    const dropout = new Dropout(0.5);
    manualSeed(9);
    const first = values(dropout.forward(x));
    const second = values(dropout.forward(x));
    manualSeed(9);
    expect(values(dropout.forward(x))).toEqual(first);
    expect(second).not.toEqual(first);
  });

  it("passes the gradient through the kept elements only, scaled", () => {
    manualSeed(4);
    const x = ones([30], { dtype: "float64", requiresGrad: true });
    const y = new Dropout(0.25).forward(x);
    y.backward(ones([30], { dtype: "float64" }));
    expect(values(x.grad!)).toEqual(values(y)); // dy/dx = mask / (1 − p), and y = mask / (1 − p) for x = 1
  });
});

describe("Flatten", () => {
  it("flattens all but the batch dimension by default, or the given range", () => {
    const x = zeros([2, 3, 4, 5]);
    expect(new Flatten().forward(x).shape).toEqual([2, 60]);
    expect(new Flatten(0).forward(x).shape).toEqual([120]);
    expect(new Flatten(1, 2).forward(x).shape).toEqual([2, 12, 5]);
    expect(new Flatten(-3, -2).forward(x).shape).toEqual([2, 12, 5]);
    expect(
      values(
        new Flatten().forward(
          tensor([
            [
              [1, 2],
              [3, 4],
            ],
          ]),
        ),
      ),
    ).toEqual([1, 2, 3, 4]);
  });
});

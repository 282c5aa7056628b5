import { describe, expect, it } from "vitest";
import { Generator, NablaError, type Tensor, manualSeed, rand, tensor, zeros } from "@nabla/tensor";
import { init } from "@nabla/nn";
import { loadFixture } from "../support/fixtures";
import { nablaError } from "../support/errors";
import { randomFixture, replayStep } from "../support/random-pytorch";

interface KaimingCase {
  a: number;
  mode: init.FanMode;
  nonlinearity: init.Nonlinearity;
  std: number;
  bound: number;
}

interface InitFixture {
  gains: { nonlinearity: init.Nonlinearity; param: number | null; gain: number }[];
  shapes: {
    shape: number[];
    fanIn: number;
    fanOut: number;
    xavier: { gain: number; std: number; bound: number };
    kaiming: KaimingCase[];
  }[];
}

const fixture = loadFixture<InitFixture>("nn_init.json");
// The shapes with ≈10⁴ elements, where sample statistics are tight.
const largeShapes = fixture.shapes.filter(({ shape }) => shape.reduce((a, b) => a * b, 1) >= 9000);

function values(t: Tensor): number[] {
  return Array.from(t.data());
}

function stats(xs: number[]) {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length);
  return { mean, std, maxAbs: Math.max(...xs.map(Math.abs)) };
}

describe("gains and fans (PyTorch's values)", () => {
  it.each(fixture.gains.map((g) => [`${g.nonlinearity} ${g.param ?? ""}`, g] as const))(
    "calculateGain %s",
    (_name, { nonlinearity, param, gain }) => {
      expect(init.calculateGain(nonlinearity, param ?? undefined)).toBeCloseTo(gain, 15);
    },
  );

  it.each(fixture.shapes.map((s) => [JSON.stringify(s.shape), s] as const))("fans of %s", (_name, { shape, fanIn, fanOut }) => {
    expect(init.calculateFanInAndFanOut(zeros(shape))).toEqual({ fanIn, fanOut });
  });

  it("rejects what PyTorch rejects", () => {
    expect(nablaError(() => init.calculateGain("softplus" as init.Nonlinearity)).message).toBe(
      'calculateGain: unsupported nonlinearity "softplus"',
    );
    expect(nablaError(() => init.calculateFanInAndFanOut(zeros([3]))).message).toBe(
      "calculateFanInAndFanOut: fan in and fan out cannot be computed for shape [3] (expected at least 2 dimensions)",
    );
  });
});

describe("Xavier and Kaiming init: PyTorch's bounds and standard deviations", () => {
  it.each(fixture.shapes.map((s) => [JSON.stringify(s.shape), s] as const))(
    "stay within the bounds for %s",
    (_name, { shape, xavier, kaiming }) => {
      manualSeed(0);
      expect(stats(values(init.xavierUniform_(zeros(shape, { dtype: "float64" }), { gain: xavier.gain }))).maxAbs).toBeLessThanOrEqual(
        xavier.bound,
      );
      for (const { a, mode, nonlinearity, bound } of kaiming) {
        expect(
          stats(values(init.kaimingUniform_(zeros(shape, { dtype: "float64" }), { a, mode, nonlinearity }))).maxAbs,
        ).toBeLessThanOrEqual(bound);
      }
    },
  );

  it.each(largeShapes.map((s) => [JSON.stringify(s.shape), s] as const))(
    "have the expected statistics for %s",
    (_name, { shape, xavier, kaiming }) => {
      manualSeed(1);
      const xavierU = stats(values(init.xavierUniform_(zeros(shape), { gain: xavier.gain })));
      expect(xavierU.maxAbs).toBeGreaterThan(0.99 * xavier.bound);
      expect(xavierU.std / xavier.std).toBeCloseTo(1, 1);
      const xavierN = stats(values(init.xavierNormal_(zeros(shape), { gain: xavier.gain })));
      expect(Math.abs(xavierN.mean)).toBeLessThan(0.05 * xavier.std);
      expect(xavierN.std / xavier.std).toBeCloseTo(1, 1);
      for (const { a, mode, nonlinearity, std, bound } of kaiming) {
        const uniform = stats(values(init.kaimingUniform_(zeros(shape), { a, mode, nonlinearity })));
        expect(uniform.maxAbs).toBeGreaterThan(0.99 * bound);
        expect(uniform.std / std).toBeCloseTo(1, 1);
        const normal = stats(values(init.kaimingNormal_(zeros(shape), { a, mode, nonlinearity })));
        expect(Math.abs(normal.mean)).toBeLessThan(0.05 * std);
        expect(normal.std / std).toBeCloseTo(1, 1);
      }
    },
  );

  it("default to a = 0, fanIn, leaky_relu (gain √2)", () => {
    manualSeed(2);
    const t = init.kaimingNormal_(zeros([100, 100]));
    expect(stats(values(t)).std / (Math.SQRT2 / 10)).toBeCloseTo(1, 1);
    manualSeed(2);
    expect(values(init.kaimingNormal_(zeros([100, 100]), { a: 0, mode: "fanIn", nonlinearity: "leaky_relu" }))).toEqual(values(t));
  });
});

describe("uniform_, normal_, zeros_, ones_", () => {
  it("uniform_ draws from [a, b)", () => {
    manualSeed(5);
    const xs = values(init.uniform_(zeros([10000], { dtype: "float64" }), -2, 3));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(3);
    expect(stats(xs).mean).toBeCloseTo(0.5, 1);
    expect(stats(xs).std).toBeCloseTo(5 / Math.sqrt(12), 1);
    const unit = values(init.uniform_(zeros([1000])));
    expect(Math.min(...unit)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...unit)).toBeLessThan(1);
  });

  it("normal_ draws from N(mean, std²)", () => {
    manualSeed(6);
    const { mean, std } = stats(values(init.normal_(zeros([10000], { dtype: "float64" }), 1, 2)));
    expect(Math.abs(mean - 1)).toBeLessThan(0.1);
    expect(std).toBeCloseTo(2, 1);
  });

  it("zeros_ and ones_ fill in place", () => {
    const t = rand([2, 3]);
    expect(init.zeros_(t)).toBe(t);
    expect(values(t)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(init.ones_(t)).toBe(t);
    expect(values(t)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("work in place on parameters that require grad, recording no graph", () => {
    const weight = zeros([4, 3], { requiresGrad: true });
    for (const fill of [
      () => init.uniform_(weight),
      () => init.normal_(weight),
      () => init.xavierUniform_(weight),
      () => init.xavierNormal_(weight),
      () => init.kaimingUniform_(weight),
      () => init.kaimingNormal_(weight),
      () => init.zeros_(weight),
      () => init.ones_(weight),
    ]) {
      expect(fill()).toBe(weight);
      expect(weight.isLeaf).toBe(true);
      expect(weight.gradFn).toBeNull();
      expect(weight.requiresGrad).toBe(true);
    }
  });

  it("leave zero-element tensors alone (Kaiming)", () => {
    const empty = zeros([0, 3]);
    expect(init.kaimingUniform_(empty)).toBe(empty);
    expect(init.kaimingNormal_(empty)).toBe(empty);
  });
});

describe("reproducibility", () => {
  const initializers: [string, (t: Tensor, generator?: Generator) => Tensor][] = [
    ["uniform_", (t, generator) => init.uniform_(t, -1, 1, { generator })],
    ["normal_", (t, generator) => init.normal_(t, 0, 1, { generator })],
    ["xavierUniform_", (t, generator) => init.xavierUniform_(t, { generator })],
    ["xavierNormal_", (t, generator) => init.xavierNormal_(t, { generator })],
    ["kaimingUniform_", (t, generator) => init.kaimingUniform_(t, { generator })],
    ["kaimingNormal_", (t, generator) => init.kaimingNormal_(t, { generator })],
  ];

  it.each(initializers)("%s repeats under manualSeed and with its own generator", (_name, fill) => {
    manualSeed(11);
    const first = values(fill(zeros([5, 4])));
    const next = values(fill(zeros([5, 4])));
    manualSeed(11);
    expect(values(fill(zeros([5, 4])))).toEqual(first);
    expect(next).not.toEqual(first);

    // an explicit generator leaves the global stream where it was
    manualSeed(11);
    const own = values(fill(zeros([5, 4]), new Generator(3)));
    expect(values(fill(zeros([5, 4]), new Generator(3)))).toEqual(own);
    expect(values(fill(zeros([5, 4])))).toEqual(first);
  });
});

describe("init validation", () => {
  const int = tensor([[1, 2]], { dtype: "int32" });
  const cases: [string, () => unknown, string][] = [
    ["a > b", () => init.uniform_(zeros([2]), 1, 0), "uniform_: expected a finite range with a ≤ b, got a = 1, b = 0"],
    [
      "an infinite bound",
      () => init.uniform_(zeros([2]), 0, Number.POSITIVE_INFINITY),
      "uniform_: expected a finite range with a ≤ b, got a = 0, b = Infinity",
    ],
    ["negative std", () => init.normal_(zeros([2]), 0, -1), "normal_: expected a finite mean and std ≥ 0, got mean = 0, std = -1"],
    [
      "an int32 tensor",
      () => init.uniform_(int),
      "uniform_: cannot fill a int32 tensor of shape [1, 2] with random values (expected float32 or float64)",
    ],
    [
      "an int32 tensor (Kaiming)",
      () => init.kaimingNormal_(int),
      "kaimingNormal_: cannot fill a int32 tensor of shape [1, 2] with random values (expected float32 or float64)",
    ],
    [
      "a 1-D tensor (Xavier)",
      () => init.xavierUniform_(zeros([5])),
      "xavierUniform_: fan in and fan out cannot be computed for shape [5] (expected at least 2 dimensions)",
    ],
    [
      "a 1-D tensor (Kaiming)",
      () => init.kaimingUniform_(zeros([5])),
      "kaimingUniform_: fan in and fan out cannot be computed for shape [5] (expected at least 2 dimensions)",
    ],
    [
      "a bad mode",
      () => init.kaimingUniform_(zeros([2, 2]), { mode: "fan_in" as init.FanMode }),
      'kaimingUniform_: mode must be "fanIn" or "fanOut", got "fan_in"',
    ],
  ];

  it.each(cases)("rejects %s, leaving the tensor unchanged", (_name, action, message) => {
    expect(nablaError(action).message).toBe(message);
  });

  it("changes nothing when it throws", () => {
    const t = tensor([3, 4]);
    expect(() => init.uniform_(t, 1, 0)).toThrow(NablaError);
    expect(values(t)).toEqual([3, 4]);
  });
});

describe("init and the modules' default initialisation draw as PyTorch, seed for seed", () => {
  // test/fixtures/gen_random.py: uniform_ and everything built on it (kaiming_uniform_,
  // xavier_uniform_, the init of Linear, convolutions, recurrent layers and cells, attention)
  // bit for bit, in PyTorch's order; normal samples within NORMAL_ULPS
  it.each(randomFixture.initPrograms.map((p) => [p.seed, p] as const))("torch.manual_seed(%s)", (seed, program) => {
    manualSeed(seed);
    for (const step of program.steps) replayStep(step);
  });
});

import { describe, expect, it } from "vitest";
import { Generator, bernoulli, full, manualSeed, multinomial, tensor } from "@nabla/tensor";
import { nablaError } from "../support/errors";

/** Expects `fn` to throw a NablaError with exactly this message. */
function expectNablaError(fn: () => unknown, message: string): void {
  expect(nablaError(fn).message).toBe(message);
}

// multinomial and bernoulli: frequencies against their probabilities with a fixed seed (chi-square
// bounds far beyond chance, so the tests are deterministic and not flaky), reproducibility under
// manualSeed and a Generator, and the refusals PyTorch makes.

/** Pearson's χ² of observed counts against expected ones. */
function chiSquare(counts: readonly number[], expected: readonly number[]): number {
  return counts.reduce((sum, count, i) => sum + (count - expected[i]!) ** 2 / expected[i]!, 0);
}

function countsOf(samples: ArrayLike<number>, categories: number): number[] {
  const counts = new Array<number>(categories).fill(0);
  for (let i = 0; i < samples.length; i++) counts[samples[i]!]!++;
  return counts;
}

// χ² with 3 degrees of freedom exceeds 16.27 with probability 0.001, with 1 degree 10.83
const CHI2_3_DOF_P001 = 16.27;
const CHI2_1_DOF_P001 = 10.83;

describe("multinomial", () => {
  it("draws with replacement in proportion to unnormalised weights", () => {
    manualSeed(1234);
    const weights = [1, 2, 3, 4]; // sums to 10, not 1
    const n = 20000;
    const samples = multinomial(tensor(weights), n, { replacement: true });
    expect(samples.dtype).toBe("int32");
    expect(samples.shape).toEqual([n]);
    const counts = countsOf(samples.data(), 4);
    expect(
      chiSquare(
        counts,
        weights.map((w) => (n * w) / 10),
      ),
    ).toBeLessThan(CHI2_3_DOF_P001);
  });

  it("never draws a category of weight 0, and draws each category at most once without replacement", () => {
    manualSeed(7);
    const probs = tensor([
      [0, 1, 0, 2, 0.5],
      [3, 0, 1, 0, 1],
    ]);
    const samples = multinomial(probs, 3).toArray() as number[][];
    expect(new Set(samples[0])).toEqual(new Set([1, 3, 4]));
    expect(new Set(samples[1])).toEqual(new Set([0, 2, 4]));
    const withReplacement = multinomial(probs, 500, { replacement: true }).data();
    for (let i = 0; i < 500; i++) expect([1, 3, 4]).toContain(withReplacement[i]);
    for (let i = 500; i < 1000; i++) expect([0, 2, 4]).toContain(withReplacement[i]);
  });

  it("without replacement, the first draw follows the weights and later draws the rest renormalised", () => {
    // P(first = i) = w_i; P(second = j) = Σ_i w_i w_j / (1 − w_i)
    const w = [0.1, 0.2, 0.3, 0.4];
    const second = w.map((wj, j) => w.reduce((s, wi, i) => (i === j ? s : s + (wi * wj) / (1 - wi)), 0));
    const rows = 8000;
    const g = new Generator(99);
    const samples = multinomial(full([rows, 4], 0).add(tensor(w)), 2, { generator: g }).toArray() as number[][];
    const firsts = countsOf(
      samples.map((r) => r[0]!),
      4,
    );
    const seconds = countsOf(
      samples.map((r) => r[1]!),
      4,
    );
    expect(
      chiSquare(
        firsts,
        w.map((p) => p * rows),
      ),
    ).toBeLessThan(CHI2_3_DOF_P001);
    expect(
      chiSquare(
        seconds,
        second.map((p) => p * rows),
      ),
    ).toBeLessThan(CHI2_3_DOF_P001);
    for (const [a, b] of samples) expect(a).not.toBe(b);
  });

  it("is reproducible under manualSeed and with a Generator of its own", () => {
    const probs = tensor([0.2, 0.5, 0.3]);
    manualSeed(5);
    const a = multinomial(probs, 50, { replacement: true }).toArray();
    manualSeed(5);
    expect(multinomial(probs, 50, { replacement: true }).toArray()).toEqual(a);
    const b = multinomial(probs, 3, { generator: new Generator(11) }).toArray();
    expect(multinomial(probs, 3, { generator: new Generator(11) }).toArray()).toEqual(b);
    expect(probs.multinomial(3, { generator: new Generator(11) }).toArray()).toEqual(b);
  });

  it("reads strided views and float64 weights", () => {
    manualSeed(3);
    const base = tensor(
      [
        [0, 5],
        [1, 0],
        [0, 2],
      ],
      { dtype: "float64" },
    );
    // columns of base: rows [0, 1, 0] and [5, 0, 2]
    const samples = multinomial(base.T, 2, { replacement: true }).toArray() as number[][];
    expect(samples[0]).toEqual([1, 1]);
    expect(multinomial(base.T.select(0, 1), 2).toArray()).toHaveLength(2);
    expect(new Set(multinomial(base.T.select(0, 1), 2).toArray() as number[])).toEqual(new Set([0, 2]));
    expect(multinomial(tensor([[], []]).reshape([0, 3]), 2).shape).toEqual([0, 2]);
  });

  it("refuses what PyTorch refuses", () => {
    expectNablaError(
      () => multinomial(tensor([0.5, -0.5]), 1),
      "multinomial: probabilities must be finite and non-negative, got -0.5 at [1]",
    );
    expectNablaError(
      () => multinomial(tensor([[1, Infinity]]), 1),
      "multinomial: probabilities must be finite and non-negative, got Infinity at [0, 1]",
    );
    expectNablaError(() => multinomial(tensor([NaN, 1]), 1), "multinomial: probabilities must be finite and non-negative, got NaN at [0]");
    expectNablaError(() => multinomial(tensor([0.5, 0.5]), 3), "multinomial: cannot draw 3 samples from 2 categories without replacement");
    expectNablaError(
      () =>
        multinomial(
          tensor([
            [1, 1],
            [0, 0],
          ]),
          1,
        ),
      "multinomial: the probabilities of row 1 sum to 0",
    );
    expectNablaError(() => multinomial(tensor([1, 1]), 0), "multinomial: numSamples must be positive, got 0");
    expectNablaError(() => multinomial(tensor(1), 1), "multinomial: probs must be 1-D or 2-D, got shape []");
    expectNablaError(
      () => multinomial(tensor([1, 2], { dtype: "int32" }), 1),
      "multinomial: probs must be a floating-point tensor, got int32",
    );
    expectNablaError(
      () => multinomial(tensor([1, 0, 0]), 2),
      "multinomial: row 0 has 1 categories of non-zero probability, too few for 2 samples without replacement",
    );
    // with replacement, more samples than categories is fine
    expect(multinomial(tensor([1, 0]), 3, { replacement: true }).toArray()).toEqual([0, 0, 0]);
  });
});

describe("bernoulli", () => {
  it("gives 1 with probability p, same shape and dtype", () => {
    manualSeed(2024);
    const p = tensor([0.1, 0.5, 0.9, 0.02], { dtype: "float64" });
    const n = 5000;
    const draws = bernoulli(p.unsqueeze(0).expand([n, 4]));
    expect(draws.dtype).toBe("float64");
    expect(draws.shape).toEqual([n, 4]);
    const ones = draws.sum(0).toArray() as number[];
    [0.1, 0.5, 0.9, 0.02].forEach((q, i) => {
      expect(chiSquare([ones[i]!, n - ones[i]!], [n * q, n * (1 - q)]), `p = ${q}`).toBeLessThan(CHI2_1_DOF_P001);
    });
    expect(bernoulli(tensor([0, 1, 0, 1])).toArray()).toEqual([0, 1, 0, 1]);
  });

  it("is reproducible under manualSeed and with a Generator of its own", () => {
    const p = full([40], 0.5);
    manualSeed(8);
    const a = bernoulli(p).toArray();
    manualSeed(8);
    expect(p.bernoulli().toArray()).toEqual(a);
    expect(bernoulli(p, { generator: new Generator(8) }).toArray()).toEqual(bernoulli(p, { generator: new Generator(8) }).toArray());
  });

  it("refuses probabilities outside [0, 1], NaN and integer tensors, as PyTorch", () => {
    expectNablaError(() => bernoulli(tensor([0.5, 1.5])), "bernoulli: probabilities must be in [0, 1], got 1.5 at flat index 1");
    expectNablaError(() => bernoulli(tensor([NaN])), "bernoulli: probabilities must be in [0, 1], got NaN at flat index 0");
    expectNablaError(() => bernoulli(tensor([1], { dtype: "int32" })), "bernoulli: p must be a floating-point tensor, got int32");
    expectNablaError(() => bernoulli(tensor([0.5]), { generator: 3 as never }), "bernoulli: generator must be a Generator, got 3");
  });
});

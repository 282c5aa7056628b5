import { describe, expect, it } from "vitest";
import { Generator, NablaError, manualSeed, rand, randint, randn, randperm, type Tensor } from "@nabla/tensor";

// The stream itself is checked against PyTorch in random-pytorch.test.ts; here, reproducibility,
// the independence of generators, and the distributions' moments over 1e5 samples.

const N = 100_000;

function moments(t: Tensor): { mean: number; variance: number; min: number; max: number } {
  const values = t.data();
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / values.length;
  let squares = 0;
  for (const v of values) squares += (v - mean) ** 2;
  return { mean, variance: squares / (values.length - 1), min, max };
}

describe("reproducibility", () => {
  it("manualSeed makes every random function repeat bit for bit", () => {
    const draw = () => [
      rand([50]),
      randn([3, 7], { dtype: "float64" }),
      randint(-5, 5, [20]),
      randperm(30),
      rand([4], { dtype: "float64" }),
    ];
    manualSeed(1234);
    const first = draw().map((t) => Array.from(t.data()));
    manualSeed(1234);
    const second = draw().map((t) => Array.from(t.data()));
    expect(second).toEqual(first);
    manualSeed(1235);
    expect(draw().map((t) => Array.from(t.data()))).not.toEqual(first);
  });

  it("a Generator is independent of the global stream, and the other way round", () => {
    manualSeed(7);
    const alone = Array.from(rand([10]).data());
    manualSeed(7);
    const g = new Generator(99);
    rand([5], { generator: g });
    randn([5], { generator: g });
    randperm(5, { generator: g });
    randint(0, 3, [5], { generator: g });
    expect(Array.from(rand([10]).data())).toEqual(alone);

    const fresh = Array.from(rand([6], { generator: new Generator(99) }).data());
    const g2 = new Generator(99);
    rand([100]); // global draws between private ones change nothing
    expect(Array.from(rand([6], { generator: g2 }).data())).toEqual(fresh);
  });

  it("Generator.manualSeed restarts its stream", () => {
    const g = new Generator(5);
    const first = [g.nextUint32(), g.nextUint32()];
    g.nextFloat64();
    g.manualSeed(5);
    expect([g.nextUint32(), g.nextUint32()]).toEqual(first);
  });

  it("seeds must be safe integers", () => {
    expect(() => manualSeed(1.5)).toThrow(/^manualSeed: seed must be a safe integer, got 1.5/);
    expect(() => new Generator(2 ** 53)).toThrow(NablaError);
    expect(() => new Generator(-1)).not.toThrow();
  });
});

describe("ranges and moments over 1e5 samples", () => {
  it("rand is uniform on [0, 1): mean 1/2, variance 1/12", () => {
    manualSeed(11);
    for (const dtype of ["float32", "float64"] as const) {
      const t = rand([N], { dtype });
      expect(t.dtype).toBe(dtype);
      const m = moments(t);
      expect(m.min).toBeGreaterThanOrEqual(0);
      expect(m.max).toBeLessThan(1);
      expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.005);
      expect(Math.abs(m.variance - 1 / 12)).toBeLessThan(0.002);
    }
  });

  it("randn is standard normal: mean 0, variance 1, symmetric tails", () => {
    manualSeed(12);
    const t = randn([N], { dtype: "float64" });
    const m = moments(t);
    expect(Math.abs(m.mean)).toBeLessThan(0.015);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.02);
    const beyond2 = Array.from(t.data()).filter((v) => Math.abs(v) > 2).length / N;
    expect(Math.abs(beyond2 - 0.0455)).toBeLessThan(0.004); // P(|Z| > 2) = 4.55%
    expect(randn([3, 2]).shape).toEqual([3, 2]);
    expect(randn([3, 2]).dtype).toBe("float32");
  });

  it("randint is uniform on [low, high) and int32", () => {
    manualSeed(13);
    const t = randint(-3, 4, [N]);
    expect(t.dtype).toBe("int32");
    const counts = new Map<number, number>();
    for (const v of t.data()) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const count of counts.values()) expect(Math.abs(count / N - 1 / 7)).toBeLessThan(0.006);
    expect(Math.abs(moments(t).mean)).toBeLessThan(0.03);
    expect(randint(0, 5, [2, 3], { dtype: "float32" }).dtype).toBe("float32");
  });

  it("randint covers a range wider than 2^31", () => {
    const t = randint(-(2 ** 31), 2 ** 31 - 1, [1000], { dtype: "float64", generator: new Generator(3) });
    const m = moments(t);
    expect(m.min).toBeLessThan(-(2 ** 30));
    expect(m.max).toBeGreaterThan(2 ** 30);
  });

  it("randperm is a permutation, with every position equally likely", () => {
    manualSeed(14);
    const p = randperm(1000);
    expect(p.dtype).toBe("int32");
    expect(Array.from(p.data()).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(randperm(0).shape).toEqual([0]);
    expect(randperm(1).toArray()).toEqual([0]);
    // element 0 lands in each of 4 positions about a quarter of the time
    const landed = [0, 0, 0, 0];
    const g = new Generator(15);
    for (let trial = 0; trial < 20_000; trial++) landed[Array.from(randperm(4, { generator: g }).data()).indexOf(0)]!++;
    for (const count of landed) expect(Math.abs(count / 20_000 - 0.25)).toBeLessThan(0.015);
  });

  it("rejects bad arguments by name", () => {
    expect(() => randint(5, 5, [2])).toThrow(/^randint: needs low < high, got low 5 and high 5/);
    expect(() => randint(0, 1.5, [2])).toThrow(/^randint: /);
    expect(() => rand([2], { dtype: "int32" })).toThrow(/^rand: needs a floating dtype, got int32/);
    expect(() => randn([2], { dtype: "bool" })).toThrow(/^randn: needs a floating dtype, got bool/);
    expect(() => randperm(-1)).toThrow(/^randperm: n must be a non-negative integer, got -1/);
    expect(() => rand([2, -1])).toThrow(/^rand: invalid shape \[2, -1\]/);
  });
});

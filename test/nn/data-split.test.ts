import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { manualSeed, tensor } from "@nabla/tensor";
import { trainTestSplit } from "@nabla/nn";
import { nablaError } from "../support/errors";

const nablaMessage = (run: () => unknown): string => nablaError(run).message;

function ids(t: { toArray(): unknown }): number[] {
  return t.toArray() as number[];
}

/** Labels with `counts[c]` rows of class c, interleaved so classes are not contiguous. */
function labelsWithCounts(counts: number[]): number[] {
  const remaining = [...counts];
  const labels: number[] = [];
  while (remaining.some((r) => r > 0)) {
    for (const [c, r] of remaining.entries()) {
      if (r > 0) {
        labels.push(c);
        remaining[c]!--;
      }
    }
  }
  return labels;
}

function countBy(values: number[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function expectPartition(train: number[], test: number[], n: number): void {
  expect([...train, ...test].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
}

describe("trainTestSplit", () => {
  it("puts ceil(testFraction × n) random rows in test and the rest in train, as int32", () => {
    const { train, test } = trainTestSplit(10, { testFraction: 0.25, seed: 0 });
    expect(train.dtype).toBe("int32");
    expect(test.dtype).toBe("int32");
    expect(test.shape).toEqual([3]);
    expect(train.shape).toEqual([7]);
    expectPartition(ids(train), ids(test), 10);
  });

  it("partitions 0…n-1 for any n and fraction that leave both sides non-empty", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.nat(1000),
        (n, testFraction, seed) => {
          fc.pre(Math.ceil(testFraction * n) < n);
          const { train, test } = trainTestSplit(n, { testFraction, seed });
          expect(test.shape[0]).toBe(Math.ceil(testFraction * n));
          expectPartition(ids(train), ids(test), n);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("defaults to a 20% test side", () => {
    expect(trainTestSplit(1797, { seed: 0 }).test.shape).toEqual([360]);
  });

  it("is reproducible from a seed, or from manualSeed without one", () => {
    expect(ids(trainTestSplit(50, { seed: 4 }).test)).toEqual(ids(trainTestSplit(50, { seed: 4 }).test));
    expect(ids(trainTestSplit(50, { seed: 5 }).test)).not.toEqual(ids(trainTestSplit(50, { seed: 4 }).test));
    manualSeed(2);
    const a = ids(trainTestSplit(50).test);
    manualSeed(2);
    expect(ids(trainTestSplit(50).test)).toEqual(a);
  });

  it("stratified, keeps each class's share exactly when it divides evenly", () => {
    const labels = labelsWithCounts([50, 50, 50]);
    const { train, test } = trainTestSplit(150, { testFraction: 0.2, seed: 1, stratify: tensor(labels, { dtype: "int32" }) });
    expectPartition(ids(train), ids(test), 150);
    expect(countBy(ids(test).map((i) => labels[i]!))).toEqual(
      new Map([
        [0, 10],
        [1, 10],
        [2, 10],
      ]),
    );
    expect(countBy(ids(train).map((i) => labels[i]!))).toEqual(
      new Map([
        [0, 40],
        [1, 40],
        [2, 40],
      ]),
    );
  });

  it("stratified, hands out remainders by largest fraction, then gives every class of 2+ rows both sides", () => {
    // 100 rows, 20 to test: classes owed 0.2, 0.4, 0.6 and 18.8 rows. Floors give 18; the two
    // largest remainders (18.8, 0.6) get the missing two; then class 1 (2 rows) is raised to 1
    // and class 0 (a single row) stays in train: 0, 1, 1, 19.
    const labels = labelsWithCounts([1, 2, 3, 94]);
    const { train, test } = trainTestSplit(100, { testFraction: 0.2, seed: 0, stratify: tensor(labels, { dtype: "int32" }) });
    expectPartition(ids(train), ids(test), 100);
    const testCounts = countBy(ids(test).map((i) => labels[i]!));
    expect([0, 1, 2, 3].map((c) => testCounts.get(c) ?? 0)).toEqual([0, 1, 1, 19]);
  });

  it("stratified, every class's test count is within 1 of its share and classes of 2+ rows appear on both sides", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0.05, max: 0.6, noNaN: true }),
        fc.nat(1000),
        (counts, testFraction, seed) => {
          const n = counts.reduce((a, b) => a + b, 0);
          fc.pre(n >= 2 && Math.ceil(testFraction * n) < n);
          const labels = labelsWithCounts(counts);
          const { train, test } = trainTestSplit(n, { testFraction, seed, stratify: tensor(labels, { dtype: "int32" }) });
          expectPartition(ids(train), ids(test), n);
          const testCounts = countBy(ids(test).map((i) => labels[i]!));
          const testSize = Math.ceil(testFraction * n);
          counts.forEach((size, c) => {
            const got = testCounts.get(c) ?? 0;
            if (size === 1) expect(got).toBe(0);
            else {
              expect(got).toBeGreaterThanOrEqual(1);
              expect(got).toBeLessThanOrEqual(size - 1);
              expect(got).toBeGreaterThanOrEqual(Math.min(Math.floor((size * testSize) / n), size - 1));
              expect(got).toBeLessThanOrEqual(Math.max(Math.ceil((size * testSize) / n), 1));
            }
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it("stratified output is not grouped by class", () => {
    const labels = labelsWithCounts([40, 40]).sort();
    const { train } = trainTestSplit(80, { seed: 0, stratify: tensor(labels, { dtype: "int32" }) });
    const classes = ids(train).map((i) => labels[i]!);
    expect(classes).not.toEqual([...classes].sort());
  });

  it("rejects bad arguments", () => {
    expect(nablaMessage(() => trainTestSplit(1))).toBe("trainTestSplit: n must be an integer of at least 2, got 1");
    expect(nablaMessage(() => trainTestSplit(2.5))).toBe("trainTestSplit: n must be an integer of at least 2, got 2.5");
    for (const testFraction of [0, 1, -0.1, 1.5, Number.NaN]) {
      expect(nablaMessage(() => trainTestSplit(10, { testFraction }))).toBe(
        `trainTestSplit: testFraction must be strictly between 0 and 1, got ${testFraction}`,
      );
    }
    expect(nablaMessage(() => trainTestSplit(2, { testFraction: 0.9 }))).toBe(
      "trainTestSplit: testFraction 0.9 of 2 rows puts all 2 in the test set, leaving none to train on",
    );
    expect(nablaMessage(() => trainTestSplit(4, { stratify: tensor([0, 1, 0], { dtype: "int32" }) }))).toBe(
      "trainTestSplit: stratify must have shape [4] (one label per row), got [3]",
    );
    expect(nablaMessage(() => trainTestSplit(4, { seed: 1.5 }))).toBe("trainTestSplit: seed must be an integer, got 1.5");
  });
});

import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Tensor, arange, manualSeed, tensor } from "@nabla/tensor";
import { DataLoader, TensorDataset } from "@nabla/nn";
import { nablaError } from "../support/errors";

const nablaMessage = (run: () => unknown): string => nablaError(run).message;

/** A dataset whose row i is recognisable in every tensor: x[i] = [10i, 10i + 1], y[i] = i. */
function numberedDataset(rows: number): TensorDataset {
  const y = arange(rows).to("int32");
  const x = arange(2 * rows)
    .reshape([rows, 2])
    .add(arange(rows).unsqueeze(1).mul(8));
  return new TensorDataset(x, y);
}

/** The row ids of one epoch, batch by batch, checking that x and y stay aligned. */
function epochRows(loader: DataLoader): number[][] {
  return [...loader].map(([x, y]) => {
    const ids = y!.toArray() as number[];
    expect(x!.toArray()).toEqual(ids.map((i) => [10 * i, 10 * i + 1]));
    return ids;
  });
}

afterEach(() => vi.restoreAllMocks());

describe("TensorDataset", () => {
  it("has a length and returns the rows of every tensor", () => {
    const dataset = numberedDataset(5);
    expect(dataset.length).toBe(5);
    const [x, y] = dataset.get(3);
    expect(x!.toArray()).toEqual([30, 31]);
    expect(y!.item()).toBe(3);
    expect(dataset.get(-1)[1]!.item()).toBe(4);
  });

  it("requires tensors with the same first dimension", () => {
    expect(
      nablaMessage(
        () =>
          new TensorDataset(
            tensor([
              [1, 2],
              [3, 4],
              [5, 6],
            ]),
            tensor([0, 1]),
          ),
      ),
    ).toBe("TensorDataset: tensors must have the same size in dimension 0, got shapes [3, 2], [2]");
    expect(nablaMessage(() => new TensorDataset())).toBe("TensorDataset: expected at least one tensor");
    expect(nablaMessage(() => new TensorDataset(tensor(1)))).toMatch(/^TensorDataset: tensor 0 is 0-d/);
    expect(nablaMessage(() => numberedDataset(3).get(3))).toBe("TensorDataset.get: index 3 is out of range for 3 rows");
  });
});

describe("DataLoader", () => {
  it("without shuffle, yields the rows in order in batches of batchSize, the last one smaller", () => {
    const loader = new DataLoader(numberedDataset(7), { batchSize: 3 });
    expect(loader.length).toBe(3);
    expect(epochRows(loader)).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it("drops the short last batch with dropLast", () => {
    const loader = new DataLoader(numberedDataset(7), { batchSize: 3, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epochRows(loader)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(new DataLoader(numberedDataset(2), { batchSize: 3, dropLast: true }).length).toBe(0);
    expect([...new DataLoader(numberedDataset(2), { batchSize: 3, dropLast: true })]).toEqual([]);
  });

  it("has length = number of batches, and batches of the announced sizes, for any rows and batch size", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 12 }), fc.boolean(), (rows, batchSize, dropLast) => {
        const loader = new DataLoader(numberedDataset(rows), { batchSize, dropLast, shuffle: true, seed: 1 });
        const sizes = [...loader].map(([x]) => x!.shape[0]);
        expect(sizes.length).toBe(loader.length);
        expect(loader.length).toBe(dropLast ? Math.floor(rows / batchSize) : Math.ceil(rows / batchSize));
        sizes.forEach((size, b) => {
          expect(size).toBe(Math.min(batchSize, rows - b * batchSize));
        });
      }),
      { numRuns: 60 },
    );
  });

  it("shuffled, each epoch visits every row once, and every new iteration is a new order", () => {
    const loader = new DataLoader(numberedDataset(50), { batchSize: 8, shuffle: true, seed: 3 });
    const first = epochRows(loader).flat();
    const second = epochRows(loader).flat();
    const sorted = Array.from({ length: 50 }, (_, i) => i);
    expect([...first].sort((a, b) => a - b)).toEqual(sorted);
    expect([...second].sort((a, b) => a - b)).toEqual(sorted);
    expect(first).not.toEqual(sorted);
    expect(second).not.toEqual(first);
  });

  it("with a seed, replays the same sequence of epochs; other seeds give other orders", () => {
    const epochs = (seed: number) => {
      const loader = new DataLoader(numberedDataset(30), { batchSize: 4, shuffle: true, seed });
      return [epochRows(loader), epochRows(loader), epochRows(loader)];
    };
    expect(epochs(7)).toEqual(epochs(7));
    expect(epochs(8)[0]).not.toEqual(epochs(7)[0]);
  });

  it("a seeded loader does not draw from, nor depend on, the global random stream", () => {
    manualSeed(0);
    const a = epochRows(new DataLoader(numberedDataset(30), { batchSize: 4, shuffle: true, seed: 5 }));
    manualSeed(99);
    const b = epochRows(new DataLoader(numberedDataset(30), { batchSize: 4, shuffle: true, seed: 5 }));
    expect(a).toEqual(b);
  });

  it("without a seed, shuffles from the global stream, reproducible with manualSeed", () => {
    const run = () => {
      const loader = new DataLoader(numberedDataset(30), { batchSize: 4, shuffle: true });
      return [epochRows(loader), epochRows(loader)];
    };
    manualSeed(11);
    const a = run();
    manualSeed(11);
    expect(run()).toEqual(a);
    manualSeed(12);
    expect(run()[0]).not.toEqual(a[0]);
  });

  it("gathers each batch with one indexSelect per tensor, into copies that do not alias the dataset", () => {
    const dataset = numberedDataset(10);
    const indexSelect = vi.spyOn(Tensor.prototype, "indexSelect");
    const batches = [...new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 0 })];
    expect(indexSelect).toHaveBeenCalledTimes(3 * 2);
    batches[0]![0]!.fill_(-1);
    expect(dataset.tensors[0]!.toArray()).toEqual(numberedDataset(10).tensors[0]!.toArray());
  });

  it("rejects bad options", () => {
    const dataset = numberedDataset(4);
    expect(nablaMessage(() => new DataLoader(dataset, { batchSize: 0 }))).toBe("DataLoader: batchSize must be a positive integer, got 0");
    expect(nablaMessage(() => new DataLoader(dataset, { batchSize: 2.5 }))).toBe(
      "DataLoader: batchSize must be a positive integer, got 2.5",
    );
    expect(nablaMessage(() => new DataLoader(dataset, {} as { batchSize: number }))).toBe(
      "DataLoader: batchSize must be a positive integer, got undefined",
    );
    expect(nablaMessage(() => new DataLoader(dataset, { batchSize: 2, seed: 0.5 }))).toBe("DataLoader: seed must be an integer, got 0.5");
    expect(nablaMessage(() => new DataLoader([tensor([1])] as unknown as TensorDataset, { batchSize: 2 }))).toBe(
      "DataLoader: expected a TensorDataset",
    );
  });
});

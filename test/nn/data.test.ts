import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Tensor, arange, manualSeed, registeredOps, tensor } from "@nabla/tensor";
import { DataLoader, TensorDataset, defaultCollate } from "@nabla/nn";
import { nablaError } from "../support/errors";
import { drawUint32, randomFixture, replayStep } from "../support/random-pytorch";

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

  it("gathers each batch with one indexSelect (a gather op) per tensor, into copies that do not alias the dataset", () => {
    const dataset = numberedDataset(10);
    const gather = vi.spyOn(registeredOps().get("gather")!, "forward");
    const batches = [...new DataLoader(dataset, { batchSize: 4, shuffle: true, seed: 0 })];
    expect(gather).toHaveBeenCalledTimes(3 * 2);
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
      "DataLoader: expected a Dataset (an object with a length and a get(i) method), got [{…}]",
    );
  });
});

describe("DataLoader over any Dataset", () => {
  /** Sample i: a [2] float tensor, an integer label, a float weight, a flag and a name. */
  const records = {
    length: 5,
    get: (i: number) => ({ x: tensor([i, -i]), label: i % 3, weight: i / 4, even: i % 2 === 0, name: `r${i}` }),
  };

  it("collates objects key by key: tensors stacked, integers int32, fractions float32, booleans bool, strings as a list", () => {
    const batches = [...new DataLoader(records, { batchSize: 2 })];
    expect(batches).toHaveLength(3);
    const first = batches[0]!;
    expect(first.x.shape).toEqual([2, 2]);
    expect(first.x.toArray()).toEqual([
      [0, -0],
      [1, -1],
    ]);
    expect([first.label.dtype, first.label.toArray()]).toEqual(["int32", [0, 1]]);
    expect([first.weight.dtype, first.weight.toArray()]).toEqual(["float32", [0, 0.25]]);
    expect([first.even.dtype, first.even.toArray()]).toEqual(["bool", [true, false]]);
    expect(first.name).toEqual(["r0", "r1"]);
    expect(batches[2]!.label.toArray()).toEqual([1]);
  });

  it("collates arrays field by field and shuffles by dataset index, reproducibly from the seed", () => {
    const pairs = { length: 6, get: (i: number) => [tensor([[i]]), i] as const };
    const epoch = () => [...new DataLoader(pairs, { batchSize: 4, shuffle: true, seed: 3 })];
    const [a, b] = [epoch(), epoch()];
    expect(a.map(([, y]) => y.toArray())).toEqual(b.map(([, y]) => y.toArray()));
    const ids = a.flatMap(([x, y]) => {
      expect(x.shape).toEqual([y.shape[0], 1, 1]);
      expect((x.toArray() as number[][][]).map((row) => row[0]![0])).toEqual(y.toArray());
      return y.toArray() as number[];
    });
    expect([...ids].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("gives a TensorDataset's rows, as views, to a custom collate, and yields what it returns", () => {
    const dataset = numberedDataset(5);
    const seen: number[][] = [];
    const loader = new DataLoader(dataset, {
      batchSize: 2,
      collate: (samples: Tensor[][]) => {
        seen.push(samples.map(([, y]) => y!.item() as number));
        return samples.length;
      },
    });
    expect([...loader]).toEqual([2, 2, 1]);
    expect(seen).toEqual([[0, 1], [2, 3], [4]]);
  });

  it("with the default collate, a TensorDataset gives the same batches through get as through its fast path", () => {
    const dataset = numberedDataset(7);
    const viaGet = { length: dataset.length, get: (i: number) => dataset.get(i) };
    const fast = [...new DataLoader(dataset, { batchSize: 3, shuffle: true, seed: 1 })];
    const slow = [...new DataLoader(viaGet, { batchSize: 3, shuffle: true, seed: 1 })];
    expect(slow.map((batch) => batch.map((t) => [t.dtype, t.toArray()]))).toEqual(
      fast.map((batch) => batch.map((t) => [t.dtype, t.toArray()])),
    );
  });

  it("names the dataset index and the shapes of samples that do not stack", () => {
    const ragged = { length: 4, get: (i: number) => [tensor(new Array(i === 3 ? 3 : 2).fill(i)), i] };
    const loader = new DataLoader(ragged, { batchSize: 2, shuffle: false });
    expect(nablaMessage(() => [...loader])).toBe(
      "DataLoader: the sample at dataset index 3 (field 0) has shape [3], the sample at dataset index 2 has shape [2]",
    );
  });

  it("refuses samples of mixed kinds and values it cannot collate", () => {
    const mixed = { length: 2, get: (i: number) => (i === 0 ? { a: 1 } : { a: "1" }) };
    expect(nablaMessage(() => [...new DataLoader(mixed, { batchSize: 2 })])).toBe(
      'DataLoader: the sample at dataset index 1 (field a) is "1", expected a number like the sample at dataset index 0',
    );
    const missing = { length: 2, get: (i: number) => (i === 0 ? [1, 2] : [1]) };
    expect(nablaMessage(() => [...new DataLoader(missing, { batchSize: 2 })])).toBe(
      "DataLoader: the sample at dataset index 1 is [1], expected an array of 2 fields like the sample at dataset index 0",
    );
    const empty = { length: 1, get: () => undefined };
    expect(nablaMessage(() => [...new DataLoader(empty, { batchSize: 1 })])).toMatch(
      /^DataLoader: cannot collate the sample at dataset index 0: undefined/,
    );
  });

  it("turns an error thrown by collate or get into a NablaError naming the batch, with the original as its cause", () => {
    const failure = new Error("bad batch");
    const loader = new DataLoader(numberedDataset(4), {
      batchSize: 2,
      collate: () => {
        throw failure;
      },
    });
    const error = nablaError(() => [...loader]);
    expect(error.message).toBe("DataLoader: collate threw on the batch of dataset indices [0, 1]: bad batch");
    expect(error.cause).toBe(failure);
    const broken = {
      length: 2,
      get: () => {
        throw new TypeError("no such row");
      },
    };
    expect(nablaMessage(() => [...new DataLoader(broken, { batchSize: 1 })])).toBe("DataLoader: dataset.get(0) threw: no such row");
  });

  it("refuses an object without length or get, a bad length, and a collate that is not a function", () => {
    expect(nablaMessage(() => new DataLoader({ get: () => 1 } as never, { batchSize: 1 }))).toBe(
      "DataLoader: expected a Dataset (an object with a length and a get(i) method), got an object",
    );
    expect(nablaMessage(() => new DataLoader({ length: 2 } as never, { batchSize: 1 }))).toMatch(/^DataLoader: expected a Dataset/);
    expect(nablaMessage(() => [...new DataLoader({ length: -1, get: () => 1 }, { batchSize: 1 })])).toBe(
      "DataLoader: the dataset's length must be a non-negative integer, got -1",
    );
    expect(nablaMessage(() => new DataLoader(numberedDataset(2), { batchSize: 1, collate: 3 as never }))).toBe(
      "DataLoader: collate must be a function, got 3",
    );
  });
});

describe("defaultCollate", () => {
  it("promotes tensor dtypes as stack does and keeps int32 for integers that fit", () => {
    expect(defaultCollate([tensor([1], { dtype: "int32" }), tensor([0.5])]).dtype).toBe("float32");
    expect(defaultCollate([1, 2 ** 31]).dtype).toBe("float32");
    expect(defaultCollate([-(2 ** 31), 7]).dtype).toBe("int32");
  });

  it("refuses an empty batch", () => {
    expect(nablaMessage(() => defaultCollate([]))).toBe("defaultCollate: expected a non-empty array of samples, got []");
  });
});

describe("DataLoader shuffles as PyTorch's DataLoader(shuffle=True), seed for seed", () => {
  // test/fixtures/gen_random.py: three passes of each loader, with the global generator (after
  // torch.manual_seed, a Linear drawn first) or a generator of its own, and raw draws after each
  // loader to check the global stream stays in step
  it.each(randomFixture.loaderPrograms.map((p) => [p.seed, p] as const))("torch.manual_seed(%s)", (seed, program) => {
    manualSeed(seed);
    for (const step of program.steps) replayStep(step);
  });

  it("draws the base seed when the iterator is made, and the order at the first batch", () => {
    const { seed, n, batchSize, between, batches, after } = randomFixture.loaderTiming;
    manualSeed(seed);
    const iterator = new DataLoader(new TensorDataset(arange(n)), { batchSize, shuffle: true })[Symbol.iterator]();
    expect(drawUint32(2)).toEqual(between);
    expect([...{ [Symbol.iterator]: () => iterator }].map(([b]) => Array.from(b!.data()))).toEqual(batches);
    expect(drawUint32(2)).toEqual(after);
  });
});

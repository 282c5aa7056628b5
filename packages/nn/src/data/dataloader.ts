import { Generator, indexSelect, NablaError, type Tensor, tensor } from "@nabla/tensor/functional";
import { defaultGenerator, describeValue } from "@nabla/tensor/internal";
import { type Collated, type Dataset, collate } from "./collate";
import { TensorDataset } from "./dataset";
import { permutation } from "./permutation";

/** Options of `DataLoader`, as PyTorch's `DataLoader` keywords (camelCase). */
export interface DataLoaderOptions<T = Tensor[], B = Collated<T>> {
  /** Rows per batch, a positive integer (required). */
  batchSize: number;
  /** Draw a new order of the rows at the start of every pass. Default false. */
  shuffle?: boolean;
  /** Leave out the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Seeds the loader's own random stream; without it, shuffling draws from the global one (`manualSeed`). */
  seed?: number;
  /**
   * Puts a batch's samples (in batch order) together; by default `defaultCollate` (tensors stacked,
   * numbers and booleans made tensors, arrays and objects collated field by field).
   */
  collate?: (samples: T[]) => B;
}

/**
 * Iterates over a dataset in batches of `batchSize` samples (the last may be smaller unless
 * `dropLast`), as PyTorch's `DataLoader`. The dataset is any `Dataset` (an object with `length` and
 * `get(i)`); each batch is its samples put together by `collate` (default `defaultCollate`: for a
 * `TensorDataset`, one tensor per dataset tensor, holding the batch's rows, copied out of the
 * dataset). With `shuffle`, every new iteration is a new epoch with a fresh permutation; the sequence
 * of epochs is reproducible, from `seed` (the loader's own generator, advancing epoch by epoch) or
 * from `manualSeed`, and is PyTorch's: `seed` gives the batches of `DataLoader(..., shuffle=True,
 * generator=torch.Generator().manual_seed(seed))`, and without it those of PyTorch's loader after
 * the same `torch.manual_seed`, drawing from the global generator as PyTorch does (every pass
 * takes a 64-bit seed from it when it starts, shuffled or not). Bad options (a batchSize that is not a positive integer, …), an object that is
 * not a dataset, samples that do not collate (naming the dataset index and the shapes) and a
 * `collate` that throws are NablaErrors.
 *
 * @example
 * ```ts
 * const dataset = new TensorDataset(arange(5), arange(5).mul(10));
 * const loader = new DataLoader(dataset, { batchSize: 2 });
 * loader.length;  // → 3
 * [...loader];    // → [[[0, 1], [0, 10]], [[2, 3], [20, 30]], [[4], [40]]]
 * const shuffled = new DataLoader(dataset, { batchSize: 2, shuffle: true, dropLast: true, seed: 0 });
 * for (const [xb, yb] of shuffled) {
 *   // the rows of xb and yb still match: yb = 10·xb
 *   yb!.sub(xb!.mul(10)).abs().max(); // → 0
 * }
 * // any dataset: samples of [features, label] collate field by field
 * const squares = { length: 3, get: (i: number) => [tensor([i, i * i]), i % 2] as [Tensor, number] };
 * const [features, labels] = [...new DataLoader(squares, { batchSize: 3 })][0]!;
 * features; // → [[0, 0], [1, 1], [2, 4]]
 * labels;   // → [0, 1, 0]
 * ```
 */
export class DataLoader<T = Tensor[], B = Collated<T>> implements Iterable<B> {
  /** The dataset the batches are drawn from. */
  readonly dataset: Dataset<T>;
  /** Rows per batch. */
  readonly batchSize: number;
  /** Whether every pass draws a new order of the rows. */
  readonly shuffle: boolean;
  /** Whether a last batch smaller than `batchSize` is left out. */
  readonly dropLast: boolean;
  readonly #generator: Generator | undefined;
  readonly #collate: ((samples: T[]) => B) | undefined;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B>) {
    const op = "DataLoader";
    if (!isDataset(dataset)) {
      throw new NablaError(op, `expected a Dataset (an object with a length and a get(i) method), got ${describeValue(dataset)}`);
    }
    const { batchSize, shuffle = false, dropLast = false, seed, collate } = options ?? ({} as DataLoaderOptions<T, B>);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new NablaError(op, `batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    if (typeof shuffle !== "boolean") throw new NablaError(op, `shuffle must be a boolean, got ${String(shuffle)}`);
    if (typeof dropLast !== "boolean") throw new NablaError(op, `dropLast must be a boolean, got ${String(dropLast)}`);
    if (seed !== undefined && !Number.isSafeInteger(seed)) throw new NablaError(op, `seed must be an integer, got ${String(seed)}`);
    if (collate !== undefined && typeof collate !== "function")
      throw new NablaError(op, `collate must be a function, got ${describeValue(collate)}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.#generator = seed === undefined ? undefined : new Generator(seed);
    this.#collate = collate;
  }

  /** The number of batches in one pass. */
  get length(): number {
    const rows = this.#rows();
    return this.dropLast ? Math.floor(rows / this.batchSize) : Math.ceil(rows / this.batchSize);
  }

  /**
   * Starts a pass, drawing from the loader's generator (or the global one) as PyTorch 1.13 does: a
   * 64-bit base seed now (`_BaseDataLoaderIter`, shuffled or not; unused without workers), and
   * with `shuffle` the order at the first batch (`RandomSampler`).
   */
  [Symbol.iterator](): Iterator<B> {
    const rows = this.#rows();
    const generator = this.#generator ?? defaultGenerator;
    generator.nextUint32();
    generator.nextUint32();
    return this.#batches(rows);
  }

  /**
   * The order of a shuffled pass, as PyTorch's `RandomSampler`: `randperm(rows)` from the loader's
   * generator, or without one from a fresh generator seeded by a 64-bit draw of the global one
   * (mt19937 keeps the low 32 bits, the second draw).
   */
  #shuffled(rows: number): Int32Array {
    if (this.#generator !== undefined) return permutation(rows, this.#generator);
    defaultGenerator.nextUint32();
    return permutation(rows, new Generator(defaultGenerator.nextUint32()));
  }

  /** The dataset's length, checked when read: a dataset may change it after construction. */
  #rows(): number {
    const rows: unknown = this.dataset.length;
    if (!Number.isSafeInteger(rows) || (rows as number) < 0) {
      throw new NablaError("DataLoader", `the dataset's length must be a non-negative integer, got ${describeValue(rows)}`);
    }
    return rows as number;
  }

  *#batches(rows: number): IterableIterator<B> {
    const order = this.shuffle ? this.#shuffled(rows) : identityOrder(rows);
    const batches = this.length;
    for (let b = 0; b < batches; b++) {
      const start = b * this.batchSize;
      const indices = order.subarray(start, Math.min(start + this.batchSize, order.length));
      yield this.#batch(indices);
    }
    // RandomSampler ends by drawing randperm(rows)[:0] from its generator: the loader's advances
    if (this.shuffle && this.#generator !== undefined) permutation(rows, this.#generator);
  }

  #batch(indices: Int32Array): B {
    const dataset = this.dataset;
    if (this.#collate === undefined && dataset instanceof TensorDataset) {
      // One gather per tensor per batch: the batch is a fresh copy, never a view of the dataset.
      const index = tensor(indices.slice());
      return dataset.tensors.map((t) => indexSelect(t, 0, index)) as B;
    }
    const samples = Array.from(indices, (i) => getSample(dataset, i));
    if (this.#collate === undefined) return collate("DataLoader", samples, (i) => `the sample at dataset index ${indices[i]}`, "") as B;
    try {
      return this.#collate(samples);
    } catch (error) {
      throw wrapped(`collate threw on the batch of dataset indices [${indices.join(", ")}]`, error);
    }
  }
}

function isDataset(value: unknown): value is Dataset {
  return value !== null && typeof value === "object" && typeof (value as Dataset).get === "function" && "length" in value;
}

function getSample<T>(dataset: Dataset<T>, index: number): T {
  try {
    return dataset.get(index);
  } catch (error) {
    if (error instanceof NablaError) throw error;
    throw wrapped(`dataset.get(${index}) threw`, error);
  }
}

/** A NablaError saying what threw, with the original error as its `cause`. */
function wrapped(what: string, error: unknown): NablaError {
  const message = error instanceof Error ? error.message : describeValue(error);
  return Object.assign(new NablaError("DataLoader", `${what}: ${message}`), { cause: error });
}

function identityOrder(rows: number): Int32Array {
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  return order;
}

import { Generator, NablaError, type Tensor, tensor } from "@nabla/tensor";
import { TensorDataset } from "./dataset";
import { permutation } from "./permutation";

/** Options of `DataLoader`, as PyTorch's `DataLoader` keywords (camelCase). */
export interface DataLoaderOptions {
  /** Rows per batch, a positive integer (required). */
  batchSize: number;
  /** Draw a new order of the rows at the start of every pass. Default false. */
  shuffle?: boolean;
  /** Leave out the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /** Seeds the loader's own random stream; without it, shuffling draws from the global one (`manualSeed`). */
  seed?: number;
}

/**
 * Iterates over a dataset in batches: each batch is an array with one tensor per dataset tensor,
 * holding `batchSize` rows (the last may be smaller unless `dropLast`), copied out of the dataset.
 * With `shuffle`, every new iteration is a new epoch with a fresh permutation; the sequence of
 * epochs is reproducible, from `seed` (the loader's own generator, advancing epoch by epoch) or
 * from `manualSeed`. Bad options (a batchSize that is not a positive integer, …) throw.
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
 * ```
 */
export class DataLoader implements Iterable<Tensor[]> {
  /** The dataset the batches are cut from. */
  readonly dataset: TensorDataset;
  /** Rows per batch. */
  readonly batchSize: number;
  /** Whether every pass draws a new order of the rows. */
  readonly shuffle: boolean;
  /** Whether a last batch smaller than `batchSize` is left out. */
  readonly dropLast: boolean;
  readonly #generator: Generator | undefined;

  constructor(dataset: TensorDataset, options: DataLoaderOptions) {
    const op = "DataLoader";
    if (!(dataset instanceof TensorDataset)) throw new NablaError(op, "expected a TensorDataset");
    const { batchSize, shuffle = false, dropLast = false, seed } = options ?? ({} as DataLoaderOptions);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new NablaError(op, `batchSize must be a positive integer, got ${String(batchSize)}`);
    }
    if (typeof shuffle !== "boolean") throw new NablaError(op, `shuffle must be a boolean, got ${String(shuffle)}`);
    if (typeof dropLast !== "boolean") throw new NablaError(op, `dropLast must be a boolean, got ${String(dropLast)}`);
    if (seed !== undefined && !Number.isSafeInteger(seed)) throw new NablaError(op, `seed must be an integer, got ${String(seed)}`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.#generator = seed === undefined ? undefined : new Generator(seed);
  }

  /** The number of batches in one pass. */
  get length(): number {
    const rows = this.dataset.length;
    return this.dropLast ? Math.floor(rows / this.batchSize) : Math.ceil(rows / this.batchSize);
  }

  /** Starts an epoch: the permutation is drawn here, so each `for…of` sees a new order. */
  [Symbol.iterator](): Iterator<Tensor[]> {
    const rows = this.dataset.length;
    return this.#batches(this.shuffle ? permutation(rows, this.#generator) : identityOrder(rows));
  }

  *#batches(order: Int32Array): IterableIterator<Tensor[]> {
    const batches = this.length;
    for (let b = 0; b < batches; b++) {
      const start = b * this.batchSize;
      const index = tensor(order.slice(start, Math.min(start + this.batchSize, order.length)));
      // One gather per tensor per batch: the batch is a fresh copy, never a view of the dataset.
      yield this.dataset.tensors.map((t) => t.indexSelect(0, index));
    }
  }
}

function identityOrder(rows: number): Int32Array {
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  return order;
}

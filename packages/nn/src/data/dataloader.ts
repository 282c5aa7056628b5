import { Generator, NablaError, Tensor, tensor } from "@nabla/tensor";
import { TensorDataset } from "./dataset";
import { permutation } from "./permutation";

export interface DataLoaderOptions {
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
 * holding `batchSize` rows (the last may be smaller unless `dropLast`). With `shuffle`, every new
 * iteration is a new epoch with a fresh permutation; the sequence of epochs is reproducible, from
 * `seed` (the loader's own generator, advancing epoch by epoch) or from `manualSeed`.
 *
 * @example
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true, seed: 0 });
 * for (const [xb, yb] of loader) { ... }
 */
export class DataLoader implements Iterable<Tensor[]> {
  readonly dataset: TensorDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
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

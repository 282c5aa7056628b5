import { Generator, NablaError, type Tensor, formatShape, tensor, isTensor } from "@nabla/tensor/functional";
import { checkOptions } from "@nabla/tensor/internal";
import { permutation } from "./permutation";

/** Options of `trainTestSplit`, as scikit-learn's `train_test_split` keywords (camelCase). */
export interface TrainTestSplitOptions {
  /** Share of the rows that go to the test side, in (0, 1). Default 0.2. */
  testFraction?: number;
  /** Seeds the split's own random stream; without it, the global one (`manualSeed`) is used. */
  seed?: number;
  /** One class label per row: keeps each class's share the same on both sides. */
  stratify?: Tensor;
}

/**
 * Splits row indices `0…n-1` at random into a training and a test part, both int32 in random
 * order. The test side gets `ceil(testFraction × n)` rows, as scikit-learn's `train_test_split`.
 *
 * With `stratify`, each class gets its share of that test size by the largest-remainder rule
 * (class `c` with `n_c` rows is owed `n_c × nTest / n`; every class gets the floor, and the rows
 * still missing go one each to the largest fractional parts, ties to the smaller class label;
 * scikit-learn breaks those ties at random instead). Then every class with at least 2 rows is
 * moved to at least 1 row on each side, and a class with a single row stays on the training
 * side, so the test size can differ from `ceil(testFraction × n)` by the number of such classes.
 *
 * Throws for n < 2, a testFraction outside (0, 1) or one that leaves no training row, and a
 * `stratify` that is not one label per row.
 *
 * @example
 * ```ts
 * const features = randn([10, 4]);
 * const { train, test } = trainTestSplit(10, { testFraction: 0.3, seed: 0 });
 * test.shape;                               // → [3]
 * train.dtype;                              // → "int32"
 * features.indexSelect(0, train).shape;     // → [7, 4]
 * const labels = tensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1], { dtype: "int32" });
 * // one test row from each class
 * const stratified = trainTestSplit(10, { testFraction: 0.2, seed: 0, stratify: labels });
 * labels.indexSelect(0, stratified.test).sum(); // → 1
 * ```
 */
export function trainTestSplit(n: number, options: TrainTestSplitOptions = {}): { train: Tensor; test: Tensor } {
  const op = "trainTestSplit";
  const { testFraction = 0.2, seed, stratify } = checkOptions(op, options);
  if (!Number.isSafeInteger(n) || n < 2) throw new NablaError(op, `n must be an integer of at least 2, got ${String(n)}`);
  if (typeof testFraction !== "number" || !(testFraction > 0 && testFraction < 1)) {
    throw new NablaError(op, `testFraction must be strictly between 0 and 1, got ${String(testFraction)}`);
  }
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new NablaError(op, `seed must be an integer, got ${String(seed)}`);
  if (stratify !== undefined) {
    if (!isTensor(stratify, op)) throw new NablaError(op, "stratify must be a Tensor of one label per row");
    if (stratify.ndim !== 1 || stratify.shape[0] !== n) {
      throw new NablaError(op, `stratify must have shape [${n}] (one label per row), got ${formatShape(stratify.shape)}`);
    }
  }
  const testSize = Math.ceil(testFraction * n);
  if (testSize >= n) {
    throw new NablaError(op, `testFraction ${testFraction} of ${n} rows puts all ${testSize} in the test set, leaving none to train on`);
  }

  const generator = seed === undefined ? undefined : new Generator(seed);
  if (stratify === undefined) {
    const order = permutation(n, generator);
    return { train: tensor(order.slice(testSize)), test: tensor(order.slice(0, testSize)) };
  }

  const classes = groupRowsByClass(stratify);
  const testCounts = stratifiedTestCounts(
    classes.map((rows) => rows.length),
    testSize,
    n,
  );
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((rows, c) => {
    const order = permutation(rows.length, generator);
    order.forEach((position, k) => {
      (k < testCounts[c]! ? test : train).push(rows[position]!);
    });
  });
  // Shuffle each side as a whole, so neither comes out grouped by class.
  return { train: tensor(shuffled(train, generator)), test: tensor(shuffled(test, generator)) };
}

/** Row indices of each distinct label, classes in ascending label order, rows in ascending order. */
function groupRowsByClass(labels: Tensor): number[][] {
  const rowsByLabel = new Map<number, number[]>();
  labels.data().forEach((label, row) => {
    const rows = rowsByLabel.get(label);
    if (rows === undefined) rowsByLabel.set(label, [row]);
    else rows.push(row);
  });
  return [...rowsByLabel.entries()].sort(([a], [b]) => a - b).map(([, rows]) => rows);
}

/** How many rows of each class go to the test side (the rule in `trainTestSplit`'s comment). */
function stratifiedTestCounts(classSizes: number[], testSize: number, n: number): number[] {
  const owed = classSizes.map((size) => (size * testSize) / n);
  const counts = owed.map(Math.floor);
  let missing = testSize - counts.reduce((sum, count) => sum + count, 0);
  const byRemainder = owed.map((share, c) => ({ c, remainder: share - counts[c]! })).sort((a, b) => b.remainder - a.remainder || a.c - b.c);
  for (const { c } of byRemainder) {
    if (missing === 0) break;
    counts[c]!++;
    missing--;
  }
  return counts.map((count, c) => {
    const size = classSizes[c]!;
    return size < 2 ? 0 : Math.min(Math.max(count, 1), size - 1);
  });
}

function shuffled(values: number[], generator: Generator | undefined): Int32Array {
  const order = permutation(values.length, generator);
  return order.map((position) => values[position]!);
}

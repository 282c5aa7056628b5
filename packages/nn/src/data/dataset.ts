import { formatShape, isTensor, NablaError, select, type Tensor } from "@nabla/tensor/functional";

/**
 * Rows of several tensors that share their first dimension (features and labels, say); row `i`
 * is the `i`-th slice of each. As PyTorch's `TensorDataset`. Throws when given no tensor, a 0-d
 * tensor, or first dimensions that differ.
 *
 * @example
 * ```ts
 * const dataset = new TensorDataset(arange(6).reshape([3, 2]), tensor([0, 1, 0], { dtype: "int32" }));
 * dataset.length;        // → 3
 * dataset.get(1);        // → [[2, 3], 1]
 * dataset.get(-1);       // → [[4, 5], 0]
 * new TensorDataset(zeros([3, 2]), zeros([4])); // throws TensorDataset: tensors must have the same size in dimension 0, got shapes [3, 2], [4]
 * ```
 */
export class TensorDataset {
  /** The tensors, as given (not copied). */
  readonly tensors: readonly Tensor[];

  constructor(...tensors: Tensor[]) {
    const op = "TensorDataset";
    if (tensors.length === 0) throw new NablaError(op, "expected at least one tensor");
    tensors.forEach((t, i) => {
      if (!isTensor(t, op)) throw new NablaError(op, `argument ${i} is not a Tensor`);
      if (t.ndim === 0) throw new NablaError(op, `tensor ${i} is 0-d; every tensor needs a first dimension to index rows`);
    });
    const rows = tensors[0]!.shape[0]!;
    if (tensors.some((t) => t.shape[0] !== rows)) {
      const shapes = tensors.map((t) => formatShape(t.shape)).join(", ");
      throw new NablaError(op, `tensors must have the same size in dimension 0, got shapes ${shapes}`);
    }
    this.tensors = tensors;
  }

  /** The number of rows. */
  get length(): number {
    return this.tensors[0]!.shape[0]!;
  }

  /**
   * Row `index` of every tensor, as views (a negative index counts from the end, as Python); an
   * index out of range throws.
   */
  get(index: number): Tensor[] {
    const length = this.length;
    if (!Number.isInteger(index) || index < -length || index >= length) {
      throw new NablaError("TensorDataset.get", `index ${index} is out of range for ${length} rows`);
    }
    return this.tensors.map((t) => select(t, 0, index));
  }
}

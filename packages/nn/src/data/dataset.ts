import { NablaError, Tensor, formatShape, isTensor } from "@nabla/tensor";

/**
 * Rows of several tensors that share their first dimension (features and labels, say); row `i`
 * is the `i`-th slice of each. As PyTorch's `TensorDataset`.
 *
 * @example
 * const dataset = new TensorDataset(features, labels); // [150, 4] and [150]
 * const [x, y] = dataset.get(0);                      // [4] and []
 */
export class TensorDataset {
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

  /** Row `index` of every tensor, as views (a negative index counts from the end, as Python). */
  get(index: number): Tensor[] {
    const length = this.length;
    if (!Number.isInteger(index) || index < -length || index >= length) {
      throw new NablaError("TensorDataset.get", `index ${index} is out of range for ${length} rows`);
    }
    return this.tensors.map((t) => t.select(0, index));
  }
}

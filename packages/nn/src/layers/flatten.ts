import { flatten, formatShape, NablaError, normalizeDim, reshape, type Tensor } from "@nabla/tensor/functional";
import { checkInteger, checkIntegers, checkTensor } from "@nabla/tensor/internal";
import { Module } from "../module";

/**
 * Flattens dimensions `startDim` … `endDim` (inclusive, negative counts from the end) into one, as
 * PyTorch's `nn.Flatten(start_dim=1, end_dim=-1)`: by default all but the batch dimension. A view
 * when the strides allow.
 *
 * @example
 * ```ts
 * new Flatten().forward(zeros([2, 3, 4])).shape;     // → [2, 12]
 * new Flatten(0).forward(zeros([2, 3, 4])).shape;    // → [24]
 * new Flatten(0, 1).forward(zeros([2, 3, 4])).shape; // → [6, 4]
 * ```
 */
export class Flatten extends Module {
  /** The first dimension flattened (default 1). */
  readonly startDim: number;
  /** The last dimension flattened, inclusive (default -1). */
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = checkInteger("Flatten", "startDim", startDim);
    this.endDim = checkInteger("Flatten", "endDim", endDim);
  }

  /** `input.flatten(startDim, endDim)`. */
  forward(input: Tensor): Tensor {
    return flatten(checkTensor("Flatten", "input", input), this.startDim, this.endDim);
  }

  /** `start_dim=…, end_dim=…`, as PyTorch prints a Flatten. */
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/**
 * Expands dimension `dim` into `sizes`, as PyTorch's `nn.Unflatten(dim, unflattened_size)`: the
 * inverse of `Flatten`. The sizes must multiply to the size of `dim` (one of them may be -1, inferred).
 * A view when the strides allow.
 *
 * @example
 * ```ts
 * new Unflatten(1, [2, 3]).forward(zeros([4, 6])).shape;  // → [4, 2, 3]
 * new Unflatten(-1, [-1, 2]).forward(zeros([4, 6])).shape; // → [4, 3, 2]
 * new Unflatten(1, [2, 3]).toString();                     // → "Unflatten(dim=1, unflattened_size=(2, 3))"
 * new Unflatten(1, [4, 2]).forward(zeros([4, 6]));         // throws Unflatten: sizes [4, 2] do not fill dim 1 of input [4, 6] (size 6)
 * ```
 */
export class Unflatten extends Module {
  /** The dimension expanded. */
  readonly dim: number;
  /** The sizes it is expanded into. */
  readonly sizes: readonly number[];

  constructor(dim: number, sizes: readonly number[]) {
    super();
    this.dim = checkInteger("Unflatten", "dim", dim);
    checkIntegers("Unflatten", "sizes", sizes);
    if (sizes.length === 0 || sizes.some((size) => size < -1) || sizes.filter((size) => size === -1).length > 1) {
      throw new NablaError("Unflatten", `sizes must be a non-empty list of sizes with at most one -1, got [${sizes.join(", ")}]`);
    }
    this.sizes = [...sizes];
  }

  /** The input with dim `dim` replaced by `sizes`. */
  forward(input: Tensor): Tensor {
    checkTensor("Unflatten", "input", input);
    const d = normalizeDim("Unflatten", this.dim, input.ndim);
    const size = input.shape[d] ?? 1;
    const known = this.sizes.reduce((product, s) => (s === -1 ? product : product * s), 1);
    const inferred = this.sizes.includes(-1);
    if (inferred ? known === 0 || size % known !== 0 : known !== size) {
      throw new NablaError(
        "Unflatten",
        `sizes [${this.sizes.join(", ")}] do not fill dim ${this.dim} of input ${formatShape(input.shape)} (size ${size})`,
      );
    }
    const sizes = this.sizes.map((s) => (s === -1 ? size / known : s));
    return reshape(input, [...input.shape.slice(0, d), ...sizes, ...input.shape.slice(d + 1)]);
  }

  /** `dim=…, unflattened_size=(…)`, as PyTorch prints an Unflatten. */
  override extraRepr(): string {
    const sizes = this.sizes.length === 1 ? `(${this.sizes[0]},)` : `(${this.sizes.join(", ")})`;
    return `dim=${this.dim}, unflattened_size=${sizes}`;
  }
}

import type { Tensor } from "@nabla/tensor";
import { checkInteger, checkTensor } from "@nabla/tensor/internal";
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
    return checkTensor("Flatten", "input", input).flatten(this.startDim, this.endDim);
  }

  /** `start_dim=…, end_dim=…`, as PyTorch prints a Flatten. */
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

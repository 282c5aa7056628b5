import type { Tensor } from "@nabla/tensor/functional";
import { logSoftmax, softmax } from "@nabla/ops/functional";
import { checkInteger } from "@nabla/tensor/internal";
import { Module } from "../module";

/**
 * Softmax along `dim` (default the last), as PyTorch's `nn.Softmax(dim)`: `softmax(input, dim)`.
 *
 * @example
 * ```ts
 * new Softmax(1).forward(tensor([[0, 0], [0, Math.log(3)]])); // → [[0.5, 0.5], [0.25, 0.75]]
 * new Softmax(1).toString();                                  // → "Softmax(dim=1)"
 * ```
 */
export class Softmax extends Module {
  /** The dim the probabilities sum to 1 along. */
  readonly dim: number;

  constructor(dim = -1) {
    super();
    this.dim = checkInteger("Softmax", "dim", dim);
  }

  /** `softmax(input, dim)`. */
  forward(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }

  /** `dim=…`, as PyTorch prints a Softmax. */
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/**
 * Log-softmax along `dim` (default the last), as PyTorch's `nn.LogSoftmax(dim)`:
 * `logSoftmax(input, dim)`.
 *
 * @example
 * ```ts
 * new LogSoftmax(-1).forward(tensor([0, 0])); // → [-0.6931, -0.6931]
 * new LogSoftmax(1).toString();               // → "LogSoftmax(dim=1)"
 * ```
 */
export class LogSoftmax extends Module {
  /** The dim normalised along. */
  readonly dim: number;

  constructor(dim = -1) {
    super();
    this.dim = checkInteger("LogSoftmax", "dim", dim);
  }

  /** `logSoftmax(input, dim)`. */
  forward(input: Tensor): Tensor {
    return logSoftmax(input, this.dim);
  }

  /** `dim=…`, as PyTorch prints a LogSoftmax. */
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

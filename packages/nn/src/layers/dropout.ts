import { NablaError, type Tensor } from "@nabla/tensor/functional";
import { dropout } from "@nabla/ops/functional";
import { describeValue } from "@nabla/tensor/internal";
import { Module } from "../module";
import { pythonFloat } from "../repr";

/**
 * Inverted dropout, as PyTorch's `nn.Dropout(p = 0.5)`: in training, zeroes each element with
 * probability `p` and scales the survivors by 1/(1 − p), so the expected output equals the input and
 * evaluation needs no rescaling; after `eval()` it returns its input unchanged. Masks come from the
 * global generator, so `manualSeed` makes them reproducible (nabla's own draws, not PyTorch's masks
 * for the same seed). `p` outside [0, 1] throws, and so does
 * a non-float input (from `dropout`).
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const layer = new Dropout(0.5);
 * layer.forward(ones([8]));          // → [0, 2, 0, 0, 0, 2, 0, 2]
 * layer.eval().forward(ones([4]));   // → [1, 1, 1, 1]
 * new Dropout(1.5);                  // throws Dropout: p must be a probability in [0, 1], got 1.5
 * ```
 */
export class Dropout extends Module {
  /** The probability of zeroing an element. */
  readonly p: number;

  constructor(p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new NablaError("Dropout", `p must be a probability in [0, 1], got ${describeValue(p)}`);
    this.p = p;
  }

  /**
   * `dropout(input, p, training)`: the input with a fresh random mask applied in training; the input
   * itself in eval mode or when p = 0.
   */
  forward(input: Tensor): Tensor {
    return dropout(input, this.p, this.training);
  }

  /** `p=…, inplace=False`, as PyTorch prints a Dropout. */
  override extraRepr(): string {
    return `p=${pythonFloat(this.p)}, inplace=False`;
  }
}

import { Module } from "@nabla/nn";
import { NablaError, type Tensor } from "@nabla/tensor";
import { crossEntropy } from "@nabla/ops";
import { IGNORE } from "../data";

/** The sizes every model is built from, as makemore's `ModelConfig`. */
export interface ModelConfig {
  /** The length of the input sequences. */
  blockSize: number;
  /** Token indices run from 0 to vocabSize − 1. */
  vocabSize: number;
  nLayer: number;
  nEmbd: number;
  nEmbd2: number;
  nHead: number;
}

/**
 * An autoregressive model over token indices: `forward(idx)` maps int32 `[B, T]` to the logits
 * `[B, T, vocabSize]` of the token after each position, seeing only that position and those before.
 */
export abstract class LanguageModel extends Module {
  /** The longest context the model reads; `generate` crops to it. */
  readonly blockSize: number;

  constructor(blockSize: number) {
    super();
    this.blockSize = blockSize;
  }

  abstract override forward(idx: Tensor): Tensor;

  /** The length T of `idx` `[B, T]`, once checked against the block size (`name` heads the error). */
  protected sequenceLength(name: string, idx: Tensor): number {
    const t = idx.shape[1]!;
    if (t > this.blockSize) throw new NablaError(name, `cannot read ${t} tokens: the block size is ${this.blockSize}`);
    return t;
  }
}

/** The cross-entropy (mean or sum) of the logits `[B, T, V]` against the targets `[B, T]`, skipping the −1 targets. */
export function languageModelLoss(logits: Tensor, targets: Tensor, reduction: "mean" | "sum" = "mean"): Tensor {
  return crossEntropy(logits.reshape([-1, logits.shape.at(-1)!]), targets.reshape([-1]), { ignoreIndex: IGNORE, reduction });
}

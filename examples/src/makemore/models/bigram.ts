import { embedding } from "@nabla/ops";
import { type Tensor, zeros } from "@nabla/tensor";
import { LanguageModel, type ModelConfig } from "./language-model";

/** A lookup table of logits for the next character given the previous one (makemore's `Bigram`). */
export class Bigram extends LanguageModel {
  logits: Tensor;

  constructor(config: ModelConfig) {
    super(1);
    this.logits = this.registerParameter("logits", zeros([config.vocabSize, config.vocabSize]));
  }

  forward(idx: Tensor): Tensor {
    return embedding(idx, this.logits); // the rows logits[idx], as makemore's self.logits[idx]
  }
}

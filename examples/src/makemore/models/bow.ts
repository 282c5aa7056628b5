import { Embedding, Linear, Module } from "@nabla/nn";
import { softmax } from "@nabla/ops";
import { type Tensor, arange, ones, zeros } from "@nabla/tensor";
import { LanguageModel, type ModelConfig } from "./language-model";

/**
 * makemore's `CausalBoW`: each position gets the average of itself and the positions before it,
 * as causal attention with equal scores would.
 */
export class CausalBoW extends Module {
  /** The lower-triangular mask `[1, blockSize, blockSize]` (a buffer, as makemore's `bias`). */
  bias: Tensor;

  constructor(config: ModelConfig) {
    super();
    this.bias = this.registerBuffer(
      "bias",
      ones([config.blockSize, config.blockSize]).tril().view([1, config.blockSize, config.blockSize]),
    );
  }

  forward(x: Tensor): Tensor {
    const [b, t] = x.shape as [number, number, number];
    const mask = this.bias.narrow(1, 0, t).narrow(2, 0, t).eq(0);
    const att = softmax(zeros([b, t, t]).maskedFill(mask, -Infinity), -1);
    return att.matmul(x); // [b, t, t] × [b, t, C] → [b, t, C]
  }
}

class BoWMlp extends Module {
  c_fc: Linear;
  c_proj: Linear;

  constructor(config: ModelConfig) {
    super();
    this.c_fc = new Linear(config.nEmbd, config.nEmbd2);
    this.c_proj = new Linear(config.nEmbd2, config.nEmbd);
  }

  forward(x: Tensor): Tensor {
    return this.c_proj.forward(this.c_fc.forward(x).tanh());
  }
}

/** makemore's `BoWBlock`: the causal average, then a tanh MLP, each added to its input. */
export class BoWBlock extends Module {
  cbow: CausalBoW;
  mlp: BoWMlp;

  constructor(config: ModelConfig) {
    super();
    this.cbow = new CausalBoW(config);
    this.mlp = new BoWMlp(config);
  }

  forward(x: Tensor): Tensor {
    const y = x.add(this.cbow.forward(x));
    return y.add(this.mlp.forward(y));
  }
}

/** makemore's `BoW`: token and position embeddings, one `BoWBlock`, a linear head. */
export class BoW extends LanguageModel {
  wte: Embedding;
  wpe: Embedding;
  context_block: BoWBlock;
  lm_head: Linear;

  constructor(config: ModelConfig) {
    super(config.blockSize);
    this.wte = new Embedding(config.vocabSize, config.nEmbd);
    this.wpe = new Embedding(config.blockSize, config.nEmbd);
    this.context_block = new BoWBlock(config);
    this.lm_head = new Linear(config.nEmbd, config.vocabSize);
  }

  forward(idx: Tensor): Tensor {
    const t = this.sequenceLength("BoW", idx);
    const pos = arange(0, t, 1, { dtype: "int32" }).unsqueeze(0); // [1, t]
    const x = this.wte.forward(idx).add(this.wpe.forward(pos));
    return this.lm_head.forward(this.context_block.forward(x));
  }
}

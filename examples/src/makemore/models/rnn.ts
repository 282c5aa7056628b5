import { Embedding, Linear, Module } from "@nabla/nn";
import { type Tensor, cat, stack, zeros } from "@nabla/tensor";
import { LanguageModel, type ModelConfig } from "./language-model";

/** hₜ = tanh(W [xₜ, hₜ₋₁] + b) (makemore's `RNNCell`). */
export class RNNCell extends Module {
  xh_to_h: Linear;

  constructor(config: ModelConfig) {
    super();
    this.xh_to_h = new Linear(config.nEmbd + config.nEmbd2, config.nEmbd2);
  }

  forward(xt: Tensor, hprev: Tensor): Tensor {
    return this.xh_to_h.forward(cat([xt, hprev], 1)).tanh();
  }
}

/**
 * makemore's `GRUCell`: a reset gate r wipes channels of the previous state before the candidate
 * h̄ is computed from it, and an update gate z blends: hₜ = (1 − z) hₜ₋₁ + z h̄.
 */
export class GRUCell extends Module {
  xh_to_z: Linear;
  xh_to_r: Linear;
  xh_to_hbar: Linear;

  constructor(config: ModelConfig) {
    super();
    const inFeatures = config.nEmbd + config.nEmbd2;
    this.xh_to_z = new Linear(inFeatures, config.nEmbd2);
    this.xh_to_r = new Linear(inFeatures, config.nEmbd2);
    this.xh_to_hbar = new Linear(inFeatures, config.nEmbd2);
  }

  forward(xt: Tensor, hprev: Tensor): Tensor {
    const xh = cat([xt, hprev], 1);
    const r = this.xh_to_r.forward(xh).sigmoid();
    const hbar = this.xh_to_hbar.forward(cat([xt, r.mul(hprev)], 1)).tanh();
    const z = this.xh_to_z.forward(xh).sigmoid();
    // (1 − z) hₜ₋₁ + z h̄ = hₜ₋₁ + z (h̄ − hₜ₋₁)
    return hprev.add(z.mul(hbar.sub(hprev)));
  }
}

/** makemore's `RNN`: a learned start state, token embeddings, a cell stepped along the sequence, a linear head. */
export class RNN extends LanguageModel {
  start: Tensor;
  wte: Embedding;
  cell: RNNCell | GRUCell;
  lm_head: Linear;

  constructor(config: ModelConfig, cellType: "rnn" | "gru") {
    super(config.blockSize);
    this.start = this.registerParameter("start", zeros([1, config.nEmbd2]));
    this.wte = new Embedding(config.vocabSize, config.nEmbd);
    this.cell = cellType === "rnn" ? new RNNCell(config) : new GRUCell(config);
    this.lm_head = new Linear(config.nEmbd2, config.vocabSize);
  }

  forward(idx: Tensor): Tensor {
    const [b, t] = idx.shape as [number, number];
    const emb = this.wte.forward(idx); // [b, t, nEmbd], all at once
    let h = this.start.expand([b, -1]);
    const hiddens: Tensor[] = [];
    for (let i = 0; i < t; i++) {
      h = this.cell.forward(emb.select(1, i), h);
      hiddens.push(h);
    }
    return this.lm_head.forward(stack(hiddens, 1)); // [b, t, nEmbd2] → [b, t, vocabSize]
  }
}

import { Embedding, Linear, Sequential, Tanh } from "@nabla/nn";
import { type Tensor, cat, full } from "@nabla/tensor";
import { LanguageModel, type ModelConfig } from "./language-model";

/**
 * makemore's `MLP` (Bengio et al. 2003): the embeddings of the previous `blockSize` tokens,
 * concatenated, through a tanh hidden layer. Positions before the start read an extra <BLANK>
 * token, index `vocabSize`.
 */
export class MLP extends LanguageModel {
  readonly #vocabSize: number;
  wte: Embedding;
  mlp: Sequential;

  constructor(config: ModelConfig) {
    super(config.blockSize);
    this.#vocabSize = config.vocabSize;
    this.wte = new Embedding(config.vocabSize + 1, config.nEmbd);
    this.mlp = new Sequential(
      new Linear(config.blockSize * config.nEmbd, config.nEmbd2),
      new Tanh(),
      new Linear(config.nEmbd2, config.vocabSize),
    );
  }

  forward(idx: Tensor): Tensor {
    const b = idx.shape[0]!;
    const t = this.sequenceLength("MLP", idx);
    // Embedding k is that of the token k places back: idx shifted right by k, <BLANK> coming in.
    // Shifting a padded row is makemore's repeated roll-and-blank.
    const blanks = full([b, this.blockSize], this.#vocabSize, { dtype: "int32" });
    const padded = this.wte.forward(cat([blanks, idx], 1)); // [b, blockSize + t, nEmbd]
    const embeddings: Tensor[] = [];
    for (let k = 0; k < this.blockSize; k++) embeddings.push(padded.narrow(1, this.blockSize - k, t));
    return this.mlp.forward(cat(embeddings, -1)); // [b, t, blockSize · nEmbd] → [b, t, vocabSize]
  }
}

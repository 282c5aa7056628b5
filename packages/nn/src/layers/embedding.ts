import { fill_, NablaError, noGrad, select, type Tensor, zeros } from "@nabla/tensor/functional";
import { embedding } from "@nabla/ops/functional";
import { checkInteger, checkOptions } from "@nabla/tensor/internal";
import { normal_ } from "../init";
import { Module } from "../module";
import { checkDType } from "./checks";

/** Options of `Embedding`, as PyTorch's keywords (camelCase). */
export interface EmbeddingModuleOptions {
  /** The row that stands for padding: zero at initialisation and never updated by gradients (negative counts from the end). */
  paddingIdx?: number | null;
  /** The weight's dtype (default float32). */
  dtype?: "float32" | "float64";
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, as PyTorch's
 * `nn.Embedding(num_embeddings, embedding_dim, padding_idx=None)`: `embedding(input, weight)` maps
 * int32 indices of any shape to `[...input.shape, embeddingDim]`. `weight` `[numEmbeddings,
 * embeddingDim]` is drawn from N(0, 1) (the global generator, so `manualSeed` repeats it), with the
 * `paddingIdx` row zeroed; that row gets no gradient.
 *
 * @example
 * ```ts
 * const layer = new Embedding(10, 3, { paddingIdx: 0 });
 * layer.weight.shape;                                              // → [10, 3]
 * layer.forward(tensor([[0, 2], [4, 9]], { dtype: "int32" })).shape; // → [2, 2, 3]
 * layer.forward(tensor([0], { dtype: "int32" }));                  // → [[0, 0, 0]]
 * layer.toString();                                                // → "Embedding(10, 3, padding_idx=0)"
 * ```
 */
export class Embedding extends Module {
  /** The number of rows of the table. */
  readonly numEmbeddings: number;
  /** The size of each vector. */
  readonly embeddingDim: number;
  /** The padding row (normalised to a non-negative index), or null. */
  readonly paddingIdx: number | null;
  /** The table `[numEmbeddings, embeddingDim]`. */
  weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingModuleOptions = {}) {
    super();
    const op = "Embedding";
    this.numEmbeddings = checkInteger(op, "numEmbeddings", numEmbeddings, { min: 0 });
    this.embeddingDim = checkInteger(op, "embeddingDim", embeddingDim, { min: 0 });
    const { paddingIdx = null, dtype = "float32" } = checkOptions(op, options);
    checkDType(op, dtype);
    if (paddingIdx !== null) {
      checkInteger(op, "paddingIdx", paddingIdx);
      if (paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
        throw new NablaError(op, `paddingIdx ${paddingIdx} must be within numEmbeddings (${numEmbeddings})`);
      }
    }
    this.paddingIdx = paddingIdx === null || paddingIdx >= 0 ? paddingIdx : paddingIdx + numEmbeddings;
    const weight = normal_(zeros([numEmbeddings, embeddingDim], { dtype }));
    if (this.paddingIdx !== null) noGrad(() => fill_(select(weight, 0, this.paddingIdx!), 0));
    this.weight = this.registerParameter("weight", weight);
  }

  /** `embedding(input, weight, { paddingIdx })` of int32 indices in [0, numEmbeddings). */
  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  /** `V, D` and `padding_idx=…` when set, as PyTorch prints an Embedding. */
  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? "" : `, padding_idx=${this.paddingIdx}`}`;
  }
}

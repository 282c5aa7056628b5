import { Embedding, LayerNorm, Linear, Module, ModuleList } from "@nabla/nn";
import { attentionWeights, scaledDotProductAttention } from "@nabla/ops";
import { NablaError, type Tensor, arange, gelu, ones } from "@nabla/tensor";
import { LanguageModel, type ModelConfig } from "./language-model";

/**
 * makemore's `CausalSelfAttention`: one linear layer makes the queries, keys and
 * values of every head, each position attends to itself and the positions before it, and a
 * linear layer projects the heads' outputs, side by side, back to `nEmbd`.
 */
export class CausalSelfAttention extends Module {
  readonly nHead: number;
  readonly nEmbd: number;
  c_attn: Linear;
  c_proj: Linear;
  /** The lower-triangular mask `[1, 1, blockSize, blockSize]` (a buffer, as makemore's). */
  bias: Tensor;

  constructor(config: ModelConfig) {
    super();
    if (config.nEmbd % config.nHead !== 0) {
      throw new NablaError("CausalSelfAttention", `nEmbd ${config.nEmbd} must be a multiple of nHead ${config.nHead}`);
    }
    this.nHead = config.nHead;
    this.nEmbd = config.nEmbd;
    this.c_attn = new Linear(config.nEmbd, 3 * config.nEmbd);
    this.c_proj = new Linear(config.nEmbd, config.nEmbd);
    const size = config.blockSize;
    this.bias = this.registerBuffer("bias", ones([size, size]).tril().view([1, 1, size, size]));
  }

  /** `attention`, when given, receives the attention weights `[b, nHead, t, t]` (query, key). */
  forward(x: Tensor, attention?: Tensor[]): Tensor {
    const [b, t, c] = x.shape as [number, number, number];
    const headSize = c / this.nHead;
    // [b, t, c] → [b, nHead, t, headSize]: the heads become a batch dimension
    const heads = (projection: Tensor) => projection.view([b, t, this.nHead, headSize]).transpose(1, 2);
    const [q, k, v] = this.c_attn.forward(x).split(this.nEmbd, 2).map(heads) as [Tensor, Tensor, Tensor];
    // softmax(q kᵀ / √headSize) v, each position seeing those the mask's ones mark
    const past = this.bias.narrow(2, 0, t).narrow(3, 0, t).ne(0);
    // the fused op keeps its weights to itself: they are computed again only when asked for
    attention?.push(attentionWeights(q, k, { attnMask: past }));
    const y = scaledDotProductAttention(q, k, v, { attnMask: past }).transpose(1, 2).contiguous().view([b, t, c]);
    return this.c_proj.forward(y);
  }
}

/** The block's MLP: `nEmbd → 4·nEmbd`, GELU (the tanh form, GPT-2's), back to `nEmbd`. */
class BlockMlp extends Module {
  c_fc: Linear;
  c_proj: Linear;

  constructor(config: ModelConfig) {
    super();
    this.c_fc = new Linear(config.nEmbd, 4 * config.nEmbd);
    this.c_proj = new Linear(4 * config.nEmbd, config.nEmbd);
  }

  forward(x: Tensor): Tensor {
    return this.c_proj.forward(gelu(this.c_fc.forward(x), { approximate: "tanh" }));
  }
}

/** makemore's `Block`: pre-norm attention and MLP, each added to its input. */
export class Block extends Module {
  ln_1: LayerNorm;
  attn: CausalSelfAttention;
  ln_2: LayerNorm;
  mlp: BlockMlp;

  constructor(config: ModelConfig) {
    super();
    this.ln_1 = new LayerNorm(config.nEmbd);
    this.attn = new CausalSelfAttention(config);
    this.ln_2 = new LayerNorm(config.nEmbd);
    this.mlp = new BlockMlp(config);
  }

  forward(x: Tensor, attention?: Tensor[]): Tensor {
    const y = x.add(this.attn.forward(this.ln_1.forward(x), attention));
    return y.add(this.mlp.forward(this.ln_2.forward(y)));
  }
}

/** The body of the GPT (makemore's `transformer` ModuleDict), so the parameter names are makemore's. */
class TransformerBody extends Module {
  wte: Embedding;
  wpe: Embedding;
  h: ModuleList<Block>;
  ln_f: LayerNorm;

  constructor(config: ModelConfig) {
    super();
    this.wte = new Embedding(config.vocabSize, config.nEmbd);
    this.wpe = new Embedding(config.blockSize, config.nEmbd);
    this.h = new ModuleList(Array.from({ length: config.nLayer }, () => new Block(config)));
    this.ln_f = new LayerNorm(config.nEmbd);
  }

  forward(): Tensor {
    throw new NablaError("Transformer", "the body is run by Transformer.forward");
  }
}

/** makemore's `Transformer`, GPT-2's architecture: embeddings, `nLayer` blocks, a final LayerNorm, a linear head without bias. */
export class Transformer extends LanguageModel {
  transformer: TransformerBody;
  lm_head: Linear;

  constructor(config: ModelConfig) {
    super(config.blockSize);
    this.transformer = new TransformerBody(config);
    this.lm_head = new Linear(config.nEmbd, config.vocabSize, { bias: false });
  }

  /**
   * The logits `[B, T, vocabSize]` for `idx` `[B, T]`. `attention`, when given, receives each
   * layer's attention weights `[B, nHead, T, T]` (query position, key position), first layer first.
   */
  forward(idx: Tensor, attention?: Tensor[]): Tensor {
    const t = this.sequenceLength("Transformer", idx);
    const { wte, wpe, h, ln_f } = this.transformer;
    const pos = arange(0, t, 1, { dtype: "int32" }).unsqueeze(0); // [1, t]
    let x = wte.forward(idx).add(wpe.forward(pos));
    for (const block of h) x = block.forward(x, attention);
    return this.lm_head.forward(ln_f.forward(x));
  }
}

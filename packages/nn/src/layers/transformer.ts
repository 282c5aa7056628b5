import { add, NablaError, noGrad, relu, type Tensor } from "@nabla/tensor/functional";
import { checkBoolean, checkInteger, checkNumber, checkOptions, checkTensor, describeValue } from "@nabla/tensor/internal";
import { Module } from "../module";
import { GELU } from "./activation";
import { MultiheadAttention } from "./attention";
import { ModuleList } from "./containers";
import { Dropout } from "./dropout";
import { Linear } from "./linear";
import { LayerNorm } from "./norm";

/** Options of `TransformerEncoderLayer`, as PyTorch's keywords (camelCase). */
export interface TransformerEncoderLayerOptions {
  /** The hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** The dropout probability of the attention weights and of the three Dropout children (default 0.1). */
  dropout?: number;
  /** The feed-forward block's activation (default "relu"). */
  activation?: "relu" | "gelu";
  /** The LayerNorms' eps (default 1e-5). */
  layerNormEps?: number;
  /** Inputs and outputs are `(N, L, E)` rather than `(L, N, E)` (default false). */
  batchFirst?: boolean;
  /** Normalise before the attention and feed-forward blocks (pre-norm) rather than after (default false). */
  normFirst?: boolean;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: "float32" | "float64";
}

/** Options of `TransformerEncoderLayer.forward`, as PyTorch's keywords (camelCase). */
export interface TransformerEncoderLayerForwardOptions {
  /** The self-attention's `attnMask`: `(L, L)` or `(N·nhead, L, L)`; bool true marks what may NOT be attended. */
  srcMask?: Tensor | null;
  /** The self-attention's `keyPaddingMask`: `(N, L)`; bool true marks padding. */
  srcKeyPaddingMask?: Tensor | null;
  /** Position i attends to positions 0…i (the causal mask, or a hint that `srcMask` is it). */
  isCausal?: boolean;
}

/** Options of `TransformerEncoder`. */
export interface TransformerEncoderOptions {
  /** A module applied to the last layer's output (a LayerNorm, typically); none by default. */
  norm?: Module | null;
}

/** Options of `TransformerEncoder.forward`, as PyTorch's keywords (camelCase). */
export interface TransformerEncoderForwardOptions {
  /** Every layer's `srcMask`. */
  mask?: Tensor | null;
  /** Every layer's `srcKeyPaddingMask`. */
  srcKeyPaddingMask?: Tensor | null;
  /** Every layer's `isCausal`. */
  isCausal?: boolean;
}

/**
 * One layer of a Transformer encoder, as PyTorch's `nn.TransformerEncoderLayer(d_model, nhead,
 * dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5, batch_first=False,
 * norm_first=False)`: self-attention then a feed-forward block, each added to its input, with
 * LayerNorm after each sum (post-norm, the default) or before each block (`normFirst`):
 * - post-norm: `x = norm1(x + sa(x))`, `x = norm2(x + ff(x))`
 * - pre-norm: `x = x + sa(norm1(x))`, `x = x + ff(norm2(x))`
 *
 * where `sa` is `self_attn` (a MultiheadAttention) followed by `dropout1`, and `ff` is
 * `linear2(dropout(activation(linear1(x))))` followed by `dropout2`. The children have PyTorch's
 * names, so a PyTorch state dict loads with `loadStateDict`.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
 * layer.forward(randn([4, 5, 8])).shape; // → [4, 5, 8]
 * layer.namedChildren().map(([name]) => name); // → ["self_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "dropout1", "dropout2"]
 * layer.eval().forward(randn([4, 5, 8]), { isCausal: true }).shape; // → [4, 5, 8]
 * new TransformerEncoderLayer(8, 3); // throws MultiheadAttention: embedDim 8 must be divisible by numHeads 3
 * ```
 */
export class TransformerEncoderLayer extends Module {
  /** The size of each position's features. */
  readonly dModel: number;
  /** The number of attention heads. */
  readonly nhead: number;
  /** The hidden size of the feed-forward block. */
  readonly dimFeedforward: number;
  /** The feed-forward block's activation. */
  readonly activation: "relu" | "gelu";
  /** Whether LayerNorm comes before each block. */
  readonly normFirst: boolean;
  /** Whether inputs and outputs are `(N, L, E)`. */
  readonly batchFirst: boolean;
  /** The self-attention. */
  self_attn: MultiheadAttention;
  /** The feed-forward block's first layer, `dModel → dimFeedforward`. */
  linear1: Linear;
  /** The dropout inside the feed-forward block. */
  dropout: Dropout;
  /** The feed-forward block's second layer, `dimFeedforward → dModel`. */
  linear2: Linear;
  /** The LayerNorm of the attention block. */
  norm1: LayerNorm;
  /** The LayerNorm of the feed-forward block. */
  norm2: LayerNorm;
  /** The dropout after the attention block. */
  dropout1: Dropout;
  /** The dropout after the feed-forward block. */
  dropout2: Dropout;
  readonly #options: TransformerEncoderLayerOptions;
  readonly #activate: (x: Tensor) => Tensor;

  constructor(dModel: number, nhead: number, options: TransformerEncoderLayerOptions = {}) {
    super();
    const op = "TransformerEncoderLayer";
    this.dModel = checkInteger(op, "dModel", dModel, { min: 1 });
    this.nhead = checkInteger(op, "nhead", nhead, { min: 1 });
    const {
      dimFeedforward = 2048,
      dropout = 0.1,
      activation = "relu",
      layerNormEps = 1e-5,
      batchFirst = false,
      normFirst = false,
      dtype = "float32",
    } = checkOptions(op, options);
    this.dimFeedforward = checkInteger(op, "dimFeedforward", dimFeedforward, { min: 1 });
    checkNumber(op, "dropout", dropout);
    checkNumber(op, "layerNormEps", layerNormEps);
    if (activation !== "relu" && activation !== "gelu") {
      throw new NablaError(op, `activation must be "relu" or "gelu", got ${describeValue(activation)}`);
    }
    this.activation = activation;
    this.normFirst = checkBoolean(op, "normFirst", normFirst);
    this.batchFirst = checkBoolean(op, "batchFirst", batchFirst);
    this.#options = { dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, dtype };
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout, batchFirst, dtype });
    this.linear1 = new Linear(dModel, dimFeedforward, { dtype });
    this.dropout = new Dropout(dropout);
    this.linear2 = new Linear(dimFeedforward, dModel, { dtype });
    this.norm1 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.norm2 = new LayerNorm(dModel, { eps: layerNormEps, dtype });
    this.dropout1 = new Dropout(dropout);
    this.dropout2 = new Dropout(dropout);
    // a function, not a child: PyTorch's repr does not list it
    const gelu = new GELU();
    this.#activate = activation === "gelu" ? (x) => gelu.forward(x) : (x) => relu(x);
  }

  /**
   * The layer applied to `src` `(L, N, E)` (`(N, L, E)` with `batchFirst`, `(L, E)` unbatched);
   * the output has its shape. `srcMask` and `srcKeyPaddingMask` are the self-attention's
   * `attnMask` and `keyPaddingMask` (bool true marks what may not be attended).
   */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const op = "TransformerEncoderLayer";
    checkTensor(op, "src", src);
    const { srcMask = null, srcKeyPaddingMask = null, isCausal = false } = checkOptions(op, options);
    const attend = (x: Tensor) => {
      const [output] = this.self_attn.forward(x, x, x, {
        attnMask: srcMask,
        keyPaddingMask: srcKeyPaddingMask,
        needWeights: false,
        isCausal,
      });
      return this.dropout1.forward(output);
    };
    const feedForward = (x: Tensor) =>
      this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.#activate(this.linear1.forward(x)))));
    if (this.normFirst) {
      const x = add(src, attend(this.norm1.forward(src)));
      return add(x, feedForward(this.norm2.forward(x)));
    }
    const x = this.norm1.forward(add(src, attend(src)));
    return this.norm2.forward(add(x, feedForward(x)));
  }

  /** A new layer with the same settings, parameter values and training mode (PyTorch's deepcopy). */
  copy(): TransformerEncoderLayer {
    const layer = new TransformerEncoderLayer(this.dModel, this.nhead, this.#options);
    layer.loadStateDict(this.stateDict());
    return this.training ? layer : layer.eval();
  }
}

/**
 * A stack of `numLayers` encoder layers, as PyTorch's `nn.TransformerEncoder(encoder_layer,
 * num_layers, norm=None)`: `layers` is a ModuleList of copies of `layer` (each its own parameters,
 * starting from `layer`'s values, as PyTorch's `_get_clones`), run in order with the same masks,
 * then `norm` when given. State dict names: `layers.0.self_attn.in_proj_weight`, …, `norm.weight`.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
 * const encoder = new TransformerEncoder(layer, 3, { norm: new LayerNorm(8) });
 * encoder.layers.length; // → 3
 * encoder.layers.at(1).linear1.weight === layer.linear1.weight; // → false
 * encoder.layers.at(1).linear1.weight.sub(layer.linear1.weight).abs().max().item(); // → 0
 * encoder.forward(randn([5, 2, 8])).shape; // → [5, 2, 8]
 * ```
 */
export class TransformerEncoder extends Module {
  /** The copies of the layer, run in order. */
  layers: ModuleList<TransformerEncoderLayer>;
  /** The number of layers. */
  readonly numLayers: number;
  /** The module applied last, or null. */
  norm: Module | null;

  constructor(layer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    const op = "TransformerEncoder";
    if (!(layer instanceof TransformerEncoderLayer)) {
      throw new NablaError(op, `layer must be a TransformerEncoderLayer, got ${describeValue(layer)}`);
    }
    this.numLayers = checkInteger(op, "numLayers", numLayers, { min: 0 });
    const { norm = null } = checkOptions(op, options);
    if (norm !== null && !(norm instanceof Module)) throw new NablaError(op, `norm must be a Module or null, got ${describeValue(norm)}`);
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => noGrad(() => layer.copy())));
    this.norm = norm;
  }

  /** Runs every layer on `src` with the same masks, then `norm`; the output has `src`'s shape. */
  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    const op = "TransformerEncoder";
    checkTensor(op, "src", src);
    const { mask = null, srcKeyPaddingMask = null, isCausal = false } = checkOptions(op, options);
    let output = src;
    for (const layer of this.layers) output = layer.forward(output, { srcMask: mask, srcKeyPaddingMask, isCausal });
    return this.norm === null ? output : this.norm.forward(output);
  }
}

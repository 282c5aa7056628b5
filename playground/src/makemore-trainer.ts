import { manualSeed, noGrad, type Tensor, tensor } from "@nabla/tensor";
import { type Datasets, STOP, createDatasets } from "../../examples/src/makemore/data";
import { type LanguageModel, createModel, parameterCount } from "../../examples/src/makemore/models";
import { Transformer } from "../../examples/src/makemore/models/transformer";
import { type Evaluation, evaluateSplits, makemoreOptimizer, trainStep } from "../../examples/src/makemore/optimize";
import { type Samples, sampleWords } from "../../examples/src/makemore/sample";

export type PageModel = "transformer" | "mlp";

/** The page's two models, small enough to learn in a browser within a minute or two. */
export const PAGE_MODELS: Record<PageModel, { nLayer: number; nHead: number; nEmbd: number; nEmbd2: number }> = {
  transformer: { nLayer: 2, nHead: 4, nEmbd: 32, nEmbd2: 64 },
  mlp: { nLayer: 1, nHead: 1, nEmbd: 16, nEmbd2: 64 },
};

export interface MakemoreConfig {
  model: PageModel;
  learningRate: number;
  /** Seeds the split, the initial weights, the batches and the samples. */
  seed: number;
}

const BATCH_SIZE = 32;
const WEIGHT_DECAY = 0.01;
/** Batches of 100 words read by an evaluation: makemore's `evaluate(max_batches=2)`. */
const EVAL_BATCHES = 2;

/**
 * A makemore model learning names: makemore's data split, optimiser, training step, evaluation
 * and sampling (the code `pnpm makemore` runs), one step at a time so the page can draw between.
 */
export class MakemoreTrainer {
  readonly data: Datasets;
  readonly model: LanguageModel;
  readonly params: number;
  private readonly optimizer: ReturnType<typeof makemoreOptimizer>;
  /** The loss of each step's batch. */
  readonly batchLosses: number[] = [];
  readonly evaluations: Evaluation[] = [];

  constructor(words: string[], config: MakemoreConfig) {
    manualSeed(config.seed);
    this.data = createDatasets(words, "names.txt");
    const { train } = this.data;
    this.model = createModel(config.model, { vocabSize: train.vocabSize, blockSize: train.outputLength, ...PAGE_MODELS[config.model] });
    this.params = parameterCount(this.model);
    this.optimizer = makemoreOptimizer(this.model, { learningRate: config.learningRate, weightDecay: WEIGHT_DECAY });
  }

  step(): void {
    this.batchLosses.push(trainStep(this.model, this.optimizer, this.data.train, BATCH_SIZE));
  }

  get steps(): number {
    return this.batchLosses.length;
  }

  /** The train and test loss now, each the mean over up to 300 random words of its set. */
  evaluate(): Evaluation {
    const evaluation = evaluateSplits(this.model, this.data, this.steps, EVAL_BATCHES);
    this.evaluations.push(evaluation);
    return evaluation;
  }

  sample(count: number): Samples {
    return sampleWords(this.model, this.data, count);
  }

  /** The transformer's layer count and heads per layer; null for a model without attention. */
  get attentionShape(): { layers: number; heads: number } | null {
    const { model } = this;
    return model instanceof Transformer ? { layers: model.transformer.h.length, heads: model.transformer.h.at(0).attn.nHead } : null;
  }

  /**
   * The attention weights of `layer`'s head `head` as the transformer reads `word` after the start
   * token: a [T, T] tensor (query position, key position), T = the word's length + 1; null for a
   * model without attention.
   */
  attention(word: string, layer: number, head: number): Tensor | null {
    const { model } = this;
    if (!(model instanceof Transformer)) return null;
    const idx = tensor([[STOP, ...this.data.train.encode(word)]], { dtype: "int32" });
    const weights: Tensor[] = [];
    noGrad(() => model.forward(idx, weights));
    return weights[layer]!.select(0, 0).select(0, head);
  }
}

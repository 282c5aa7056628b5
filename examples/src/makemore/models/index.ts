import { Bigram } from "./bigram";
import { BoW } from "./bow";
import type { LanguageModel, ModelConfig } from "./language-model";
import { MLP } from "./mlp";
import { RNN } from "./rnn";
import { Transformer } from "./transformer";

export { LanguageModel, languageModelLoss, type ModelConfig } from "./language-model";

export const MODEL_TYPES = ["bigram", "mlp", "rnn", "gru", "bow", "transformer"] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** A new model of `type`, with PyTorch's default initialisation from the global generator. */
export function createModel(type: ModelType, config: ModelConfig): LanguageModel {
  switch (type) {
    case "bigram":
      return new Bigram(config);
    case "mlp":
      return new MLP(config);
    case "rnn":
    case "gru":
      return new RNN(config, type);
    case "bow":
      return new BoW(config);
    case "transformer":
      return new Transformer(config);
  }
}

/** The number of learned values (buffers such as the attention masks are not counted). */
export function parameterCount(model: LanguageModel): number {
  return model.parameters().reduce((sum, p) => sum + p.numel, 0);
}

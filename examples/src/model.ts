import { Linear, type Module, ReLU, Sequential } from "@nabla/nn";

/** The shape of the classifier, as saved in a checkpoint's config.json. */
export interface MlpArchitecture {
  type: "mlp";
  inFeatures: number;
  /** Widths of the hidden layers, in order; empty for a linear classifier. */
  hidden: number[];
  activation: "relu";
  /** One logit per class. */
  outFeatures: number;
}

/**
 * Linear → ReLU → … → Linear, producing class logits. As a `Sequential`, its parameters are named
 * `0.weight`, `0.bias`, `2.weight`, … exactly as the same `torch.nn.Sequential` would name them, so a
 * checkpoint loads into PyTorch unchanged.
 *
 * @example
 * buildMlp({ type: "mlp", inFeatures: 64, hidden: [128, 64], activation: "relu", outFeatures: 10 });
 */
export function buildMlp(architecture: MlpArchitecture): Sequential {
  const widths = [architecture.inFeatures, ...architecture.hidden, architecture.outFeatures];
  const layers: Module[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    if (i > 0) layers.push(new ReLU());
    layers.push(new Linear(widths[i]!, widths[i + 1]!));
  }
  return new Sequential(...layers);
}

import { manualSeed, noGrad, type Tensor, tensor, toDot, traceBackward } from "@nabla/tensor";
import { crossEntropy, softmax } from "@nabla/ops";
import { Linear, type Module, ReLU, Sequential, Tanh, optim } from "@nabla/nn";
import { type Dataset, type DatasetName, makeDataset } from "./datasets";

export type Activation = "tanh" | "relu";

export interface TrainerConfig {
  dataset: DatasetName;
  /** Widths of the hidden layers, e.g. [16, 16]. */
  hidden: number[];
  activation: Activation;
  learningRate: number;
  /** Seeds both the data set and the initial weights. */
  seed: number;
}

/**
 * An MLP 2 → hidden… → 2 trained full-batch with Adam on a 2-D data set, one step at a time, so
 * the page can draw between steps.
 */
export class Trainer {
  readonly data: Dataset;
  readonly model: Sequential;
  private readonly optimizer: optim.Adam;
  steps = 0;
  readonly losses: number[] = [];

  constructor(readonly config: TrainerConfig) {
    this.data = makeDataset(config.dataset, 200, config.seed);
    manualSeed(config.seed); // the initial weights
    const widths = [2, ...config.hidden];
    const layers: Module[] = [];
    for (let i = 1; i < widths.length; i++)
      layers.push(new Linear(widths[i - 1]!, widths[i]!), config.activation === "tanh" ? new Tanh() : new ReLU());
    layers.push(new Linear(widths[widths.length - 1]!, 2));
    this.model = new Sequential(...layers);
    this.optimizer = new optim.Adam(this.model.parameters(), { lr: config.learningRate });
  }

  private loss(): { logits: Tensor; loss: Tensor } {
    const logits = this.model.forward(this.data.x);
    return { logits, loss: crossEntropy(logits, this.data.y) };
  }

  private record(loss: Tensor): number {
    this.optimizer.step();
    this.steps++;
    const value = loss.item() as number;
    this.losses.push(value);
    return value;
  }

  /** One optimisation step on the whole data set; returns the loss before the update. */
  step(): number {
    const { loss } = this.loss();
    this.optimizer.zeroGrad();
    loss.backward();
    return this.record(loss);
  }

  /**
   * One step whose backward pass is traced, and the graph of that step as Graphviz DOT: every op
   * with its output shape and the gradient it received, the parameters with values and gradients.
   */
  tracedStep(): { loss: number; dot: string } {
    const { logits, loss } = this.loss();
    this.optimizer.zeroGrad();
    const names: Record<string, Tensor> = { ...Object.fromEntries(this.model.namedParameters()), logits, loss };
    const trace = traceBackward(loss, { names });
    const dot = toDot(loss, { values: true, grads: true, names, trace, rankdir: "TB" });
    return { loss: this.record(loss), dot };
  }

  /** The fraction of points the model classifies right. */
  accuracy(): number {
    return noGrad(() => this.model.forward(this.data.x).argmax(1).eq(this.data.y).to("float32").mean().item() as number);
  }

  /** P(class 1) at each point of `points` ([n, 2]). */
  probabilities(points: Tensor): Float32Array {
    return noGrad(() => softmax(this.model.forward(points), 1).select(1, 1).data() as Float32Array);
  }
}

/** `points` as a float32 [n, 2] tensor (for the heatmap grid). */
export function pointsTensor(points: Float32Array): Tensor {
  return tensor(points, { shape: [points.length / 2, 2] });
}

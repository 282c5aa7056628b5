import { type Tensor, noGrad } from "@nabla/tensor";
import { crossEntropy, softmax } from "@nabla/ops";
import { DataLoader, type Module, TensorDataset, optim } from "@nabla/nn";
import type { PreparedSplit } from "./dataset";
import type { EpochMetrics } from "./metrics";

export const OPTIMIZERS = ["sgd", "adam", "adamw"] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export interface TrainingSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  /** Seeds the order in which the training rows are visited. */
  seed: number;
}

/** What the training loop reports while it runs (a progress bar, or plain log lines). */
export interface TrainingObserver {
  epochStarted(epoch: number, batches: number): void;
  /** After each optimisation step: the mean loss and accuracy over the epoch's rows so far. */
  batchFinished(batch: number, runningLoss: number, runningAccuracy: number): void;
  epochFinished(metrics: EpochMetrics): void;
}

/** The optimizer behind each `--optimizer` name, with the settings the help text promises. */
export function makeOptimizer(name: OptimizerName, parameters: Tensor[], lr: number): optim.Optimizer {
  switch (name) {
    case "sgd":
      return new optim.SGD(parameters, { lr, momentum: 0.9 });
    case "adam":
      return new optim.Adam(parameters, { lr });
    case "adamw":
      return new optim.AdamW(parameters, { lr, weightDecay: 1e-2 });
  }
}

/**
 * Mini-batch training with cross-entropy on the class logits. After every epoch both parts of the
 * data are evaluated afresh in eval mode, so the recorded train and test numbers describe the same
 * model (not a running average over weights that kept changing during the epoch).
 */
export function trainClassifier(
  model: Module,
  data: PreparedSplit,
  settings: TrainingSettings,
  observer: TrainingObserver,
): EpochMetrics[] {
  const loader = new DataLoader(new TensorDataset(data.trainFeatures, data.trainLabels), {
    batchSize: settings.batchSize,
    shuffle: true,
    seed: settings.seed,
  });
  const optimizer = makeOptimizer(settings.optimizer, model.parameters(), settings.lr);
  const history: EpochMetrics[] = [];
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    model.train();
    observer.epochStarted(epoch, loader.length);
    let rowsSeen = 0;
    let lossSum = 0;
    let correct = 0;
    let batch = 0;
    for (const [features, labels] of loader) {
      const logits = model.forward(features!);
      const loss = crossEntropy(logits, labels!);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();

      const rows = labels!.shape[0]!;
      rowsSeen += rows;
      lossSum += Number(loss.item()) * rows;
      correct += countCorrect(logits.detach(), labels!);
      observer.batchFinished(++batch, lossSum / rowsSeen, correct / rowsSeen);
    }
    const train = evaluate(model, data.trainFeatures, data.trainLabels);
    const test = evaluate(model, data.testFeatures, data.testLabels);
    const metrics = { epoch, trainLoss: train.loss, trainAccuracy: train.accuracy, testLoss: test.loss, testAccuracy: test.accuracy };
    history.push(metrics);
    observer.epochFinished(metrics);
  }
  model.eval();
  return history;
}

export interface Evaluation {
  /** Mean cross-entropy. */
  loss: number;
  accuracy: number;
  /** The predicted class of each row. */
  predictions: Int32Array;
}

// Rows per forward pass when evaluating: bounds memory on large files, one matmul per chunk.
const EVALUATION_CHUNK = 4096;

/** Loss, accuracy and predictions of `model` (switched to eval mode) on labelled rows, without building a graph. */
export function evaluate(model: Module, features: Tensor, labels: Tensor): Evaluation {
  model.eval();
  const rows = features.shape[0]!;
  const predictions = new Int32Array(rows);
  let lossSum = 0;
  let correct = 0;
  noGrad(() => {
    for (let start = 0; start < rows; start += EVALUATION_CHUNK) {
      const length = Math.min(EVALUATION_CHUNK, rows - start);
      const logits = model.forward(features.narrow(0, start, length));
      const target = labels.narrow(0, start, length);
      lossSum += Number(crossEntropy(logits, target, { reduction: "sum" }).item());
      predictions.set(logits.argmax(1).data() as Int32Array, start);
      correct += countCorrect(logits, target);
    }
  });
  return { loss: lossSum / rows, accuracy: correct / rows, predictions };
}

/** Predicted classes of unlabelled rows (the model is switched to eval mode). */
export function predict(model: Module, features: Tensor): { predictions: Int32Array; probabilities: Tensor } {
  model.eval();
  return noGrad(() => {
    const logits = model.forward(features);
    return { predictions: logits.argmax(1).data() as Int32Array, probabilities: softmax(logits, 1) };
  });
}

function countCorrect(logits: Tensor, labels: Tensor): number {
  return Number(logits.argmax(1).eq(labels).sum().item());
}

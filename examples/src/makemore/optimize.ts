import { optim } from "@nabla/nn";
import { noGrad, randint, randperm } from "@nabla/tensor";
import { type CharDataset, type Datasets, IGNORE } from "./data";
import { type LanguageModel, languageModelLoss } from "./models";

// makemore's optimiser, training step and evaluation, with no Node imports: `pnpm makemore`
// and the playground's makemore page both run them.

/**
 * makemore's optimiser: AdamW with betas 0.9/0.99 and eps 1e-8 over all of `model`'s parameters.
 */
export function makemoreOptimizer(model: LanguageModel, settings: { learningRate: number; weightDecay: number }): optim.AdamW {
  return new optim.AdamW(model.parameters(), {
    lr: settings.learningRate,
    weightDecay: settings.weightDecay,
    betas: [0.9, 0.99],
    eps: 1e-8,
  });
}

/**
 * One optimisation step on a batch of `batchSize` words drawn with replacement from `train` (from
 * the global generator); returns the batch's loss before the update.
 */
export function trainStep(model: LanguageModel, optimizer: optim.Optimizer, train: CharDataset, batchSize: number): number {
  const { X, Y } = train.batch(randint(0, train.length, [batchSize], { dtype: "int32" }).data() as Int32Array);
  const loss = languageModelLoss(model.forward(X), Y);
  optimizer.zeroGrad();
  loss.backward();
  optimizer.step();
  return loss.item() as number;
}

/**
 * makemore's `evaluate`: the mean of the batch losses over the words in a random order, stopping
 * after batch `maxBatches` (so up to maxBatches + 1 batches, as makemore's `i >= max_batches`).
 */
export function evaluate(model: LanguageModel, dataset: CharDataset, batchSize: number, maxBatches?: number): number {
  model.eval();
  const order = randperm(dataset.length).data() as Int32Array;
  const losses: number[] = [];
  noGrad(() => {
    for (let i = 0; i * batchSize < order.length; i++) {
      const { X, Y } = dataset.batch(order.subarray(i * batchSize, (i + 1) * batchSize));
      losses.push(languageModelLoss(model.forward(X), Y).item() as number);
      if (maxBatches !== undefined && i >= maxBatches) break;
    }
  });
  model.train();
  return losses.reduce((sum, loss) => sum + loss, 0) / losses.length;
}

/** One evaluation at `step`: the loss of each set, estimated by `evaluate`. */
export interface Evaluation {
  step: number;
  trainLoss: number;
  testLoss: number;
}

/** `evaluate` on batches of 100 words of the training set, then of the test set, stopping after batch `maxBatches`. */
export function evaluateSplits(model: LanguageModel, data: Datasets, step: number, maxBatches: number): Evaluation {
  return { step, trainLoss: evaluate(model, data.train, 100, maxBatches), testLoss: evaluate(model, data.test, 100, maxBatches) };
}

/** The mean loss per predicted token over every word of `dataset` (the ignored positions after each end left out). */
export function datasetLoss(model: LanguageModel, dataset: CharDataset, batchSize = 500): number {
  model.eval();
  let total = 0;
  let count = 0;
  noGrad(() => {
    for (let start = 0; start < dataset.length; start += batchSize) {
      const indices = Int32Array.from({ length: Math.min(batchSize, dataset.length - start) }, (_, i) => start + i);
      const { X, Y } = dataset.batch(indices);
      total += languageModelLoss(model.forward(X), Y, "sum").item() as number;
      count += Y.ne(IGNORE).sum().item() as number;
    }
  });
  model.train();
  return total / count;
}

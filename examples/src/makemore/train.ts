import { existsSync } from "node:fs";
import path from "node:path";
import { loadFile, saveFile } from "@nabla/nn/node";
import { NablaError } from "@nabla/tensor";
import type { Datasets } from "./data";
import type { LanguageModel, ModelType } from "./models";
import { type Evaluation, evaluateSplits, makemoreOptimizer, trainStep } from "./optimize";
import { formatSamples, sampleWords } from "./sample";

export const MODEL_FILE = "model.safetensors";

export interface TrainSettings {
  type: ModelType;
  /** Steps to run; −1 runs until the process is stopped, as makemore. */
  maxSteps: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  topK: number | undefined;
  workDir: string;
}

export interface TrainResult {
  steps: number;
  evaluations: Evaluation[];
  /** The mean time of an optimisation step (batch, forward, backward, update), in milliseconds. */
  msPerStep: number;
}

/**
 * makemore's training loop: AdamW (betas 0.9/0.99, eps 1e-8), batches of words drawn with
 * replacement from the training set, a loss line every 10 steps, samples every 200, and every 500
 * steps (and after the last) an evaluation that saves the model to `workDir` when the test loss
 * is the best so far.
 */
export function trainModel(model: LanguageModel, data: Datasets, settings: TrainSettings, log: (line: string) => void): TrainResult {
  const optimizer = makemoreOptimizer(model, settings);
  const evaluations: Evaluation[] = [];
  let bestLoss = Number.POSITIVE_INFINITY;
  const evaluateAndSave = (step: number) => {
    const evaluation = evaluateSplits(model, data, step, 10); // up to 11 batches of each set
    evaluations.push(evaluation);
    log(`step ${step} train loss: ${evaluation.trainLoss} test loss: ${evaluation.testLoss}`);
    if (evaluation.testLoss < bestLoss) {
      const file = path.join(settings.workDir, MODEL_FILE);
      log(`test loss ${evaluation.testLoss} is the best so far, saving model to ${file}`);
      saveModel(file, model, settings.type);
      bestLoss = evaluation.testLoss;
    }
  };

  let totalMs = 0;
  let step = 0;
  for (; settings.maxSteps < 0 || step < settings.maxSteps; step++) {
    const t0 = performance.now();
    const lossValue = trainStep(model, optimizer, data.train, settings.batchSize);
    const ms = performance.now() - t0;
    totalMs += ms;

    if (step % 10 === 0) log(`step ${step} | loss ${lossValue.toFixed(4)} | step time ${ms.toFixed(2)}ms`);
    if (step > 0 && step % 500 === 0) evaluateAndSave(step);
    if (step > 0 && step % 200 === 0) log(formatSamples(sampleWords(model, data, 10, settings.topK)));
  }
  // makemore stops without a last evaluation; here the end of a run is measured and saved too
  if (step > 0 && evaluations.at(-1)?.step !== step - 1) evaluateAndSave(step);
  return { steps: step, evaluations, msPerStep: step > 0 ? totalMs / step : 0 };
}

/** Writes the model's state dict, PyTorch's names, with the model type in the metadata. */
export function saveModel(file: string, model: LanguageModel, type: ModelType): void {
  saveFile(file, model.stateDict(), { format: "pt", type });
}

/**
 * Loads `file` into `model`: a NablaError when there is no such file, or when it holds another type
 * of model or other sizes than the flags build.
 */
export function loadModel(file: string, model: LanguageModel, type: ModelType): void {
  if (!existsSync(file)) {
    throw new NablaError("makemore", `there is no ${file} to load; train a model into that --work-dir first`);
  }
  const { tensors, metadata } = loadFile(file);
  const savedType = metadata?.type;
  if (savedType !== undefined && savedType !== type) {
    throw new NablaError("makemore", `${file} holds a ${savedType} model; run with --type ${savedType}`);
  }
  try {
    model.loadStateDict(tensors);
  } catch (error) {
    throw new NablaError(
      "makemore",
      `${file} does not fit a ${type} model of these sizes (check --n-layer, --n-head, --n-embd, --n-embd2 and the input file): ${(error as Error).message}`,
    );
  }
}

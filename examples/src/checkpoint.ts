import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { NablaError } from "@nabla/tensor";
import type { Sequential } from "@nabla/nn";
import { loadFile, saveFile } from "@nabla/nn/node";
import { formatJson } from "./json-file";
import { type Architecture, buildModel, inFeaturesOf } from "./model";
import { Standardizer, type StandardizationStats } from "./standardizer";

export const MODEL_FILE = "model.safetensors";
export const CONFIG_FILE = "config.json";

/** config.json: everything needed, besides the weights, to rebuild the model and use it on new rows. */
export interface CheckpointConfig {
  architecture: Architecture;
  /** The feature columns, in the order the model reads them. */
  featureNames: string[];
  labelColumn: string;
  /** Output `i` of the model is the logit of `classNames[i]`. */
  classNames: string[];
  /** Applied to the features before the model: z = (x − mean) / std. */
  standardization: StandardizationStats;
  /** How the model was trained (for the record; not needed to use it). */
  training: Record<string, unknown>;
}

/** Writes `model.safetensors` (atomically) and `config.json` into `directory`; returns their paths. */
export function saveCheckpoint(directory: string, model: Sequential, config: CheckpointConfig): string[] {
  const modelPath = path.join(directory, MODEL_FILE);
  const configPath = path.join(directory, CONFIG_FILE);
  // "format: pt" is the metadata PyTorch's safetensors writer adds, so the file reads there as its own.
  saveFile(modelPath, model.stateDict(), { format: "pt" });
  writeFileSync(configPath, formatJson(config));
  return [modelPath, configPath];
}

export interface LoadedCheckpoint {
  model: Sequential;
  config: CheckpointConfig;
  standardizer: Standardizer;
}

/** Reads a folder written by `saveCheckpoint`; the model comes back in eval mode. */
export function loadCheckpoint(directory: string): LoadedCheckpoint {
  const configPath = path.join(directory, CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(configPath, "utf8");
  } catch (error) {
    throw new NablaError(
      "loadCheckpoint",
      `cannot read ${configPath}: ${(error as Error).message} (is ${directory} a folder written by train?)`,
    );
  }
  const config = checkConfig(configPath, text);
  const model = buildModel(config.architecture);
  const { tensors } = loadFile(path.join(directory, MODEL_FILE));
  try {
    model.loadStateDict(tensors);
  } catch (error) {
    throw new NablaError("loadCheckpoint", `${path.join(directory, MODEL_FILE)} does not match ${configPath}: ${(error as Error).message}`);
  }
  const standardizer = Standardizer.fromStats(config.standardization, inFeaturesOf(config.architecture));
  return { model: model.eval(), config, standardizer };
}

function checkConfig(configPath: string, text: string): CheckpointConfig {
  const fail = (detail: string): never => {
    throw new NablaError("loadCheckpoint", `${configPath}: ${detail}`);
  };
  let config: CheckpointConfig;
  try {
    config = JSON.parse(text) as CheckpointConfig;
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  const { architecture, featureNames, classNames, standardization, labelColumn } = config ?? {};
  checkArchitecture(architecture, fail);
  const inFeatures = inFeaturesOf(architecture);
  if (!Array.isArray(featureNames) || featureNames.length !== inFeatures) {
    fail(
      `expected ${inFeatures} featureNames (${architecture.type === "mlp" ? "architecture.inFeatures" : "the product of architecture.imageShape"})`,
    );
  }
  if (!Array.isArray(classNames) || classNames.length !== architecture.outFeatures) {
    fail(`expected ${architecture.outFeatures} classNames (architecture.outFeatures)`);
  }
  if (typeof labelColumn !== "string") fail("labelColumn must be a string");
  if (!Array.isArray(standardization?.mean) || !Array.isArray(standardization?.std)) fail("standardization needs mean and std arrays");
  return config;
}

function checkArchitecture(architecture: Architecture | undefined, fail: (detail: string) => never): void {
  const isSize = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
  const areSizes = (list: unknown) => Array.isArray(list) && list.every(isSize);
  if ((architecture?.type !== "mlp" && architecture?.type !== "cnn") || architecture.activation !== "relu") {
    fail('expected architecture.type "mlp" or "cnn" with activation "relu"');
  }
  if (!isSize(architecture.outFeatures)) fail("architecture needs a positive integer outFeatures");
  if (architecture.type === "mlp") {
    if (!isSize(architecture.inFeatures) || !areSizes(architecture.hidden))
      fail("architecture needs positive integer inFeatures and hidden sizes");
    return;
  }
  const { imageShape, channels, kernelSize, padding, poolSize } = architecture;
  if (!areSizes(imageShape) || imageShape.length !== 3 || !areSizes(channels) || channels.length === 0) {
    fail("architecture needs an imageShape of three positive integers and a list of positive channel counts");
  }
  if (!isSize(kernelSize) || !isSize(poolSize) || !Number.isInteger(padding) || padding < 0) {
    fail("architecture needs positive integer kernelSize and poolSize and a non-negative integer padding");
  }
}

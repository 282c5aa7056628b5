import { mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { NablaError } from "@nabla/tensor";
import type { Sequential } from "@nabla/nn";
import { type CheckpointConfig, CONFIG_FILE, MODEL_FILE, saveCheckpoint } from "./checkpoint";
import { formatPercent } from "./format";
import { formatJson } from "./json-file";
import { accuracyOf, type EpochMetrics } from "./metrics";
import { confusionHeatmap } from "./plots/heatmap";
import { lineChart, trainTestSeries } from "./plots/line-chart";
import { decimalsFor } from "./plots/ticks";

export interface RunResults {
  model: Sequential;
  config: CheckpointConfig;
  history: EpochMetrics[];
  /** On the test rows, `[actual][predicted]`. */
  testConfusion: number[][];
  /** Wall-clock facts, kept out of metrics.json so that file depends on the seed alone. */
  timing: { startedAt: string; trainingSeconds: number };
}

/** What each file of a run holds, in the order they are listed to the user. */
export const RUN_FILES: [string, string][] = [
  [MODEL_FILE, "weights (safetensors)"],
  [CONFIG_FILE, "architecture, class and feature names, standardisation"],
  ["metrics.json", "loss and accuracy per epoch, test confusion matrix"],
  ["timing.json", "wall-clock times"],
  ["loss.svg", "train and test loss per epoch"],
  ["accuracy.svg", "train and test accuracy per epoch"],
  ["confusion.svg", "test confusion matrix"],
];

/** Fails early, before training, when `outDir` (given as `flag` to `op`) exists but is not a folder. */
export function checkRunDirectory(outDir: string, op = "train", flag = "--out"): void {
  const stats = statSync(outDir, { throwIfNoEntry: false });
  if (stats !== undefined && !stats.isDirectory()) throw new NablaError(op, `${flag} ${outDir} is a file, not a folder`);
}

/**
 * Creates `outDir` and writes every file of the run into it. Apart from timing.json, the bytes
 * depend only on the data and the settings, so the same seed gives the same files.
 */
export function writeRunFiles(outDir: string, results: RunResults): void {
  mkdirSync(outDir, { recursive: true });
  saveCheckpoint(outDir, results.model, results.config);
  const { history, testConfusion, config } = results;
  const write = (file: string, text: string) => writeFileSync(path.join(outDir, file), text);

  write("metrics.json", formatJson({ classNames: config.classNames, epochs: history, testConfusionMatrix: testConfusion }));
  write("timing.json", formatJson(results.timing));

  const epochs = (key: keyof EpochMetrics) => history.map((metrics) => metrics[key]);
  write(
    "loss.svg",
    lineChart({
      title: "Loss",
      xLabel: "Epoch",
      yLabel: "Mean cross-entropy",
      includeZero: true,
      yScale: "auto",
      series: trainTestSeries(epochs("trainLoss"), epochs("testLoss")),
    }),
  );
  write(
    "accuracy.svg",
    lineChart({
      title: "Accuracy",
      xLabel: "Epoch",
      yLabel: "Accuracy",
      formatY: (value, step) => `${(value * 100).toFixed(decimalsFor(step * 100))}%`,
      series: trainTestSeries(epochs("trainAccuracy"), epochs("testAccuracy")),
    }),
  );
  const testRows = testConfusion.flat().reduce((sum, count) => sum + count, 0);
  write(
    "confusion.svg",
    confusionHeatmap({
      title: "Confusion matrix",
      subtitle: `Test set: ${testRows} rows, accuracy ${formatPercent(accuracyOf(testConfusion))}`,
      classNames: config.classNames,
      matrix: testConfusion,
    }),
  );
}

/**
 * `pnpm train`: trains a classifier (an MLP, or a CNN on image rows) on a CSV file and writes the
 * model, its metrics and plots.
 * Run `pnpm train --help` for the flags; examples/README.md describes the output files.
 */
import path from "node:path";
import pc from "picocolors";
import { NablaError, manualSeed } from "@nabla/tensor";
import type { CheckpointConfig } from "./checkpoint";
import { parseTrainOptions, type TrainOptions } from "./cli/train-options";
import { type LabelledData, readLabelledCsv, splitAndStandardize } from "./dataset";
import { formatDuration, formatLoss, formatPercent } from "./format";
import { runMain, userArguments } from "./main";
import { confusionMatrix } from "./metrics";
import { type Architecture, buildModel, cnnArchitecture, describeArchitecture, inFeaturesOf, modelInput } from "./model";
import { displayPath } from "./paths";
import { progressFor } from "./progress";
import { RUN_FILES, checkRunDirectory, writeRunFiles } from "./run-files";
import { renderConfusionMatrix } from "./terminal-report";
import { evaluate, trainClassifier } from "./training";

function train(options: TrainOptions): void {
  // Everything that can fail on bad input happens before the output folder exists, so a bad
  // CSV or flag leaves nothing behind.
  checkRunDirectory(options.outDir);
  const data = readLabelledCsv(options.dataPath, options.label);
  const architecture = architectureFor(options, data);
  const standardized = splitAndStandardize(data, options.seed);
  const split = {
    ...standardized,
    trainFeatures: modelInput(architecture, standardized.trainFeatures),
    testFeatures: modelInput(architecture, standardized.testFeatures),
  };
  manualSeed(options.seed); // the initial weights
  const model = buildModel(architecture);

  const trainRows = split.trainLabels.shape[0]!;
  const testRows = split.testLabels.shape[0]!;
  console.log(
    `${pc.bold("Training")} ${describeArchitecture(architecture)} on ${displayPath(options.dataPath)}: ${trainRows} training rows, ${testRows} test rows, ` +
      `${data.classNames.length} classes (label column ${JSON.stringify(data.labelColumn)})`,
  );
  console.log(
    pc.dim(
      `${options.optimizer}, lr ${options.lr}, batch size ${options.batchSize}, ${options.epochs} epoch${options.epochs === 1 ? "" : "s"}, seed ${options.seed}`,
    ),
  );

  const startedAt = new Date();
  const started = performance.now();
  const history = trainClassifier(
    model,
    split,
    { epochs: options.epochs, batchSize: options.batchSize, lr: options.lr, optimizer: options.optimizer, seed: options.seed },
    progressFor(options.epochs),
  );
  const trainingSeconds = (performance.now() - started) / 1000;

  const test = evaluate(model, split.testFeatures, split.testLabels);
  const testConfusion = confusionMatrix(split.testLabels.data(), test.predictions, data.classNames.length);
  const config: CheckpointConfig = {
    architecture,
    featureNames: data.featureNames,
    labelColumn: data.labelColumn,
    classNames: data.classNames,
    standardization: split.standardizer.toStats(),
    training: {
      data: path.basename(options.dataPath),
      trainRows,
      testRows,
      optimizer: options.optimizer,
      lr: options.lr,
      batchSize: options.batchSize,
      epochs: options.epochs,
      seed: options.seed,
    },
  };
  writeRunFiles(options.outDir, {
    model,
    config,
    history,
    testConfusion,
    timing: { startedAt: startedAt.toISOString(), trainingSeconds },
  });

  const last = history[history.length - 1]!;
  console.log("");
  console.log(`${pc.bold("Done")} in ${formatDuration(trainingSeconds)}.`);
  console.log(`  train accuracy ${pc.bold(formatPercent(last.trainAccuracy))}  (loss ${formatLoss(last.trainLoss)})`);
  console.log(`  test accuracy  ${pc.bold(pc.green(formatPercent(last.testAccuracy)))}  (loss ${formatLoss(last.testLoss)})`);
  console.log("");
  console.log(`Confusion matrix on the ${testRows} test rows:`);
  console.log(renderConfusionMatrix(data.classNames, testConfusion));
  console.log("");
  console.log(`Files in ${pc.cyan(displayPath(options.outDir))}:`);
  const width = Math.max(...RUN_FILES.map(([file]) => file.length));
  for (const [file, description] of RUN_FILES) console.log(`  ${file.padEnd(width)}  ${pc.dim(description)}`);
  console.log("");
  console.log(`Try it: ${pc.cyan(`pnpm predict --model ${displayPath(options.outDir)} --data ${displayPath(options.dataPath)}`)}`);
}

/** The network `options` ask for, sized to the data; throws when the features cannot be the images `--image-shape` names. */
function architectureFor(options: TrainOptions, data: LabelledData): Architecture {
  const inFeatures = data.featureNames.length;
  const outFeatures = data.classNames.length;
  if (options.model === "mlp") return { type: "mlp", inFeatures, hidden: options.hidden, activation: "relu", outFeatures };
  const imageShape = options.imageShape!;
  const architecture = cnnArchitecture(imageShape, outFeatures);
  if (inFeaturesOf(architecture) !== inFeatures) {
    throw new NablaError(
      "train",
      `--image-shape ${imageShape.join(",")} needs ${imageShape.join("·")} = ${inFeaturesOf(architecture)} feature columns, but ${options.dataPath} has ${inFeatures} (besides the label column ${JSON.stringify(data.labelColumn)})`,
    );
  }
  return architecture;
}

runMain(() => train(parseTrainOptions(userArguments())));

/**
 * `pnpm predict --model <run folder> --data <csv>`: classifies every row of a CSV file with a model
 * written by `pnpm train`, and reports the accuracy when the file has the label column.
 */
import { Command } from "commander";
import pc from "picocolors";
import { NablaError, type Tensor, tensor } from "@nabla/tensor";
import { readCsvFile } from "@nabla/nn/node";
import { loadCheckpoint, type CheckpointConfig } from "./checkpoint";
import { formatPercent } from "./format";
import { runMain, userArguments } from "./main";
import { displayPath, resolveUserPath } from "./paths";
import { predict } from "./training";

interface PredictOptions {
  modelDir: string;
  dataPath: string;
}

function parsePredictOptions(argv: string[]): PredictOptions {
  const program = new Command("pnpm predict")
    .description("Classify the rows of a CSV file with a model written by `pnpm train`.")
    .requiredOption("--model <dir>", "a run folder holding model.safetensors and config.json")
    .requiredOption("--data <csv>", "CSV file with the model's feature columns (and optionally its label column)")
    .addHelpText("after", "\nExample:\n  pnpm predict --model runs/2024-05-01T12-30-05 --data examples/data/digits.csv")
    .showHelpAfterError()
    .allowExcessArguments(false)
    .parse(argv, { from: "user" });
  const options = program.opts<{ model: string; data: string }>();
  return { modelDir: resolveUserPath(options.model), dataPath: resolveUserPath(options.data) };
}

/** The rows of `dataPath`, with the model's feature columns in the model's order, and the labels if present. */
function readRows(dataPath: string, config: CheckpointConfig): { features: Tensor; labels: Int32Array | null; unknownClasses: string[] } {
  const data = readCsvFile(dataPath, { label: config.labelColumn, optionalLabel: true });
  const columns = config.featureNames.map((name) => {
    const column = data.featureNames.indexOf(name);
    if (column < 0) {
      throw new NablaError("predict", `${dataPath}: no column ${JSON.stringify(name)}; the model reads the columns ${config.featureNames.map((n) => JSON.stringify(n)).join(", ")}`);
    }
    return column;
  });
  const features = data.features.indexSelect(1, tensor(Int32Array.from(columns)));
  if (data.labels === null) return { features, labels: null, unknownClasses: [] };
  // The file's own class indices follow the classes it happens to contain; map them by name to the model's.
  const unknownClasses = data.classNames.filter((name) => !config.classNames.includes(name));
  const toModelClass = data.classNames.map((name) => config.classNames.indexOf(name));
  const labels = Int32Array.from(data.labels.data(), (fileClass) => toModelClass[fileClass]!);
  return { features, labels, unknownClasses };
}

function main(options: PredictOptions): void {
  const { model, config, standardizer } = loadCheckpoint(options.modelDir);
  const rows = readRows(options.dataPath, config);
  const { predictions, probabilities } = predict(model, standardizer.transform(rows.features));
  const confidence = probabilities.max(1).data();

  const count = predictions.length;
  console.log(`${pc.bold("Predictions")} for ${count} rows of ${displayPath(options.dataPath)} (model ${displayPath(options.modelDir)}):`);
  const nameWidth = Math.max(9, ...config.classNames.map((name) => name.length));
  const rowWidth = Math.max(3, String(count).length);
  const header = ["row".padStart(rowWidth), "predicted".padEnd(nameWidth), "probability"];
  if (rows.labels !== null) header.push("actual");
  console.log(`  ${pc.dim(header.join("  "))}`);
  let correct = 0;
  for (let i = 0; i < count; i++) {
    const predicted = config.classNames[predictions[i]!]!;
    const cells = [String(i + 1).padStart(rowWidth), predicted.padEnd(nameWidth), formatPercent(confidence[i]!).padStart(11)];
    if (rows.labels !== null) {
      const actual = rows.labels[i]!;
      const right = actual === predictions[i];
      if (right) correct++;
      cells.push(right ? pc.green(config.classNames[actual]!) : pc.red(`${actual < 0 ? "(unknown class)" : config.classNames[actual]} ✗`));
    }
    console.log(`  ${cells.join("  ")}`);
  }
  if (rows.labels === null) {
    console.log(pc.dim(`No ${JSON.stringify(config.labelColumn)} column in the file, so no accuracy.`));
    return;
  }
  if (rows.unknownClasses.length > 0) {
    console.log(pc.yellow(`Classes the model was not trained on (counted as wrong): ${rows.unknownClasses.map((n) => JSON.stringify(n)).join(", ")}`));
  }
  console.log(`${pc.bold("Accuracy")} ${pc.bold(formatPercent(correct / count))} (${correct} of ${count} rows)`);
}

runMain(() => main(parsePredictOptions(userArguments())));

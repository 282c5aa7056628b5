/**
 * `pnpm predict --model <run folder> --data <csv>`: classifies every row of a CSV file with a model
 * written by `pnpm train`, and reports the accuracy when the file has the label column.
 */
import { Option } from "commander";
import pc from "picocolors";
import { NablaError, type Tensor, tensor } from "@nabla/tensor";
import { readCsvFile } from "@nabla/nn/node";
import { loadCheckpoint, type CheckpointConfig } from "./checkpoint";
import { exampleProgram } from "./cli/program";
import { formatPercent } from "./format";
import { runMain, userArguments } from "./main";
import { modelInput } from "./model";
import { displayPath, resolveUserPath } from "./paths";
import { OUTPUT_FORMATS, type OutputFormat, type Prediction, predictionTable, predictionsCsv, predictionsJson } from "./prediction-output";
import { predict } from "./training";

interface PredictOptions {
  modelDir: string;
  dataPath: string;
  format: OutputFormat;
}

function parsePredictOptions(argv: string[]): PredictOptions {
  const program = exampleProgram("pnpm predict", "Classify the rows of a CSV file with a model written by `pnpm train`.")
    .requiredOption("--model <dir>", "a run folder holding model.safetensors and config.json")
    .requiredOption("--data <csv>", "CSV file with the model's feature columns (and optionally its label column)")
    .addOption(
      new Option("--format <format>", "table for people; json or csv for programs (stdout then holds the data alone)")
        .choices(OUTPUT_FORMATS)
        .default("table"),
    )
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  pnpm predict --model runs/2024-05-01T12-30-05 --data examples/data/digits.csv",
        "  pnpm -s predict --model runs/2024-05-01T12-30-05 --data examples/data/digits.csv --format csv > predictions.csv",
      ].join("\n"),
    )
    .parse(argv, { from: "user" });
  const options = program.opts<{ model: string; data: string; format: OutputFormat }>();
  return { modelDir: resolveUserPath(options.model), dataPath: resolveUserPath(options.data), format: options.format };
}

/** The rows of `dataPath`, with the model's feature columns in the model's order, and each row's label if the file has them. */
function readRows(dataPath: string, config: CheckpointConfig): { features: Tensor; labels: string[] | null; unknownClasses: string[] } {
  const data = readCsvFile(dataPath, { label: config.labelColumn, optionalLabel: true });
  const columns = config.featureNames.map((name) => {
    const column = data.featureNames.indexOf(name);
    if (column < 0) {
      throw new NablaError(
        "predict",
        `${dataPath}: no column ${JSON.stringify(name)}; the model reads the columns ${config.featureNames.map((n) => JSON.stringify(n)).join(", ")}`,
      );
    }
    return column;
  });
  const features = data.features.indexSelect(1, tensor(Int32Array.from(columns)));
  if (data.labels === null) return { features, labels: null, unknownClasses: [] };
  // Labels are compared by name: the file's own class indices follow the classes it happens to contain.
  const labels = Array.from(data.labels.data(), (fileClass) => data.classNames[fileClass]!);
  return { features, labels, unknownClasses: data.classNames.filter((name) => !config.classNames.includes(name)) };
}

function main(options: PredictOptions): void {
  const { model, config, standardizer } = loadCheckpoint(options.modelDir);
  const rows = readRows(options.dataPath, config);
  const { predictions: classes, probabilities } = predict(model, modelInput(config.architecture, standardizer.transform(rows.features)));
  const confidence = probabilities.max(1).data();
  const predictions = Array.from(classes, (classIndex, i): Prediction => {
    const prediction = { row: i + 1, predicted: config.classNames[classIndex]!, probability: confidence[i]! };
    const actual = rows.labels?.[i];
    return actual === undefined ? prediction : { ...prediction, actual, correct: actual === prediction.predicted };
  });
  const correct = rows.labels === null ? null : predictions.filter((p) => p.correct).length;
  const report = { predictions, correct };

  // With json or csv, stdout holds the data alone (for a file or a pipe); what people read goes to stderr.
  const say = options.format === "table" ? console.log : console.error;
  const count = predictions.length;
  say(`${pc.bold("Predictions")} for ${count} rows of ${displayPath(options.dataPath)} (model ${displayPath(options.modelDir)}):`);
  if (options.format === "table") console.log(predictionTable(report, config.classNames));
  else process.stdout.write(options.format === "json" ? predictionsJson(report) : predictionsCsv(report));

  if (correct === null) {
    say(pc.dim(`No ${JSON.stringify(config.labelColumn)} column in the file, so no accuracy.`));
    return;
  }
  if (rows.unknownClasses.length > 0) {
    say(
      pc.yellow(`Classes the model was not trained on (counted as wrong): ${rows.unknownClasses.map((n) => JSON.stringify(n)).join(", ")}`),
    );
  }
  say(`${pc.bold("Accuracy")} ${pc.bold(formatPercent(correct / count))} (${correct} of ${count} rows)`);
}

runMain(() => main(parsePredictOptions(userArguments())));

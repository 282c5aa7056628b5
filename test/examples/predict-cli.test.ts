import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Tensor, tensor } from "@nabla/tensor";
import { readCsv } from "@nabla/nn";
import { saveFile } from "@nabla/nn/node";
import { csvField, predictionsCsv } from "../../examples/src/prediction-output";
import { loadFixture } from "../support/fixtures";
import { type MetricsFile, digitsCsv, readJson, repoRoot, runExample, temporaryDirectory } from "./cli";

interface PredictFixture {
  weights: Record<string, { shape: number[]; values: number[] }>;
  architecture: unknown;
  featureNames: string[];
  labelColumn: string;
  classNames: string[];
  standardization: { mean: number[]; std: number[] };
  csv: string;
  predicted: string[];
  probability: number[];
  actual: string[];
  accuracy: number;
}

const fixture = loadFixture<PredictFixture>("examples_predict.json");
const temp = temporaryDirectory("nabla-predict-");
afterAll(temp.remove);

/** The rows `predict` prints: row number, predicted class, probability, and the actual class if any. */
function predictionRows(stdout: string): { row: number; predicted: string; probability: number; actual?: string }[] {
  return [...stdout.matchAll(/^ +(\d+) {2}(\S+) +(\d+\.\d\d)%(?: {2}(\S+))?/gm)].map(([, row, predicted, percent, actual]) => ({
    row: Number(row),
    predicted: predicted!,
    probability: Number(percent) / 100,
    ...(actual === undefined ? {} : { actual }),
  }));
}

describe("predict with a model trained by PyTorch", () => {
  const modelDir = path.join(temp.dir, "torch-model");
  beforeAll(() => {
    // A run folder as train writes it, holding PyTorch's weights and statistics.
    mkdirSync(modelDir);
    const weights: Record<string, Tensor> = {};
    for (const [name, { shape, values }] of Object.entries(fixture.weights)) weights[name] = tensor(Float32Array.from(values), { shape });
    saveFile(path.join(modelDir, "model.safetensors"), weights);
    const { architecture, featureNames, labelColumn, classNames, standardization } = fixture;
    writeFileSync(
      path.join(modelDir, "config.json"),
      JSON.stringify({ architecture, featureNames, labelColumn, classNames, standardization, training: {} }),
    );
  });

  it("gives PyTorch's class and probability for every row, and the accuracy against the label column", async () => {
    // The file's columns are in another order than the model's, with an extra "id" column.
    const csv = path.join(temp.dir, "flowers.csv");
    writeFileSync(csv, fixture.csv);
    const run = await runExample("predict", ["--model", modelDir, "--data", csv]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const rows = predictionRows(run.stdout);
    expect(rows.map((r) => r.row)).toEqual(fixture.predicted.map((_, i) => i + 1));
    expect(rows.map((r) => r.predicted)).toEqual(fixture.predicted);
    rows.forEach((r, i) => {
      expect(Math.abs(r.probability - fixture.probability[i]!)).toBeLessThanOrEqual(0.00005 + 1e-9);
    });
    // A wrong prediction is marked after the actual class.
    expect(rows.map((r) => r.actual)).toEqual(fixture.actual);
    expect(run.stdout.match(/ ✗$/gm)).toHaveLength(fixture.actual.filter((a, i) => a !== fixture.predicted[i]).length);
    const correct = Math.round(fixture.accuracy * fixture.actual.length);
    expect(run.stdout).toContain(`Accuracy ${(fixture.accuracy * 100).toFixed(2)}% (${correct} of ${fixture.actual.length} rows)`);
  });

  it("predicts without accuracy when the file has no label column", async () => {
    const csv = path.join(temp.dir, "unlabelled.csv");
    const lines = fixture.csv
      .trim()
      .split("\n")
      .map((line) => line.split(","));
    const labelIndex = lines[0]!.indexOf(fixture.labelColumn);
    writeFileSync(csv, `${lines.map((fields) => fields.filter((_, i) => i !== labelIndex).join(",")).join("\n")}\n`);
    const run = await runExample("predict", ["--model", modelDir, "--data", csv]);
    expect(run.code, run.stderr).toBe(0);
    const rows = predictionRows(run.stdout);
    expect(rows.map((r) => r.predicted)).toEqual(fixture.predicted);
    expect(rows.every((r) => r.actual === undefined)).toBe(true);
    expect(run.stdout).not.toContain("Accuracy");
    expect(run.stdout).toContain('No "species" column in the file, so no accuracy.');
  });

  describe("--format json and csv: the data alone on stdout, the notes on stderr", () => {
    const csv = path.join(temp.dir, "flowers-formats.csv");
    const unlabelled = path.join(temp.dir, "flowers-unlabelled.csv");
    beforeAll(() => {
      writeFileSync(csv, fixture.csv);
      const lines = fixture.csv
        .trim()
        .split("\n")
        .map((line) => line.split(","));
      const labelIndex = lines[0]!.indexOf(fixture.labelColumn);
      writeFileSync(unlabelled, `${lines.map((fields) => fields.filter((_, i) => i !== labelIndex).join(",")).join("\n")}\n`);
    });
    const correct = () => fixture.actual.filter((a, i) => a === fixture.predicted[i]).length;

    it("json: one record per row and the accuracy, as PyTorch gives them", async () => {
      const run = await runExample("predict", ["--model", modelDir, "--data", csv, "--format", "json"]);
      expect(run.code, run.stderr).toBe(0);
      const output = JSON.parse(run.stdout) as { predictions: Record<string, unknown>[]; rows: number; correct: number; accuracy: number };
      expect(Object.keys(output)).toEqual(["predictions", "rows", "correct", "accuracy"]);
      expect(output.predictions.map((p) => Object.keys(p))).toEqual(
        fixture.predicted.map(() => ["row", "predicted", "probability", "actual", "correct"]),
      );
      expect(output.predictions.map((p) => p.row)).toEqual(fixture.predicted.map((_, i) => i + 1));
      expect(output.predictions.map((p) => p.predicted)).toEqual(fixture.predicted);
      expect(output.predictions.map((p) => p.actual)).toEqual(fixture.actual);
      expect(output.predictions.map((p) => p.correct)).toEqual(fixture.actual.map((a, i) => a === fixture.predicted[i]));
      // Full float32 precision, not the table's rounded percentages.
      output.predictions.forEach((p, i) => {
        expect(Math.abs((p.probability as number) - fixture.probability[i]!)).toBeLessThan(1e-6);
      });
      expect(output.rows).toBe(fixture.predicted.length);
      expect(output.correct).toBe(correct());
      expect(output.accuracy).toBeCloseTo(fixture.accuracy, 12);
      expect(run.stderr).toMatch(/^Predictions for \d+ rows of .*flowers-formats\.csv/);
      expect(run.stderr).toContain(`Accuracy ${(fixture.accuracy * 100).toFixed(2)}%`);
    });

    it("csv: a header row, then one line per row that reads back as it was written", async () => {
      const run = await runExample("predict", ["--model", modelDir, "--data", csv, "--format", "csv"]);
      expect(run.code, run.stderr).toBe(0);
      const [header, ...lines] = run.stdout.trimEnd().split("\n");
      expect(header).toBe("row,predicted,probability,actual,correct");
      const records = lines.map((line) => line.split(","));
      expect(records.map((r) => r[0])).toEqual(fixture.predicted.map((_, i) => String(i + 1)));
      expect(records.map((r) => r[1])).toEqual(fixture.predicted);
      records.forEach((r, i) => {
        expect(Math.abs(Number(r[2]) - fixture.probability[i]!)).toBeLessThan(1e-6);
      });
      expect(records.map((r) => r[3])).toEqual(fixture.actual);
      expect(records.map((r) => r[4])).toEqual(fixture.actual.map((a, i) => String(a === fixture.predicted[i])));
      expect(run.stderr).toContain(`(${correct()} of ${fixture.actual.length} rows)`);
    });

    it("without a label column: no actual or correct fields, and a null accuracy", async () => {
      const json = await runExample("predict", ["--model", modelDir, "--data", unlabelled, "--format", "json"]);
      expect(json.code, json.stderr).toBe(0);
      const output = JSON.parse(json.stdout) as { predictions: Record<string, unknown>[]; correct: null; accuracy: null };
      expect(output.predictions.map((p) => Object.keys(p))).toEqual(fixture.predicted.map(() => ["row", "predicted", "probability"]));
      expect(output.predictions.map((p) => p.predicted)).toEqual(fixture.predicted);
      expect([output.correct, output.accuracy]).toEqual([null, null]);
      expect(json.stderr).toContain('No "species" column in the file, so no accuracy.');
      const csvRun = await runExample("predict", ["--model", modelDir, "--data", unlabelled, "--format", "csv"]);
      expect(csvRun.code, csvRun.stderr).toBe(0);
      expect(csvRun.stdout.split("\n")[0]).toBe("row,predicted,probability");
      expect(
        csvRun.stdout
          .trimEnd()
          .split("\n")
          .slice(1)
          .map((line) => line.split(",")[1]),
      ).toEqual(fixture.predicted);
    });

    it("table stays the default, and an unknown format is refused", async () => {
      const [plain, table] = await Promise.all([
        runExample("predict", ["--model", modelDir, "--data", csv]),
        runExample("predict", ["--model", modelDir, "--data", csv, "--format", "table"]),
      ]);
      expect(table.code, table.stderr).toBe(0);
      expect(table.stdout).toBe(plain.stdout);
      expect(table.stdout).toContain("  row  predicted");
      const bad = await runExample("predict", ["--model", modelDir, "--data", csv, "--format", "xml"]);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout).toBe("");
      expect(bad.stderr).toContain("option '--format <format>' argument 'xml' is invalid. Allowed choices are table, json, csv.");
    });
  });

  it("matches labels to the model's classes by name when the file holds only some of them", async () => {
    // Without setosa rows, the file's own class indices start at versicolor.
    const csv = path.join(temp.dir, "no-setosa.csv");
    const [header, ...lines] = fixture.csv.trim().split("\n");
    const kept = lines.map((line, i) => ({ line, i })).filter(({ i }) => fixture.actual[i] !== "setosa");
    writeFileSync(csv, `${[header, ...kept.map(({ line }) => line)].join("\n")}\n`);
    const run = await runExample("predict", ["--model", modelDir, "--data", csv]);
    expect(run.code, run.stderr).toBe(0);
    const rows = predictionRows(run.stdout);
    expect(rows.map((r) => r.actual)).toEqual(kept.map(({ i }) => fixture.actual[i]));
    expect(rows.map((r) => r.predicted)).toEqual(kept.map(({ i }) => fixture.predicted[i]));
  });

  it("names a class the model was not trained on, and counts its rows as wrong", async () => {
    const csv = path.join(temp.dir, "new-class.csv");
    const [header, first, ...rest] = fixture.csv.trim().split("\n");
    const labelIndex = header!.split(",").indexOf(fixture.labelColumn);
    const renamed = first!
      .split(",")
      .map((field, i) => (i === labelIndex ? "hybrid" : field))
      .join(",");
    writeFileSync(csv, `${[header, renamed, ...rest].join("\n")}\n`);
    const run = await runExample("predict", ["--model", modelDir, "--data", csv, "--format", "json"]);
    expect(run.code, run.stderr).toBe(0);
    const output = JSON.parse(run.stdout) as { predictions: { actual: string; correct: boolean }[]; correct: number };
    expect(output.predictions[0]).toMatchObject({ actual: "hybrid", correct: false });
    const rightElsewhere = fixture.actual.filter((a, i) => i > 0 && a === fixture.predicted[i]).length;
    expect(output.correct).toBe(rightElsewhere);
    expect(run.stderr).toContain('Classes the model was not trained on (counted as wrong): "hybrid"');
    const table = await runExample("predict", ["--model", modelDir, "--data", csv]);
    expect(table.stdout).toMatch(/^ +1 {2}\S+ +\d+\.\d\d% {2}hybrid ✗$/m);
  });

  it("stops quietly, exit code 0, when the reader closes the pipe early (`| head`)", async () => {
    const csv = path.join(temp.dir, "many-rows.csv");
    const [header, ...lines] = fixture.csv.trim().split("\n");
    writeFileSync(csv, `${[header, ...Array.from({ length: 100 }, () => lines).flat()].join("\n")}\n`);
    const run = await runExample("predict", ["--model", modelDir, "--data", csv], { closeStdoutEarly: true });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  it("names the file and the column when a feature column is missing", async () => {
    const csv = path.join(temp.dir, "no-petals.csv");
    writeFileSync(csv, "sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n");
    const run = await runExample("predict", ["--model", modelDir, "--data", csv]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`${csv}: no column "petal_width"`);
  });

  it("says which folder is not a run folder", async () => {
    const run = await runExample("predict", ["--model", temp.dir, "--data", digitsCsv]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`cannot read ${path.join(temp.dir, "config.json")}`);
  });
});

describe("predict on a model written by train", () => {
  it("restores the standardisation: its accuracy on all rows matches the run's train and test accuracies", async () => {
    const out = path.join(temp.dir, "digits-run");
    const train = await runExample("train", ["--epochs", "1", "--hidden", "32", "--out", out]);
    expect(train.code, train.stderr).toBe(0);
    expect(existsSync(path.join(out, "model.safetensors"))).toBe(true);
    const run = await runExample("predict", ["--model", out, "--data", digitsCsv]);
    expect(run.code, run.stderr).toBe(0);
    expect(predictionRows(run.stdout)).toHaveLength(1797);
    // Every row is in either the training or the test part, so the counts must add up exactly.
    const last = readJson<MetricsFile>(path.join(out, "metrics.json")).epochs.at(-1)!;
    const correct = Math.round(last.trainAccuracy * 1437) + Math.round(last.testAccuracy * 360);
    expect(run.stdout).toContain(`(${correct} of 1797 rows)`);
    expect(readFileSync(path.join(out, "config.json"), "utf8")).toContain('"labelColumn": "label"');
  });
});

describe("predict's command line", () => {
  it("--version prints the package version alone", async () => {
    const { version } = readJson<{ version: string }>(path.join(repoRoot, "examples", "package.json"));
    const run = await runExample("predict", ["--version"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${version}\n`);
  });
});

describe("predictionsCsv", () => {
  it("quotes class names holding commas, quotes or line breaks, so a CSV reader gets them back", () => {
    const names = ["a,b", 'say "hi"', "two\nlines", "plain"];
    const predictions = names.map((predicted, i) => ({ row: i + 1, predicted, probability: 0.5 + i / 10 }));
    const text = predictionsCsv({ predictions, correct: null });
    expect(text.split("\n")[1]).toBe('1,"a,b",0.5');
    const parsed = readCsv(text, { label: "predicted" });
    expect(parsed.featureNames).toEqual(["row", "probability"]);
    expect(Array.from(parsed.labels!.data(), (k) => parsed.classNames[k])).toEqual(names);
    expect(parsed.features.toArray()).toEqual(predictions.map((p) => [p.row, Math.fround(p.probability)]));
  });

  it("csvField leaves plain text alone and doubles quotes inside quoted fields", () => {
    expect([csvField("setosa"), csvField("a,b"), csvField('6" tall'), csvField("")]).toEqual(["setosa", '"a,b"', '"6"" tall"', ""]);
  });
});

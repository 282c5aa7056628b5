import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Tensor, tensor } from "@nabla/tensor";
import { saveFile } from "@nabla/nn/node";
import { loadFixture } from "../support/fixtures";
import { type MetricsFile, digitsCsv, readJson, runExample, temporaryDirectory } from "./cli";

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
    writeFileSync(path.join(modelDir, "config.json"), JSON.stringify({ architecture, featureNames, labelColumn, classNames, standardization, training: {} }));
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
    rows.forEach((r, i) => expect(Math.abs(r.probability - fixture.probability[i]!)).toBeLessThanOrEqual(0.00005 + 1e-9));
    // A wrong prediction is marked after the actual class.
    expect(rows.map((r) => r.actual)).toEqual(fixture.actual);
    expect(run.stdout.match(/ ✗$/gm)).toHaveLength(fixture.actual.filter((a, i) => a !== fixture.predicted[i]).length);
    const correct = Math.round(fixture.accuracy * fixture.actual.length);
    expect(run.stdout).toContain(`Accuracy ${(fixture.accuracy * 100).toFixed(2)}% (${correct} of ${fixture.actual.length} rows)`);
  });

  it("predicts without accuracy when the file has no label column", async () => {
    const csv = path.join(temp.dir, "unlabelled.csv");
    const lines = fixture.csv.trim().split("\n").map((line) => line.split(","));
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

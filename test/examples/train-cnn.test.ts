import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NablaError, tensor } from "@nabla/tensor";
import { readCsv } from "@nabla/nn";
import { loadFile } from "@nabla/nn/node";
import { type CheckpointConfig, loadCheckpoint } from "../../examples/src/checkpoint";
import { imageShape } from "../../examples/src/cli/arguments";
import { parseTrainOptions } from "../../examples/src/cli/train-options";
import { readLabelledCsv, splitRows } from "../../examples/src/dataset";
import type { EpochMetrics } from "../../examples/src/metrics";
import { buildCnn, type CnnArchitecture, cnnArchitecture, modelInput } from "../../examples/src/model";
import { Standardizer } from "../../examples/src/standardizer";
import { type TrainingSettings, trainClassifier } from "../../examples/src/training";
import { loadFixture } from "../support/fixtures";
import { type MetricsFile, digitsCsv, irisCsv, readJson, runExample, temporaryDirectory, flagRefusal } from "./cli";

const temp = temporaryDirectory("nabla-cnn-");
afterAll(temp.remove);

const refusal = (argv: string[]) => flagRefusal(parseTrainOptions, argv);

describe("--model and --image-shape", () => {
  it("default to the MLP, with no image shape", () => {
    expect(parseTrainOptions([])).toMatchObject({ model: "mlp", hidden: [128, 64], imageShape: undefined });
    expect(parseTrainOptions(["--model", "mlp", "--hidden", "32"])).toMatchObject({ model: "mlp", hidden: [32], imageShape: undefined });
  });

  it("parse --model cnn --image-shape C,H,W", () => {
    expect(parseTrainOptions(["--model", "cnn", "--image-shape", "1,8,8"])).toMatchObject({ model: "cnn", imageShape: [1, 8, 8] });
    expect(imageShape(" 3, 32 ,28")).toEqual([3, 32, 28]);
    for (const bad of ["1,8", "1,8,8,1", "0,8,8", "1,8,x", "1,8,8.5", "", "8x8"]) {
      expect(() => imageShape(bad), bad).toThrow('Expected three positive integers C,H,W (channels, height, width), such as "1,8,8".');
    }
  });

  it("refuse a missing, misplaced or malformed image shape, an unknown model, and --hidden with the CNN", () => {
    expect(refusal(["--model", "cnn"])).toContain(
      "error: --model cnn needs --image-shape C,H,W, the channels, height and width of each image (1,8,8 for the bundled digits)",
    );
    expect(refusal(["--image-shape", "1,8,8"])).toContain(
      "error: --image-shape is for --model cnn; the mlp reads each row's features as one flat vector",
    );
    expect(refusal(["--model", "cnn", "--image-shape", "1,8,8", "--hidden", "32"])).toContain(
      "error: --hidden sets the mlp's hidden layers; --model cnn has its own (see --help)",
    );
    expect(refusal(["--model", "cnn", "--image-shape", "8,8"])).toContain(
      "error: option '--image-shape <C,H,W>' argument '8,8' is invalid. Expected three positive integers C,H,W",
    );
    expect(refusal(["--model", "resnet"])).toContain(
      "error: option '--model <type>' argument 'resnet' is invalid. Allowed choices are mlp, cnn.",
    );
  });

  it("refuse, before writing anything, an image shape that does not match the feature columns or is too small", async () => {
    const out = path.join(temp.dir, "refused");
    const [mismatch, tooSmall] = await Promise.all([
      runExample("train", ["--model", "cnn", "--image-shape", "1,7,7", "--out", out]),
      runExample("train", ["--data", irisCsv, "--label", "species", "--model", "cnn", "--image-shape", "1,2,2", "--out", out]),
    ]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toBe(
      `error: train: --image-shape 1,7,7 needs 1·7·7 = 49 feature columns, but ${digitsCsv} has 64 (besides the label column "label")\n`,
    );
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.stderr).toBe(
      "error: buildCnn: images of shape 1×2×2 are too small: 2 blocks of a 3×3 convolution (padding 1) and a 2×2 max-pool leave a 32×0×0 feature map\n",
    );
    expect(() => readFileSync(path.join(out, "config.json"))).toThrow();
  });
});

describe("the CNN", () => {
  it("is (Conv2d → ReLU → MaxPool2d) × 2 → Flatten → Linear, named as torch.nn.Sequential names it", () => {
    const model = buildCnn(cnnArchitecture([1, 8, 8], 10));
    expect(model.namedParameters().map(([name, p]) => [name, ...p.shape])).toEqual([
      ["0.weight", 16, 1, 3, 3],
      ["0.bias", 16],
      ["3.weight", 32, 16, 3, 3],
      ["3.bias", 32],
      ["7.weight", 10, 128],
      ["7.bias", 10],
    ]);
    // 5×7 images: the pools floor 5 → 2 → 1 and 7 → 3 → 1.
    expect(
      buildCnn(cnnArchitecture([3, 5, 7], 4))
        .namedParameters()
        .at(-2)![1].shape,
    ).toEqual([4, 32]);
    expect(() => buildCnn(cnnArchitecture([1, 3, 8], 2))).toThrow(NablaError);
  });

  it("gives PyTorch's logits with PyTorch's weights, on rows holding (C, H, W) images", () => {
    const fixture = loadFixture<{
      architecture: CnnArchitecture;
      weights: Weights;
      rows: number[][];
      logits: number[][];
    }>("examples_cnn.json");
    const model = buildCnn(fixture.architecture);
    model.loadStateDict(stateDictOf(fixture.weights));
    const logits = model
      .eval()
      .forward(modelInput(fixture.architecture, tensor(fixture.rows)))
      .toArray() as number[][];
    const expected = fixture.logits.flat();
    for (const [i, value] of logits.flat().entries()) expect(value).toBeCloseTo(expected[i]!, 5);
  });
});

type Weights = Record<string, { shape: number[]; values: number[] }>;
const stateDictOf = (weights: Weights) =>
  Object.fromEntries(Object.entries(weights).map(([name, { shape, values }]) => [name, tensor(values).reshape(shape)]));

describe("the CNN's training loop", () => {
  it("follows PyTorch over 600 Adam steps, given the same initial weights and batches", () => {
    // test/fixtures/gen_examples.py: PyTorch's weights, trained on the batches in the order nabla's DataLoader draws for the seed;
    // the metrics of the first and every tenth epoch
    const fixture = loadFixture<{
      architecture: CnnArchitecture;
      trainRows: number;
      testRows: number;
      settings: TrainingSettings;
      initialWeights: Weights;
      history: EpochMetrics[];
      finalWeights: Weights;
    }>("examples_cnn_training.json");
    const { architecture, trainRows, testRows } = fixture;
    const data = readLabelledCsv(digitsCsv, undefined);
    const rawTrain = data.features.narrow(0, 0, trainRows);
    const standardizer = Standardizer.fit(rawTrain);
    const split = {
      trainFeatures: modelInput(architecture, standardizer.transform(rawTrain)),
      trainLabels: data.labels.narrow(0, 0, trainRows),
      testFeatures: modelInput(architecture, standardizer.transform(data.features.narrow(0, trainRows, testRows))),
      testLabels: data.labels.narrow(0, trainRows, testRows),
      standardizer,
    };
    const model = buildCnn(architecture);
    model.loadStateDict(stateDictOf(fixture.initialWeights));
    const silent = { epochStarted() {}, batchFinished() {}, epochFinished() {} };
    const history = trainClassifier(model, split, fixture.settings, silent);

    expect(history).toHaveLength(fixture.settings.epochs);
    // float32 rounding differs from PyTorch's kernel by kernel and the difference grows over
    // hundreds of steps (to about 1e-4 in the loss by the last epochs), so losses compare to three
    // decimals; a wrong step (an Adam bias correction one step off) already differs at epoch 1
    for (const expected of fixture.history) {
      const actual = history[expected.epoch - 1]!;
      expect(actual.trainAccuracy, `epoch ${expected.epoch}`).toBe(expected.trainAccuracy);
      expect(actual.testAccuracy, `epoch ${expected.epoch}`).toBe(expected.testAccuracy);
      expect(actual.trainLoss, `epoch ${expected.epoch}`).toBeCloseTo(expected.trainLoss, 3);
      expect(actual.testLoss, `epoch ${expected.epoch}`).toBeCloseTo(expected.testLoss, 3);
    }
    const final = model.stateDict();
    for (const [name, { values }] of Object.entries(fixture.finalWeights)) {
      const actual = final[name]!.data();
      for (const [j, value] of values.entries()) expect(actual[j], `${name}[${j}]`).toBeCloseTo(value, 3);
    }
  });
});

describe("train --model cnn, then predict", () => {
  // 300 rows of the digits keep the run short.
  const csv = path.join(temp.dir, "digits-300.csv");
  const out = path.join(temp.dir, "cnn");
  let metrics: MetricsFile;
  let predictions: { predictions: { predicted: string; actual: string }[]; correct: number };
  beforeAll(async () => {
    writeFileSync(csv, `${readFileSync(digitsCsv, "utf8").trim().split("\n").slice(0, 301).join("\n")}\n`);
    const train = await runExample("train", [
      "--data",
      csv,
      "--model",
      "cnn",
      "--image-shape",
      "1,8,8",
      "--epochs",
      "3",
      "--lr",
      "0.01",
      "--out",
      out,
    ]);
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout).toContain("Training a CNN 1×8×8 → conv 16 → conv 32 → 32×2×2 → 10 on");
    metrics = readJson<MetricsFile>(path.join(out, "metrics.json"));
    const predict = await runExample("predict", ["--model", out, "--data", csv, "--format", "json"]);
    expect(predict.code, predict.stderr).toBe(0);
    predictions = JSON.parse(predict.stdout);
  }, 30_000);

  it("writes the architecture to config.json and the weights under PyTorch's names", () => {
    const config = readJson<CheckpointConfig>(path.join(out, "config.json"));
    expect(config.architecture).toEqual({
      type: "cnn",
      imageShape: [1, 8, 8],
      channels: [16, 32],
      kernelSize: 3,
      padding: 1,
      poolSize: 2,
      activation: "relu",
      outFeatures: 10,
    });
    expect(config.featureNames).toHaveLength(64);
    const { tensors } = loadFile(path.join(out, "model.safetensors"));
    expect(Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, t.shape]))).toEqual({
      "0.weight": [16, 1, 3, 3],
      "0.bias": [16],
      "3.weight": [32, 16, 3, 3],
      "3.bias": [32],
      "7.weight": [10, 128],
      "7.bias": [10],
    });
    expect(
      loadCheckpoint(out)
        .model.namedParameters()
        .map(([name]) => name),
    ).toEqual(["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"]);
  });

  it("learns, and predict rebuilds the model: it gets right exactly the rows training last counted as right", () => {
    const last = metrics.epochs.at(-1)!;
    expect(last.trainLoss).toBeLessThan(metrics.epochs[0]!.trainLoss);
    expect(last.testAccuracy).toBeGreaterThan(0.5);
    const { trainRows, testRows } = readJson<CheckpointConfig>(path.join(out, "config.json")).training as Record<string, number>;
    expect(trainRows! + testRows!).toBe(300);
    expect(predictions.predictions).toHaveLength(300);
    expect(predictions.correct).toBe(Math.round(last.trainAccuracy * trainRows! + last.testAccuracy * testRows!));
    // The test rows of the split training made (seed 0), as predict classifies them, give training's confusion matrix.
    const { labels } = readCsv(readFileSync(csv, "utf8"));
    const { classNames } = readJson<CheckpointConfig>(path.join(out, "config.json"));
    const confusion = classNames.map(() => classNames.map(() => 0));
    for (const row of splitRows(labels!, 0).test.data()) {
      const { actual, predicted } = predictions.predictions[row]!;
      confusion[classNames.indexOf(actual)]![classNames.indexOf(predicted)]!++;
    }
    expect(confusion).toEqual(metrics.testConfusionMatrix);
  });
});

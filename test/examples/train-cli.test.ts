import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFile } from "@nabla/nn/node";
import type { CheckpointConfig } from "../../examples/src/checkpoint";
import { parseTrainOptions } from "../../examples/src/cli/train-options";
import { type MetricsFile, type RunResult, digitsCsv, irisCsv, parseSvg, readJson, repoRoot, runExample, temporaryDirectory } from "./cli";

const temp = temporaryDirectory("nabla-train-");
afterAll(temp.remove);

describe("train on digits, 2 epochs", () => {
  const out = path.join(temp.dir, "digits");
  let run: RunResult;
  beforeAll(async () => {
    run = await runExample("train", ["--epochs", "2", "--out", out]);
  });

  it("exits 0 and writes every file of a run", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      ["accuracy.svg", "confusion.svg", "config.json", "loss.svg", "metrics.json", "model.safetensors", "timing.json"].sort(),
    );
  });

  it("prints plain epoch lines (stdout is not a terminal), the summary, the confusion matrix and the files", () => {
    expect(run.stdout).toMatch(/^epoch 1\/2 \| train loss \d+\.\d{4} acc \d+\.\d\d% \| test loss \d+\.\d{4} acc \d+\.\d\d% \| /m);
    expect(run.stdout).toMatch(/^epoch 2\/2 \| /m);
    expect(run.stdout).not.toContain("\u001b["); // no redraws or colours in a pipe
    expect(run.stdout).toMatch(/train accuracy \d+\.\d\d%/);
    expect(run.stdout).toMatch(/test accuracy +\d+\.\d\d%/);
    expect(run.stdout).toContain("1437 training rows, 360 test rows, 10 classes");
    expect(run.stdout).toMatch(/true ↓ +0 +1 +2 +3 +4 +5 +6 +7 +8 +9/);
    expect(run.stdout).toContain(`Files in ${out}`);
    for (const file of ["model.safetensors", "config.json", "metrics.json", "loss.svg", "accuracy.svg", "confusion.svg"]) {
      expect(run.stdout).toContain(`  ${file}`);
    }
  });

  it("writes metrics.json: one row per epoch with losses and accuracies, and the test confusion matrix", () => {
    const metrics = readJson<MetricsFile>(path.join(out, "metrics.json"));
    expect(metrics.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(metrics.epochs.map((row) => Object.keys(row))).toEqual(
      [1, 2].map(() => ["epoch", "trainLoss", "trainAccuracy", "testLoss", "testAccuracy"]),
    );
    expect(metrics.epochs.map((row) => row.epoch)).toEqual([1, 2]);
    for (const row of metrics.epochs) {
      expect(row.trainLoss).toBeGreaterThan(0);
      expect(row.testLoss).toBeGreaterThan(0);
      // Accuracies are counts over 1437 training and 360 test rows.
      expect(Math.abs(row.trainAccuracy * 1437 - Math.round(row.trainAccuracy * 1437))).toBeLessThan(1e-9);
      expect(Math.abs(row.testAccuracy * 360 - Math.round(row.testAccuracy * 360))).toBeLessThan(1e-9);
    }
    // Two epochs of Adam from PyTorch's initialisation take the loss well below log(10) ≈ 2.3.
    expect(metrics.epochs[1]!.trainLoss).toBeLessThan(metrics.epochs[0]!.trainLoss);
    expect(metrics.epochs[1]!.testAccuracy).toBeGreaterThan(0.7);
    const matrix = metrics.testConfusionMatrix;
    expect(matrix.map((row) => row.length)).toEqual(new Array(10).fill(10));
    // Stratified: each digit has its 20% share of test rows, give or take the rounding.
    const classSizes = new Array(10).fill(0);
    for (const line of readFileSync(digitsCsv, "utf8").trim().split("\n").slice(1)) classSizes[Number(line.split(",").at(-1))]++;
    matrix.forEach((row, digit) => {
      const testRows = row.reduce((a, b) => a + b, 0);
      expect(Math.abs(testRows - classSizes[digit] * 0.2)).toBeLessThan(1);
    });
    const correct = matrix.reduce((sum, row, i) => sum + row[i]!, 0);
    expect(correct / 360).toBeCloseTo(metrics.epochs[1]!.testAccuracy, 12);
    expect(readFileSync(path.join(out, "metrics.json"), "utf8")).not.toMatch(/time|second/i);
  });

  it("writes config.json with the architecture, names, label column and standardisation", () => {
    const config = readJson<CheckpointConfig>(path.join(out, "config.json"));
    expect(config.architecture).toEqual({ type: "mlp", inFeatures: 64, hidden: [128, 64], activation: "relu", outFeatures: 10 });
    expect(config.featureNames).toEqual(Array.from({ length: 64 }, (_, i) => `pixel${i}`));
    expect(config.classNames).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(config.labelColumn).toBe("label");
    expect(config.standardization.mean).toHaveLength(64);
    expect(config.standardization.std).toHaveLength(64);
    // pixel0 is 0 in every image: mean 0, and its zero spread is replaced by 1.
    expect(config.standardization.mean[0]).toBe(0);
    expect(config.standardization.std[0]).toBe(1);
    // Grey levels lie in 0…16, so every mean does too, and no spread exceeds half the range.
    expect(Math.min(...config.standardization.mean)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...config.standardization.mean)).toBeLessThanOrEqual(16);
    expect(Math.min(...config.standardization.std)).toBeGreaterThan(0);
    expect(Math.max(...config.standardization.std)).toBeLessThanOrEqual(8);
    expect(config.training).toMatchObject({
      optimizer: "adam",
      lr: 0.001,
      batchSize: 64,
      epochs: 2,
      seed: 0,
      trainRows: 1437,
      testRows: 360,
    });
  });

  it("writes the weights as safetensors named as torch.nn.Sequential names them", () => {
    const { tensors, metadata } = loadFile(path.join(out, "model.safetensors"));
    expect(metadata).toEqual({ format: "pt" });
    expect(Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, [t.dtype, ...t.shape]]))).toEqual({
      "0.weight": ["float32", 128, 64],
      "0.bias": ["float32", 128],
      "2.weight": ["float32", 64, 128],
      "2.bias": ["float32", 64],
      "4.weight": ["float32", 10, 64],
      "4.bias": ["float32", 10],
    });
  });

  it("writes well-formed standalone SVG plots with titles, axes, legends and labels", () => {
    for (const [file, title] of [
      ["loss.svg", "Loss"],
      ["accuracy.svg", "Accuracy"],
      ["confusion.svg", "Confusion matrix"],
    ] as const) {
      const text = readFileSync(path.join(out, file), "utf8");
      expect(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
      const svg = parseSvg(text).svg as Record<string, unknown>;
      expect(svg["@xmlns"]).toBe("http://www.w3.org/2000/svg");
      expect(svg["@viewBox"]).toMatch(/^0 0 \d+ \d+$/);
      expect(svg.title).toBe(title);
      expect(text).not.toMatch(/NaN|undefined|Infinity/);
    }
    const loss = readFileSync(path.join(out, "loss.svg"), "utf8");
    expect(loss).toContain(">Epoch</text>");
    expect(loss).toContain(">Mean cross-entropy</text>");
    expect(loss).toContain(">train</text>");
    expect(loss).toContain(">test</text>");
    expect(loss.match(/<polyline /g)).toHaveLength(2); // train and test curves
    const accuracy = readFileSync(path.join(out, "accuracy.svg"), "utf8");
    expect(accuracy).toMatch(/>\d+(\.\d+)?%<\/text>/); // percent tick labels

    const confusion = readFileSync(path.join(out, "confusion.svg"), "utf8");
    expect(confusion).toContain(">True class</text>");
    expect(confusion).toContain(">Predicted class</text>");
    const metrics = readJson<MetricsFile>(path.join(out, "metrics.json"));
    // Every cell carries a tooltip and its count.
    const cells = [...confusion.matchAll(/<title>true (\d), predicted (\d): (\d+)<\/title>/g)];
    expect(cells).toHaveLength(100);
    for (const [, actual, predicted, count] of cells)
      expect(Number(count)).toBe(metrics.testConfusionMatrix[Number(actual)]![Number(predicted)]);
  });

  it("keeps wall-clock time in timing.json only", () => {
    const timing = readJson<{ startedAt: string; trainingSeconds: number }>(path.join(out, "timing.json"));
    expect(Number.isNaN(Date.parse(timing.startedAt))).toBe(false);
    expect(timing.trainingSeconds).toBeGreaterThan(0);
  });
});

describe("determinism", () => {
  const args = (seed: string, out: string) => ["--data", irisCsv, "--label", "species", "--epochs", "3", "--seed", seed, "--out", out];
  const dirs = ["a", "b", "c"].map((name) => path.join(temp.dir, `iris-${name}`));
  beforeAll(async () => {
    const runs = await Promise.all([args("5", dirs[0]!), args("5", dirs[1]!), args("6", dirs[2]!)].map((a) => runExample("train", a)));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
  });
  const bytes = (dir: string, file: string) => readFileSync(path.join(dir, file));

  it("gives identical metrics.json, model bytes, config and plots for the same seed", () => {
    for (const file of ["metrics.json", "model.safetensors", "config.json", "loss.svg", "accuracy.svg", "confusion.svg"]) {
      expect(bytes(dirs[0]!, file).equals(bytes(dirs[1]!, file)), file).toBe(true);
    }
  });

  it("gives other weights and metrics for another seed", () => {
    expect(bytes(dirs[0]!, "model.safetensors").equals(bytes(dirs[2]!, "model.safetensors"))).toBe(false);
    expect(bytes(dirs[0]!, "metrics.json").equals(bytes(dirs[2]!, "metrics.json"))).toBe(false);
  });
});

const examplesVersion = readJson<{ version: string }>(path.join(repoRoot, "examples", "package.json")).version;

describe("command line", () => {
  it("--help lists every flag with its default and exits 0", async () => {
    const run = await runExample("train", ["--help"]);
    expect(run.code).toBe(0);
    for (const flag of [
      "--data",
      "--label",
      "--model",
      "--hidden",
      "--image-shape",
      "-e, --epochs",
      "-b, --batch-size",
      "-l, --lr",
      "--optimizer",
      "--seed",
      "-o, --out",
      "-V, --version",
    ]) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toMatch(/--data <csv>[\s\S]*default: "examples\/data\/digits\.csv"/);
    expect(run.stdout).toMatch(/--hidden <sizes>[\s\S]*default: 128,64/);
    expect(run.stdout).toMatch(/--model <type>[\s\S]*\(choices: "mlp", "cnn",\s+default: "mlp"\)/);
    expect(run.stdout).toContain("pnpm train --model cnn --image-shape 1,8,8");
    expect(run.stdout).toMatch(/--epochs <n>[\s\S]*default: 30/);
    expect(run.stdout).toMatch(/--batch-size <n>[\s\S]*default: 64/);
  });

  it("takes -e, -b, -l and -o for --epochs, --batch-size, --lr and --out, as PyTorch scripts do", () => {
    const now = new Date("2024-05-01T12:30:05Z");
    const short = parseTrainOptions(["-e", "7", "-b", "16", "-l", "3e-4", "-o", "runs/short"], now);
    const long = parseTrainOptions(["--epochs", "7", "--batch-size", "16", "--lr", "3e-4", "--out", "runs/short"], now);
    expect(short).toEqual(long);
    expect(short).toMatchObject({
      epochs: 7,
      batchSize: 16,
      lr: 3e-4,
      outDir: path.resolve(process.env.INIT_CWD ?? process.cwd(), "runs/short"),
    });
    // The defaults are what the short flags replace.
    expect(parseTrainOptions([], now)).toMatchObject({ epochs: 30, batchSize: 64, lr: 1e-3 });
  });

  it("--version and -V print the package version alone and exit 0", async () => {
    expect(examplesVersion).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ["--version", "-V"]) {
      const run = await runExample("train", [flag]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(`${examplesVersion}\n`);
    }
  });

  it("runs with the short flags, and plots a loss that fell more than tenfold on a log scale", async () => {
    const out = path.join(temp.dir, "iris-short-flags");
    const run = await runExample("train", ["--data", irisCsv, "--label", "species", "-e", "40", "-b", "16", "-l", "0.01", "-o", out]);
    expect(run.code, run.stderr).toBe(0);
    const config = readJson<CheckpointConfig>(path.join(out, "config.json"));
    expect(config.training).toMatchObject({ epochs: 40, batchSize: 16, lr: 0.01 });
    const metrics = readJson<MetricsFile>(path.join(out, "metrics.json"));
    const losses = metrics.epochs.flatMap((row) => [row.trainLoss, row.testLoss]);
    expect(Math.max(...losses) / Math.min(...losses)).toBeGreaterThan(10);
    expect(readFileSync(path.join(out, "loss.svg"), "utf8")).toContain(">Mean cross-entropy (log scale)</text>");
    expect(readFileSync(path.join(out, "accuracy.svg"), "utf8")).toContain(">Accuracy</text>");
  });

  it("rejects a bad flag value before reading or writing anything", async () => {
    const out = path.join(temp.dir, "bad-flag");
    const run = await runExample("train", ["--optimizer", "rmsprop", "--out", out]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("option '--optimizer <name>' argument 'rmsprop' is invalid. Allowed choices are sgd, adam, adamw.");
    const hidden = await runExample("train", ["--hidden", "128,x", "--out", out]);
    expect(hidden.code).not.toBe(0);
    expect(hidden.stderr).toContain('Expected comma-separated positive layer sizes such as "128,64"');
    expect(existsSync(out)).toBe(false);
  });

  it("resolves --data and --out against INIT_CWD, the folder pnpm was called from", async () => {
    // pnpm runs the script inside examples/ and reports the user's folder in INIT_CWD.
    const run = await runExample(
      "train",
      [
        "--data",
        path.relative(temp.dir, irisCsv),
        "--label",
        "species",
        "--epochs",
        "1",
        "--hidden",
        "8",
        "--optimizer",
        "sgd",
        "--out",
        "relative-out",
      ],
      { cwd: path.join(repoRoot, "examples"), env: { INIT_CWD: temp.dir } },
    );
    expect(run.code, run.stderr).toBe(0);
    const config = readJson<CheckpointConfig>(path.join(temp.dir, "relative-out", "config.json"));
    expect(config.architecture).toMatchObject({ type: "mlp", hidden: [8] });
    expect(config.classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(config.training).toMatchObject({ optimizer: "sgd", lr: 0.01, epochs: 1 });
    expect(run.stdout).toContain("Files in relative-out");
  });
});

describe("the root package's scripts", () => {
  const scripts = readJson<{ scripts: Record<string, string> }>(path.join(repoRoot, "package.json")).scripts;

  it("run the examples without pnpm's banner lines", () => {
    const delegating = Object.entries(scripts).filter(([, command]) => command.includes("--filter @nabla/examples"));
    expect(delegating.map(([name]) => name).sort()).toEqual([
      "lesson:attention",
      "lesson:gradcheck",
      "lesson:micrograd",
      "lesson:softmax",
      "makemore",
      "predict",
      "train",
    ]);
    for (const [name, command] of delegating) expect(command, name).toMatch(/^pnpm (--silent|-s) /);
  });

  it("`pnpm train --version` prints the version after the root script's line, with no banner from the examples package", () => {
    // pnpm prints the line of the script the user named ("> nabla-monorepo@ train …", which `pnpm -s`
    // leaves out); the script's own pnpm call is silent.
    for (const script of ["train", "predict", "makemore"]) {
      const stdout = execFileSync("pnpm", [script, "--version"], { cwd: repoRoot, encoding: "utf8" });
      expect(stdout, script).not.toContain("> @nabla/examples@");
      expect(stdout.endsWith(`\n${examplesVersion}\n`), stdout).toBe(true);
    }
  });
});

import path from "node:path";
import { afterAll, describe, it } from "vitest";
import { loadFixture } from "../support/fixtures";
import { type MetricsFile, irisCsv, readJson, runExample, temporaryDirectory } from "./cli";

// The same recipe run in PyTorch, seeds 0..5 (test/fixtures/gen_examples.py).
const reference =
  loadFixture<Record<"digits" | "iris", { testAccuracy: number[]; meanTestAccuracy: number }>>("examples_training_reference.json");

const temp = temporaryDirectory("nabla-accuracy-");
afterAll(temp.remove);

describe.concurrent("accuracy with the default settings", () => {
  it("pnpm train (digits, default seed) reaches 97% test accuracy, on par with PyTorch, well within a minute", {
    timeout: 180_000,
  }, async ({ expect }) => {
    const out = path.join(temp.dir, "digits");
    const run = await runExample("train", ["--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const epochs = readJson<MetricsFile>(path.join(out, "metrics.json")).epochs;
    expect(epochs).toHaveLength(30);
    const accuracy = epochs.at(-1)!.testAccuracy;
    expect(accuracy).toBeGreaterThanOrEqual(0.97);
    // PyTorch's mean over six seeds is about 97.9%; one run may sit a point below it, no more.
    expect(accuracy).toBeGreaterThanOrEqual(reference.digits.meanTestAccuracy - 0.01);
    expect(readJson<{ trainingSeconds: number }>(path.join(out, "timing.json")).trainingSeconds).toBeLessThan(60);
  });

  it("pnpm train --data examples/data/iris.csv --label species reaches 93% test accuracy", async ({ expect }) => {
    const out = path.join(temp.dir, "iris");
    const run = await runExample("train", ["--data", irisCsv, "--label", "species", "--out", out]);
    expect(run.code, run.stderr).toBe(0);
    const accuracy = readJson<MetricsFile>(path.join(out, "metrics.json")).epochs.at(-1)!.testAccuracy;
    expect(accuracy).toBeGreaterThanOrEqual(0.93);
    // The 30 test rows make single runs coarse (one row is 3.3 points): stay within PyTorch's range.
    expect(accuracy).toBeGreaterThanOrEqual(Math.min(...reference.iris.testAccuracy) - 1 / 30);
  });
});

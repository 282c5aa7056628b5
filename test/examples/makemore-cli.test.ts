import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadFile } from "@nabla/nn/node";
import { fixturePath, loadFixture } from "../support/fixtures";
import { parseSvg, readJson, repoRoot, type RunResult, runExample, temporaryDirectory } from "./cli";

const temp = temporaryDirectory("nabla-makemore-");
afterAll(temp.remove);
// 300 names, a small transformer: quick, and still every part of a run
const input = path.join(temp.dir, "names.txt");
const names = readFileSync(path.join(repoRoot, "examples", "data", "names.txt"), "utf8")
  .split("\n")
  .slice(0, 300);
writeFileSync(input, names.join("\n"));
const workDir = path.join(temp.dir, "run");
const sizes = ["--n-layer", "1", "--n-embd", "16", "--n-head", "2"];

describe("pnpm makemore, 30 steps of a small transformer", () => {
  let run: RunResult;
  beforeAll(async () => {
    run = await runExample("makemore", ["-i", input, "-o", workDir, "--max-steps", "30", ...sizes]);
  });

  it("prints the data, the parameter count and a loss line every 10 steps, and writes the run's files", () => {
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("number of examples in the dataset: 300");
    expect(run.stdout).toContain("split up the dataset into 270 training examples and 30 test examples");
    expect(run.stdout).toMatch(/^model #params: \d+$/m);
    for (const step of [0, 10, 20])
      expect(run.stdout).toMatch(new RegExp(`^step ${step} \\| loss \\d+\\.\\d{4} \\| step time \\d+\\.\\d\\dms$`, "m"));
    expect(run.stdout).not.toMatch(/^step 30 \|/m);
    expect(run.stdout).toMatch(/^step 30 train loss: [\d.]+ test loss: [\d.]+$/m);
    expect(readdirSync(workDir).sort()).toEqual(["loss.svg", "metrics.json", "model.safetensors"]);
  });

  it("writes metrics.json and loss.svg, and saves the model with PyTorch's names", () => {
    const metrics = readJson<Record<string, unknown>>(path.join(workDir, "metrics.json"));
    expect(Object.keys(metrics)).toEqual(["type", "steps", "params", "trainLoss", "testLoss", "msPerStep"]);
    expect(metrics).toMatchObject({ type: "transformer", steps: 30 });
    const params = Number(/^model #params: (\d+)$/m.exec(run.stdout)![1]);
    expect(metrics.params).toBe(params);
    // from ln 27 ≈ 3.3 at the start, 30 steps lower the loss
    expect(metrics.testLoss).toBeGreaterThan(1.5);
    expect(metrics.testLoss).toBeLessThan(3.3);
    expect(metrics.msPerStep).toBeGreaterThan(0);
    const svg = readFileSync(path.join(workDir, "loss.svg"), "utf8");
    expect(parseSvg(svg)).toHaveProperty("svg");
    expect(svg).toContain(">train<");
    expect(svg).toContain(">test<");
    const { tensors, metadata } = loadFile(path.join(workDir, "model.safetensors"));
    expect(metadata).toEqual({ format: "pt", type: "transformer" });
    expect(Object.keys(tensors)).toContain("transformer.h.0.attn.c_attn.weight");
    expect(Object.keys(tensors)).toContain("lm_head.weight");
  });

  it("--sample-only loads the model and prints 50 names, sorted into in train, in test and new", async () => {
    const result = await runExample("makemore", ["-i", input, "-o", workDir, "--sample-only", "--top-k", "3", ...sizes]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const counts = [...result.stdout.matchAll(/^(\d+) samples that are (in train|in test|new):$/gm)].map((match) => Number(match[1]));
    expect(counts).toHaveLength(3);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(50);
    const words = printedSamples(result.stdout);
    expect(words).toHaveLength(50);
    for (const word of words) expect(word).toMatch(/^[a-z]*$/);
  });

  it("--resume starts from the saved model: its first loss is below a fresh model's", async () => {
    const resumed = await runExample("makemore", ["-i", input, "-o", workDir, "--resume", "--max-steps", "1", ...sizes]);
    expect(resumed.stderr).toBe("");
    expect(resumed.stdout).toContain("resuming from existing model in the workdir");
    const firstLoss = (stdout: string) => Number(/^step 0 \| loss (\S+) \|/m.exec(stdout)![1]);
    // the same seed draws the same first batch
    expect(firstLoss(resumed.stdout)).toBeLessThan(firstLoss(run.stdout) - 0.05);
  });
});

/** The sample lines `--sample-only` prints between its two rules. */
function printedSamples(stdout: string): string[] {
  // the lines between the two rules, but the headers; a name may be empty (the stop token drawn first)
  const block = stdout.split("-".repeat(80))[1]!;
  return block
    .split("\n")
    .slice(1, -1)
    .filter((line) => !line.includes("samples that are"));
}

describe("pnpm makemore --sample-only on weights saved by PyTorch", () => {
  const { tiny } = loadFixture<{
    tiny: { config: Record<"n_layer" | "n_head" | "n_embd" | "n_embd2", number>; models: Record<string, { greedy: number[] }> };
  }>("makemore_reference.json");
  // the six letters of the tiny models' vocabulary (7 with the stop token) in words of at most 4
  // letters (block size 5), as in gen_makemore.py
  const letters = "abcdef";
  const tinyInput = path.join(temp.dir, "tiny.txt");
  writeFileSync(tinyInput, ["abcd", "ef", "fed", "cab", "bead", "dab", "fade", "face", "cafe", "deaf", "bad", "bee"].join("\n"));
  const { n_layer, n_head, n_embd, n_embd2 } = tiny.config;
  const tinySizes = ["--n-layer", n_layer, "--n-head", n_head, "--n-embd", n_embd, "--n-embd2", n_embd2].map(String);

  it.each(Object.keys(tiny.models))("%s: with --top-k 1 every sample is the word PyTorch's model finds most likely", async (type) => {
    const dir = path.join(temp.dir, `pytorch-${type}`);
    mkdirSync(dir);
    copyFileSync(fixturePath(`makemore/${type}.safetensors`), path.join(dir, "model.safetensors"));
    const result = await runExample("makemore", [
      "-i",
      tinyInput,
      "-o",
      dir,
      "--type",
      type,
      "--sample-only",
      "--top-k",
      "1",
      ...tinySizes,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const tokens = tiny.models[type]!.greedy;
    const end = tokens.indexOf(0);
    const word = Array.from(tokens.slice(0, end === -1 ? undefined : end), (token) => letters[token - 1]).join("");
    expect(printedSamples(result.stdout)).toEqual(Array(50).fill(word));
  });
});

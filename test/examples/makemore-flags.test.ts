import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { manualSeed } from "@nabla/tensor";
import { parseMakemoreOptions } from "../../examples/src/makemore/cli";
import { createModel } from "../../examples/src/makemore/models";
import { loadModel, saveModel } from "../../examples/src/makemore/train";
import { repoRoot, temporaryDirectory, flagRefusal } from "./cli";

const temp = temporaryDirectory("nabla-makemore-flags-");
afterAll(temp.remove);

const refusal = (argv: string[]) => flagRefusal(parseMakemoreOptions, argv);

describe("pnpm makemore flags", () => {
  it("default to makemore's", () => {
    expect(parseMakemoreOptions([])).toEqual({
      inputFile: path.join(repoRoot, "examples", "data", "names.txt"),
      workDir: path.join(repoRoot, "runs", "makemore"),
      type: "transformer",
      maxSteps: -1,
      seed: 3407,
      nLayer: 4,
      nHead: 4,
      nEmbd: 64,
      nEmbd2: 64,
      batchSize: 32,
      learningRate: 5e-4,
      weightDecay: 0.01,
      topK: undefined,
      sampleOnly: false,
      resume: false,
    });
  });

  it("take makemore's short forms, and -1 for no top-k", () => {
    expect(
      parseMakemoreOptions(["-b", "16", "-l", "1e-3", "-w", "0", "--top-k", "-1", "--max-steps", "-1", "--type", "gru"]),
    ).toMatchObject({
      batchSize: 16,
      learningRate: 1e-3,
      weightDecay: 0,
      topK: undefined,
      maxSteps: -1,
      type: "gru",
    });
    expect(parseMakemoreOptions(["--top-k", "5", "--n-embd", "10", "--n-head", "4", "--type", "mlp"])).toMatchObject({
      topK: 5,
      nEmbd: 10,
    });
  });

  it.each([
    [["--type", "lstm"], "argument 'lstm' is invalid. Allowed choices are bigram, mlp, rnn, gru, bow, transformer."],
    [["--n-embd", "10", "--n-head", "4"], "--n-embd 10 must be a multiple of --n-head 4"],
    [["--max-steps", "-2"], "Expected a non-negative integer, or -1 to train until stopped."],
    [["--top-k", "0"], "Expected a positive integer (or -1 for no top-k)."],
    [["-l", "zero"], "Expected a positive number"],
    [["-w", "-1"], "Expected a non-negative number"],
    [["--sample-only", "--max-steps", "5"], "--sample-only trains nothing"],
    [["--epochs", "5"], "unknown option '--epochs'"],
  ])("refuse %j", (argv, message) => {
    expect(refusal(argv)).toContain(message);
  });
});

describe("the checkpoint", () => {
  const config = { vocabSize: 5, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 8, nEmbd2: 8 };
  const file = path.join(temp.dir, "model.safetensors");

  it("loads into the same type and sizes, bit for bit", () => {
    manualSeed(0);
    const saved = createModel("transformer", config);
    saveModel(file, saved, "transformer");
    const loaded = createModel("transformer", config);
    loadModel(file, loaded, "transformer");
    for (const [name, p] of loaded.namedParameters()) expect(p.toArray(), name).toEqual(saved.stateDict()[name]!.toArray());
  });

  it("is refused, with what to change, by another type, other sizes, or when missing", () => {
    expect(() => loadModel(file, createModel("gru", config), "gru")).toThrow("holds a transformer model; run with --type transformer");
    expect(() => loadModel(file, createModel("transformer", { ...config, nEmbd: 16 }), "transformer")).toThrow(
      "does not fit a transformer model of these sizes (check --n-layer, --n-head, --n-embd, --n-embd2 and the input file)",
    );
    expect(() => loadModel(path.join(temp.dir, "none.safetensors"), createModel("bigram", config), "bigram")).toThrow("there is no");
  });
});

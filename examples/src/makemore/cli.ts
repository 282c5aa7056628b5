import path from "node:path";
import { InvalidArgumentError, Option } from "commander";
import { nonNegativeInteger, positiveInteger, positiveNumber } from "../cli/arguments";
import { exampleProgram } from "../cli/program";
import { displayPath, repoRoot, resolveUserPath } from "../paths";
import { MODEL_TYPES, type ModelType } from "./models";

/** The words `pnpm makemore` learns from when no `--input-file` is given. */
export const defaultInputFile = path.join(repoRoot, "examples", "data", "names.txt");
/** A fixed folder, as makemore's `out`, so `--sample-only` and `--resume` find the last run. */
export const defaultWorkDir = path.join(repoRoot, "runs", "makemore");

/** Everything a makemore run needs, with paths already absolute. */
export interface MakemoreOptions {
  inputFile: string;
  workDir: string;
  type: ModelType;
  /** −1: until the process is stopped. */
  maxSteps: number;
  seed: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nEmbd2: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  /** Undefined: sample from every token. */
  topK: number | undefined;
  sampleOnly: boolean;
  resume: boolean;
}

/** makemore's defaults (its seed, 3407, included). */
export const MAKEMORE_DEFAULTS = {
  type: "transformer" as ModelType,
  maxSteps: -1,
  seed: 3407,
  nLayer: 4,
  nHead: 4,
  nEmbd: 64,
  nEmbd2: 64,
  batchSize: 32,
  learningRate: 5e-4,
  weightDecay: 0.01,
};

/** A parser that takes −1 (makemore's "no limit") or what `parse` takes, and otherwise says `expected`. */
function minusOneOr(parse: (text: string) => number, expected: string): (text: string) => number {
  return (text) => {
    if (text.trim() === "-1") return -1;
    try {
      return parse(text);
    } catch {
      throw new InvalidArgumentError(expected);
    }
  };
}

const maxSteps = minusOneOr(nonNegativeInteger, "Expected a non-negative integer, or -1 to train until stopped.");
const topK = minusOneOr(positiveInteger, "Expected a positive integer (or -1 for no top-k).");

function nonNegativeNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0)
    throw new InvalidArgumentError("Expected a non-negative number such as 0.01.");
  return value;
}

/**
 * Parses `pnpm makemore`'s command line (makemore's flags). `--help`, `--version` and bad flags make
 * commander print and exit before anything is read or written.
 */
export function parseMakemoreOptions(argv: string[]): MakemoreOptions {
  const d = MAKEMORE_DEFAULTS;
  const program = exampleProgram(
    "pnpm makemore",
    "Train a character-level language model on a file of words, one per line, and sample new words from it (a port of Karpathy's makemore).",
  )
    .option("-i, --input-file <txt>", "input file with things one per line", displayPath(defaultInputFile))
    .option("-o, --work-dir <dir>", "output working directory (model.safetensors, metrics.json, loss.svg)", displayPath(defaultWorkDir))
    .addOption(new Option("--type <type>", "model class type to use").choices(MODEL_TYPES).default(d.type))
    .option("--max-steps <n>", "max number of optimization steps to run for, or -1 for infinite", maxSteps, d.maxSteps)
    .option("--seed <n>", "seed for the split, the initial weights, the batches and the samples", nonNegativeInteger, d.seed)
    .option("--n-layer <n>", "number of layers (transformer)", positiveInteger, d.nLayer)
    .option("--n-head <n>", "number of heads (transformer)", positiveInteger, d.nHead)
    .option("--n-embd <n>", "number of feature channels in the model", positiveInteger, d.nEmbd)
    .option("--n-embd2 <n>", "number of feature channels elsewhere in the model (mlp, rnn, gru, bow)", positiveInteger, d.nEmbd2)
    .option("-b, --batch-size <n>", "batch size during optimization", positiveInteger, d.batchSize)
    .option("-l, --learning-rate <rate>", "learning rate", positiveNumber, d.learningRate)
    .option("-w, --weight-decay <w>", "weight decay (AdamW)", nonNegativeNumber, d.weightDecay)
    .option("--top-k <k>", "sample only from the k most likely characters (-1: from all)", topK)
    .option("--sample-only", "load model.safetensors from the work dir, print 50 samples and quit", false)
    .option("--resume", "start from model.safetensors in the work dir instead of new weights", false)
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  pnpm makemore --max-steps 2000                   # the transformer on the bundled names",
        "  pnpm makemore --type bigram --max-steps 1000 -o runs/bigram",
        "  pnpm makemore --type bigram -o runs/bigram --sample-only",
        "  pnpm makemore -i words.txt --type gru --n-embd2 128 --max-steps 5000",
      ].join("\n"),
    )
    .parse(argv, { from: "user" });

  const options = program.opts<MakemoreOptions>(); // topK −1 (no top-k) becomes undefined below
  if (options.type === "transformer" && options.nEmbd % options.nHead !== 0) {
    program.error(
      `error: --n-embd ${options.nEmbd} must be a multiple of --n-head ${options.nHead} (each head gets n-embd / n-head channels)`,
    );
  }
  if (options.sampleOnly && program.getOptionValueSource("maxSteps") === "cli") {
    program.error("error: --sample-only trains nothing, so --max-steps has no meaning with it");
  }
  return {
    ...options,
    topK: options.topK === -1 ? undefined : options.topK,
    inputFile: resolveUserPath(options.inputFile),
    workDir: resolveUserPath(options.workDir),
  };
}

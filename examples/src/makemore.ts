/**
 * `pnpm makemore`: a TypeScript port of Karpathy's makemore (github.com/karpathy/makemore, MIT):
 * character-level language models trained on a file of words, one per line, that then make up
 * more words like them. Run `pnpm makemore --help` for the flags; examples/README.md describes them.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { NablaError, manualSeed } from "@nabla/tensor";
import { formatJson } from "./json-file";
import { type MakemoreOptions, parseMakemoreOptions } from "./makemore/cli";
import { createDatasets, readWords } from "./makemore/data";
import { createModel, parameterCount } from "./makemore/models";
import { lossChart } from "./makemore/plot";
import { formatSamples, sampleWords } from "./makemore/sample";
import { datasetLoss, evaluate } from "./makemore/optimize";
import { MODEL_FILE, loadModel, trainModel } from "./makemore/train";
import { runMain, userArguments } from "./main";
import { checkRunDirectory } from "./run-files";

function makemore(options: MakemoreOptions): void {
  console.log(JSON.stringify(options));
  checkRunDirectory(options.workDir, "makemore", "--work-dir");
  let text: string;
  try {
    text = readFileSync(options.inputFile, "utf8");
  } catch (error) {
    throw new NablaError("makemore", `cannot read the input file ${options.inputFile}: ${(error as Error).message}`);
  }

  manualSeed(options.seed);
  const words = readWords(text);
  const data = createDatasets(words, options.inputFile);
  const { train, test } = data;
  console.log(`number of examples in the dataset: ${words.length}`);
  console.log(`max word length: ${train.maxWordLength}`);
  console.log(`number of unique characters in the vocabulary: ${train.chars.length}`);
  console.log("vocabulary:");
  console.log(train.chars.join(""));
  console.log(`split up the dataset into ${train.length} training examples and ${test.length} test examples`);
  const vocabSize = train.vocabSize;
  const blockSize = train.outputLength;
  console.log(`dataset determined that: vocab_size=${vocabSize}, block_size=${blockSize}`);

  const config = { vocabSize, blockSize, nLayer: options.nLayer, nHead: options.nHead, nEmbd: options.nEmbd, nEmbd2: options.nEmbd2 };
  const model = createModel(options.type, config);
  const params = parameterCount(model);
  console.log(`model #params: ${params}`);
  const modelFile = path.join(options.workDir, MODEL_FILE);
  if (options.resume || options.sampleOnly) {
    console.log("resuming from existing model in the workdir");
    loadModel(modelFile, model, options.type);
  }
  if (options.sampleOnly) {
    console.log(formatSamples(sampleWords(model, data, 50, options.topK)));
    return;
  }

  mkdirSync(options.workDir, { recursive: true });
  const result = trainModel(model, data, options, (line) => console.log(line));
  const metrics = {
    type: options.type,
    steps: result.steps,
    params,
    trainLoss: result.evaluations.at(-1)?.trainLoss ?? evaluate(model, train, 100, 10),
    testLoss: datasetLoss(model, test),
    msPerStep: result.msPerStep,
  };
  writeFileSync(path.join(options.workDir, "metrics.json"), formatJson(metrics));
  writeFileSync(path.join(options.workDir, "loss.svg"), lossChart(result.evaluations));
  console.log(`test loss over all ${test.length} test words: ${metrics.testLoss.toFixed(4)}; ${metrics.msPerStep.toFixed(2)} ms per step`);
  console.log(`wrote ${MODEL_FILE}, metrics.json and loss.svg to ${options.workDir}`);
}

runMain(() => makemore(parseMakemoreOptions(userArguments())));

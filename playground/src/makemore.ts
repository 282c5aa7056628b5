import namesText from "../../examples/data/names.txt?raw";
import { readWords } from "../../examples/src/makemore/data";
import { drawAttentionMap } from "./attention-map";
import { drawLossChart, perStep } from "./loss-chart";
import { MakemoreTrainer, type MakemoreConfig, PAGE_MODELS, type PageModel } from "./makemore-trainer";

/** While running, train for about this long per animation frame, then redraw. */
const FRAME_BUDGET_MS = 30;
/** Evaluate, sample and redraw the attention every this many steps. */
const EVAL_EVERY = 100;
const SAMPLES = 10;
/** makemore's seed: the split, the initial weights, the batches and the samples repeat on reset. */
const SEED = 3407;

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const modelInput = element<HTMLSelectElement>("model");
const learningRateInput = element<HTMLInputElement>("learning-rate");
const startButton = element<HTMLButtonElement>("start");
const configError = element<HTMLSpanElement>("config-error");
const lossCanvas = element<HTMLCanvasElement>("loss-chart");
const testLossOutput = element<HTMLOutputElement>("test-loss");
const samplesList = element<HTMLOListElement>("samples");
const nameInput = element<HTMLSelectElement>("attention-name");
const layerInput = element<HTMLSelectElement>("attention-layer");
const headInput = element<HTMLSelectElement>("attention-head");
const attentionCanvas = element<HTMLCanvasElement>("attention-map");
const attentionHint = element<HTMLParagraphElement>("attention-hint");

const words = readWords(namesText);
// ?model=mlp chooses the model and ?steps=N pauses after N steps (the end-to-end test uses both)
const query = new URLSearchParams(location.search);
const stepsParameter = Number(query.get("steps"));
const maxSteps = stepsParameter > 0 ? stepsParameter : Number.POSITIVE_INFINITY;
const modelParameter = query.get("model");
if (modelParameter !== null && Object.hasOwn(PAGE_MODELS, modelParameter)) modelInput.value = modelParameter;

function readConfig(): MakemoreConfig | string {
  const learningRate = Number(learningRateInput.value);
  if (!(learningRate > 0 && learningRate <= 0.1)) return "Learning rate: a number above 0, at most 0.1.";
  return { model: modelInput.value as PageModel, learningRate, seed: SEED };
}

let trainer: MakemoreTrainer | null = null;
let running = false;
let msPerStep = 0;

function setRunning(value: boolean): void {
  running = value && trainer !== null && trainer.steps < maxSteps;
  startButton.textContent = running ? "Pause" : "Start";
  if (running) requestAnimationFrame(frame);
}

/** Fills `select` with `labels` (values 0, 1, …), keeping its choice when it still exists. */
function setOptions(select: HTMLSelectElement, labels: readonly string[]): void {
  const previous = select.value;
  select.replaceChildren(...labels.map((label, i) => new Option(label, String(i))));
  if (previous !== "" && Number(previous) < labels.length) select.value = previous;
}

function reset(): void {
  setRunning(false);
  const config = readConfig();
  configError.textContent = typeof config === "string" ? config : "";
  trainer = typeof config === "string" ? null : new MakemoreTrainer(words, config);
  startButton.disabled = trainer === null;
  msPerStep = 0;
  testLossOutput.textContent = element("train-loss").textContent = "–";
  delete testLossOutput.dataset.loss;
  samplesList.replaceChildren();
  nameInput.replaceChildren();
  const shape = trainer?.attentionShape ?? null;
  setOptions(layerInput, shape ? Array.from({ length: shape.layers }, (_, i) => String(i + 1)) : []);
  setOptions(headInput, shape ? Array.from({ length: shape.heads }, (_, i) => String(i + 1)) : []);
  element("attention-controls").hidden = attentionCanvas.hidden = attentionHint.hidden = shape === null;
  element("no-attention").hidden = shape !== null;
  redraw();
  if (trainer) showSamples(trainer);
}

function redraw(): void {
  element("params").textContent = trainer ? trainer.params.toLocaleString("en") : "–";
  element("steps").textContent = String(trainer?.steps ?? 0);
  element("step-time").textContent = msPerStep > 0 ? `${msPerStep.toFixed(0)} ms` : "–";
  const evaluations = trainer?.evaluations ?? [];
  const steps = evaluations.map((e) => e.step);
  drawLossChart(lossCanvas, [
    { ...perStep("batch", "#c7cdd6", trainer?.batchLosses ?? []), width: 1 },
    { label: "train", colour: "#1f77b4", steps, losses: evaluations.map((e) => e.trainLoss), markers: true },
    { label: "test", colour: "#d62728", steps, losses: evaluations.map((e) => e.testLoss), markers: true },
  ]);
}

/** Evaluates, then shows fresh samples and the attention map for one of them. */
function evaluate(current: MakemoreTrainer): void {
  const { trainLoss, testLoss } = current.evaluate();
  element("train-loss").textContent = trainLoss.toFixed(4);
  testLossOutput.textContent = testLoss.toFixed(4);
  testLossOutput.dataset.loss = String(testLoss);
  showSamples(current);
}

function showSamples(current: MakemoreTrainer): void {
  const samples = current.sample(SAMPLES);
  const isNew = new Set(samples.new);
  const all = [...samples.new, ...samples.inTrain, ...samples.inTest];
  samplesList.replaceChildren(
    ...all.map((word) => {
      const item = document.createElement(isNew.has(word) ? "b" : "span");
      item.textContent = word === "" ? "(empty)" : word;
      const li = document.createElement("li");
      li.append(item);
      return li;
    }),
  );
  // the attention map reads a name the model made up, at least two letters long when there is one
  const named = all.filter((word) => word.length >= 2);
  setOptions(nameInput, named.length > 0 ? named : all);
  drawAttention();
}

function drawAttention(): void {
  const word = nameInput.selectedOptions[0]?.textContent ?? "";
  const weights = trainer?.attention(word, Number(layerInput.value), Number(headInput.value));
  if (!weights) return;
  drawAttentionMap(attentionCanvas, weights.data(), [".", ...Array.from(word)]);
}

function frame(): void {
  const current = trainer;
  if (!running || !current) return;
  const started = performance.now();
  const first = current.steps;
  do {
    current.step();
    if (current.steps % EVAL_EVERY === 0) break;
  } while (performance.now() - started < FRAME_BUDGET_MS && current.steps < maxSteps);
  msPerStep = (performance.now() - started) / (current.steps - first);
  if (current.steps % EVAL_EVERY === 0 || current.steps >= maxSteps) evaluate(current);
  redraw();
  if (current.steps >= maxSteps) setRunning(false);
  else requestAnimationFrame(frame);
}

startButton.addEventListener("click", () => setRunning(!running));
element("reset").addEventListener("click", reset);
for (const input of [modelInput, learningRateInput]) input.addEventListener("change", reset);
for (const input of [nameInput, layerInput, headInput]) input.addEventListener("change", drawAttention);
reset();

import { instance } from "@viz-js/viz";
import { DATASET_NAMES, type DatasetName } from "./datasets";
import { drawHeatmap, heatmapGrid } from "./heatmap";
import { drawLossChart, perStep } from "./loss-chart";
import { type Activation, Trainer, type TrainerConfig } from "./trainer";

/** While running, train for about this long per animation frame, then redraw. */
const FRAME_BUDGET_MS = 30;
/** While running, trace one step in this many and redraw the graph from it. */
const GRAPH_EVERY_STEPS = 250;
const MAX_HIDDEN_LAYERS = 4;
const MAX_WIDTH = 64;
const LOSS_COLOUR = "#c0392b";

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const datasetInput = element<HTMLSelectElement>("dataset");
const hiddenInput = element<HTMLInputElement>("hidden");
const activationInput = element<HTMLSelectElement>("activation");
const learningRateInput = element<HTMLInputElement>("learning-rate");
const startButton = element<HTMLButtonElement>("start");
const stepButton = element<HTMLButtonElement>("step");
const configError = element<HTMLSpanElement>("config-error");
const heatmapCanvas = element<HTMLCanvasElement>("heatmap");
const lossCanvas = element<HTMLCanvasElement>("loss-chart");
const graphPanel = element<HTMLDivElement>("graph");
const graphStep = element<HTMLSpanElement>("graph-step");

const grid = heatmapGrid();
const vizReady = instance();

/** The configuration in the form, or a message saying what is wrong with it. */
function readConfig(): TrainerConfig | string {
  const hidden = hiddenInput.value.split(",").map((s) => Number(s.trim()));
  if (hidden.length > MAX_HIDDEN_LAYERS || hidden.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_WIDTH)) {
    return `Hidden sizes: up to ${MAX_HIDDEN_LAYERS} comma-separated integers from 1 to ${MAX_WIDTH}, e.g. 16,16.`;
  }
  const learningRate = Number(learningRateInput.value);
  if (!(learningRate > 0 && learningRate <= 1)) return "Learning rate: a number above 0, at most 1.";
  return {
    dataset: (DATASET_NAMES as readonly string[]).includes(datasetInput.value) ? (datasetInput.value as DatasetName) : "spirals",
    hidden,
    activation: activationInput.value as Activation,
    learningRate,
    seed: 0,
  };
}

let trainer: Trainer | null = null;
let running = false;
let lastGraphStep = -Infinity;
let graphRender: Promise<void> = Promise.resolve();

function setRunning(value: boolean): void {
  running = value && trainer !== null;
  startButton.textContent = running ? "Pause" : "Start";
  if (running) requestAnimationFrame(frame);
}

function reset(): void {
  setRunning(false);
  const config = readConfig();
  configError.textContent = typeof config === "string" ? config : "";
  trainer = typeof config === "string" ? null : new Trainer(config);
  startButton.disabled = stepButton.disabled = trainer === null;
  lastGraphStep = -Infinity;
  graphPanel.innerHTML = '<p class="hint">Press Start or Step to draw it.</p>';
  graphStep.textContent = "";
  redraw();
}

function redraw(): void {
  const stepsOutput = element("steps");
  const lossOutput = element("loss");
  const accuracyOutput = element<HTMLOutputElement>("accuracy");
  if (!trainer) {
    heatmapCanvas.getContext("2d")!.clearRect(0, 0, heatmapCanvas.width, heatmapCanvas.height);
    drawLossChart(lossCanvas, []);
    return;
  }
  const accuracy = trainer.accuracy();
  stepsOutput.textContent = String(trainer.steps);
  lossOutput.textContent = trainer.losses.length ? trainer.losses[trainer.losses.length - 1]!.toFixed(4) : "–";
  accuracyOutput.textContent = `${(accuracy * 100).toFixed(1)}%`;
  accuracyOutput.dataset.accuracy = String(accuracy);
  const { x, y } = trainer.data;
  drawHeatmap(heatmapCanvas, trainer.probabilities(grid), x.data() as Float32Array, y.data() as Int32Array);
  drawLossChart(lossCanvas, [perStep("loss", LOSS_COLOUR, trainer.losses)]);
}

/** A traced step, and its graph drawn with Graphviz (compiled to WebAssembly). */
function tracedStep(current: Trainer): void {
  const { dot } = current.tracedStep();
  lastGraphStep = current.steps;
  const step = lastGraphStep;
  graphRender = graphRender
    .then(async () => {
      const svg = (await vizReady).renderSVGElement(dot);
      if (trainer !== current) return; // reset meanwhile
      graphPanel.replaceChildren(svg);
      graphStep.textContent = `(step ${step})`;
    })
    .catch((error: unknown) => console.error("drawing the graph failed:", error));
}

function frame(): void {
  if (!running || !trainer) return;
  const started = performance.now();
  do {
    if (trainer.steps - lastGraphStep >= GRAPH_EVERY_STEPS) tracedStep(trainer);
    else trainer.step();
  } while (performance.now() - started < FRAME_BUDGET_MS);
  redraw();
  requestAnimationFrame(frame);
}

startButton.addEventListener("click", () => setRunning(!running));
stepButton.addEventListener("click", () => {
  setRunning(false);
  if (!trainer) return;
  tracedStep(trainer);
  redraw();
});
element("reset").addEventListener("click", reset);
for (const input of [datasetInput, hiddenInput, activationInput, learningRateInput]) input.addEventListener("change", reset);
reset();

import { logTicks, niceTicks } from "../../examples/src/plots/ticks";

/** One curve: `losses[i]` was measured at step `steps[i]`. */
export interface LossSeries {
  label: string;
  /** A CSS colour. */
  colour: string;
  steps: readonly number[];
  losses: readonly number[];
  /** Line width in pixels; default 2. */
  width?: number;
  /** Mark each point with a dot (for a few measurements far apart). */
  markers?: boolean;
}

/** Every step 1…n of `losses`, as a series. */
export function perStep(label: string, colour: string, losses: readonly number[]): LossSeries {
  return { label, colour, steps: Array.from(losses, (_, i) => i + 1), losses };
}

/**
 * Log-scale ticks for losses in [low, high]: 1, 2 and 5 times the powers of ten (the CLI's charts'
 * rule), or every whole multiple of the power of ten when that leaves fewer than three (a range
 * such as 2.1–3.4, where the loss of a language model lives).
 */
export function lossTicks(low: number, high: number): { ticks: number[]; domain: [number, number] } {
  const coarse = logTicks(low, high);
  if (coarse.ticks.length >= 3) return coarse;
  const unit = 10 ** Math.floor(Math.log10(low));
  const ticks: number[] = [];
  for (let k = Math.floor(low / unit); k <= Math.ceil(high / unit); k++) ticks.push(Number((k * unit).toPrecision(12)));
  return { ticks, domain: [ticks[0]!, ticks[ticks.length - 1]!] };
}

const MARGIN = { left: 48, right: 16, top: 10, bottom: 34 };
const AXIS = "#999999";
const GRID = "#eeeeee";
const TEXT = "#555555";

/**
 * Draws loss curves over the training steps on a log y axis (a loss that falls by orders of
 * magnitude stays readable, and a late spike does not flatten the rest), with labelled ticks on
 * both axes and a legend when there is more than one curve. Non-positive and non-finite losses are
 * left out. The canvas says what it shows in `data-y-scale` ("log") and `data-y-ticks`.
 */
export function drawLossChart(canvas: HTMLCanvasElement, series: readonly LossSeries[]): void {
  const context = canvas.getContext("2d")!;
  const { width, height } = canvas;
  const plot = { left: MARGIN.left, top: MARGIN.top, right: width - MARGIN.right, bottom: height - MARGIN.bottom };
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.font = "11px sans-serif";
  context.fillStyle = TEXT;
  context.textAlign = "center";
  context.fillText("step", (plot.left + plot.right) / 2, height - 4);
  context.save();
  context.translate(12, (plot.top + plot.bottom) / 2);
  context.rotate(-Math.PI / 2);
  context.fillText("loss (log scale)", 0, 0);
  context.restore();
  canvas.dataset.yScale = "log";

  const shown = (loss: number) => loss > 0 && Number.isFinite(loss);
  const losses = series.flatMap((s) => s.losses.filter(shown));
  const lastStep = Math.max(0, ...series.map((s) => s.steps[s.steps.length - 1] ?? 0));
  if (losses.length === 0) {
    canvas.dataset.yTicks = "";
    drawAxes(context, plot);
    return;
  }

  const { ticks, domain } = lossTicks(Math.min(...losses), Math.max(...losses));
  canvas.dataset.yTicks = ticks.join(",");
  const [bottom, top] = domain.map(Math.log10) as [number, number];
  const yOf = (loss: number) => plot.bottom - ((Math.log10(loss) - bottom) / (top - bottom || 1)) * (plot.bottom - plot.top);
  const xOf = (step: number) => plot.left + (lastStep <= 1 ? 0 : ((step - 1) / (lastStep - 1)) * (plot.right - plot.left));

  context.textAlign = "right";
  context.textBaseline = "middle";
  for (const tick of ticks) {
    horizontal(context, plot.left, plot.right, yOf(tick), GRID);
    context.fillText(tickLabel(tick), plot.left - 5, yOf(tick));
  }
  context.textAlign = "center";
  context.textBaseline = "top";
  const stepTicks = niceTicks(1, Math.max(2, lastStep), 5).ticks.filter((step) => step >= 1 && step <= lastStep);
  for (const step of stepTicks) {
    vertical(context, xOf(step), plot.bottom, plot.bottom + 4, AXIS);
    context.fillText(String(step), xOf(step), plot.bottom + 6);
  }
  context.textBaseline = "alphabetic";
  drawAxes(context, plot);

  context.save();
  context.beginPath();
  context.rect(plot.left, plot.top - 2, plot.right - plot.left, plot.bottom - plot.top + 4);
  context.clip();
  for (const s of series) {
    context.strokeStyle = s.colour;
    context.lineWidth = s.width ?? 2;
    context.beginPath();
    let drawing = false;
    s.losses.forEach((loss, i) => {
      if (!shown(loss)) {
        drawing = false;
        return;
      }
      const x = xOf(s.steps[i]!);
      if (drawing) context.lineTo(x, yOf(loss));
      else context.moveTo(x, yOf(loss));
      drawing = true;
    });
    context.stroke();
    if (s.markers) {
      context.fillStyle = s.colour;
      s.losses.forEach((loss, i) => {
        if (!shown(loss)) return;
        context.beginPath();
        context.arc(xOf(s.steps[i]!), yOf(loss), 3, 0, 2 * Math.PI);
        context.fill();
      });
    }
  }
  context.restore();

  if (series.length > 1) {
    context.textAlign = "left";
    context.fillStyle = TEXT;
    let x = plot.right;
    for (const s of [...series].reverse()) {
      x -= context.measureText(s.label).width + 26;
      horizontal(context, x, x + 16, plot.top + 6, s.colour, 2);
      context.fillText(s.label, x + 20, plot.top + 10);
    }
  }
}

/** 0.01 and 2.5 as they are; 0.0001 as 1e-4, which fits the margin. */
function tickLabel(tick: number): string {
  return tick >= 1e-3 && tick < 1e4 ? String(tick) : tick.toExponential();
}

interface Plot {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

function drawAxes(context: CanvasRenderingContext2D, plot: Plot): void {
  vertical(context, plot.left, plot.top, plot.bottom, AXIS);
  horizontal(context, plot.left, plot.right, plot.bottom, AXIS);
}

function horizontal(context: CanvasRenderingContext2D, x1: number, x2: number, y: number, colour: string, lineWidth = 1): void {
  context.strokeStyle = colour;
  context.lineWidth = lineWidth;
  context.beginPath();
  context.moveTo(x1, y);
  context.lineTo(x2, y);
  context.stroke();
}

function vertical(context: CanvasRenderingContext2D, x: number, y1: number, y2: number, colour: string): void {
  context.strokeStyle = colour;
  context.lineWidth = 1;
  context.beginPath();
  context.moveTo(x, y1);
  context.lineTo(x, y2);
  context.stroke();
}

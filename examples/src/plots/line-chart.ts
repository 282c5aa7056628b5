import { decimalsFor, integerTicks, logTicks, niceTicks } from "./ticks";
import { element, points, svgDocument, textElement, textWidth } from "./svg";

export interface Series {
  name: string;
  /** A CSS colour. */
  color: string;
  /** `values[i]` is plotted at x = i + 1 (epochs count from 1). */
  values: number[];
  dashed?: boolean;
}

/** A run's two curves, as every chart of one draws them: train solid blue, test dashed red. */
export function trainTestSeries(train: number[], test: number[]): Series[] {
  return [
    { name: "train", color: "#1f77b4", values: train },
    { name: "test", color: "#d62728", values: test, dashed: true },
  ];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Start a linear y axis at 0 even when every value is far above it (losses). */
  includeZero?: boolean;
  /**
   * "auto": a log scale when the values are positive and the largest is more than ten times the
   * smallest (a loss falling by orders of magnitude), else linear. Default: linear.
   */
  yScale?: "linear" | "auto";
  /** Tick label text on a linear axis; `step` is the distance between ticks. Default: plain decimals. */
  formatY?: (value: number, step: number) => string;
  /** Tick label text on the x axis for point `x` (counted from 1). Default: the number itself. */
  formatX?: (x: number) => string;
}

const WIDTH = 720;
const HEIGHT = 440;
const MARGIN = { top: 64, right: 28, bottom: 58, left: 76 };
/**
 * Pixels between the frame and the outermost data: a marker on the first or last epoch stays whole,
 * and a value on the axis's end tick (100% accuracy, the floor) stays off the frame.
 */
const INSET = 10;
const MARKER_RADIUS = 2.5;

/** The y axis: where its ticks are, their labels, and where a value goes (0 at the bottom, 1 at the top). */
interface ValueAxis {
  ticks: number[];
  label: (tick: number) => string;
  fraction: (value: number) => number;
  log: boolean;
}

function valueAxis(values: number[], options: LineChartOptions): ValueAxis {
  const finite = values.filter(Number.isFinite);
  const low = finite.length > 0 ? Math.min(...finite) : 0;
  const high = finite.length > 0 ? Math.max(...finite) : 1;
  if (options.yScale === "auto" && low > 0 && high > 10 * low) {
    const { ticks, domain } = logTicks(low, high);
    const [bottom, top] = domain.map(Math.log10) as [number, number];
    return { ticks, label: String, fraction: (value) => (Math.log10(value) - bottom) / (top - bottom), log: true };
  }
  // The axis runs from the first tick to the last, both round numbers enclosing every value.
  const { ticks, domain, step } = niceTicks(options.includeZero ? Math.min(low, 0) : low, high);
  const [bottom, top] = domain;
  const { formatY = (value: number) => value.toFixed(decimalsFor(step)) } = options;
  return { ticks, label: (tick) => formatY(tick, step), fraction: (value) => (value - bottom) / (top - bottom), log: false };
}

/**
 * Curves over epochs as a standalone SVG: title, legend, both axes with ticks, tick labels, grid
 * lines and axis titles. Points are marked when there are few enough to tell apart; a non-finite
 * value (a diverged loss) breaks its line instead of bending the axis to infinity. The y axis is
 * logarithmic, with " (log scale)" after its title, when `yScale: "auto"` finds a wide range.
 *
 * @example
 * lineChart({ title: "Loss", xLabel: "epoch", yLabel: "cross-entropy", series: [{ name: "train", color: "#1f77b4", values: [0.9, 0.4] }] });
 */
export function lineChart(options: LineChartOptions): string {
  const { series } = options;
  // The frame; the data are drawn INSET pixels inside it.
  const plot = { left: MARGIN.left, top: MARGIN.top, right: WIDTH - MARGIN.right, bottom: HEIGHT - MARGIN.bottom };
  const epochs = Math.max(1, ...series.map((s) => s.values.length));
  const y = valueAxis(
    series.flatMap((s) => s.values),
    options,
  );
  // A single epoch still gets an x range, centred on it.
  const [xMin, xMax] = epochs === 1 ? [0.5, 1.5] : [1, epochs];
  const xOf = (x: number) => plot.left + INSET + ((x - xMin) / (xMax - xMin)) * (plot.right - plot.left - 2 * INSET);
  const yOf = (value: number) => plot.bottom - INSET - y.fraction(value) * (plot.bottom - plot.top - 2 * INSET);

  const body: string[] = [];
  body.push(textElement({ x: plot.left, y: 28, class: "title" }, options.title));

  // Grid and tick labels.
  for (const tick of y.ticks) {
    body.push(element("line", { x1: plot.left, x2: plot.right, y1: yOf(tick), y2: yOf(tick), stroke: "#e6e6e6" }));
    body.push(textElement({ x: plot.left - 8, y: yOf(tick) + 4, "text-anchor": "end", class: "tick" }, y.label(tick)));
  }
  for (const tick of integerTicks(1, epochs)) {
    body.push(element("line", { x1: xOf(tick), x2: xOf(tick), y1: plot.top, y2: plot.bottom, stroke: "#f0f0f0" }));
    body.push(element("line", { x1: xOf(tick), x2: xOf(tick), y1: plot.bottom, y2: plot.bottom + 5, stroke: "#333" }));
    body.push(
      textElement({ x: xOf(tick), y: plot.bottom + 19, "text-anchor": "middle", class: "tick" }, (options.formatX ?? String)(tick)),
    );
  }
  // Axes.
  body.push(element("line", { x1: plot.left, x2: plot.left, y1: plot.top, y2: plot.bottom, stroke: "#333" }));
  body.push(element("line", { x1: plot.left, x2: plot.right, y1: plot.bottom, y2: plot.bottom, stroke: "#333" }));
  body.push(textElement({ x: (plot.left + plot.right) / 2, y: HEIGHT - 14, "text-anchor": "middle", class: "axis-title" }, options.xLabel));
  const yTitleX = 20;
  const yTitleY = (plot.top + plot.bottom) / 2;
  body.push(
    textElement(
      { x: yTitleX, y: yTitleY, "text-anchor": "middle", transform: `rotate(-90 ${yTitleX} ${yTitleY})`, class: "axis-title" },
      y.log ? `${options.yLabel} (log scale)` : options.yLabel,
    ),
  );

  // The curves, clipped to the frame so nothing drawn there can cover the labels.
  body.push(
    element(
      "clipPath",
      { id: "plot-area" },
      element("rect", { x: plot.left, y: plot.top, width: plot.right - plot.left, height: plot.bottom - plot.top }),
    ),
  );
  const curves: string[] = [];
  const markPoints = epochs <= 40;
  for (const s of series) {
    for (const segment of finiteRuns(s.values)) {
      const coordinates = segment.map(([i, value]): [number, number] => [xOf(i + 1), yOf(value)]);
      const stroke = { stroke: s.color, "stroke-width": 2, "stroke-dasharray": s.dashed ? "6 4" : undefined };
      if (coordinates.length > 1)
        curves.push(element("polyline", { points: points(coordinates), fill: "none", "stroke-linejoin": "round", ...stroke }));
      if (markPoints || coordinates.length === 1) {
        for (const [cx, cy] of coordinates) curves.push(element("circle", { cx, cy, r: MARKER_RADIUS, fill: s.color }));
      }
    }
  }
  body.push(element("g", { "clip-path": "url(#plot-area)" }, curves.join("")));

  // Legend, right-aligned in the header, clear of the curves.
  let legendX = plot.right;
  const legend: string[] = [];
  for (const s of [...series].reverse()) {
    const labelWidth = textWidth(s.name, 12);
    legendX -= labelWidth;
    legend.push(textElement({ x: legendX, y: 48, class: "legend" }, s.name));
    legendX -= 30;
    legend.push(
      element("line", {
        x1: legendX,
        x2: legendX + 24,
        y1: 44,
        y2: 44,
        stroke: s.color,
        "stroke-width": 2,
        "stroke-dasharray": s.dashed ? "6 4" : undefined,
      }),
    );
    legendX -= 18;
  }
  body.push(element("g", { class: "legend-box" }, legend.join("")));

  return svgDocument(WIDTH, HEIGHT, options.title, body);
}

/** The runs of consecutive finite values, each as [index, value] pairs. */
function finiteRuns(values: number[]): [number, number][][] {
  const runs: [number, number][][] = [];
  let current: [number, number][] = [];
  values.forEach((value, i) => {
    if (Number.isFinite(value)) current.push([i, value]);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  });
  if (current.length > 0) runs.push(current);
  return runs;
}

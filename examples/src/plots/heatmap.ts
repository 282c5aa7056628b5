import { element, escapeXml, svgDocument, textElement, textWidth } from "./svg";

export interface ConfusionHeatmapOptions {
  title: string;
  /** A line under the title (e.g. the rows it counts and the accuracy). */
  subtitle: string;
  classNames: string[];
  /** `matrix[actual][predicted]`, as `confusionMatrix` builds it. */
  matrix: number[][];
}

// ColorBrewer's sequential "Blues", light to dark.
const BLUES = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];

/** The colour of `share` ∈ [0, 1] on the Blues scale, interpolated between its steps. */
export function blues(share: number): string {
  const position = Math.min(1, Math.max(0, share)) * (BLUES.length - 1);
  const i = Math.min(BLUES.length - 2, Math.floor(position));
  const t = position - i;
  const [a, b] = [hexToRgb(BLUES[i]!), hexToRgb(BLUES[i + 1]!)];
  return `rgb(${a.map((channel, k) => Math.round(channel + (b[k]! - channel) * t)).join(",")})`;
}

function hexToRgb(hex: string): number[] {
  return [1, 3, 5].map((start) => Number.parseInt(hex.slice(start, start + 2), 16));
}

const MAX_LABEL_CHARS = 20;

function shortLabel(name: string): string {
  return name.length <= MAX_LABEL_CHARS ? name : `${name.slice(0, MAX_LABEL_CHARS - 1)}…`;
}

/**
 * A confusion matrix as a standalone SVG heatmap: true classes down the side, predicted classes along
 * the bottom, the count in every cell. Cells are shaded by their share of the true class's rows
 * (the row's recall), so an error pattern in a small class is as visible as in a large one; a colour
 * bar explains the shading.
 *
 * @example
 * confusionHeatmap({ title: "Confusion matrix", subtitle: "test set", classNames: ["a", "b"], matrix: [[5, 1], [0, 6]] });
 */
export function confusionHeatmap(options: ConfusionHeatmapOptions): string {
  const { matrix } = options;
  const labels = options.classNames.map(shortLabel);
  const n = labels.length;
  const cell = Math.max(26, Math.min(64, Math.floor(440 / Math.max(1, n))));
  const countFont = Math.min(14, Math.round(cell * 0.42));
  const labelWidth = Math.max(...labels.map((label) => textWidth(label, 12)), 12);
  const rotateColumnLabels = labelWidth > cell - 4;
  const columnLabelHeight = rotateColumnLabels ? labelWidth * 0.72 + 14 : 20;

  const grid = { left: 44 + labelWidth + 10, top: 74, size: cell * n };
  const barX = grid.left + grid.size + 24;
  const width = barX + 14 + 72;
  const height = grid.top + grid.size + columnLabelHeight + 44;

  const body: string[] = [];
  body.push(textElement({ x: 20, y: 28, class: "title" }, options.title));
  body.push(textElement({ x: 20, y: 48, class: "tick" }, options.subtitle));

  matrix.forEach((row, actual) => {
    const rowTotal = row.reduce((sum, count) => sum + count, 0);
    row.forEach((count, predicted) => {
      const share = rowTotal === 0 ? 0 : count / rowTotal;
      const x = grid.left + predicted * cell;
      const y = grid.top + actual * cell;
      const title = `true ${options.classNames[actual]}, predicted ${options.classNames[predicted]}: ${count}`;
      body.push(
        element(
          "g",
          {},
          element("title", {}, escapeXml(title)) +
            element("rect", { x, y, width: cell, height: cell, fill: blues(share), stroke: "#ffffff", "stroke-width": 1 }) +
            textElement(
              {
                x: x + cell / 2,
                y: y + cell / 2 + countFont * 0.35,
                "text-anchor": "middle",
                "font-size": countFont,
                style: `fill: ${share > 0.5 ? "#ffffff" : "#222222"}`,
              },
              String(count),
            ),
        ),
      );
    });
  });
  body.push(element("rect", { x: grid.left, y: grid.top, width: grid.size, height: grid.size, fill: "none", stroke: "#999" }));

  // Class labels: rows on the left, columns below (turned 45° when they are wider than a cell).
  labels.forEach((label, i) => {
    const middle = i * cell + cell / 2;
    body.push(textElement({ x: grid.left - 8, y: grid.top + middle + 4, "text-anchor": "end", class: "legend" }, label));
    const x = grid.left + middle;
    const y = grid.top + grid.size + 16;
    body.push(
      rotateColumnLabels
        ? textElement({ x, y: y - 4, "text-anchor": "end", transform: `rotate(-45 ${x} ${y - 4})`, class: "legend" }, label)
        : textElement({ x, y, "text-anchor": "middle", class: "legend" }, label),
    );
  });
  // Axis titles.
  const rowTitleY = grid.top + grid.size / 2;
  body.push(
    textElement(
      { x: 20, y: rowTitleY, "text-anchor": "middle", transform: `rotate(-90 20 ${rowTitleY})`, class: "axis-title" },
      "True class",
    ),
  );
  body.push(
    textElement(
      { x: grid.left + grid.size / 2, y: grid.top + grid.size + columnLabelHeight + 26, "text-anchor": "middle", class: "axis-title" },
      "Predicted class",
    ),
  );

  // Colour bar: 100% at the top, as the darkest cells.
  const stops = BLUES.map((colour, i) => element("stop", { offset: `${(100 * i) / (BLUES.length - 1)}%`, "stop-color": colour })).join("");
  body.push(element("defs", {}, element("linearGradient", { id: "share-scale", x1: 0, y1: 1, x2: 0, y2: 0 }, stops)));
  body.push(element("rect", { x: barX, y: grid.top, width: 14, height: grid.size, fill: "url(#share-scale)", stroke: "#999" }));
  for (const share of [0, 0.25, 0.5, 0.75, 1]) {
    const y = grid.top + grid.size * (1 - share);
    body.push(element("line", { x1: barX + 14, x2: barX + 18, y1: y, y2: y, stroke: "#333" }));
    body.push(textElement({ x: barX + 21, y: y + 4, class: "tick" }, `${share * 100}%`));
  }
  const barTitleX = barX + 62;
  body.push(
    textElement(
      { x: barTitleX, y: rowTitleY, "text-anchor": "middle", transform: `rotate(90 ${barTitleX} ${rowTitleY})`, class: "tick" },
      "share of the true class",
    ),
  );

  return svgDocument(Math.ceil(width), Math.ceil(height), options.title, body);
}

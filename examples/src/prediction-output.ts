import pc from "picocolors";
import { formatPercent } from "./format";
import { formatJson } from "./json-file";

export const OUTPUT_FORMATS = ["table", "json", "csv"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** One classified row of the input file. `actual` and `correct` are there when the file has the label column. */
export interface Prediction {
  /** Counts from 1, the first row after the header. */
  row: number;
  predicted: string;
  /** The model's probability for the predicted class. */
  probability: number;
  actual?: string;
  correct?: boolean;
}

export interface PredictionReport {
  predictions: Prediction[];
  /** How many predictions match their label; null when the file has no label column. */
  correct: number | null;
}

/** For people: aligned columns, the probability as a percentage, mistakes marked ✗ (in red where colours work). */
export function predictionTable({ predictions, correct }: PredictionReport, classNames: string[]): string {
  const nameWidth = Math.max(9, ...classNames.map((name) => name.length));
  const rowWidth = Math.max(3, String(predictions.length).length);
  const header = ["row".padStart(rowWidth), "predicted".padEnd(nameWidth), "probability"];
  if (correct !== null) header.push("actual");
  const lines = [`  ${pc.dim(header.join("  "))}`];
  for (const p of predictions) {
    const cells = [String(p.row).padStart(rowWidth), p.predicted.padEnd(nameWidth), formatPercent(p.probability).padStart(11)];
    if (p.actual !== undefined) cells.push(p.correct ? pc.green(p.actual) : pc.red(`${p.actual} ✗`));
    lines.push(`  ${cells.join("  ")}`);
  }
  return lines.join("\n");
}

/**
 * For programs: `{ predictions: [{ row, predicted, probability, actual?, correct? }], rows, correct,
 * accuracy }`, with `correct` and `accuracy` null when the file has no label column.
 */
export function predictionsJson({ predictions, correct }: PredictionReport): string {
  const rows = predictions.length;
  return formatJson({ predictions, rows, correct, accuracy: correct === null ? null : correct / rows });
}

/** RFC 4180 CSV with a header row; the columns are the JSON records' keys. */
export function predictionsCsv({ predictions, correct }: PredictionReport): string {
  const columns: (keyof Prediction)[] = ["row", "predicted", "probability"];
  if (correct !== null) columns.push("actual", "correct");
  const lines = [columns.join(","), ...predictions.map((p) => columns.map((column) => csvField(String(p[column]))).join(","))];
  return `${lines.join("\n")}\n`;
}

/** A field as CSV writes it: quoted, with quotes doubled, when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

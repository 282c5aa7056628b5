import type { DType } from "../dtype";
import type { Shape } from "../shape";
import type { Tensor } from "../tensor";

/**
 * What teaching output (toDot, traceBackward) shows of a tensor: its shape and dtype, every value
 * when it is small, and min/mean/max otherwise. A summary holds plain numbers, never the tensor,
 * so a kept trace does not keep gradient buffers alive.
 */
export interface TensorSummary {
  shape: Shape;
  dtype: DType;
  /** Every element in row-major order when there are at most `maxElements`; null otherwise. */
  values: number[] | null;
  /** NaN for an empty tensor, and when any element is NaN. */
  min: number;
  mean: number;
  max: number;
}

/** Summarises `t`: all its values when `t.numel <= maxElements`, always min/mean/max. */
export function summarizeTensor(t: Tensor, maxElements: number): TensorSummary {
  const data = t.data();
  let min = Infinity;
  let max = -Infinity;
  let total = 0;
  let sawNaN = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isNaN(v)) sawNaN = true;
    if (v < min) min = v;
    if (v > max) max = v;
    total += v;
  }
  const undefinedStats = data.length === 0 || sawNaN;
  return {
    shape: [...t.shape],
    dtype: t.dtype,
    values: data.length <= maxElements ? Array.from(data) : null,
    min: undefinedStats ? NaN : min,
    mean: data.length === 0 ? NaN : total / data.length,
    max: undefinedStats ? NaN : max,
  };
}

/**
 * A number as teaching output prints it: integers in full, others with 4 decimals (micrograd's
 * `%.4f`), scientific below 0.001 or from a million on.
 */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const magnitude = Math.abs(v);
  if (magnitude >= 1e-3 && magnitude < 1e6) return v.toFixed(4);
  return v.toExponential(3);
}

/**
 * The values of a summary, nested like the tensor (`[[1, 2], [3, 4]]`, a bare number when 0-d),
 * or `min … mean … max …` when it was too big to keep them.
 */
export function formatSummaryValues(summary: TensorSummary): string {
  const { values, shape, dtype } = summary;
  if (values === null) {
    return `min ${formatNumber(summary.min)} mean ${formatNumber(summary.mean)} max ${formatNumber(summary.max)}`;
  }
  const show = (v: number) => (dtype === "bool" ? String(v !== 0) : formatNumber(v));
  if (shape.length === 0) return show(values[0]!);
  // nest innermost dim first: every run of shape[d] entries becomes one bracketed row, and there
  // are as many rows as the dims before d hold elements (counted, so zero-size dims nest too)
  let level = values.map(show);
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    let rowCount = 1;
    for (let k = 0; k < d; k++) rowCount *= shape[k]!;
    const rows: string[] = [];
    for (let r = 0; r < rowCount; r++) rows.push(`[${level.slice(r * size, (r + 1) * size).join(", ")}]`);
    level = rows;
  }
  return level[0] ?? "[]";
}

import type { DType, TypedArray } from "./dtype";
import { getElement } from "./elements";
import type { NestedArray, Tensor } from "./tensor";

// Printing in numpy/PyTorch style: aligned columns, and "..." once a tensor passes SUMMARY_THRESHOLD
// elements, keeping EDGE_ITEMS at each end of every dim.
const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;
// The most elements a summary shows (6⁵ = 7776 for a 5-D tensor, as numpy; more dims show less).
const MAX_SHOWN = 10_000;

/** Row-major flat values as nested arrays (booleans for bool). */
export function toNestedArray(values: TypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const read = (i: number): number | boolean => (dtype === "bool" ? values[i] !== 0 : values[i]!);
  if (shape.length === 0) return read(0);
  const build = (dim: number, base: number, stride: number): NestedArray[] => {
    const out: NestedArray[] = [];
    const size = shape[dim]!;
    const inner = stride / size;
    for (let i = 0; i < size; i++) out.push(dim === shape.length - 1 ? read(base + i) : build(dim + 1, base + i * inner, inner));
    return out;
  };
  return build(0, 0, values.length === 0 ? 0 : values.length);
}

function formatNumber(value: number, dtype: DType, decimals: number, scientific: boolean): string {
  if (dtype === "bool") return value ? "true" : "false";
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (dtype === "int32") return String(value);
  // numpy and PyTorch write at least two exponent digits: 1.0000e-05
  if (scientific) return roundHalfEven(value, 4, true).replace(/e([+-])(\d)$/, "e$10$2");
  return decimals === 0 ? `${value.toFixed(0)}.` : roundHalfEven(value, decimals, false);
}

/**
 * toFixed/toExponential, except that a value exactly halfway between two outputs rounds to the
 * even one, as Python and numpy print it (JS rounds such ties away from zero: 0.03125 → "0.0313").
 */
function roundHalfEven(value: number, digits: number, scientific: boolean): string {
  const rounded = scientific ? value.toExponential(digits) : value.toFixed(digits);
  const longer = scientific ? value.toExponential(digits + 1) : value.toFixed(digits + 1);
  const mantissaEnd = scientific ? longer.indexOf("e") : longer.length;
  // a tie shows a 5 right after the kept digits and is exactly that decimal
  if (longer[mantissaEnd - 1] !== "5" || Number(longer) !== value) return rounded;
  const truncated = longer.slice(0, mantissaEnd - 1) + longer.slice(mantissaEnd);
  const lastKept = Number(longer[mantissaEnd - 2]);
  return lastKept % 2 === 0 ? truncated : rounded;
}

/**
 * Decides one number format for all shown values, as PyTorch does: integers print as "1.", others
 * with 4 decimals; scientific notation once the nonzero finite magnitudes span more than a factor
 * of 1000 or pass 1e8 (or, for non-integers, fall below 1e-4).
 */
function chooseFormat(values: number[]): { decimals: number; scientific: boolean } {
  const finite = values.filter((v) => Number.isFinite(v));
  const magnitudes = finite.filter((v) => v !== 0).map(Math.abs);
  let largest = 0;
  let smallest = Infinity;
  for (const m of magnitudes) {
    if (m > largest) largest = m;
    if (m < smallest) smallest = m;
  }
  const wide = magnitudes.length > 0 && (largest / smallest > 1000 || largest > 1e8);
  if (finite.every((v) => Number.isInteger(v))) return { decimals: 0, scientific: wide };
  return { decimals: 4, scientific: wide || smallest < 1e-4 };
}

/**
 * `tensor([[1., 2.], [3., 4.]])` with dtype, grad function or requiresGrad appended as PyTorch does.
 * Only the elements shown are read, through the strides: printing a summarised view of a huge
 * tensor (an `expand` of one value, say) costs what it prints, not what it would take to copy.
 */
export function formatTensor(t: Tensor): string {
  const summarise = t.numel > SUMMARY_THRESHOLD;
  // an empty tensor shows no index (its other dims may be huge: [0, 2^33])
  const indices = t.numel === 0 ? [] : shownIndices(t.shape, summarise);
  const shown: number[] = [];
  // a tensor shown whole is read back once; a summarised one element by element
  const whole = summarise ? null : t.data();
  const visit = (dim: number, position: number) => {
    if (dim === t.shape.length) {
      shown.push(whole === null ? getElement(t, position) : whole[shown.length]!);
      return;
    }
    for (const i of indices[dim]!) visit(dim + 1, position + i * t.strides[dim]!);
  };
  if (t.numel > 0) visit(0, t.offset);
  const format = chooseFormat(shown);
  const cells = shown.map((v) => formatNumber(v, t.dtype, format.decimals, format.scientific));
  const width = Math.max(0, ...cells.map((c) => c.length));
  let cell = 0;
  const indent = "tensor(".length;
  const render = (dim: number): string => {
    if (dim === t.shape.length) return cells[cell++]!.padStart(width);
    const size = t.shape[dim]!;
    const parts: string[] = [];
    const along = indices[dim]!;
    along.forEach((index, k) => {
      parts.push(render(dim + 1));
      // "..." where indices are left out: between the two edges, or after the first index alone
      if ((along[k + 1] ?? size) > index + 1) parts.push("...");
    });
    if (dim === t.shape.length - 1) return `[${wrapRow(parts, indent + dim + 1)}]`;
    const separator = `,${"\n".repeat(t.shape.length - dim - 1)}${" ".repeat(indent + dim + 1)}`;
    return `[${parts.join(separator)}]`;
  };
  // an empty tensor prints as [] and, unless it is 1-D, says its shape (PyTorch)
  const body = t.numel === 0 ? "[]" : render(0);
  const extras: string[] = [];
  if (t.numel === 0 && t.ndim !== 1) extras.push(`size=[${t.shape.join(", ")}]`);
  // float32, int32 and bool are what plain numbers and booleans give, so only float64 is named,
  // unless there are no values to tell an int32 or bool tensor from a float32 one
  if (t.dtype === "float64" || (t.numel === 0 && t.dtype !== "float32")) extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  return `tensor(${body}${extras.length > 0 ? `, ${extras.join(", ")}` : ""})`;
}

/**
 * The indices shown along each dim: all of them, or EDGE_ITEMS at each end of a dim once the tensor
 * is summarised. Many dims of small sizes could still show astronomically many elements (2⁶⁴ for 64
 * dims of 2), so past MAX_SHOWN the outermost dims show their first index only.
 */
function shownIndices(shape: readonly number[], summarise: boolean): number[][] {
  const indices = shape.map((size) => visibleIndices(size, summarise));
  let count = indices.reduce((n, along) => n * along.length, 1);
  for (let d = 0; d < indices.length && count > MAX_SHOWN; d++) {
    count /= indices[d]!.length;
    indices[d] = [0];
  }
  return indices;
}

function visibleIndices(size: number, summarise: boolean): number[] {
  if (!summarise || size <= 2 * EDGE_ITEMS) return Array.from({ length: size }, (_, i) => i);
  return [...Array.from({ length: EDGE_ITEMS }, (_, i) => i), ...Array.from({ length: EDGE_ITEMS }, (_, i) => size - EDGE_ITEMS + i)];
}

function wrapRow(parts: string[], indent: number): string {
  const lines: string[] = [];
  let line = "";
  for (const part of parts) {
    const next = line === "" ? part : `${line}, ${part}`;
    if (next.length + indent > LINE_WIDTH && line !== "") {
      lines.push(`${line},`);
      line = part;
    } else line = next;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

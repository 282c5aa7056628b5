import type { DType, TypedArray } from "./dtype";
import type { NestedArray, Tensor } from "./tensor";

// Printing in numpy/PyTorch style: aligned columns, and "..." once a tensor passes SUMMARY_THRESHOLD
// elements, keeping EDGE_ITEMS at each end of every dim.
const SUMMARY_THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const LINE_WIDTH = 80;

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
  if (scientific) return value.toExponential(4);
  return decimals === 0 ? `${value.toFixed(0)}.` : value.toFixed(decimals);
}

/** Decides one number format for all shown values, as numpy does: integers print as "1.", others with 4 decimals or in scientific notation. */
function chooseFormat(values: number[]): { decimals: number; scientific: boolean } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.every((v) => Number.isInteger(v))) {
    const largest = Math.max(0, ...finite.map(Math.abs));
    return { decimals: 0, scientific: largest >= 1e8 };
  }
  const magnitudes = finite.filter((v) => v !== 0).map(Math.abs);
  const largest = Math.max(0, ...magnitudes);
  const smallest = Math.min(Infinity, ...magnitudes);
  return { decimals: 4, scientific: largest >= 1e8 || smallest < 1e-4 || largest / smallest > 1e3 * 1e4 };
}

/** `tensor([[1., 2.], [3., 4.]])` with dtype, grad function or requiresGrad appended as PyTorch does. */
export function formatTensor(t: Tensor): string {
  const values = t.data();
  const summarise = values.length > SUMMARY_THRESHOLD;
  const shown: number[] = [];
  const visit = (dim: number, base: number, stride: number) => {
    if (dim === t.shape.length) {
      shown.push(values[base]!);
      return;
    }
    const size = t.shape[dim]!;
    const inner = size === 0 ? 0 : stride / size;
    for (const i of visibleIndices(size, summarise)) visit(dim + 1, base + i * inner, inner);
  };
  visit(0, 0, values.length);
  const format = chooseFormat(shown);
  const cells = shown.map((v) => formatNumber(v, t.dtype, format.decimals, format.scientific));
  const width = Math.max(0, ...cells.map((c) => c.length));
  let cell = 0;
  const indent = "tensor(".length;
  const render = (dim: number): string => {
    if (dim === t.shape.length) return cells[cell++]!.padStart(width);
    const size = t.shape[dim]!;
    const parts: string[] = [];
    const indices = visibleIndices(size, summarise);
    indices.forEach((index, k) => {
      parts.push(render(dim + 1));
      if (summarise && k === EDGE_ITEMS - 1 && indices.length === 2 * EDGE_ITEMS && index + 1 < size - EDGE_ITEMS) parts.push("...");
    });
    if (dim === t.shape.length - 1) return `[${wrapRow(parts, indent + dim + 1)}]`;
    const separator = `,${"\n".repeat(t.shape.length - dim - 1)}${" ".repeat(indent + dim + 1)}`;
    return `[${parts.join(separator)}]`;
  };
  const body = render(0);
  const extras: string[] = [];
  // float32, int32 and bool are what plain numbers and booleans give, so only float64 is named
  if (t.dtype === "float64") extras.push("dtype=float64");
  if (t.numel === 0) extras.push(`size=[${t.shape.join(", ")}]`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push("requiresGrad=true");
  return `tensor(${body}${extras.length > 0 ? `, ${extras.join(", ")}` : ""})`;
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

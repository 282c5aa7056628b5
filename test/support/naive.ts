// A naive reference model of tensors: nested JS arrays with an explicit shape, and every op written
// as "element at index i of the result is …", element by element. It is slow and obviously right,
// which is the point: kernels and view layouts are checked against it.
//
// The shape travels with the data because nested arrays alone lose it for zero-size dims
// ([0, 3] and [0] are both []).

import { expect } from "vitest";

export type Nested = number | Nested[];

export interface NaiveArray {
  readonly shape: readonly number[];
  readonly data: Nested;
}

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((n, size) => n * size, 1);
}

/** Calls fn with every index of `shape`, in row-major order. */
export function forEachIndex(shape: readonly number[], fn: (index: number[]) => void): void {
  if (numelOf(shape) === 0) return;
  const index = new Array<number>(shape.length).fill(0);
  for (;;) {
    fn([...index]);
    let d = shape.length - 1;
    while (d >= 0 && ++index[d]! === shape[d]) index[d--] = 0;
    if (d < 0) return;
  }
}

/** The array of `shape` whose element at each index is fn(index). */
export function build(shape: readonly number[], fn: (index: number[]) => number): NaiveArray {
  const fill = (prefix: number[]): Nested =>
    prefix.length === shape.length ? fn(prefix) : Array.from({ length: shape[prefix.length]! }, (_, i) => fill([...prefix, i]));
  return { shape: [...shape], data: fill([]) };
}

export function at(a: NaiveArray, index: readonly number[]): number {
  let value: Nested = a.data;
  for (const i of index) value = (value as Nested[])[i]!;
  return value as number;
}

/** Row-major flat values. */
export function flatValues(a: NaiveArray): number[] {
  const values: number[] = [];
  forEachIndex(a.shape, (index) => values.push(at(a, index)));
  return values;
}

/** The array of `shape` holding `values` in row-major order. */
export function fromFlat(values: readonly number[], shape: readonly number[]): NaiveArray {
  if (values.length !== numelOf(shape)) throw new Error(`fromFlat: ${values.length} values for shape [${shape.join(", ")}]`);
  const strides = rowMajorStrides(shape);
  return build(shape, (index) => values[index.reduce((p, i, d) => p + i * strides[d]!, 0)]!);
}

export function map(a: NaiveArray, fn: (value: number) => number): NaiveArray {
  return build(a.shape, (index) => fn(at(a, index)));
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides: number[] = [];
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= shape[d]!;
  }
  return strides;
}

/** A possibly negative dim as an index into `ndim` dims (0-d tensors accept 0 and -1, as PyTorch). */
export function normalizeDim(dim: number, ndim: number): number {
  const range = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -range || dim >= range) throw new Error(`naive: dim ${dim} out of range for ${ndim} dims`);
  return dim < 0 ? dim + range : dim;
}

// ---- views ----

/** Row-major reshape; one -1 is inferred. */
export function reshape(a: NaiveArray, shape: readonly number[]): NaiveArray {
  const known = numelOf(shape.filter((s) => s !== -1));
  const resolved = shape.map((s) => (s === -1 ? numelOf(a.shape) / known : s));
  return fromFlat(flatValues(a), resolved);
}

export function permute(a: NaiveArray, dims: readonly number[]): NaiveArray {
  const normalized = dims.map((d) => normalizeDim(d, a.shape.length));
  return build(
    normalized.map((d) => a.shape[d]!),
    (index) => {
      const source = new Array<number>(a.shape.length);
      normalized.forEach((d, k) => {
        source[d] = index[k]!;
      });
      return at(a, source);
    },
  );
}

export function transpose(a: NaiveArray, dim0: number, dim1: number): NaiveArray {
  const dims = a.shape.map((_, d) => d);
  if (a.shape.length < 2) return a;
  const d0 = normalizeDim(dim0, a.shape.length);
  const d1 = normalizeDim(dim1, a.shape.length);
  [dims[d0], dims[d1]] = [dims[d1]!, dims[d0]!];
  return permute(a, dims);
}

/** Python's x[start:end:step] along one dim (negative indices count from the end, bounds clamp). */
export function slice(a: NaiveArray, dim: number, start: number | undefined, end: number | undefined, step = 1): NaiveArray {
  const d = normalizeDim(dim, a.shape.length);
  const size = a.shape[d]!;
  const clampIndex = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const from = start === undefined ? 0 : clampIndex(start);
  const to = end === undefined ? size : clampIndex(end);
  const count = to > from ? Math.ceil((to - from) / step) : 0;
  const shape = a.shape.map((s, k) => (k === d ? count : s));
  return build(shape, (index) =>
    at(
      a,
      index.map((i, k) => (k === d ? from + i * step : i)),
    ),
  );
}

export function select(a: NaiveArray, dim: number, index: number): NaiveArray {
  const d = normalizeDim(dim, a.shape.length);
  const i = index < 0 ? index + a.shape[d]! : index;
  return build(
    a.shape.filter((_, k) => k !== d),
    (rest) => at(a, [...rest.slice(0, d), i, ...rest.slice(d)]),
  );
}

export function narrow(a: NaiveArray, dim: number, start: number, length: number): NaiveArray {
  const d = normalizeDim(dim, a.shape.length);
  const from = start < 0 ? start + a.shape[d]! : start;
  return slice(a, d, from, from + length);
}

/** Repeats size-1 dims and prepends new dims; -1 keeps a size. */
export function expand(a: NaiveArray, shape: readonly number[]): NaiveArray {
  const lead = shape.length - a.shape.length;
  const resolved = shape.map((s, d) => (s === -1 ? a.shape[d - lead]! : s));
  return build(resolved, (index) =>
    at(
      a,
      a.shape.map((size, d) => (size === 1 ? 0 : index[d + lead]!)),
    ),
  );
}

/** Removes size-1 dims: all, or only the listed ones (a listed dim of another size stays). */
export function squeeze(a: NaiveArray, dim?: number | readonly number[]): NaiveArray {
  const listed = dim === undefined ? null : (typeof dim === "number" ? [dim] : dim).map((d) => normalizeDim(d, a.shape.length));
  const removed = a.shape.map((size, d) => size === 1 && (listed === null || listed.includes(d)));
  return build(
    a.shape.filter((_, d) => !removed[d]),
    (index) => {
      let k = 0;
      return at(
        a,
        a.shape.map((_, d) => (removed[d] ? 0 : index[k++]!)),
      );
    },
  );
}

export function unsqueeze(a: NaiveArray, dim: number): NaiveArray {
  const d = normalizeDim(dim, a.shape.length + 1);
  const shape = [...a.shape];
  shape.splice(d, 0, 1);
  return reshape(a, shape);
}

export function flatten(a: NaiveArray, startDim = 0, endDim = -1): NaiveArray {
  if (a.shape.length === 0) return reshape(a, [1]);
  const start = normalizeDim(startDim, a.shape.length);
  const end = normalizeDim(endDim, a.shape.length);
  return reshape(a, [...a.shape.slice(0, start), numelOf(a.shape.slice(start, end + 1)), ...a.shape.slice(end + 1)]);
}

/** Element (i…) is storage[offset + Σ i·stride]. */
export function asStrided(storage: readonly number[], shape: readonly number[], strides: readonly number[], offset: number): NaiveArray {
  return build(shape, (index) => storage[index.reduce((p, i, d) => p + i * strides[d]!, offset)]!);
}

// ---- elementwise ----

export function broadcastShapes(...shapes: (readonly number[])[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: ndim }, (_, d) => {
    const sizes = shapes.map((s) => s[d - ndim + s.length] ?? 1).filter((size) => size !== 1);
    if (new Set(sizes).size > 1) throw new Error(`naive: cannot broadcast ${shapes.map((s) => `[${s.join(", ")}]`).join(" and ")}`);
    return sizes[0] ?? 1;
  });
}

/** fn applied element by element after numpy broadcasting. */
export function elementwise(fn: (...values: number[]) => number, ...arrays: NaiveArray[]): NaiveArray {
  const shape = broadcastShapes(...arrays.map((a) => a.shape));
  return build(shape, (index) =>
    fn(
      ...arrays.map((a) =>
        at(
          a,
          a.shape.map((size, d) => (size === 1 ? 0 : index[d + shape.length - a.shape.length]!)),
        ),
      ),
    ),
  );
}

/** erf by its everywhere-convergent series with positive terms (no cancellation): 2/√π·e^(−x²)·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  if (Math.abs(x) > 6) return Math.sign(x);
  let term = x;
  let total = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(total); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    total += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * total;
}

/** C's pow, which PyTorch follows: 1^y = 1 and (−1)^±∞ = 1 even where Math.pow gives NaN. */
export function pow(x: number, y: number): number {
  if (x === 1 || (x === -1 && Math.abs(y) === Infinity)) return 1;
  return x ** y;
}

// ---- reductions ----

export type ReduceKind = "sum" | "max" | "min";

function combine(kind: ReduceKind, acc: number, v: number): number {
  if (kind === "sum") return acc + v;
  if (Number.isNaN(acc) || Number.isNaN(v)) return NaN; // NaN propagates through max/min
  return kind === "max" ? Math.max(acc, v) : Math.min(acc, v);
}

/** Reduces over the listed dims (all when undefined); keepdim keeps them as size 1. */
export function reduce(a: NaiveArray, kind: ReduceKind, dim?: number | readonly number[], keepdim = false): NaiveArray {
  const dims =
    dim === undefined ? a.shape.map((_, d) => d) : (typeof dim === "number" ? [dim] : dim).map((d) => normalizeDim(d, a.shape.length));
  const reduced = a.shape.map((_, d) => dims.includes(d));
  const shape = keepdim ? a.shape.map((size, d) => (reduced[d] ? 1 : size)) : a.shape.filter((_, d) => !reduced[d]);
  const reducedShape = a.shape.filter((_, d) => reduced[d]);
  return build(shape, (outIndex) => {
    const kept = keepdim ? outIndex.filter((_, d) => !reduced[d]) : outIndex;
    let acc = kind === "sum" ? 0 : kind === "max" ? -Infinity : Infinity;
    forEachIndex(reducedShape, (inner) => {
      let k = 0;
      let r = 0;
      acc = combine(
        kind,
        acc,
        at(
          a,
          a.shape.map((_, d) => (reduced[d] ? inner[r++]! : kept[k++]!)),
        ),
      );
    });
    return acc;
  });
}

/** fn of the values of each slice over the listed dims (all when undefined), row-major within the slice. */
export function reduceWith(a: NaiveArray, fn: (values: number[]) => number, dim?: number | readonly number[], keepdim = false): NaiveArray {
  const dims =
    dim === undefined ? a.shape.map((_, d) => d) : (typeof dim === "number" ? [dim] : dim).map((d) => normalizeDim(d, a.shape.length));
  const reduced = a.shape.map((_, d) => dims.includes(d));
  const shape = keepdim ? a.shape.map((size, d) => (reduced[d] ? 1 : size)) : a.shape.filter((_, d) => !reduced[d]);
  return build(shape, (outIndex) => {
    const kept = keepdim ? outIndex.filter((_, d) => !reduced[d]) : outIndex;
    const values: number[] = [];
    forEachIndex(
      a.shape.filter((_, d) => reduced[d]),
      (inner) => {
        let k = 0;
        let r = 0;
        values.push(
          at(
            a,
            a.shape.map((_, d) => (reduced[d] ? inner[r++]! : kept[k++]!)),
          ),
        );
      },
    );
    return fn(values);
  });
}

/** Each slice along dim replaced by fn(slice) (of the same length); a 0-d array is one slice of one value. */
export function mapSlices(a: NaiveArray, dim: number, fn: (slice: number[]) => number[]): NaiveArray {
  if (a.shape.length === 0) return build([], () => fn([at(a, [])])[0]!);
  const d = normalizeDim(dim, a.shape.length);
  return build(a.shape, (index) => {
    const slice = Array.from({ length: a.shape[d]! }, (_, i) =>
      at(
        a,
        index.map((v, k) => (k === d ? i : v)),
      ),
    );
    return fn(slice)[index[d]!]!;
  });
}

/** Index of the first maximum (or minimum) along dim, NaN counting as the extreme; without dim, a flat index. */
export function argReduce(a: NaiveArray, kind: "max" | "min", dim?: number, keepdim = false): NaiveArray {
  const better = (v: number, best: number) => Number.isNaN(v) || (kind === "max" ? v > best : v < best);
  const pick = (values: number[]) => {
    let best = 0;
    for (let i = 1; i < values.length && !Number.isNaN(values[best]!); i++) if (better(values[i]!, values[best]!)) best = i;
    return best;
  };
  if (dim === undefined) {
    const index = pick(flatValues(a));
    return keepdim
      ? build(
          a.shape.map(() => 1),
          () => index,
        )
      : build([], () => index);
  }
  if (a.shape.length === 0) return build([], () => 0);
  const d = normalizeDim(dim, a.shape.length);
  const shape = keepdim ? a.shape.map((size, k) => (k === d ? 1 : size)) : a.shape.filter((_, k) => k !== d);
  return build(shape, (outIndex) => {
    const rest = keepdim ? outIndex.filter((_, k) => k !== d) : outIndex;
    const values = Array.from({ length: a.shape[d]! }, (_, i) => at(a, [...rest.slice(0, d), i, ...rest.slice(d)]));
    return pick(values);
  });
}

// ---- linear algebra and indexing ----

/** PyTorch's matmul: 1-D operands promoted to a row (left) or column (right), batch dims broadcast. */
export function matmul(a: NaiveArray, b: NaiveArray): NaiveArray {
  const left = a.shape.length === 1 ? unsqueeze(a, 0) : a;
  const right = b.shape.length === 1 ? unsqueeze(b, 1) : b;
  const n = left.shape[left.shape.length - 2]!;
  const k = left.shape[left.shape.length - 1]!;
  const m = right.shape[right.shape.length - 1]!;
  const batch = broadcastShapes(left.shape.slice(0, -2), right.shape.slice(0, -2));
  const batchIndex = (t: NaiveArray, index: number[]) =>
    t.shape.slice(0, -2).map((size, d) => (size === 1 ? 0 : index[d + batch.length - (t.shape.length - 2)]!));
  let out = build([...batch, n, m], (index) => {
    const outer = index.slice(0, -2);
    const [i, j] = index.slice(-2) as [number, number];
    let total = 0;
    for (let p = 0; p < k; p++) total += at(left, [...batchIndex(left, outer), i, p]) * at(right, [...batchIndex(right, outer), p, j]);
    return total;
  });
  if (a.shape.length === 1) out = squeeze(out, -2);
  if (b.shape.length === 1) out = squeeze(out, -1);
  return out;
}

/** out[…i…] = a[…index[…i…]…] along dim. */
export function gather(a: NaiveArray, dim: number, index: NaiveArray): NaiveArray {
  const d = normalizeDim(dim, a.shape.length);
  return build(index.shape, (i) => at(a, a.shape.length === 0 ? [] : i.map((v, k) => (k === d ? at(index, i) : v))));
}

/** A copy of a with src[…i…] added at a[…index[…i…]…] along dim (repeated positions add up). */
export function scatterAdd(a: NaiveArray, dim: number, index: NaiveArray, src: NaiveArray): NaiveArray {
  const d = normalizeDim(dim, a.shape.length);
  const values = flatValues(a);
  const strides = rowMajorStrides(a.shape);
  forEachIndex(index.shape, (i) => {
    const target = a.shape.length === 0 ? 0 : i.reduce((p, v, k) => p + (k === d ? at(index, i) : v) * strides[k]!, 0);
    values[target]! += at(src, i);
  });
  return fromFlat(values, a.shape);
}

export function indexSelect(a: NaiveArray, dim: number, index: readonly number[]): NaiveArray {
  if (a.shape.length === 0) return build([], () => at(a, []));
  const d = normalizeDim(dim, a.shape.length);
  return build(
    a.shape.map((size, k) => (k === d ? index.length : size)),
    (i) =>
      at(
        a,
        i.map((v, k) => (k === d ? index[v]! : v)),
      ),
  );
}

export function cat(arrays: readonly NaiveArray[], dim = 0): NaiveArray {
  const first = arrays[0]!;
  const d = normalizeDim(dim, first.shape.length);
  const sizes = arrays.map((a) => a.shape[d]!);
  const shape = first.shape.map((size, k) => (k === d ? sizes.reduce((x, y) => x + y, 0) : size));
  return build(shape, (index) => {
    let i = index[d]!;
    let part = 0;
    while (i >= sizes[part]!) i -= sizes[part++]!;
    return at(
      arrays[part]!,
      index.map((v, k) => (k === d ? i : v)),
    );
  });
}

export function stack(arrays: readonly NaiveArray[], dim = 0): NaiveArray {
  const d = normalizeDim(dim, arrays[0]!.shape.length + 1);
  return cat(
    arrays.map((a) => unsqueeze(a, d)),
    d,
  );
}

/** Consecutive chunks along dim: of `size` each (the last may be smaller), or of the listed sizes. */
export function split(a: NaiveArray, sizeOrSizes: number | readonly number[], dim = 0): NaiveArray[] {
  const d = normalizeDim(dim, a.shape.length);
  const total = a.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    sizes = [];
    for (let start = 0; start < total; start += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, total - start));
    if (sizes.length === 0) sizes.push(0);
  } else sizes = [...sizeOrSizes];
  let start = 0;
  return sizes.map((size) => {
    const part = slice(a, d, start, start + size);
    start += size;
    return part;
  });
}

// ---- comparing a tensor with the model ----

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/**
 * Asserts that `actual` (a tensor's shape and row-major values) matches the model: same shape,
 * and each value within atol + rtol·|expected| (NaN matches NaN, ±Infinity must be equal; +0 and
 * −0 count as equal). Reports the first mismatching index.
 */
export function expectMatches(
  actual: { shape: readonly number[]; data(): ArrayLike<number> },
  expected: NaiveArray,
  tolerance: Tolerance = {},
  label = "",
): void {
  const { rtol = 0, atol = 0 } = tolerance;
  expect([...actual.shape], `${label} shape`).toEqual([...expected.shape]);
  const got = Array.from(actual.data());
  const want = flatValues(expected);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const e = want[i]!;
    const same = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!same) {
      const position = unravel(i, expected.shape);
      expect.fail(`${label} element ${i} [${position.join(", ")}]: got ${a}, expected ${e} (shape [${expected.shape.join(", ")}])`);
    }
  }
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return index;
}

// ---- layouts ----

/**
 * The strided layout whose elements, in row-major order, sit at the storage positions held by
 * `positions` (an array of positions), or null when no strides can express them: the reference
 * for which reshapes can be views. Dims of size 1 get stride 0 (any stride would do).
 */
export function layoutOf(positions: NaiveArray): { strides: number[]; offset: number } | null {
  const { shape } = positions;
  if (numelOf(shape) === 0) return { strides: rowMajorStrides(shape), offset: 0 };
  const origin = shape.map(() => 0);
  const offset = at(positions, origin);
  const strides = shape.map((size, d) =>
    size > 1
      ? at(
          positions,
          origin.map((_, k) => (k === d ? 1 : 0)),
        ) - offset
      : 0,
  );
  let fits = true;
  forEachIndex(shape, (index) => {
    if (at(positions, index) !== index.reduce((p, i, d) => p + i * strides[d]!, offset)) fits = false;
  });
  return fits ? { strides, offset } : null;
}

/** Whether the positions are consecutive in row-major order (PyTorch's is_contiguous). */
export function isConsecutive(positions: NaiveArray): boolean {
  const flat = flatValues(positions);
  return flat.every((p, i) => p === flat[0]! + i);
}

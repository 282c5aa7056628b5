import type { DType, TypedArray } from "../../dtype";
import { allocate, dtypeOfArray, toBool } from "../../dtype";
import { contiguousLayout, extentsOverlap, isContiguousLayout, isSingleValueLayout } from "../../layout";
import { numelOf } from "../../shape";
import { RowWalker, type Strided } from "./iterate";
import { zipBinarySimd } from "./wasm/elementwise";

// Booleans stored into a Uint8Array become 0/1 by the typed array's own conversion, so comparison
// functions may return booleans.
export type UnaryFn = (x: number) => number | boolean;
export type BinaryFn = (x: number, y: number) => number | boolean;

/**
 * Unary functions with loops of their own: `fn` is then not called per element, which V8 cannot
 * inline where one kernel serves many functions (an indirect call costs more than the arithmetic).
 */
export type UnaryMath = "neg" | "exp" | "log" | "sqrt" | "tanh" | "relu";

type UnaryRow = (x: TypedArray, px: number, sx: number, out: TypedArray, o: number, n: number) => void;

const UNARY_ROWS: Record<UnaryMath, UnaryRow> = {
  neg(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = -x[px]!;
  },
  exp(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = Math.exp(x[px]!);
  },
  log(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = Math.log(x[px]!);
  },
  sqrt(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = Math.sqrt(x[px]!);
  },
  tanh(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = Math.tanh(x[px]!);
  },
  relu(x, px, sx, out, o, n) {
    // NaN stays NaN (v > 0 is false for it, and v !== v keeps it), as PyTorch
    for (const end = o + n; o < end; o++, px += sx) {
      const v = x[px]!;
      out[o] = v > 0 || v !== v ? v : 0;
    }
  },
};

/**
 * out[i] = fn(x[i]) into a new contiguous array of `dtype`. With `math` naming fn, the element loop
 * is a dedicated one (same results, no call per element).
 */
export function mapUnary(x: Strided, dtype: DType, fn: UnaryFn, math?: UnaryMath): TypedArray {
  const out = allocate(dtype, numelOf(x.shape));
  const src = x.data;
  if (math !== undefined) {
    const row = UNARY_ROWS[math];
    if (isContiguousLayout(x)) {
      row(src, x.offset, 1, out, 0, out.length);
      return out;
    }
    const walker = new RowWalker(x.shape, [x]);
    for (let r = 0, o = 0; r < walker.rows; r++, walker.next(), o += walker.rowLength)
      row(src, walker.offsets[0]!, walker.rowStrides[0]!, out, o, walker.rowLength);
    return out;
  }
  if (isContiguousLayout(x)) {
    const base = x.offset;
    for (let i = 0; i < out.length; i++) out[i] = fn(src[base + i]!) as number;
    return out;
  }
  const walker = new RowWalker(x.shape, [x]);
  const n = walker.rowLength;
  const step = walker.rowStrides[0]!;
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let p = walker.offsets[0]!;
    for (let i = 0; i < n; i++, p += step) out[o++] = fn(src[p]!) as number;
  }
  return out;
}

/**
 * Binary functions with loops of their own (see UnaryMath for why): arithmetic, and the backward
 * of tanh, sigmoid and relu from the incoming gradient g and their output y.
 */
export type BinaryMath = "add" | "sub" | "mul" | "div" | "tanhBackward" | "sigmoidBackward" | "reluBackward";

type BinaryRow = (
  x: TypedArray,
  px: number,
  sx: number,
  y: TypedArray,
  py: number,
  sy: number,
  out: TypedArray,
  o: number,
  n: number,
) => void;

const BINARY_ROWS: Record<BinaryMath, BinaryRow> = {
  add(x, px, sx, y, py, sy, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx, py += sy) out[o] = x[px]! + y[py]!;
  },
  sub(x, px, sx, y, py, sy, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx, py += sy) out[o] = x[px]! - y[py]!;
  },
  mul(x, px, sx, y, py, sy, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx, py += sy) out[o] = x[px]! * y[py]!;
  },
  div(x, px, sx, y, py, sy, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx, py += sy) out[o] = x[px]! / y[py]!;
  },
  tanhBackward(g, pg, sg, y, py, sy, out, o, n) {
    for (const end = o + n; o < end; o++, pg += sg, py += sy) {
      const v = y[py]!;
      out[o] = g[pg]! * (1 - v * v);
    }
  },
  sigmoidBackward(g, pg, sg, y, py, sy, out, o, n) {
    for (const end = o + n; o < end; o++, pg += sg, py += sy) {
      const v = y[py]!;
      out[o] = g[pg]! * v * (1 - v);
    }
  },
  reluBackward(g, pg, sg, y, py, sy, out, o, n) {
    for (const end = o + n; o < end; o++, pg += sg, py += sy) out[o] = y[py]! <= 0 ? 0 : g[pg]!;
  },
};

/**
 * Whether a dedicated loop computes `math` exactly as its element function would for this output
 * dtype: always for float outputs; for int32, add and sub only (storing into an Int32Array wraps
 * the exact double sum, while a product may exceed 2^53 before wrapping, hence Math.imul there).
 */
function hasBinaryRow(math: BinaryMath, dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64" || (dtype === "int32" && (math === "add" || math === "sub"));
}

/**
 * The stride that walks an operand as one flat row, when one does: 1 for a contiguous layout, 0
 * for a single value broadcast by stride 0 (a number operand, say); null otherwise.
 */
function flatStride(x: Strided): 1 | 0 | null {
  if (isContiguousLayout(x)) return 1;
  return isSingleValueLayout(x) ? 0 : null;
}

/**
 * out[i] = fn(a[i], b[i]) for operands already broadcast to one shape. With `math` naming fn,
 * float (and int32 add/sub) outputs use a dedicated loop: same results, no call per element.
 * Operands that are each contiguous or a single value are one flat row: no walker to set up.
 */
export function zipBinary(a: Strided, b: Strided, dtype: DType, fn: BinaryFn, math?: BinaryMath): TypedArray {
  const out = allocate(dtype, numelOf(a.shape));
  // large float32 arithmetic over operands that read as rows: WebAssembly SIMD (same results)
  if (out instanceof Float32Array && math !== undefined && zipBinarySimd(math, a, b, out)) return out;
  const da = a.data;
  const db = b.data;
  const flatA = flatStride(a);
  const flatB = flatA === null ? null : flatStride(b);
  if (math !== undefined && hasBinaryRow(math, dtype)) {
    const row = BINARY_ROWS[math];
    if (flatA !== null && flatB !== null) {
      row(da, a.offset, flatA, db, b.offset, flatB, out, 0, out.length);
      return out;
    }
    const walker = new RowWalker(a.shape, [a, b]);
    const [sa, sb] = walker.rowStrides as [number, number];
    for (let r = 0, o = 0; r < walker.rows; r++, walker.next(), o += walker.rowLength) {
      row(da, walker.offsets[0]!, sa, db, walker.offsets[1]!, sb, out, o, walker.rowLength);
    }
    return out;
  }
  if (flatA !== null && flatB !== null) {
    let pa = a.offset;
    if (flatB === 0) {
      // against one value of b (a number operand, say), read once
      const y = db[b.offset]!;
      for (let i = 0; i < out.length; i++, pa += flatA) out[i] = fn(da[pa]!, y) as number;
    } else {
      for (let i = 0, pb = b.offset; i < out.length; i++, pa += flatA, pb += flatB) out[i] = fn(da[pa]!, db[pb]!) as number;
    }
    return out;
  }
  const walker = new RowWalker(a.shape, [a, b]);
  const n = walker.rowLength;
  const sa = walker.rowStrides[0]!;
  const sb = walker.rowStrides[1]!;
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let pa = walker.offsets[0]!;
    let pb = walker.offsets[1]!;
    if (sb === 0) {
      // a row of a against one broadcast value of b (bias adds, scalar operands)
      const y = db[pb]!;
      for (let i = 0; i < n; i++, pa += sa) out[o++] = fn(da[pa]!, y) as number;
    } else {
      for (let i = 0; i < n; i++, pa += sa, pb += sb) out[o++] = fn(da[pa]!, db[pb]!) as number;
    }
  }
  return out;
}

/** out[i] = cond[i] ? a[i] : b[i] for operands already broadcast to one shape. */
export function selectWhere(cond: Strided, a: Strided, b: Strided, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(cond.shape));
  const dc = cond.data;
  const da = a.data;
  const db = b.data;
  const walker = new RowWalker(cond.shape, [cond, a, b]);
  const n = walker.rowLength;
  const [sc, sa, sb] = walker.rowStrides as [number, number, number];
  let o = 0;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let pc = walker.offsets[0]!;
    let pa = walker.offsets[1]!;
    let pb = walker.offsets[2]!;
    for (let i = 0; i < n; i++, pc += sc, pa += sa, pb += sb) out[o++] = dc[pc] ? da[pa]! : db[pb]!;
  }
  return out;
}

/**
 * Copies src into dst element by element (same shape, any strides), converting dtype on the way:
 * to bool, anything non-zero (NaN included) is true; to int32, floats truncate toward zero. When
 * both are views of one storage that may share elements, src is read whole into a temporary
 * first, so every element gets src's value from before the copy (x.copy_(x.T), say).
 */
export function copyStrided(src: Strided, dst: Strided): void {
  // an empty view's offset may lie past the end of its storage: nothing to read or write
  if (numelOf(src.shape) === 0) return;
  if (src.data === dst.data && extentsOverlap(src, dst)) {
    src = { data: toContiguous(src, dtypeOfArray(src.data)), ...contiguousLayout(src.shape) };
  }
  const ds = src.data;
  const dd = dst.data;
  const convertToBool = dd instanceof Uint8Array && !(ds instanceof Uint8Array);
  if (!convertToBool && isContiguousLayout(src) && isContiguousLayout(dst) && ds.constructor === dd.constructor) {
    const n = numelOf(src.shape);
    dd.set(ds.subarray(src.offset, src.offset + n) as never, dst.offset);
    return;
  }
  const walker = new RowWalker(src.shape, [src, dst]);
  const n = walker.rowLength;
  const [ss, sd] = walker.rowStrides as [number, number];
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let ps = walker.offsets[0]!;
    let pd = walker.offsets[1]!;
    if (convertToBool) for (let i = 0; i < n; i++, ps += ss, pd += sd) dd[pd] = toBool(ds[ps]!);
    else for (let i = 0; i < n; i++, ps += ss, pd += sd) dd[pd] = ds[ps]!;
  }
}

/** A new contiguous array holding src's elements in row-major order, as `dtype`. */
export function toContiguous(src: Strided, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(src.shape));
  copyStrided(src, { data: out, ...contiguousLayout(src.shape) });
  return out;
}

/** Writes one value into every element a layout reaches. */
export function fillStrided(dst: Strided, value: number): void {
  const walker = new RowWalker(dst.shape, [dst]);
  const n = walker.rowLength;
  const step = walker.rowStrides[0]!;
  const data = dst.data;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let p = walker.offsets[0]!;
    for (let i = 0; i < n; i++, p += step) data[p] = value;
  }
}

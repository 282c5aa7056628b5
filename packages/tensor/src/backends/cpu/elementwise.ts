import type { DType, TypedArray } from "../../dtype";
import { allocate, dtypeOfArray, toBool } from "../../dtype";
import { contiguousLayout, extentsOverlap, isContiguousLayout, isSingleValueLayout } from "../../layout";
import { numelOf } from "../../shape";
import type { BinaryOp, CompareOp, UnaryOp } from "../primitives";
import { expForFloat32, logisticForFloat32, tanhForFloat32 } from "./exp-float32";
import { RowWalker, type HostView } from "./iterate";
import { erfScalar, logistic, roundHalfEven } from "./scalar-math";

// Booleans stored into a Uint8Array become 0/1 by the typed array's own conversion, so comparison
// functions may return booleans.
type UnaryFn = (x: number) => number | boolean;
type BinaryFn = (x: number, y: number) => number | boolean;

/**
 * Unary functions with loops of their own: `fn` is then not called per element, which V8 cannot
 * inline where one kernel serves many functions (an indirect call costs more than the arithmetic).
 */
type UnaryMath = "neg" | "exp" | "log" | "sqrt" | "tanh" | "sigmoid" | "relu" | "gelu" | "geluTanh";

type UnaryRow<A extends TypedArray = TypedArray> = (x: A, px: number, sx: number, out: A, o: number, n: number) => void;

// GELU, x Φ(x), and its derivative. The exact form is PyTorch's: x (1 + erf(x/√2)) / 2, and
// gelu′(x) = Φ(x) + x φ(x) with φ(x) = e^(−x²/2) / √(2π). The tanh form x (1 + tanh u) / 2, with
// u = √(2/π) (x + 0.044715 x³), is x σ(2u) = x / (1 + e^(−2u)), since 1 + tanh u = 2σ(2u): one exp,
// and no cancellation where tanh u → −1; its derivative is s + 2x s (1 − s) u′ with s = σ(2u) and
// u′ = √(2/π) (1 + 3 · 0.044715 x²). Loops for float32 results take expForFloat32 where those for
// float64 take Math.exp (written out twice: an exp passed in as an argument is not inlined).

/** −2u = x (GELU_2U_1 + GELU_2U_3 x²) */
const GELU_2U_1 = -2 * Math.sqrt(2 / Math.PI);
const GELU_2U_3 = GELU_2U_1 * 0.044715;
/** 2u′ = GELU_DU_0 + GELU_DU_2 x² */
const GELU_DU_0 = 2 * Math.sqrt(2 / Math.PI);
const GELU_DU_2 = GELU_DU_0 * 3 * 0.044715;
/** 1/√(2π), the scale of the standard normal density φ */
const NORMAL_DENSITY = 1 / Math.sqrt(2 * Math.PI);

const gelu = (v: number) => 0.5 * v * (1 + erfScalar(v * Math.SQRT1_2));
const geluTanh = (v: number) => v / (1 + Math.exp(v * (GELU_2U_1 + GELU_2U_3 * v * v)));
const geluDerivative = (v: number) => 0.5 * (1 + erfScalar(v * Math.SQRT1_2)) + v * NORMAL_DENSITY * Math.exp(-0.5 * v * v);
function geluTanhDerivative(v: number): number {
  const s = 1 / (1 + Math.exp(v * (GELU_2U_1 + GELU_2U_3 * v * v)));
  return s + v * s * (1 - s) * (GELU_DU_0 + GELU_DU_2 * v * v);
}

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
  sigmoid(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = logistic(x[px]!);
  },
  relu(x, px, sx, out, o, n) {
    // NaN stays NaN (v > 0 is false for it, and v !== v keeps it), as PyTorch
    for (const end = o + n; o < end; o++, px += sx) {
      const v = x[px]!;
      out[o] = v > 0 || v !== v ? v : 0;
    }
  },
  gelu(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = gelu(x[px]!);
  },
  geluTanh(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = geluTanh(x[px]!);
  },
};

/**
 * Loops of their own for float32 results, where exp may be expForFloat32 and tanh and the logistic
 * their forms built on it (see exp-float32.ts): about twice as fast as Math's, and within ~1e-10
 * relative of them, far inside float32's rounding.
 */
const FLOAT32_UNARY_ROWS: Partial<Record<UnaryMath, UnaryRow>> = {
  exp(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = expForFloat32(x[px]!);
  },
  tanh(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = tanhForFloat32(x[px]!);
  },
  sigmoid(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) out[o] = logisticForFloat32(x[px]!);
  },
  geluTanh(x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, px += sx) {
      const v = x[px]!;
      out[o] = v / (1 + expForFloat32(v * (GELU_2U_1 + GELU_2U_3 * v * v)));
    }
  },
};

/** The element function of each unary op; those in UNARY_ROWS also have a loop of their own. */
const UNARY_FNS: Record<UnaryOp, UnaryFn> = {
  neg: (v) => -v,
  abs: Math.abs,
  sign: (v) => (v > 0 ? 1 : v < 0 ? -1 : v), // keeps 0, -0 and NaN
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: logistic,
  relu: (v) => (v > 0 ? v : v !== v ? v : 0),
  erf: erfScalar,
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
  reciprocal: (v) => 1 / v,
  rsqrt: (v) => 1 / Math.sqrt(v),
  log1p: Math.log1p,
  expm1: Math.expm1,
  gelu,
  geluTanh,
};

/** The unary primitive: out[i] = op(x[i]) into a new contiguous array of `dtype`. */
export function unary(op: UnaryOp, x: HostView, dtype: DType): TypedArray {
  if (op === "relu" && dtype === "float32" && x.buffer instanceof Float32Array) return reluFloat32(x);
  const math = op in UNARY_ROWS ? (op as UnaryMath) : undefined;
  const row = math && ((dtype === "float32" && FLOAT32_UNARY_ROWS[math]) || UNARY_ROWS[math]);
  return mapUnary(x, dtype, UNARY_FNS[op], row);
}

/** x clamped to [min, max] (NaN stays NaN; min > max gives max), as `dtype`. */
export function clamp(x: HostView, min: number, max: number, dtype: DType): TypedArray {
  return mapUnary(x, dtype, (v) => Math.min(Math.max(v, min), max));
}

/** Whether min ≤ x ≤ max, as bool. */
export function inRange(x: HostView, min: number, max: number): TypedArray {
  return mapUnary(x, "bool", (v) => v >= min && v <= max);
}

/**
 * out[i] = fn(x[i]) into a new contiguous array of `dtype`. With a `row` loop computing fn, the
 * element loop is that dedicated one (no call per element).
 */
function mapUnary(x: HostView, dtype: DType, fn: UnaryFn, row?: UnaryRow): TypedArray {
  const out = allocate(dtype, numelOf(x.shape));
  const src = x.buffer;
  if (row !== undefined) {
    eachUnaryRow(x, src, out, row);
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
 * Runs `row` over every row of x into the contiguous `out` (one call when x is contiguous); `src`
 * is x's buffer, or another view of its storage (its bits).
 */
function eachUnaryRow<A extends TypedArray>(x: HostView, src: A, out: A, row: UnaryRow<A>): void {
  if (isContiguousLayout(x)) {
    row(src, x.offset, 1, out, 0, out.length);
    return;
  }
  const walker = new RowWalker(x.shape, [x]);
  for (let r = 0, o = 0; r < walker.rows; r++, walker.next(), o += walker.rowLength)
    row(src, walker.offsets[0]!, walker.rowStrides[0]!, out, o, walker.rowLength);
}

// relu and its backward for float32 work on the values' bits, with no branch per element (a branch
// on the sign of random data is mispredicted half the time). The bits of an int32 are negative
// exactly where the float's sign bit is set, and all ones >> 31 marks a NaN: |bits| past
// infinity's 0x7f800000. The results are the element functions' own, bit for bit.

/** The int32 view of a float32 array's bits. */
const bitsOf = (x: TypedArray) => new Int32Array(x.buffer, x.byteOffset, x.length);

/** All ones where bits are a NaN's, else 0. */
const nanMask = (bits: number) => (0x7f800000 - (bits & 0x7fffffff)) >> 31;

const reluBits: UnaryRow<Int32Array> = (x, px, sx, out, o, n) => {
  // a set sign bit clears the value (−0 too, to +0) unless it is a NaN's
  for (const end = o + n; o < end; o++, px += sx) {
    const bits = x[px]!;
    out[o] = bits & ~((bits >> 31) & ~nanMask(bits));
  }
};

const reluBackwardBits: BinaryRow<Int32Array> = (g, pg, sg, y, py, sy, out, o, n) => {
  // g passes where y > 0 (bits in [1, 2³¹ − 1]: neither y − 1 nor y has the sign bit) or y is NaN
  for (const end = o + n; o < end; o++, pg += sg, py += sy) {
    const bits = y[py]!;
    out[o] = g[pg]! & ((~((bits - 1) | bits) >> 31) | nanMask(bits));
  }
};

/** relu of a float32 view into a new Float32Array. */
function reluFloat32(x: HostView): Float32Array {
  const out = new Float32Array(numelOf(x.shape));
  eachUnaryRow(x, bitsOf(x.buffer), bitsOf(out), reluBits);
  return out;
}

/** reluBackward of float32 g and y (relu's output), broadcast to one shape, into a new Float32Array. */
function reluBackwardFloat32(g: HostView, y: HostView): Float32Array {
  const out = new Float32Array(numelOf(g.shape));
  eachBinaryRow(g, y, bitsOf(g.buffer), bitsOf(y.buffer), bitsOf(out), reluBackwardBits);
  return out;
}

/**
 * Binary functions with loops of their own (see UnaryMath for why): arithmetic, the backward of
 * tanh, sigmoid and relu from the incoming gradient g and their output y, and of gelu from g and x.
 */
type BinaryMath = "add" | "sub" | "mul" | "div" | "tanhBackward" | "sigmoidBackward" | "reluBackward" | "geluBackward" | "geluTanhBackward";

type BinaryRow<A extends TypedArray = TypedArray> = (
  x: A,
  px: number,
  sx: number,
  y: A,
  py: number,
  sy: number,
  out: A,
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
  geluBackward(g, pg, sg, x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, pg += sg, px += sx) out[o] = g[pg]! * geluDerivative(x[px]!);
  },
  geluTanhBackward(g, pg, sg, x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, pg += sg, px += sx) out[o] = g[pg]! * geluTanhDerivative(x[px]!);
  },
};

/** Loops of their own for float32 results (see FLOAT32_UNARY_ROWS). */
const FLOAT32_BINARY_ROWS: Partial<Record<BinaryMath, BinaryRow>> = {
  geluTanhBackward(g, pg, sg, x, px, sx, out, o, n) {
    for (const end = o + n; o < end; o++, pg += sg, px += sx) {
      const v = x[px]!;
      const s = 1 / (1 + expForFloat32(v * (GELU_2U_1 + GELU_2U_3 * v * v)));
      out[o] = g[pg]! * (s + v * s * (1 - s) * (GELU_DU_0 + GELU_DU_2 * v * v));
    }
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
 * Runs `row` over every row of a and b (broadcast to one shape) into the contiguous `out`: one call
 * when each operand is contiguous or a single value. `da` and `db` are their buffers, or other
 * views of their storage (their bits).
 */
function eachBinaryRow<A extends TypedArray>(a: HostView, b: HostView, da: A, db: A, out: A, row: BinaryRow<A>): void {
  const flatA = flatStride(a);
  const flatB = flatA === null ? null : flatStride(b);
  if (flatA !== null && flatB !== null) {
    row(da, a.offset, flatA, db, b.offset, flatB, out, 0, out.length);
    return;
  }
  const walker = new RowWalker(a.shape, [a, b]);
  const [sa, sb] = walker.rowStrides as [number, number];
  for (let r = 0, o = 0; r < walker.rows; r++, walker.next(), o += walker.rowLength)
    row(da, walker.offsets[0]!, sa, db, walker.offsets[1]!, sb, out, o, walker.rowLength);
}

/**
 * The stride that walks an operand as one flat row, when one does: 1 for a contiguous layout, 0
 * for a single value broadcast by stride 0 (a number operand, say); null otherwise.
 */
function flatStride(x: HostView): 1 | 0 | null {
  if (isContiguousLayout(x)) return 1;
  return isSingleValueLayout(x) ? 0 : null;
}

// element functions, made once rather than on every call
const plus: BinaryFn = (x, y) => x + y;
const minus: BinaryFn = (x, y) => x - y;
const times: BinaryFn = (x, y) => x * y;
const over: BinaryFn = (x, y) => x / y;
const either: BinaryFn = (x, y) => (x | y) !== 0;
const both: BinaryFn = (x, y) => (x & y) !== 0;
// biome-ignore lint/complexity/useMathMinMax: a tie takes y, so maximum(0, -0) is -0; Math.max gives +0
const larger: BinaryFn = (x, y) => (x !== x || y !== y ? NaN : x > y ? x : y);
// biome-ignore lint/complexity/useMathMinMax: a tie takes y, so minimum(-0, 0) is 0; Math.min gives -0
const smaller: BinaryFn = (x, y) => (x !== x || y !== y ? NaN : x < y ? x : y);

// C's pow, which PyTorch uses, gives 1 for 1^y (y NaN or ±∞ too) and for (−1)^±∞; Math.pow gives NaN
function powC(x: number, y: number): number {
  if (x === 1 || (x === -1 && Math.abs(y) === Infinity)) return 1;
  return x ** y;
}

/** Integer powers (exponent ≥ 0, checked by the op) wrapping as int32 arithmetic. */
function powInt32(base: number, exponent: number): number {
  let result = 1;
  let square = base;
  for (let e = exponent; e > 0; e >>>= 1) {
    if (e & 1) result = Math.imul(result, square);
    square = Math.imul(square, square);
  }
  return result;
}

/** The element function of each binary op for an output dtype. */
function binaryFn(op: BinaryOp, dtype: DType): BinaryFn {
  switch (op) {
    case "add":
      return dtype === "bool" ? either : plus;
    case "sub":
      return minus;
    // int32 products must wrap like int32 arithmetic, not round through a double
    case "mul":
      return dtype === "int32" ? Math.imul : dtype === "bool" ? both : times;
    case "div":
      return over;
    case "pow":
      return dtype === "int32" ? powInt32 : powC;
    case "maximum":
      return larger;
    case "minimum":
      return smaller;
    case "tanhBackward":
      return (g, y) => g * (1 - y * y);
    case "sigmoidBackward":
      return (g, y) => g * y * (1 - y);
    // y ≤ 0 exactly where x ≤ 0: relu'(0) = 0, and a NaN input (y = NaN) passes its gradient, as
    // PyTorch's threshold_backward
    case "reluBackward":
      return (g, y) => (y <= 0 ? 0 : g);
    case "geluBackward":
      return (g, x) => g * geluDerivative(x);
    case "geluTanhBackward":
      return (g, x) => g * geluTanhDerivative(x);
  }
}

const COMPARE_FNS: Record<CompareOp, BinaryFn> = {
  eq: (x, y) => x === y,
  ne: (x, y) => x !== y,
  lt: (x, y) => x < y,
  le: (x, y) => x <= y,
  gt: (x, y) => x > y,
  ge: (x, y) => x >= y,
};

/** The binary primitive: out[i] = op(a[i], b[i]) as `dtype`, operands already broadcast to one shape. */
export function binary(op: BinaryOp, a: HostView, b: HostView, dtype: DType): TypedArray {
  if (op === "reluBackward" && dtype === "float32" && a.buffer instanceof Float32Array && b.buffer instanceof Float32Array) {
    return reluBackwardFloat32(a, b);
  }
  return zipBinary(a, b, dtype, binaryFn(op, dtype), op in BINARY_ROWS ? (op as BinaryMath) : undefined);
}

/** The compare primitive: out[i] = op(a[i], b[i]) as bool. */
export function compare(op: CompareOp, a: HostView, b: HostView): TypedArray {
  return zipBinary(a, b, "bool", COMPARE_FNS[op]);
}

/**
 * out[i] = fn(a[i], b[i]) for operands already broadcast to one shape. With `math` naming fn,
 * float (and int32 add/sub) outputs use a dedicated loop: same results, no call per element.
 * Operands that are each contiguous or a single value are one flat row: no walker to set up.
 */
function zipBinary(a: HostView, b: HostView, dtype: DType, fn: BinaryFn, math?: BinaryMath): TypedArray {
  const out = allocate(dtype, numelOf(a.shape));
  const da = a.buffer;
  const db = b.buffer;
  if (math !== undefined && hasBinaryRow(math, dtype)) {
    eachBinaryRow(a, b, da, db, out, (dtype === "float32" && FLOAT32_BINARY_ROWS[math]) || BINARY_ROWS[math]);
    return out;
  }
  const flatA = flatStride(a);
  const flatB = flatA === null ? null : flatStride(b);
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
export function selectWhere(cond: HostView, a: HostView, b: HostView, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(cond.shape));
  const dc = cond.buffer;
  const da = a.buffer;
  const db = b.buffer;
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
 * The write primitive: copies src into dst element by element (same shape, any strides), converting dtype on the way:
 * to bool, anything non-zero (NaN included) is true; to int32, floats truncate toward zero. When
 * both are views of one storage that may share elements, src is read whole into a temporary
 * first, so every element gets src's value from before the copy (x.copy_(x.T), say).
 */
export function write(dst: HostView, src: HostView, add = false): void {
  // an empty view's offset may lie past the end of its storage: nothing to read or write
  if (numelOf(src.shape) === 0) return;
  if (src.buffer === dst.buffer && extentsOverlap(src, dst)) {
    src = { buffer: toContiguous(src, dtypeOfArray(src.buffer)), ...contiguousLayout(src.shape) };
  }
  if (add) {
    addInto(dst, src);
    return;
  }
  const ds = src.buffer;
  const dd = dst.buffer;
  const convertToBool = dd instanceof Uint8Array && !(ds instanceof Uint8Array);
  if (!convertToBool && isContiguousLayout(src) && isContiguousLayout(dst) && ds.constructor === dd.constructor) {
    const n = numelOf(src.shape);
    dd.set(ds.subarray(src.offset, src.offset + n) as never, dst.offset);
    return;
  }
  const walker = new RowWalker(src.shape, [src, dst]);
  const n = walker.rowLength;
  const [ss, sd] = walker.rowStrides as [number, number];
  // rows contiguous on both sides (a block of a cat, a column range) copy as a whole: this loop
  // serves every pair of array types, so element by element it is several times slower
  const rowCopies = ss === 1 && sd === 1 && n >= ROW_COPY_MIN && !convertToBool && ds.constructor === dd.constructor;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let ps = walker.offsets[0]!;
    let pd = walker.offsets[1]!;
    if (rowCopies) dd.set(ds.subarray(ps, ps + n) as never, pd);
    else if (convertToBool) for (let i = 0; i < n; i++, ps += ss, pd += sd) dd[pd] = toBool(ds[ps]!);
    else for (let i = 0; i < n; i++, ps += ss, pd += sd) dd[pd] = ds[ps]!;
  }
}

/** From this many elements a contiguous row is copied with `set` rather than element by element. */
const ROW_COPY_MIN = 16;

/** dst ← dst + src, both of one (numeric) dtype and not overlapping: the write primitive's accumulation. */
function addInto(dst: HostView, src: HostView): void {
  const ds = src.buffer;
  const dd = dst.buffer;
  const walker = new RowWalker(src.shape, [src, dst]);
  const n = walker.rowLength;
  const [ss, sd] = walker.rowStrides as [number, number];
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let ps = walker.offsets[0]!;
    let pd = walker.offsets[1]!;
    for (let i = 0; i < n; i++, ps += ss, pd += sd) dd[pd] = dd[pd]! + ds[ps]!;
  }
}

/** A new contiguous array holding src's elements in row-major order, as `dtype`. */
export function toContiguous(src: HostView, dtype: DType): TypedArray {
  const out = allocate(dtype, numelOf(src.shape));
  write({ buffer: out, ...contiguousLayout(src.shape) }, src);
  return out;
}

/** Writes one value into every element a layout reaches. */
export function fillStrided(dst: HostView, value: number): void {
  const walker = new RowWalker(dst.shape, [dst]);
  const n = walker.rowLength;
  const step = walker.rowStrides[0]!;
  const data = dst.buffer;
  for (let r = 0; r < walker.rows; r++, walker.next()) {
    let p = walker.offsets[0]!;
    for (let i = 0; i < n; i++, p += step) data[p] = value;
  }
}

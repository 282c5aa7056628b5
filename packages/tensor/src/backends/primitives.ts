import type { DType } from "../dtype";
import type { BackendBuffer, View } from "./backend";

// The one vocabulary between ops and backends. Op names are string literals, never closures, so
// a backend can switch on them or render them into code (a GPU shader, say).

/** Elementwise functions of one operand. */
export type UnaryOp = "neg" | "abs" | "sign" | "exp" | "log" | "sqrt" | "sin" | "cos" | "tanh" | "sigmoid" | "relu" | "erf";

/**
 * Elementwise functions of two operands; the last three are backward rules of the output y and
 * the incoming gradient g: g (1 − y²), g y (1 − y), and g where y > 0.
 */
export type BinaryOp = "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "minimum" | "tanhBackward" | "sigmoidBackward" | "reluBackward";

/** Elementwise comparisons, giving bool. */
export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

export type ReduceOp = "sum" | "max" | "min";
export type ArgReduceOp = "max" | "min";

/**
 * Sliding windows over the last two dims of an `[N, C, H, W]` view: window (i, j) has its tap
 * (p, q) at row i·stride[0] − padding[0] + p·dilation[0] and column j·stride[1] − padding[1] +
 * q·dilation[1]; `out` counts the windows along each dim. Taps outside the input read as padding.
 */
export interface WindowGeometry {
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly out: readonly [number, number];
}

/**
 * Every primitive, over buffers of type `B`. Operands of elementwise primitives are already
 * broadcast to one shape (broadcasting happens once, in the ops). A primitive that returns a
 * buffer allocates it: contiguous, shaped as documented, of the dtype asked for. Semantics are
 * PyTorch's (NaN propagation, int32 wrapping, bool as 0/1); the CPU reference kernels
 * (backends/cpu/kernels.ts) define them exactly.
 *
 * Declared with method syntax so a backend's kernels, typed over its own buffer type, fit.
 */
export interface Primitives<B = BackendBuffer> {
  /** op(x) as `dtype` (the ops convert int32/bool inputs of float functions first). */
  unary(op: UnaryOp, x: View<B>, dtype: DType): B;
  /** op(a, b) as `dtype`; int32 mul and pow wrap as int32 arithmetic, bool add/mul are or/and. */
  binary(op: BinaryOp, a: View<B>, b: View<B>, dtype: DType): B;
  /** op(a, b) as bool. */
  compare(op: CompareOp, a: View<B>, b: View<B>): B;
  /** cond ? a : b, as `dtype`. */
  where(cond: View<B>, a: View<B>, b: View<B>, dtype: DType): B;
  /** min(max(x, min), max) as `dtype`; NaN stays NaN. */
  clamp(x: View<B>, min: number, max: number, dtype: DType): B;
  /** min ≤ x ≤ max, as bool. */
  inRange(x: View<B>, min: number, max: number): B;
  /** x made contiguous and converted to `dtype` (cast): to int32 truncates, to bool is x ≠ 0. */
  copy(x: View<B>, dtype: DType): B;
  /** dst ← src (same shape) in place, converting to dst's dtype; safe when the two overlap. */
  write(dst: View<B>, src: View<B>): void;
  /** Every element dst reaches ← value (already a value of dst's dtype). */
  fill(dst: View<B>, value: number): void;
  /** Reduces over the dims flagged in `reduced`: x's shape without them; sums accumulate in float64. */
  reduce(op: ReduceOp, x: View<B>, reduced: readonly boolean[], dtype: DType): B;
  /** Index (int32) of the first max/min along `dim`, NaN counting as the extreme: x's shape without dim. */
  argReduce(op: ArgReduceOp, x: View<B>, dim: number): B;
  /** a [...batch, n, k] · b [...batch, k, m] (batch dims already broadcast), as `dtype`. */
  matmul(a: View<B>, b: View<B>, dtype: DType): B;
  /** out[…i…] = x[…index[…i…]…] along dim, shaped as index (indices already validated). */
  gather(x: View<B>, dim: number, index: View<B>, dtype: DType): B;
  /** target[…index[…i…]…] += src[…i…] along dim, in place (indices already validated). */
  scatterAdd(target: View<B>, dim: number, index: View<B>, src: View<B>): void;
  /**
   * im2col: the windows of x `[N, C, H, W]` as columns `[C·kH·kW, N, outH·outW]`, row (c, p, q)
   * holding channel c at tap (p, q) of each window, zero where a tap falls outside x. Rows first,
   * so a convolution is one matrix product over the whole batch.
   */
  im2col(x: View<B>, geometry: WindowGeometry, dtype: DType): B;
  /**
   * col2im, im2col's adjoint: columns `[N, C·kH·kW, outH·outW]` added back into a zeroed
   * `[N, C, ...size]` where each entry was read from (entries outside it are dropped).
   */
  col2im(columns: View<B>, geometry: WindowGeometry, size: readonly [number, number], dtype: DType): B;
  /**
   * Max pooling of x `[N, C, H, W]`: each window's first maximum (NaN counting as the maximum,
   * taps outside x skipped) as `values` `[N, C, outH, outW]` of `dtype`, and its position h·W + w
   * in the input's plane as int32 `indices` of the same shape (H·W for a window with no tap inside x,
   * whose value is -Infinity).
   */
  maxPool(x: View<B>, geometry: WindowGeometry, dtype: DType): { values: B; indices: B };
}

/** The name of a primitive. */
export type Primitive = keyof Primitives;

import type { DType } from "../dtype";
import type { BackendBuffer, View } from "./backend";

// The one vocabulary between ops and backends. Op names are string literals, never closures, so
// a backend can switch on them or render them into code (a GPU shader, say).

/** Elementwise functions of one operand. */
export type UnaryOp =
  | "neg"
  | "abs"
  | "sign"
  | "exp"
  | "log"
  | "sqrt"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "erf"
  | "floor"
  | "ceil"
  | "round" // half to even, as PyTorch
  | "trunc"
  | "reciprocal"
  | "rsqrt"
  | "log1p"
  | "expm1"
  | "gelu" // x Φ(x) = x (1 + erf(x/√2)) / 2, as PyTorch
  | "geluTanh"; // x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2, PyTorch's approximate "tanh"

/**
 * Elementwise functions of two operands; the rest after minimum are backward rules of the incoming
 * gradient g and the output y: g (1 − y²), g y (1 − y), and g where y > 0; or of g and the input x:
 * g gelu′(x) for each form of gelu.
 */
export type BinaryOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "tanhBackward"
  | "sigmoidBackward"
  | "reluBackward"
  | "geluBackward"
  | "geluTanhBackward";

/** Elementwise comparisons, giving bool. */
export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

export type ReduceOp = "sum" | "prod" | "max" | "min";
export type ArgReduceOp = "max" | "min";

/** Inclusive scans along one dim: running sums and running products. */
export type ScanOp = "sum" | "prod";

/** The update rules of `optimizerUpdate`: PyTorch's SGD, Adam, AdamW, RMSprop and Adagrad. */
export type OptimizerRule = "sgd" | "adam" | "adamw" | "rmsprop" | "adagrad";

/**
 * One parameter's optimizer step: its rule and scalar hyperparameters, as the optimizers of
 * @nabla/nn hold them. `step` is the step count t this update makes (1 on the first), from which
 * Adam's bias corrections and Adagrad's decayed learning rate follow; `startsBuffer` says SGD's
 * momentum buffer is set to this step's direction rather than updated (PyTorch's first step).
 */
export type OptimizerStep =
  | {
      readonly rule: "sgd";
      readonly lr: number;
      readonly momentum: number;
      readonly dampening: number;
      readonly weightDecay: number;
      readonly nesterov: boolean;
      readonly startsBuffer: boolean;
    }
  | {
      readonly rule: "adam" | "adamw";
      readonly lr: number;
      readonly beta1: number;
      readonly beta2: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly amsgrad: boolean;
      readonly step: number;
    }
  | {
      readonly rule: "rmsprop";
      readonly lr: number;
      readonly alpha: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly momentum: number;
      readonly centered: boolean;
    }
  | {
      readonly rule: "adagrad";
      readonly lr: number;
      readonly lrDecay: number;
      readonly weightDecay: number;
      readonly eps: number;
      readonly step: number;
    };

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
  /**
   * dst ← src (same shape) in place, converting to dst's dtype; with `add`, dst ← dst + src of one
   * dtype, int32 wrapping (not bool). Safe when the two overlap.
   */
  write(dst: View<B>, src: View<B>, add?: boolean): void;
  /** Every element dst reaches ← value (already a value of dst's dtype). */
  fill(dst: View<B>, value: number): void;
  /**
   * Reduces over the dims flagged in `reduced`: x's shape without them; sums and products
   * accumulate in float64 (int32 products wrap as int32 arithmetic).
   */
  reduce(op: ReduceOp, x: View<B>, reduced: readonly boolean[], dtype: DType): B;
  /**
   * Running sums or products of x along `dim` (from the last element backwards when `reverse`), as
   * `dtype`: x's shape. Float accumulators are float64; int32 ones wrap as int32 arithmetic.
   */
  scan(op: ScanOp, x: View<B>, dim: number, reverse: boolean, dtype: DType): B;
  /** Index (int32) of the first max/min along `dim`, NaN counting as the extreme: x's shape without dim. */
  argReduce(op: ArgReduceOp, x: View<B>, dim: number): B;
  /**
   * a [...batch, n, k] · b [...batch, k, m] (batch dims already broadcast), as `dtype`; with `into`
   * (a contiguous view of the product's shape and dtype, sharing no storage with a or b), added
   * into it in place instead, whose buffer is returned.
   */
  matmul(a: View<B>, b: View<B>, dtype: DType, into?: View<B>): B;
  /** out[…i…] = x[…index[…i…]…] along dim, shaped as index (indices already validated). */
  gather(x: View<B>, dim: number, index: View<B>, dtype: DType): B;
  /** target[…index[…i…]…] += src[…i…] along dim, in place (indices already validated). */
  scatterAdd(target: View<B>, dim: number, index: View<B>, src: View<B>): void;
  /**
   * The permutation that sorts x along `dim` (int32 positions along dim, shaped as x): stable, NaN
   * larger than every number (last ascending, first descending), as PyTorch's stable sort.
   */
  sort(x: View<B>, dim: number, descending: boolean): B;
  /**
   * Softmax (log false) or log-softmax (log true) of every slice of float x along `dim`, x's shape:
   * exp(x − max) / Σ exp(x − max), or x − max − log Σ exp(x − max). A -Infinity entry gives exactly
   * 0 (−Infinity); an all -Infinity slice, +Infinity or NaN makes the slice NaN, as PyTorch.
   */
  softmax(x: View<B>, dim: number, log: boolean, dtype: DType): B;
  /**
   * The vector-Jacobian product of softmax along `dim` from its output y = s and the incoming
   * gradient g, s ⊙ (g − Σ g ⊙ s); of log-softmax (log true) from its output y, g − exp(y) Σ g.
   */
  softmaxBackward(y: View<B>, g: View<B>, dim: number, log: boolean, dtype: DType): B;
  /**
   * Cross-entropy of logits [N, C] and int32 class indices [N] (already checked to be classes or
   * ignoreIndex), as a 0-d buffer: Σₙ (log Σ_c exp x[n, c] − x[n, tₙ]) / denominator over the rows
   * whose target is not ignoreIndex, each log-sum-exp taken stably (max first) and the sum kept in
   * float64. Also writes softmax(x) of every row into `probabilities`, a contiguous [N, C] buffer
   * of `dtype` that the caller allocated, for crossEntropyBackward.
   */
  crossEntropy(logits: View<B>, targets: View<B>, ignoreIndex: number, denominator: number, probabilities: View<B>, dtype: DType): B;
  /**
   * crossEntropy's gradient for its logits, from the probabilities it wrote, scaled by `scale`
   * (ḡ / denominator), [N, C]: (p[n] − onehot(tₙ)) · scale per row, 0 on rows whose target is
   * ignoreIndex.
   */
  crossEntropyBackward(probabilities: View<B>, targets: View<B>, ignoreIndex: number, scale: number, dtype: DType): B;
  /**
   * Layer normalisation of every row of float x [R, N]: y = (x − mean)·rstd ⊙ weight + bias, with
   * the row's mean and rstd = 1 / √(var + eps) (biased variance), weight and bias [N] or null
   * (absent: 1 and 0). `out` is [R, N], `mean` and `rstd` are [R], all of `dtype`; the statistics
   * are taken in float64 (two passes, so a large mean costs no accuracy).
   */
  layerNorm(x: View<B>, weight: View<B> | null, bias: View<B> | null, eps: number, dtype: DType): { out: B; mean: B; rstd: B };
  /**
   * layerNorm's VJP from its input x [R, N], the incoming gradient g [R, N] and the mean and rstd
   * [R] it gave, with x̂ = (x − mean)·rstd and ĝ = g ⊙ weight (g when weight is null): per row
   * dx = rstd·(ĝ − mean ĝ − x̂·mean(ĝ ⊙ x̂)) [R, N], and over the rows dweight = Σ g ⊙ x̂ and
   * dbias = Σ g [N], all of `dtype` (the sums kept in float64).
   */
  layerNormBackward(
    x: View<B>,
    g: View<B>,
    mean: View<B>,
    rstd: View<B>,
    weight: View<B> | null,
    dtype: DType,
  ): { dx: B; dweight: B; dbias: B };
  /**
   * One optimizer step of `param` in place, from its gradient and its state, which it updates in
   * place too: by position, SGD [momentum buffer or null], Adam and AdamW [m, v, max v or null
   * (amsgrad)], RMSprop [square average, momentum buffer or null, gradient average or null
   * (centered)], Adagrad [sum of squares]. Every view is contiguous, of the parameter's float dtype
   * and shape, and in a buffer of its own. Every intermediate is rounded to that dtype where the
   * same update written in tensor ops stores a tensor (scalars too), so both give the same bits.
   */
  optimizerUpdate(step: OptimizerStep, param: View<B>, grad: View<B>, state: readonly (View<B> | null)[]): void;
  /**
   * im2col: the windows of x `[N, C, H, W]` as columns `[C·kH·kW, N, outH·outW]`, row (c, p, q)
   * holding channel c at tap (p, q) of each window, zero where a tap falls outside x. Rows first,
   * so a convolution is one matrix product over the whole batch.
   */
  im2col(x: View<B>, geometry: WindowGeometry, dtype: DType): B;
  /**
   * 2-d convolution (cross-correlation, as PyTorch's) of x `[N, C, H, W]` with weight
   * `[O, C/groups, kH, kW]` over `geometry`'s windows, plus bias `[O]` when given:
   * `[N, O, outH, outW]`. Each group's output channels see only its C/groups input channels.
   * Exactly im2col, then per group weight `[O/groups, C/groups·kH·kW]` · columns, then the bias:
   * so the columns never leave the backend.
   */
  conv2d(x: View<B>, weight: View<B>, bias: View<B> | null, geometry: WindowGeometry, groups: number, dtype: DType): B;
  /**
   * conv2d's gradient for its weight, from x `[N, C, H, W]` and the incoming gradient ḡ
   * `[N, O, outH, outW]`: `[O, C/groups, kH, kW]`, per group ḡ `[O/groups, N·outH·outW]` ·
   * columnsᵀ (the columns as conv2d makes them).
   */
  conv2dWeightGrad(x: View<B>, gradOut: View<B>, geometry: WindowGeometry, groups: number, dtype: DType): B;
  /**
   * conv2d's gradient for its input, from ḡ `[N, O, outH, outW]` and weight `[O, C/groups, kH, kW]`:
   * `[N, C, ...size]`, col2im of per group weightᵀ · ḡ `[O/groups, N·outH·outW]`.
   */
  conv2dInputGrad(
    gradOut: View<B>,
    weight: View<B>,
    geometry: WindowGeometry,
    groups: number,
    size: readonly [number, number],
    dtype: DType,
  ): B;
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

import {
  abs,
  add,
  defineOp,
  eq,
  exp,
  eye,
  formatShape,
  full,
  isTensor,
  log,
  maskedFill,
  max,
  mul,
  NablaError,
  neg,
  normalizeDim,
  reshape,
  sub,
  sum,
  Tensor,
  to,
  unsqueeze,
} from "@nabla/tensor/functional";

function checkFloatInput(op: string, x: unknown): asserts x is Tensor {
  if (!isTensor(x, op)) throw new NablaError(op, `expected a Tensor, got ${typeof x}`);
  if (x.dtype !== "float32" && x.dtype !== "float64") {
    // PyTorch: "softmax_lastdim_kernel_impl" not implemented for 'Long'
    throw new NablaError(op, `expected a float32 or float64 tensor, got ${x.dtype} of shape ${formatShape(x.shape)}`);
  }
}

/**
 * softmax (log false) or log-softmax (log true) of every slice of x along `dim`, through the
 * backend's softmax primitive (see its reference kernel for the numerics: max first, sums in
 * float64, exactly 0 for -Infinity entries, NaN for an all -Infinity slice).
 */
function normalizeSlices(x: Tensor, dim: number, log: boolean): Tensor {
  const { backend } = x.storage;
  return Tensor.fromBuffer(backend, backend.run.softmax(x, dim, log, x.dtype), x.shape, x.dtype);
}

/**
 * The VJPs of softmax (log false, `saved` = s: s ⊙ (g − Σ g ⊙ s)) and log-softmax (log true,
 * `saved` = y: g − exp(y) ⊙ Σ g) along `dim`, through the backend's softmaxBackward primitive.
 */
function vjpSlices(saved: Tensor, gradOut: Tensor, dim: number, log: boolean): Tensor {
  const { backend } = saved.storage;
  return Tensor.fromBuffer(backend, backend.run.softmaxBackward(saved, gradOut, dim, log, saved.dtype), saved.shape, saved.dtype);
}

/** Checks the saved output and the incoming gradient of a softmax VJP agree; returns dim normalised. */
function checkVjpInputs(op: string, saved: unknown, gradOut: unknown, dim: number, savedName: string): number {
  checkFloatInput(op, saved);
  checkFloatInput(op, gradOut);
  if (saved.ndim !== gradOut.ndim || saved.shape.some((size, d) => size !== gradOut.shape[d])) {
    throw new NablaError(
      op,
      `gradOut shape ${formatShape(gradOut.shape)} must equal the ${savedName} output shape ${formatShape(saved.shape)}`,
    );
  }
  if (saved.dtype !== gradOut.dtype) {
    throw new NablaError(
      op,
      `gradOut dtype ${gradOut.dtype} must equal the ${savedName} output dtype ${saved.dtype} (shape ${formatShape(saved.shape)})`,
    );
  }
  return normalizeDim(op, dim, saved.ndim);
}

/**
 * The vector-Jacobian product of softmax along `dim` (default the last), given its output `s` and
 * the incoming gradient `gradOut`: `s ⊙ (g − Σ_dim g ⊙ s)`, shaped like `s`. This is the whole
 * backward of `softmax`, exported on its own for teaching. It is one fused pass forward, and its
 * own backward is written in tensor ops (calling itself for the gradient of g), so it is
 * differentiable to any order. `s` and `gradOut` must be float32 or float64 tensors of the same
 * shape and dtype, else it throws a NablaError.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * const s = softmax(x);
 * const g = tensor([1, 0, 0]);
 * softmaxBackward(s, g); // → [0.0819, -0.0220, -0.0599]
 * s.backward(g);         // autodiff runs the same formula
 * x.grad;                // → [0.0819, -0.0220, -0.0599]
 * softmaxBackward(s, tensor([1, 0])); // throws softmaxBackward: gradOut shape [2] must equal the softmax output shape [3]
 * ```
 */
export const softmaxBackward: (s: Tensor, gradOut: Tensor, dim?: number) => Tensor = defineOp({
  name: "softmaxBackward",
  formula: {
    forward: "x̄ = s ⊙ (ḡ − Σ ḡ ⊙ s)",
    backward: "ḡ' = s ⊙ (ō − Σ ō ⊙ s),  s̄ = ō ⊙ (ḡ − Σ ḡ ⊙ s) − ḡ ⊙ Σ ō ⊙ s",
  },
  forward(ctx, s: Tensor, gradOut: Tensor, dim: number = -1): Tensor {
    ctx.dim = checkVjpInputs("softmaxBackward", s, gradOut, dim, "softmax");
    ctx.save(s, gradOut);
    // J = diag(s) − s sᵀ is symmetric, so Jᵀg = s ⊙ g − s (sᵀg) = s ⊙ (g − Σ g ⊙ s); J is never built
    return vjpSlices(s, gradOut, ctx.dim, false);
  },
  backward(ctx, outGrad) {
    const [s, g] = ctx.saved;
    const d: number = ctx.dim;
    // out is linear in g with the same symmetric J, so g's gradient is this op again (the reason
    // softmaxBackward's type is spelled out: TypeScript cannot infer a self-reference); for s,
    // ∂out_i/∂s_k = δ_ik (g_i − Σ g ⊙ s) − s_i g_k
    const gradS = ctx.needsInputGrad[0]
      ? sub(mul(outGrad, sub(g!, sum(mul(g!, s!), d, true))), mul(g!, sum(mul(outGrad, s!), d, true)))
      : null;
    const gradG = ctx.needsInputGrad[1] ? softmaxBackward(s!, outGrad, d) : null;
    return [gradS, gradG];
  },
});

/**
 * The vector-Jacobian product of log-softmax along `dim` (default the last), given its output `y`
 * and the incoming gradient `gradOut`: `g − exp(y) ⊙ Σ_dim g`, shaped like `y`. The backward of
 * `logSoftmax`, fused like `softmaxBackward`, differentiable the same way and checked the same way
 * (same shape and float dtype for both, else a NablaError).
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3], { requiresGrad: true });
 * const y = logSoftmax(x);
 * const g = tensor([1, 0, 0]);
 * logSoftmaxBackward(y, g); // → [0.9100, -0.2447, -0.6652]
 * y.backward(g);
 * x.grad;                   // → [0.9100, -0.2447, -0.6652]
 * ```
 */
export const logSoftmaxBackward = defineOp({
  name: "logSoftmaxBackward",
  formula: {
    forward: "x̄ = ḡ − exp(y) ⊙ Σ ḡ",
    backward: "ḡ' = ō − Σ ō ⊙ exp(y),  ȳ = −ō ⊙ exp(y) ⊙ Σ ḡ",
  },
  forward(ctx, y: Tensor, gradOut: Tensor, dim: number = -1): Tensor {
    ctx.dim = checkVjpInputs("logSoftmaxBackward", y, gradOut, dim, "logSoftmax");
    ctx.save(y, gradOut);
    // ∂y_i/∂x_j = δ_ij − s_j with s = exp(y), so Jᵀg = g − s Σ g
    return vjpSlices(y, gradOut, ctx.dim, true);
  },
  backward(ctx, outGrad) {
    const [y, g] = ctx.saved;
    const d: number = ctx.dim;
    const s = exp(y!);
    // out_i = g_i − s_i Σ g: ∂out_i/∂g_k = δ_ik − s_i and ∂out_i/∂y_k = −δ_ik s_i Σ g
    const gradY = ctx.needsInputGrad[0] ? neg(mul(mul(outGrad, s), sum(g!, d, true))) : null;
    const gradG = ctx.needsInputGrad[1] ? sub(outGrad, sum(mul(outGrad, s), d, true)) : null;
    return [gradY, gradG];
  },
});

/**
 * Softmax along `dim` (default the last; negative counts from the end), as PyTorch's
 * `F.softmax`: `exp(x − max) / Σ exp(x − max)` per slice, numerically stable for any finite input
 * and for -Infinity (masked) entries, which get exactly 0. A slice that is entirely -Infinity, or
 * holds +Infinity or NaN, gives NaN, as PyTorch. The output has x's shape and dtype; x must be
 * float32 or float64 (int32 and bool throw, as PyTorch), and a `dim` out of range throws.
 *
 * @example
 * ```ts
 * softmax(tensor([2.0, 1.0, 0.1]));     // → [0.65900114, 0.24243297, 0.09856589]
 * softmax(tensor([1000, 1001, 1002]));  // → [0.0900, 0.2447, 0.6652]
 * softmax(tensor([1, 1, -Infinity]));   // → [0.5, 0.5, 0]
 * softmax(tensor([[1, 2], [3, 4]]), 0); // → [[0.1192, 0.1192], [0.8808, 0.8808]]
 * softmax(tensor([1, 2], { dtype: "int32" })); // throws softmax: expected a float32 or float64 tensor, got int32 of shape [2]
 * ```
 */
export const softmax = defineOp({
  name: "softmax",
  formula: {
    forward: "s = exp(x − max x) / Σ exp(x − max x)",
    backward: "x̄ = s ⊙ (ḡ − Σ ḡ ⊙ s)",
  },
  forward(ctx, x: Tensor, dim: number = -1): Tensor {
    checkFloatInput("softmax", x);
    ctx.dim = normalizeDim("softmax", dim, x.ndim);
    const s = normalizeSlices(x, ctx.dim, false);
    ctx.save(s); // the derivative is a function of the output alone
    return s;
  },
  backward(ctx, gradOut) {
    const [s] = ctx.saved;
    return [softmaxBackward(s!, gradOut, ctx.dim)];
  },
});

/**
 * Log-softmax along `dim` (default the last), as PyTorch's `F.log_softmax`:
 * `x − max − log Σ exp(x − max)`, computed directly (never as log(softmax), which underflows to
 * -Infinity). Same shape, dtype, NaN cases and errors as `softmax`. Feed it to `nllLoss`, or use
 * `crossEntropy` on the logits directly.
 *
 * @example
 * ```ts
 * logSoftmax(tensor([0, Math.log(3)]));  // → [-1.3863, -0.2877]
 * logSoftmax(tensor([-1000, 0]));        // → [-1000, 0]
 * softmax(tensor([-1000, 0])).log();    // → [-Infinity, 0]
 * ```
 */
export const logSoftmax = defineOp({
  name: "logSoftmax",
  formula: {
    forward: "y = x − max x − log Σ exp(x − max x)",
    backward: "x̄ = ḡ − exp(y) ⊙ Σ ḡ",
  },
  forward(ctx, x: Tensor, dim: number = -1): Tensor {
    checkFloatInput("logSoftmax", x);
    ctx.dim = normalizeDim("logSoftmax", dim, x.ndim);
    const y = normalizeSlices(x, ctx.dim, true);
    ctx.save(y);
    return y;
  },
  backward(ctx, gradOut) {
    const [y] = ctx.saved;
    return [logSoftmaxBackward(y!, gradOut, ctx.dim)];
  },
});

/** The reduced dims of logsumexp, normalised, sorted and free of repeats. */
function reducedDims(x: Tensor, dim: number | readonly number[]): number[] {
  const dims = typeof dim === "number" ? [dim] : dim;
  if (!Array.isArray(dims) || dims.length === 0) {
    throw new NablaError(
      "logsumexp",
      `dim must be a dim or a non-empty list of dims of the tensor of shape ${formatShape(x.shape)}, got ${JSON.stringify(dim)}`,
    );
  }
  const normalized = dims.map((d: number) => normalizeDim("logsumexp", d, x.ndim));
  if (new Set(normalized).size !== normalized.length) {
    throw new NablaError("logsumexp", `dims [${dims.join(", ")}] name the same dim more than once (shape ${formatShape(x.shape)})`);
  }
  return normalized.sort((a, b) => a - b);
}

/**
 * log Σ exp(x) over `dim` (a dim or a non-empty list of dims; required, as in PyTorch's
 * `torch.logsumexp`), stable: the max is subtracted first, except where it is ±Infinity (PyTorch's
 * rule), so an all -Infinity slice gives -Infinity, a +Infinity entry gives +Infinity, and an
 * empty slice gives log 0 = -Infinity. The reduced dims are dropped, or kept as size 1 with
 * `keepdim`. float64 stays float64; float32, int32 and bool give float32, as PyTorch. A dim out of
 * range or named twice throws.
 *
 * @example
 * ```ts
 * const x = tensor([[0, 0], [1000, 1000]]);
 * logsumexp(x, 1);               // → [0.693147, 1000.693]
 * logsumexp(x, 1, true).shape;   // → [2, 1]
 * logsumexp(tensor([[0, 0], [0, 0]]), [0, 1]); // → 1.386294
 * logsumexp(x, [1, 1]);          // throws logsumexp: dims [1, 1] name the same dim more than once (shape [2, 2])
 * ```
 */
export const logsumexp = defineOp({
  name: "logsumexp",
  formula: {
    forward: "y = m + log Σ exp(x − m),  m = max x",
    backward: "x̄ = ḡ ⊙ exp(x − y)",
  },
  forward(ctx, x: Tensor, dim: number | readonly number[], keepdim: boolean = false): Tensor {
    if (!isTensor(x, "logsumexp")) throw new NablaError("logsumexp", `expected a Tensor, got ${typeof x}`);
    const dims = reducedDims(x, dim);
    const shape = x.shape;
    // keepdim shape: reduced dims become 1 (a 0-d input stays 0-d)
    ctx.keepShape = shape.map((size, d) => (dims.includes(d) ? 1 : size));
    const outShape = keepdim ? ctx.keepShape : shape.filter((_, d) => !dims.includes(d));
    const floatX = x.dtype === "float32" || x.dtype === "float64" ? x : to(x, "float32");
    let y: Tensor;
    if (dims.some((d) => shape[d] === 0)) {
      y = full(outShape, -Infinity, { dtype: floatX.dtype, device: x.device }); // log of an empty sum: log 0
    } else {
      const xMax = max(floatX, dims, true);
      // an infinite max cannot be subtracted (∞ − ∞ = NaN): shift by 0 there, so a row of -∞ gives
      // log 0 = -∞ and a row holding +∞ gives log ∞ = +∞
      const shift = maskedFill(xMax, eq(abs(xMax), Infinity), 0);
      y = reshape(add(log(sum(exp(sub(floatX, shift)), dims, true)), shift), outShape);
    }
    ctx.save(x, y);
    return y;
  },
  backward(ctx, gradOut) {
    const [x, y] = ctx.saved;
    // ∂y/∂x_i = exp(x_i − y), the softmax of the slice
    const keepShape: number[] = ctx.keepShape;
    return [mul(reshape(gradOut, keepShape), exp(sub(x!, reshape(y!, keepShape))))];
  },
});

/**
 * The full `[n, n]` Jacobian of softmax for a 1-D float x of size n, `J = diag(s) − s sᵀ`
 * (J[i][j] = ∂s_i/∂x_j), in x's dtype. For teaching only: softmax's backward never builds it. Any
 * other rank throws.
 *
 * @example
 * ```ts
 * softmaxJacobian(tensor([0, 0])); // → [[0.25, -0.25], [-0.25, 0.25]]
 * const x = tensor([1, 2, 3]);
 * const g = tensor([1, 0, 0]);
 * // J is symmetric, so Jᵀg = Jg is softmax's VJP
 * softmaxJacobian(x).matmul(g);    // → [0.0819, -0.0220, -0.0599]
 * softmaxBackward(softmax(x), g);  // → [0.0819, -0.0220, -0.0599]
 * softmaxJacobian(tensor([[1, 2]])); // throws softmaxJacobian: expected a 1-D tensor, got shape [1, 2]
 * ```
 */
export function softmaxJacobian(x: Tensor): Tensor {
  checkFloatInput("softmaxJacobian", x);
  if (x.ndim !== 1) {
    throw new NablaError("softmaxJacobian", `expected a 1-D tensor, got shape ${formatShape(x.shape)}`);
  }
  const n = x.shape[0]!;
  const s = softmax(x);
  // eye ⊙ s keeps s[j] on the diagonal only; s[:, None] ⊙ s[None, :] is the outer product s sᵀ
  return sub(mul(eye(n, n, { dtype: x.dtype }), s), mul(unsqueeze(s, 1), unsqueeze(s, 0)));
}

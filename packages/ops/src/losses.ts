import {
  abs,
  add,
  clamp,
  defineOp,
  div,
  type DType,
  eq,
  exp,
  formatShape,
  log,
  lt,
  mul,
  NablaError,
  neg,
  relu,
  square,
  sub,
  type Tensor,
  to,
  where,
} from "@nabla/tensor/functional";
import { checkBoolean, checkOptions, checkTensor, describeValue } from "@nabla/tensor/internal";
import { applyReduction, type Reduction } from "./cross-entropy";

// The regression and probability losses of torch.nn.functional, each composed of public tensor
// ops (so gradgradcheck and createGraph need nothing more), except binary cross-entropy, whose
// clamped logs need PyTorch's own gradient formula (see binaryCrossEntropyTerms).

/** The options of `mseLoss` and `l1Loss`: PyTorch's `reduction`. */
export interface LossOptions {
  /** "mean" (default) averages over every element, "sum" adds them, "none" keeps one per element. */
  reduction?: Reduction;
}

/** The options of `smoothL1Loss`, as PyTorch's `F.smooth_l1_loss` keywords. */
export interface SmoothL1LossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1, at least 0; 0 is the L1 loss). */
  beta?: number;
}

/** The options of `huberLoss`, as PyTorch's `F.huber_loss` keywords. */
export interface HuberLossOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (default 1, greater than 0). */
  delta?: number;
}

/** The options of `binaryCrossEntropy`, as PyTorch's `F.binary_cross_entropy` keywords. */
export interface BinaryCrossEntropyOptions extends LossOptions {
  /** A float tensor that broadcasts to the input's shape, multiplying each element's loss. */
  weight?: Tensor;
}

/** The options of `binaryCrossEntropyWithLogits`, as PyTorch's `F.binary_cross_entropy_with_logits` keywords. */
export interface BinaryCrossEntropyWithLogitsOptions extends BinaryCrossEntropyOptions {
  /** Weight of the positive term, broadcast to the input's shape (one per class along the last dim, typically). */
  posWeight?: Tensor;
}

/** How `klDiv` reduces: PyTorch's reductions and "batchmean", the sum divided by the batch size. */
export type KlDivReduction = Reduction | "batchmean";

/** The options of `klDiv`, as PyTorch's `F.kl_div` keywords. */
export interface KlDivOptions {
  /** "mean" (default: over every element), "batchmean" (the sum over the size of dim 0), "sum" or "none". */
  reduction?: KlDivReduction;
  /** The target holds log-probabilities instead of probabilities (default false). */
  logTarget?: boolean;
}

const REDUCTIONS: readonly string[] = ["none", "mean", "sum"];
const KL_REDUCTIONS: readonly string[] = ["none", "mean", "batchmean", "sum"];

function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/**
 * Checks an input and a target: float tensors of one dtype (PyTorch's backward refuses two) and
 * one shape (a loss does not broadcast them, where PyTorch only warns).
 */
function checkPair(op: string, inputArg: unknown, targetArg: unknown): [Tensor, Tensor] {
  const input = checkTensor(op, "input", inputArg);
  const target = checkTensor(op, "target", targetArg);
  for (const [name, t] of [
    ["input", input],
    ["target", target],
  ] as const) {
    if (!isFloat(t.dtype))
      throw new NablaError(op, `expected a float32 or float64 ${name}, got ${t.dtype} of shape ${formatShape(t.shape)}`);
  }
  if (input.ndim !== target.ndim || input.shape.some((size, d) => size !== target.shape[d])) {
    throw new NablaError(
      op,
      `input of shape ${formatShape(input.shape)} and target of shape ${formatShape(target.shape)} differ (expected the same shape: losses do not broadcast)`,
    );
  }
  if (input.dtype !== target.dtype) {
    throw new NablaError(op, `target dtype ${target.dtype} must match the input dtype ${input.dtype} (shape ${formatShape(input.shape)})`);
  }
  return [input, target];
}

function checkReduction(op: string, reduction: unknown, allowed = REDUCTIONS): void {
  if (typeof reduction !== "string" || !allowed.includes(reduction)) {
    const names = allowed.map((name) => `"${name}"`);
    throw new NablaError(op, `reduction must be ${names.slice(0, -1).join(", ")} or ${names.at(-1)}, got ${describeValue(reduction)}`);
  }
}

/** An optional weight: a float tensor that broadcasts to `shape`, in `dtype`; null when absent. */
function checkWeight(op: string, name: string, value: unknown, shape: readonly number[], dtype: DType): Tensor | null {
  if (value === undefined || value === null) return null;
  const weight = checkTensor(op, name, value);
  if (!isFloat(weight.dtype)) {
    throw new NablaError(op, `${name} must be float32 or float64, got ${weight.dtype} of shape ${formatShape(weight.shape)}`);
  }
  // broadcasting one way only: the weight may not enlarge the loss beyond the input's shape
  const fits = weight.ndim <= shape.length && weight.shape.every((size, d) => size === 1 || size === shape[shape.length - weight.ndim + d]);
  if (!fits) {
    throw new NablaError(op, `${name} of shape ${formatShape(weight.shape)} does not broadcast to the input shape ${formatShape(shape)}`);
  }
  return weight.dtype === dtype ? weight : to(weight, dtype);
}

/** The reduction of options that only hold one. */
function reductionOf(op: string, options: LossOptions | undefined): Reduction {
  const { reduction = "mean" } = checkOptions(op, options);
  checkReduction(op, reduction);
  return reduction;
}

/**
 * Mean squared error, as PyTorch's `F.mse_loss`: (input − target)² per element, reduced by
 * `reduction` ("mean" by default). Input and target are float tensors of one shape.
 *
 * @example
 * ```ts
 * const input = tensor([1, 2, 3]);
 * const target = tensor([1.5, 2, 1]);
 * mseLoss(input, target);                         // → 1.4167
 * mseLoss(input, target, { reduction: "none" });  // → [0.25, 0, 4]
 * mseLoss(input, tensor([1, 2]));                 // throws mseLoss: input of shape [3] and target of shape [2] differ (expected the same shape: losses do not broadcast)
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const [x, y] = checkPair("mseLoss", input, target);
  return applyReduction(square(sub(x, y)), reductionOf("mseLoss", options));
}

/**
 * Mean absolute error, as PyTorch's `F.l1_loss`: |input − target| per element, reduced by
 * `reduction` ("mean" by default). At input = target the gradient is 0 (abs'(0) = 0, as PyTorch).
 *
 * @example
 * ```ts
 * const input = tensor([1, 2, 3]);
 * const target = tensor([1.5, 2, 1]);
 * l1Loss(input, target);                        // → 0.8333
 * l1Loss(input, target, { reduction: "sum" });  // → 2.5
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const [x, y] = checkPair("l1Loss", input, target);
  return applyReduction(abs(sub(x, y)), reductionOf("l1Loss", options));
}

/**
 * d² for the quadratic branch of smoothL1Loss and huberLoss, which `where` keeps only where
 * |d| < bound: d is clamped to the bound first, so where the other branch is taken an infinite d
 * does not make the zero gradient `where` passes into 0·∞ = NaN (PyTorch's gradient is ±1 or ±δ).
 */
const squareWithin = (diff: Tensor, bound: number): Tensor => square(clamp(diff, -bound, bound));

/**
 * Smooth L1 loss, as PyTorch's `F.smooth_l1_loss`: with d = |input − target|, 0.5·d²/β where
 * d < β and d − 0.5·β elsewhere; β = 0 gives the L1 loss. A negative β throws, as PyTorch.
 *
 * @example
 * ```ts
 * const input = tensor([0, 0, 0]);
 * const target = tensor([0.5, -1, 3]);
 * smoothL1Loss(input, target, { reduction: "none" });            // → [0.125, 0.5, 2.5]
 * smoothL1Loss(input, target, { beta: 2, reduction: "none" });   // → [0.0625, 0.25, 2]
 * smoothL1Loss(input, target, { beta: -1 });                     // throws smoothL1Loss: beta must be a number ≥ 0, got -1
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const op = "smoothL1Loss";
  const [x, y] = checkPair(op, input, target);
  const { beta = 1 } = checkOptions(op, options);
  if (typeof beta !== "number" || !(beta >= 0)) throw new NablaError(op, `beta must be a number ≥ 0, got ${describeValue(beta)}`);
  const reduction = reductionOf(op, options);
  const diff = sub(x, y);
  const distance = abs(diff);
  if (beta === 0) return applyReduction(distance, reduction);
  return applyReduction(where(lt(distance, beta), mul(squareWithin(diff, beta), 0.5 / beta), sub(distance, 0.5 * beta)), reduction);
}

/**
 * Huber loss, as PyTorch's `F.huber_loss`: with d = |input − target|, 0.5·d² where d < δ and
 * δ·(d − 0.5·δ) elsewhere (smoothL1Loss with β = δ, times δ). δ must be greater than 0.
 *
 * @example
 * ```ts
 * const input = tensor([0, 0, 0]);
 * const target = tensor([0.5, -1, 3]);
 * huberLoss(input, target, { reduction: "none" });             // → [0.125, 0.5, 2.5]
 * huberLoss(input, target, { delta: 2, reduction: "none" });   // → [0.125, 0.5, 4]
 * huberLoss(input, target, { delta: 0 });                      // throws huberLoss: delta must be a number > 0, got 0
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const op = "huberLoss";
  const [x, y] = checkPair(op, input, target);
  const { delta = 1 } = checkOptions(op, options);
  if (typeof delta !== "number" || !(delta > 0)) throw new NablaError(op, `delta must be a number > 0, got ${describeValue(delta)}`);
  const reduction = reductionOf(op, options);
  const diff = sub(x, y);
  const distance = abs(diff);
  return applyReduction(where(lt(distance, delta), mul(squareWithin(diff, delta), 0.5), mul(sub(distance, 0.5 * delta), delta)), reduction);
}

/**
 * The unweighted, unreduced binary cross-entropy of probabilities x and targets t, PyTorch's
 * kernel: (t − 1)·max(log(1 − x), −100) − t·max(log x, −100). It is an op of its own because the
 * clamped logs have no useful derivative where the clamp bites: composed, x = 0 or 1 would give
 * 0·∞ = NaN. Backward is PyTorch's formula instead, finite there, written in tensor ops so it is
 * itself differentiable.
 */
// PyTorch's bound on x(1 − x) in the gradient, a float constant even for float64 inputs
const EPSILON = Math.fround(1e-12);

const binaryCrossEntropyTerms = defineOp({
  name: "binaryCrossEntropy",
  formula: {
    forward: "ℓ = (t − 1)·max(log(1 − x), −100) − t·max(log x, −100)",
    backward: "x̄ = ḡ·(x − t) / max(x(1 − x), 1e-12),  t̄ = ḡ·(log(1 − x) − log x)",
  },
  forward(ctx, x: Tensor, t: Tensor): Tensor {
    ctx.save(x, t);
    const logX = clamp(log(x), -100);
    const log1mX = clamp(log(sub(1, x)), -100);
    return sub(mul(sub(t, 1), log1mX), mul(t, logX));
  },
  backward(ctx, gradOut) {
    const [x, t] = ctx.saved as [Tensor, Tensor];
    const oneMinusX = sub(1, x);
    // PyTorch's EPSILON keeps the gradient finite at x = 0 and x = 1
    const gradX = ctx.needsInputGrad[0] ? div(mul(gradOut, sub(x, t)), clamp(mul(x, oneMinusX), EPSILON)) : null;
    const gradT = ctx.needsInputGrad[1] ? mul(gradOut, sub(log(oneMinusX), log(x))) : null;
    return [gradX, gradT];
  },
});

/** Throws unless every input value is a probability in [0, 1] (NaN is not), as PyTorch. */
function checkProbabilities(op: string, input: Tensor): void {
  const values = input.data();
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!(value >= 0 && value <= 1)) {
      throw new NablaError(
        op,
        `input values must be probabilities in [0, 1], got ${value} at flat index ${i} of input ${formatShape(input.shape)}`,
      );
    }
  }
}

/**
 * Binary cross-entropy between probabilities and targets, as PyTorch's `F.binary_cross_entropy`:
 * −w·(t·log x + (1 − t)·log(1 − x)) per element, each log clamped at −100 so x = 0 or 1 gives a
 * finite loss (and PyTorch's finite gradient). `input` holds probabilities in [0, 1] (anything else
 * throws, as PyTorch); `target` is float, of the input's shape; `weight` broadcasts to it. For
 * logits, `binaryCrossEntropyWithLogits` is the stable choice.
 *
 * @example
 * ```ts
 * const p = tensor([0.9, 0.2, 0.6]);
 * const t = tensor([1, 0, 1]);
 * binaryCrossEntropy(p, t);                                  // → 0.2798
 * binaryCrossEntropy(p, t, { weight: tensor([1, 2, 0]) });   // → 0.1839
 * binaryCrossEntropy(tensor([0, 1]), tensor([1, 0]), { reduction: "none" }); // → [100, 100]
 * ```
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BinaryCrossEntropyOptions = {}): Tensor {
  const op = "binaryCrossEntropy";
  const [x, t] = checkPair(op, input, target);
  const weight = checkWeight(op, "weight", checkOptions(op, options).weight, x.shape, x.dtype);
  const reduction = reductionOf(op, options);
  checkProbabilities(op, x);
  const losses = binaryCrossEntropyTerms(x, t);
  return applyReduction(weight === null ? losses : mul(losses, weight), reduction);
}

/**
 * Binary cross-entropy of logits, as PyTorch's `F.binary_cross_entropy_with_logits`: the loss of
 * binaryCrossEntropy(sigmoid(x), t), −w·(p·t·log σ(x) + (1 − t)·log(1 − σ(x))) with p = posWeight,
 * computed as (1 − t)·x + (1 + (p − 1)·t)·log(1 + e^(−x)) with log(1 + e^(−x)) in log-sum-exp form
 * (m + log(e^(−m) + e^(−x−m)), m = max(−x, 0)), so no logit overflows: ±1000 gives exact values and
 * gradients. `weight` and `posWeight` broadcast to the input's shape.
 *
 * @example
 * ```ts
 * const logits = tensor([2, -1, 1000, -1000]);
 * const t = tensor([1, 0, 1, 0]);
 * binaryCrossEntropyWithLogits(logits, t, { reduction: "none" }); // → [0.126928, 0.313262, 0, 0]
 * binaryCrossEntropyWithLogits(tensor([0]), tensor([1]), { posWeight: tensor([3]) }); // → 2.0794
 * ```
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BinaryCrossEntropyWithLogitsOptions = {}): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  const [x, t] = checkPair(op, input, target);
  const checked = checkOptions(op, options);
  const weight = checkWeight(op, "weight", checked.weight, x.shape, x.dtype);
  const posWeight = checkWeight(op, "posWeight", checked.posWeight, x.shape, x.dtype);
  const reduction = reductionOf(op, options);
  // softplus(−x) = log(1 + e^(−x)) = m + log(e^(−m) + e^(−x−m)) for any m; m = max(−x, 0) keeps both
  // exponents ≤ 0. The value does not depend on m, so m is a constant (detached): the gradient is
  // −σ(−x) exactly, even at x = 0 where max has a kink.
  const m = relu(neg(x)).detach();
  const softplusNeg = add(log(add(exp(neg(m)), exp(sub(neg(x), m)))), m);
  const logWeight = posWeight === null ? null : add(mul(sub(posWeight, 1), t), 1);
  let losses = add(mul(sub(1, t), x), logWeight === null ? softplusNeg : mul(logWeight, softplusNeg));
  if (weight !== null) losses = mul(losses, weight);
  return applyReduction(losses, reduction);
}

/**
 * Kullback–Leibler divergence, as PyTorch's `F.kl_div`: `input` holds log-probabilities log q and
 * `target` probabilities p (or log p with `logTarget`); per element p·(log p − log q), where a zero
 * target contributes 0 (0·log 0 = 0). Reductions: "mean" (the default, over every element, as
 * PyTorch), "batchmean" (the sum divided by the size of dim 0: the true KL divergence per sample),
 * "sum" and "none".
 *
 * @example
 * ```ts
 * const logQ = tensor([[0.25, 0.75]]).log();
 * const p = tensor([[0.5, 0.5]]);
 * klDiv(logQ, p, { reduction: "batchmean" });                       // → 0.143841
 * klDiv(logQ, p.log(), { reduction: "batchmean", logTarget: true }); // → 0.143841
 * klDiv(logQ, tensor([[0, 1]]), { reduction: "sum" });              // → 0.287682
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = "klDiv";
  const [x, t] = checkPair(op, input, target);
  const { reduction = "mean", logTarget = false } = checkOptions(op, options);
  checkReduction(op, reduction, KL_REDUCTIONS);
  checkBoolean(op, "logTarget", logTarget);
  let losses: Tensor;
  if (logTarget) {
    losses = mul(exp(t), sub(t, x));
  } else {
    // xlogy(p, p) − p·log q, with xlogy(0, ·) = 0 as PyTorch (a negative target gives NaN)
    const zero = eq(t, 0);
    losses = sub(mul(t, where(zero, 0, log(t))), mul(t, x));
  }
  if (reduction !== "batchmean") return applyReduction(losses, reduction);
  // a 0-d input has no batch dim: its sum, as PyTorch
  return applyReduction(losses, "mean", x.shape[0] ?? 1);
}

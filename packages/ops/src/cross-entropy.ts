import {
  add,
  arange,
  defineOp,
  div,
  eq,
  flatten,
  formatShape,
  gather,
  indexSelect,
  isGradEnabled,
  isTensor,
  mul,
  NablaError,
  ne,
  neg,
  type OpContext,
  reshape,
  squeeze,
  sub,
  sum,
  tensor,
  Tensor,
  to,
  unsqueeze,
  where,
} from "@nabla/tensor/functional";
import { checkFloatTensor, formatPosition } from "./args";
import { logSoftmax, softmax } from "./softmax";

/**
 * How a loss reduces its per-sample values, as PyTorch's `reduction`: `"none"` keeps one loss per
 * sample (and per d1, …, dk position), `"sum"` adds them, `"mean"` divides the sum by the summed
 * weights of the targets not ignored (class indices) or by the number of samples (probabilities).
 */
export type Reduction = "none" | "mean" | "sum";

/** The options of `nllLoss`, as PyTorch's `F.nll_loss` keywords (camelCase). */
export interface NllLossOptions {
  /** One weight per class (C values), as a Tensor or a number[]; unweighted when absent. */
  weight?: Tensor | readonly number[];
  /** Class-index targets equal to this value contribute nothing (default -100). */
  ignoreIndex?: number;
  /** "mean" (default), "sum", or "none" for one loss per sample (and per d1, …, dk position). */
  reduction?: Reduction;
}

/** The options of `crossEntropy`: those of `nllLoss` and `labelSmoothing`, as PyTorch's `F.cross_entropy`. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** ε in [0, 1] (default 0): mixes the target with the uniform distribution, PyTorch's definition. */
  labelSmoothing?: number;
}

const REDUCTIONS: readonly string[] = ["none", "mean", "sum"];

interface CheckedOptions {
  weight: Tensor | null;
  ignoreIndex: number;
  reduction: Reduction;
  labelSmoothing: number;
}

/** Checks the input is a float tensor with a class dim: (C), (N, C) or (N, C, d1, …, dk). */
function checkInput(op: string, input: unknown): asserts input is Tensor {
  if (!isTensor(input, op)) throw new NablaError(op, `expected the input to be a Tensor, got ${typeof input}`);
  checkFloatTensor(op, "input", input);
  if (input.ndim === 0) {
    throw new NablaError(op, `expected an input of shape (C), (N, C) or (N, C, d1, …), got a 0-d tensor (shape [])`);
  }
}

function checkOptions(op: string, input: Tensor, options: CrossEntropyOptions): CheckedOptions {
  if (typeof options !== "object" || options === null) {
    throw new NablaError(op, `expected an options object, got ${String(options)}`);
  }
  const { ignoreIndex = -100, reduction = "mean", labelSmoothing = 0 } = options;
  if (!REDUCTIONS.includes(reduction)) {
    throw new NablaError(op, `reduction must be "none", "mean" or "sum", got ${JSON.stringify(reduction)}`);
  }
  if (typeof ignoreIndex !== "number" || !Number.isInteger(ignoreIndex)) {
    throw new NablaError(op, `ignoreIndex must be an integer, got ${String(ignoreIndex)}`);
  }
  if (typeof labelSmoothing !== "number" || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new NablaError(op, `labelSmoothing must be between 0 and 1, got ${String(labelSmoothing)}`);
  }
  return { weight: classWeights(op, input, options.weight), ignoreIndex, reduction, labelSmoothing };
}

/** The class weights as a 1-D tensor of the input's dtype, or null when unweighted. */
function classWeights(op: string, input: Tensor, weight: Tensor | readonly number[] | undefined): Tensor | null {
  if (weight === undefined || weight === null) return null;
  const classes = input.shape[input.ndim === 1 ? 0 : 1]!;
  if (Array.isArray(weight)) {
    if (weight.length !== classes || weight.some((w) => typeof w !== "number")) {
      throw new NablaError(
        op,
        `weight must hold one number per class: got ${weight.length} values for input ${formatShape(input.shape)} with ${classes} classes`,
      );
    }
    return tensor(weight as number[], { dtype: input.dtype });
  }
  if (!isTensor(weight, op)) throw new NablaError(op, `weight must be a Tensor or a number[], got ${typeof weight}`);
  if (weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new NablaError(
      op,
      `weight of shape ${formatShape(weight.shape)} does not fit input ${formatShape(input.shape)}: expected shape [${classes}] (one per class)`,
    );
  }
  if (weight.dtype !== "float32" && weight.dtype !== "float64") {
    throw new NablaError(op, `weight must be float32 or float64, got ${weight.dtype} of shape ${formatShape(weight.shape)}`);
  }
  return weight.dtype === input.dtype ? weight : to(weight, input.dtype);
}

/**
 * Checks class-index targets: int32, shaped like the input without its class dim, every value a
 * class in [0, C) or ignoreIndex. Returns how many targets are not ignored.
 */
function checkClassTargets(op: string, input: Tensor, target: Tensor, ignoreIndex: number): number {
  const classDim = input.ndim === 1 ? 0 : 1;
  const classes = input.shape[classDim]!;
  const expected = input.shape.filter((_, d) => d !== classDim);
  // only crossEntropy also takes probabilities, so only its messages mention them
  const probabilities = op === "crossEntropy";
  if (target.dtype !== "int32") {
    throw new NablaError(
      op,
      `class-index targets must be int32, got ${target.dtype} target of shape ${formatShape(target.shape)} for input ` +
        `${formatShape(input.shape)}` +
        (probabilities ? " (probability targets must have the input's shape)" : ""),
    );
  }
  if (target.ndim !== expected.length || expected.some((size, d) => size !== target.shape[d])) {
    throw new NablaError(
      op,
      `target of shape ${formatShape(target.shape)} does not match input ${formatShape(input.shape)}: expected class indices ` +
        `of shape ${formatShape(expected)} (the input without its class dim ${classDim})` +
        (probabilities ? ` or probabilities of shape ${formatShape(input.shape)}` : ""),
    );
  }
  const values = target.data();
  let counted = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (value === ignoreIndex) continue;
    if (value < 0 || value >= classes) {
      throw new NablaError(
        op,
        `target ${value} at position ${formatPosition(i, target.shape)} is out of range for ${classes} classes ` +
          `(expected 0 to ${classes - 1}, or ignoreIndex ${ignoreIndex}; target shape ${formatShape(target.shape)}, input ${formatShape(input.shape)})`,
      );
    }
    counted++;
  }
  return counted;
}

/** `weight` shaped to broadcast along the class dim of an input of rank `ndim`: [C] or [1, C, 1, …]. */
function weightAlongClassDim(weight: Tensor, ndim: number): Tensor {
  if (ndim === 1) return weight;
  return reshape(weight, [1, weight.shape[0]!, ...new Array<number>(ndim - 2).fill(1)]);
}

/** `reduction` applied to per-element losses: "mean" divides their sum by `denominator` (default their count). */
export function applyReduction(losses: Tensor, reduction: Reduction, denominator: Tensor | number = losses.numel): Tensor {
  if (reduction === "none") return losses;
  if (reduction === "sum") return sum(losses);
  return div(sum(losses), denominator);
}

/**
 * Loss for class-index targets from log-probabilities: −w[t]·logProbs[t] per target (0 where
 * ignored), plus PyTorch's label-smoothing term −Σ_c w[c]·logProbs[c] when ε > 0. "mean" divides
 * both terms by the summed weights of the targets that are not ignored (their count when
 * unweighted), so all-ignored gives 0/0 = NaN and "sum" gives 0. Built from differentiable ops:
 * the gradient reaching logProbs is −w[t]/denominator at each target class, exactly.
 */
function classIndexLoss(logProbs: Tensor, target: Tensor, counted: number, options: CheckedOptions): Tensor {
  const { weight, ignoreIndex, reduction, labelSmoothing } = options;
  const classDim = logProbs.ndim === 1 ? 0 : 1;
  const classes = logProbs.shape[classDim]!;
  if (classes === 0) {
    // no classes: every target is ignored (any other was rejected as out of range) and there is
    // nothing to gather; the empty sum is the zero loss of the target's shape, still on the graph.
    // Smoothing weighs it by ε/C = ∞, which makes it NaN, as in PyTorch.
    const loss = applyReduction(sum(logProbs, classDim), reduction, 0);
    return labelSmoothing === 0 ? loss : mul(loss, labelSmoothing / classes);
  }
  const ignored = eq(target, ignoreIndex);
  // ignored targets read class 0 instead (any valid index), and `where` then drops what they read:
  // masking with where rather than a 0 factor keeps a -Infinity there from turning into NaN
  const safeTarget = where(ignored, 0, target);
  const picked = where(ignored, 0, squeeze(gather(logProbs, classDim, unsqueeze(safeTarget, classDim)), classDim));
  let targetWeight: Tensor | null = null;
  if (weight !== null) {
    targetWeight = where(ignored, 0, reshape(indexSelect(weight, 0, flatten(safeTarget)), target.shape));
  }
  const nll = targetWeight === null ? neg(picked) : neg(mul(picked, targetWeight));
  const denominator = targetWeight === null ? counted : sum(targetWeight);
  const nllReduced = applyReduction(nll, reduction, denominator);
  if (labelSmoothing === 0) return nllReduced;

  const weighted = weight === null ? logProbs : mul(logProbs, weightAlongClassDim(weight, logProbs.ndim));
  const smooth = where(ignored, 0, neg(sum(weighted, classDim)));
  const smoothReduced = applyReduction(smooth, reduction, denominator);
  // PyTorch: (1 − ε)·nll + (ε/C)·smooth, the smooth term reduced like nll
  return add(mul(nllReduced, 1 - labelSmoothing), mul(smoothReduced, labelSmoothing / classes));
}

/**
 * Loss for probability targets: −Σ_c w[c]·t[c]·logProbs[c] per sample, with targets smoothed to
 * t(1 − ε) + ε/C. "mean" divides by the number of samples (N·d1·…·dk), weighted or not. The
 * gradient with respect to the targets is −w·logProbs (times 1 − ε), as PyTorch.
 */
function probabilityLoss(logProbs: Tensor, target: Tensor, options: CheckedOptions): Tensor {
  const { weight, reduction, labelSmoothing } = options;
  const classDim = logProbs.ndim === 1 ? 0 : 1;
  const classes = logProbs.shape[classDim]!;
  const smoothed = labelSmoothing === 0 ? target : add(mul(target, 1 - labelSmoothing), labelSmoothing / classes);
  let terms = mul(logProbs, smoothed);
  if (weight !== null) terms = mul(terms, weightAlongClassDim(weight, logProbs.ndim));
  const losses = neg(sum(terms, classDim));
  // numel / C samples; an empty input gives 0/0 = NaN, as PyTorch
  return applyReduction(losses, reduction, logProbs.numel / classes);
}

/** What crossEntropyClassIndices keeps for backward besides the logits and targets (see its forward). */
interface CrossEntropyFields {
  ignoreIndex: number;
  denominator: number;
  /** softmax(logits) (N, C), written by the forward pass: freed with the graph after backward. */
  probabilities: Tensor;
}

/**
 * Cross-entropy of (N, C) logits and int32 class indices (N), reduced by `denominator` (the count
 * of targets not ignored for "mean", 1 for "sum"), in one pass per row through the backend's
 * crossEntropy primitive: the stable log-sum-exp minus the target's logit. It is what the
 * composite logSoftmax → gather → where → sum → div computes for unweighted, unsmoothed losses,
 * without its full-size intermediates. The targets are already checked to be classes or
 * `ignoreIndex`; they carry no gradient.
 */
const crossEntropyClassIndices = defineOp({
  // the name users call it by: graphs (toDot) and error messages show it
  name: "crossEntropy",
  formula: {
    forward: "ℓ = Σₙ (log Σ_c exp x[n, c] − x[n, tₙ]) / D",
    backward: "x̄ = ḡ ⊙ (softmax(x) − onehot(t)) / D,  0 on ignored rows",
  },
  forward(ctx: OpContext<CrossEntropyFields>, logits: Tensor, targets: Tensor, ignoreIndex: number, denominator: number): Tensor {
    const { backend } = logits.storage;
    const dtype = logits.dtype;
    // the probabilities are kept for a first-order backward, which is then one multiply per element
    const probabilities = Tensor.fromBuffer(backend, backend.allocate(dtype, logits.numel, "crossEntropy"), logits.shape, dtype);
    const loss = backend.run.crossEntropy(logits, targets, ignoreIndex, denominator, probabilities, dtype);
    ctx.save(logits, targets);
    ctx.ignoreIndex = ignoreIndex;
    ctx.denominator = denominator;
    ctx.probabilities = probabilities;
    return Tensor.fromBuffer(backend, loss, [], dtype);
  },
  backward(ctx, gradOut) {
    const [logits, targets] = ctx.saved;
    const { ignoreIndex, denominator, probabilities } = ctx;
    const [rows, classes] = logits!.shape as [number, number];
    if (isGradEnabled()) {
      // createGraph: the gradient must itself be differentiable in the logits, so it is written in
      // tensor ops around softmax(x) instead of the saved probabilities, which are constants
      const column = unsqueeze(targets!, 1);
      const onehot = to(eq(column, arange(0, classes, 1, { dtype: "int32" })), logits!.dtype);
      const grad = where(ne(column, ignoreIndex), sub(softmax(logits!, 1), onehot), 0);
      return [mul(grad, div(gradOut, denominator)), null];
    }
    // first order: (softmax − onehot) · ḡ / D from the saved probabilities, in one pass
    const scale = (gradOut.item() as number) / denominator;
    const { backend } = probabilities.storage;
    const grad = backend.run.crossEntropyBackward(probabilities, targets!, ignoreIndex, scale, probabilities.dtype);
    return [Tensor.fromBuffer(backend, grad, [rows, classes], probabilities.dtype), null];
  },
});

/**
 * Negative log-likelihood of class-index targets under log-probabilities, as PyTorch's
 * `F.nll_loss`: −w[t]·logProbs[t] per target. `logProbs` is a float32 or float64 (C), (N, C) or
 * (N, C, d1, …, dk) tensor, usually `logSoftmax(logits, 1)`; `target` holds int32 class indices of
 * shape (), (N) or (N, d1, …, dk). Options: `weight` (one per class), `ignoreIndex` (default -100),
 * `reduction` (default "mean"). With "mean" the sum is divided by the summed weights of the
 * targets that are not ignored; if every target is ignored that is NaN ("sum" gives 0). Returns a
 * 0-d tensor, or the target's shape with "none". Throws a NablaError for float targets, a target
 * shape that does not fit, or a class index outside [0, C) that is not `ignoreIndex`.
 *
 * @example
 * ```ts
 * const logProbs = logSoftmax(tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]]), 1);
 * const target = tensor([0, 2], { dtype: "int32" });
 * nllLoss(logProbs, target);                                  // → 0.1755
 * nllLoss(logProbs, target, { reduction: "none" });           // → [0.2413, 0.1096]
 * nllLoss(logProbs, tensor([0, -100], { dtype: "int32" }));   // → 0.2413
 * nllLoss(logProbs, tensor([0, 2]));                          // throws nllLoss: class-index targets must be int32, got float32 target of shape [2] for input [2, 3]
 * ```
 */
export function nllLoss(logProbs: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  checkInput("nllLoss", logProbs);
  if (!isTensor(target, "nllLoss")) throw new NablaError("nllLoss", `expected the target to be a Tensor, got ${typeof target}`);
  // nll has no label smoothing: whatever an untyped caller passes, the term stays off
  const checked = checkOptions("nllLoss", logProbs, { ...options, labelSmoothing: 0 });
  const counted = checkClassTargets("nllLoss", logProbs, target, checked.ignoreIndex);
  return classIndexLoss(logProbs, target, counted, checked);
}

/**
 * Cross-entropy between logits and targets, as PyTorch's `F.cross_entropy`, computed through
 * logSoftmax (never log(softmax), which underflows). `input` is a float32 or float64 tensor of
 * unnormalised scores, (C), (N, C) or (N, C, d1, …, dk), with classes on dim 1 (dim 0 for 1-D
 * input). `target` is either int32 class indices of shape (), (N) or (N, d1, …, dk), or float
 * probabilities of the input's shape and dtype. Returns a 0-d tensor, or one loss per sample (and
 * position) with reduction "none". Options default to no weight, ignoreIndex -100, "mean" and no
 * label smoothing. The gradient reaching the logits is (softmax − onehot)·w / denominator.
 *
 * - "mean" divides by the summed weights of the targets that are not ignored for class indices,
 *   and by the number of samples for probabilities; all targets ignored gives NaN ("sum" gives 0).
 * - labelSmoothing ε: (1 − ε)·nll + (ε/C)·Σ_c −w[c]·logProbs[c] for class indices; targets
 *   t(1 − ε) + ε/C for probabilities.
 * - ignoreIndex applies to class indices only; PyTorch rejects a non-negative one with
 *   probability targets, and so does this.
 * - NablaError for: a class index outside [0, C) that is not ignoreIndex (naming its position),
 *   a target shape that fits neither kind, float class indices, int or mismatched-dtype
 *   probabilities, a weight that is not one value per class, an unknown reduction, labelSmoothing
 *   outside [0, 1], a 0-d or integer input.
 *
 * @example
 * ```ts
 * const logits = tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], { requiresGrad: true });
 * const target = tensor([0, 2], { dtype: "int32" });
 * const loss = crossEntropy(logits, target);               // → 0.1755
 * loss.backward();
 * logits.grad;   // → [[-0.1072, 0.0876, 0.0196], [0.0247, 0.0272, -0.0519]]
 * crossEntropy(logits, target, { reduction: "none" });     // → [0.2413, 0.1096]
 * crossEntropy(logits, target, { labelSmoothing: 0.1 });   // → 0.3455
 * crossEntropy(logits, target, { weight: [1, 1, 2] });     // → 0.1535
 * crossEntropy(logits, tensor([[1, 0, 0], [0, 0.5, 0.5]])); // → 0.8755
 * crossEntropy(logits, tensor([0, 3], { dtype: "int32" })); // throws crossEntropy: target 3 at position [1] is out of range for 3 classes…
 * ```
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  checkInput("crossEntropy", input);
  if (!isTensor(target, "crossEntropy")) throw new NablaError("crossEntropy", `expected the target to be a Tensor, got ${typeof target}`);
  const checked = checkOptions("crossEntropy", input, options);
  const classDim = input.ndim === 1 ? 0 : 1;
  const sameShape = target.ndim === input.ndim && target.shape.every((size, d) => size === input.shape[d]);
  if (sameShape) {
    if (target.dtype !== "float32" && target.dtype !== "float64") {
      throw new NablaError(
        "crossEntropy",
        `a target of the input's shape ${formatShape(input.shape)} holds class probabilities and must be float, got ${target.dtype}`,
      );
    }
    if (target.dtype !== input.dtype) {
      throw new NablaError(
        "crossEntropy",
        `probability target dtype ${target.dtype} must match the input dtype ${input.dtype} (shape ${formatShape(input.shape)})`,
      );
    }
    if (checked.ignoreIndex >= 0) {
      throw new NablaError(
        "crossEntropy",
        `ignoreIndex (${checked.ignoreIndex}) is not supported with probability targets (target shape ${formatShape(target.shape)})`,
      );
    }
    return probabilityLoss(logSoftmax(input, classDim), target, checked);
  }
  const counted = checkClassTargets("crossEntropy", input, target, checked.ignoreIndex);
  const { weight, labelSmoothing, reduction, ignoreIndex } = checked;
  // the common case takes the fused op; weights, smoothing, "none", other ranks and all-ignored
  // targets (0/0) take the composite
  if (input.ndim === 2 && input.shape[1]! > 0 && weight === null && labelSmoothing === 0 && reduction !== "none" && counted > 0) {
    const denominator = reduction === "mean" ? counted : 1;
    return crossEntropyClassIndices(input, target, ignoreIndex, denominator);
  }
  return classIndexLoss(logSoftmax(input, classDim), target, counted, checked);
}

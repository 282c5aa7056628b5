import {
  binaryCrossEntropy,
  type BinaryCrossEntropyOptions,
  binaryCrossEntropyWithLogits,
  type BinaryCrossEntropyWithLogitsOptions,
  crossEntropy,
  type CrossEntropyOptions,
  huberLoss,
  type HuberLossOptions,
  klDiv,
  type KlDivOptions,
  type KlDivReduction,
  l1Loss,
  type LossOptions,
  mseLoss,
  nllLoss,
  type NllLossOptions,
  type Reduction,
  smoothL1Loss,
  type SmoothL1LossOptions,
} from "@nabla/ops/functional";
import { NablaError, type Tensor, isTensor, tensor } from "@nabla/tensor/functional";
import { checkOptions, describeValue } from "@nabla/tensor/internal";
import { Module } from "../module";

// The loss modules of torch.nn: each keeps its options and calls the @nabla/ops function of the
// same name. As in PyTorch, options are checked when the loss is computed, the class weights are
// buffers (so they are in stateDict under PyTorch's names), and a loss prints as `MSELoss()`.

/** A weight option as a tensor, or null: a number[] (accepted by crossEntropy and nllLoss) becomes a float32 tensor. */
function weightTensor(op: string, name: string, weight: unknown, numbers: boolean): Tensor | null {
  if (weight === undefined || weight === null) return null;
  if (isTensor(weight, op)) return weight;
  if (numbers && Array.isArray(weight) && weight.every((w) => typeof w === "number")) return tensor(weight as number[]);
  throw new NablaError(op, `${name} must be a Tensor${numbers ? " or a number[]" : ""}, got ${describeValue(weight)}`);
}

/**
 * Cross-entropy between logits and class indices or probabilities, as PyTorch's
 * `nn.CrossEntropyLoss`: `forward(input, target)` is `crossEntropy(input, target, options)`. The
 * class weights are the buffer `weight` (a number[] is stored as a float32 tensor).
 *
 * @example
 * ```ts
 * const loss = new CrossEntropyLoss({ weight: [1, 1, 2], labelSmoothing: 0.1 });
 * loss.forward(tensor([[2.0, 0.5, -1.0]]), tensor([2], { dtype: "int32" })); // → 3.0583
 * Object.keys(loss.stateDict()); // → ["weight"]
 * String(loss);                  // → "CrossEntropyLoss()"
 * ```
 */
export class CrossEntropyLoss extends Module {
  /** One weight per class, or null; a buffer. */
  declare weight: Tensor | null;
  /** Class-index targets equal to this contribute nothing (default -100). */
  readonly ignoreIndex: number;
  /** "mean" (default), "sum" or "none". */
  readonly reduction: Reduction;
  /** ε in [0, 1] (default 0): mixes the target with the uniform distribution. */
  readonly labelSmoothing: number;

  constructor(options: CrossEntropyOptions = {}) {
    super();
    // defaults only for absent options: any other value is checked by crossEntropy, when called
    const { weight, ignoreIndex = -100, reduction = "mean", labelSmoothing = 0 } = checkOptions("CrossEntropyLoss", options);
    this.registerBuffer("weight", weightTensor("CrossEntropyLoss", "weight", weight, true));
    this.ignoreIndex = ignoreIndex;
    this.reduction = reduction;
    this.labelSmoothing = labelSmoothing;
  }

  /** `crossEntropy(input, target, …)` with this module's options and weight. */
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, ignoreIndex, reduction, labelSmoothing } = this;
    return crossEntropy(input, target, { weight: weight ?? undefined, ignoreIndex, reduction, labelSmoothing });
  }
}

/**
 * Negative log-likelihood of class indices under log-probabilities, as PyTorch's `nn.NLLLoss`:
 * `forward(input, target)` is `nllLoss(input, target, options)`; the class weights are the buffer
 * `weight`.
 *
 * @example
 * ```ts
 * const loss = new NLLLoss({ reduction: "sum" });
 * loss.forward(tensor([[-1, -2], [-0.5, -3]]), tensor([1, 0], { dtype: "int32" })); // → 2.5
 * Object.keys(loss.stateDict()); // → []
 * ```
 */
export class NLLLoss extends Module {
  /** One weight per class, or null; a buffer. */
  declare weight: Tensor | null;
  /** Targets equal to this contribute nothing (default -100). */
  readonly ignoreIndex: number;
  /** "mean" (default), "sum" or "none". */
  readonly reduction: Reduction;

  constructor(options: NllLossOptions = {}) {
    super();
    const { weight, ignoreIndex = -100, reduction = "mean" } = checkOptions("NLLLoss", options);
    this.registerBuffer("weight", weightTensor("NLLLoss", "weight", weight, true));
    this.ignoreIndex = ignoreIndex;
    this.reduction = reduction;
  }

  /** `nllLoss(input, target, …)` with this module's options and weight. */
  forward(input: Tensor, target: Tensor): Tensor {
    const { weight, ignoreIndex, reduction } = this;
    return nllLoss(input, target, { weight: weight ?? undefined, ignoreIndex, reduction });
  }
}

/** A loss whose only option is the reduction. */
abstract class ReducingLoss extends Module {
  /** "mean" (default), "sum" or "none". */
  readonly reduction: Reduction;

  constructor(op: string, options: LossOptions | undefined) {
    super();
    const { reduction = "mean" } = checkOptions(op, options);
    this.reduction = reduction;
  }
}

/**
 * Mean squared error, as PyTorch's `nn.MSELoss`: `forward(input, target)` is `mseLoss`.
 *
 * @example
 * ```ts
 * new MSELoss().forward(tensor([1, 2]), tensor([2, 4]));                        // → 2.5
 * new MSELoss({ reduction: "none" }).forward(tensor([1, 2]), tensor([2, 4]));   // → [1, 4]
 * ```
 */
export class MSELoss extends ReducingLoss {
  constructor(options: LossOptions = {}) {
    super("MSELoss", options);
  }

  /** `mseLoss(input, target, { reduction })`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/**
 * Mean absolute error, as PyTorch's `nn.L1Loss`: `forward(input, target)` is `l1Loss`.
 *
 * @example
 * ```ts
 * new L1Loss().forward(tensor([1, 2]), tensor([2, 4])); // → 1.5
 * ```
 */
export class L1Loss extends ReducingLoss {
  constructor(options: LossOptions = {}) {
    super("L1Loss", options);
  }

  /** `l1Loss(input, target, { reduction })`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * Smooth L1 loss, as PyTorch's `nn.SmoothL1Loss`: `forward(input, target)` is `smoothL1Loss`.
 *
 * @example
 * ```ts
 * new SmoothL1Loss({ beta: 2 }).forward(tensor([0, 0]), tensor([0.5, 3])); // → 1.03125
 * ```
 */
export class SmoothL1Loss extends ReducingLoss {
  /** Where the loss turns from quadratic to linear (default 1). */
  readonly beta: number;

  constructor(options: SmoothL1LossOptions = {}) {
    super("SmoothL1Loss", options);
    const { beta = 1 } = options;
    this.beta = beta;
  }

  /** `smoothL1Loss(input, target, { reduction, beta })`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/**
 * Huber loss, as PyTorch's `nn.HuberLoss`: `forward(input, target)` is `huberLoss`.
 *
 * @example
 * ```ts
 * new HuberLoss({ delta: 2 }).forward(tensor([0, 0]), tensor([0.5, 3])); // → 2.0625
 * ```
 */
export class HuberLoss extends ReducingLoss {
  /** Where the loss turns from quadratic to linear (default 1). */
  readonly delta: number;

  constructor(options: HuberLossOptions = {}) {
    super("HuberLoss", options);
    const { delta = 1 } = options;
    this.delta = delta;
  }

  /** `huberLoss(input, target, { reduction, delta })`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/**
 * Binary cross-entropy of probabilities, as PyTorch's `nn.BCELoss`: `forward(input, target)` is
 * `binaryCrossEntropy`; the element weights are the buffer `weight`.
 *
 * @example
 * ```ts
 * const loss = new BCELoss({ weight: tensor([1, 2]) });
 * loss.forward(tensor([0.5, 0.9]), tensor([1, 1])); // → 0.4519
 * Object.keys(loss.stateDict()); // → ["weight"]
 * ```
 */
export class BCELoss extends Module {
  /** Weights broadcast to the input's shape, or null; a buffer. */
  declare weight: Tensor | null;
  /** "mean" (default), "sum" or "none". */
  readonly reduction: Reduction;

  constructor(options: BinaryCrossEntropyOptions = {}) {
    super();
    const { weight, reduction = "mean" } = checkOptions("BCELoss", options);
    this.registerBuffer("weight", weightTensor("BCELoss", "weight", weight, false));
    this.reduction = reduction;
  }

  /** `binaryCrossEntropy(input, target, { weight, reduction })`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight ?? undefined, reduction: this.reduction });
  }
}

/**
 * Binary cross-entropy of logits, as PyTorch's `nn.BCEWithLogitsLoss`: `forward(input, target)` is
 * `binaryCrossEntropyWithLogits`. `weight` and `posWeight` are the buffers `weight` and
 * `pos_weight`, PyTorch's names, so a PyTorch state dict loads as it is.
 *
 * @example
 * ```ts
 * const loss = new BCEWithLogitsLoss({ posWeight: tensor([3]) });
 * loss.forward(tensor([0, 0]), tensor([1, 0])); // → 1.3863
 * Object.keys(loss.stateDict()); // → ["pos_weight"]
 * ```
 */
export class BCEWithLogitsLoss extends Module {
  /** Weights broadcast to the input's shape, or null; a buffer. */
  declare weight: Tensor | null;
  /** Weights of the positive term (the `posWeight` option), or null; a buffer under PyTorch's name. */
  declare pos_weight: Tensor | null;
  /** "mean" (default), "sum" or "none". */
  readonly reduction: Reduction;

  constructor(options: BinaryCrossEntropyWithLogitsOptions = {}) {
    super();
    const op = "BCEWithLogitsLoss";
    const { weight, posWeight, reduction = "mean" } = checkOptions(op, options);
    this.registerBuffer("weight", weightTensor(op, "weight", weight, false));
    this.registerBuffer("pos_weight", weightTensor(op, "posWeight", posWeight, false));
    this.reduction = reduction;
  }

  /** `binaryCrossEntropyWithLogits(input, target, { weight, posWeight, reduction })`. */
  forward(input: Tensor, target: Tensor): Tensor {
    const options = { weight: this.weight ?? undefined, posWeight: this.pos_weight ?? undefined, reduction: this.reduction };
    return binaryCrossEntropyWithLogits(input, target, options);
  }
}

/**
 * Kullback–Leibler divergence, as PyTorch's `nn.KLDivLoss`: `forward(input, target)` is
 * `klDiv(input, target, options)`, input log-probabilities.
 *
 * @example
 * ```ts
 * const loss = new KLDivLoss({ reduction: "batchmean" });
 * loss.forward(tensor([[0.25, 0.75]]).log(), tensor([[0.5, 0.5]])); // → 0.143841
 * ```
 */
export class KLDivLoss extends Module {
  /** "mean" (default), "batchmean", "sum" or "none". */
  readonly reduction: KlDivReduction;
  /** The target holds log-probabilities (default false). */
  readonly logTarget: boolean;

  constructor(options: KlDivOptions = {}) {
    super();
    const { reduction = "mean", logTarget = false } = checkOptions("KLDivLoss", options);
    this.reduction = reduction;
    this.logTarget = logTarget;
  }

  /** `klDiv(input, target, { reduction, logTarget })`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

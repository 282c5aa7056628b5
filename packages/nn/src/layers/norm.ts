import { add_, formatShape, NablaError, noGrad, ones, type Tensor, zeros } from "@nabla/tensor/functional";
import { batchNorm, groupNorm, layerNorm } from "@nabla/ops/functional";
import { checkBoolean, checkInteger, checkNumber, checkOptions, describeValue } from "@nabla/tensor/internal";
import { Module } from "../module";
import { pythonBool, pythonFloat } from "../repr";
import { type FloatDType, checkDType, checkModuleTensor } from "./checks";

/** Options of `BatchNorm1d` and `BatchNorm2d`, as PyTorch's keywords (camelCase). */
export interface BatchNormModuleOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** The weight of each batch in the running statistics (default 0.1); null: their cumulative average. */
  momentum?: number | null;
  /** Learn a per-channel `weight` and `bias` (default true). */
  affine?: boolean;
  /** Keep running statistics and use them in eval mode (default true); without, every batch uses its own. */
  trackRunningStats?: boolean;
  /** The parameters' and buffers' dtype (default float32); inputs must have the same dtype. */
  dtype?: FloatDType;
}

/** Options of `LayerNorm`, as PyTorch's keywords (camelCase). */
export interface LayerNormModuleOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a `weight` (and a `bias`) shaped `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** Learn the `bias` too, when `elementwiseAffine` (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: FloatDType;
}

/** Options of `GroupNorm`, as PyTorch's keywords. */
export interface GroupNormModuleOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-channel `weight` and `bias` (default true). */
  affine?: boolean;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: FloatDType;
}

// (a negative eps is refused by the functional op, when the module first runs)
function checkEps(op: string, eps: unknown): number {
  return checkNumber(op, "eps", eps, { finite: true });
}

/**
 * What BatchNorm1d and BatchNorm2d share, as PyTorch's `_BatchNorm`: the parameters `weight` (ones)
 * and `bias` (zeros), the buffers `running_mean` (zeros), `running_var` (ones) and
 * `num_batches_tracked` (an int32 0-d count), and the forward.
 */
abstract class BatchNorm extends Module {
  /** The number of channels C. */
  readonly numFeatures: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** The weight of each batch in the running statistics; null for their cumulative average. */
  readonly momentum: number | null;
  /** Whether `weight` and `bias` are learned. */
  readonly affine: boolean;
  /** Whether running statistics are kept (and used in eval mode). */
  readonly trackRunningStats: boolean;
  /** The per-channel scale `[C]`, or null without `affine`. */
  weight: Tensor | null;
  /** The per-channel shift `[C]`, or null without `affine`. */
  bias: Tensor | null;
  /** The running mean `[C]` (PyTorch's name, as in its state dicts), or null without running statistics. */
  running_mean: Tensor | null;
  /** The running unbiased variance `[C]`, or null without running statistics. */
  running_var: Tensor | null;
  /** How many training batches updated the running statistics (int32 0-d), or null. */
  num_batches_tracked: Tensor | null;
  private readonly dtype: FloatDType;

  constructor(numFeatures: number, options: BatchNormModuleOptions) {
    super();
    const op = this.constructor.name;
    this.numFeatures = checkInteger(op, "numFeatures", numFeatures, { min: 0 });
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true, dtype = "float32" } = checkOptions(op, options);
    this.eps = checkEps(op, eps);
    if (momentum !== null) checkNumber(op, "momentum", momentum, { finite: true });
    this.momentum = momentum;
    this.affine = checkBoolean(op, "affine", affine);
    this.trackRunningStats = checkBoolean(op, "trackRunningStats", trackRunningStats);
    this.dtype = checkDType(op, dtype);
    this.weight = this.registerParameter("weight", affine ? ones([numFeatures], { dtype }) : null);
    this.bias = this.registerParameter("bias", affine ? zeros([numFeatures], { dtype }) : null);
    this.running_mean = this.registerBuffer("running_mean", trackRunningStats ? zeros([numFeatures], { dtype }) : null);
    this.running_var = this.registerBuffer("running_var", trackRunningStats ? ones([numFeatures], { dtype }) : null);
    this.num_batches_tracked = this.registerBuffer("num_batches_tracked", trackRunningStats ? zeros([], { dtype: "int32" }) : null);
  }

  /** The input shapes this module accepts, as the error message spells them (`(N, C) or (N, C, L)`). */
  protected abstract readonly expectedShapes: string;
  /** Whether an input of this rank is accepted. */
  protected abstract acceptsRank(ndim: number): boolean;

  /**
   * `batchNorm` of the input: in training with the batch's statistics (updating the running ones
   * and `num_batches_tracked` when tracked), in eval mode with the running statistics (the batch's
   * when not tracked).
   */
  forward(input: Tensor): Tensor {
    const op = this.constructor.name;
    checkModuleTensor(op, "input", input, this.dtype);
    if (!this.acceptsRank(input.ndim) || input.shape[1] !== this.numFeatures) {
      throw new NablaError(
        op,
        `expected input of shape ${this.expectedShapes.replaceAll("C", String(this.numFeatures))}, got ${formatShape(input.shape)}`,
      );
    }
    const tracking = this.training && this.trackRunningStats && this.num_batches_tracked !== null;
    const batches = tracking ? (this.num_batches_tracked!.item() as number) + 1 : 0;
    // momentum null: the cumulative average, each of the n batches weighted 1/n
    const momentum = this.momentum === null ? (tracking ? 1 / batches : 0) : this.momentum;
    // eval mode uses the running statistics, unless there are none (then the batch's)
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    const keepRunning = !this.training || this.trackRunningStats;
    const output = batchNorm(input, keepRunning ? this.running_mean : null, keepRunning ? this.running_var : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatchStats,
      momentum,
      eps: this.eps,
    });
    if (tracking) noGrad(() => add_(this.num_batches_tracked!, 1));
    return output;
  }

  /** `C, eps=…, momentum=…, affine=…, track_running_stats=…`, as PyTorch prints a BatchNorm. */
  override extraRepr(): string {
    const momentum = this.momentum === null ? "None" : pythonFloat(this.momentum);
    return `${this.numFeatures}, eps=${pythonFloat(this.eps)}, momentum=${momentum}, affine=${pythonBool(this.affine)}, track_running_stats=${pythonBool(this.trackRunningStats)}`;
  }
}

/**
 * Batch normalisation of `(N, C)` or `(N, C, L)` inputs, as PyTorch's `nn.BatchNorm1d(num_features,
 * eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)`: `batchNorm` with the module's
 * parameters and buffers, which have PyTorch's names and order, so a PyTorch `state_dict` loads as
 * it is. `train()` normalises with each batch's statistics and updates the running ones; `eval()`
 * uses the running ones.
 *
 * @example
 * ```ts
 * const layer = new BatchNorm1d(2);
 * layer.forward(tensor([[1, 10], [3, 30]])); // → [[-1.0000, -1.0000], [1.0000, 1.0000]]
 * layer.running_mean;                         // → [0.2, 2]
 * layer.num_batches_tracked;                  // → 1
 * Object.keys(layer.stateDict());             // → ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
 * layer.toString();                           // → "BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
 * layer.forward(zeros([2, 3]));               // throws BatchNorm1d: expected input of shape (N, 2) or (N, 2, L), got [2, 3]
 * ```
 */
export class BatchNorm1d extends BatchNorm {
  protected readonly expectedShapes = "(N, C) or (N, C, L)";

  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super(numFeatures, options);
  }

  protected acceptsRank(ndim: number): boolean {
    return ndim === 2 || ndim === 3;
  }
}

/**
 * Batch normalisation of `(N, C, H, W)` inputs, as PyTorch's `nn.BatchNorm2d`: `BatchNorm1d`'s
 * parameters, buffers and behaviour, per channel over N, H and W.
 *
 * @example
 * ```ts
 * const layer = new BatchNorm2d(3, { momentum: null });
 * layer.forward(randn([4, 3, 5, 5])).shape; // → [4, 3, 5, 5]
 * layer.num_batches_tracked;                 // → 1
 * new BatchNorm2d(3).eval().forward(ones([1, 3, 1, 1])); // → [[[[1.0000]], [[1.0000]], [[1.0000]]]]
 * ```
 */
export class BatchNorm2d extends BatchNorm {
  protected readonly expectedShapes = "(N, C, H, W)";

  constructor(numFeatures: number, options: BatchNormModuleOptions = {}) {
    super(numFeatures, options);
  }

  protected acceptsRank(ndim: number): boolean {
    return ndim === 4;
  }
}

/**
 * Layer normalisation over the last dims, as PyTorch's `nn.LayerNorm(normalized_shape, eps=1e-05,
 * elementwise_affine=True, bias=True)`: `layerNorm` with `weight` (ones) and `bias` (zeros), both
 * shaped `normalizedShape`.
 *
 * @example
 * ```ts
 * const layer = new LayerNorm(3);
 * layer.forward(tensor([[1, 2, 3]])); // → [[-1.2247, 0, 1.2247]]
 * layer.weight!.shape;                // → [3]
 * layer.toString();                   // → "LayerNorm((3,), eps=1e-05, elementwise_affine=True)"
 * new LayerNorm([2, 3], { elementwiseAffine: false }).parameters().length; // → 0
 * ```
 */
export class LayerNorm extends Module {
  /** The trailing dims normalised over. */
  readonly normalizedShape: readonly number[];
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether `weight` (and `bias`) are learned. */
  readonly elementwiseAffine: boolean;
  /** The scale, shaped `normalizedShape`, or null without `elementwiseAffine`. */
  weight: Tensor | null;
  /** The shift, shaped `normalizedShape`, or null without `elementwiseAffine` or `bias`. */
  bias: Tensor | null;
  private readonly dtype: FloatDType;

  constructor(normalizedShape: number | readonly number[], options: LayerNormModuleOptions = {}) {
    super();
    const op = "LayerNorm";
    const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
      throw new NablaError(op, `normalizedShape must be a size or a non-empty list of sizes, got ${describeValue(normalizedShape)}`);
    }
    this.normalizedShape = [...shape];
    const { eps = 1e-5, elementwiseAffine = true, bias = true, dtype = "float32" } = checkOptions(op, options);
    this.eps = checkEps(op, eps);
    this.elementwiseAffine = checkBoolean(op, "elementwiseAffine", elementwiseAffine);
    checkBoolean(op, "bias", bias);
    this.dtype = checkDType(op, dtype);
    this.weight = this.registerParameter("weight", elementwiseAffine ? ones(shape, { dtype }) : null);
    this.bias = this.registerParameter("bias", elementwiseAffine && bias ? zeros(shape, { dtype }) : null);
  }

  /** `layerNorm(input, normalizedShape, { weight, bias, eps })`. */
  forward(input: Tensor): Tensor {
    checkModuleTensor("LayerNorm", "input", input, this.dtype);
    return layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  /** `(…,), eps=…, elementwise_affine=…`, as PyTorch prints a LayerNorm. */
  override extraRepr(): string {
    const shape = this.normalizedShape.length === 1 ? `(${this.normalizedShape[0]},)` : `(${this.normalizedShape.join(", ")})`;
    return `${shape}, eps=${pythonFloat(this.eps)}, elementwise_affine=${pythonBool(this.elementwiseAffine)}`;
  }
}

/**
 * Group normalisation, as PyTorch's `nn.GroupNorm(num_groups, num_channels, eps=1e-05,
 * affine=True)`: `groupNorm` of `(N, C, *)` inputs with a per-channel `weight` (ones) and `bias`
 * (zeros). `numChannels` must be divisible by `numGroups`.
 *
 * @example
 * ```ts
 * const layer = new GroupNorm(2, 4);
 * layer.forward(tensor([[1, 3, 10, 30]])); // → [[-1.0000, 1.0000, -1.0000, 1.0000]]
 * layer.toString();                        // → "GroupNorm(2, 4, eps=1e-05, affine=True)"
 * new GroupNorm(4, 6);                     // throws GroupNorm: numChannels 6 must be divisible by numGroups 4
 * ```
 */
export class GroupNorm extends Module {
  /** The number of groups the channels are split into. */
  readonly numGroups: number;
  /** The number of channels C. */
  readonly numChannels: number;
  /** Added to the variance before the square root. */
  readonly eps: number;
  /** Whether `weight` and `bias` are learned. */
  readonly affine: boolean;
  /** The per-channel scale `[C]`, or null without `affine`. */
  weight: Tensor | null;
  /** The per-channel shift `[C]`, or null without `affine`. */
  bias: Tensor | null;
  private readonly dtype: FloatDType;

  constructor(numGroups: number, numChannels: number, options: GroupNormModuleOptions = {}) {
    super();
    const op = "GroupNorm";
    this.numGroups = checkInteger(op, "numGroups", numGroups, { min: 1 });
    this.numChannels = checkInteger(op, "numChannels", numChannels, { min: 0 });
    if (numChannels % numGroups !== 0) {
      throw new NablaError(op, `numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    }
    const { eps = 1e-5, affine = true, dtype = "float32" } = checkOptions(op, options);
    this.eps = checkEps(op, eps);
    this.affine = checkBoolean(op, "affine", affine);
    this.dtype = checkDType(op, dtype);
    this.weight = this.registerParameter("weight", affine ? ones([numChannels], { dtype }) : null);
    this.bias = this.registerParameter("bias", affine ? zeros([numChannels], { dtype }) : null);
  }

  /** `groupNorm(input, numGroups, { weight, bias, eps })` of an input `(N, numChannels, *)`. */
  forward(input: Tensor): Tensor {
    checkModuleTensor("GroupNorm", "input", input, this.dtype);
    if (input.ndim < 2 || input.shape[1] !== this.numChannels) {
      throw new NablaError("GroupNorm", `expected input of shape (N, ${this.numChannels}, *), got ${formatShape(input.shape)}`);
    }
    return groupNorm(input, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  /** `G, C, eps=…, affine=…`, as PyTorch prints a GroupNorm. */
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pythonFloat(this.eps)}, affine=${pythonBool(this.affine)}`;
  }
}

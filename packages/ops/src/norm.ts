import {
  add,
  add_,
  defineOp,
  div,
  formatShape,
  isGradEnabled,
  mean,
  mul,
  mul_,
  NablaError,
  noGrad,
  type OpContext,
  reshape,
  sqrt,
  square,
  sub,
  sum,
  Tensor,
} from "@nabla/tensor/functional";
import { checkBoolean, checkInteger, checkNumber, checkOptions, checkTensor, describeValue, numelOf } from "@nabla/tensor/internal";
import { checkFloatTensor } from "./args";

/** The options of `layerNorm`, as PyTorch's `F.layer_norm` keywords. */
export interface LayerNormOptions {
  /** Multiplies the normalised values elementwise, shaped as `normalizedShape` (none when absent). */
  weight?: Tensor | null;
  /** Added after the weight, shaped as `normalizedShape` (none when absent). */
  bias?: Tensor | null;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/** The options of `batchNorm`, as PyTorch's `F.batch_norm` keywords. */
export interface BatchNormOptions {
  /** Per-channel scale `[C]` (none when absent). */
  weight?: Tensor | null;
  /** Per-channel shift `[C]` (none when absent). */
  bias?: Tensor | null;
  /** Normalise with the batch's statistics and update the running ones (default false: use the running ones). */
  training?: boolean;
  /** The weight of the batch statistic in the running update (default 0.1). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/** The options of `groupNorm`, as PyTorch's `F.group_norm` keywords. */
export interface GroupNormOptions {
  /** Per-channel scale `[C]` (none when absent). */
  weight?: Tensor | null;
  /** Per-channel shift `[C]` (none when absent). */
  bias?: Tensor | null;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/** The statistics a normalisation used: the mean and the biased variance, keepdim-shaped. */
interface Moments {
  mean: Tensor;
  variance: Tensor;
}

function checkEps(op: string, eps: unknown): number {
  checkNumber(op, "eps", eps);
  // a negative eps can make var + eps negative and the result NaN
  if (!(Number.isFinite(eps) && (eps as number) >= 0))
    throw new NablaError(op, `eps must be a finite number ≥ 0, got ${describeValue(eps)}`);
  return eps as number;
}

/** An optional affine parameter: absent, or a float tensor of `shape` and the input's dtype. */
function checkAffine(op: string, name: string, value: unknown, shape: readonly number[], input: Tensor, what: string): Tensor | null {
  if (value === undefined || value === null) return null;
  const t = checkFloatTensor(op, name, value);
  if (t.ndim !== shape.length || t.shape.some((size, d) => size !== shape[d])) {
    throw new NablaError(op, `${name} must have shape ${formatShape(shape)} (${what}), got ${formatShape(t.shape)}`);
  }
  if (t.dtype !== input.dtype) throw new NablaError(op, `${name} dtype ${t.dtype} must match the input's ${input.dtype}`);
  return t;
}

/** The mean and biased variance over `dims`, keepdim-shaped (two passes, for accuracy). */
function momentsOf(x: Tensor, dims: readonly number[]): Moments {
  const xMean = mean(x, dims, true);
  return { mean: xMean, variance: mean(square(sub(x, xMean)), dims, true) };
}

/** σ = √(var + eps). */
const stdOf = (variance: Tensor, eps: number): Tensor => sqrt(add(variance, eps));

/**
 * x̂ = (x − mean) / √(var + eps) with the mean and biased variance over `dims` (kept), the
 * standardisation behind layer, batch and group norm; `onMoments` receives the statistics it
 * used. One op: its backward never differentiates mean, var and sqrt one by one.
 */
const standardize = defineOp({
  name: "standardize",
  formula: {
    forward: "x̂ = (x − μ) / σ,  μ = mean x,  σ = √(var x + ε)",
    backward: "x̄ = (ḡ − mean ḡ − x̂ ⊙ mean(ḡ ⊙ x̂)) / σ",
  },
  forward(
    ctx: OpContext<{ dims: readonly number[]; eps: number }>,
    x: Tensor,
    dims: readonly number[],
    eps: number,
    onMoments?: (moments: Moments) => void,
  ): Tensor {
    ctx.dims = dims;
    ctx.eps = eps;
    const moments = momentsOf(x, dims);
    onMoments?.(moments);
    const std = stdOf(moments.variance, eps);
    const xHat = div(sub(x, moments.mean), std);
    ctx.save(x, xHat, std);
    return xHat;
  },
  backward(ctx, gradOut) {
    const [x, xHat, savedStd] = ctx.saved as [Tensor, Tensor, Tensor];
    const { dims, eps } = ctx;
    // under createGraph σ must be a function of x for the second derivative; x̂ is this op's
    // output, so it already is
    const std = isGradEnabled() ? stdOf(momentsOf(x, dims).variance, eps) : savedStd;
    return [standardizeVjp(gradOut, xHat, std, dims)];
  },
});

/**
 * The VJP of x̂ = (x − mean) / σ over `dims`: ∂x̂_i/∂x_j = (δ_ij − 1/n − x̂_i x̂_j / n) / σ is
 * symmetric, so Jᵀḡ = (ḡ − mean ḡ − x̂ mean(ḡ x̂)) / σ.
 */
function standardizeVjp(gradOut: Tensor, xHat: Tensor, std: Tensor, dims: readonly number[]): Tensor {
  const centred = sub(gradOut, mean(gradOut, dims, true));
  const alongXHat = mul(xHat, mean(mul(gradOut, xHat), dims, true));
  return div(sub(centred, alongXHat), std);
}

/** What layerNorm's forward leaves its backward: x as [rows, size], its normalised dims, eps, and which of weight and bias it had. */
interface LayerNormFields {
  rows: number;
  size: number;
  normalizedDims: number;
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

/**
 * Layer normalisation of x over its last `normalizedDims` dims, seen as rows of `size` values,
 * through the backend's fused layerNorm primitive (each row's statistics and output while the row
 * is in cache), saving only the input, the mean and the rstd; its backward is the fused
 * layerNormBackward, or the same formulas in tensor ops when the gradient is itself to be
 * differentiated.
 */
const layerNormRows = defineOp({
  name: "layerNorm",
  formula: {
    forward: "y = x̂ ⊙ γ + β,  x̂ = (x − μ)·rstd,  rstd = 1 / √(var x + ε)",
    backward: "x̄ = rstd·(ĝ − mean ĝ − x̂ ⊙ mean(ĝ ⊙ x̂)),  ĝ = ȳ ⊙ γ,  γ̄ = Σ ȳ ⊙ x̂,  β̄ = Σ ȳ",
  },
  forward(
    ctx: OpContext<LayerNormFields>,
    x: Tensor,
    weight: Tensor | null,
    bias: Tensor | null,
    normalizedDims: number,
    eps: number,
  ): Tensor {
    const { backend } = x.storage;
    const size = numelOf(x.shape.slice(x.ndim - normalizedDims));
    const rows = numelOf(x.shape.slice(0, x.ndim - normalizedDims));
    const vector = (t: Tensor | null) => (t === null ? null : reshape(t, [size]));
    // reshape copies only a layout whose normalised dims cannot be one row of a matrix
    const { out, mean, rstd } = backend.run.layerNorm(reshape(x, [rows, size]), vector(weight), vector(bias), eps, x.dtype);
    Object.assign(ctx, { rows, size, normalizedDims, eps, hasWeight: weight !== null, hasBias: bias !== null });
    ctx.save(x, Tensor.fromBuffer(backend, mean, [rows], x.dtype), Tensor.fromBuffer(backend, rstd, [rows], x.dtype));
    if (weight !== null) ctx.save(weight);
    return Tensor.fromBuffer(backend, out, x.shape, x.dtype);
  },
  backward(ctx, gradOut) {
    const [x, mean, rstd, weight = null] = ctx.saved as [Tensor, Tensor, Tensor, Tensor?];
    const { rows, size, normalizedDims, eps, hasWeight, hasBias } = ctx;
    let grads: { dx: Tensor; dweight: Tensor; dbias: Tensor };
    if (isGradEnabled()) {
      // createGraph: the gradients as functions of x, the weight and ḡ, so they can be differentiated again
      grads = layerNormVjp(x, weight, gradOut, normalizedDims, eps);
    } else {
      const { backend } = x.storage;
      const matrix = (t: Tensor) => reshape(t, [rows, size]);
      const { dx, dweight, dbias } = backend.run.layerNormBackward(
        matrix(x),
        matrix(gradOut),
        mean,
        rstd,
        weight === null ? null : reshape(weight, [size]),
        x.dtype,
      );
      const normalizedShape = x.shape.slice(x.ndim - normalizedDims);
      grads = {
        dx: Tensor.fromBuffer(backend, dx, x.shape, x.dtype),
        dweight: Tensor.fromBuffer(backend, dweight, normalizedShape, x.dtype),
        dbias: Tensor.fromBuffer(backend, dbias, normalizedShape, x.dtype),
      };
    }
    // one gradient per tensor input: x, then the weight and the bias when given
    const [needsX, ...needsRest] = ctx.needsInputGrad;
    const rest = [...(hasWeight ? [grads.dweight] : []), ...(hasBias ? [grads.dbias] : [])];
    return [needsX ? grads.dx : null, ...rest.map((grad, i) => (needsRest[i] ? grad : null))];
  },
});

/** layerNorm's gradients in tensor ops (the layerNormBackward primitive's formulas), its statistics recomputed from x. */
function layerNormVjp(
  x: Tensor,
  weight: Tensor | null,
  gradOut: Tensor,
  normalizedDims: number,
  eps: number,
): { dx: Tensor; dweight: Tensor; dbias: Tensor } {
  const dims = x.shape.map((_, d) => d).slice(x.ndim - normalizedDims);
  const rowDims = x.shape.map((_, d) => d).slice(0, x.ndim - normalizedDims);
  const moments = momentsOf(x, dims);
  const std = stdOf(moments.variance, eps);
  const xHat = div(sub(x, moments.mean), std);
  // sum(dims) with no dims would sum everything
  const overRows = (t: Tensor) => (rowDims.length === 0 ? t : sum(t, rowDims));
  return {
    dx: standardizeVjp(weight === null ? gradOut : mul(gradOut, weight), xHat, std, dims),
    dweight: overRows(mul(gradOut, xHat)),
    dbias: overRows(gradOut),
  };
}

/** x̂ ⊙ weight + bias, each when given. */
function affine(xHat: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const scaled = weight === null ? xHat : mul(xHat, weight);
  return bias === null ? scaled : add(scaled, bias);
}

/**
 * Layer normalisation over the last dims, as PyTorch's `F.layer_norm`: each slice over the trailing
 * `normalizedShape` dims is shifted to mean 0 and scaled to variance 1 (the biased variance, plus
 * `eps`), then multiplied by `weight` and shifted by `bias` (both shaped `normalizedShape`, when
 * given). The output has the input's shape and dtype. `normalizedShape` (a size or a list of sizes)
 * must be the input's last dims, else a NablaError.
 *
 * @example
 * ```ts
 * layerNorm(tensor([[1, 2, 3], [2, 2, 8]]), [3]); // → [[-1.2247, 0, 1.2247], [-0.7071, -0.7071, 1.4142]]
 * layerNorm(tensor([[1, 3]]), 2, { weight: tensor([1, 2]), bias: tensor([0, 1]) }); // → [[-1.0000, 3.0000]]
 * layerNorm(zeros([2, 3]), [2]); // throws layerNorm: expected input of shape [*, 2] (normalizedShape [2]), got [2, 3]
 * ```
 */
export function layerNorm(input: Tensor, normalizedShape: number | readonly number[], options: LayerNormOptions = {}): Tensor {
  const op = "layerNorm";
  checkFloatTensor(op, "input", input);
  const shape = typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    throw new NablaError(op, `normalizedShape must be a size or a non-empty list of sizes, got ${describeValue(normalizedShape)}`);
  }
  const tail = input.shape.slice(input.ndim - shape.length);
  if (shape.length > input.ndim || tail.some((size, d) => size !== shape[d])) {
    throw new NablaError(
      op,
      `expected input of shape [*, ${shape.join(", ")}] (normalizedShape ${formatShape(shape)}), got ${formatShape(input.shape)}`,
    );
  }
  const { eps = 1e-5 } = checkOptions(op, options);
  const what = `normalizedShape ${formatShape(shape)}`;
  const weight = checkAffine(op, "weight", options.weight, shape, input, what);
  const bias = checkAffine(op, "bias", options.bias, shape, input, what);
  return layerNormRows(input, weight, bias, shape.length, checkEps(op, eps));
}

/** A 1-D running statistic of C values in the input's dtype, or null (undefined is refused, not taken for null). */
function checkRunning(name: string, value: unknown, channels: number, input: Tensor): Tensor | null {
  if (value === undefined) checkTensor("batchNorm", name, value);
  return checkAffine("batchNorm", name, value, [channels], input, `one value per channel of input ${formatShape(input.shape)}`);
}

/** `[1, C, 1, …]` for an input of `ndim` dims: per-channel values broadcast over the others. */
function channelShape(channels: number, ndim: number): number[] {
  return [1, channels, ...Array<number>(ndim - 2).fill(1)];
}

/**
 * Batch normalisation, as PyTorch's `F.batch_norm`, over an input `(N, C, *)`: each channel is
 * shifted to mean 0 and scaled to variance 1 (plus `eps`), then multiplied by `weight[c]` and
 * shifted by `bias[c]` when given.
 * - `training: false` (the default) uses `runningMean` and `runningVar` (both required).
 * - `training: true` uses the batch's mean and biased variance, and updates the running statistics
 *   in place when given (without recording a graph, bumping their versions):
 *   `running = (1 − momentum)·running + momentum·batch`, with the unbiased variance for
 *   `runningVar`, as PyTorch. A batch with one value per channel is refused.
 *
 * Running statistics must be `[C]` tensors of the input's dtype, else a NablaError.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 10], [3, 30]]);
 * const runningMean = zeros([2]);
 * const runningVar = ones([2]);
 * batchNorm(x, runningMean, runningVar, { training: true }); // → [[-1.0000, -1.0000], [1.0000, 1.0000]]
 * runningMean; // → [0.2, 2]
 * runningVar;  // → [1.1, 20.9]
 * batchNorm(x, runningMean, runningVar).shape; // → [2, 2]
 * batchNorm(x, zeros([3]), ones([2]));         // throws batchNorm: runningMean must have shape [2] (one value per channel of input [2, 2]), got [3]
 * ```
 */
export function batchNorm(input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, options: BatchNormOptions = {}): Tensor {
  const op = "batchNorm";
  checkFloatTensor(op, "input", input);
  if (input.ndim < 2) throw new NablaError(op, `expected an input of shape (N, C, *), got ${formatShape(input.shape)}`);
  const channels = input.shape[1]!;
  const meanStat = checkRunning("runningMean", runningMean, channels, input);
  const varStat = checkRunning("runningVar", runningVar, channels, input);
  const { training = false, momentum = 0.1, eps = 1e-5 } = checkOptions(op, options);
  checkBoolean(op, "training", training);
  checkNumber(op, "momentum", momentum, { finite: true });
  const what = `one value per channel of input ${formatShape(input.shape)}`;
  const weight = checkAffine(op, "weight", options.weight, [channels], input, what);
  const bias = checkAffine(op, "bias", options.bias, [channels], input, what);
  const epsilon = checkEps(op, eps);
  const perChannel = channelShape(channels, input.ndim);
  const view = (t: Tensor | null) => (t === null ? null : reshape(t, perChannel));
  let xHat: Tensor;
  if (training) {
    const count = input.numel / Math.max(channels, 1);
    if (count === 1) {
      throw new NablaError(op, `expected more than 1 value per channel when training, got input of shape ${formatShape(input.shape)}`);
    }
    const dims = input.shape.map((_, d) => d).filter((d) => d !== 1);
    // (an empty batch leaves the running statistics as they were, as PyTorch)
    const update = input.numel === 0 ? undefined : (moments: Moments) => updateRunning(meanStat, varStat, moments, momentum, count);
    xHat = standardize(input, dims, epsilon, update);
  } else {
    if (meanStat === null || varStat === null) {
      throw new NablaError(op, "runningMean and runningVar are required when not training (training: false)");
    }
    xHat = div(sub(input, view(meanStat)!), stdOf(view(varStat)!, epsilon));
  }
  return affine(xHat, view(weight), view(bias));
}

/** running ← (1 − m)·running + m·batch, with var's unbiased (n − 1) form, in place and off the graph. */
function updateRunning(runningMean: Tensor | null, runningVar: Tensor | null, moments: Moments, momentum: number, count: number): void {
  noGrad(() => {
    if (runningMean !== null) add_(mul_(runningMean, 1 - momentum), mul(reshape(moments.mean, [-1]), momentum));
    if (runningVar !== null) add_(mul_(runningVar, 1 - momentum), mul(mul(reshape(moments.variance, [-1]), count / (count - 1)), momentum));
  });
}

/**
 * Group normalisation, as PyTorch's `F.group_norm`, over an input `(N, C, *)`: the C channels are
 * split into `numGroups` groups of consecutive channels, and each sample's group is shifted to mean
 * 0 and scaled to variance 1 (plus `eps`), then multiplied by `weight[c]` and shifted by `bias[c]`
 * when given. C must be divisible by `numGroups`, else a NablaError; so is a single sample whose
 * every group holds one value, as PyTorch refuses it.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 3, 10, 30]]);
 * groupNorm(x, 2); // → [[-1.0000, 1.0000, -1.0000, 1.0000]]
 * groupNorm(x, 1, { weight: tensor([1, 1, 1, 2]) }).shape; // → [1, 4]
 * groupNorm(x, 3); // throws groupNorm: the 4 channels of input [1, 4] cannot be split into 3 groups (4 is not divisible by 3)
 * groupNorm(x, 4); // throws groupNorm: expected more than 1 value per group, got input [1, 4] with 4 groups (one sample, one value per group)
 * ```
 */
export function groupNorm(input: Tensor, numGroups: number, options: GroupNormOptions = {}): Tensor {
  const op = "groupNorm";
  checkFloatTensor(op, "input", input);
  checkInteger(op, "numGroups", numGroups, { min: 1 });
  if (input.ndim < 2) throw new NablaError(op, `expected an input of shape (N, C, *), got ${formatShape(input.shape)}`);
  const [batch, channels] = input.shape as [number, number];
  if (channels % numGroups !== 0) {
    throw new NablaError(
      op,
      `the ${channels} channels of input ${formatShape(input.shape)} cannot be split into ${numGroups} groups (${channels} is not divisible by ${numGroups})`,
    );
  }
  // counted, not inferred with -1, which a zero-size dim leaves ambiguous
  const groupSize = (channels / numGroups) * numelOf(input.shape.slice(2));
  // PyTorch's F.group_norm refuses the input its batch-size check sees as [N·C/G, G, *] with one
  // value per "channel": a single sample whose every group holds one value
  if (batch * groupSize === 1) {
    throw new NablaError(
      op,
      `expected more than 1 value per group, got input ${formatShape(input.shape)} with ${numGroups} groups (one sample, one value per group)`,
    );
  }
  const { eps = 1e-5 } = checkOptions(op, options);
  const what = `one value per channel of input ${formatShape(input.shape)}`;
  const weight = checkAffine(op, "weight", options.weight, [channels], input, what);
  const bias = checkAffine(op, "bias", options.bias, [channels], input, what);
  const groups = reshape(input, [batch, numGroups, groupSize]);
  const xHat = reshape(standardize(groups, [2], checkEps(op, eps)), input.shape);
  const perChannel = channelShape(channels, input.ndim);
  return affine(xHat, weight === null ? null : reshape(weight, perChannel), bias === null ? null : reshape(bias, perChannel));
}

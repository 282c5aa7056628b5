import {
  copy_,
  fill_,
  formatShape,
  type Generator,
  NablaError,
  noGrad,
  type Tensor,
  tensor as fromValues,
  zero_,
} from "@nabla/tensor/functional";
import { checkOptions, checkTensor, defaultGenerator, normalFill, uniformFill } from "@nabla/tensor/internal";

/** The nonlinearities `calculateGain` knows (PyTorch's `nn.functional` names). */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "conv_transpose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "selu";

/** Which fan Kaiming init preserves: the forward pass's variance (`fanIn`) or the backward pass's (`fanOut`). */
export type FanMode = "fanIn" | "fanOut";

/** The option every random initializer takes: where its numbers come from. */
export interface RandomInitOptions {
  /** Draw from this stream instead of the global one that `manualSeed` resets. */
  generator?: Generator;
}

/** Options of `xavierUniform_` and `xavierNormal_`. */
export interface XavierOptions extends RandomInitOptions {
  /** Scales the std, usually `calculateGain(nonlinearity)`; default 1. */
  gain?: number;
}

/** Options of `kaimingUniform_` and `kaimingNormal_`, as PyTorch's keywords (`fanIn` for "fan_in"). */
export interface KaimingOptions extends RandomInitOptions {
  /** The negative slope of the leaky ReLU that follows (only used with `leaky_relu`); default 0. */
  a?: number;
  /** The fan to divide by; default "fanIn". */
  mode?: FanMode;
  /** The nonlinearity whose gain scales the std; default "leaky_relu" (with slope `a`). */
  nonlinearity?: Nonlinearity;
}

const LINEAR_NONLINEARITIES: readonly string[] = [
  "linear",
  "conv1d",
  "conv2d",
  "conv3d",
  "conv_transpose1d",
  "conv_transpose2d",
  "conv_transpose3d",
  "sigmoid",
];

/**
 * The factor by which a nonlinearity shrinks the standard deviation of its input, as PyTorch's
 * `calculate_gain`: 1 for linear and sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + slope²)) for
 * leaky_relu (slope `param`, default 0.01), 3/4 for selu. An unknown name throws.
 *
 * @example
 * ```ts
 * init.calculateGain("relu");              // → 1.4142136
 * init.calculateGain("tanh");              // → 1.6666667
 * init.calculateGain("leaky_relu", 0.2);   // → 1.3867505
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  if (LINEAR_NONLINEARITIES.includes(nonlinearity)) return 1;
  switch (nonlinearity) {
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.sqrt(2);
    case "leaky_relu": {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new NablaError("calculateGain", `negative slope ${slope} is not a finite number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      return 3 / 4;
    default:
      throw new NablaError("calculateGain", `unsupported nonlinearity "${String(nonlinearity)}"`);
  }
}

/**
 * Fans of a weight shaped `[out, in, ...kernel]`: `fanIn = in · ∏kernel`, `fanOut = out · ∏kernel`,
 * as PyTorch's `_calculate_fan_in_and_fan_out`. Fewer than 2 dimensions throws.
 *
 * @example
 * ```ts
 * init.calculateFanInAndFanOut(zeros([8, 4]));         // → { fanIn: 4, fanOut: 8 }
 * init.calculateFanInAndFanOut(zeros([16, 3, 5, 5]));  // → { fanIn: 75, fanOut: 400 }
 * init.calculateFanInAndFanOut(zeros([3]));            // throws calculateFanInAndFanOut: fan in and fan out cannot be computed for shape [3] (expected at least 2 dimensions)
 * ```
 */
export function calculateFanInAndFanOut(tensor: Tensor): { fanIn: number; fanOut: number } {
  checkTensor("calculateFanInAndFanOut", "tensor", tensor);
  return fans("calculateFanInAndFanOut", tensor);
}

function fans(op: string, tensor: Tensor): { fanIn: number; fanOut: number } {
  if (tensor.ndim < 2) {
    throw new NablaError(
      op,
      `fan in and fan out cannot be computed for shape ${formatShape(tensor.shape)} (expected at least 2 dimensions)`,
    );
  }
  const receptiveField = tensor.shape.slice(2).reduce((product, size) => product * size, 1);
  return { fanIn: tensor.shape[1]! * receptiveField, fanOut: tensor.shape[0]! * receptiveField };
}

function assertFloating(op: string, tensor: Tensor): void {
  checkTensor(op, "tensor", tensor);
  if (tensor.dtype !== "float32" && tensor.dtype !== "float64") {
    throw new NablaError(
      op,
      `cannot fill a ${tensor.dtype} tensor of shape ${formatShape(tensor.shape)} with random values (expected float32 or float64)`,
    );
  }
}

// Every initializer writes in place without recording a graph, so it works on parameters that
// require grad. `draw` fills the values in PyTorch's order (that of a contiguous tensor).
function fill(tensor: Tensor, draw: (values: Float32Array | Float64Array) => void): Tensor {
  const values = tensor.dtype === "float64" ? new Float64Array(tensor.numel) : new Float32Array(tensor.numel);
  draw(values);
  noGrad(() => copy_(tensor, fromValues(values, { shape: tensor.shape })));
  return tensor;
}

/**
 * Fills `tensor` in place with values drawn uniformly from [a, b) (default [0, 1)), without
 * recording a graph (so it works on parameters); returns it. The tensor must be float32 or
 * float64, and a > b throws. `{ generator }` draws from that stream instead of the global one.
 * The values are PyTorch's `uniform_` bit for bit after the same seed (in the order of a
 * contiguous tensor), and so are those of `kaimingUniform_`, `xavierUniform_` and the default
 * init of Linear, convolutions, recurrent layers and attention.
 *
 * @example
 * ```ts
 * const w = init.uniform_(zeros([1000]), -0.1, 0.1);
 * w.min().ge(-0.1).item();  // → true
 * w.max().lt(0.1).item();   // → true
 * // a generator of its own repeats the draw, whatever the global stream did
 * const a = init.uniform_(zeros([3]), 0, 1, { generator: new Generator(0) });
 * init.uniform_(zeros([3]), 0, 1, { generator: new Generator(0) }).eq(a); // → [true, true, true]
 * init.uniform_(zeros([3]), 1, 0);  // throws uniform_: expected a finite range with a ≤ b, got a = 1, b = 0
 * ```
 */
export function uniform_(tensor: Tensor, a = 0, b = 1, options: RandomInitOptions = {}): Tensor {
  return uniformFrom("uniform_", tensor, a, b, checkOptions("uniform_", options).generator);
}

function uniformFrom(op: string, tensor: Tensor, a: number, b: number, generator: Generator | undefined): Tensor {
  assertFloating(op, tensor);
  if (!(a <= b) || !Number.isFinite(a) || !Number.isFinite(b)) {
    throw new NablaError(op, `expected a finite range with a ≤ b, got a = ${a}, b = ${b}`);
  }
  // u·(b − a) + a, u ~ U[0, 1), with PyTorch's bits (see uniformFill)
  return fill(tensor, (values) => uniformFill(values, a, b, generator ?? defaultGenerator));
}

/**
 * Fills `tensor` in place with values drawn from N(mean, std²) (default N(0, 1)), without recording
 * a graph; returns it. Float tensors only; a negative or non-finite std throws. The samples are
 * PyTorch's `normal_` after the same seed (see `randn`), to the last few bits.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const w = init.normal_(zeros([10000]), 0, 0.02);
 * w.std().sub(0.02).abs().lt(0.001).item(); // → true
 * ```
 */
export function normal_(tensor: Tensor, mean = 0, std = 1, options: RandomInitOptions = {}): Tensor {
  return normalFrom("normal_", tensor, mean, std, checkOptions("normal_", options).generator);
}

function normalFrom(op: string, tensor: Tensor, mean: number, std: number, generator: Generator | undefined): Tensor {
  assertFloating(op, tensor);
  if (!Number.isFinite(mean) || !(std >= 0) || !Number.isFinite(std)) {
    throw new NablaError(op, `expected a finite mean and std ≥ 0, got mean = ${mean}, std = ${std}`);
  }
  // PyTorch draws a contiguous tensor of 16 elements or more in blocks, any other one element by element
  return fill(tensor, (values) => normalFill(values, mean, std, generator ?? defaultGenerator, tensor.isContiguous()));
}

/**
 * Fills `tensor` with 0 in place, without recording a graph (so it works on parameters); returns it.
 *
 * @example
 * ```ts
 * const layer = new Linear(2, 3);
 * init.zeros_(layer.bias!); // → [0, 0, 0]
 * ```
 */
export function zeros_(tensor: Tensor): Tensor {
  checkTensor("zeros_", "tensor", tensor);
  noGrad(() => zero_(tensor));
  return tensor;
}

/**
 * Fills `tensor` with 1 in place, without recording a graph; returns it.
 *
 * @example
 * ```ts
 * init.ones_(zeros([2, 2])); // → [[1, 1], [1, 1]]
 * ```
 */
export function ones_(tensor: Tensor): Tensor {
  checkTensor("ones_", "tensor", tensor);
  noGrad(() => fill_(tensor, 1));
  return tensor;
}

// Glorot & Bengio: std = gain · √(2 / (fanIn + fanOut)) keeps activations and gradients at a similar scale.
function xavierStd(op: string, tensor: Tensor, gain: number): number {
  assertFloating(op, tensor);
  const { fanIn, fanOut } = fans(op, tensor);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Xavier/Glorot uniform init in place, as PyTorch's `xavier_uniform_`: U(−bound, bound) with
 * bound = gain · √(6 / (fanIn + fanOut)). Needs at least 2 dimensions (see
 * `calculateFanInAndFanOut`); returns the tensor.
 *
 * @example
 * ```ts
 * const layer = new Linear(20, 30);
 * init.xavierUniform_(layer.weight, { gain: init.calculateGain("tanh") });
 * // bound = 5/3 · √(6 / 50) = 0.5774
 * layer.weight.abs().max().le(0.5774).item(); // → true
 * init.xavierUniform_(zeros([3]));            // throws xavierUniform_: fan in and fan out cannot be computed for shape [3] (expected at least 2 dimensions)
 * ```
 */
export function xavierUniform_(tensor: Tensor, options: XavierOptions = {}): Tensor {
  checkOptions("xavierUniform_", options);
  const bound = Math.sqrt(3) * xavierStd("xavierUniform_", tensor, options.gain ?? 1); // U(−b, b) has std b/√3
  return uniformFrom("xavierUniform_", tensor, -bound, bound, options.generator);
}

/**
 * Xavier/Glorot normal init in place, as PyTorch's `xavier_normal_`: N(0, std²) with
 * std = gain · √(2 / (fanIn + fanOut)). Needs at least 2 dimensions; returns the tensor.
 *
 * @example
 * ```ts
 * const layer = new Linear(4, 8);
 * init.xavierNormal_(layer.weight).shape; // → [8, 4]
 * ```
 */
export function xavierNormal_(tensor: Tensor, options: XavierOptions = {}): Tensor {
  checkOptions("xavierNormal_", options);
  return normalFrom("xavierNormal_", tensor, 0, xavierStd("xavierNormal_", tensor, options.gain ?? 1), options.generator);
}

// He et al.: std = gain / √fan keeps the variance of the chosen pass constant through a layer.
// Returns null for a zero-element tensor, which PyTorch leaves as it is.
function kaimingStd(op: string, tensor: Tensor, options: KaimingOptions): number | null {
  checkOptions(op, options);
  assertFloating(op, tensor);
  const mode = options.mode ?? "fanIn";
  if (mode !== "fanIn" && mode !== "fanOut") throw new NablaError(op, `mode must be "fanIn" or "fanOut", got "${String(mode)}"`);
  const { fanIn, fanOut } = fans(op, tensor);
  if (tensor.numel === 0) return null;
  const gain = calculateGain(options.nonlinearity ?? "leaky_relu", options.a ?? 0);
  return gain / Math.sqrt(mode === "fanIn" ? fanIn : fanOut);
}

/**
 * Kaiming/He uniform init in place, as PyTorch's `kaiming_uniform_`: U(−bound, bound) with
 * bound = gain · √(3 / fan), where gain comes from `nonlinearity` (default `leaky_relu` with slope
 * `a` = 0, i.e. √2) and fan from `mode` (default `fanIn`). Needs at least 2 dimensions; a
 * zero-element tensor is left as it is. Returns the tensor.
 *
 * @example
 * ```ts
 * const layer = new Linear(16, 4);
 * // Linear's own init: a = √5 gives bound 1/√fanIn = 0.25
 * init.kaimingUniform_(layer.weight, { a: Math.sqrt(5) });
 * layer.weight.abs().max().le(0.25).item(); // → true
 * ```
 */
export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const std = kaimingStd("kaimingUniform_", tensor, options);
  if (std === null) return tensor;
  const bound = Math.sqrt(3) * std;
  return uniformFrom("kaimingUniform_", tensor, -bound, bound, options.generator);
}

/**
 * Kaiming/He normal init in place, as PyTorch's `kaiming_normal_`: N(0, std²) with
 * std = gain / √fan (defaults and checks as `kaimingUniform_`). Returns the tensor.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * // std = √2 / √128 = 0.125 for a relu layer with 128 inputs
 * const w = init.kaimingNormal_(zeros([256, 128]), { nonlinearity: "relu" });
 * w.std().sub(0.125).abs().lt(0.002).item(); // → true
 * ```
 */
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const std = kaimingStd("kaimingNormal_", tensor, options);
  if (std === null) return tensor;
  return normalFrom("kaimingNormal_", tensor, 0, std, options.generator);
}

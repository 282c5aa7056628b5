import { NablaError, type Tensor, pad } from "@nabla/tensor/functional";
import {
  conv1d,
  conv2d,
  type ConvOptions,
  convTranspose1d,
  convTranspose2d,
  type ConvTransposeOptions,
  type Size1d,
  type Size2d,
} from "@nabla/ops/functional";
import { checkBoolean, checkInteger, checkOptions, checkTensor, describeValue } from "@nabla/tensor/internal";
import { Module } from "../module";
import { pythonBool, pythonSize } from "../repr";
import { checkDType } from "./checks";
import { defaultParameters } from "./linear";

/** How a convolution layer pads its input: zeros, or `pad`'s reflect, replicate and circular modes. */
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

/** Options of `Conv1d` and `Conv2d`, as PyTorch's constructor arguments (camelCase). */
export interface ConvLayerOptions<S> {
  /** The step between windows (default 1). */
  stride?: S;
  /** Padding on both sides of each spatial dim (default 0), or `"valid"` (none) or `"same"` (stride 1 only). */
  padding?: S | "valid" | "same";
  /** The spacing of the kernel's taps (default 1). */
  dilation?: S;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** What the padding holds (default `"zeros"`). */
  paddingMode?: PaddingMode;
  /** The parameters' dtype (default float32). */
  dtype?: "float32" | "float64";
}

/** Options of `ConvTranspose1d` and `ConvTranspose2d`, as PyTorch's constructor arguments (camelCase). */
export interface ConvTransposeLayerOptions<S> {
  /** The stride of the convolution this one transposes (default 1). */
  stride?: S;
  /** The padding of the convolution this one transposes, cropped from the output (default 0). */
  padding?: S;
  /** Extra size added after the output's end (default 0). */
  outputPadding?: S;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** The spacing of the kernel's taps (default 1). */
  dilation?: S;
  /** The parameters' dtype (default float32). */
  dtype?: "float32" | "float64";
}

/** One of the @nabla/ops convolutions; the layer's options are checked there. */
type Convolution<O> = (input: Tensor, weight: Tensor, bias: Tensor | null, options: O) => Tensor;

const PADDING_MODES: readonly PaddingMode[] = ["zeros", "reflect", "replicate", "circular"];

/** One integer per spatial dim, from an integer or a list of `count`, each at least `min`. */
function sizes(op: string, name: string, value: unknown, count: number, min: number): number[] {
  const values = typeof value === "number" ? new Array<number>(count).fill(value) : value;
  if (!Array.isArray(values) || values.length !== count || !values.every((v) => Number.isSafeInteger(v) && v >= min)) {
    throw new NablaError(
      op,
      `${name} must be a ${min === 0 ? "non-negative" : "positive"} integer or ${count} of them, got ${describeValue(value)}`,
    );
  }
  return values;
}

/** What every convolution layer holds: sizes, options as given, and its parameters. */
abstract class ConvBase<O> extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** The kernel's size per spatial dim. */
  readonly kernelSize: number[];
  /** The stride per spatial dim. */
  readonly stride: number[];
  /** The dilation per spatial dim. */
  readonly dilation: number[];
  /** The number of channel groups. */
  readonly groups: number;
  /** The weight: `[out, in / groups, ...kernel]`, or `[in, out / groups, ...kernel]` when transposed (PyTorch's layouts). */
  weight: Tensor;
  /** The bias `[outChannels]`, or null when built with `{ bias: false }`. */
  bias: Tensor | null;
  /** The layer's name, for its errors. */
  protected readonly op: string;
  /** The @nabla/ops function this layer applies. */
  protected readonly convolve: Convolution<O>;

  constructor(
    op: string,
    spatial: number,
    convolve: Convolution<O>,
    transposed: boolean,
    inChannels: number,
    outChannels: number,
    kernelSize: unknown,
    layerOptions: ConvLayerOptions<unknown> | ConvTransposeLayerOptions<unknown>,
  ) {
    super();
    this.op = op;
    this.convolve = convolve;
    const options = checkOptions(op, layerOptions);
    this.inChannels = checkInteger(op, "inChannels", inChannels, { min: 1 });
    this.outChannels = checkInteger(op, "outChannels", outChannels, { min: 1 });
    this.kernelSize = sizes(op, "kernelSize", kernelSize, spatial, 1);
    this.stride = sizes(op, "stride", options.stride ?? 1, spatial, 1);
    this.dilation = sizes(op, "dilation", options.dilation ?? 1, spatial, 1);
    this.groups = checkInteger(op, "groups", options.groups ?? 1, { min: 1 });
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new NablaError(op, `inChannels ${inChannels} and outChannels ${outChannels} must both be divisible by groups ${this.groups}`);
    }
    const dtype = checkDType(op, options.dtype ?? "float32");
    const withBias = checkBoolean(op, "bias", options.bias ?? true);
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    const parameters = defaultParameters(shape, outChannels, withBias, dtype);
    this.weight = this.registerParameter("weight", parameters.weight);
    this.bias = this.registerParameter("bias", parameters.bias);
  }

  /** The options PyTorch's extra_repr lists after the sizes, when they differ from the defaults. */
  protected reprOptions(padding: string | number[], outputPadding: number[] | null, paddingMode: PaddingMode): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pythonSize(this.kernelSize)}, stride=${pythonSize(this.stride)}`;
    if (typeof padding === "string" || padding.some((p) => p !== 0))
      s += `, padding=${typeof padding === "string" ? padding : pythonSize(padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pythonSize(this.dilation)}`;
    if (outputPadding?.some((p) => p !== 0)) s += `, output_padding=${pythonSize(outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += `, bias=${pythonBool(false)}`;
    if (paddingMode !== "zeros") s += `, padding_mode=${paddingMode}`;
    return s;
  }
}

/** Conv1d and Conv2d: a convolution whose padding may be zeros or one of `pad`'s modes. */
abstract class ConvNd extends ConvBase<ConvOptions<unknown>> {
  /** The padding per spatial dim, or `"valid"` / `"same"`. */
  readonly padding: number[] | "valid" | "same";
  /** What the padding holds. */
  readonly paddingMode: PaddingMode;

  constructor(
    op: string,
    spatial: number,
    convolve: Convolution<ConvOptions<unknown>>,
    inChannels: number,
    outChannels: number,
    kernelSize: unknown,
    options: ConvLayerOptions<unknown>,
  ) {
    super(op, spatial, convolve, false, inChannels, outChannels, kernelSize, options);
    const padding = options.padding ?? 0;
    if (padding === "same" && this.stride.some((s) => s !== 1))
      throw new NablaError(op, `padding "same" needs stride 1, got stride ${pythonSize(this.stride)}`);
    this.padding = padding === "valid" || padding === "same" ? padding : sizes(op, "padding", padding, spatial, 0);
    const mode = options.paddingMode ?? "zeros";
    if (!PADDING_MODES.includes(mode)) {
      throw new NablaError(op, `paddingMode must be one of ${PADDING_MODES.map((m) => `"${m}"`).join(", ")}, got ${describeValue(mode)}`);
    }
    this.paddingMode = mode;
  }

  /** The convolution of `input` `[N, inChannels, ...spatial]` (or unbatched) with this layer's weight and bias. */
  forward(input: Tensor): Tensor {
    checkTensor(this.op, "input", input);
    const { stride, dilation, groups } = this;
    if (this.paddingMode === "zeros")
      return this.convolve(input, this.weight, this.bias, { stride, padding: this.padding, dilation, groups });
    // PyTorch pads with the mode first (pairs from the last dim backwards), then convolves unpadded
    const amounts = this.kernelSize.map((k, d) => {
      if (this.padding === "valid") return [0, 0];
      if (this.padding === "same") {
        const total = this.dilation[d]! * (k - 1);
        return [Math.floor(total / 2), total - Math.floor(total / 2)];
      }
      return [this.padding[d]!, this.padding[d]!];
    });
    return this.convolve(pad(input, amounts.reverse().flat(), { mode: this.paddingMode }), this.weight, this.bias, {
      stride,
      padding: 0,
      dilation,
      groups,
    });
  }

  /** The constructor's arguments that differ from the defaults, as PyTorch prints them. */
  override extraRepr(): string {
    return this.reprOptions(this.padding, null, this.paddingMode);
  }
}

/**
 * A 1-d convolution layer, as PyTorch's `nn.Conv1d(in_channels, out_channels, kernel_size, …)`:
 * `[N, inChannels, L]` (or unbatched `[inChannels, L]`) → `[N, outChannels, L']` through `conv1d`.
 * Parameters `weight` `[outChannels, inChannels / groups, k]` and `bias` `[outChannels]`,
 * initialised as PyTorch's (U(−1/√fanIn, 1/√fanIn), fanIn = inChannels / groups · k), so its state
 * dicts load as they are. `paddingMode` "reflect", "replicate" or "circular" pads with `pad` first.
 *
 * @example
 * ```ts
 * const conv = new Conv1d(4, 8, 3, { padding: 1 });
 * conv.weight.shape;                          // → [8, 4, 3]
 * conv.forward(randn([2, 4, 10])).shape;      // → [2, 8, 10]
 * String(new Conv1d(16, 33, 3, { stride: 2 })); // → "Conv1d(16, 33, kernel_size=(3,), stride=(2,))"
 * new Conv1d(3, 4, 3, { groups: 2 }); // throws Conv1d: inChannels 3 and outChannels 4 must both be divisible by groups 2
 * ```
 */
export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size1d, options: ConvLayerOptions<Size1d> = {}) {
    super("Conv1d", 1, conv1d as Convolution<ConvOptions<unknown>>, inChannels, outChannels, kernelSize, options);
  }
}

/**
 * A 2-d convolution layer, as PyTorch's `nn.Conv2d(in_channels, out_channels, kernel_size, …)`:
 * `[N, inChannels, H, W]` (or unbatched) → `[N, outChannels, H', W']` through `conv2d`. Parameters
 * `weight` `[outChannels, inChannels / groups, kH, kW]` and `bias` `[outChannels]`, initialised as
 * PyTorch's; sizes are an integer or a `[height, width]` pair.
 *
 * @example
 * ```ts
 * const conv = new Conv2d(3, 16, 3, { padding: "same", paddingMode: "reflect" });
 * conv.forward(randn([2, 3, 8, 8])).shape;    // → [2, 16, 8, 8]
 * conv.weight.shape;                           // → [16, 3, 3, 3]
 * String(new Conv2d(4, 8, [3, 5], { stride: [2, 1], groups: 4, bias: false })); // → "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 1), groups=4, bias=False)"
 * ```
 */
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: ConvLayerOptions<Size2d> = {}) {
    super("Conv2d", 2, conv2d as Convolution<ConvOptions<unknown>>, inChannels, outChannels, kernelSize, options);
  }
}

/** ConvTranspose1d and ConvTranspose2d. */
abstract class ConvTransposeNd extends ConvBase<ConvTransposeOptions<unknown>> {
  /** The padding cropped from the output, per spatial dim. */
  readonly padding: number[];
  /** The size added after the output's end, per spatial dim. */
  readonly outputPadding: number[];

  constructor(
    op: string,
    spatial: number,
    convolve: Convolution<ConvTransposeOptions<unknown>>,
    inChannels: number,
    outChannels: number,
    kernelSize: unknown,
    options: ConvTransposeLayerOptions<unknown>,
  ) {
    super(op, spatial, convolve, true, inChannels, outChannels, kernelSize, options);
    this.padding = sizes(op, "padding", options.padding ?? 0, spatial, 0);
    this.outputPadding = sizes(op, "outputPadding", options.outputPadding ?? 0, spatial, 0);
  }

  /** The transposed convolution of `input` `[N, inChannels, ...spatial]` (or unbatched). */
  forward(input: Tensor): Tensor {
    const { stride, padding, outputPadding, dilation, groups } = this;
    return this.convolve(checkTensor(this.op, "input", input), this.weight, this.bias, {
      stride,
      padding,
      outputPadding,
      dilation,
      groups,
    });
  }

  /** The constructor's arguments that differ from the defaults, as PyTorch prints them. */
  override extraRepr(): string {
    return this.reprOptions(this.padding, this.outputPadding, "zeros");
  }
}

/**
 * A transposed 1-d convolution layer, as PyTorch's `nn.ConvTranspose1d`: `[N, inChannels, L]` →
 * `[N, outChannels, L']` through `convTranspose1d`, with L' = (L − 1)·stride − 2·padding +
 * dilation·(k − 1) + outputPadding + 1. Parameters `weight` `[inChannels, outChannels / groups, k]`
 * and `bias` `[outChannels]`, initialised as PyTorch's.
 *
 * @example
 * ```ts
 * const up = new ConvTranspose1d(8, 4, 4, { stride: 2, padding: 1 });
 * up.weight.shape;                       // → [8, 4, 4]
 * up.forward(randn([2, 8, 5])).shape;    // → [2, 4, 10]
 * ```
 */
export class ConvTranspose1d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size1d, options: ConvTransposeLayerOptions<Size1d> = {}) {
    super(
      "ConvTranspose1d",
      1,
      convTranspose1d as Convolution<ConvTransposeOptions<unknown>>,
      inChannels,
      outChannels,
      kernelSize,
      options,
    );
  }
}

/**
 * A transposed 2-d convolution layer, as PyTorch's `nn.ConvTranspose2d`, through
 * `convTranspose2d`. Parameters `weight` `[inChannels, outChannels / groups, kH, kW]` and `bias`
 * `[outChannels]`, initialised as PyTorch's.
 *
 * @example
 * ```ts
 * const up = new ConvTranspose2d(8, 3, 2, { stride: 2 });
 * up.forward(randn([1, 8, 4, 4])).shape; // → [1, 3, 8, 8]
 * String(up);                            // → "ConvTranspose2d(8, 3, kernel_size=(2, 2), stride=(2, 2))"
 * ```
 */
export class ConvTranspose2d extends ConvTransposeNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: ConvTransposeLayerOptions<Size2d> = {}) {
    super(
      "ConvTranspose2d",
      2,
      convTranspose2d as Convolution<ConvTransposeOptions<unknown>>,
      inChannels,
      outChannels,
      kernelSize,
      options,
    );
  }
}

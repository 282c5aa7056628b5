import type { Tensor } from "@nabla/tensor/functional";
import {
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  type AdaptiveSize2d,
  avgPool1d,
  avgPool2d,
  type AvgPoolOptions,
  maxPool1d,
  maxPool2d,
  type MaxPoolOptions,
  type Size1d,
  type Size2d,
} from "@nabla/ops/functional";
import { checkOptions } from "@nabla/tensor/internal";
import { Module } from "../module";
import { pythonBool, pythonSize } from "../repr";

// Pooling layers hold their arguments as given (PyTorch prints them so) and leave checking them
// to the @nabla/ops function each forward calls, as PyTorch's pooling modules do.

/** As Python prints a size: `3` or `(3, 2)`. */
const show = (value: unknown) => pythonSize(value as number | readonly (number | null)[]);

/** What the max and average pooling layers hold: the window's size and the options, as given. */
abstract class PoolNd<S, O extends object> extends Module {
  /** The window's size. */
  readonly kernelSize: S;
  /** The pooling's options, as given. */
  readonly options: O;

  constructor(op: string, kernelSize: S, options: O) {
    super();
    this.kernelSize = kernelSize;
    this.options = { ...checkOptions(op, options) } as O; // every pooling option is optional
  }
}

/** MaxPool1d and MaxPool2d. */
abstract class MaxPoolNd<S> extends PoolNd<S, MaxPoolOptions<S>> {
  /** `kernel_size=…, stride=…, padding=…, dilation=…, ceil_mode=…`, as PyTorch prints a max pooling. */
  override extraRepr(): string {
    const { stride, padding = 0, dilation = 1, ceilMode = false } = this.options;
    return `kernel_size=${show(this.kernelSize)}, stride=${show(stride ?? this.kernelSize)}, padding=${show(padding)}, dilation=${show(dilation)}, ceil_mode=${pythonBool(ceilMode)}`;
  }
}

/**
 * Max pooling along the last dim, as PyTorch's `nn.MaxPool1d(kernel_size, stride, padding,
 * dilation, ceil_mode=…)`: `maxPool1d` with this layer's options.
 *
 * @example
 * ```ts
 * const pool = new MaxPool1d(2);
 * pool.forward(tensor([[[1, 3, 2, 5]]])); // → [[[3, 5]]]
 * String(pool); // → "MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
 * ```
 */
export class MaxPool1d extends MaxPoolNd<Size1d> {
  constructor(kernelSize: Size1d, options: MaxPoolOptions<Size1d> = {}) {
    super("MaxPool1d", kernelSize, options);
  }

  /** `maxPool1d(input, kernelSize, options)` for `[N, C, L]` or `[C, L]`. */
  forward(input: Tensor): Tensor {
    return maxPool1d(input, this.kernelSize, this.options);
  }
}

/**
 * Max pooling over the last two dims, as PyTorch's `nn.MaxPool2d`: `maxPool2d` with this layer's
 * options.
 *
 * @example
 * ```ts
 * const pool = new MaxPool2d(2, { stride: 1 });
 * pool.forward(tensor([[[[1, 2, 3], [4, 5, 6]]]])); // → [[[[5, 6]]]]
 * ```
 */
export class MaxPool2d extends MaxPoolNd<Size2d> {
  constructor(kernelSize: Size2d, options: MaxPoolOptions<Size2d> = {}) {
    super("MaxPool2d", kernelSize, options);
  }

  /** `maxPool2d(input, kernelSize, options)` for `[N, C, H, W]` or `[C, H, W]`. */
  forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, this.options);
  }
}

/**
 * Average pooling along the last dim, as PyTorch's `nn.AvgPool1d(kernel_size, stride, padding,
 * ceil_mode, count_include_pad)`: `avgPool1d` with this layer's options.
 *
 * @example
 * ```ts
 * const pool = new AvgPool1d(2);
 * pool.forward(tensor([[[1, 3, 2, 6]]])); // → [[[2, 4]]]
 * String(pool); // → "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
 * ```
 */
export class AvgPool1d extends PoolNd<Size1d, AvgPoolOptions<Size1d>> {
  constructor(kernelSize: Size1d, options: AvgPoolOptions<Size1d> = {}) {
    super("AvgPool1d", kernelSize, options);
  }

  /** `avgPool1d(input, kernelSize, options)` for `[N, C, L]` or `[C, L]`. */
  forward(input: Tensor): Tensor {
    return avgPool1d(input, this.kernelSize, this.options);
  }

  /** `kernel_size=(k,), stride=(s,), padding=(p,)`: PyTorch's AvgPool1d keeps its sizes as 1-tuples. */
  override extraRepr(): string {
    const single = (value: unknown) => show(typeof value === "number" ? [value] : value);
    const { stride, padding = 0 } = this.options;
    return `kernel_size=${single(this.kernelSize)}, stride=${single(stride ?? this.kernelSize)}, padding=${single(padding)}`;
  }
}

/**
 * Average pooling over the last two dims, as PyTorch's `nn.AvgPool2d`: `avgPool2d` with this
 * layer's options.
 *
 * @example
 * ```ts
 * const pool = new AvgPool2d(2);
 * pool.forward(tensor([[[[1, 2], [3, 6]]]])); // → [[[[3]]]]
 * String(new AvgPool2d(3, { stride: 2, padding: 1 })); // → "AvgPool2d(kernel_size=3, stride=2, padding=1)"
 * ```
 */
export class AvgPool2d extends PoolNd<Size2d, AvgPoolOptions<Size2d>> {
  constructor(kernelSize: Size2d, options: AvgPoolOptions<Size2d> = {}) {
    super("AvgPool2d", kernelSize, options);
  }

  /** `avgPool2d(input, kernelSize, options)` for `[N, C, H, W]` or `[C, H, W]`. */
  forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, this.options);
  }

  /** `kernel_size=…, stride=…, padding=…`, as PyTorch prints an AvgPool2d. */
  override extraRepr(): string {
    const { stride, padding = 0 } = this.options;
    return `kernel_size=${show(this.kernelSize)}, stride=${show(stride ?? this.kernelSize)}, padding=${show(padding)}`;
  }
}

/**
 * Adaptive average pooling along the last dim to `outputSize`, as PyTorch's
 * `nn.AdaptiveAvgPool1d`.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool1d(2).forward(tensor([[[1, 3, 2, 6]]])); // → [[[2, 4]]]
 * String(new AdaptiveAvgPool1d(2)); // → "AdaptiveAvgPool1d(output_size=2)"
 * ```
 */
export class AdaptiveAvgPool1d extends Module {
  /** The output's size. */
  readonly outputSize: Size1d;

  constructor(outputSize: Size1d) {
    super();
    this.outputSize = outputSize;
  }

  /** `adaptiveAvgPool1d(input, outputSize)` for `[N, C, L]` or `[C, L]`. */
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool1d(input, this.outputSize);
  }

  /** `output_size=…`, as PyTorch prints it. */
  override extraRepr(): string {
    return `output_size=${show(this.outputSize)}`;
  }
}

/**
 * Adaptive average pooling over the last two dims to `outputSize`, as PyTorch's
 * `nn.AdaptiveAvgPool2d`; `new AdaptiveAvgPool2d(1)` is global average pooling.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool2d(1).forward(ones([2, 3, 5, 5])).shape; // → [2, 3, 1, 1]
 * String(new AdaptiveAvgPool2d([5, null])); // → "AdaptiveAvgPool2d(output_size=(5, None))"
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** The output's size; null keeps the input's along that dim. */
  readonly outputSize: AdaptiveSize2d;

  constructor(outputSize: AdaptiveSize2d) {
    super();
    this.outputSize = outputSize;
  }

  /** `adaptiveAvgPool2d(input, outputSize)` for `[N, C, H, W]` or `[C, H, W]`. */
  forward(input: Tensor): Tensor {
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  /** `output_size=…`, as PyTorch prints it. */
  override extraRepr(): string {
    return `output_size=${show(this.outputSize)}`;
  }
}

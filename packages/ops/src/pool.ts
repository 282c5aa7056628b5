import {
  defineOp,
  div,
  formatShape,
  indexSelect,
  mean,
  NablaError,
  narrow,
  pad,
  type OpContext,
  reshape,
  squeeze,
  sum,
  Tensor,
  tensor,
  to,
} from "@nabla/tensor/functional";
import { checkBoolean, checkOptions, describeValue, scatterAddToZeros, type WindowGeometry } from "@nabla/tensor/internal";
import { asPlanes, batchedInput, im2col, type Size1d, type Size2d, sizeTuple, windowGeometry } from "./conv";

// Pooling over the same windows as convolution. Max pooling is one primitive giving each window's
// maximum and where it came from; its gradient is a scatter-add to those positions (whose own
// gradient is a gather). Average pooling sums im2col's columns (taps outside the input, padding
// or past the end with ceilMode, read as zero). Adaptive average pooling has windows of varying
// sizes, so it gathers each window's inputs per spatial dim and averages them.

/** The output size of `adaptiveAvgPool2d`: one size for both dims, or `[height, width]` where null keeps the input's. */
export type AdaptiveSize2d = number | readonly [number | null, number | null];

/** Options of `maxPool1d` and `maxPool2d`. */
export interface MaxPoolOptions<S> {
  /** The step between windows (default the kernel size). */
  stride?: S;
  /** -Infinity added on both sides of each spatial dim, at most half the kernel size (default 0). */
  padding?: S;
  /** The spacing of a window's taps (default 1). */
  dilation?: S;
  /** Round the output size up, keeping a last window that starts inside the input or left padding (default false). */
  ceilMode?: boolean;
}

/** Options of `avgPool1d` and `avgPool2d`. */
export interface AvgPoolOptions<S> {
  /** The step between windows (default the kernel size). */
  stride?: S;
  /** Zeros added on both sides of each spatial dim, at most half the kernel size (default 0). */
  padding?: S;
  /** Round the output size up, as in `maxPool2d` (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in each window's divisor (default true). */
  countIncludePad?: boolean;
}

/** A pooling's windows: kernel, stride, padding, dilation and the output size per spatial dim. */
interface PoolGeometry {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
  out: number[];
}

function poolGeometry(
  op: string,
  x: Tensor,
  spatial: number,
  kernelSize: unknown,
  options: { stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown },
): PoolGeometry {
  const kernel = sizeTuple(op, "kernelSize", kernelSize, spatial, 1);
  const stride = options.stride === undefined || options.stride === null ? kernel : sizeTuple(op, "stride", options.stride, spatial, 1);
  const padding = sizeTuple(op, "padding", options.padding ?? 0, spatial, 0);
  const dilation = sizeTuple(op, "dilation", options.dilation ?? 1, spatial, 1);
  const ceilMode = checkBoolean(op, "ceilMode", options.ceilMode ?? false);
  if (padding.some((p, d) => p > Math.floor(kernel[d]! / 2))) {
    throw new NablaError(op, `padding ${formatShape(padding)} must be at most half of kernel size ${formatShape(kernel)}`);
  }
  const sizes = x.shape.slice(2);
  const out = sizes.map((size, d) => {
    const [k, s, p] = [kernel[d]!, stride[d]!, padding[d]!];
    const span = dilation[d]! * (k - 1) + 1;
    let count = Math.floor((size + 2 * p - span + (ceilMode ? s - 1 : 0)) / s) + 1;
    // with ceilMode, the last window must start inside the input or the left padding (PyTorch's rule)
    if (ceilMode && (count - 1) * s >= size + p) count--;
    return count;
  });
  if (out.some((size) => size < 1)) {
    throw new NablaError(
      op,
      `output size ${formatShape(out)} is too small for input ${formatShape(x.shape)} (kernel ${formatShape(kernel)}, stride ${formatShape(stride)}, padding ${formatShape(padding)}, dilation ${formatShape(dilation)})`,
    );
  }
  return { kernel, stride, padding, dilation, out };
}

/**
 * Whether some window has no tap inside the input (dilated taps can all fall in the padding):
 * its maximum is -Infinity and its index one past the plane, where no gradient goes.
 */
function hasEmptyWindow(g: WindowGeometry, size: readonly number[]): boolean {
  return [0, 1].some((d) =>
    Array.from({ length: g.out[d]! }, (_, o) => o * g.stride[d]! - g.padding[d]!).some((start) =>
      Array.from({ length: g.kernel[d]! }, (_, k) => start + k * g.dilation[d]!).every((at) => at < 0 || at >= size[d]!),
    ),
  );
}

/** Each window's maximum of `[N, C, H, W]`; the first maximum takes the whole gradient, as PyTorch. */
const maxPoolOp = defineOp({
  name: "maxPool",
  forward(ctx: OpContext<{ inputShape: readonly number[]; spill: boolean }>, x: Tensor, geometry: WindowGeometry) {
    const { backend } = x.storage;
    const { values, indices } = backend.run.maxPool(x, geometry, x.dtype);
    const [batch, channels] = x.shape as [number, number];
    const planes = geometry.out[0] * geometry.out[1];
    ctx.inputShape = x.shape;
    ctx.spill = hasEmptyWindow(geometry, x.shape.slice(2));
    ctx.save(Tensor.fromBuffer(backend, indices, [batch, channels, planes], "int32"));
    return Tensor.fromBuffer(backend, values, [batch, channels, ...geometry.out], x.dtype);
  },
  backward(ctx, gradOut) {
    const [indices] = ctx.saved as [Tensor];
    const [batch, channels, height, width] = ctx.inputShape as [number, number, number, number];
    // one extra slot per plane takes the gradient of windows with no tap inside the input
    const plane = height * width;
    // the kernel's positions are in range by construction: no index check
    const scattered = scatterAddToZeros([batch, channels, ctx.spill ? plane + 1 : plane], 2, indices, reshape(gradOut, indices.shape));
    return [reshape(ctx.spill ? narrow(scattered, 2, 0, plane) : scattered, ctx.inputShape)];
  },
  formula: { forward: "y[n, c, i, j] = max of window (i, j); index = where", backward: "x̄[n, c, index[n, c, i, j]] += ȳ[n, c, i, j]" },
});

function maxPoolNd(op: string, spatial: number, input: Tensor, kernelSize: unknown, options: MaxPoolOptions<unknown> | undefined): Tensor {
  const { x, batched } = batchedInput(op, input, spatial);
  const g = poolGeometry(op, x, spatial, kernelSize, checkOptions(op, options));
  const geometry = windowGeometry(g.kernel, g.stride, g.padding, g.dilation, g.out);
  const y = reshape(maxPoolOp(asPlanes(x), geometry), [...x.shape.slice(0, 2), ...g.out]);
  return batched ? y : squeeze(y, 0);
}

/** Per output position along one dim, how many elements its window averages. */
function windowCounts(size: number, kernel: number, stride: number, padding: number, out: number, includePad: boolean): number[] {
  return Array.from({ length: out }, (_, o) => {
    const start = o * stride - padding;
    // a window never counts what lies past the right padding (ceilMode's extra window)
    const end = Math.min(start + kernel, size + padding);
    return includePad ? end - start : Math.min(end, size) - Math.max(start, 0);
  });
}

function avgPoolNd(op: string, spatial: number, input: Tensor, kernelSize: unknown, options: AvgPoolOptions<unknown> | undefined): Tensor {
  const { x, batched } = batchedInput(op, input, spatial);
  const opts = checkOptions(op, options);
  const includePad = checkBoolean(op, "countIncludePad", opts.countIncludePad ?? true);
  const g = poolGeometry(op, x, spatial, kernelSize, { ...opts, dilation: 1 });
  const columns = im2col(x, windowGeometry(g.kernel, g.stride, g.padding, g.dilation, g.out));
  const [batch, channels] = x.shape as [number, number];
  const sums = sum(reshape(columns, [batch, channels, -1, ...g.out]), 2);
  const counts = g.out.map((out, d) => windowCounts(x.shape[2 + d]!, g.kernel[d]!, g.stride[d]!, g.padding[d]!, out, includePad));
  const divisor = counts.reduce<number[]>((acc, along) => acc.flatMap((a) => along.map((c) => a * c)), [1]);
  const y = div(sums, to(tensor(Float64Array.from(divisor), { shape: g.out }), x.dtype));
  return batched ? y : squeeze(y, 0);
}

/** The largest out × size per dim (2²⁶), which bounds the window slots adaptive pooling gathers. */
const MAX_WINDOW_SLOTS = 2 ** 26;

/**
 * Adaptive average pooling of `x` along `dim` to `out` windows: output i averages the inputs from
 * ⌊i·size/out⌋ to ⌈(i + 1)·size/out⌉ (exclusive), as PyTorch. Windows of one length that tile the
 * dim are its pieces' means. Otherwise each window's inputs are gathered along `dim` into `[out,
 * K]` slots (K the longest window); the slots past a shorter window's end read a zero padded after
 * the dim's end (a sum, never a product with 0, so an Infinity or NaN reaches only the windows
 * that hold it).
 */
function adaptiveAverage(x: Tensor, dim: number, out: number): Tensor {
  const size = x.shape[dim]!;
  if (size % out === 0) {
    return mean(reshape(x, [...x.shape.slice(0, dim), out, size / out, ...x.shape.slice(dim + 1)]), dim + 1);
  }
  const starts = Array.from({ length: out }, (_, i) => Math.floor((i * size) / out));
  const ends = Array.from({ length: out }, (_, i) => Math.ceil(((i + 1) * size) / out));
  const slots = Math.max(0, ...ends.map((end, i) => end - starts[i]!));
  // slot k of window i reads input starts[i] + k, or the zero at `size` past the window's end
  const index = new Int32Array(out * slots);
  for (let i = 0; i < out; i++) {
    for (let k = 0; k < slots; k++) index[i * slots + k] = starts[i]! + k < ends[i]! ? starts[i]! + k : size;
  }
  // pad's pairs run from the last dim: a zero after the end of `dim`
  const padded = pad(x, [...new Array<number>(2 * (x.ndim - 1 - dim)).fill(0), 0, 1]);
  const gathered = indexSelect(padded, dim, tensor(index, { shape: [out * slots] }));
  const sums = sum(reshape(gathered, [...x.shape.slice(0, dim), out, slots, ...x.shape.slice(dim + 1)]), dim + 1);
  const lengths = Float64Array.from(ends, (end, i) => end - starts[i]!);
  const counts = to(tensor(lengths, { shape: [out, ...x.shape.slice(dim + 1).map(() => 1)] }), x.dtype);
  return div(sums, counts);
}

function adaptiveAvgPoolNd(op: string, spatial: number, input: Tensor, outputSize: unknown): Tensor {
  const { x, batched } = batchedInput(op, input, spatial);
  const sizes = x.shape.slice(2);
  if (sizes.some((size) => size === 0)) throw new NablaError(op, `expected non-zero spatial sizes, got input ${formatShape(input.shape)}`);
  // null keeps that dim's size, as PyTorch's None
  const given = typeof outputSize === "number" ? new Array<unknown>(spatial).fill(outputSize) : outputSize;
  if (!Array.isArray(given) || given.length !== spatial) {
    throw new NablaError(op, `outputSize must be a non-negative integer or ${spatial} of them, got ${describeValue(outputSize)}`);
  }
  const checked = sizeTuple(
    op,
    "outputSize",
    given.map((size, d) => (size === null ? sizes[d]! : size)),
    spatial,
    0,
  );
  if (checked.some((out, d) => out * sizes[d]! > MAX_WINDOW_SLOTS)) {
    throw new NablaError(op, `outputSize ${formatShape(checked)} is too large for input ${formatShape(input.shape)}`);
  }
  // one spatial dim after the other: a 2-d window's mean is the mean of its rows' means
  let y = x;
  for (let d = 0; d < spatial; d++) y = adaptiveAverage(y, 2 + d, checked[d]!);
  return batched ? y : squeeze(y, 0);
}

/**
 * The maximum of each window of `kernelSize` along the last dim of `input` `[N, C, L]` (or
 * `[C, L]`), as PyTorch's `F.max_pool1d`: windows every `stride` (default `kernelSize`), with
 * `padding` (-Infinity, at most half the kernel) and `dilation`; `ceilMode` rounds the output size
 * up. The gradient goes to each window's first maximum.
 *
 * @example
 * ```ts
 * const x = tensor([[[1, 5, 2, 4, 3]]]);
 * maxPool1d(x, 2);                       // → [[[5, 4]]]
 * maxPool1d(x, 2, { ceilMode: true });   // → [[[5, 4, 3]]]
 * maxPool1d(x, 3, { stride: 1, padding: 1 }); // → [[[5, 5, 5, 4, 4]]]
 * maxPool1d(x, 6); // throws maxPool1d: output size [0] is too small for input [1, 1, 5] (kernel [6], stride [6], padding [0], dilation [1])
 * ```
 */
export function maxPool1d(input: Tensor, kernelSize: Size1d, options?: MaxPoolOptions<Size1d>): Tensor {
  return maxPoolNd("maxPool1d", 1, input, kernelSize, options);
}

/**
 * The maximum of each `kernelSize` window of `input` `[N, C, H, W]` (or `[C, H, W]`), as
 * PyTorch's `F.max_pool2d`, with its stride (default the kernel size), padding, dilation and
 * ceilMode; each an integer or a `[height, width]` pair.
 *
 * @example
 * ```ts
 * const x = arange(0, 16, 1, { dtype: "float32" }).reshape([1, 1, 4, 4]);
 * maxPool2d(x, 2);                            // → [[[[5, 7], [13, 15]]]]
 * maxPool2d(x, 3, { stride: 2, ceilMode: true }).shape; // → [1, 1, 2, 2]
 * ```
 */
export function maxPool2d(input: Tensor, kernelSize: Size2d, options?: MaxPoolOptions<Size2d>): Tensor {
  return maxPoolNd("maxPool2d", 2, input, kernelSize, options);
}

/**
 * The mean of each window of `kernelSize` along the last dim of `input` `[N, C, L]` (or
 * `[C, L]`), as PyTorch's `F.avg_pool1d`: zero `padding` counts in the divisor unless
 * `countIncludePad` is false; `ceilMode` rounds the output size up.
 *
 * @example
 * ```ts
 * const x = tensor([[[1, 2, 3, 4, 5]]]);
 * avgPool1d(x, 2);                                               // → [[[1.5, 3.5]]]
 * avgPool1d(x, 2, { ceilMode: true });                           // → [[[1.5, 3.5, 5]]]
 * avgPool1d(x, 3, { stride: 2, padding: 1 });                     // → [[[1, 3, 3]]]
 * avgPool1d(x, 3, { stride: 2, padding: 1, countIncludePad: false }); // → [[[1.5, 3, 4.5]]]
 * ```
 */
export function avgPool1d(input: Tensor, kernelSize: Size1d, options?: AvgPoolOptions<Size1d>): Tensor {
  return avgPoolNd("avgPool1d", 1, input, kernelSize, options);
}

/**
 * The mean of each `kernelSize` window of `input` `[N, C, H, W]` (or `[C, H, W]`), as PyTorch's
 * `F.avg_pool2d`, with its stride, padding, ceilMode and countIncludePad.
 *
 * @example
 * ```ts
 * const x = arange(0, 16, 1, { dtype: "float32" }).reshape([1, 1, 4, 4]);
 * avgPool2d(x, 2); // → [[[[2.5, 4.5], [10.5, 12.5]]]]
 * ```
 */
export function avgPool2d(input: Tensor, kernelSize: Size2d, options?: AvgPoolOptions<Size2d>): Tensor {
  return avgPoolNd("avgPool2d", 2, input, kernelSize, options);
}

/**
 * The average over `outputSize` windows that cover the last dim of `input` `[N, C, L]` (or
 * `[C, L]`), as PyTorch's `F.adaptive_avg_pool1d`: output i averages inputs ⌊i·L/out⌋ up to
 * ⌈(i + 1)·L/out⌉.
 *
 * @example
 * ```ts
 * adaptiveAvgPool1d(tensor([[[1, 2, 3, 4, 5]]]), 2); // → [[[2, 4]]]
 * adaptiveAvgPool1d(tensor([[[1, 2, 3, 4, 5]]]), 1); // → [[[3]]]
 * ```
 */
export function adaptiveAvgPool1d(input: Tensor, outputSize: Size1d): Tensor {
  return adaptiveAvgPoolNd("adaptiveAvgPool1d", 1, input, outputSize);
}

/**
 * Adaptive average pooling of `input` `[N, C, H, W]` (or `[C, H, W]`) to `outputSize` (an integer,
 * or `[height, width]` where null keeps that size), as PyTorch's `F.adaptive_avg_pool2d`;
 * `adaptiveAvgPool2d(x, 1)` is global average pooling.
 *
 * @example
 * ```ts
 * const x = arange(0, 16, 1, { dtype: "float32" }).reshape([1, 1, 4, 4]);
 * adaptiveAvgPool2d(x, 1);                 // → [[[[7.5]]]]
 * adaptiveAvgPool2d(x, [2, null]).shape;   // → [1, 1, 2, 4]
 * ```
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize2d): Tensor {
  return adaptiveAvgPoolNd("adaptiveAvgPool2d", 2, input, outputSize);
}

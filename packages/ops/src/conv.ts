import {
  add,
  defineOp,
  formatShape,
  isGradEnabled,
  matmul,
  NablaError,
  type OpContext,
  permute,
  reshape,
  squeeze,
  sum,
  Tensor,
  transpose,
  unsqueeze,
} from "@nabla/tensor/functional";
import { checkInteger, checkOptions, checkTensor, describeValue, numelOf, type WindowGeometry } from "@nabla/tensor/internal";

// Convolution as im2col: the windows of the input (zero outside it) are columns, and each group is
// one matmul of the weight with them. Forward is the conv2d primitive and backward its two gradient
// primitives, which keep the columns inside the backend; under createGraph, backward writes the
// same route with the im2col, col2im and matmul ops. im2col and col2im are linear and each other's
// adjoint, so each op's backward is the other and gradients of any order come from them and
// matmul's. The transposed convolution is that adjoint written forwards: a matmul with the weight,
// then col2im of the columns.

/** A size given for every spatial dim: one integer for all, or one per dim. */
export type Size1d = number | readonly [number];
/** A size given for both spatial dims: one integer for both, or `[height, width]`. */
export type Size2d = number | readonly [number, number];

/** Options of `conv1d` and `conv2d`. */
export interface ConvOptions<S> {
  /** The step between windows (default 1). */
  stride?: S;
  /**
   * Zeros added on both sides of each spatial dim (default 0); `"valid"` is 0, `"same"` pads so the
   * output has the input's size (stride 1 only; an odd total puts the extra zero after).
   */
  padding?: S | "valid" | "same";
  /** The spacing of the kernel's taps (default 1). */
  dilation?: S;
  /** Split channels into this many independent groups (default 1); as many as channels is depthwise. */
  groups?: number;
}

/** Options of `convTranspose1d` and `convTranspose2d`. */
export interface ConvTransposeOptions<S> {
  /** The stride of the convolution this one transposes (default 1). */
  stride?: S;
  /** The padding of the convolution this one transposes: cropped from the output (default 0). */
  padding?: S;
  /** Extra size added after the output's end, to pick one of the shapes a strided convolution maps from (default 0). */
  outputPadding?: S;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** The spacing of the kernel's taps (default 1). */
  dilation?: S;
}

/** Options of `unfold`. */
export interface UnfoldOptions {
  /** The spacing of the kernel's taps (default 1). */
  dilation?: Size2d;
  /** Zeros added on both sides of each spatial dim (default 0). */
  padding?: Size2d;
  /** The step between windows (default 1). */
  stride?: Size2d;
}

/** One integer per spatial dim, from an integer or a list of `count`, each at least `min`. */
export function sizeTuple(op: string, name: string, value: unknown, count: number, min: number): number[] {
  const values = typeof value === "number" ? new Array<number>(count).fill(value) : value;
  if (!Array.isArray(values) || values.length !== count || !values.every((v) => Number.isSafeInteger(v) && v >= min)) {
    const what = min === 0 ? "non-negative" : "positive";
    throw new NablaError(op, `${name} must be a ${what} integer or ${count} of them, got ${describeValue(value)}`);
  }
  return values;
}

/**
 * The input as `[N, C, ...spatial]` (an unbatched `[C, ...spatial]` gets N = 1), after checking
 * its rank and that it is float32 or float64.
 */
export function batchedInput(op: string, input: unknown, spatial: number): { x: Tensor; batched: boolean } {
  const x = checkTensor(op, "input", input);
  if (x.ndim !== spatial + 1 && x.ndim !== spatial + 2) {
    throw new NablaError(
      op,
      `expected a ${spatial + 1}-d (unbatched) or ${spatial + 2}-d (batched) input, got shape ${formatShape(x.shape)}`,
    );
  }
  if (x.dtype !== "float32" && x.dtype !== "float64") throw new NablaError(op, `expected a float32 or float64 input, got ${x.dtype}`);
  return { x: x.ndim === spatial + 2 ? x : unsqueeze(x, 0), batched: x.ndim === spatial + 2 };
}

/** An `[N, C, H, W]` tensor's windows and the plane size they slide over. */
type WindowFields = { geometry: WindowGeometry; size: [number, number] };

/**
 * im2col: `[N, C, H, W]` → `[N, C·kH·kW, outH·outW]`, zero where a tap falls outside the input;
 * a view of columns stored `[C·kH·kW, N, outH·outW]` (see `convNd`).
 */
const im2colOp: (x: Tensor, geometry: WindowGeometry) => Tensor = defineOp({
  name: "im2col",
  forward(ctx: OpContext<WindowFields>, x: Tensor, geometry: WindowGeometry) {
    ctx.geometry = geometry;
    ctx.size = [x.shape[2]!, x.shape[3]!];
    const [batch, channels] = x.shape as [number, number];
    const { backend } = x.storage;
    const shape = [channels * geometry.kernel[0] * geometry.kernel[1], batch, geometry.out[0] * geometry.out[1]];
    return permute(Tensor.fromBuffer(backend, backend.run.im2col(x, geometry, x.dtype), shape, x.dtype), [1, 0, 2]);
  },
  backward(ctx, gradOut) {
    return [col2imOp(gradOut, ctx.geometry, ctx.size)];
  },
  formula: { forward: "cols[n, (c, p, q), (i, j)] = x[n, c, i·s + p·d − pad, j·s + q·d − pad]", backward: "x̄ = col2im(cols̄)" },
});

/** col2im, im2col's adjoint: `[N, C·kH·kW, outH·outW]` added back into `[N, C, ...size]`. */
const col2imOp: (columns: Tensor, geometry: WindowGeometry, size: [number, number]) => Tensor = defineOp({
  name: "col2im",
  forward(ctx: OpContext<WindowFields>, columns: Tensor, geometry: WindowGeometry, size: [number, number]) {
    ctx.geometry = geometry;
    ctx.size = size;
    const [batch, taps] = columns.shape as [number, number];
    const { backend } = columns.storage;
    const shape = [batch, taps / (geometry.kernel[0] * geometry.kernel[1]), ...size];
    return Tensor.fromBuffer(backend, backend.run.col2im(columns, geometry, size, columns.dtype), shape, columns.dtype);
  },
  backward(ctx, gradOut) {
    return [im2colOp(gradOut, ctx.geometry)];
  },
  formula: { forward: "y[n, c, i·s + p·d − pad, j·s + q·d − pad] += cols[n, (c, p, q), (i, j)]", backward: "cols̄ = im2col(ȳ)" },
});

/**
 * conv2d of x `[N, C, H, W]` with weight `[O, C/groups, kH, kW]` (plus bias `[O]`) over
 * `geometry`'s windows: `[N, O, outH, outW]`, one primitive forwards. Backward is the gradients'
 * primitives, or, where a graph of the gradients is wanted (createGraph), the same im2col route in
 * differentiable ops; either way the columns are recomputed, not kept from forward.
 */
const conv2dOp: (x: Tensor, weight: Tensor, bias: Tensor | null, geometry: WindowGeometry, groups: number) => Tensor = defineOp({
  name: "conv2d",
  forward(ctx: OpContext<{ geometry: WindowGeometry; groups: number; hasBias: boolean }>, x, weight, bias, geometry, groups) {
    ctx.geometry = geometry;
    ctx.groups = groups;
    ctx.hasBias = bias !== null;
    ctx.save(x, weight);
    const { backend } = x.storage;
    const shape = [x.shape[0]!, weight.shape[0]!, ...geometry.out];
    return Tensor.fromBuffer(backend, backend.run.conv2d(x, weight, bias, geometry, groups, x.dtype), shape, x.dtype);
  },
  backward(ctx, gradOut) {
    const [x, weight] = ctx.saved as [Tensor, Tensor];
    const { geometry, groups } = ctx;
    const [needsX, needsWeight, needsBias] = ctx.needsInputGrad;
    const [batch, outChannels] = gradOut.shape as [number, number];
    const size = [x.shape[2]!, x.shape[3]!] as [number, number];
    let dx: Tensor | null = null;
    let dWeight: Tensor | null = null;
    if (!isGradEnabled()) {
      // no graph of the gradients wanted: the gradients' primitives, whose columns stay in the backend
      const { backend } = gradOut.storage;
      if (needsX)
        dx = Tensor.fromBuffer(backend, backend.run.conv2dInputGrad(gradOut, weight, geometry, groups, size, x.dtype), x.shape, x.dtype);
      if (needsWeight)
        dWeight = Tensor.fromBuffer(backend, backend.run.conv2dWeightGrad(x, gradOut, geometry, groups, x.dtype), weight.shape, x.dtype);
    } else {
      const perGroup = outChannels / groups;
      const rows = numelOf(weight.shape.slice(1));
      const positions = geometry.out[0] * geometry.out[1];
      // ḡ [N, O, outH, outW] as [G, O/G, N · outH·outW], the columns as [G, C/G · kH·kW, N · outH·outW]
      const g = reshape(transpose(reshape(gradOut, [batch, outChannels, positions]), 0, 1), [groups, perGroup, batch * positions]);
      if (needsX) {
        const columns = matmul(transpose(reshape(weight, [groups, perGroup, rows]), -2, -1), g);
        dx = col2imOp(permute(reshape(columns, [groups * rows, batch, positions]), [1, 0, 2]), geometry, size);
      }
      if (needsWeight) {
        const columns = reshape(permute(im2colOp(x, geometry), [1, 0, 2]), [groups, rows, batch * positions]);
        dWeight = reshape(matmul(g, transpose(columns, -2, -1)), weight.shape);
      }
    }
    if (!ctx.hasBias) return [dx, dWeight];
    // summed along each sample's plane first (rows), then down the [N, O] sums' columns
    return [dx, dWeight, needsBias ? sum(sum(reshape(gradOut, [batch, outChannels, -1]), 2), 0) : null];
  },
  formula: {
    forward: "y[n, o] = b[o] + Σ_(c, p, q) W[o, c, p, q] · x[n, c, i·s + p·d − pad, j·s + q·d − pad]",
    backward: "x̄ = col2im(Wᵀ·ȳ),  W̄ = ȳ·im2col(x)ᵀ,  b̄ = Σ ȳ",
  },
});

/**
 * A 1-d or 2-d geometry as the 2-d one the window primitives take (a 1-d input is `[N, C, 1, L]`),
 * with the padding before each dim.
 */
export function windowGeometry(
  kernel: readonly number[],
  stride: readonly number[],
  padding: readonly number[],
  dilation: readonly number[],
  out: readonly number[],
): WindowGeometry {
  const pair = (values: readonly number[], fill: number): [number, number] =>
    values.length === 1 ? [fill, values[0]!] : [values[0]!, values[1]!];
  return { kernel: pair(kernel, 1), stride: pair(stride, 1), padding: pair(padding, 0), dilation: pair(dilation, 1), out: pair(out, 1) };
}

/** `[N, C, L]` as `[N, C, 1, L]`; `[N, C, H, W]` as it is. */
export const asPlanes = (x: Tensor) => (x.ndim === 3 ? unsqueeze(x, 2) : x);

/** The columns of `x` `[N, C, ...spatial]` (1 or 2 spatial dims): `[N, C·Πkernel, Πout]`. */
export function im2col(x: Tensor, geometry: WindowGeometry): Tensor {
  return im2colOp(asPlanes(x), geometry);
}

function checkSameDType(op: string, input: Tensor, weight: Tensor, bias: Tensor | null): void {
  if (weight.dtype !== input.dtype || (bias !== null && bias.dtype !== input.dtype)) {
    const got = `input ${input.dtype}, weight ${weight.dtype}${bias === null ? "" : ` and bias ${bias.dtype}`}`;
    throw new NablaError(op, `input, weight and bias must share a dtype, got ${got}`);
  }
}

function checkBias(op: string, bias: unknown, channels: number): Tensor | null {
  if (bias === undefined || bias === null) return null;
  const b = checkTensor(op, "bias", bias);
  if (b.ndim !== 1 || b.shape[0] !== channels) {
    throw new NablaError(op, `expected bias of shape [${channels}], got ${formatShape(b.shape)}`);
  }
  return b;
}

/** A bias `[C]` shaped to add to `[N, C, ...spatial]`. */
const biasColumn = (bias: Tensor, spatial: number) => reshape(bias, [bias.shape[0]!, ...new Array<number>(spatial).fill(1)]);

/**
 * What every convolution checks first: the input as `[N, C, ...spatial]`, a weight of rank
 * spatial + 2 (`[out, in / groups, ...kernel]`, or `[in, out / groups, ...kernel]` when
 * `transposed`), groups, stride, dilation, and a bias of one value per output channel.
 */
function convArguments<O extends ConvOptions<unknown> | ConvTransposeOptions<unknown>>(
  op: string,
  spatial: number,
  transposed: boolean,
  input: unknown,
  weight: unknown,
  bias: unknown,
  options: O | undefined,
) {
  const { x, batched } = batchedInput(op, input, spatial);
  const w = checkTensor(op, "weight", weight);
  if (w.ndim !== spatial + 2) {
    const layout = transposed ? "[in, out / groups, ...kernel]" : "[out, in / groups, ...kernel]";
    throw new NablaError(op, `expected a ${spatial + 2}-d weight ${layout}, got shape ${formatShape(w.shape)}`);
  }
  const opts = checkOptions(op, options);
  const groups = checkInteger(op, "groups", opts.groups ?? 1, { min: 1 });
  const stride = sizeTuple(op, "stride", opts.stride ?? 1, spatial, 1);
  const dilation = sizeTuple(op, "dilation", opts.dilation ?? 1, spatial, 1);
  const outChannels = transposed ? w.shape[1]! * groups : w.shape[0]!;
  const b = checkBias(op, bias, outChannels);
  checkSameDType(op, x, w, b);
  return { x, batched, w, b, opts, groups, outChannels, kernel: w.shape.slice(2), stride, dilation };
}

/** The paddings before and after each spatial dim, for conv's `padding` option. */
function convPadding(op: string, padding: unknown, spatial: number, kernel: number[], dilation: number[], stride: number[]): number[][] {
  if (padding === "valid") return kernel.map(() => [0, 0]);
  if (padding === "same") {
    if (stride.some((s) => s !== 1)) throw new NablaError(op, `padding "same" needs stride 1, got stride ${formatShape(stride)}`);
    // the total d·(k − 1) split in two, the odd one after (as PyTorch)
    return kernel.map((k, d) => {
      const total = dilation[d]! * (k - 1);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
  }
  if (typeof padding === "string") throw new NablaError(op, `padding must be "valid", "same" or integers, got ${describeValue(padding)}`);
  return sizeTuple(op, "padding", padding, spatial, 0).map((p) => [p, p]);
}

/** The sizes of a convolution's output, or an error naming the input, kernel and padded sizes. */
function convOutputSizes(op: string, x: Tensor, kernel: number[], stride: number[], padding: number[][], dilation: number[]): number[] {
  const sizes = x.shape.slice(2);
  const padded = sizes.map((size, d) => size + padding[d]![0]! + padding[d]![1]!);
  const span = kernel.map((k, d) => dilation[d]! * (k - 1) + 1);
  if (padded.some((size, d) => size < span[d]!)) {
    throw new NablaError(
      op,
      `kernel size ${formatShape(span)} (dilated) is larger than the padded input size ${formatShape(padded)} (input ${formatShape(x.shape)})`,
    );
  }
  return padded.map((size, d) => Math.floor((size - span[d]!) / stride[d]!) + 1);
}

/** conv1d and conv2d: `spatial` is 1 or 2. */
function convNd(
  op: string,
  spatial: number,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  options: ConvOptions<unknown> | undefined,
): Tensor {
  const { x, batched, w, b, opts, groups, outChannels, kernel, stride, dilation } = convArguments(
    op,
    spatial,
    false,
    input,
    weight,
    bias,
    options,
  );
  const groupChannels = w.shape[1]!;
  const padding = convPadding(op, opts.padding ?? 0, spatial, kernel, dilation, stride);
  const channels = x.shape[1]!;
  if (outChannels % groups !== 0) {
    throw new NablaError(op, `weight ${formatShape(w.shape)} has ${outChannels} output channels, which ${groups} groups do not divide`);
  }
  if (groupChannels * groups !== channels) {
    throw new NablaError(
      op,
      `weight ${formatShape(w.shape)} with ${groups} group(s) expects ${groupChannels * groups} input channels, got input ${formatShape(input.shape)} with ${channels}`,
    );
  }
  const out = convOutputSizes(op, x, kernel, stride, padding, dilation);
  const befores = padding.map(([before]) => before!);
  const geometry = windowGeometry(kernel, stride, befores, dilation, out);
  // a 1-d convolution is a 2-d one over [N, C, 1, L] with a [out, C/G, 1, k] weight
  const planes = conv2dOp(asPlanes(x), spatial === 1 ? unsqueeze(w, 2) : w, b, geometry, groups);
  const result = spatial === 1 ? squeeze(planes, 2) : planes;
  return batched ? result : squeeze(result, 0);
}

/** convTranspose1d and convTranspose2d: `spatial` is 1 or 2. */
function convTransposeNd(
  op: string,
  spatial: number,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  options: ConvTransposeOptions<unknown> | undefined,
): Tensor {
  const { x, batched, w, b, opts, groups, outChannels, kernel, stride, dilation } = convArguments(
    op,
    spatial,
    true,
    input,
    weight,
    bias,
    options,
  );
  const [inChannels, groupOut] = w.shape as [number, number];
  const padding = sizeTuple(op, "padding", opts.padding ?? 0, spatial, 0);
  const outputPadding = sizeTuple(op, "outputPadding", opts.outputPadding ?? 0, spatial, 0);
  const channels = x.shape[1]!;
  if (inChannels !== channels) {
    throw new NablaError(
      op,
      `weight ${formatShape(w.shape)} expects ${inChannels} input channels, got input ${formatShape(input.shape)} with ${channels}`,
    );
  }
  if (inChannels % groups !== 0) {
    throw new NablaError(op, `weight ${formatShape(w.shape)} has ${inChannels} input channels, which ${groups} groups do not divide`);
  }
  if (outputPadding.some((p, d) => p >= Math.max(stride[d]!, dilation[d]!))) {
    throw new NablaError(
      op,
      `outputPadding ${formatShape(outputPadding)} must be smaller than stride ${formatShape(stride)} or dilation ${formatShape(dilation)}`,
    );
  }
  const sizes = x.shape.slice(2);
  // the full output of the scatter, before padding is cropped from both ends
  const full = sizes.map((size, d) => (size - 1) * stride[d]! + dilation[d]! * (kernel[d]! - 1) + 1 + outputPadding[d]!);
  const out = full.map((size, d) => size - 2 * padding[d]!);
  if (out.some((size) => size < 1)) {
    throw new NablaError(
      op,
      `output size ${formatShape(out)} is too small (input ${formatShape(input.shape)}, weight ${formatShape(w.shape)})`,
    );
  }
  const batch = x.shape[0]!;
  const inGroup = inChannels / groups;
  const taps = numelOf(kernel);
  const positions = numelOf(sizes);
  // columns [N, G, out/G · Πk, Πin] = Wᵀ x per group; column i holds what input position i adds at each tap
  const weightT = transpose(reshape(w, [groups, inGroup, groupOut * taps]), -2, -1);
  const columns = reshape(matmul(weightT, reshape(x, [batch, groups, inGroup, positions])), [batch, outChannels * taps, positions]);
  // col2im: entry (k, i) of a channel lands at output position i·stride + k·dilation − padding
  const geometry = windowGeometry(kernel, stride, padding, dilation, sizes);
  const planes = col2imOp(columns, geometry, spatial === 1 ? [1, out[0]!] : [out[0]!, out[1]!]);
  let result = reshape(planes, [batch, outChannels, ...out]);
  if (b !== null) result = add(result, biasColumn(b, spatial));
  return batched ? result : squeeze(result, 0);
}

/**
 * The 1-d convolution (cross-correlation, as every deep-learning library computes it) of `input`
 * `[N, C, L]` (or unbatched `[C, L]`) with `weight` `[out, C / groups, k]`, plus an optional
 * `bias` `[out]`, as PyTorch's `F.conv1d`. The output is `[N, out, L']` with
 * L' = ⌊(L + 2·padding − dilation·(k − 1) − 1) / stride⌋ + 1.
 *
 * @example
 * ```ts
 * const x = tensor([[[1, 2, 3, 4]]]);
 * conv1d(x, tensor([[[1, 1]]]));                            // → [[[3, 5, 7]]]
 * conv1d(x, tensor([[[1, 0, -1]]]), tensor([10]), { padding: 1 }); // → [[[8, 8, 8, 13]]]
 * conv1d(x, tensor([[[1, 1]]]), null, { stride: 2 });      // → [[[3, 7]]]
 * conv1d(x, tensor([[[1, 1, 1]]]), null, { padding: "same", dilation: 2 }); // → [[[4, 6, 4, 6]]]
 * conv1d(x, zeros([1, 1, 5]));  // throws conv1d: kernel size [5] (dilated) is larger than the padded input size [4] (input [1, 1, 4])
 * ```
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size1d>): Tensor {
  return convNd("conv1d", 1, input, weight, bias, options);
}

/**
 * The 2-d convolution of `input` `[N, C, H, W]` (or unbatched `[C, H, W]`) with `weight`
 * `[out, C / groups, kH, kW]` plus an optional `bias` `[out]`, as PyTorch's `F.conv2d`: stride,
 * padding (integers, `"valid"` or `"same"`), dilation and groups (`groups = C` with
 * `out = m·C` is a depthwise convolution), each an integer or a `[height, width]` pair.
 *
 * @example
 * ```ts
 * const x = arange(0, 16, 1, { dtype: "float32" }).reshape([1, 1, 4, 4]);
 * conv2d(x, ones([1, 1, 2, 2]), null, { stride: 2 }); // → [[[[10, 18], [42, 50]]]]
 * conv2d(x, ones([2, 1, 3, 3]), null, { padding: 1 }).shape; // → [1, 2, 4, 4]
 * conv2d(ones([2, 5, 5]), ones([4, 1, 3, 3]), null, { groups: 2 }).shape; // → [4, 3, 3]
 * conv2d(x, ones([1, 2, 3, 3])); // throws conv2d: weight [1, 2, 3, 3] with 1 group(s) expects 2 input channels, got input [1, 1, 4, 4] with 1
 * ```
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size2d>): Tensor {
  return convNd("conv2d", 2, input, weight, bias, options);
}

/**
 * The transposed 1-d convolution (the gradient of `conv1d` with respect to its input, sometimes
 * called a deconvolution) of `input` `[N, in, L]` with `weight` `[in, out / groups, k]`, as
 * PyTorch's `F.conv_transpose1d`. The output is `[N, out, L']` with
 * L' = (L − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
 *
 * @example
 * ```ts
 * convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 1, 1]]]));                  // → [[[1, 3, 3, 2]]]
 * convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 1]]]), null, { stride: 3 }); // → [[[1, 1, 0, 2, 2]]]
 * convTranspose1d(tensor([[[1, 2]]]), tensor([[[1, 1]]]), null, { stride: 2, outputPadding: 1 }).shape; // → [1, 1, 5]
 * ```
 */
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size1d>): Tensor {
  return convTransposeNd("convTranspose1d", 1, input, weight, bias, options);
}

/**
 * The transposed 2-d convolution of `input` `[N, in, H, W]` (or unbatched) with `weight`
 * `[in, out / groups, kH, kW]`, as PyTorch's `F.conv_transpose2d`; it maps a `conv2d` output's
 * shape back to its input's (`outputPadding` picks among the shapes a strided conv2d maps from).
 *
 * @example
 * ```ts
 * const y = convTranspose2d(ones([1, 1, 2, 2]), ones([1, 1, 2, 2]), null, { stride: 2 });
 * y.shape;   // → [1, 1, 4, 4]
 * y.sum();   // → 16
 * convTranspose2d(ones([1, 4, 3, 3]), ones([4, 2, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 }).shape; // → [1, 2, 6, 6]
 * ```
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size2d>): Tensor {
  return convTransposeNd("convTranspose2d", 2, input, weight, bias, options);
}

/**
 * The sliding blocks of `input` `[N, C, H, W]` (or unbatched `[C, H, W]`) as columns, PyTorch's
 * `F.unfold` (im2col): `[N, C·kH·kW, L]`, where L counts the windows and row (c, i, j) holds
 * channel c at tap (i, j).
 *
 * @example
 * ```ts
 * const x = arange(0, 9, 1, { dtype: "float32" }).reshape([1, 1, 3, 3]);
 * unfold(x, 2); // → [[[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]]
 * unfold(x, [1, 3], { stride: 2 }).shape; // → [1, 3, 2]
 * ```
 */
export function unfold(input: Tensor, kernelSize: Size2d, options?: UnfoldOptions): Tensor {
  const op = "unfold";
  const { x, batched } = batchedInput(op, input, 2);
  const opts = checkOptions(op, options);
  const kernel = sizeTuple(op, "kernelSize", kernelSize, 2, 1);
  const stride = sizeTuple(op, "stride", opts.stride ?? 1, 2, 1);
  const dilation = sizeTuple(op, "dilation", opts.dilation ?? 1, 2, 1);
  const padding = sizeTuple(op, "padding", opts.padding ?? 0, 2, 0).map((p) => [p, p]);
  const out = convOutputSizes(op, x, kernel, stride, padding, dilation);
  const geometry = windowGeometry(
    kernel,
    stride,
    padding.map(([before]) => before!),
    dilation,
    out,
  );
  const columns = im2col(x, geometry);
  return batched ? columns : squeeze(columns, 0);
}

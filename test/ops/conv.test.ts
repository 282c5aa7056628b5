import { describe, expect, it } from "vitest";
import { autogradGrad, ones, pad, tensor, zeros, type PadOptions, type Tensor } from "@nabla/tensor";
import * as ops from "@nabla/ops";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";
import { expectClose, fromFlat, TOLERANCE } from "../support/reference";

// Convolution, pooling and pad against PyTorch (test/fixtures/gen_conv.py): float64 values and
// the gradients of every input under a random cotangent, over the options each op takes.

interface Flat {
  shape: number[];
  values: number[];
}

interface ConvCase {
  op: "conv1d" | "conv2d" | "convTranspose1d" | "convTranspose2d";
  options: Record<string, unknown>;
  input: Flat;
  weight: Flat;
  bias?: number[];
  outputShape: number[];
  output: number[];
  cotangent: number[];
  gradInput: number[];
  gradWeight: number[];
  gradBias?: number[];
}

interface UnaryCase {
  op: "unfold" | "maxPool1d" | "maxPool2d" | "avgPool1d" | "avgPool2d" | "adaptiveAvgPool1d" | "adaptiveAvgPool2d";
  args: unknown[];
  options: Record<string, unknown>;
  input: Flat;
  outputShape: number[];
  output: number[];
  cotangent: number[];
  gradInput: number[];
}

interface PadCase {
  mode: NonNullable<PadOptions["mode"]>;
  pad: number[];
  value: number;
  input: Flat;
  outputShape: number[];
  output: number[];
  cotangent: number[];
  gradInput: number[];
}

const fixture = loadFixture<{ conv: ConvCase[]; pool: UnaryCase[]; pad: PadCase[] }>("conv_functional.json");
const tolerance = TOLERANCE.float64;
// the functions by name, for cases that name them
const opsByName = { ...ops };
const label = (c: { op?: string; mode?: string; options?: unknown; pad?: unknown; args?: unknown }, i: number) =>
  `${c.op ?? `pad ${c.mode}`} #${i} ${JSON.stringify(c.args ?? c.pad ?? "")} ${JSON.stringify(c.options ?? {})}`;

/** Checks `y` and the gradients of `inputs` under the case's cotangent. */
function checkValuesAndGrads(
  y: Tensor,
  c: { outputShape: number[]; output: number[]; cotangent: number[] },
  inputs: Tensor[],
  grads: number[][],
) {
  expect(y.shape).toEqual(c.outputShape);
  expectClose(y.data(), c.output, tolerance, "output");
  const computed = autogradGrad(y, inputs, { gradOutputs: fromFlat(c.cotangent, c.outputShape, "float64") });
  computed.forEach((g, i) => {
    expectClose(g!.data(), grads[i]!, tolerance, `gradient ${i}`);
  });
}

describe("convolutions match PyTorch, values and gradients", () => {
  it.each(fixture.conv.map((c, i) => [label(c, i), c] as const))("%s", (_label, c) => {
    const x = fromFlat(c.input.values, c.input.shape, "float64", true);
    const w = fromFlat(c.weight.values, c.weight.shape, "float64", true);
    const b = c.bias ? fromFlat(c.bias, [c.bias.length], "float64", true) : null;
    // alternate the function and the Tensor method
    const y = c.input.values.length % 2 === 0 ? opsByName[c.op](x, w, b, c.options as never) : x[c.op](w, b, c.options as never);
    checkValuesAndGrads(y, c, b ? [x, w, b] : [x, w], b ? [c.gradInput, c.gradWeight, c.gradBias!] : [c.gradInput, c.gradWeight]);
  });
});

describe("pooling and unfold match PyTorch, values and gradients", () => {
  it.each(fixture.pool.map((c, i) => [label(c, i), c] as const))("%s", (_label, c) => {
    const x = fromFlat(c.input.values, c.input.shape, "float64", true);
    const call = opsByName[c.op] as (x: Tensor, ...rest: unknown[]) => Tensor;
    const y = call(x, ...c.args, ...(Object.keys(c.options).length > 0 ? [c.options] : []));
    checkValuesAndGrads(y, c, [x], [c.gradInput]);
  });
});

describe("pad matches PyTorch's F.pad, values and gradients", () => {
  it.each(fixture.pad.map((c, i) => [label(c, i), c] as const))("%s", (_label, c) => {
    const x = fromFlat(c.input.values, c.input.shape, "float64", true);
    const y = c.mode === "constant" ? pad(x, c.pad, { value: c.value }) : x.pad(c.pad, { mode: c.mode });
    checkValuesAndGrads(y, c, [x], [c.gradInput]);
  });
});

describe("float32 convolution agrees with float64", () => {
  it("conv2d and convTranspose2d on the same values", () => {
    const c = fixture.conv.find((k) => k.op === "conv2d" && k.bias !== undefined)!;
    const x = fromFlat(c.input.values, c.input.shape, "float32");
    const w = fromFlat(c.weight.values, c.weight.shape, "float32");
    expectClose(
      ops.conv2d(x, w, fromFlat(c.bias!, [c.bias!.length], "float32"), c.options as never).data(),
      c.output,
      TOLERANCE.float32,
      "conv2d",
    );
  });
});

describe("max pooling sends each window's gradient to its first maximum, as PyTorch", () => {
  it("ties within a window", () => {
    const x = tensor([[[2, 2, 1, 1]]], { requiresGrad: true });
    ops.maxPool1d(x, 2).backward(tensor([[[1, 1]]]));
    expect(x.grad!.toArray()).toEqual([[[1, 0, 1, 0]]]);
  });
  it("overlapping windows add up", () => {
    const x = tensor([[[1, 5, 2]]], { requiresGrad: true });
    ops.maxPool1d(x, 2, { stride: 1 }).backward(tensor([[[1, 1]]]));
    expect(x.grad!.toArray()).toEqual([[[0, 2, 0]]]);
  });
  it("a window whose dilated taps all fall in the padding is -Infinity and takes no gradient", () => {
    // PyTorch: F.max_pool1d(tensor([[[0.5]]]), 2, stride=1, padding=1, dilation=2) is [[[-inf]]], gradient 0
    const x = tensor([[[0.5]]], { requiresGrad: true });
    const y = ops.maxPool1d(x, 2, { stride: 1, padding: 1, dilation: 2 });
    expect(y.toArray()).toEqual([[[Number.NEGATIVE_INFINITY]]]);
    y.backward(tensor([[[1]]]));
    expect(x.grad!.toArray()).toEqual([[[0]]]);
  });
});

describe("bad arguments name the op and what was expected", () => {
  const x = zeros([1, 2, 4, 4]);
  it.each([
    [
      "kernel larger than the padded input",
      () => ops.conv2d(x, zeros([1, 2, 5, 5]), null, { padding: [0, 1] }),
      "conv2d: kernel size [5, 5] (dilated) is larger than the padded input size [4, 6] (input [1, 2, 4, 4])",
    ],
    [
      "dilated kernel larger than the input",
      () => ops.conv1d(zeros([1, 1, 4]), zeros([1, 1, 3]), null, { dilation: 2 }),
      "conv1d: kernel size [5] (dilated) is larger than the padded input size [4] (input [1, 1, 4])",
    ],
    [
      "input channels not divisible by groups",
      () => ops.conv2d(zeros([1, 3, 4, 4]), zeros([2, 1, 3, 3]), null, { groups: 2 }),
      "conv2d: weight [2, 1, 3, 3] with 2 group(s) expects 2 input channels, got input [1, 3, 4, 4] with 3",
    ],
    [
      "output channels not divisible by groups",
      () => ops.conv2d(x, zeros([3, 1, 3, 3]), null, { groups: 2 }),
      "conv2d: weight [3, 1, 3, 3] has 3 output channels, which 2 groups do not divide",
    ],
    [
      "in_channels mismatch",
      () => ops.conv2d(x, zeros([4, 3, 3, 3])),
      "conv2d: weight [4, 3, 3, 3] with 1 group(s) expects 3 input channels, got input [1, 2, 4, 4] with 2",
    ],
    [
      "weight of the wrong rank",
      () => ops.conv2d(x, zeros([4, 2, 3])),
      "conv2d: expected a 4-d weight [out, in / groups, ...kernel], got shape [4, 2, 3]",
    ],
    [
      "input of the wrong rank",
      () => ops.conv1d(x, zeros([1, 2, 3])),
      "conv1d: expected a 2-d (unbatched) or 3-d (batched) input, got shape [1, 2, 4, 4]",
    ],
    ["bias of the wrong size", () => ops.conv2d(x, zeros([4, 2, 3, 3]), zeros([3])), "conv2d: expected bias of shape [4], got [3]"],
    [
      "dtypes differ",
      () => ops.conv2d(x, zeros([4, 2, 3, 3], { dtype: "float64" })),
      "conv2d: input, weight and bias must share a dtype, got input float32, weight float64",
    ],
    [
      "an int32 input",
      () => ops.conv1d(zeros([1, 2, 4], { dtype: "int32" }), zeros([1, 2, 3])),
      "conv1d: expected a float32 or float64 input, got int32",
    ],
    [
      '"same" with a stride',
      () => ops.conv1d(zeros([1, 1, 4]), zeros([1, 1, 3]), null, { padding: "same", stride: 2 }),
      'conv1d: padding "same" needs stride 1, got stride [2]',
    ],
    [
      "a bad padding string",
      () => ops.conv1d(zeros([1, 1, 4]), zeros([1, 1, 3]), null, { padding: "full" as never }),
      'conv1d: padding must be "valid", "same" or integers, got "full"',
    ],
    [
      "a zero stride",
      () => ops.conv2d(x, zeros([1, 2, 3, 3]), null, { stride: [1, 0] }),
      "conv2d: stride must be a positive integer or 2 of them, got [1, 0]",
    ],
    [
      "transposed: in_channels mismatch",
      () => ops.convTranspose2d(x, zeros([3, 2, 3, 3])),
      "convTranspose2d: weight [3, 2, 3, 3] expects 3 input channels, got input [1, 2, 4, 4] with 2",
    ],
    [
      "transposed: output padding too large",
      () => ops.convTranspose1d(zeros([1, 1, 3]), zeros([1, 1, 3]), null, { stride: 2, outputPadding: 2 }),
      "convTranspose1d: outputPadding [2] must be smaller than stride [2] or dilation [1]",
    ],
    [
      "transposed: output size < 1",
      () => ops.convTranspose1d(zeros([1, 1, 1]), zeros([1, 1, 1]), null, { padding: 1 }),
      "convTranspose1d: output size [-1] is too small (input [1, 1, 1], weight [1, 1, 1])",
    ],
    [
      "pool: output size < 1",
      () => ops.maxPool2d(zeros([1, 1, 3, 3]), 4, { padding: 0 }),
      "maxPool2d: output size [0, 0] is too small for input [1, 1, 3, 3] (kernel [4, 4], stride [4, 4], padding [0, 0], dilation [1, 1])",
    ],
    [
      "pool: padding over half the kernel",
      () => ops.avgPool1d(zeros([1, 1, 5]), 2, { padding: 2 }),
      "avgPool1d: padding [2] must be at most half of kernel size [2]",
    ],
    [
      "adaptive pool of an empty dim",
      () => ops.adaptiveAvgPool2d(zeros([1, 1, 0, 3]), 2),
      "adaptiveAvgPool2d: expected non-zero spatial sizes, got input [1, 1, 0, 3]",
    ],
    [
      "unfold: kernel larger than the input",
      () => ops.unfold(x, 5),
      "unfold: kernel size [5, 5] (dilated) is larger than the padded input size [4, 4] (input [1, 2, 4, 4])",
    ],
    ["pad: odd length", () => pad(x, [1, 2, 3]), "pad: pad must hold (before, after) pairs, got 3 values"],
    ["pad: too many pairs", () => pad(zeros([2]), [1, 1, 1, 1]), "pad: 2 (before, after) pairs are too many for an input of 1 dims ([2])"],
    [
      "pad: reflect as large as the dim",
      () => pad(x, [4, 0], { mode: "reflect" }),
      "pad: reflect padding (4, 0) of dim 3 must be smaller than its size 4 (input [1, 2, 4, 4])",
    ],
    [
      "pad: circular wrapping twice",
      () => pad(x, [0, 5], { mode: "circular" }),
      "pad: circular padding (0, 5) of dim 3 wraps around more than once: it keeps 4 of 4 elements (input [1, 2, 4, 4])",
    ],
    [
      "pad: reflect of a 1-d tensor",
      () => pad(zeros([4]), [1, 1], { mode: "reflect" }),
      "pad: reflect padding pads the last 1 to 3 dims of an input with at least one more dim in front, got 1 pairs for input [4]",
    ],
    [
      "pad: cropping more than the dim",
      () => pad(zeros([2, 3]), [-2, -2]),
      "pad: padding (-2, -2) of dim 1 crops more than its size 3 (input [2, 3])",
    ],
    [
      "pad: an unknown mode",
      () => pad(x, [1, 1], { mode: "wrap" as never }),
      'pad: mode must be one of "constant", "reflect", "replicate", "circular", got "wrap"',
    ],
  ])("%s", (_name, call, message) => {
    expect(nablaError(call).message).toBe(message);
  });
});

describe("shapes beyond the fixture", () => {
  it("unbatched inputs give unbatched outputs", () => {
    expect(ops.conv1d(ones([2, 5]), ones([3, 2, 2])).shape).toEqual([3, 4]);
    expect(ops.maxPool2d(ones([2, 5, 5]), 2).shape).toEqual([2, 2, 2]);
    expect(ops.adaptiveAvgPool1d(ones([2, 5]), 3).shape).toEqual([2, 3]);
  });
  it("an empty batch convolves to an empty batch", () => {
    expect(ops.conv2d(zeros([0, 2, 4, 4]), ones([3, 2, 3, 3])).shape).toEqual([0, 3, 2, 2]);
  });
});

import { describe, expect, it } from "vitest";
import {
  NablaError,
  add,
  arange,
  argmax,
  argmin,
  asStrided,
  cat,
  eq,
  expand,
  flatten,
  full,
  gather,
  indexSelect,
  matmul,
  max,
  maximum,
  mean,
  min,
  mul,
  narrow,
  oneHot,
  permute,
  rand,
  reshape,
  scatterAdd,
  select,
  slice,
  split,
  squeeze,
  stack,
  std,
  sum,
  tensor,
  transpose,
  unsqueeze,
  var as variance,
  view,
  where,
  zeros,
  type Tensor,
} from "@nabla/tensor";
import { nablaError } from "../support/errors";

// Bad input is a NablaError thrown before any work, whose `op` and message name the op, the
// shapes/dtypes involved and what was expected; a failed in-place op writes nothing.

/** Runs `fn`, asserting it throws a NablaError of `op` whose message matches `message`. */
function expectNablaError(fn: () => unknown, op: string, message: string | RegExp): void {
  const error = nablaError(fn, op);
  expect(error.message.startsWith(`${op}: `)).toBe(true);
  if (typeof message === "string") expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
}

const int32 = (values: number[] | number[][]) => tensor(values, { dtype: "int32" });
const x = arange(6).reshape([2, 3]).to("float32");

describe("mismatched shapes", () => {
  it("broadcasting names both shapes and the clashing dim", () => {
    expectNablaError(() => add(zeros([2, 3]), zeros([4])), "add", "add: cannot broadcast shapes [2, 3] and [4] (size 3 vs 4 at dim -1)");
    expectNablaError(() => mul(zeros([2, 3, 4]), zeros([3, 1, 5])), "mul", /^mul: cannot broadcast shapes \[2, 3, 4\] and \[3, 1, 5\]/);
    expectNablaError(() => maximum(zeros([2]), zeros([3])), "maximum", /\[2\] and \[3\]/);
    expectNablaError(() => eq(zeros([2]), zeros([3])), "eq", /^eq: cannot broadcast shapes \[2\] and \[3\]/);
    expectNablaError(() => x.sub(zeros([2])), "sub", /\[2, 3\] and \[2\]/);
    expectNablaError(() => where(tensor([true, false, true]), zeros([2]), 0), "where", /^where: cannot broadcast shapes \[3\]/);
  });

  it("matmul names both shapes and the inner sizes", () => {
    expectNablaError(
      () => matmul(zeros([2, 3]), zeros([4, 5])),
      "matmul",
      "matmul: cannot multiply [2, 3] by [4, 5] (inner sizes 3 and 4 differ)",
    );
    expectNablaError(() => matmul(zeros([3]), zeros([4])), "matmul", "matmul: cannot multiply [3] by [4] (inner sizes 3 and 4 differ)");
    expectNablaError(
      () => matmul(zeros([5, 2, 3]), zeros([2])),
      "matmul",
      "matmul: cannot multiply [5, 2, 3] by [2] (inner sizes 3 and 2 differ)",
    );
    expectNablaError(
      () => matmul(zeros([2, 2, 3]), zeros([3, 3, 4])),
      "matmul",
      "matmul: cannot broadcast the batch dims of [2, 2, 3] and [3, 3, 4]",
    );
    expectNablaError(() => matmul(zeros([]), zeros([3])), "matmul", "matmul: both operands need at least 1 dim, got shapes [] and [3]");
    expectNablaError(
      () => matmul(zeros([2, 2]), zeros([2, 2], { dtype: "float64" })),
      "matmul",
      /float32 and float64 \(shapes \[2, 2\] and \[2, 2\]\)/,
    );
    expectNablaError(
      () =>
        matmul(zeros([2, 2]), [
          [1, 2],
          [3, 4],
        ] as never),
      "matmul",
      /both operands must be tensors/,
    );
  });

  it("cat and stack name the first shape that does not fit", () => {
    expectNablaError(
      () => cat([zeros([2, 3]), zeros([2, 4])]),
      "cat",
      "cat: sizes must match except in dim 0: tensor 0 has shape [2, 3], tensor 1 has [2, 4]",
    );
    expectNablaError(() => cat([zeros([2, 3]), zeros([2, 3]), zeros([3])], 1), "cat", /tensor 2 has \[3\]/);
    expectNablaError(() => cat([]), "cat", "cat: expected a non-empty array of tensors");
    expectNablaError(() => cat([zeros([]), zeros([])]), "cat", /zero-dimensional tensors cannot be concatenated/);
    expectNablaError(
      () => stack([zeros([2, 3]), zeros([3, 2])]),
      "stack",
      "stack: all tensors must have one shape: tensor 0 has [2, 3], tensor 1 has [3, 2]",
    );
  });

  it("split sizes must add up to the dim", () => {
    expectNablaError(
      () => split(x, [1, 1], 1),
      "split",
      "split: sizes [1, 1] must be non-negative integers summing to 3, the size of dim 1 (shape [2, 3])",
    );
    expectNablaError(() => split(x, 0), "split", "split: split size must be a positive integer, got 0");
  });

  it("expand and broadcastTo name the size that cannot grow", () => {
    expectNablaError(() => expand(x, [2, 4]), "expand", "expand: cannot expand [2, 3] to [2, 4]: size 3 at dim 1 must be 1 or equal 4");
    expectNablaError(() => expand(x, [3]), "expand", "expand: cannot expand [2, 3] to [3]: the target has fewer dims");
    expectNablaError(() => x.broadcastTo([3, 3]), "broadcastTo", /^broadcastTo: cannot expand \[2, 3\] to \[3, 3\]/);
  });
});

describe("out-of-range dims, positive and negative", () => {
  // [op, call with a dim]; x has 2 dims, so valid dims run from -2 to 1
  const dimTaking: [string, (dim: number) => unknown][] = [
    ["transpose", (d) => transpose(x, d, 0)],
    ["transpose", (d) => transpose(x, 0, d)],
    ["permute", (d) => permute(x, [0, d])],
    ["squeeze", (d) => squeeze(x, d)],
    ["flatten", (d) => flatten(x, d)],
    ["flatten", (d) => flatten(x, 0, d)],
    ["slice", (d) => slice(x, d, 0, 1)],
    ["select", (d) => select(x, d, 0)],
    ["narrow", (d) => narrow(x, d, 0, 1)],
    ["sum", (d) => sum(x, d)],
    ["sum", (d) => sum(x, [0, d])],
    ["mean", (d) => mean(x, d)],
    ["max", (d) => max(x, d)],
    ["min", (d) => min(x, [d])],
    ["argmax", (d) => argmax(x, d)],
    ["argmin", (d) => argmin(x, d)],
    ["var", (d) => variance(x, d)],
    ["std", (d) => std(x, d, true, 0)],
    ["gather", (d) => gather(x, d, int32([[0]]))],
    ["indexSelect", (d) => indexSelect(x, d, int32([0]))],
    ["scatterAdd", (d) => scatterAdd(x, d, int32([[0]]), zeros([1, 1]))],
    ["cat", (d) => cat([x, x], d)],
    ["split", (d) => split(x, 1, d)],
  ];

  it.each(dimTaking.flatMap(([op, call]) => [[op, 2, call] as const, [op, -3, call] as const]))("%s with dim %i", (op, dim, call) => {
    expectNablaError(() => call(dim), op, `${op}: dim ${dim} is out of range for a tensor with 2 dims (expected -2 to 1)`);
  });

  it("ops that add a dim accept one more: unsqueeze and stack", () => {
    expect(unsqueeze(x, 2).shape).toEqual([2, 3, 1]);
    expect(unsqueeze(x, -3).shape).toEqual([1, 2, 3]);
    expectNablaError(() => unsqueeze(x, 3), "unsqueeze", /^unsqueeze: dim 3 is out of range .*\(expected -3 to 2\)/);
    expectNablaError(() => unsqueeze(x, -4), "unsqueeze", /^unsqueeze: dim -4 is out of range .*\(expected -3 to 2\)/);
    expectNablaError(() => stack([x, x], 3), "stack", /^stack: dim 3 is out of range .*\(expected -3 to 2\)/);
    expectNablaError(() => stack([x, x], -4), "stack", /^stack: dim -4 is out of range/);
  });

  it("a repeated dim, a fractional dim and a bad permutation are named", () => {
    expectNablaError(() => sum(x, [0, -2]), "sum", "sum: dim 0 appears more than once in [0, -2]");
    expectNablaError(() => sum(x, 0.5), "sum", "sum: dim must be an integer, got 0.5");
    expectNablaError(() => permute(x, [0, 0]), "permute", "permute: dims [0, 0] repeat a dim");
    expectNablaError(() => permute(x, [0]), "permute", "permute: dims [0] do not match a tensor with 2 dims (shape [2, 3])");
    expectNablaError(() => flatten(zeros([2, 3, 4]), 2, 1), "flatten", "flatten: startDim 2 comes after endDim 1 (shape [2, 3, 4])");
    expectNablaError(() => x.mT.mT.slice(0, 0, 2, 0), "slice", "slice: step must be a positive integer, got 0");
    expectNablaError(() => zeros([3]).mT, "mT", "mT: needs at least 2 dims, got shape [3]");
  });
});

describe("out-of-range indices", () => {
  it("select and narrow name the index, the dim and the shape", () => {
    expectNablaError(() => select(x, 1, 3), "select", "select: index 3 is out of range for dim 1 of size 3 (shape [2, 3])");
    expectNablaError(() => select(x, 1, -4), "select", "select: index -4 is out of range for dim 1 of size 3 (shape [2, 3])");
    expectNablaError(() => narrow(x, 1, 2, 2), "narrow", "narrow: start 2 and length 2 do not fit dim 1 of size 3 (shape [2, 3])");
    expectNablaError(() => narrow(x, 1, -1, 2), "narrow", /^narrow: start -1 and length 2 do not fit/);
    expectNablaError(() => narrow(x, 0, 0, -1), "narrow", /^narrow: start 0 and length -1 do not fit/);
  });

  it("gather, indexSelect and scatterAdd name the offending index and the input", () => {
    expectNablaError(() => gather(x, 1, int32([[0, 3]])), "gather", /^gather: index 3 is out of range for dim 1 of input \[2, 3\]/);
    expectNablaError(() => gather(x, 1, int32([[-1]])), "gather", /^gather: index -1 is out of range/);
    expectNablaError(
      () => indexSelect(x, 0, int32([0, 5])),
      "indexSelect",
      /^indexSelect: index 5 is out of range for dim 0 of input \[2, 3\]/,
    );
    expectNablaError(() => indexSelect(x, -1, int32([-1])), "indexSelect", /^indexSelect: index -1 is out of range/);
    expectNablaError(
      () => scatterAdd(x, 1, int32([[3]]), zeros([1, 1])),
      "scatterAdd",
      /^scatterAdd: index 3 is out of range for dim 1 of input \[2, 3\]/,
    );
    expectNablaError(() => oneHot(int32([0, 3]), 3), "oneHot", "oneHot: class index 3 at flat position 1 is out of range for 3 classes");
    expectNablaError(() => oneHot(int32([-1]), 3), "oneHot", /^oneHot: class index -1/);
  });

  it("index tensors must be int32 and shaped to fit", () => {
    expectNablaError(() => gather(x, 1, tensor([[0]])), "gather", "gather: index must be an int32 tensor, got float32");
    expectNablaError(
      () => indexSelect(x, 0, tensor([0], { dtype: "float64" })),
      "indexSelect",
      "indexSelect: index must be an int32 tensor, got float64",
    );
    expectNablaError(
      () => scatterAdd(x, 1, tensor([[true]]), zeros([1, 1])),
      "scatterAdd",
      "scatterAdd: index must be an int32 tensor, got bool",
    );
    expectNablaError(() => oneHot(tensor([0, 1]), 3), "oneHot", "oneHot: indices must be an int32 tensor, got float32");
    expectNablaError(() => gather(x, 1, int32([0])), "gather", "gather: index [1] and input [2, 3] must have the same number of dims");
    expectNablaError(() => gather(x, 1, int32([[0], [0], [0]])), "gather", "gather: index [3, 1] is larger than input [2, 3] at dim 0");
    expectNablaError(
      () => indexSelect(x, 0, int32([[0]])),
      "indexSelect",
      "indexSelect: index must be a 0-d or 1-D int32 tensor, got [1, 1]",
    );
    expectNablaError(
      () => scatterAdd(x, 1, int32([[0, 1]]), zeros([1, 1])),
      "scatterAdd",
      "scatterAdd: index [1, 2] is larger than src [1, 1] at dim 1",
    );
    expectNablaError(
      () => scatterAdd(x, 1, int32([[0]]), zeros([1, 1], { dtype: "float64" })),
      "scatterAdd",
      /src dtype float64 must match the input's float32/,
    );
  });
});

describe("views and shapes", () => {
  it("view of a layout strides cannot express explains and points to reshape", () => {
    expectNablaError(
      () => view(x.T, [6]),
      "view",
      "view: cannot view a tensor of shape [3, 2] and strides [1, 3] as [6]: its elements are not evenly spaced in memory; use reshape() (which copies) or contiguous() first",
    );
    expect(reshape(x.T, [6]).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it("asStrided may not reach outside the storage", () => {
    expectNablaError(
      () => asStrided(x, [2, 3], [3, 1], 1),
      "asStrided",
      "asStrided: shape [2, 3] with strides [3, 1] and offset 1 reaches storage positions 1 to 6, outside a storage of 6 elements",
    );
    expectNablaError(() => asStrided(x, [2], [-1], 0), "asStrided", /reaches storage positions -1 to 0, outside a storage of 6 elements/);
    expectNablaError(() => asStrided(x, [2], [1], -1), "asStrided", "asStrided: offset must be a non-negative integer, got -1");
    expectNablaError(() => asStrided(x, [2, 2], [1]), "asStrided", "asStrided: strides [1] must be 2 integers to match shape [2, 2]");
    // a view of a view still reaches the whole storage, and no further
    expect(asStrided(select(x, 0, 1), [6], [1], 0).toArray()).toEqual([0, 1, 2, 3, 4, 5]);
    expectNablaError(() => asStrided(select(x, 0, 1), [4], [1]), "asStrided", /offset 3 reaches storage positions 3 to 6/);
  });

  it("reshape and view check the element count, the -1 and every size", () => {
    expectNablaError(() => reshape(x, [4, 2]), "reshape", "reshape: shape [4, 2] is invalid for input of size 6 (shape [2, 3])");
    expectNablaError(() => view(x, [7]), "view", "view: shape [7] is invalid for input of size 6 (shape [2, 3])");
    expectNablaError(() => reshape(x, [-1, -1]), "reshape", "reshape: only one dimension can be -1, got [-1, -1]");
    expectNablaError(() => reshape(x, [4, -1]), "reshape", /^reshape: shape \[4, -1\] is invalid for input of size 6/);
    expectNablaError(() => reshape(zeros([0, 2]), [-1, 0]), "reshape", /^reshape: shape \[-1, 0\] is invalid for input of size 0/);
    expectNablaError(
      () => reshape(x, [NaN, 6]),
      "reshape",
      "reshape: invalid shape [NaN, 6]: sizes must be non-negative integers or a single -1",
    );
    expectNablaError(() => reshape(x, [-2, -3]), "reshape", /^reshape: invalid shape \[-2, -3\]/);
    expectNablaError(() => view(x, [1.5, 4]), "view", /^view: invalid shape \[1.5, 4\]/);
  });

  it.each([
    ["NaN", [NaN, 3]],
    ["negative", [-2, 3]],
    ["fractional", [2.5, 3]],
  ] as const)("a %s size is rejected by creation functions and expand", (_kind, shape) => {
    const shown = `[${shape.join(", ")}]`;
    expectNablaError(() => zeros(shape), "zeros", `zeros: invalid shape ${shown}: sizes must be non-negative integers`);
    expectNablaError(() => full(shape, 1), "full", /^full: invalid shape/);
    expectNablaError(() => rand(shape), "rand", `rand: invalid shape ${shown}: sizes must be non-negative integers`);
    expectNablaError(() => tensor(new Float32Array(6), { shape }), "tensor", /^tensor: invalid shape/);
    expectNablaError(
      () => expand(zeros([1, 3]), shape),
      "expand",
      `expand: cannot expand [1, 3] to ${shown}: sizes must be non-negative integers or -1`,
    );
  });

  it("ragged nested arrays are rejected", () => {
    expectNablaError(
      () => tensor([[1, 2], [3]]),
      "tensor",
      "tensor: ragged nested array: expected 2 elements at [1], got 1 (inferred shape [2, 2])",
    );
  });
});

describe("wrong dtypes and undefined results", () => {
  it("where needs a bool condition, as PyTorch", () => {
    expectNablaError(() => where(tensor([1, 0]), 1, 2), "where", "where: condition must be a bool tensor, got dtype float32");
    expectNablaError(() => where(int32([1, 0]), 1, 2), "where", "where: condition must be a bool tensor, got dtype int32");
  });

  it("integers cannot be raised to negative integer powers, as PyTorch", () => {
    expectNablaError(
      () => int32([2, 3]).pow(-1),
      "pow",
      /^pow: integers cannot be raised to negative integer powers \(base int32 \[2\], exponent int32/,
    );
    expectNablaError(() => int32([2, 3]).pow(int32([1, -2])), "pow", /^pow: integers cannot be raised to negative integer powers/);
    expect(int32([2, 3]).pow(2).toArray()).toEqual([4, 9]);
    const root = int32([2, 4]).pow(-0.5); // a float exponent gives float32
    expect(root.dtype).toBe("float32");
    expect(Array.from(root.data())).toEqual([Math.fround(Math.SQRT1_2), 0.5]);
  });

  it("max and min of an empty tensor are undefined", () => {
    expectNablaError(
      () => max(zeros([0])),
      "max",
      "max: cannot reduce over a zero-size dim (shape [0], dim all): the max of nothing is undefined",
    );
    expectNablaError(() => min(zeros([0, 3]), 0), "min", /^min: cannot reduce over a zero-size dim \(shape \[0, 3\], dim 0\)/);
    expectNablaError(() => argmax(zeros([2, 0])), "argmax", "argmax: cannot take argmax of an empty tensor (shape [2, 0])");
    // reducing along a dim that is not empty is fine
    expect(max(zeros([0, 3]), 1).shape).toEqual([0]);
  });

  it("only floating-point tensors can require grad", () => {
    const ints = int32([1, 2]);
    expectNablaError(
      () => (ints.requiresGrad = true),
      "requiresGrad",
      "requiresGrad: only floating-point tensors can require gradients, got int32",
    );
    expectNablaError(() => (tensor([true]).requiresGrad = true), "requiresGrad", /got bool/);
    expect(ints.requiresGrad).toBe(false);
    ints.requiresGrad = false; // turning it off is always allowed
    const y = tensor([1], { requiresGrad: true }).mul(2);
    expectNablaError(() => (y.requiresGrad = false), "requiresGrad", /can only change requiresGrad on leaf tensors/);
  });

  it("item() needs exactly one element", () => {
    expectNablaError(() => x.item(), "item", "item: only one-element tensors can be converted to a number, got shape [2, 3]");
    expectNablaError(() => zeros([0]).item(), "item", /got shape \[0\]/);
    expect(full([1, 1, 1], 4).item()).toBe(4);
    expect(x.select(0, 1).select(0, 2).item()).toBe(5);
  });

  it("ops reject dtypes PyTorch rejects", () => {
    expectNablaError(() => mean(int32([1, 2])), "mean", /^mean: needs a floating-point tensor, got int32/);
    expectNablaError(() => tensor([true]).neg(), "neg", /^neg: is not supported for bool tensors/);
    expectNablaError(() => tensor([true]).sub(tensor([false])), "sub", /bool/);
    expectNablaError(() => matmul(tensor([true]), tensor([true])), "matmul", /bool tensors are not supported/);
    expectNablaError(() => argmax(tensor([true, false])), "argmax", /not supported for bool tensors/);
    expectNablaError(() => variance(x, 0, false, -1), "var", "var: correction must be a non-negative number, got -1");
  });

  it("operands must be tensors or numbers", () => {
    expectNablaError(() => x.add("1" as never), "add", 'add: operand 1 must be a Tensor or a number, got "1"');
    expectNablaError(() => mul(null as never, x), "mul", "mul: operand 0 must be a Tensor or a number, got null");
    expectNablaError(() => x.clamp(), "clamp", "clamp: needs at least one of min and max");
  });
});

describe("a failed op leaves its inputs unchanged", () => {
  function snapshot(t: Tensor) {
    return { values: Array.from(t.data()), version: t.storage.version };
  }

  it.each([
    ["add_ of a float into int32", "add_", () => int32([1, 2]), (t: Tensor) => t.add_(1.5)],
    ["div_ of int32 (true division gives floats)", "div_", () => int32([4, 6]), (t: Tensor) => t.div_(2)],
    ["mul_ of bool by a number", "mul_", () => tensor([true, false]), (t: Tensor) => t.mul_(2)],
    ["add_ of a source that broadcasts to a larger shape", "add_", () => zeros([3]), (t: Tensor) => t.add_(zeros([2, 3]))],
    ["sub_ of a source that does not broadcast", "sub_", () => zeros([3]), (t: Tensor) => t.sub_(zeros([2]))],
    ["copy_ of a source that does not broadcast", "copy_", () => zeros([3]), (t: Tensor) => t.copy_(zeros([2]))],
    ["mul_ on an expanded view whose elements share memory", "mul_", () => zeros([1]).expand([3]), (t: Tensor) => t.mul_(2)],
    ["add_ on a leaf that requires grad outside noGrad", "add_", () => zeros([3], { requiresGrad: true }), (t: Tensor) => t.add_(1)],
    ["fill_ with a string", "fill_", () => zeros([2]), (t: Tensor) => t.fill_("1" as never)],
  ] as const)("%s", (_name, op, make, apply) => {
    const target = make();
    const before = snapshot(target);
    nablaError(() => apply(target), op);
    expect(snapshot(target)).toEqual(before);
  });

  it("in-place type errors name both dtypes", () => {
    expectNablaError(() => int32([1]).add_(1.5), "add_", "add_: the result type float32 cannot be stored in a int32 tensor");
    expectNablaError(
      () => zeros([3]).add_(zeros([2, 3])),
      "add_",
      "add_: the result of shape [2, 3] cannot be written into a tensor of shape [3]",
    );
  });

  it("a failed out-of-place op leaves its operands and their graph alone", () => {
    const a = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const index = int32([[0, 5]]);
    expect(() => scatterAdd(a, 1, index, zeros([1, 2]))).toThrow(NablaError);
    expect(() => gather(a, 1, index)).toThrow(NablaError);
    expect(a.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(a.storage.version).toBe(0);
    expect(a.grad).toBeNull();
    expect(index.toArray()).toEqual([[0, 5]]);
  });
});

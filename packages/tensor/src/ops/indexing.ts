import { checkIntegers, checkTensor } from "../args";
import { type OpContext, defineOp } from "../autograd/define-op";
import { isTensor } from "../copies";
import { allocate, resultType } from "../dtype";
import { NablaError, describeValue } from "../errors";
import { sliceLayout } from "../layout";
import { type Shape, checkRank, formatShape, normalizeDim, numelOf } from "../shape";
import { copyOf, Tensor } from "../tensor";
import { markWritten } from "../elements";
import { expand, narrow, reshape, unsqueeze } from "./movement";
import { valueRange } from "./operands";

function checkIndex(op: string, index: Tensor, limit: number, what: string): void {
  if (!isTensor(index, op) || index.dtype !== "int32") {
    throw new NablaError(op, `index must be an int32 tensor, got ${isTensor(index, op) ? index.dtype : typeof index}`);
  }
  if (index.numel === 0) return;
  const { min, max } = valueRange(index);
  if (min < 0 || max >= limit) {
    throw new NablaError(op, `index ${min < 0 ? min : max} is out of range for ${what} of size ${limit}`);
  }
}

/** gather/scatterAdd: same ndim, and index no larger than the other operand outside `dim`. */
function checkAlongShapes(op: string, dim: number, index: Tensor, other: Tensor, otherName: string): void {
  if (index.ndim !== other.ndim && !(index.ndim <= 1 && other.ndim <= 1)) {
    throw new NablaError(
      op,
      `index ${formatShape(index.shape)} and ${otherName} ${formatShape(other.shape)} must have the same number of dims`,
    );
  }
  for (let d = 0; d < index.ndim; d++) {
    if (d !== dim && index.shape[d]! > (other.shape[d] ?? 1)) {
      throw new NablaError(op, `index ${formatShape(index.shape)} is larger than ${otherName} ${formatShape(other.shape)} at dim ${d}`);
    }
  }
}

/** `gather` along a normalized dim, without checks: for an index in range by construction. */
export const gatherOp: (x: Tensor, dim: number, index: Tensor) => Tensor = defineOp({
  name: "gather",
  forward(ctx: OpContext<{ inputShape: Shape; dim: number }>, x: Tensor, dim: number, index: Tensor) {
    ctx.inputShape = x.shape;
    ctx.dim = dim;
    ctx.save(index);
    const { backend } = x.storage;
    return Tensor.fromBuffer(backend, backend.run.gather(x, dim, index, x.dtype), index.shape, x.dtype);
  },
  backward(ctx, gradOut) {
    const [index] = ctx.saved as [Tensor];
    return [scatterAddToZeros(ctx.inputShape, ctx.dim, index, gradOut), null];
  },
  accumulateInto(ctx, gradOut, [into]) {
    const [index] = ctx.saved as [Tensor];
    into!.storage.backend.run.scatterAdd(into!, ctx.dim, index, gradOut);
    markWritten(into!);
    return [null, null];
  },
  formula: { forward: "y[…i…] = x[…index[…i…]…] along dim", backward: "x̄ = zeros, then x̄[…index[…i…]…] += ȳ[…i…]" },
});

/**
 * The values of `x` along `dim` at the positions `index` holds (PyTorch's `gather`):
 * out[i][j] = x[i][index[i][j]] for dim 1. `index` is int32 with the same number of dims as x,
 * and the result has its shape; its gradient scatters back (repeats add up).
 *
 * @example
 * ```ts
 * const logProbs = tensor([[-0.1, -2.3], [-1.6, -0.2]]);
 * const targets = tensor([0, 1], { dtype: "int32" });
 * gather(logProbs, 1, targets.unsqueeze(1)); // → [[-0.1], [-0.2]]
 * ```
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor("gather", "input", x);
  const d = normalizeDim("gather", dim, x.ndim);
  checkIndex("gather", index, x.ndim === 0 ? 1 : x.shape[d]!, `dim ${dim} of input ${formatShape(x.shape)}`);
  checkAlongShapes("gather", d, index, x, "input");
  return gatherOp(x, d, index);
}

/** `scatterAdd` along a normalized dim, without checks: for an index in range by construction. */
export const scatterAddOp: (x: Tensor, dim: number, index: Tensor, src: Tensor) => Tensor = defineOp({
  name: "scatterAdd",
  forward(ctx, x: Tensor, dim: number, index: Tensor, src: Tensor) {
    ctx.dim = dim;
    ctx.save(index);
    // a zero operand (see scatterAddToZeros) is a zeroed buffer: nothing to copy
    const { backend } = x.storage;
    const out = Object.is(x.storage.heldNumber, 0)
      ? Tensor.fromBuffer(backend, backend.allocate(x.dtype, numelOf(x.shape)), x.shape, x.dtype)
      : copyOf(x);
    backend.run.scatterAdd(out, dim, index, src);
    return out;
  },
  backward(ctx, gradOut) {
    const [index] = ctx.saved as [Tensor];
    return [ctx.needsInputGrad[0] ? gradOut : null, null, ctx.needsInputGrad[2] ? gatherOp(gradOut, ctx.dim, index) : null];
  },
  formula: { forward: "y = x, then y[…index[…i…]…] += src[…i…] along dim", backward: "x̄ = ȳ, src̄[…i…] = ȳ[…index[…i…]…]" },
});

/**
 * zeros(shape) of `src`'s dtype with `src` added at the positions `index` gives along a normalized
 * `dim`, without checks (an index in range by construction): a gradient that scatters back, as
 * gather's and max pooling's do. It starts from a zeroed buffer rather than a copy of zeros.
 */
export function scatterAddToZeros(shape: Shape, dim: number, index: Tensor, src: Tensor): Tensor {
  return scatterAddOp(Tensor.fromNumber(0, src.dtype, shape), dim, index, src);
}

/**
 * A copy of `x` with `src`'s values added at the positions `index` gives along `dim`:
 * out[index[i]] += src[i] for dim 0 (PyTorch's `scatter_add`, out of place). Repeated positions add
 * up; `src` must have x's dtype.
 *
 * @example
 * ```ts
 * scatterAdd(zeros([3]), 0, tensor([0, 2, 0], { dtype: "int32" }), tensor([1, 2, 3])); // → [4, 0, 2]
 * ```
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  checkTensor("scatterAdd", "input", x);
  const d = normalizeDim("scatterAdd", dim, x.ndim);
  if (!isTensor(src, "scatterAdd")) throw new NablaError("scatterAdd", "src must be a tensor");
  if (src.dtype !== x.dtype) throw new NablaError("scatterAdd", `src dtype ${src.dtype} must match the input's ${x.dtype}`);
  checkIndex("scatterAdd", index, x.ndim === 0 ? 1 : x.shape[d]!, `dim ${dim} of input ${formatShape(x.shape)}`);
  checkAlongShapes("scatterAdd", d, index, x, "input");
  checkAlongShapes("scatterAdd", -1, index, src, "src");
  return scatterAddOp(x, d, index, src);
}

/**
 * The slices of `x` at the positions of `index` (1-D int32) along `dim`, in that order, repeats
 * allowed (PyTorch's `index_select`).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * indexSelect(x, 0, tensor([1, 1, 0], { dtype: "int32" })); // → [[3, 4], [3, 4], [1, 2]]
 * indexSelect(x, 1, tensor([1], { dtype: "int32" }));       // → [[2], [4]]
 * ```
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor("indexSelect", "input", x);
  const d = normalizeDim("indexSelect", dim, x.ndim);
  if (!isTensor(index, "indexSelect") || index.ndim > 1) {
    throw new NablaError(
      "indexSelect",
      `index must be a 0-d or 1-D int32 tensor, got ${isTensor(index, "indexSelect") ? formatShape(index.shape) : typeof index}`,
    );
  }
  checkIndex("indexSelect", index, x.ndim === 0 ? 1 : x.shape[d]!, `dim ${dim} of input ${formatShape(x.shape)}`);
  return selectIndices(x, d, index);
}

/** `indexSelect` along a normalized dim, for an index already known to be in range (no checks). */
export function selectIndices(x: Tensor, d: number, index: Tensor): Tensor {
  if (x.ndim === 0) return gatherOp(x, 0, reshape(index, []));
  // an index shaped [1, …, k, …, 1] and expanded (stride 0) over the other dims turns this into a gather
  const outShape = x.shape.map((size, i) => (i === d ? index.numel : size));
  const shaped = reshape(
    index,
    x.shape.map((_, i) => (i === d ? index.numel : 1)),
  );
  return gatherOp(x, d, expand(shaped, outShape));
}

const catOp = defineOp({
  name: "cat",
  forward(ctx, ...args: unknown[]) {
    const dim = args[args.length - 1] as number;
    const tensors = args.slice(0, -1) as Tensor[];
    const dtype = resultType(tensors);
    const shape = [...tensors[0]!.shape];
    shape[dim] = tensors.reduce((total, t) => total + t.shape[dim]!, 0);
    const { backend } = tensors[0]!.storage;
    const out = Tensor.fromBuffer(backend, backend.allocate(dtype, numelOf(shape)), shape, dtype);
    let start = 0;
    for (const t of tensors) {
      const size = t.shape[dim]!;
      backend.run.write(out.withLayout(sliceLayout("cat", out, dim, start, start + size, 1)), t);
      start += size;
    }
    ctx.dim = dim;
    ctx.sizes = tensors.map((t) => t.shape[dim]!);
    return out;
  },
  backward(ctx, gradOut) {
    let start = 0;
    return (ctx.sizes as number[]).map((size) => {
      const part = narrow(gradOut, ctx.dim, start, size);
      start += size;
      return part;
    });
  },
  formula: { forward: "y = [x₁; x₂; …] along dim", backward: "x̄ₖ = the k-th block of ȳ along dim" },
});

/**
 * Joins tensors along an existing `dim` (default 0); all other sizes must match, and dtypes promote
 * (PyTorch's `cat`). 1-D empty tensors are skipped, as in PyTorch.
 *
 * @example
 * ```ts
 * cat([tensor([[1, 2]]), tensor([[3, 4]])]);    // → [[1, 2], [3, 4]]
 * cat([tensor([[1, 2]]), tensor([[3, 4]])], 1); // → [[1, 2, 3, 4]]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new NablaError("cat", "expected a non-empty array of tensors");
  tensors.forEach((t, i) => {
    if (!isTensor(t, "cat")) throw new NablaError("cat", `element ${i} is not a tensor`);
  });
  // PyTorch skips 1-D empty tensors of shape [0] when joining others
  const nonEmpty = (tensors as readonly Tensor[]).filter((t) => !(t.ndim === 1 && t.shape[0] === 0));
  const parts = nonEmpty.length > 0 ? nonEmpty : [tensors[0]!];
  const first = parts[0]!;
  if (first.ndim === 0) throw new NablaError("cat", "zero-dimensional tensors cannot be concatenated; use stack");
  const d = normalizeDim("cat", dim, first.ndim);
  parts.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((size: number, k: number) => k !== d && size !== first.shape[k])) {
      throw new NablaError(
        "cat",
        `sizes must match except in dim ${dim}: tensor 0 has shape ${formatShape(first.shape)}, tensor ${i} has ${formatShape(t.shape)}`,
      );
    }
  });
  // the result type counts the skipped empty tensors too (PyTorch's cat: result_type over all inputs)
  const dtype = resultType(tensors);
  return catOp(...parts.map((t) => (t.dtype === dtype ? t : t.to(dtype))), d);
}

/**
 * Joins same-shaped tensors along a new `dim` (default 0), as PyTorch's `stack`.
 *
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])]);    // → [[1, 2], [3, 4]]
 * stack([tensor([1, 2]), tensor([3, 4])], 1); // → [[1, 3], [2, 4]]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new NablaError("stack", "expected a non-empty array of tensors");
  const first = checkTensor("stack", "tensors[0]", tensors[0]);
  tensors.forEach((t: Tensor, i) => {
    if (!isTensor(t, "stack") || t.ndim !== first.ndim || t.shape.some((size: number, k: number) => size !== first.shape[k])) {
      throw new NablaError(
        "stack",
        `all tensors must have one shape: tensor 0 has ${formatShape(first.shape)}, tensor ${i} has ${isTensor(t, "stack") ? formatShape(t.shape) : typeof t}`,
      );
    }
  });
  const d = normalizeDim("stack", dim, first.ndim + 1);
  return cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
}

/**
 * Views of consecutive chunks of `x` along `dim`: chunks of `size` (the last may be smaller), or of
 * the given sizes, which must add up to the dim's size (PyTorch's `split`).
 *
 * @example
 * ```ts
 * split(arange(5), 2);      // → [[0, 1], [2, 3], [4]]
 * split(arange(5), [1, 4]); // → [[0], [1, 2, 3, 4]]
 * ```
 */
export function split(x: Tensor, sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
  checkTensor("split", "input", x);
  const d = normalizeDim("split", dim, x.ndim);
  const total = x.shape[d]!;
  let sizes: number[];
  if (typeof sizeOrSizes === "number") {
    if (!Number.isInteger(sizeOrSizes) || sizeOrSizes <= 0)
      throw new NablaError("split", `split size must be a positive integer, got ${describeValue(sizeOrSizes)}`);
    sizes = [];
    for (let start = 0; start < total; start += sizeOrSizes) sizes.push(Math.min(sizeOrSizes, total - start));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = [...checkIntegers("split", "sizeOrSizes", sizeOrSizes)];
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sum !== total) {
      throw new NablaError(
        "split",
        `sizes [${sizes.join(", ")}] must be non-negative integers summing to ${total}, the size of dim ${dim} (shape ${formatShape(x.shape)})`,
      );
    }
  }
  let start = 0;
  return sizes.map((size) => {
    const part = narrow(x, d, start, size);
    start += size;
    return part;
  });
}

/**
 * One-hot encoding of int32 class indices: shape [...indices.shape, numClasses], int32 (PyTorch's
 * `one_hot`). numClasses -1 means one more than the largest index.
 *
 * @example
 * ```ts
 * oneHot(tensor([0, 2], { dtype: "int32" }));    // → [[1, 0, 0], [0, 0, 1]]
 * oneHot(tensor([1], { dtype: "int32" }), 4);    // → [[0, 1, 0, 0]]
 * ```
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  if (!isTensor(indices, "oneHot") || indices.dtype !== "int32") {
    throw new NablaError("oneHot", `indices must be an int32 tensor, got ${isTensor(indices, "oneHot") ? indices.dtype : typeof indices}`);
  }
  checkRank("oneHot", indices.ndim + 1);
  const values = indices.data() as Int32Array;
  let classes = numClasses;
  if (classes === -1) {
    classes = 0;
    for (const c of values) if (c + 1 > classes) classes = c + 1;
  }
  if (!Number.isSafeInteger(classes) || classes < 0)
    throw new NablaError("oneHot", `numClasses must be -1 or a non-negative integer, got ${describeValue(numClasses)}`);
  const out = allocate("int32", values.length * classes, "oneHot") as Int32Array;
  for (let i = 0; i < values.length; i++) {
    const c = values[i]!;
    if (c < 0 || c >= classes)
      throw new NablaError("oneHot", `class index ${c} at flat position ${i} is out of range for ${classes} classes`);
    out[i * classes + c] = 1;
  }
  return Tensor.fromData(out, [...indices.shape, classes], "int32");
}

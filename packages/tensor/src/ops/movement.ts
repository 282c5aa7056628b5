import { defineOp } from "../autograd/define-op";
import { DEVICES, type Device, assertDevice, isDevice } from "../device";
import { DTYPES, type DType, isDType, isFloating } from "../dtype";
import { NablaError, describeValue } from "../errors";
import {
  expandLayout,
  hasInternalOverlap,
  isContiguousLayout,
  type Layout,
  permuteLayout,
  sliceLayout,
  storageExtent,
  viewStrides,
} from "../layout";
import { checkDims, checkIntegers, checkTensor } from "../args";
import { type Shape, checkRank, checkShape, formatShape, inferShape, normalizeDim, normalizeDims, numelOf, shapesEqual } from "../shape";
import { copyOf, Tensor, type Dims } from "../tensor";
import { gatherOp, scatterAddToZeros } from "./indexing";
import { sum } from "./reduce";
import { div } from "./binary";
import { add_ } from "./inplace";

// Every view op computes a new layout over the same storage; its backward is the inverse movement.

const reshapeOp = defineOp({
  name: "reshape",
  forward(ctx, x: Tensor, shape: number[], mustView: boolean, chosenStrides?: readonly number[]) {
    ctx.inputShape = x.shape;
    const strides = chosenStrides ? [...chosenStrides] : viewStrides(x, shape);
    if (strides) return x.withLayout({ shape, strides, offset: x.offset });
    if (mustView) {
      throw new NablaError(
        "view",
        `cannot view a tensor of shape ${formatShape(x.shape)} and strides ${formatShape(x.strides)} as ${formatShape(shape)}: ` +
          "its elements are not evenly spaced in memory; use reshape() (which copies) or contiguous() first",
      );
    }
    return copyOf(x, x.dtype, shape);
  },
  backward(ctx, gradOut) {
    return [reshape(gradOut, ctx.inputShape)];
  },
  formula: { forward: "y = reshape(x, shape)", backward: "x̄ = reshape(ȳ, shape(x))" },
});

/**
 * The elements of `x` in row-major order with a new shape, as `torch.reshape`; one size may be -1
 * (inferred). A view of the same storage when the strides allow it, else a copy (`view` never
 * copies). Throws when the number of elements differs.
 *
 * @example
 * ```ts
 * reshape(arange(6), [2, 3]);        // → [[0, 1, 2], [3, 4, 5]]
 * reshape(arange(6), [-1, 2]).shape; // → [3, 2]
 * reshape(arange(6), [4, 2]); // throws reshape: shape [4, 2] is invalid for input of size 6 (shape [6])
 * ```
 */
export function reshape(x: Tensor, shape: Shape): Tensor {
  checkTensor("reshape", "input", x);
  return reshapeOp(x, inferShape("reshape", shape, x.numel, x.shape), false);
}

/**
 * Like `reshape`, but always a view of the same storage, as PyTorch's `view`: throws when the
 * strides cannot express the new shape (call `contiguous()` first, or use `reshape`).
 *
 * @example
 * ```ts
 * const x = arange(6);
 * view(x, [2, 3]).storage === x.storage; // → true
 * view(view(x, [2, 3]).T, [6]); // throws view: cannot view a tensor of shape [3, 2] and strides [1, 3] as [6]…
 * ```
 */
export function view(x: Tensor, shape: Shape): Tensor {
  checkTensor("view", "input", x);
  return reshapeOp(x, inferShape("view", shape, x.numel, x.shape), true);
}

const permuteOp: (x: Tensor, dims: readonly number[]) => Tensor = defineOp({
  name: "permute",
  forward(ctx, x: Tensor, dims: readonly number[]) {
    const layout = permuteLayout("permute", x, dims);
    ctx.inverse = inversePermutation(dims.map((d) => normalizeDim("permute", d, x.ndim)));
    return x.withLayout(layout);
  },
  backward(ctx, gradOut) {
    return [permuteOp(gradOut, ctx.inverse)];
  },
  formula: { forward: "y = permute(x, dims)", backward: "x̄ = permute(ȳ, dims⁻¹)" },
});

function inversePermutation(dims: readonly number[]): number[] {
  const inverse = new Array<number>(dims.length);
  dims.forEach((d, i) => {
    inverse[d] = i;
  });
  return inverse;
}

/**
 * The dims of `x` reordered, as a view: dim i of the result is dim `dims[i]` of x (PyTorch's
 * `permute`). `dims` must list every dim once.
 *
 * @example
 * ```ts
 * permute(zeros([2, 3, 4]), [2, 0, 1]).shape; // → [4, 2, 3]
 * permute(zeros([2, 3]), [0, 0]); // throws permute…
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor("permute", "input", x);
  return permuteOp(x, checkIntegers("permute", "dims", dims));
}

/**
 * `x` with dims `dim0` and `dim1` swapped, as a view (PyTorch's `transpose`). Negative dims count
 * from the end.
 *
 * @example
 * ```ts
 * transpose(tensor([[1, 2], [3, 4]]), 0, 1); // → [[1, 3], [2, 4]]
 * transpose(zeros([2, 3, 4]), 0, -1).shape;  // → [4, 3, 2]
 * ```
 */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor("transpose", "input", x);
  const d0 = normalizeDim("transpose", dim0, x.ndim);
  const d1 = normalizeDim("transpose", dim1, x.ndim);
  if (x.ndim < 2)
    return permuteOp(
      x,
      x.shape.map((_, d) => d),
    );
  const dims = x.shape.map((_, d) => d);
  dims[d0] = d1;
  dims[d1] = d0;
  return permuteOp(x, dims);
}

/** All dims reversed, as numpy's `.T`. */
export function reverseDims(x: Tensor): Tensor {
  return permuteOp(
    x,
    x.shape.map((_, d) => x.ndim - 1 - d),
  );
}

/** The last two dims swapped (a batch of matrices transposed). */
export function matrixTranspose(x: Tensor): Tensor {
  if (x.ndim < 2) throw new NablaError("mT", `needs at least 2 dims, got shape ${formatShape(x.shape)}`);
  return transpose(x, -2, -1);
}

const expandOp = defineOp({
  name: "expand",
  forward(ctx, x: Tensor, shape: readonly number[]) {
    ctx.inputShape = x.shape;
    return x.withLayout(expandLayout("expand", x, shape));
  },
  backward(ctx, gradOut) {
    return [sumTo(gradOut, ctx.inputShape)];
  },
  formula: { forward: "y = expand(x, shape) (stride 0 along new and size-1 dims)", backward: "x̄ = Σ ȳ over the expanded dims" },
});

/**
 * Repeats the size-1 dims of `x` (and prepends new ones) to `shape` without copying: the repeated
 * dims get stride 0 (PyTorch's `expand`). -1 keeps a size. Its gradient sums over the repeats.
 *
 * @example
 * ```ts
 * expand(tensor([[1], [2]]), [2, 3]);     // → [[1, 1, 1], [2, 2, 2]]
 * expand(tensor([1, 2]), [3, -1]).strides; // → [0, 1]
 * ```
 */
export function expand(x: Tensor, shape: Shape): Tensor {
  checkTensor("expand", "input", x);
  if (Array.isArray(shape) && shapesEqual(x.shape, shape)) return x; // else expandLayout reports a bad shape
  return expandOp(x, shape);
}

/**
 * `x` broadcast to `shape` by numpy's rules, as a view (PyTorch's `broadcast_to`; the same as
 * `expand`). Throws when the shapes do not broadcast.
 *
 * @example
 * ```ts
 * broadcastTo(tensor([1, 2, 3]), [2, 3]); // → [[1, 2, 3], [1, 2, 3]]
 * ```
 */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  checkTensor("broadcastTo", "input", x);
  expandLayout("broadcastTo", x, shape); // so a bad target is reported as broadcastTo's
  return expand(x, shape);
}

/**
 * Sums `g` over the dims that broadcasting added or stretched, back to `shape` (PyTorch's
 * `sum_to_size`): what the gradient of a broadcast operand needs. For writing backward rules.
 *
 * @example
 * ```ts
 * sumTo(ones([2, 3]), [3]);    // → [2, 2, 2]
 * sumTo(ones([2, 3]), [2, 1]); // → [[3], [3]]
 * ```
 */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  checkTensor("sumTo", "input", g);
  checkIntegers("sumTo", "shape", shape);
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) if (d < lead || (shape[d - lead] === 1 && g.shape[d] !== 1)) dims.push(d);
  const summed = dims.length > 0 ? sum(g, dims, true) : g;
  return reshape(summed, shape);
}

const sliceOp = defineOp({
  name: "slice",
  forward(ctx, x: Tensor, dim: number, start: number | undefined, end: number | undefined, step: number) {
    const layout = sliceLayout("slice", x, dim, start, end, step);
    const d = normalizeDim("slice", dim, x.ndim);
    ctx.inputShape = x.shape;
    ctx.dim = d;
    ctx.first = clampStart(start, x.shape[d]!);
    ctx.step = step;
    return x.withLayout(layout);
  },
  backward(ctx, gradOut) {
    // write ȳ into zeros at the sliced positions: a scatter-add along dim
    const { dim, first, step } = ctx;
    const positions = expand(arangeIndex(first, step, gradOut.shape[dim]!, gradOut.ndim, dim), gradOut.shape);
    return [scatterAddToZeros(ctx.inputShape, dim, positions, gradOut)];
  },
  accumulateInto(ctx, gradOut, [into]) {
    const { dim, first, step } = ctx;
    add_(sliceOp(into!, dim, first, first + (gradOut.shape[dim]! - 1) * step + 1, step), gradOut);
    return [null];
  },
  formula: { forward: "y = x[start:end:step] along dim", backward: "x̄ = zeros(shape(x)) with x̄[start:end:step] = ȳ" },
});

/** The first index a Python slice keeps (as sliceLayout clamps it). */
function clampStart(start: number | undefined, size: number): number {
  if (start === undefined) return 0;
  return Math.min(Math.max(start < 0 ? start + size : start, 0), size);
}

/** An int32 index [first, first + step, …] of `count` entries, shaped to broadcast along `dim`. */
function arangeIndex(first: number, step: number, count: number, ndim: number, dim: number): Tensor {
  const data = new Int32Array(count);
  for (let i = 0; i < count; i++) data[i] = first + i * step;
  const shape = new Array<number>(ndim).fill(1);
  shape[dim] = count;
  return Tensor.fromData(data, shape, "int32");
}

/**
 * Python slicing along one dim, as a view: `slice(x, 1, 0, 10, 2)` is PyTorch's `x[:, 0:10:2]`.
 * `start` and `end` may be negative or out of range (clamped, as Python); `step` is positive. Its
 * gradient writes into zeros at the sliced positions.
 *
 * @example
 * ```ts
 * slice(arange(10), 0, 2, 8, 3); // → [2, 5]
 * slice(arange(10), 0, -3);      // → [7, 8, 9]
 * ```
 */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  checkTensor("slice", "input", x);
  return sliceOp(x, dim, start, end, step);
}

/**
 * The sub-tensor at `index` along `dim`, with that dim removed, as a view (PyTorch's `select`, or
 * `x[:, i]` for dim 1). A negative index counts from the end.
 *
 * @example
 * ```ts
 * select(tensor([[1, 2], [3, 4]]), 1, 0); // → [1, 3]
 * select(tensor([1, 2]), 0, 2); // throws select: index 2 is out of range for dim 0 of size 2 (shape [2])
 * ```
 */
export function select(x: Tensor, dim: number, index: number): Tensor {
  checkTensor("select", "input", x);
  const d = normalizeDim("select", dim, x.ndim);
  if (x.ndim === 0) throw new NablaError("select", "cannot select from a 0-d tensor");
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new NablaError("select", `index ${index} is out of range for dim ${dim} of size ${size} (shape ${formatShape(x.shape)})`);
  }
  const i = index < 0 ? index + size : index;
  return squeeze(sliceOp(x, d, i, i + 1, 1), d);
}

/**
 * `length` elements from `start` along `dim`, as a view (PyTorch's `narrow`). Throws when they do
 * not fit.
 *
 * @example
 * ```ts
 * narrow(arange(6), 0, 1, 3); // → [1, 2, 3]
 * ```
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  checkTensor("narrow", "input", x);
  const d = normalizeDim("narrow", dim, x.ndim);
  const size = x.shape[d]!;
  const from = start < 0 ? start + size : start;
  if (!Number.isInteger(start) || !Number.isInteger(length) || from < 0 || length < 0 || from + length > size) {
    throw new NablaError(
      "narrow",
      `start ${start} and length ${length} do not fit dim ${dim} of size ${size} (shape ${formatShape(x.shape)})`,
    );
  }
  return sliceOp(x, d, from, from + length, 1);
}

/**
 * Removes size-1 dims, as a view: all of them, or only those of `dim` (a dim or a list; a listed
 * dim whose size is not 1 stays, as in PyTorch).
 *
 * @example
 * ```ts
 * squeeze(zeros([2, 1, 3, 1])).shape;      // → [2, 3]
 * squeeze(zeros([2, 1, 3, 1]), -1).shape;  // → [2, 1, 3]
 * ```
 */
export function squeeze(x: Tensor, dim?: Dims): Tensor {
  checkTensor("squeeze", "input", x);
  const dims = dim === undefined ? undefined : checkDims("squeeze", "dim", dim);
  const listed = dims === undefined ? null : normalizeDims("squeeze", typeof dims === "number" ? [dims] : dims, x.ndim);
  const shape = x.shape.filter((size, d) => size !== 1 || (listed !== null && !listed.includes(d)));
  return shapesEqual(shape, x.shape) ? x : reshapeOp(x, shape, true);
}

/**
 * Inserts a size-1 dim at `dim`, as a view (PyTorch's `unsqueeze`); `dim` may be `x.ndim`, or
 * negative to count from the end.
 *
 * @example
 * ```ts
 * unsqueeze(tensor([1, 2, 3]), 1); // → [[1], [2], [3]]
 * ```
 */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor("unsqueeze", "input", x);
  checkRank("unsqueeze", x.ndim + 1);
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  // PyTorch's stride for the new dim: what stepping over the next dim would take (1 at the end)
  const strides = [...x.strides];
  strides.splice(d, 0, d < x.ndim ? x.shape[d]! * x.strides[d]! : 1);
  return reshapeOp(x, shape, true, strides);
}

/**
 * Dims `startDim` through `endDim` (all by default) merged into one, as PyTorch's `flatten`: a view
 * when the strides allow it, else a copy. A 0-d tensor becomes shape [1].
 *
 * @example
 * ```ts
 * flatten(zeros([2, 3, 4]), 1).shape;    // → [2, 12]
 * flatten(zeros([2, 3, 4]), 0, 1).shape; // → [6, 4]
 * ```
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor("flatten", "input", x);
  if (x.ndim === 0) return reshape(x, [1]);
  const start = normalizeDim("flatten", startDim, x.ndim);
  const end = normalizeDim("flatten", endDim, x.ndim);
  if (start > end) throw new NablaError("flatten", `startDim ${startDim} comes after endDim ${endDim} (shape ${formatShape(x.shape)})`);
  const shape = [...x.shape.slice(0, start), numelOf(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)];
  return reshape(x, shape);
}

const asStridedOp = defineOp({
  name: "asStrided",
  forward(ctx, x: Tensor, layout: Layout) {
    ctx.input = { shape: x.shape, strides: x.strides, offset: x.offset };
    ctx.output = layout;
    ctx.storageLength = x.storage.size;
    return x.withLayout(layout);
  },
  backward(ctx, gradOut) {
    // Gradients live in storage space: add ȳ at every storage position the output reads
    // (overlapping outputs add up), then read them back through the input's layout. An input
    // that itself reaches a position several times shares that gradient equally.
    const storageLength: number = ctx.storageLength;
    const outputPositions = storagePositions(ctx.output);
    const inputPositions = storagePositions(ctx.input);
    const inStorage = scatterAddToZeros([storageLength], 0, outputPositions, reshape(gradOut, [-1]));
    let gradIn = reshape(gatherOp(inStorage, 0, inputPositions), ctx.input.shape);
    if (hasInternalOverlap(ctx.input)) {
      const counts = new Float64Array(storageLength);
      for (const p of inputPositions.data()) counts[p]! += 1;
      const shared = Tensor.fromData(counts, [storageLength], "float64");
      gradIn = div(gradIn, to(reshape(gatherOp(shared, 0, inputPositions), ctx.input.shape), gradOut.dtype));
    }
    return [gradIn];
  },
  formula: {
    forward: "y = asStrided(x, shape, strides, offset)",
    backward: "x̄[p] = Σ ȳ[i] over the elements i that read storage position p",
  },
});

/** Every storage position a layout reads, in row-major order, as an int32 vector. */
function storagePositions(layout: Layout): Tensor {
  const n = numelOf(layout.shape);
  const positions = new Int32Array(n);
  const index = new Array<number>(layout.shape.length).fill(0);
  let position = layout.offset;
  for (let i = 0; i < n; i++) {
    positions[i] = position;
    for (let d = layout.shape.length - 1; d >= 0; d--) {
      if (++index[d]! < layout.shape[d]!) {
        position += layout.strides[d]!;
        break;
      }
      position -= layout.strides[d]! * (layout.shape[d]! - 1);
      index[d] = 0;
    }
  }
  return Tensor.fromData(positions, [n], "int32");
}

/**
 * A view of x's storage with explicit shape, strides and storage offset (absolute; x's own by
 * default), as PyTorch's `as_strided`. Every position it reaches must lie inside the storage.
 * Elements may overlap (sliding windows); such a view is read-only. Differentiable.
 *
 * @example
 * ```ts
 * asStrided(arange(5), [3, 3], [1, 1]); // → [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
 * asStrided(arange(5), [2, 2], [2, 1], 1); // → [[1, 2], [3, 4]]
 * ```
 */
export function asStrided(x: Tensor, shape: Shape, strides: readonly number[], offset?: number): Tensor {
  checkTensor("asStrided", "input", x);
  const checked = checkShape("asStrided", shape);
  checkIntegers("asStrided", "strides", strides);
  if (strides.length !== checked.length || strides.some((s) => !Number.isInteger(s))) {
    throw new NablaError(
      "asStrided",
      `strides ${formatShape(strides)} must be ${checked.length} integers to match shape ${formatShape(checked)}`,
    );
  }
  const start = offset ?? x.offset;
  if (!Number.isInteger(start) || start < 0)
    throw new NablaError("asStrided", `offset must be a non-negative integer, got ${describeValue(start)}`);
  const layout: Layout = { shape: checked, strides: [...strides], offset: start };
  const extent = storageExtent(layout);
  const length = x.storage.size;
  if (extent && (extent.min < 0 || extent.max >= length)) {
    throw new NablaError(
      "asStrided",
      `shape ${formatShape(checked)} with strides ${formatShape(strides)} and offset ${start} reaches storage positions ${extent.min} to ${extent.max}, outside a storage of ${length} elements`,
    );
  }
  return asStridedOp(x, layout);
}

const cloneOp = defineOp({
  name: "clone",
  forward(_ctx, x: Tensor) {
    return copyOf(x);
  },
  backward(_ctx, gradOut) {
    return [gradOut];
  },
  formula: { forward: "y = copy of x (contiguous)", backward: "x̄ = ȳ" },
});

/**
 * A contiguous copy of `x` with its own storage, as PyTorch's `clone`. Gradients flow through it.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2]);
 * clone(x).storage === x.storage; // → false
 * ```
 */
export function clone(x: Tensor): Tensor {
  checkTensor("clone", "input", x);
  return cloneOp(x);
}

/**
 * `x` itself when it is already contiguous, else a contiguous copy (PyTorch's `contiguous`).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * contiguous(x) === x;     // → true
 * contiguous(x.T).data();  // → [1, 3, 2, 4]
 * ```
 */
export function contiguous(x: Tensor): Tensor {
  checkTensor("contiguous", "input", x);
  return isContiguousLayout(x) ? x : cloneOp(x);
}

const castOp: (x: Tensor, dtype: DType) => Tensor = defineOp({
  name: "cast",
  forward(ctx, x: Tensor, dtype: DType) {
    ctx.inputDType = x.dtype;
    return copyOf(x, dtype);
  },
  backward(ctx, gradOut) {
    return [isFloating(ctx.inputDType) ? castOp(gradOut, ctx.inputDType) : null];
  },
  formula: { forward: "y = x converted to dtype", backward: "x̄ = ȳ converted back to dtype(x)" },
});

/**
 * `x` converted to `dtype` (a copy; `x` itself when it already has that dtype), or moved to
 * `device` (`x` itself when it is already there), as PyTorch's `to`. Floats become int32 by
 * truncation toward zero, and nonzero values become true. `"cpu"` is the only device available.
 *
 * @example
 * ```ts
 * to(tensor([1.7, -1.7]), "int32"); // → [1, -1]
 * to(tensor([0, 2]), "bool");       // → [false, true]
 * const x = tensor([1, 2]);
 * to(x, "cpu") === x;               // → true
 * ```
 */
export function to(x: Tensor, dtypeOrDevice: DType | Device): Tensor {
  checkTensor("to", "input", x);
  if (isDevice(dtypeOrDevice)) {
    assertDevice("to", dtypeOrDevice);
    return x; // every available device is the CPU, where x already is
  }
  if (!isDType(dtypeOrDevice)) {
    throw new NablaError(
      "to",
      `unknown dtype ${describeValue(dtypeOrDevice)} (expected one of ${DTYPES.join(", ")}), nor a device (${DEVICES.join(", ")})`,
    );
  }
  return x.dtype === dtypeOrDevice ? x : castOp(x, dtypeOrDevice);
}

/** Writes `src` (already of the destination's shape) into `dst`'s storage through its layout. */
export function writeInto(dst: Tensor, src: Tensor): void {
  dst.storage.backend.run.write(dst, src);
}

import { defineOp } from "../autograd/define-op";
import { type DType, assertDType, isFloating } from "../dtype";
import { NablaError } from "../errors";
import { copyStrided, toContiguous } from "../kernels/elementwise";
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
import { type Shape, checkShape, formatShape, inferShape, normalizeDim, normalizeDims, numelOf, shapesEqual } from "../shape";
import { Tensor, type Dims } from "../tensor";
import { scatterAdd, gather } from "./indexing";
import { sum } from "./reduce";
import { zeros } from "../creation";

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
    return Tensor.fromData(toContiguous(x.strided, x.dtype), shape, x.dtype);
  },
  backward(ctx, gradOut) {
    return [reshape(gradOut, ctx.inputShape)];
  },
  formula: { forward: "y = reshape(x, shape)", backward: "x̄ = reshape(ȳ, shape(x))" },
});

/** A tensor with the same elements in row-major order and a new shape (one -1 is inferred); a view when strides allow, else a copy. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  return reshapeOp(x, inferShape("reshape", shape, x.numel, x.shape), false);
}

/** Like reshape, but never copies: throws when the strides cannot express the new shape. */
export function view(x: Tensor, shape: Shape): Tensor {
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
  dims.forEach((d, i) => (inverse[d] = i));
  return inverse;
}

export function permute(x: Tensor, dims: readonly number[]): Tensor {
  return permuteOp(x, dims);
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const d0 = normalizeDim("transpose", dim0, x.ndim);
  const d1 = normalizeDim("transpose", dim1, x.ndim);
  if (x.ndim < 2) return permuteOp(x, x.shape.map((_, d) => d));
  const dims = x.shape.map((_, d) => d);
  dims[d0] = d1;
  dims[d1] = d0;
  return permuteOp(x, dims);
}

/** All dims reversed, as numpy's `.T`. */
export function reverseDims(x: Tensor): Tensor {
  return permuteOp(x, x.shape.map((_, d) => x.ndim - 1 - d));
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

/** Repeats size-1 dims (and prepends new ones) without copying: stride 0. -1 keeps a size. */
export function expand(x: Tensor, shape: Shape): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  return expandOp(x, shape);
}

/** Expands to `shape` by broadcasting rules (same as expand). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  expandLayout("broadcastTo", x, shape); // so a bad target is reported as broadcastTo's
  return expand(x, shape);
}

/** Sums a broadcast gradient back to `shape`: the one rule that undoes broadcasting. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
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
    const positions = arangeIndex(first, step, gradOut.shape[dim]!, gradOut.ndim, dim).expand(gradOut.shape);
    return [scatterAdd(zeros(ctx.inputShape, { dtype: gradOut.dtype }), dim, positions, gradOut)];
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

/** Python slicing along one dim: `x.slice(1, 0, 10, 2)` is `x[:, 0:10:2]`. A view. */
export function slice(x: Tensor, dim: number, start?: number, end?: number, step = 1): Tensor {
  return sliceOp(x, dim, start, end, step);
}

/** The sub-tensor at `index` along `dim`, with that dim removed. A view. */
export function select(x: Tensor, dim: number, index: number): Tensor {
  const d = normalizeDim("select", dim, x.ndim);
  if (x.ndim === 0) throw new NablaError("select", "cannot select from a 0-d tensor");
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new NablaError("select", `index ${index} is out of range for dim ${dim} of size ${size} (shape ${formatShape(x.shape)})`);
  }
  const i = index < 0 ? index + size : index;
  return squeeze(sliceOp(x, d, i, i + 1, 1), d);
}

/** `length` elements from `start` along `dim`. A view. */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim("narrow", dim, x.ndim);
  const size = x.shape[d]!;
  const from = start < 0 ? start + size : start;
  if (!Number.isInteger(start) || !Number.isInteger(length) || from < 0 || length < 0 || from + length > size) {
    throw new NablaError("narrow", `start ${start} and length ${length} do not fit dim ${dim} of size ${size} (shape ${formatShape(x.shape)})`);
  }
  return sliceOp(x, d, from, from + length, 1);
}

/** Removes size-1 dims: all of them, or those listed (a listed dim whose size is not 1 stays). */
export function squeeze(x: Tensor, dim?: Dims): Tensor {
  const listed = dim === undefined ? null : normalizeDims("squeeze", typeof dim === "number" ? [dim] : dim, x.ndim);
  const shape = x.shape.filter((size, d) => size !== 1 || (listed !== null && !listed.includes(d)));
  return shapesEqual(shape, x.shape) ? x : reshapeOp(x, shape, true);
}

/** Inserts a size-1 dim at `dim` (which may be x.ndim, or negative counting from the end). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  // PyTorch's stride for the new dim: what stepping over the next dim would take (1 at the end)
  const strides = [...x.strides];
  strides.splice(d, 0, d < x.ndim ? x.shape[d]! * x.strides[d]! : 1);
  return reshapeOp(x, shape, true, strides);
}

/** Merges dims startDim..endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
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
    ctx.storageLength = x.storage.data.length;
    return x.withLayout(layout);
  },
  backward(ctx, gradOut) {
    // Gradients live in storage space: add ȳ at every storage position the output reads
    // (overlapping outputs add up), then read them back through the input's layout. An input
    // that itself reaches a position several times shares that gradient equally.
    const storageLength: number = ctx.storageLength;
    const outputPositions = storagePositions(ctx.output);
    const inputPositions = storagePositions(ctx.input);
    const inStorage = scatterAdd(zeros([storageLength], { dtype: gradOut.dtype }), 0, outputPositions, reshape(gradOut, [-1]));
    let gradIn = reshape(gather(inStorage, 0, inputPositions), ctx.input.shape);
    if (hasInternalOverlap(ctx.input)) {
      const counts = new Float64Array(storageLength);
      for (const p of inputPositions.data()) counts[p]! += 1;
      const shared = Tensor.fromData(counts, [storageLength], "float64");
      gradIn = gradIn.div(reshape(gather(shared, 0, inputPositions), ctx.input.shape).to(gradOut.dtype));
    }
    return [gradIn];
  },
  formula: { forward: "y = asStrided(x, shape, strides, offset)", backward: "x̄[p] = Σ ȳ[i] over the elements i that read storage position p" },
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
 * A view with explicit shape, strides and storage offset (absolute, defaulting to the tensor's
 * own). Every position it reaches must lie inside the storage.
 */
export function asStrided(x: Tensor, shape: Shape, strides: readonly number[], offset?: number): Tensor {
  const checked = checkShape("asStrided", shape);
  if (strides.length !== checked.length || strides.some((s) => !Number.isInteger(s))) {
    throw new NablaError("asStrided", `strides ${formatShape(strides)} must be ${checked.length} integers to match shape ${formatShape(checked)}`);
  }
  const start = offset ?? x.offset;
  if (!Number.isInteger(start) || start < 0) throw new NablaError("asStrided", `offset must be a non-negative integer, got ${start}`);
  const layout: Layout = { shape: checked, strides: [...strides], offset: start };
  const extent = storageExtent(layout);
  const length = x.storage.data.length;
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
    return Tensor.fromData(toContiguous(x.strided, x.dtype), x.shape, x.dtype);
  },
  backward(_ctx, gradOut) {
    return [gradOut];
  },
  formula: { forward: "y = copy of x (contiguous)", backward: "x̄ = ȳ" },
});

/** A contiguous copy with its own storage. */
export function clone(x: Tensor): Tensor {
  return cloneOp(x);
}

/** The tensor itself when already contiguous, else a contiguous copy. */
export function contiguous(x: Tensor): Tensor {
  return isContiguousLayout(x) ? x : cloneOp(x);
}

const castOp: (x: Tensor, dtype: DType) => Tensor = defineOp({
  name: "cast",
  forward(ctx, x: Tensor, dtype: DType) {
    ctx.inputDType = x.dtype;
    const out = Tensor.fromData(toContiguous(x.strided, dtype), x.shape, dtype);
    return out;
  },
  backward(ctx, gradOut) {
    return [isFloating(ctx.inputDType) ? castOp(gradOut, ctx.inputDType) : null];
  },
  formula: { forward: "y = x converted to dtype", backward: "x̄ = ȳ converted back to dtype(x)" },
});

/** Converts to `dtype` (a copy; the tensor itself when it already has that dtype). */
export function to(x: Tensor, dtype: DType): Tensor {
  assertDType("to", dtype);
  return x.dtype === dtype ? x : castOp(x, dtype);
}

/** Writes `src` (already of the destination's shape) into `dst`'s storage through its layout. */
export function writeInto(dst: Tensor, src: Tensor): void {
  copyStrided(src.strided, dst.strided);
}

import { NablaError, describeValue } from "./errors";
import { type Shape, checkRank, contiguousStrides, formatShape, normalizeDim, numelOf, shapesEqual } from "./shape";

/** A view: where element (i0, i1, …) lives in storage is offset + Σ iₖ·strides[k]. */
export interface Layout {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Row-major strides over `shape`, which the layout shares: shapes are never modified once made. */
export function contiguousLayout(shape: Shape): Layout {
  return { shape, strides: contiguousStrides(shape), offset: 0 };
}

/** Row-major with no gaps (size-1 dims may carry any stride), as PyTorch's is_contiguous. */
export function isContiguousLayout(layout: Layout): boolean {
  if (layout.shape.includes(0)) return true; // an empty tensor is contiguous whatever its strides
  let expected = 1;
  for (let d = layout.shape.length - 1; d >= 0; d--) {
    const size = layout.shape[d]!;
    if (size !== 1) {
      if (layout.strides[d] !== expected) return false;
      expected *= size;
    }
  }
  return true;
}

/** Whether every index reaches the same storage position: each dim has size ≤ 1 or stride 0 (a broadcast value). */
export function isSingleValueLayout(layout: Layout): boolean {
  for (let d = 0; d < layout.shape.length; d++) {
    if (layout.shape[d]! > 1 && layout.strides[d] !== 0) return false;
  }
  return true;
}

/** The lowest and highest storage positions a layout reaches (empty → null). */
export function storageExtent(layout: Layout): { min: number; max: number } | null {
  let min = layout.offset;
  let max = layout.offset;
  for (let d = 0; d < layout.shape.length; d++) {
    const size = layout.shape[d]!;
    if (size === 0) return null;
    const reach = (size - 1) * layout.strides[d]!;
    if (reach > 0) max += reach;
    else min += reach;
  }
  return { min, max };
}

/**
 * Whether two layouts over one storage may reach a common position: their extents intersect. It
 * can say yes for views that interleave without sharing an element (x[:, 0] and x[:, 1]), never
 * no for views that share one.
 */
export function extentsOverlap(a: Layout, b: Layout): boolean {
  const x = storageExtent(a);
  const y = storageExtent(b);
  return x !== null && y !== null && x.min <= y.max && y.min <= x.max;
}

/** True when two distinct indices can reach one storage position (a stride-0 expand, say). */
export function hasInternalOverlap(layout: Layout): boolean {
  if (layout.shape.includes(0)) return false; // no elements, nothing to share
  const dims = layout.shape
    .map((size, d) => ({ size, stride: Math.abs(layout.strides[d]!) }))
    .filter((x) => x.size > 1)
    .sort((x, y) => x.stride - y.stride);
  let reach = 0; // the furthest position reachable with the smaller strides
  for (const { size, stride } of dims) {
    if (stride <= reach) return true;
    reach += (size - 1) * stride;
  }
  return false;
}

export function permuteLayout(op: string, layout: Layout, dims: readonly number[]): Layout {
  const ndim = layout.shape.length;
  if (dims.length !== ndim) {
    throw new NablaError(op, `dims [${dims.join(", ")}] do not match a tensor with ${ndim} dims (shape ${formatShape(layout.shape)})`);
  }
  const normalized = dims.map((d) => normalizeDim(op, d, ndim));
  if (new Set(normalized).size !== ndim) throw new NablaError(op, `dims [${dims.join(", ")}] repeat a dim`);
  return {
    shape: normalized.map((d) => layout.shape[d]!),
    strides: normalized.map((d) => layout.strides[d]!),
    offset: layout.offset,
  };
}

/** Expands size-1 dims (stride 0) and prepends new ones; -1 keeps a size. */
export function expandLayout(op: string, layout: Layout, shape: Shape): Layout {
  if (!Array.isArray(shape)) throw new NablaError(op, `shape must be an array of sizes, got ${describeValue(shape)}`);
  checkRank(op, shape.length);
  const extra = shape.length - layout.shape.length;
  if (extra < 0) {
    throw new NablaError(op, `cannot expand ${formatShape(layout.shape)} to ${formatShape(shape)}: the target has fewer dims`);
  }
  if (shape.some((size) => size !== -1 && !(Number.isInteger(size) && size >= 0))) {
    throw new NablaError(
      op,
      `cannot expand ${formatShape(layout.shape)} to ${formatShape(shape)}: sizes must be non-negative integers or -1`,
    );
  }
  const newShape: number[] = [];
  const newStrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    let size = shape[d]!;
    const source = d - extra;
    if (source < 0) {
      if (size === -1 || !Number.isInteger(size) || size < 0) {
        throw new NablaError(op, `cannot expand ${formatShape(layout.shape)} to ${formatShape(shape)}: new leading dims need a size`);
      }
      newShape.push(size);
      newStrides.push(0);
      continue;
    }
    const current = layout.shape[source]!;
    if (size === -1) size = current;
    if (size === current) {
      newShape.push(size);
      newStrides.push(layout.strides[source]!);
    } else if (current === 1 && Number.isInteger(size) && size >= 0) {
      newShape.push(size);
      newStrides.push(0);
    } else {
      throw new NablaError(
        op,
        `cannot expand ${formatShape(layout.shape)} to ${formatShape(shape)}: size ${current} at dim ${source} must be 1 or equal ${size}`,
      );
    }
  }
  return { shape: newShape, strides: newStrides, offset: layout.offset };
}

/**
 * Strides for viewing `layout` as `shape` without copying, or null when no strides can express it.
 * Walks groups of old dims that are contiguous with each other and matches them to new dims with
 * the same element count (PyTorch's computeStride).
 */
export function viewStrides(layout: Layout, shape: Shape): number[] | null {
  const oldShape = layout.shape;
  const oldStrides = layout.strides;
  if (oldShape.length === 0) return shape.map(() => 1);
  if (numelOf(oldShape) === 0) return shapesEqual(oldShape, shape) ? [...oldStrides] : contiguousStrides(shape);
  const newStrides = new Array<number>(shape.length);
  let viewD = shape.length - 1;
  let chunkBaseStride = oldStrides[oldStrides.length - 1]!;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    // a chunk ends where the next-outer old dim does not continue this one in memory
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || shape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= shape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBaseStride = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

/** Python slicing on one dim: negative indices count from the end, bounds clamp, step > 0. */
export function sliceLayout(
  op: string,
  layout: Layout,
  dim: number,
  start: number | undefined,
  end: number | undefined,
  step: number,
): Layout {
  const d = normalizeDim(op, dim, layout.shape.length);
  if (layout.shape.length === 0) throw new NablaError(op, "cannot slice a 0-d tensor");
  if (!Number.isInteger(step) || step <= 0) throw new NablaError(op, `step must be a positive integer, got ${describeValue(step)}`);
  for (const [name, value] of [
    ["start", start],
    ["end", end],
  ] as const) {
    if (value !== undefined && !Number.isInteger(value))
      throw new NablaError(op, `${name} must be an integer, got ${describeValue(value)}`);
  }
  const size = layout.shape[d]!;
  const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const from = start === undefined ? 0 : clamp(start);
  const to = Math.max(end === undefined ? size : clamp(end), from);
  const shape = [...layout.shape];
  const strides = [...layout.strides];
  shape[d] = Math.ceil((to - from) / step);
  strides[d] = layout.strides[d]! * step;
  return { shape, strides, offset: layout.offset + from * layout.strides[d]! };
}

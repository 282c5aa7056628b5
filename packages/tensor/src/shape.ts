import { NablaError, describeValue } from "./errors";

/** The size of each dim, outermost first: `[2, 3]` is 2 rows of 3; `[]` is a scalar (0-d). */
export type Shape = readonly number[];

/**
 * The most dims a tensor may have. PyTorch's kernels stop at 64 (and CUDA's at 25); nabla refuses
 * more wherever a shape is made (creation, loading, views), so every tensor can be printed, walked
 * and converted to nested arrays without deep recursion.
 */
export const MAX_DIMS = 64;

/** Throws unless `ndim` is within MAX_DIMS. */
export function checkRank(op: string, ndim: number): void {
  if (ndim > MAX_DIMS) throw new NablaError(op, `a tensor may have at most ${MAX_DIMS} dims, got ${ndim}`);
}

/**
 * A shape as nabla's messages write it.
 *
 * @example
 * ```ts
 * formatShape([2, 3]); // → "[2, 3]"
 * formatShape([]);     // → "[]"
 * ```
 */
export function formatShape(shape: Shape): string {
  return Array.isArray(shape) ? `[${shape.join(", ")}]` : describeValue(shape);
}

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const size of shape) n *= size;
  return n;
}

/** Row-major strides, in elements; a size-0 dim counts as 1, as PyTorch's strides do. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = step;
    step *= Math.max(shape[d]!, 1);
  }
  return strides;
}

/** Checks that every entry is a non-negative integer; returns a fresh copy. */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new NablaError(op, `shape must be an array of sizes, got ${describeValue(shape)}`);
  checkRank(op, shape.length);
  for (const size of shape) {
    // safe integers only: past 2^53 a size is no longer exact, even in a shape with a 0 in it
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw new NablaError(op, `invalid shape ${describeValue(shape)}: sizes must be non-negative integers`);
    }
  }
  return [...shape];
}

/**
 * Maps a possibly negative dim into [0, ndim), or throws a NablaError naming `op`; `ndim = 0`
 * accepts -1 and 0, as PyTorch does for scalars. For writing ops of your own.
 *
 * @example
 * ```ts
 * normalizeDim("myOp", -1, 3); // → 2
 * normalizeDim("myOp", 3, 3);  // throws myOp: dim 3 is out of range for a tensor with 3 dims (expected -3 to 2)
 * ```
 */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  const range = Math.max(ndim, 1);
  if (!Number.isInteger(dim)) throw new NablaError(op, `dim must be an integer, got ${describeValue(dim)}`);
  if (dim < -range || dim >= range) {
    throw new NablaError(op, `dim ${dim} is out of range for a tensor with ${ndim} dims (expected ${-range} to ${range - 1})`);
  }
  return dim < 0 ? dim + range : dim;
}

/**
 * Normalises a list of dims (see `normalizeDim`), rejecting repeats; returns them sorted.
 *
 * @example
 * ```ts
 * normalizeDims("myOp", [-1, 0], 3); // → [0, 2]
 * ```
 */
export function normalizeDims(op: string, dims: readonly number[], ndim: number): number[] {
  if (!Array.isArray(dims)) throw new NablaError(op, `dims must be an array of integers, got ${describeValue(dims)}`);
  const result = dims.map((d) => normalizeDim(op, d, ndim));
  const seen = new Set<number>();
  for (const d of result) {
    if (seen.has(d)) throw new NablaError(op, `dim ${d} appears more than once in [${dims.join(", ")}]`);
    seen.add(d);
  }
  return result.sort((x, y) => x - y);
}

/**
 * The shape that `shapes` broadcast to, by numpy's and PyTorch's rules: align from the right; sizes
 * must match or be 1. Throws a NablaError naming `op` otherwise.
 *
 * @example
 * ```ts
 * broadcastShapes("myOp", [2, 1], [3]); // → [2, 3]
 * broadcastShapes("myOp", [2], [3]);    // throws myOp: cannot broadcast shapes [2] and [3] (size 2 vs 3 at dim -1)
 * ```
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  shapes.forEach((shape, i) => {
    if (!Array.isArray(shape)) throw new NablaError(op, `shape ${i} must be an array of sizes, got ${describeValue(shape)}`);
  });
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const result = new Array<number>(ndim).fill(1);
  for (const shape of shapes) {
    for (let i = 0; i < shape.length; i++) {
      const d = ndim - shape.length + i;
      const size = shape[i]!;
      if (size === result[d]) continue;
      if (result[d] === 1) result[d] = size;
      else if (size !== 1) {
        throw new NablaError(
          op,
          `cannot broadcast shapes ${shapes.map(formatShape).join(" and ")} (size ${result[d]} vs ${size} at dim ${d - ndim})`,
        );
      }
    }
  }
  return result;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Resolves a single -1 in a requested shape against `numel`. */
export function inferShape(op: string, requested: Shape, numel: number, from: Shape): number[] {
  if (!Array.isArray(requested)) throw new NablaError(op, `shape must be an array of sizes, got ${describeValue(requested)}`);
  checkRank(op, requested.length);
  let inferAt = -1;
  let known = 1;
  for (let i = 0; i < requested.length; i++) {
    const size = requested[i]!;
    if (size === -1) {
      if (inferAt !== -1) throw new NablaError(op, `only one dimension can be -1, got ${formatShape(requested)}`);
      inferAt = i;
    } else if (!Number.isSafeInteger(size) || size < 0) {
      throw new NablaError(op, `invalid shape ${describeValue(requested)}: sizes must be non-negative integers or a single -1`);
    } else known *= size;
  }
  const shape = [...requested];
  if (inferAt !== -1) {
    if (known === 0 || numel % known !== 0) {
      throw new NablaError(op, `shape ${formatShape(requested)} is invalid for input of size ${numel} (shape ${formatShape(from)})`);
    }
    shape[inferAt] = numel / known;
  } else if (known !== numel) {
    throw new NablaError(op, `shape ${formatShape(requested)} is invalid for input of size ${numel} (shape ${formatShape(from)})`);
  }
  return shape;
}

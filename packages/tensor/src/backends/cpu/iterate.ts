import type { TypedArray } from "../../dtype";
import type { Layout } from "../../layout";
import { contiguousStrides } from "../../shape";
import type { View } from "../backend";

/** A view of a CPU buffer (a typed array): what every JS kernel reads and writes. */
export type HostView = View<TypedArray>;

/** A typed array plus a layout, as the WebAssembly kernels take their operands. */
export interface Strided extends Layout {
  readonly data: TypedArray;
}

/**
 * Walks several operands of one shape row by row. The innermost (merged) dim is a row that the
 * kernel loops over itself with `rowStrides[k]`; `next()` moves every operand to its next row by
 * adding stride deltas (an odometer), so no kernel divides or allocates per element.
 *
 * Dims of size 1 are dropped and neighbouring dims that are contiguous with each other in every
 * operand are merged first, so a contiguous tensor is a single row.
 */
export class RowWalker {
  /** Elements per row. */
  readonly rowLength: number;
  /** Number of rows (0 when the shape is empty). */
  readonly rows: number;
  /** Each operand's stride along the row. */
  readonly rowStrides: number[];
  /** Each operand's storage position at the start of the current row. */
  readonly offsets: number[];
  /** The sizes of the (merged) dims outside the row, outermost first. */
  readonly outerSizes: number[];
  /** Each operand's strides along those dims: [operand][outer dim]. */
  readonly outerStrides: number[][];
  private readonly counters: number[];

  constructor(shape: readonly number[], layouts: ReadonlyArray<Pick<Layout, "strides" | "offset">>) {
    const operands = layouts.length;
    const sizes: number[] = [];
    const strides: number[][] = layouts.map(() => []);
    let empty = false;
    for (let d = 0; d < shape.length; d++) {
      const size = shape[d]!;
      if (size === 0) empty = true;
      if (size === 1) continue;
      const last = sizes.length - 1;
      // merge dim d into the previous kept dim when, for every operand, stepping the previous dim
      // once equals stepping dim d across its whole size
      let mergeable = last >= 0;
      for (let k = 0; k < operands && mergeable; k++) {
        if (strides[k]![last] !== layouts[k]!.strides[d]! * size) mergeable = false;
      }
      if (mergeable) {
        sizes[last] = sizes[last]! * size;
        for (let k = 0; k < operands; k++) strides[k]![last] = layouts[k]!.strides[d]!;
      } else {
        sizes.push(size);
        for (let k = 0; k < operands; k++) strides[k]!.push(layouts[k]!.strides[d]!);
      }
    }
    this.offsets = layouts.map((l) => l.offset);
    if (sizes.length === 0) {
      this.rowLength = 1;
      this.rowStrides = layouts.map(() => 0);
      this.outerSizes = [];
      this.outerStrides = layouts.map(() => []);
    } else {
      this.rowLength = sizes.pop()!;
      this.rowStrides = strides.map((s) => s.pop()!);
      this.outerSizes = sizes;
      this.outerStrides = strides;
    }
    this.counters = this.outerSizes.map(() => 0);
    let rows = empty ? 0 : 1;
    for (const size of this.outerSizes) rows *= size;
    this.rows = rows;
  }

  /** Advances every operand to the start of the next row. */
  next(): void {
    const offsets = this.offsets;
    for (let d = this.outerSizes.length - 1; d >= 0; d--) {
      const size = this.outerSizes[d]!;
      if (++this.counters[d]! < size) {
        for (let k = 0; k < offsets.length; k++) offsets[k]! += this.outerStrides[k]![d]!;
        return;
      }
      this.counters[d] = 0;
      for (let k = 0; k < offsets.length; k++) offsets[k]! -= this.outerStrides[k]![d]! * (size - 1);
    }
  }
}

/**
 * Walks the lines of x along `dim` (one per position of x's other dims) beside a new contiguous
 * array of x's shape: offsets[0] is a line's start in x, offsets[1] its start in that array, where
 * the line's entries lie contiguousStrides(x.shape)[dim] apart.
 */
export function linesAlong(x: HostView, dim: number): RowWalker {
  const others = (_: unknown, d: number) => d !== dim;
  return new RowWalker(x.shape.filter(others), [
    { strides: x.strides.filter(others), offset: x.offset },
    { strides: contiguousStrides(x.shape).filter(others), offset: 0 },
  ]);
}

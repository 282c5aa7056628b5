import { checkDims, checkInteger, checkIntegers, checkTensor } from "../args";
import { defineOp } from "../autograd/define-op";
import { arange } from "../creation";
import { NablaError, describeValue } from "../errors";
import { formatShape, normalizeDim, normalizeDims } from "../shape";
import { Tensor } from "../tensor";
import { sub } from "./binary";
import { ge, le, where } from "./compare";
import { cat } from "./indexing";
import { expand, flatten, narrow, reshape } from "./movement";

// Structural ops, composed from views, where and cat, except flip: one copy through a view with
// negated strides (a layout the copy primitive walks like any other), whose backward is itself.

/** The positions j − i of a matrix's elements, [n, m], int32: what tril/triu compare with the diagonal. */
function diagonalOffsets(n: number, m: number): Tensor {
  const rows = reshape(arange(0, n, 1, { dtype: "int32" }), [n, 1]);
  const cols = reshape(arange(0, m, 1, { dtype: "int32" }), [1, m]);
  return sub(cols, rows);
}

function triangle(op: "tril" | "triu", x: Tensor, diagonal: number): Tensor {
  checkTensor(op, "input", x);
  checkInteger(op, "diagonal", diagonal);
  if (x.ndim < 2) throw new NablaError(op, `needs at least 2 dims, got shape ${formatShape(x.shape)}`);
  const offsets = diagonalOffsets(x.shape.at(-2)!, x.shape.at(-1)!);
  const keep = op === "tril" ? le(offsets, diagonal) : ge(offsets, diagonal);
  return where(keep, x, Tensor.fromNumber(0, x.dtype));
}

/**
 * The lower triangle of the matrices in the last two dims of `x` (PyTorch's `tril`): elements
 * with j − i ≤ `diagonal` are kept, the rest are 0. `diagonal` 1 also keeps the first
 * superdiagonal, -1 drops the main diagonal.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
 * tril(x);     // → [[1, 0, 0], [4, 5, 0], [7, 8, 9]]
 * tril(x, -1); // → [[0, 0, 0], [4, 0, 0], [7, 8, 0]]
 * ```
 */
export function tril(x: Tensor, diagonal = 0): Tensor {
  return triangle("tril", x, diagonal);
}

/**
 * The upper triangle of the matrices in the last two dims of `x` (PyTorch's `triu`): elements
 * with j − i ≥ `diagonal` are kept, the rest are 0.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * triu(x);    // → [[1, 2, 3], [0, 5, 6]]
 * triu(x, 1); // → [[0, 2, 3], [0, 0, 6]]
 * ```
 */
export function triu(x: Tensor, diagonal = 0): Tensor {
  return triangle("triu", x, diagonal);
}

const flipOp: (x: Tensor, dims: readonly number[]) => Tensor = defineOp({
  name: "flip",
  forward(ctx, x: Tensor, dims: readonly number[]) {
    ctx.dims = dims;
    // element i along a flipped dim is element size − 1 − i: start at the last, step backwards
    const strides = [...x.strides];
    let offset = x.offset;
    for (const d of dims) {
      const size = x.shape[d]!;
      if (size <= 1) continue;
      offset += (size - 1) * strides[d]!;
      strides[d] = -strides[d]!;
    }
    const { backend } = x.storage;
    const reversed = { buffer: x.buffer, shape: x.shape, strides, offset };
    return Tensor.fromBuffer(backend, backend.run.copy(reversed, x.dtype), x.shape, x.dtype);
  },
  backward(ctx, gradOut) {
    return [flipOp(gradOut, ctx.dims)];
  },
  formula: { forward: "y[…i…] = x[…size−1−i…] along each dim in dims", backward: "x̄ = flip(ȳ, dims)" },
});

/**
 * `x` with the order of elements reversed along each of `dims` (a copy, as PyTorch's `flip`).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * flip(x, [0]);    // → [[3, 4], [1, 2]]
 * flip(x, [0, 1]); // → [[4, 3], [2, 1]]
 * ```
 */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkTensor("flip", "input", x);
  const checked = checkDims("flip", "dims", dims);
  const list = typeof checked === "number" ? [checked] : checked;
  const normalized = normalizeDims("flip", list, x.ndim);
  if (new Set(normalized).size !== normalized.length) throw new NablaError("flip", `dims [${list.join(", ")}] repeat a dim`);
  return flipOp(x, x.ndim === 0 ? [] : normalized);
}

/**
 * `x` shifted by `shifts` along `dims`, elements that fall off one end coming back at the other
 * (PyTorch's `roll`). Without `dims`, x is rolled as a flat list and keeps its shape. `shifts` and
 * `dims` are a number each or equally long lists; negative shifts roll the other way.
 *
 * @example
 * ```ts
 * roll(tensor([1, 2, 3, 4]), 1);                    // → [4, 1, 2, 3]
 * roll(tensor([[1, 2], [3, 4]]), -1, 1);            // → [[2, 1], [4, 3]]
 * roll(tensor([[1, 2], [3, 4]]), [1, 1], [0, 1]);   // → [[4, 3], [2, 1]]
 * roll(tensor([[1, 2], [3, 4]]), 1);                // → [[4, 1], [2, 3]]
 * ```
 */
export function roll(x: Tensor, shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
  checkTensor("roll", "input", x);
  const shiftList = typeof shifts === "number" ? [checkInteger("roll", "shifts", shifts)] : [...checkIntegers("roll", "shifts", shifts)];
  if (dims === undefined) {
    if (shiftList.length !== 1) {
      throw new NablaError("roll", `without dims, shifts must be one number, got [${shiftList.join(", ")}]`);
    }
    return reshape(roll(flatten(x), shiftList[0]!, 0), x.shape);
  }
  const checked = checkDims("roll", "dims", dims);
  const dimList = typeof checked === "number" ? [checked] : [...checked];
  if (dimList.length !== shiftList.length) {
    throw new NablaError("roll", `shifts [${shiftList.join(", ")}] and dims [${dimList.join(", ")}] must have the same length`);
  }
  let out = x;
  dimList.forEach((dim, k) => {
    const d = normalizeDim("roll", dim, x.ndim);
    if (x.ndim === 0) return;
    const size = x.shape[d]!;
    if (size === 0) return;
    const shift = ((shiftList[k]! % size) + size) % size;
    if (shift === 0) return;
    // the last `shift` elements move to the front
    out = cat([narrow(out, d, size - shift, shift), narrow(out, d, 0, size - shift)], d);
  });
  return out;
}

/** The sizes of repeat/tile, spread (`repeat(x, 2, 3)`) or as one list (`repeat(x, [2, 3])`). */
function repeatSizes(op: string, sizes: readonly unknown[]): number[] {
  const list = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown[]) : sizes;
  if (!list.every((s) => Number.isSafeInteger(s) && (s as number) >= 0)) {
    throw new NablaError(op, `sizes must be non-negative integers, got ${describeValue(list)}`);
  }
  return list as number[];
}

/**
 * `x` repeated `sizes[k]` times along dim k (PyTorch's `repeat`, numpy's `tile`); `sizes` may
 * have more entries than x has dims, which adds leading dims. A copy; its gradient sums the copies.
 *
 * @example
 * ```ts
 * repeat(tensor([1, 2]), 2);        // → [1, 2, 1, 2]
 * repeat(tensor([1, 2]), 2, 1);     // → [[1, 2], [1, 2]]
 * repeat(tensor([[1], [2]]), [1, 2]); // → [[1, 1], [2, 2]]
 * ```
 */
export function repeat(x: Tensor, ...sizes: number[] | [readonly number[]]): Tensor {
  checkTensor("repeat", "input", x);
  return repeatChecked("repeat", x, repeatSizes("repeat", sizes));
}

function repeatChecked(op: string, x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) {
    throw new NablaError(op, `needs at least one size per dim: ${sizes.length} sizes for a tensor of shape ${formatShape(x.shape)}`);
  }
  const shape = [...new Array<number>(sizes.length - x.ndim).fill(1), ...x.shape];
  // [s0, s1, …] → [1, s0, 1, s1, …] → expand to [r0, s0, r1, s1, …] → merge each pair
  const interleaved = reshape(
    x,
    shape.flatMap((size) => [1, size]),
  );
  const grown = expand(
    interleaved,
    shape.flatMap((size, k) => [sizes[k]!, size]),
  );
  return reshape(
    grown,
    shape.map((size, k) => size * sizes[k]!),
  );
}

/**
 * `x` repeated `sizes[k]` times along dim k, as PyTorch's `tile`: like `repeat`, but fewer sizes
 * than dims are padded with 1s in front (they repeat the last dims).
 *
 * @example
 * ```ts
 * tile(tensor([[1, 2], [3, 4]]), 2); // → [[1, 2, 1, 2], [3, 4, 3, 4]]
 * tile(tensor([1, 2]), [2, 1]);      // → [[1, 2], [1, 2]]
 * ```
 */
export function tile(x: Tensor, ...sizes: number[] | [readonly number[]]): Tensor {
  checkTensor("tile", "input", x);
  const list = repeatSizes("tile", sizes);
  return repeatChecked("tile", x, [...new Array<number>(Math.max(0, x.ndim - list.length)).fill(1), ...list]);
}

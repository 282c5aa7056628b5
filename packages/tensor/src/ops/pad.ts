import { checkIntegers, checkNumber, checkOptions, checkTensor } from "../args";
import { full } from "../creation";
import { NablaError, describeValue } from "../errors";
import { formatShape } from "../shape";
import { Tensor } from "../tensor";
import { cat, indexSelect } from "./indexing";
import { narrow } from "./movement";

// pad is a composite: crops are narrow views, constant borders are cat with full blocks, and the
// other modes gather each padded dim through an int32 index, so its gradient comes from theirs.

/** How `pad` fills the border. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

/** Options of `pad`. */
export interface PadOptions {
  /** How to fill the border (default `"constant"`). */
  mode?: PadMode;
  /** The fill value of `"constant"` mode (default 0). */
  value?: number;
}

const MODES: readonly PadMode[] = ["constant", "reflect", "replicate", "circular"];

/** The source position of output position `i` (counted from the input's start) of a dim of `size`. */
const SOURCE: Record<Exclude<PadMode, "constant">, (i: number, size: number) => number> = {
  // reflect about the edge elements, which are not repeated: … x2 x1 | x0 x1 x2 … (PyTorch's reflect)
  reflect: (i, size) => (i < 0 ? -i : i >= size ? 2 * (size - 1) - i : i),
  replicate: (i, size) => Math.min(Math.max(i, 0), size - 1),
  circular: (i, size) => ((i % size) + size) % size,
};

/**
 * `x` padded as PyTorch's `F.pad`: `pad` lists (before, after) pairs starting from the last dim
 * and going backwards (`[left, right, top, bottom]` pads the last two dims). Negative amounts
 * crop. `"constant"` fills with `value` and works on any tensor; `"reflect"`, `"replicate"` and
 * `"circular"` pad the last one to three dims of a tensor with at least one dim in front of them
 * (a batch or channel dim), and reflect needs each amount smaller than its dim, circular no larger.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3]]);
 * pad(x, [1, 2]);                       // → [[0, 1, 2, 3, 0, 0]]
 * pad(x, [1, 1], { value: 9 });          // → [[9, 1, 2, 3, 9]]
 * pad(x, [2, 1], { mode: "reflect" });   // → [[3, 2, 1, 2, 3, 2]]
 * pad(x, [1, 1], { mode: "replicate" }); // → [[1, 1, 2, 3, 3]]
 * pad(x, [1, 1], { mode: "circular" });  // → [[3, 1, 2, 3, 1]]
 * pad(x, [-1, 0, 1, 0]);                 // → [[0, 0], [2, 3]]
 * pad(x, [3, 3], { mode: "reflect" });   // throws pad: reflect padding (3, 3) of dim 1 must be smaller than its size 3 (input [1, 3])
 * ```
 */
export function pad(x: Tensor, pad: readonly number[], options?: PadOptions): Tensor {
  checkTensor("pad", "input", x);
  const amounts = checkIntegers("pad", "pad", pad);
  const { mode = "constant", value = 0 } = checkOptions("pad", options);
  if (!MODES.includes(mode))
    throw new NablaError("pad", `mode must be one of ${MODES.map((m) => `"${m}"`).join(", ")}, got ${describeValue(mode)}`);
  checkNumber("pad", "value", value);
  if (amounts.length % 2 !== 0) throw new NablaError("pad", `pad must hold (before, after) pairs, got ${amounts.length} values`);
  const pairs = amounts.length / 2;
  if (pairs > x.ndim) {
    throw new NablaError("pad", `${pairs} (before, after) pairs are too many for an input of ${x.ndim} dims (${formatShape(x.shape)})`);
  }
  if (mode !== "constant" && (pairs > 3 || x.ndim < pairs + 1)) {
    throw new NablaError(
      "pad",
      `${mode} padding pads the last 1 to 3 dims of an input with at least one more dim in front, got ${pairs} pairs for input ${formatShape(x.shape)}`,
    );
  }
  if (mode === "constant" && x.dtype === "int32" && !Number.isInteger(value))
    throw new NablaError("pad", `value ${value} does not fit the int32 input`);
  for (let k = 0; k < pairs; k++) {
    const dim = x.ndim - 1 - k;
    const size = x.shape[dim]!;
    const before = amounts[2 * k]!;
    const after = amounts[2 * k + 1]!;
    const where = `(${before}, ${after}) of dim ${dim}`;
    if (Math.max(-before, 0) + Math.max(-after, 0) > size) {
      throw new NablaError("pad", `padding ${where} crops more than its size ${size} (input ${formatShape(x.shape)})`);
    }
    if (mode === "reflect" && (before >= size || after >= size)) {
      throw new NablaError("pad", `reflect padding ${where} must be smaller than its size ${size} (input ${formatShape(x.shape)})`);
    }
    if (mode === "replicate" && size === 0 && (before > 0 || after > 0)) {
      throw new NablaError("pad", `replicate padding ${where} has nothing to repeat: its size is 0 (input ${formatShape(x.shape)})`);
    }
    const kept = size - Math.max(-before, 0) - Math.max(-after, 0);
    if (mode === "circular" && (before > kept || after > kept)) {
      throw new NablaError(
        "pad",
        `circular padding ${where} wraps around more than once: it keeps ${kept} of ${size} elements (input ${formatShape(x.shape)})`,
      );
    }
  }
  let out = x;
  for (let k = 0; k < pairs; k++) {
    const dim = x.ndim - 1 - k;
    const before = amounts[2 * k]!;
    const after = amounts[2 * k + 1]!;
    if (before === 0 && after === 0) continue;
    out = mode === "constant" ? padConstant(out, dim, before, after, value) : padByIndex(out, dim, before, after, mode);
  }
  return out;
}

/** Crops (negative amounts) with a view, then joins blocks of `value` on either side. */
function padConstant(x: Tensor, dim: number, before: number, after: number, value: number): Tensor {
  const size = x.shape[dim]!;
  const start = Math.max(-before, 0);
  const kept = narrow(x, dim, start, size - start - Math.max(-after, 0));
  const block = (width: number) =>
    full(
      x.shape.map((s, d) => (d === dim ? width : s)),
      value,
      { dtype: x.dtype },
    );
  const parts = [...(before > 0 ? [block(before)] : []), kept, ...(after > 0 ? [block(after)] : [])];
  return parts.length === 1 ? kept : cat(parts, dim);
}

/**
 * Gathers output position i from input position SOURCE[mode](i − before) along dim. Circular mode
 * crops first and wraps what is left, as PyTorch's circular padding does with negative amounts.
 */
function padByIndex(x: Tensor, dim: number, before: number, after: number, mode: Exclude<PadMode, "constant">): Tensor {
  if (mode === "circular" && (before < 0 || after < 0)) {
    const start = Math.max(-before, 0);
    const cropped = narrow(x, dim, start, x.shape[dim]! - start - Math.max(-after, 0));
    return before > 0 || after > 0 ? padByIndex(cropped, dim, Math.max(before, 0), Math.max(after, 0), mode) : cropped;
  }
  const size = x.shape[dim]!;
  const index = new Int32Array(size + before + after);
  for (let i = 0; i < index.length; i++) index[i] = SOURCE[mode](i - before, size);
  return indexSelect(x, dim, Tensor.fromData(index, [index.length], "int32"));
}

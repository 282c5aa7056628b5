import { checkInteger, checkTensor } from "../args";
import { type OpContext, defineOp } from "../autograd/define-op";
import type { ScanOp } from "../backends/primitives";
import { arange, eye } from "../creation";
import { isFloating } from "../dtype";
import { normalizeDim } from "../shape";
import { Tensor } from "../tensor";
import { eq, ge, le, where } from "./compare";
import { expand, reshape, transpose, unsqueeze } from "./movement";
import { div, mul } from "./binary";
import { sum } from "./reduce";

// Running sums and products along one dim, through the scan primitive. The ops take a `reverse`
// flag (scan from the last element backwards) because each backward is a scan the other way.

type ScanFields = { dim: number; reverse: boolean };

/** int32 and bool scans are int32 (PyTorch's int64); floats keep their dtype. */
function runScan(op: ScanOp, x: Tensor, dim: number, reverse: boolean): Tensor {
  const dtype = isFloating(x.dtype) ? x.dtype : "int32";
  const { backend } = x.storage;
  return Tensor.fromBuffer(backend, backend.run.scan(op, x, dim, reverse, dtype), x.shape, dtype);
}

/** @internal cumsum along a normalised dim, forwards or backwards. */
export const cumsumOp: (x: Tensor, dim: number, reverse: boolean) => Tensor = defineOp({
  name: "cumsum",
  forward(ctx: OpContext<ScanFields>, x: Tensor, dim: number, reverse: boolean) {
    ctx.dim = dim;
    ctx.reverse = reverse;
    return runScan("sum", x, dim, reverse);
  },
  backward(ctx, gradOut) {
    // x_i reaches every y_k with k ≥ i: x̄_i = Σ_{k≥i} ȳ_k, the same scan the other way
    return [cumsumOp(gradOut, ctx.dim, !ctx.reverse)];
  },
  formula: { forward: "y_k = Σ_{i≤k} x_i", backward: "x̄_i = Σ_{k≥i} ȳ_k" },
});

/** @internal cumprod along a normalised dim, forwards or backwards. */
export const cumprodOp: (x: Tensor, dim: number, reverse: boolean) => Tensor = defineOp({
  name: "cumprod",
  forward(ctx: OpContext<ScanFields>, x: Tensor, dim: number, reverse: boolean) {
    ctx.dim = dim;
    ctx.reverse = reverse;
    const y = runScan("prod", x, dim, reverse);
    ctx.save(x, y);
    return y;
  },
  backward(ctx, gradOut) {
    const [x, y] = ctx.saved as [Tensor, Tensor];
    const { dim, reverse } = ctx;
    // x̄_i = Σ_{k≥i} ȳ_k ∏_{j≤k, j≠i} x_j. Without zeros that is (Σ_{k≥i} ȳ_k y_k) / x_i, a
    // scan the other way; a zero would make it 0 / 0, so then the products of the others are
    // formed explicitly (PyTorch checks for zeros the same way)
    if (sum(eq(x, 0)).item() === 0) return [div(cumsumOp(mul(gradOut, y), dim, !reverse), x)];
    return [cumprodGradWithZeros(x, gradOut, dim, reverse)];
  },
  formula: { forward: "y_k = ∏_{i≤k} x_i", backward: "x̄_i = Σ_{k≥i} ȳ_k ∏_{j≤k, j≠i} x_j" },
});

/**
 * cumprod's gradient when x holds zeros, in O(n²) per line: row i of an [n, n] matrix holds x with
 * x_i replaced by 1, so its running products are ∏_{j≤k, j≠i} x_j; the gradient of x_i sums them
 * weighted by ȳ_k over k ≥ i (k ≤ i when reverse). Differentiable again, with zeros.
 */
function cumprodGradWithZeros(x: Tensor, gradOut: Tensor, dim: number, reverse: boolean): Tensor {
  const n = x.shape[dim]!;
  const last = x.ndim - 1;
  const xt = unsqueeze(transpose(x, dim, last), -2); // [..., 1, n]: x_j in column j
  const rows = where(eye(n, n, { dtype: "bool" }), 1, expand(xt, [...xt.shape.slice(0, -2), n, n]));
  const products = cumprodOp(rows, last + 1, reverse);
  const index = arange(n);
  const reached = reverse ? ge(unsqueeze(index, 1), index) : le(unsqueeze(index, 1), index); // [i, k]: does x_i reach y_k
  const weighted = where(reached, mul(products, unsqueeze(transpose(gradOut, dim, last), -2)), 0);
  return transpose(sum(weighted, -1), dim, last);
}

/** A scan's dim checked against x; a 0-d tensor is scanned as one element. */
function scanDim(op: string, x: Tensor, dim: unknown): number {
  return normalizeDim(op, checkInteger(op, "dim", dim), x.ndim);
}

/**
 * The running sum along `dim` (PyTorch's `cumsum`): element k is the sum of elements 0…k. int32
 * and bool give int32 (PyTorch's int64); float sums accumulate in float64.
 *
 * @example
 * ```ts
 * cumsum(tensor([1, 2, 3, 4]), 0);        // → [1, 3, 6, 10]
 * cumsum(tensor([[1, 2], [3, 4]]), -1);   // → [[1, 3], [3, 7]]
 * ```
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  checkTensor("cumsum", "input", x);
  const d = scanDim("cumsum", x, dim);
  return x.ndim === 0 ? reshape(cumsumOp(reshape(x, [1]), 0, false), []) : cumsumOp(x, d, false);
}

/**
 * The running product along `dim` (PyTorch's `cumprod`): element k is the product of elements
 * 0…k. int32 and bool give int32 (wrapping as int32 arithmetic). The gradient is right with zeros
 * in x too (the product of the other factors).
 *
 * @example
 * ```ts
 * cumprod(tensor([1, 2, 3, 4]), 0);      // → [1, 2, 6, 24]
 * cumprod(tensor([[2, 0], [3, 4]]), 1);  // → [[2, 0], [3, 12]]
 * ```
 */
export function cumprod(x: Tensor, dim: number): Tensor {
  checkTensor("cumprod", "input", x);
  const d = scanDim("cumprod", x, dim);
  return x.ndim === 0 ? reshape(cumprodOp(reshape(x, [1]), 0, false), []) : cumprodOp(x, d, false);
}

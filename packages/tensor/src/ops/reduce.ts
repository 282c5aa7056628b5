import { type OpContext, defineOp } from "../autograd/define-op";
import { type DType, isFloating } from "../dtype";
import { NablaError, describeValue } from "../errors";
import type { ReduceOp } from "../backends/primitives";
import { checkBoolean, checkDims, checkInteger, checkTensor } from "../args";
import { formatShape, normalizeDim, normalizeDims } from "../shape";
import { Tensor, type Dims } from "../tensor";
import { ones, zerosLike } from "../creation";
import { eq, gt, ne, where } from "./compare";
import { cat } from "./indexing";
import { expand, narrow, permute, reshape, to } from "./movement";
import { cumprodOp } from "./scan";
import { abs, sign, sqrt } from "./unary";
import { div, mul, pow } from "./binary";

/** A reduction's `dim` argument checked: undefined (all dims), an integer or a list of integers. */
export function checkReductionDim(op: string, dim: unknown): Dims | undefined {
  return dim === undefined ? undefined : checkDims(op, "dim", dim);
}

/** The flagged dims (all when `dim` is undefined) and the output shape. */
function reductionShape(op: string, x: Tensor, dim: Dims | undefined, keepdim: boolean) {
  checkBoolean(op, "keepdim", keepdim);
  const dims = dim === undefined ? x.shape.map((_, d) => d) : normalizeDims(op, typeof dim === "number" ? [dim] : dim, x.ndim);
  const reduced = x.shape.map((_, d) => dims.includes(d));
  const keptShape = x.shape.map((size, d) => (reduced[d] ? 1 : size));
  const outShape = keepdim ? keptShape : x.shape.filter((_, d) => !reduced[d]);
  return { reduced, keptShape, outShape };
}

function reduceInto(op: string, kind: ReduceOp, x: Tensor, dim: Dims | undefined, keepdim: boolean, dtype: DType) {
  const { reduced, keptShape, outShape } = reductionShape(op, x, dim, keepdim);
  const { backend } = x.storage;
  return { out: Tensor.fromBuffer(backend, backend.run.reduce(kind, x, reduced, dtype), outShape, dtype), keptShape };
}

const sumOp = defineOp({
  name: "sum",
  forward(ctx, x: Tensor, dim: Dims | undefined, keepdim: boolean) {
    // integer and bool sums are int32 (PyTorch's int64)
    const { out, keptShape } = reduceInto("sum", "sum", x, dim, keepdim, x.dtype === "bool" ? "int32" : x.dtype);
    ctx.inputShape = x.shape;
    ctx.keptShape = keptShape;
    return out;
  },
  backward(ctx, gradOut) {
    return [expand(reshape(gradOut, ctx.keptShape), ctx.inputShape)];
  },
  formula: { forward: "y = Σ x over dims", backward: "x̄ = ȳ broadcast back over the summed dims" },
});

/**
 * The sum over `dim` (a dim or a list of dims; all when left out), as PyTorch's `sum`; `keepdim`
 * keeps the reduced dims with size 1. int32 and bool sums are int32 (PyTorch's int64).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * sum(x);          // → 10
 * sum(x, 0);       // → [4, 6]
 * sum(x, [0, 1]);  // → 10
 * sum(x, 1, true); // → [[3], [7]]
 * ```
 */
export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return sumOp(checkTensor("sum", "input", x), checkReductionDim("sum", dim), keepdim);
}

/* @__NO_SIDE_EFFECTS__ */
function extremum(kind: "max" | "min") {
  return defineOp({
    name: kind,
    forward(ctx, x: Tensor, dim: Dims | undefined, keepdim: boolean) {
      const { reduced } = reductionShape(kind, x, dim, keepdim);
      if (x.shape.some((size, d) => reduced[d] && size === 0)) {
        throw new NablaError(
          kind,
          `cannot reduce over a zero-size dim (shape ${formatShape(x.shape)}, dim ${dim === undefined ? "all" : String(dim)}): the ${kind} of nothing is undefined`,
        );
      }
      const { out, keptShape } = reduceInto(kind, kind, x, dim, keepdim, x.dtype);
      ctx.save(x, out);
      ctx.keptShape = keptShape;
      return out;
    },
    backward(ctx, gradOut) {
      // the gradient is shared evenly among the elements equal to the extreme (PyTorch's amax/amin)
      const [x, out] = ctx.saved as [Tensor, Tensor];
      const winners = eq(x, reshape(out, ctx.keptShape));
      const count = sum(winners, reductionDims(ctx.keptShape, x.shape), true);
      // a mask product, not a where: a NaN extreme equals nothing, so 0 · (ȳ / 0) makes its whole
      // slice's gradient NaN, as in PyTorch, instead of silently zero
      return [mul(to(winners, gradOut.dtype), div(reshape(gradOut, ctx.keptShape), count))];
    },
    formula: {
      forward: `y = ${kind} x over dims`,
      backward: `x̄ = ȳ / (number of elements equal to y) at those elements, 0 elsewhere`,
    },
  });
}

function reductionDims(keptShape: readonly number[], shape: readonly number[]): number[] {
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (keptShape[d] === 1 && shape[d] !== 1) dims.push(d);
  return dims;
}

const maxOp = extremum("max");
const minOp = extremum("min");

/**
 * The largest value over `dim` (a dim or a list; all when left out); NaN propagates. The values
 * only, as PyTorch's `amax` (`argmax` gives indices); tied maxima share the gradient equally.
 * Throws on an empty reduction.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 5], [7, 2]]);
 * max(x);    // → 7
 * max(x, 1); // → [5, 7]
 * ```
 */
export function max(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return maxOp(checkTensor("max", "input", x), checkReductionDim("max", dim), keepdim);
}

/**
 * The smallest value over `dim` (a dim or a list; all when left out); NaN propagates. The values
 * only, as PyTorch's `amin` (`argmin` gives indices); tied minima share the gradient equally.
 * Throws on an empty reduction.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 5], [7, 2]]);
 * min(x);    // → 1
 * min(x, 0); // → [1, 2]
 * ```
 */
export function min(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return minOp(checkTensor("min", "input", x), checkReductionDim("min", dim), keepdim);
}

function argExtremum(op: "argmax" | "argmin", x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  checkTensor(op, "input", x);
  if (dim !== undefined) checkInteger(op, "dim", dim);
  checkBoolean(op, "keepdim", keepdim);
  if (x.dtype === "bool")
    throw new NablaError(
      op,
      `is not supported for bool tensors (shape ${formatShape(x.shape)}), as in PyTorch; convert with to("int32") first`,
    );
  // an empty tensor has an argmax along a dim of non-zero size (an empty result), not overall
  if (x.numel === 0 && dim === undefined) throw new NablaError(op, `cannot take ${op} of an empty tensor (shape ${formatShape(x.shape)})`);
  const kind = op === "argmax" ? "max" : "min";
  const { backend } = x.storage;
  if (dim === undefined) {
    const flat = reshape(x, [-1]);
    const index = Tensor.fromBuffer(backend, backend.run.argReduce(kind, flat, 0), [], "int32");
    return keepdim
      ? reshape(
          index,
          x.shape.map(() => 1),
        )
      : index;
  }
  const d = normalizeDim(op, dim, x.ndim);
  if (x.ndim === 0) return Tensor.fromBuffer(backend, backend.allocate("int32", 1), [], "int32");
  if (x.shape[d] === 0) throw new NablaError(op, `cannot reduce over dim ${dim} of size 0 (shape ${formatShape(x.shape)})`);
  const shape = keepdim ? x.shape.map((size, i) => (i === d ? 1 : size)) : x.shape.filter((_, i) => i !== d);
  return Tensor.fromBuffer(backend, backend.run.argReduce(kind, x, d), shape, "int32");
}

/**
 * The index (int32) of the first largest value along `dim`; without `dim`, the 0-d flat index over
 * all elements (PyTorch's `argmax`). Not defined for bool.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 5], [7, 2]]);
 * argmax(x, 1); // → [1, 0]
 * argmax(x);    // → 2
 * ```
 */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtremum("argmax", x, dim, keepdim);
}

/**
 * The index (int32) of the first smallest value along `dim`; without `dim`, the 0-d flat index over
 * all elements (PyTorch's `argmin`). Not defined for bool.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 5], [7, 2]]);
 * argmin(x, 1); // → [0, 1]
 * argmin(x);    // → 0
 * ```
 */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtremum("argmin", x, dim, keepdim);
}

const prodOp = defineOp({
  name: "prod",
  forward(ctx, x: Tensor, dim: Dims | undefined, keepdim: boolean) {
    // integer and bool products are int32 (PyTorch's int64), wrapping as int32 arithmetic
    const { out, keptShape } = reduceInto("prod", "prod", x, dim, keepdim, isFloating(x.dtype) ? x.dtype : "int32");
    ctx.save(x);
    ctx.keptShape = keptShape;
    return out;
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [mul(expand(reshape(gradOut, ctx.keptShape), x.shape), productOfOthers(x, ctx.keptShape))];
  },
  formula: { forward: "y = ∏ x over dims", backward: "x̄_i = ȳ ⊙ ∏_{j≠i} x_j (the product of the others)" },
});

/**
 * For each element, the product of the other elements of its reduced group (keptShape marks the
 * reduced dims with 1): the product of those before it times the product of those after it, two
 * running products one element apart. No division, so zeros are exact, as in PyTorch.
 */
function productOfOthers(x: Tensor, keptShape: readonly number[]): Tensor {
  const reduced = reductionDims(keptShape, x.shape);
  const kept = x.shape.map((_, d) => d).filter((d) => !reduced.includes(d));
  const order = [...kept, ...reduced];
  const grouped = permute(x, order);
  const batch = kept.map((d) => x.shape[d]!);
  const n = reduced.reduce((count, d) => count * x.shape[d]!, 1);
  if (n === 0) return zerosLike(x);
  const rows = reshape(grouped, [...batch, n]);
  const last = batch.length;
  const one = ones([...batch, 1], { dtype: x.dtype });
  const before = cat([one, cumprodOp(narrow(rows, last, 0, n - 1), last, false)], last);
  const after = cat([cumprodOp(narrow(rows, last, 1, n - 1), last, true), one], last);
  const inverse = order.map((_, d) => order.indexOf(d));
  return permute(reshape(mul(before, after), grouped.shape), inverse);
}

/**
 * The product over `dim` (a dim or a list of dims; all when left out), as PyTorch's `prod`;
 * `keepdim` keeps the reduced dims with size 1. int32 and bool products are int32 (PyTorch's
 * int64), wrapping. The gradient is the product of the other elements, right with zeros too.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * prod(x);       // → 24
 * prod(x, 1);    // → [2, 12]
 * prod(x, 0, true); // → [[3, 8]]
 * ```
 */
export function prod(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return prodOp(checkTensor("prod", "input", x), checkReductionDim("prod", dim), keepdim);
}

/**
 * Whether any element over `dim` (a dim or a list; all when left out) is non-zero (NaN counts), as
 * PyTorch's `any`; bool. An empty reduction gives false.
 *
 * @example
 * ```ts
 * const x = tensor([[0, 1], [0, 0]]);
 * any(x);    // → true
 * any(x, 1); // → [true, false]
 * ```
 */
export function any(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor("any", "input", x);
  const checked = checkReductionDim("any", dim);
  reductionShape("any", x, checked, keepdim);
  return gt(sum(ne(x, 0), checked, keepdim), 0);
}

/**
 * Whether every element over `dim` (a dim or a list; all when left out) is non-zero (NaN counts),
 * as PyTorch's `all`; bool. An empty reduction gives true.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [0, 3]]);
 * all(x);    // → false
 * all(x, 1); // → [true, false]
 * ```
 */
export function all(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  checkTensor("all", "input", x);
  const checked = checkReductionDim("all", dim);
  reductionShape("all", x, checked, keepdim);
  return eq(sum(eq(x, 0), checked, keepdim), 0);
}

type NormFields = { p: number; dim: Dims | undefined; keptShape: number[] };

const normOp = defineOp({
  name: "norm",
  forward(ctx: OpContext<NormFields>, x: Tensor, p: number, dim: Dims | undefined, keepdim: boolean) {
    const { reduced, keptShape } = reductionShape("norm", x, dim, keepdim);
    if (Math.abs(p) === Infinity && x.shape.some((size, d) => reduced[d] && size === 0)) {
      throw new NablaError(
        "norm",
        `cannot take the ${p > 0 ? "" : "-"}inf norm over a zero-size dim (shape ${formatShape(x.shape)}): max and min have no identity`,
      );
    }
    const size = abs(x);
    let out: Tensor;
    if (p === Infinity) out = max(size, dim, keepdim);
    else if (p === -Infinity) out = min(size, dim, keepdim);
    else if (p === 0)
      out = to(sum(ne(x, 0), dim, keepdim), x.dtype); // how many are non-zero
    else if (p === 1) out = sum(size, dim, keepdim);
    else if (p === 2) out = sqrt(sum(mul(x, x), dim, keepdim));
    else out = pow(sum(pow(size, p), dim, keepdim), 1 / p);
    ctx.save(x, out);
    ctx.p = p;
    ctx.dim = dim;
    ctx.keptShape = keptShape;
    return out;
  },
  backward(ctx, gradOut) {
    // PyTorch's norm_backward: ∂‖x‖_p/∂x_i = sign(x_i) |x_i|^(p−1) / ‖x‖^(p−1), 0 where ‖x‖ = 0
    const [x, out] = ctx.saved as [Tensor, Tensor];
    const { p } = ctx;
    const g = reshape(gradOut, ctx.keptShape);
    const norm = reshape(out, ctx.keptShape);
    if (p === 0) return [zerosLike(x)];
    if (p === 1) return [mul(sign(x), g)];
    if (p === 2) return [mul(x, divideUnlessZero(g, norm))];
    if (Math.abs(p) === Infinity) {
      // the gradient is shared evenly among the elements whose size is the extreme
      const extreme = eq(abs(x), norm);
      const count = sum(extreme, ctx.dim, true);
      return [mul(mul(sign(x), div(g, count)), to(extreme, x.dtype))];
    }
    const size = abs(x);
    if (p < 1) {
      // |x|^(p−1) is infinite at 0, where the gradient is 0
      const scaled = where(eq(x, 0), 0, mul(sign(x), pow(size, p - 1)));
      return [mul(mul(scaled, g), pow(norm, 1 - p))];
    }
    const scaled = p < 2 ? mul(sign(x), pow(size, p - 1)) : mul(x, pow(size, p - 2));
    return [mul(scaled, divideUnlessZero(g, pow(norm, p - 1)))];
  },
  formula: { forward: "y = (Σ |x|^p)^(1/p) over dims", backward: "x̄ = ȳ ⊙ sign(x) |x|^(p−1) / y^(p−1)  (0 where y = 0)" },
});

/** g / d, and 0 where d is 0 (the divisor is made 1 there, so no ∞ reaches a later gradient). */
function divideUnlessZero(g: Tensor, d: Tensor): Tensor {
  const zero = eq(d, 0);
  return where(zero, 0, div(g, where(zero, 1, d)));
}

/**
 * The vector p-norm over `dim` (a dim or a list; all when left out), as PyTorch's
 * `torch.linalg.vector_norm` (and `torch.norm` for numbers): (Σ |x|^p)^(1/p); p = Infinity is
 * max |x|, -Infinity min |x|, 0 the number of non-zero elements; "fro" is 2. Floating-point tensors
 * only. The gradient at a zero norm is 0, as PyTorch.
 *
 * @example
 * ```ts
 * const x = tensor([[3, -4], [0, 1]]);
 * norm(x);               // → 5.0990195
 * norm(x, 2, 1);         // → [5, 1]
 * norm(x, 1, 1);         // → [7, 1]
 * norm(x, Infinity);     // → 4
 * norm(x, 0);            // → 3
 * ```
 */
export function norm(x: Tensor, p: number | "fro" = 2, dim?: Dims, keepdim = false): Tensor {
  checkTensor("norm", "input", x);
  if (p !== "fro" && typeof p !== "number") throw new NablaError("norm", `p must be a number or "fro", got ${describeValue(p)}`);
  if (!isFloating(x.dtype)) {
    throw new NablaError("norm", `needs a floating-point tensor, got ${x.dtype}; convert with to("float32") first`);
  }
  return normOp(x, p === "fro" ? 2 : p, checkReductionDim("norm", dim), keepdim);
}

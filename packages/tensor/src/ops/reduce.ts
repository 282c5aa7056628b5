import { defineOp } from "../autograd/define-op";
import type { DType } from "../dtype";
import { NablaError } from "../errors";
import type { ReduceOp } from "../backends/primitives";
import { checkBoolean, checkDims, checkInteger, checkTensor } from "../args";
import { formatShape, normalizeDim, normalizeDims } from "../shape";
import { Tensor, type Dims } from "../tensor";
import { expand, reshape } from "./movement";

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
      const winners = x.eq(reshape(out, ctx.keptShape));
      const count = winners.sum(reductionDims(ctx.keptShape, x.shape), true);
      // a mask product, not a where: a NaN extreme equals nothing, so 0 · (ȳ / 0) makes its whole
      // slice's gradient NaN, as in PyTorch, instead of silently zero
      return [winners.to(gradOut.dtype).mul(reshape(gradOut, ctx.keptShape).div(count))];
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

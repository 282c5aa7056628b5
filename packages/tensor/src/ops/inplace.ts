import { checkTensor } from "../args";
import { isTensor } from "../copies";
import { canCast, checkValueFits, isFloating, storedValue } from "../dtype";
import { enableGrad, isGradEnabled, noGrad } from "../autograd/grad-mode";
import { arange, full, zeros } from "../creation";
import { NablaError, describeValue } from "../errors";
import { hasInternalOverlap } from "../layout";
import { formatShape, shapesEqual, broadcastShapes } from "../shape";
import { markWritten } from "../elements";
import { recordsGraph, setHistoryRefresher, Tensor, type TensorLike } from "../tensor";
import { add, div, mul, sub } from "./binary";
import { gt, where } from "./compare";
import { gatherOp } from "./indexing";
import { asStrided, clone, contiguous, expand, reshape, to } from "./movement";
import { clamp } from "./unary";
import { sum } from "./reduce";

/**
 * In-place ops compute the out-of-place result and write it through the target's layout, so a
 * write through a view is seen by every tensor sharing the storage; each bumps the storage's
 * version so backward can detect saved tensors that changed.
 */
export function checkTarget(op: string, target: Tensor, sharedElementsAllowed = false): void {
  checkTensor(op, "target", target);
  if (isGradEnabled()) {
    target.syncHistory(op);
    if (target.requiresGrad && target.isLeaf) {
      throw new NablaError(op, "a leaf tensor that requires grad cannot be modified in place outside noGrad (wrap the update in noGrad)");
    }
    const base = target.base;
    if (base?.requiresGrad && base.isLeaf) {
      throw new NablaError(
        op,
        `the target (shape ${formatShape(target.shape)}) is a view of a leaf tensor of shape ${formatShape(base.shape)} that requires grad; ` +
          "it cannot be modified in place outside noGrad (clone() the leaf first, or wrap the update in noGrad)",
      );
    }
    if (base?.requiresGrad && !target.requiresGrad) {
      // the view was taken inside noGrad: a write through it would change values of a graph
      // without the graph knowing (PyTorch refuses this too)
      throw new NablaError(
        op,
        `the target (shape ${formatShape(target.shape)}) is a view taken inside noGrad of a tensor of shape ${formatShape(base.shape)} that requires grad; ` +
          "write through it inside noGrad as well, or take the view with grad mode on",
      );
    }
  }
  // writing one value into elements that share memory is still well defined (PyTorch allows fill_)
  if (!sharedElementsAllowed && hasInternalOverlap(target)) {
    throw new NablaError(
      op,
      `the target (shape ${formatShape(target.shape)}, strides ${formatShape(target.strides)}) has elements that share memory; clone() it first`,
    );
  }
}

export function writeResult(op: string, target: Tensor, result: Tensor): Tensor {
  if (!shapesEqual(result.shape, target.shape)) {
    throw new NablaError(
      op,
      `the result of shape ${formatShape(result.shape)} cannot be written into a tensor of shape ${formatShape(target.shape)}`,
    );
  }
  if (!canCast(result.dtype, target.dtype)) {
    throw new NablaError(op, `the result type ${result.dtype} cannot be stored in a ${target.dtype} tensor`);
  }
  target.storage.backend.run.write(target, result);
  markWritten(target);
  if (result.gradFn) recordWrite(target, result.dtype === target.dtype ? result : to(result, target.dtype));
  return target;
}

/**
 * Inside a graph the target now holds the result, so it takes over the result's history. A view
 * changes its base too: the base continues as "the old base with the view's elements replaced
 * by the result" (PyTorch's CopySlices). Any other tensor over the storage is now stale; the
 * next op that uses it rebuilds its history from its base (see `refreshHistory`).
 */
function recordWrite(target: Tensor, result: Tensor): void {
  const base = target.base;
  if (base) base.rebase(withViewReplaced(base, target, result));
  target.rebase(result);
  setHistoryRefresher(refreshHistory);
  target.storage.recordedWriteVersion = target.storage.version;
}

/**
 * `base` with the elements it shares with `view` taken from `values` (shaped like the view):
 * where(in view, values gathered to base positions, base). Its gradient sends the view's part
 * to `values` and the rest to the old base, with no rule of its own.
 */
function withViewReplaced(base: Tensor, view: Tensor, values: Tensor): Tensor {
  // slot[i] = 1 + the flat index of the view element stored where base element i is, 0 if none
  // (a view never reaches one storage position twice: checkTarget rejects overlap)
  const slot = noGrad(() => {
    const marks = zeros([base.storage.size], { dtype: "int32" });
    copy_(asStrided(marks, view.shape, view.strides, view.offset), reshape(arange(1, view.numel + 1, 1, { dtype: "int32" }), view.shape));
    return contiguous(asStrided(marks, base.shape, base.strides, base.offset));
  });
  const inView = gt(slot, 0);
  // an empty view replaces nothing, and there is nothing to gather from: its values (the sum of
  // none, 0) still enter the graph, so the base's gradient history reaches them as in PyTorch
  if (view.numel === 0) return where(inView, sum(values), base);
  const index = reshape(clamp(sub(slot, 1), 0), [-1]);
  // slot − 1 < view.numel by construction, so gather's range check (a read-back) is not needed
  return where(inView, reshape(gatherOp(reshape(values, [-1]), 0, index), base.shape), base);
}

/**
 * Rebuilds the history of a tensor whose storage was written in place inside a graph through
 * another tensor. A view reads its base's storage, so its history is asStrided(base) (PyTorch
 * regenerates a view's grad_fn the same way). A leaf has no history to go stale: its values are
 * what they are (writing a parameter through `p.detach()` is an ordinary idiom). A computed
 * tensor written through something that is not a view of it (a `detach()` alias) cannot be
 * rebuilt, and using it in a graph would give silently wrong gradients: that throws.
 */
export function refreshHistory(op: string, t: Tensor): void {
  const base = t.base;
  if (base === null) {
    if (t.isLeaf) {
      t.historyVersion = t.storage.version;
      return;
    }
    throw new NablaError(
      op,
      `an input of shape ${formatShape(t.shape)} computed by ${t.gradFn!.name} was modified in place inside a graph through another tensor sharing its storage ` +
        "that is not a view of it (such as a detach() alias), so its gradient history no longer matches its values; " +
        "clone() it before writing, or write inside noGrad",
    );
  }
  base.syncHistory(op);
  t.rebase(enableGrad(() => asStrided(base, t.shape, t.strides, t.offset)));
}

/* @__NO_SIDE_EFFECTS__ */
function arithmetic_(op: string, fn: (a: Tensor, b: TensorLike) => Tensor, addInto?: (target: Tensor, other: TensorLike) => boolean) {
  return <T extends Tensor>(target: T, other: TensorLike): T => {
    checkTarget(op, target);
    if (isTensor(other, op)) broadcastShapes(op, target.shape, other.shape);
    if (addInto?.(target, other)) return target;
    // when recording, compute from a copy: the op may save its input, which the write would change
    const operand = recordsGraph(target, other) ? clone(target) : target;
    return writeResult(op, target, fn(operand, other)) as T;
  };
}

/**
 * add_ with no graph to record, of a tensor of the target's numeric dtype or a number into a float
 * target: added straight into the target's elements (the write primitive's accumulation), with no
 * result tensor in between; false (nothing done) otherwise. Gradient accumulation takes this path.
 */
function addInto(target: Tensor, other: TensorLike): boolean {
  if (recordsGraph(target, other) || target.dtype === "bool") return false;
  const source = isTensor(other, "add_")
    ? other
    : typeof other === "number" && isFloating(target.dtype)
      ? Tensor.fromNumber(other, target.dtype)
      : null;
  // a source larger than the target: writeResult says so
  if (source === null || source.dtype !== target.dtype || !shapesEqual(broadcastShapes("add_", target.shape, source.shape), target.shape))
    return false;
  target.storage.backend.run.write(target, expand(source, target.shape), true);
  markWritten(target);
  return true;
}

/**
 * Adds `other` (broadcast to the target's shape) to `target` in place and returns it, as
 * PyTorch's `add_`; every tensor sharing the storage sees the change. The result must fit the
 * target's dtype. A leaf that requires grad can be changed in place only inside `noGrad`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2]);
 * add_(x, 10);
 * x; // → [11, 12]
 * const w = tensor([1, 2], { requiresGrad: true });
 * add_(w, 1); // throws add_: a leaf tensor that requires grad cannot be modified in place outside noGrad (wrap the update in noGrad)
 * ```
 */
export const add_ = arithmetic_("add_", add, addInto);
/**
 * Subtracts `other` from `target` in place and returns it (see `add_`).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * sub_(x.select(0, 1), 3); // through a view: x changes
 * x; // → [[1, 2], [0, 1]]
 * ```
 */
export const sub_ = arithmetic_("sub_", sub);
/**
 * Multiplies `target` by `other` in place and returns it (see `add_`).
 *
 * @example
 * ```ts
 * const x = tensor([1, 2]);
 * mul_(x, 3);
 * x; // → [3, 6]
 * ```
 */
export const mul_ = arithmetic_("mul_", mul);
/**
 * Divides `target` by `other` in place and returns it (see `add_`); an int32 target cannot hold
 * the float32 quotient, so that throws.
 *
 * @example
 * ```ts
 * const x = tensor([2, 4]);
 * div_(x, 2);
 * x; // → [1, 2]
 * div_(arange(2), 2); // throws div_: the result type float32 cannot be stored in a int32 tensor
 * ```
 */
export const div_ = arithmetic_("div_", div);

/**
 * Inside a graph, replacing a tensor's values is where(false, old, new): the new values' history
 * continues, and the old values get a zero gradient (PyTorch's fill_ and copy_ backward).
 */
function replaceValues(op: string, target: Tensor, source: Tensor): Tensor {
  const replaced = where(full([], false, { dtype: "bool" }), target, to(source, target.dtype));
  return writeResult(op, target, replaced);
}

/**
 * Sets every element of `target` to `value` in place and returns it, as PyTorch's `fill_`.
 *
 * @example
 * ```ts
 * const x = zeros([2, 2]);
 * fill_(x, 7);
 * x; // → [[7, 7], [7, 7]]
 * ```
 */
export function fill_<T extends Tensor>(target: T, value: number | boolean): T {
  checkTarget("fill_", target, !recordsGraph(target));
  if (typeof value !== "number" && typeof value !== "boolean")
    throw new NablaError("fill_", `value must be a number or boolean, got ${describeValue(value)}`);
  if (typeof value === "number") checkValueFits("fill_", value, target.dtype);
  if (recordsGraph(target)) return replaceValues("fill_", target, Tensor.fromNumber(value, target.dtype)) as T;
  target.storage.backend.run.fill(target, storedValue(target.dtype, value));
  markWritten(target);
  return target;
}

/**
 * Sets every element of `target` to 0 in place and returns it, as PyTorch's `zero_`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2]);
 * zero_(x);
 * x; // → [0, 0]
 * ```
 */
export function zero_<T extends Tensor>(target: T): T {
  return fill_(target, 0);
}

/**
 * Copies `src` (broadcast to the target's shape, converted to its dtype) into `target` in place and
 * returns it, as PyTorch's `copy_`; gradients flow to `src`.
 *
 * @example
 * ```ts
 * const x = zeros([2, 2]);
 * copy_(x, tensor([1, 2]));
 * x; // → [[1, 2], [1, 2]]
 * ```
 */
export function copy_<T extends Tensor>(target: T, src: TensorLike): T {
  checkTarget("copy_", target);
  if (!isTensor(src, "copy_") && typeof src !== "number" && typeof src !== "boolean") {
    throw new NablaError("copy_", `src must be a Tensor, a number or a boolean, got ${describeValue(src)}`);
  }
  if (typeof src === "number") checkValueFits("copy_", src, target.dtype);
  const source = isTensor(src, "copy_") ? src : Tensor.fromNumber(src, target.dtype);
  broadcastShapes("copy_", target.shape, source.shape);
  const expanded = expand(source, target.shape);
  if (!shapesEqual(expanded.shape, target.shape)) {
    throw new NablaError(
      "copy_",
      `cannot copy a tensor of shape ${formatShape(source.shape)} into one of shape ${formatShape(target.shape)}`,
    );
  }
  if (recordsGraph(target, expanded)) return replaceValues("copy_", target, expanded) as T;
  target.storage.backend.run.write(target, expanded);
  markWritten(target);
  return target;
}

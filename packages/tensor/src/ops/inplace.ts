import { canCast } from "../dtype";
import { isGradEnabled } from "../autograd/grad-mode";
import { NablaError } from "../errors";
import { copyStrided, fillStrided } from "../kernels/elementwise";
import { hasInternalOverlap } from "../layout";
import { formatShape, shapesEqual, broadcastShapes } from "../shape";
import { recordsGraph, Tensor, type TensorLike } from "../tensor";
import { add, div, mul, sub } from "./binary";
import { expand } from "./movement";
import { scalarTensor } from "./operands";

/**
 * In-place ops compute the out-of-place result and write it through the target's layout, so a
 * write through a view is seen by every tensor sharing the storage; each bumps the storage's
 * version so backward can detect saved tensors that changed.
 */
function checkTarget(op: string, target: Tensor): void {
  if (isGradEnabled() && target.requiresGrad && target.isLeaf) {
    throw new NablaError(op, "a leaf tensor that requires grad cannot be modified in place outside noGrad (wrap the update in noGrad)");
  }
  if (hasInternalOverlap(target)) {
    throw new NablaError(op, `the target (shape ${formatShape(target.shape)}, strides ${formatShape(target.strides)}) has elements that share memory; clone() it first`);
  }
}

function writeResult(op: string, target: Tensor, result: Tensor): Tensor {
  if (!shapesEqual(result.shape, target.shape)) {
    throw new NablaError(op, `the result of shape ${formatShape(result.shape)} cannot be written into a tensor of shape ${formatShape(target.shape)}`);
  }
  if (!canCast(result.dtype, target.dtype)) {
    throw new NablaError(op, `the result type ${result.dtype} cannot be stored in a ${target.dtype} tensor`);
  }
  copyStrided(result.strided, target.strided);
  target.storage.version++;
  // inside a graph the target now holds the result: it takes over the result's history
  if (result.gradFn) target.rebase(result);
  return target;
}

function arithmetic_(op: string, fn: (a: Tensor, b: TensorLike) => Tensor) {
  return <T extends Tensor>(target: T, other: TensorLike): T => {
    checkTarget(op, target);
    if (other instanceof Tensor) broadcastShapes(op, target.shape, other.shape);
    // when recording, compute from a copy: the op may save its input, which the write would change
    const operand = recordsGraph(target, other) ? target.clone() : target;
    return writeResult(op, target, fn(operand, other)) as T;
  };
}

export const add_ = arithmetic_("add_", add);
export const sub_ = arithmetic_("sub_", sub);
export const mul_ = arithmetic_("mul_", mul);
export const div_ = arithmetic_("div_", div);

/** Sets every element to `value`. */
export function fill_<T extends Tensor>(target: T, value: number | boolean): T {
  checkTarget("fill_", target);
  if (typeof value !== "number" && typeof value !== "boolean") throw new NablaError("fill_", `value must be a number or boolean, got ${typeof value}`);
  if (target.requiresGrad && isGradEnabled()) return writeResult("fill_", target, expand(scalarTensor(value, target.dtype), target.shape).mul(1)) as T;
  fillStrided(target.strided, target.dtype === "bool" ? (value ? 1 : 0) : Number(value));
  target.storage.version++;
  return target;
}

/** Sets every element to 0. */
export function zero_<T extends Tensor>(target: T): T {
  return fill_(target, 0);
}

/** Copies src (broadcast to the target's shape, converted to its dtype) into the target. */
export function copy_<T extends Tensor>(target: T, src: TensorLike): T {
  checkTarget("copy_", target);
  const source = src instanceof Tensor ? src : scalarTensor(src, target.dtype);
  broadcastShapes("copy_", target.shape, source.shape);
  const expanded = expand(source, target.shape);
  if (!shapesEqual(expanded.shape, target.shape)) {
    throw new NablaError("copy_", `cannot copy a tensor of shape ${formatShape(source.shape)} into one of shape ${formatShape(target.shape)}`);
  }
  if (isGradEnabled() && expanded.requiresGrad) return writeResult("copy_", target, expanded.to(target.dtype).mul(1)) as T;
  copyStrided(expanded.strided, target.strided);
  target.storage.version++;
  return target;
}


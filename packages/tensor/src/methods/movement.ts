// The view and copy ops as Tensor methods (`x.reshape([2, 3])` is `reshape(x, [2, 3])`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import { sizesArgument } from "../args";
import type { Device } from "../device";
import type { DType } from "../dtype";
import type { Shape } from "../shape";
import type { Dims, Tensor } from "../tensor";
import * as movement from "../ops/movement";
import { installMethods, installOps, installGetters } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The same elements in row-major order with a new shape, as `torch.reshape`; one size may be -1
     * (inferred). A view of the same storage when the strides allow it, else a copy (`view` never
     * copies). Throws when the number of elements differs.
     *
     * @example
     * ```ts
     * const x = arange(6);
     * x.reshape([2, 3]);           // → [[0, 1, 2], [3, 4, 5]]
     * x.reshape([-1, 2]).shape;    // → [3, 2]
     * x.reshape(2, 3).shape;       // → [2, 3]
     * x.reshape([4, 2]); // throws reshape: shape [4, 2] is invalid for input of size 6 (shape [6])
     * ```
     */
    reshape(shape: Shape): Tensor;
    /** `reshape` with the sizes spread, as PyTorch users type them: `x.reshape(2, 3)`. */
    reshape(...shape: number[]): Tensor;
    /**
     * Like `reshape`, but always a view of the same storage, as PyTorch's `view`: throws when the
     * strides cannot express the new shape (call `contiguous()` first, or use `reshape`).
     *
     * @example
     * ```ts
     * const x = arange(6).reshape([2, 3]);
     * x.view([3, 2]).storage === x.storage; // → true
     * x.T.view([6]); // throws view: cannot view a tensor of shape [3, 2] and strides [1, 3] as [6]…
     * ```
     */
    view(shape: Shape): Tensor;
    /** `view` with the sizes spread, as PyTorch users type them: `x.view(-1, 4)`. */
    view(...shape: number[]): Tensor;
    /**
     * Dims `dim0` and `dim1` swapped, as a view (PyTorch's `transpose`). Negative dims count from
     * the end.
     *
     * @example
     * ```ts
     * zeros([2, 3, 4]).transpose(0, -1).shape; // → [4, 3, 2]
     * tensor([[1, 2], [3, 4]]).transpose(0, 1); // → [[1, 3], [2, 4]]
     * ```
     */
    transpose(dim0: number, dim1: number): Tensor;
    /**
     * The dims reordered, as a view: dim i of the result is dim `dims[i]` of this tensor (PyTorch's
     * `permute`). `dims` must list every dim once.
     *
     * @example
     * ```ts
     * zeros([2, 3, 4]).permute([2, 0, 1]).shape; // → [4, 2, 3]
     * zeros([2, 3, 4]).permute(2, 0, 1).shape;   // → [4, 2, 3]
     * ```
     */
    permute(dims: readonly number[]): Tensor;
    /** `permute` with the dims spread, as PyTorch users type them: `x.permute(1, 0)`. */
    permute(...dims: number[]): Tensor;
    /**
     * All dims reversed, as a view (numpy's `.T`; PyTorch's `x.permute(n-1, …, 0)`): the transpose of
     * a matrix.
     */
    readonly T: Tensor;
    /**
     * The last two dims swapped, as a view (PyTorch's `mT`): a batch of matrices, each transposed.
     * Throws for fewer than 2 dims.
     */
    readonly mT: Tensor;
    /**
     * Removes size-1 dims, as a view: all of them, or only those of `dim` (a dim or a list; a listed
     * dim whose size is not 1 stays, as in PyTorch).
     *
     * @example
     * ```ts
     * const x = zeros([2, 1, 3, 1]);
     * x.squeeze().shape;  // → [2, 3]
     * x.squeeze(1).shape; // → [2, 3, 1]
     * x.squeeze(0).shape; // → [2, 1, 3, 1]
     * ```
     */
    squeeze(dim?: Dims): Tensor;
    /**
     * Inserts a size-1 dim at `dim`, as a view (PyTorch's `unsqueeze`); `dim` may be `ndim`, or
     * negative to count from the end.
     *
     * @example
     * ```ts
     * const x = tensor([1, 2, 3]);
     * x.unsqueeze(0).shape;  // → [1, 3]
     * x.unsqueeze(-1).shape; // → [3, 1]
     * ```
     */
    unsqueeze(dim: number): Tensor;
    /**
     * Repeats size-1 dims (and prepends new ones) to `shape` without copying: the repeated dims get
     * stride 0 (PyTorch's `expand`). -1 keeps a size. Write into an expanded tensor only after `clone()`.
     *
     * @example
     * ```ts
     * const x = tensor([[1], [2]]);
     * x.expand([2, 3]);         // → [[1, 1, 1], [2, 2, 2]]
     * x.expand([2, 3]).strides; // → [1, 0]
     * x.expand([4, -1, 3]).shape; // → [4, 2, 3]
     * x.expand(4, -1, 3).shape;   // → [4, 2, 3]
     * ```
     */
    expand(shape: Shape): Tensor;
    /** `expand` with the sizes spread, as PyTorch users type them: `x.expand(3, -1)`. */
    expand(...shape: number[]): Tensor;
    /**
     * This tensor broadcast to `shape` by numpy's rules, as a view (PyTorch's `broadcast_to`; the same
     * as `expand`). Throws when the shapes do not broadcast.
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).broadcastTo([2, 3]); // → [[1, 2, 3], [1, 2, 3]]
     * ```
     */
    broadcastTo(shape: Shape): Tensor;
    /**
     * Dims `startDim` through `endDim` (all by default) merged into one, as PyTorch's `flatten`: a view
     * when the strides allow it, else a copy. A 0-d tensor becomes shape [1].
     *
     * @example
     * ```ts
     * const x = zeros([2, 3, 4]);
     * x.flatten().shape;  // → [24]
     * x.flatten(1).shape; // → [2, 12]
     * ```
     */
    flatten(startDim?: number, endDim?: number): Tensor;
    /**
     * Python slicing along one dim, as a view: `x.slice(1, 0, 10, 2)` is PyTorch's `x[:, 0:10:2]`.
     * `start` and `end` may be negative or out of range (clamped, as Python); `step` is positive.
     *
     * @example
     * ```ts
     * const x = arange(10);
     * x.slice(0, 2, 8, 3); // → [2, 5]
     * x.slice(0, -3);      // → [7, 8, 9]
     * ```
     */
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    /**
     * The sub-tensor at `index` along `dim`, with that dim removed, as a view (PyTorch's `x.select`,
     * or `x[:, i]` for dim 1). A negative index counts from the end.
     *
     * @example
     * ```ts
     * const x = tensor([[1, 2], [3, 4]]);
     * x.select(0, 1);  // → [3, 4]
     * x.select(1, -1); // → [2, 4]
     * ```
     */
    select(dim: number, index: number): Tensor;
    /**
     * `length` elements from `start` along `dim`, as a view (PyTorch's `narrow`). Throws when they do
     * not fit.
     *
     * @example
     * ```ts
     * arange(6).narrow(0, 1, 3); // → [1, 2, 3]
     * ```
     */
    narrow(dim: number, start: number, length: number): Tensor;
    /**
     * A view with explicit shape, strides and storage offset (absolute; the tensor's own by default),
     * as PyTorch's `as_strided`. Every position it reaches must lie inside the storage. Elements may
     * overlap (sliding windows); such a view is read-only.
     *
     * @example
     * ```ts
     * arange(5).asStrided([3, 3], [1, 1]); // → [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
     * ```
     */
    asStrided(shape: Shape, strides: readonly number[], offset?: number): Tensor;
    /**
     * This tensor when it is already contiguous, else a contiguous copy (PyTorch's `contiguous`).
     *
     * @example
     * ```ts
     * const t = tensor([[1, 2], [3, 4]]).T;
     * t.contiguous().isContiguous(); // → true
     * t.contiguous().data();         // → [1, 3, 2, 4]
     * ```
     */
    contiguous(): Tensor;
    /**
     * A contiguous copy with its own storage, as PyTorch's `clone`. Gradients flow through it back to
     * this tensor.
     *
     * @example
     * ```ts
     * const x = tensor([1, 2]);
     * const y = x.clone();
     * y.add_(1);
     * x; // → [1, 2]
     * ```
     */
    clone(): Tensor;
    /**
     * This tensor converted to `dtype` (a copy; this tensor itself when it already has that dtype),
     * or moved to `device` (this tensor itself when it is already there), as PyTorch's `to`. Floats
     * become int32 by truncation toward zero; the gradient is converted back. `"cpu"` is the only
     * device available: `"webgpu"` throws.
     *
     * @example
     * ```ts
     * tensor([1.7, -1.7]).to("int32");    // → [1, -1]
     * tensor([1, 2]).to("float64").dtype; // → "float64"
     * const x = tensor([1, 2]);
     * x.to("cpu") === x;                  // → true
     * x.to("webgpu"); // throws to: device "webgpu" is not available yet (available: cpu)
     * ```
     */
    to(dtypeOrDevice: DType | Device): Tensor;
  }
}

installOps({
  transpose: movement.transpose,
  squeeze: movement.squeeze,
  unsqueeze: movement.unsqueeze,
  broadcastTo: movement.broadcastTo,
  select: movement.select,
  narrow: movement.narrow,
  asStrided: movement.asStrided,
  contiguous: movement.contiguous,
  clone: movement.clone,
  to: movement.to,
  flatten: movement.flatten,
  slice: movement.slice,
});

installMethods({
  reshape(...shape: unknown[]): Tensor {
    return movement.reshape(this, sizesArgument(shape) as Shape);
  },
  view(...shape: unknown[]): Tensor {
    return movement.view(this, sizesArgument(shape) as Shape);
  },
  permute(...dims: unknown[]): Tensor {
    return movement.permute(this, sizesArgument(dims) as number[]);
  },
  expand(...shape: unknown[]): Tensor {
    return movement.expand(this, sizesArgument(shape) as Shape);
  },
});

installGetters({
  T(): Tensor {
    return movement.reverseDims(this);
  },
  mT(): Tensor {
    return movement.matrixTranspose(this);
  },
});

import type { BackwardOptions } from "./autograd/engine";
import { runBackward } from "./autograd/engine";
import type { GradHook, Node } from "./autograd/define-op";
import { isGradEnabled } from "./autograd/grad-mode";
import { checkBoolean, checkNumber, checkOptions, sizesArgument } from "./args";
import { isTensor, ordinaryHasInstance, sharedAcrossCopies, TENSOR_BRAND, version } from "./copies";
import type { Device } from "./device";
import { allocate, type DType, isFloating, storedValue, type TypedArray } from "./dtype";
import { NablaError, describeValue } from "./errors";
import { formatTensor, toNestedArray } from "./format";
import { contiguousLayout, isContiguousLayout, type Layout } from "./layout";
import { toContiguous } from "./backends/cpu/elementwise";
import type { Strided } from "./backends/cpu/iterate";
import { type Shape, formatShape, numelOf, shapesEqual } from "./shape";
import * as binary from "./ops/binary";
import * as compare from "./ops/compare";
import * as composite from "./composite";
import * as indexing from "./ops/indexing";
import * as inplace from "./ops/inplace";
import * as linalg from "./ops/linalg";
import * as movement from "./ops/movement";
import * as padding from "./ops/pad";
import * as reduce from "./ops/reduce";
import * as unary from "./ops/unary";

/** Nested arrays of numbers or booleans: what `tensor()` takes and `toArray()` gives. */
export type NestedArray = number | boolean | NestedArray[];
/** A tensor operand: a Tensor, or a JS number/boolean taken as a weak scalar (PyTorch's rules). */
export type TensorLike = Tensor | number | boolean;
/** A dim, or a list of dims, to reduce over (negative dims count from the end). */
export type Dims = number | readonly number[];

// one count for every copy of the package in the program: the engine compares serials of
// storages that either copy made (see Storage.created)
const storageCount = sharedAcrossCopies("storageCount", () => ({ created: 0 }));

/**
 * The buffer behind one or more tensors: a typed array, shared by a tensor and its views, and a
 * version counter that every in-place write bumps (backward checks it, so a tensor saved for
 * backward cannot change unnoticed).
 *
 * @example
 * ```ts
 * const x = tensor([1, 2, 3]);
 * const v = x.slice(0, 1);
 * v.storage === x.storage; // → true
 * v.add_(10);
 * x;                       // → [1, 12, 13]
 * x.storage.version;       // → 1
 * ```
 */
export class Storage {
  /** @internal How many storages were made so far: a backward pass tells the ones it made itself by serial. */
  static get created(): number {
    return storageCount.created;
  }
  /** @internal The order this storage was made in. */
  readonly serial = storageCount.created++;
  /** How many in-place writes this storage has had (PyTorch's `_version`). */
  version = 0;
  /**
   * @internal The version reached by the last in-place write recorded in a graph (-1: none). A tensor
   * over this storage whose history is older than that is stale: see `syncHistory`.
   */
  recordedWriteVersion = -1;
  constructor(
    /**
     * The elements in storage order (a tensor reads them through its strides and offset); bool is
     * stored as 0/1 bytes.
     */
    readonly data: TypedArray,
    /**
     * @internal Whether this is the one-element storage of a JS number operand (see
     * `Tensor.fromNumber`): no tensor the caller can reach shares it, so it is never written, and an op
     * that saves it may keep just the value.
     */
    readonly holdsNumber = false,
  ) {}
}

const NO_HOOKS: readonly GradHook[] = [];

/**
 * An n-dimensional array, as PyTorch's `torch.Tensor`: a `Storage` plus shape, strides and offset
 * (in elements). Views (`reshape`, `transpose`, `slice`, `expand`, …) share the storage and copy
 * nothing. Tensors that require grad record the ops applied to them, and `backward()` fills in
 * `.grad` on the leaves. Make tensors with `tensor()`, `zeros()`, `arange()`, `randn()` and the other
 * creation functions; every op is also a function (`x.add(y)` is `add(x, y)`).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * x.grad; // → [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  /**
   * The buffer this tensor reads, shared with its views (`storage.data` is the raw typed array,
   * indexed through `strides` and `offset`).
   */
  readonly storage: Storage;
  /** The size of each dim (`[]` for a 0-d tensor), as PyTorch's `x.shape`. */
  readonly shape: readonly number[];
  /**
   * How many storage elements one step along each dim moves, as PyTorch's `x.stride()`: `[3, 1]`
   * for a contiguous [2, 3] tensor, 0 along a broadcast (expanded) dim.
   */
  readonly strides: readonly number[];
  /** Where element [0, …, 0] lives in `storage.data`, as PyTorch's `x.storage_offset()`. */
  readonly offset: number;
  /** The element type: "float32" (the default), "float64", "int32" or "bool". */
  readonly dtype: DType;
  /** For a view, the tensor that owns the storage it reads (the root of its view chain); else null. */
  readonly base: Tensor | null;
  /** @internal The storage version at which this tensor's gradFn (or leaf status) was set. */
  historyVersion: number;
  private gradValue: Tensor | null = null;
  private gradFnNode: Node | null = null;
  private requiresGradFlag = false;
  private retainGradFlag = false;
  private leafHooks: GradHook[] | null = null;

  static {
    Object.defineProperty(Tensor.prototype, TENSOR_BRAND, { value: version });
    // `x instanceof Tensor` holds for a tensor of any copy of this version of the package (the ESM
    // and CJS builds are two copies) and throws for one of another version: see isTensor.
    // Subclasses check their prototype chain as usual. A read-only property, which V8 inlines where
    // a static method would be called every time (measured: about 4 vs 15-30 ns a check).
    Object.defineProperty(Tensor, Symbol.hasInstance, {
      value(this: unknown, value: unknown): boolean {
        return this === Tensor ? isTensor(value, "instanceof Tensor") : ordinaryHasInstance(this, value);
      },
    });
  }

  /** Wraps existing storage with a layout; use `tensor()` and the creation functions instead. */
  constructor(storage: Storage, layout: Layout, dtype: DType, base: Tensor | null = null) {
    this.storage = storage;
    this.shape = layout.shape;
    this.strides = layout.strides;
    this.offset = layout.offset;
    this.dtype = dtype;
    this.base = base;
    this.historyVersion = storage.version;
  }

  /**
   * A contiguous tensor over `data` (not copied) with `shape`; `dtype` must match the array
   * (Float32Array for float32, Float64Array for float64, Int32Array for int32, Uint8Array of 0/1 for
   * bool). The data is not checked: use `tensor()` for that.
   *
   * @example
   * ```ts
   * const t = Tensor.fromData(new Float32Array([1, 2, 3, 4]), [2, 2], "float32");
   * t.toArray(); // → [[1, 2], [3, 4]]
   * ```
   */
  static fromData(data: TypedArray, shape: Shape, dtype: DType): Tensor {
    return new Tensor(new Storage(data), contiguousLayout(shape), dtype);
  }

  /**
   * @internal A JS number or boolean operand as a tensor of `dtype` and `shape` (0-d by default):
   * one stored element that every index reaches through stride 0, the layout `expand` would give
   * it. Ops make these for their own use only (see `Storage.holdsNumber`); never hand one out.
   */
  static fromNumber(value: number | boolean, dtype: DType, shape: Shape = []): Tensor {
    const data = allocate(dtype, 1);
    data[0] = storedValue(dtype, value);
    return new Tensor(new Storage(data, true), { shape, strides: shape.map(() => 0), offset: 0 }, dtype);
  }

  /** @internal A new tensor object over the same storage and layout (no graph, no grad, not a view). */
  alias(): Tensor {
    return new Tensor(this.storage, this, this.dtype);
  }

  /** @internal A view: a new tensor over the same storage with another layout. */
  withLayout(layout: Layout): Tensor {
    return new Tensor(this.storage, layout, this.dtype, this.base ?? this);
  }

  /** @internal This tensor as a kernel operand. */
  get strided(): Strided {
    return { data: this.storage.data, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  /** The number of dims (0 for a scalar), as PyTorch's `x.ndim`. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The number of elements: the product of the shape (1 for a 0-d tensor), as PyTorch's `x.numel()`. */
  get numel(): number {
    return numelOf(this.shape);
  }

  /**
   * Whether the elements lie in storage in row-major order with no gaps (PyTorch's
   * `is_contiguous()`). Views such as `T`, `expand` and stepped `slice` usually are not; `contiguous()`
   * makes a copy that is.
   *
   * @example
   * ```ts
   * const x = zeros([2, 3]);
   * x.isContiguous();   // → true
   * x.T.isContiguous(); // → false
   * ```
   */
  isContiguous(): boolean {
    return isContiguousLayout(this);
  }

  // ---- autograd state ----

  /** The gradient accumulated by backward (leaves, and non-leaves that retain it). Assignable. */
  get grad(): Tensor | null {
    return this.gradValue;
  }

  /** A gradient must have this tensor's shape and dtype (PyTorch: "assigned grad has data of a different size"). */
  set grad(value: Tensor | null) {
    if (value !== null) {
      if (!isTensor(value, "grad")) throw new NablaError("grad", `the assigned grad must be a Tensor or null, got ${describeValue(value)}`);
      if (!shapesEqual(value.shape, this.shape) || value.dtype !== this.dtype) {
        throw new NablaError(
          "grad",
          `the assigned grad (${value.dtype} ${formatShape(value.shape)}) must have the tensor's shape and dtype (${this.dtype} ${formatShape(this.shape)})`,
        );
      }
    }
    this.gradValue = value;
  }

  /**
   * Whether backward computes a gradient for this tensor. Set it on leaves (`x.requiresGrad = true`,
   * or `{ requiresGrad: true }` at creation); only floating-point tensors can require grad, and a
   * result of a recorded op cannot be switched off (use `detach()`).
   */
  get requiresGrad(): boolean {
    return this.requiresGradFlag;
  }

  set requiresGrad(value: boolean) {
    if (this.gradFnNode) {
      if (value) return;
      throw new NablaError("requiresGrad", "can only change requiresGrad on leaf tensors; use detach() to get a tensor without history");
    }
    if (value && !isFloating(this.dtype)) {
      throw new NablaError("requiresGrad", `only floating-point tensors can require gradients, got ${this.dtype}`);
    }
    this.requiresGradFlag = value;
  }

  /**
   * The graph node of the op that produced this tensor (PyTorch's `grad_fn`): null for leaves and for
   * results computed without grad. `gradFn.name` is the op's name.
   */
  get gradFn(): Node | null {
    return this.gradFnNode;
  }

  /**
   * Whether no recorded op produced this tensor: tensors you made, and results computed without
   * grad. backward fills `.grad` on the leaves that require grad.
   */
  get isLeaf(): boolean {
    return this.gradFnNode === null;
  }

  /** @internal Makes this tensor the output of a recorded op. */
  attachGradFn(node: Node): void {
    this.gradFnNode = node;
    this.requiresGradFlag = true;
  }

  /**
   * @internal This tensor continues `result`'s history: after an in-place write inside a graph,
   * or when a stale view is rebuilt from its base. Hooks stay with the old node (they see the
   * gradient of the value they were registered on); a retained grad follows the tensor, as in
   * PyTorch ≥ 2.0.
   */
  rebase(result: Tensor): void {
    if (this.gradFnNode?.retainer === this) this.gradFnNode.retainer = null;
    this.gradFnNode = result.gradFnNode;
    this.requiresGradFlag = result.requiresGradFlag;
    if (this.retainGradFlag && this.gradFnNode) this.gradFnNode.retainer = this;
    this.historyVersion = this.storage.version;
  }

  /**
   * @internal Called before this tensor joins a graph (`op` names the caller for errors). When its
   * storage was written in place inside a graph through another tensor (a view, or its base),
   * its recorded history no longer describes its values: a view is rebuilt from its base, as
   * PyTorch regenerates a view's grad_fn; anything else throws.
   */
  syncHistory(op: string): void {
    if (this.storage.recordedWriteVersion > this.historyVersion) inplace.refreshHistory(op, this);
  }

  /** Whether `retainGrad()` was called on this non-leaf tensor, so backward keeps its `.grad`. */
  get retainsGrad(): boolean {
    return this.retainGradFlag;
  }

  /**
   * Keeps `.grad` on this non-leaf tensor after backward, as PyTorch's `retain_grad()` (leaves that
   * require grad always get theirs). Throws when the tensor does not require grad.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2], { requiresGrad: true });
   * const y = x.mul(3);
   * y.retainGrad();
   * y.sum().backward();
   * y.grad; // → [1, 1]
   * x.grad; // → [3, 3]
   * ```
   */
  retainGrad(): void {
    this.syncHistory("retainGrad");
    if (!this.requiresGradFlag) throw new NablaError("retainGrad", "cannot retain the gradient of a tensor that does not require grad");
    if (!this.gradFnNode) return;
    this.retainGradFlag = true;
    this.gradFnNode.retainer = this;
  }

  /**
   * Calls `fn` with this tensor's gradient during backward, before it is used: for a leaf, the
   * total gradient before it is added to `.grad`; for a non-leaf, its total gradient before the
   * op that made it runs backward. Hooks run in registration order and a retained grad sees
   * their result. A returned tensor (of the same shape) replaces the gradient. Returns a
   * function that removes the hook. As PyTorch's `register_hook`; the tensor must require grad.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2, 3], { requiresGrad: true });
   * const remove = x.registerHook((g) => g.mul(10));
   * x.sum().backward();
   * x.grad; // → [10, 10, 10]
   * remove();
   * ```
   */
  registerHook(fn: GradHook): () => void {
    if (typeof fn !== "function") throw new NablaError("registerHook", `expected a function, got ${typeof fn}`);
    this.syncHistory("registerHook");
    if (!this.requiresGradFlag) throw new NablaError("registerHook", "cannot register a hook on a tensor that does not require grad");
    let hooks: GradHook[];
    if (this.gradFnNode) {
      this.gradFnNode.hooks ??= [];
      hooks = this.gradFnNode.hooks;
    } else {
      this.leafHooks ??= [];
      hooks = this.leafHooks;
    }
    const entry: GradHook = (grad) => fn(grad); // its own identity, so removing one registration of fn leaves the others
    hooks.push(entry);
    return () => {
      const i = hooks.indexOf(entry);
      if (i >= 0) hooks.splice(i, 1);
    };
  }

  /** @internal A leaf's hooks, in registration order. */
  get hooks(): readonly GradHook[] {
    return this.leafHooks ?? NO_HOOKS;
  }

  /**
   * Computes the gradient of this tensor with respect to the graph's leaves and adds it to their
   * `.grad` (gradients accumulate across calls: zero them between steps). A tensor of more than one
   * element needs `gradient`, shaped like it (the vector in the vector-Jacobian product). The graph's
   * saved tensors are freed unless `options.retainGraph`; `options.createGraph` records the backward
   * pass itself, for higher-order gradients.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2, 3], { requiresGrad: true });
   * x.square().sum().backward();
   * x.grad; // → [2, 4, 6]
   * x.mul(2).backward(tensor([1, 0, 0]));
   * x.grad; // → [4, 4, 6]
   * x.mul(2).backward(); // throws backward: a gradient can be created implicitly only for scalar outputs, got shape [3]; pass gradient
   * ```
   */
  backward(gradient?: Tensor | number, options: BackwardOptions = {}): void {
    checkOptions("backward", options);
    for (const key of ["retainGraph", "createGraph"] as const) if (options[key] !== undefined) checkBoolean("backward", key, options[key]);
    if (gradient !== undefined && !isTensor(gradient, "backward")) checkNumber("backward", "gradient", gradient);
    this.syncHistory("backward");
    if (!this.requiresGradFlag) {
      throw new NablaError(
        "backward",
        "the tensor does not require grad and has no gradFn (did you compute it inside noGrad, or from tensors without requiresGrad?)",
      );
    }
    let seed: Tensor;
    if (gradient === undefined) {
      if (this.numel !== 1) {
        throw new NablaError(
          "backward",
          `a gradient can be created implicitly only for scalar outputs, got shape ${formatShape(this.shape)}; pass gradient`,
        );
      }
      seed = composite.fullLike(this, 1);
    } else {
      seed = gradient instanceof Tensor ? gradient : composite.fullLike(this, gradient);
      if (!shapesEqual(seed.shape, this.shape)) {
        throw new NablaError(
          "backward",
          `gradient has shape ${formatShape(seed.shape)} but the tensor has shape ${formatShape(this.shape)}`,
        );
      }
    }
    runBackward([this], [seed], options);
  }

  /**
   * A tensor over the same storage with no history and no grad, as PyTorch's `detach()`: gradients
   * do not flow through it, and in-place writes to it change this tensor too.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2], { requiresGrad: true });
   * const y = x.detach();
   * y.requiresGrad;          // → false
   * y.storage === x.storage; // → true
   * ```
   */
  detach(): Tensor {
    return this.alias();
  }

  // ---- output ----

  /**
   * A contiguous copy of the elements in row-major order, as a typed array of the dtype
   * (Float32Array, Float64Array, Int32Array, or Uint8Array of 0/1 for bool).
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2], [3, 4]]);
   * x.T.data(); // → [1, 3, 2, 4]
   * ```
   */
  data(): TypedArray {
    return toContiguous(this.strided, this.dtype);
  }

  /**
   * The elements as nested arrays of numbers (booleans for bool tensors), as PyTorch's `tolist()`;
   * a 0-d tensor gives a plain number.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).toArray(); // → [[1, 2], [3, 4]]
   * tensor([1, -1]).gt(0).toArray();    // → [true, false]
   * tensor(5).toArray();                // → 5
   * ```
   */
  toArray(): NestedArray {
    return toNestedArray(this.data(), this.shape, this.dtype);
  }

  /**
   * The device the tensor's data lives on: `"cpu"`, the only device available today.
   *
   * @example
   * ```ts
   * tensor([1, 2]).device; // → "cpu"
   * ```
   */
  get device(): Device {
    return "cpu";
  }

  /**
   * `data()` as a promise: the form that works on every device (one that cannot read back
   * synchronously needs it). On the CPU it resolves at once.
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2], [3, 4]]);
   * await x.T.dataAsync(); // → [1, 3, 2, 4]
   * ```
   */
  async dataAsync(): Promise<TypedArray> {
    return this.data();
  }

  /**
   * `toArray()` as a promise: the form that works on every device. On the CPU it resolves at once.
   *
   * @example
   * ```ts
   * await tensor([[1, 2], [3, 4]]).toArrayAsync(); // → [[1, 2], [3, 4]]
   * ```
   */
  async toArrayAsync(): Promise<NestedArray> {
    return this.toArray();
  }

  /**
   * `item()` as a promise: the form that works on every device. On the CPU it resolves at once; it
   * rejects with the error `item()` throws for a tensor that has not exactly one element.
   *
   * @example
   * ```ts
   * await tensor([[7]]).itemAsync(); // → 7
   * ```
   */
  async itemAsync(): Promise<number | boolean> {
    return this.item();
  }

  /**
   * The value of a one-element tensor (any shape) as a number, or a boolean for bool; throws
   * for any other size.
   *
   * @example
   * ```ts
   * tensor([[7]]).item(); // → 7
   * tensor([1, 2]).item(); // throws item: only one-element tensors can be converted to a number, got shape [2]
   * ```
   */
  item(): number | boolean {
    if (this.numel !== 1)
      throw new NablaError("item", `only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`);
    const value = this.storage.data[this.offset]!;
    return this.dtype === "bool" ? value !== 0 : value;
  }

  /**
   * The tensor as PyTorch prints it: values with a common format, then float64, `gradFn` or
   * `requiresGrad` when they apply. `console.log(x)` in Node prints the same.
   *
   * @example
   * ```ts
   * tensor([1, 2]).toString(); // → "tensor([1., 2.])"
   * tensor([0.5], { dtype: "float64", requiresGrad: true }).toString(); // → "tensor([0.5000], dtype=float64, requiresGrad=true)"
   * ```
   */
  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---- views and copies ----

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
  reshape(...shape: unknown[]): Tensor {
    return movement.reshape(this, sizesArgument(shape) as Shape);
  }
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
  view(...shape: unknown[]): Tensor {
    return movement.view(this, sizesArgument(shape) as Shape);
  }
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
  transpose(dim0: number, dim1: number): Tensor {
    return movement.transpose(this, dim0, dim1);
  }
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
  permute(...dims: unknown[]): Tensor {
    return movement.permute(this, sizesArgument(dims) as number[]);
  }
  /**
   * All dims reversed, as a view (numpy's `.T`; PyTorch's `x.permute(n-1, …, 0)`): the transpose of
   * a matrix.
   */
  get T(): Tensor {
    return movement.reverseDims(this);
  }
  /**
   * The last two dims swapped, as a view (PyTorch's `mT`): a batch of matrices, each transposed.
   * Throws for fewer than 2 dims.
   */
  get mT(): Tensor {
    return movement.matrixTranspose(this);
  }
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
  squeeze(dim?: Dims): Tensor {
    return movement.squeeze(this, dim);
  }
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
  unsqueeze(dim: number): Tensor {
    return movement.unsqueeze(this, dim);
  }
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
  expand(...shape: unknown[]): Tensor {
    return movement.expand(this, sizesArgument(shape) as Shape);
  }
  /**
   * This tensor broadcast to `shape` by numpy's rules, as a view (PyTorch's `broadcast_to`; the same
   * as `expand`). Throws when the shapes do not broadcast.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).broadcastTo([2, 3]); // → [[1, 2, 3], [1, 2, 3]]
   * ```
   */
  broadcastTo(shape: Shape): Tensor {
    return movement.broadcastTo(this, shape);
  }
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
  flatten(startDim = 0, endDim = -1): Tensor {
    return movement.flatten(this, startDim, endDim);
  }
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
  slice(dim: number, start?: number, end?: number, step = 1): Tensor {
    return movement.slice(this, dim, start, end, step);
  }
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
  select(dim: number, index: number): Tensor {
    return movement.select(this, dim, index);
  }
  /**
   * `length` elements from `start` along `dim`, as a view (PyTorch's `narrow`). Throws when they do
   * not fit.
   *
   * @example
   * ```ts
   * arange(6).narrow(0, 1, 3); // → [1, 2, 3]
   * ```
   */
  narrow(dim: number, start: number, length: number): Tensor {
    return movement.narrow(this, dim, start, length);
  }
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
  asStrided(shape: Shape, strides: readonly number[], offset?: number): Tensor {
    return movement.asStrided(this, shape, strides, offset);
  }
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
  contiguous(): Tensor {
    return movement.contiguous(this);
  }
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
  clone(): Tensor {
    return movement.clone(this);
  }
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
  to(dtypeOrDevice: DType | Device): Tensor {
    return movement.to(this, dtypeOrDevice);
  }

  // ---- elementwise ----

  /**
   * this + other, elementwise with broadcasting (PyTorch's `add`). A JS number is a "weak" scalar
   * that keeps this tensor's dtype unless it is of a higher kind (int32 + 1.5 is float32); tensors
   * of different dtypes promote (see `resultType`).
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2], [3, 4]]);
   * x.add(tensor([10, 20])); // → [[11, 22], [13, 24]]
   * x.add(1);                // → [[2, 3], [4, 5]]
   * ```
   */
  add(other: TensorLike): Tensor {
    return binary.add(this, other);
  }
  /**
   * this − other, elementwise with broadcasting (PyTorch's `sub`). Not defined for bool.
   *
   * @example
   * ```ts
   * tensor([5, 7]).sub(tensor([1, 2])); // → [4, 5]
   * ```
   */
  sub(other: TensorLike): Tensor {
    return binary.sub(this, other);
  }
  /**
   * this ⊙ other, elementwise with broadcasting (PyTorch's `mul`; `matmul` is the matrix product).
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).mul(tensor([[10], [100]])); // → [[10, 20], [300, 400]]
   * ```
   */
  mul(other: TensorLike): Tensor {
    return binary.mul(this, other);
  }
  /**
   * this / other, elementwise with broadcasting: true division, so integer inputs give float32
   * (PyTorch's `div`). Division by zero gives ±Infinity or NaN, as IEEE.
   *
   * @example
   * ```ts
   * arange(3).div(2);               // → [0, 0.5, 1]
   * tensor([1, -1, 0]).div(0);      // → [Infinity, -Infinity, NaN]
   * ```
   */
  div(other: TensorLike): Tensor {
    return binary.div(this, other);
  }
  /**
   * this raised to `exponent`, elementwise with broadcasting (PyTorch's `pow`). Integer tensors cannot
   * be raised to negative integer powers.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).pow(2);  // → [1, 4, 9]
   * tensor([4, 9]).pow(0.5);   // → [2, 3]
   * ```
   */
  pow(exponent: TensorLike): Tensor {
    return binary.pow(this, exponent);
  }
  /**
   * The larger of this and other, elementwise with broadcasting (PyTorch's `maximum`); NaN
   * propagates. At a tie each side gets half the gradient.
   *
   * @example
   * ```ts
   * tensor([1, 5, NaN]).maximum(tensor([3, 2, 0])); // → [3, 5, NaN]
   * ```
   */
  maximum(other: TensorLike): Tensor {
    return binary.maximum(this, other);
  }
  /**
   * The smaller of this and other, elementwise with broadcasting (PyTorch's `minimum`); NaN
   * propagates. At a tie each side gets half the gradient.
   *
   * @example
   * ```ts
   * tensor([1, 5]).minimum(2); // → [1, 2]
   * ```
   */
  minimum(other: TensorLike): Tensor {
    return binary.minimum(this, other);
  }
  /**
   * −this, elementwise (PyTorch's `neg`). Not defined for bool.
   *
   * @example
   * ```ts
   * tensor([1, -2]).neg(); // → [-1, 2]
   * ```
   */
  neg(): Tensor {
    return unary.neg(this);
  }
  /**
   * eˣ, elementwise (PyTorch's `exp`); int32 and bool give float32.
   *
   * @example
   * ```ts
   * tensor([0, 1]).exp(); // → [1, 2.7182817]
   * ```
   */
  exp(): Tensor {
    return unary.exp(this);
  }
  /**
   * The natural logarithm, elementwise (PyTorch's `log`): -Infinity at 0, NaN below; int32 and
   * bool give float32.
   *
   * @example
   * ```ts
   * tensor([1, Math.E, 0]).log(); // → [0, 1, -Infinity]
   * ```
   */
  log(): Tensor {
    return unary.log(this);
  }
  /**
   * √x, elementwise (PyTorch's `sqrt`): NaN for negative values; int32 and bool give float32.
   *
   * @example
   * ```ts
   * tensor([4, 9, -1]).sqrt(); // → [2, 3, NaN]
   * ```
   */
  sqrt(): Tensor {
    return unary.sqrt(this);
  }
  /**
   * |x|, elementwise (PyTorch's `abs`); the gradient at 0 is 0. Not defined for bool.
   *
   * @example
   * ```ts
   * tensor([-1.5, 2]).abs(); // → [1.5, 2]
   * ```
   */
  abs(): Tensor {
    return unary.abs(this);
  }
  /**
   * The hyperbolic tangent, elementwise (PyTorch's `tanh`); int32 and bool give float32.
   *
   * @example
   * ```ts
   * tensor([0, 0.5, 100]).tanh(); // → [0, 0.46211716, 1]
   * ```
   */
  tanh(): Tensor {
    return unary.tanh(this);
  }
  /**
   * The logistic function 1 / (1 + e⁻ˣ), elementwise (PyTorch's `sigmoid`), accurate for large
   * |x|; int32 and bool give float32.
   *
   * @example
   * ```ts
   * tensor([0, 2]).sigmoid(); // → [0.5, 0.88079708]
   * ```
   */
  sigmoid(): Tensor {
    return unary.sigmoid(this);
  }
  /**
   * max(x, 0), elementwise (PyTorch's `relu`); the gradient at 0 is 0, and NaN stays NaN.
   *
   * @example
   * ```ts
   * tensor([-1, 0, 2]).relu(); // → [0, 0, 2]
   * ```
   */
  relu(): Tensor {
    return unary.relu(this);
  }
  /**
   * The sine (radians), elementwise (PyTorch's `sin`); int32 and bool give float32.
   *
   * @example
   * ```ts
   * tensor([0, Math.PI / 2]).sin(); // → [0, 1]
   * ```
   */
  sin(): Tensor {
    return unary.sin(this);
  }
  /**
   * The cosine (radians), elementwise (PyTorch's `cos`); int32 and bool give float32.
   *
   * @example
   * ```ts
   * tensor([0, Math.PI]).cos(); // → [1, -1]
   * ```
   */
  cos(): Tensor {
    return unary.cos(this);
  }
  /**
   * The error function (2/√π) ∫₀ˣ e^(−t²) dt, elementwise (PyTorch's `erf`); int32 and bool give
   * float32.
   *
   * @example
   * ```ts
   * tensor([0, 1, -1]).erf(); // → [0, 0.84270079, -0.84270079]
   * ```
   */
  erf(): Tensor {
    return unary.erf(this);
  }
  /**
   * −1, 0 or 1 by the sign of each element (PyTorch's `sign`); NaN stays NaN, and the gradient is 0.
   *
   * @example
   * ```ts
   * tensor([-2, 0, 3]).sign(); // → [-1, 0, 1]
   * ```
   */
  sign(): Tensor {
    return unary.sign(this);
  }
  /**
   * x², elementwise (PyTorch's `square`).
   *
   * @example
   * ```ts
   * tensor([-2, 3]).square(); // → [4, 9]
   * ```
   */
  square(): Tensor {
    return composite.square(this);
  }
  /**
   * Each element limited to [min, max] (PyTorch's `clamp`); either bound may be null or left out,
   * not both. The gradient passes where min ≤ x ≤ max, bounds included.
   *
   * @example
   * ```ts
   * tensor([-2, 0.5, 3]).clamp(0, 1); // → [0, 0.5, 1]
   * tensor([-2, 3]).clamp(null, 1);   // → [-2, 1]
   * ```
   */
  clamp(min?: number | null, max?: number | null): Tensor {
    return unary.clamp(this, min, max);
  }
  /**
   * this == other, elementwise with broadcasting, as a bool tensor (PyTorch's `eq`; NaN equals
   * nothing). Comparisons have no gradient.
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).eq(2); // → [false, true, false]
   * ```
   */
  eq(other: TensorLike): Tensor {
    return compare.eq(this, other);
  }
  /**
   * this != other, elementwise with broadcasting, as a bool tensor (PyTorch's `ne`).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).ne(2); // → [true, false, true]
   * ```
   */
  ne(other: TensorLike): Tensor {
    return compare.ne(this, other);
  }
  /**
   * this < other, elementwise with broadcasting, as a bool tensor (PyTorch's `lt`).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).lt(tensor([3, 2, 1])); // → [true, false, false]
   * ```
   */
  lt(other: TensorLike): Tensor {
    return compare.lt(this, other);
  }
  /**
   * this <= other, elementwise with broadcasting, as a bool tensor (PyTorch's `le`).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).le(2); // → [true, true, false]
   * ```
   */
  le(other: TensorLike): Tensor {
    return compare.le(this, other);
  }
  /**
   * this > other, elementwise with broadcasting, as a bool tensor (PyTorch's `gt`).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).gt(2); // → [false, false, true]
   * ```
   */
  gt(other: TensorLike): Tensor {
    return compare.gt(this, other);
  }
  /**
   * this >= other, elementwise with broadcasting, as a bool tensor (PyTorch's `ge`).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3]).ge(2); // → [false, true, true]
   * ```
   */
  ge(other: TensorLike): Tensor {
    return compare.ge(this, other);
  }
  /**
   * `cond.where(a, b)` is `where(cond, a, b)`. On a non-bool tensor with a bool first argument it
   * reads as PyTorch's `x.where(cond, y)`, i.e. `where(cond, x, y)`.
   *
   * @example
   * ```ts
   * const x = tensor([-1, 2, -3]);
   * x.gt(0).where(x, 0); // → [0, 2, 0]
   * x.where(x.gt(0), 0); // → [0, 2, 0]
   * ```
   */
  where(a: TensorLike, b: TensorLike): Tensor {
    if (this.dtype !== "bool" && a instanceof Tensor && a.dtype === "bool") return compare.where(a, this, b);
    return compare.where(this, a, b);
  }

  // ---- reductions ----

  /**
   * The sum over `dim` (a dim or a list of dims; all when left out), as PyTorch's `sum`; `keepdim`
   * keeps the reduced dims with size 1. int32 and bool sums are int32 (PyTorch's int64).
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2], [3, 4]]);
   * x.sum();        // → 10
   * x.sum(0);       // → [4, 6]
   * x.sum(1, true); // → [[3], [7]]
   * ```
   */
  sum(dim?: Dims, keepdim = false): Tensor {
    return reduce.sum(this, dim, keepdim);
  }
  /**
   * The arithmetic mean over `dim` (or all), as PyTorch's `mean`. Floating-point tensors only; an
   * empty reduction gives NaN.
   *
   * @example
   * ```ts
   * tensor([[1, 2], [3, 4]]).mean(0); // → [2, 3]
   * arange(3).mean(); // throws mean: needs a floating-point tensor, got int32; convert with to("float32") first
   * ```
   */
  mean(dim?: Dims, keepdim = false): Tensor {
    return composite.mean(this, dim, keepdim);
  }
  /**
   * The largest value over `dim` (or all); NaN propagates. Returns the values only (PyTorch's
   * `amax`); `argmax` gives the indices. Tied maxima share the gradient equally.
   *
   * @example
   * ```ts
   * const x = tensor([[1, 5], [7, 2]]);
   * x.max();  // → 7
   * x.max(1); // → [5, 7]
   * ```
   */
  max(dim?: Dims, keepdim = false): Tensor {
    return reduce.max(this, dim, keepdim);
  }
  /**
   * The smallest value over `dim` (or all); NaN propagates. Returns the values only (PyTorch's
   * `amin`); `argmin` gives the indices. Tied minima share the gradient equally.
   *
   * @example
   * ```ts
   * const x = tensor([[1, 5], [7, 2]]);
   * x.min();  // → 1
   * x.min(0); // → [1, 2]
   * ```
   */
  min(dim?: Dims, keepdim = false): Tensor {
    return reduce.min(this, dim, keepdim);
  }
  /**
   * The index (int32) of the first largest value along `dim`; without `dim`, the 0-d flat index over
   * all elements (PyTorch's `argmax`).
   *
   * @example
   * ```ts
   * const x = tensor([[1, 5], [7, 2]]);
   * x.argmax(1); // → [1, 0]
   * x.argmax();  // → 2
   * ```
   */
  argmax(dim?: number, keepdim = false): Tensor {
    return reduce.argmax(this, dim, keepdim);
  }
  /**
   * The index (int32) of the first smallest value along `dim`; without `dim`, the 0-d flat index over
   * all elements (PyTorch's `argmin`).
   *
   * @example
   * ```ts
   * const x = tensor([[1, 5], [7, 2]]);
   * x.argmin(1); // → [0, 1]
   * x.argmin();  // → 0
   * ```
   */
  argmin(dim?: number, keepdim = false): Tensor {
    return reduce.argmin(this, dim, keepdim);
  }
  /**
   * The variance over `dim` (or all), dividing by n − `correction`: 1 (the default) is the sample
   * variance, 0 the population variance (PyTorch's `var`). Floating-point tensors only.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2, 3, 4]);
   * x.var();            // → 1.6666666
   * x.var(0, false, 0); // → 1.25
   * ```
   */
  var(dim?: Dims, keepdim = false, correction = 1): Tensor {
    return composite.variance(this, dim, keepdim, correction);
  }
  /**
   * The standard deviation √var, with `var`'s arguments (PyTorch's `std`).
   *
   * @example
   * ```ts
   * tensor([1, 2, 3, 4]).std(); // → 1.2909944
   * ```
   */
  std(dim?: Dims, keepdim = false, correction = 1): Tensor {
    return composite.std(this, dim, keepdim, correction);
  }

  // ---- linear algebra and indexing ----

  /**
   * The matrix product, with PyTorch's rules: 1-D operands are promoted (a vector on the left becomes
   * a row, on the right a column, and the added dim is removed again), and batch dims broadcast.
   * Both operands must have the same dtype.
   *
   * @example
   * ```ts
   * const a = tensor([[1, 2], [3, 4]]);
   * a.matmul(tensor([[1], [1]])); // → [[3], [7]]
   * a.matmul(tensor([1, 1]));     // → [3, 7]
   * zeros([8, 2, 3]).matmul(zeros([3, 5])).shape; // → [8, 2, 5]
   * a.matmul(zeros([3, 2])); // throws matmul: cannot multiply [2, 2] by [3, 2] (inner sizes 2 and 3 differ)
   * ```
   */
  matmul(other: Tensor): Tensor {
    return linalg.matmul(this, other);
  }
  /**
   * The values along `dim` at the positions `index` holds (PyTorch's `gather`): `index` is int32 with
   * the same number of dims, and the result has its shape.
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2, 3], [4, 5, 6]]);
   * x.gather(1, tensor([[2], [0]], { dtype: "int32" })); // → [[3], [4]]
   * ```
   */
  gather(dim: number, index: Tensor): Tensor {
    return indexing.gather(this, dim, index);
  }
  /**
   * The slices at the positions of `index` (1-D int32) along `dim`, in that order, repeats allowed
   * (PyTorch's `index_select`).
   *
   * @example
   * ```ts
   * const x = tensor([[1, 2], [3, 4]]);
   * x.indexSelect(0, tensor([1, 1, 0], { dtype: "int32" })); // → [[3, 4], [3, 4], [1, 2]]
   * ```
   */
  indexSelect(dim: number, index: Tensor): Tensor {
    return indexing.indexSelect(this, dim, index);
  }
  /**
   * A copy of this tensor with `src`'s values added at the positions `index` gives along `dim`;
   * repeated positions add up (PyTorch's `scatter_add`, out of place).
   *
   * @example
   * ```ts
   * zeros([3]).scatterAdd(0, tensor([0, 2, 0], { dtype: "int32" }), tensor([1, 2, 3])); // → [4, 0, 2]
   * ```
   */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return indexing.scatterAdd(this, dim, index, src);
  }
  /**
   * One-hot encoding of int32 class indices: shape [...shape, numClasses], int32 (PyTorch's
   * `one_hot`). numClasses -1 means one more than the largest index.
   *
   * @example
   * ```ts
   * tensor([0, 2], { dtype: "int32" }).oneHot(3); // → [[1, 0, 0], [0, 0, 1]]
   * ```
   */
  oneHot(numClasses = -1): Tensor {
    return indexing.oneHot(this, numClasses);
  }
  /**
   * Views of consecutive chunks along `dim`: chunks of `size` (the last may be smaller), or of the
   * given sizes, which must add up to the dim's size (PyTorch's `split`).
   *
   * @example
   * ```ts
   * arange(5).split(2);      // → [[0, 1], [2, 3], [4]]
   * arange(5).split([1, 4]); // → [[0], [1, 2, 3, 4]]
   * ```
   */
  split(sizeOrSizes: number | readonly number[], dim = 0): Tensor[] {
    return indexing.split(this, sizeOrSizes, dim);
  }
  /**
   * This tensor padded as PyTorch's `F.pad`: (before, after) pairs from the last dim backwards, in
   * mode `"constant"` (with `value`), `"reflect"`, `"replicate"` or `"circular"`; negative amounts crop.
   *
   * @example
   * ```ts
   * tensor([[1, 2, 3]]).pad([1, 1], { mode: "reflect" }); // → [[2, 1, 2, 3, 2]]
   * ```
   */
  pad(pad: readonly number[], options?: padding.PadOptions): Tensor {
    return padding.pad(this, pad, options);
  }

  // ---- in place ----

  /**
   * Adds `other` (broadcast to this tensor's shape) in place and returns this tensor; views of the
   * same storage see the change. A leaf that requires grad can be changed in place only inside
   * `noGrad`, as in PyTorch.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2]);
   * x.add_(10);
   * x; // → [11, 12]
   * const w = tensor([1, 2], { requiresGrad: true });
   * w.add_(1); // throws add_: a leaf tensor that requires grad cannot be modified in place outside noGrad (wrap the update in noGrad)
   * ```
   */
  add_(other: TensorLike): this {
    return inplace.add_(this, other);
  }
  /**
   * Subtracts `other` in place and returns this tensor (see `add_`).
   *
   * @example
   * ```ts
   * const w = tensor([1, 2], { requiresGrad: true });
   * w.sum().backward();
   * noGrad(() => w.sub_(w.grad!.mul(0.5))); // a gradient-descent step
   * w; // → [0.5, 1.5]
   * ```
   */
  sub_(other: TensorLike): this {
    return inplace.sub_(this, other);
  }
  /**
   * Multiplies by `other` in place and returns this tensor (see `add_`).
   *
   * @example
   * ```ts
   * const x = tensor([1, 2]);
   * x.mul_(3);
   * x; // → [3, 6]
   * ```
   */
  mul_(other: TensorLike): this {
    return inplace.mul_(this, other);
  }
  /**
   * Divides by `other` in place and returns this tensor (see `add_`); an int32 tensor cannot hold the
   * float32 quotient, so it throws.
   *
   * @example
   * ```ts
   * const x = tensor([2, 4]);
   * x.div_(2);
   * x; // → [1, 2]
   * ```
   */
  div_(other: TensorLike): this {
    return inplace.div_(this, other);
  }
  /**
   * Sets every element to 0 in place and returns this tensor.
   *
   * @example
   * ```ts
   * const x = tensor([1, 2]);
   * x.zero_();
   * x; // → [0, 0]
   * ```
   */
  zero_(): this {
    return inplace.zero_(this);
  }
  /**
   * Sets every element to `value` in place and returns this tensor.
   *
   * @example
   * ```ts
   * const x = zeros([2, 2]);
   * x.fill_(7);
   * x; // → [[7, 7], [7, 7]]
   * ```
   */
  fill_(value: number | boolean): this {
    return inplace.fill_(this, value);
  }
  /**
   * Copies `src` (broadcast to this tensor's shape, converted to its dtype) into this tensor in place
   * and returns it; gradients flow to `src`.
   *
   * @example
   * ```ts
   * const x = zeros([2, 2]);
   * x.copy_(tensor([1, 2]));
   * x; // → [[1, 2], [1, 2]]
   * ```
   */
  copy_(src: TensorLike): this {
    return inplace.copy_(this, src);
  }
}

/** Whether an op on these operands should record a node (used by in-place ops). */
export function recordsGraph(...operands: TensorLike[]): boolean {
  return isGradEnabled() && operands.some((t) => t instanceof Tensor && t.requiresGrad);
}

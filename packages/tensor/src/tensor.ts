import type { BackwardOptions } from "./autograd/engine";
import { runBackward } from "./autograd/engine";
import type { GradHook, Node } from "./autograd/define-op";
import { isGradEnabled } from "./autograd/grad-mode";
import { checkBoolean, checkNumber, checkOptions } from "./args";
import { isTensor, ordinaryHasInstance, sharedAcrossCopies, TENSOR_BRAND, version } from "./copies";
import { type Device, getDefaultDevice } from "./device";
import { allocate, type DType, isFloating, storedValue, type TypedArray } from "./dtype";
import { NablaError, describeValue } from "./errors";
import { formatTensor, toNestedArray } from "./format";
import { contiguousLayout, isContiguousLayout, type Layout } from "./layout";
import type { Backend, BackendBuffer } from "./backends/backend";
import { cpu } from "./backends/cpu";
import { backendFor } from "./backends/registry";
import { type Shape, formatShape, numelOf, shapesEqual } from "./shape";

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
 * The buffer behind one or more tensors: a backend's buffer, shared by a tensor and its views, and
 * a version counter that every in-place write bumps (backward checks it, so a tensor saved for
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
    /** The backend that owns the buffer (the device's). */
    readonly backend: Backend,
    /**
     * The backend's handle to the elements in storage order (a tensor reads them through its
     * strides and offset). Opaque: only the backend reads or writes through it.
     */
    readonly buffer: BackendBuffer,
    /**
     * @internal The stored value when this is the one-element storage of a JS number operand (see
     * `Tensor.fromNumber`), else null: no tensor the caller can reach shares it, so it is never
     * written, and an op that saves it may keep just the value.
     */
    readonly heldNumber: number | null = null,
  ) {}

  /** The number of elements in the buffer. */
  get size(): number {
    return this.backend.sizeOf(this.buffer);
  }

  /** @internal Whether this is the storage of a JS number operand (see `heldNumber`). */
  get holdsNumber(): boolean {
    return this.heldNumber !== null;
  }

  /**
   * @internal The host array behind the buffer, on the CPU only (a NablaError elsewhere): for the
   * kernels of @nabla/ops and @nabla/nn that have not become primitives yet. Writes through it
   * must be followed by `markWritten`.
   */
  get data(): TypedArray {
    const { hostArray } = this.backend;
    if (hostArray === undefined) {
      throw new NablaError("storage.data", `buffers on device "${this.backend.device}" are not host memory; read them with dataAsync()`);
    }
    return hostArray(this.buffer);
  }
}

function checkOneElement(t: Tensor): void {
  if (t.numel !== 1)
    throw new NablaError("item", `only one-element tensors can be converted to a number, got shape ${formatShape(t.shape)}`);
}

function elementValue(t: Tensor, value: number): number | boolean {
  return t.dtype === "bool" ? value !== 0 : value;
}

/** @internal A new contiguous tensor holding x's elements as `dtype`, with `shape` (x's by default; same numel). */
export function copyOf(x: Tensor, dtype: DType = x.dtype, shape: Shape = x.shape): Tensor {
  const { backend } = x.storage;
  return Tensor.fromBuffer(backend, backend.run.copy(x, dtype), shape, dtype);
}

const NO_HOOKS: readonly GradHook[] = [];

// How a stale tensor's history is rebuilt (see syncHistory): the in-place ops hand it over when
// they first record a write inside a graph, before which no tensor can be stale, so this module
// imports no op. Shared by every copy of the package, as their storages are.
const staleHistory = sharedAcrossCopies("staleHistory", () => ({ refresh: null as ((op: string, t: Tensor) => void) | null }));

/** @internal Called by the in-place ops before they mark a storage as written inside a graph. */
export function setHistoryRefresher(refresh: (op: string, t: Tensor) => void): void {
  staleHistory.refresh = refresh;
}

/** The backend new tensors are made on (see setDefaultDevice). */
function defaultBackend(): Backend {
  const device = getDefaultDevice();
  return device === "cpu" ? cpu : backendFor(device);
}

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
   * The buffer this tensor reads, shared with its views (`storage.buffer`, indexed through
   * `strides` and `offset`).
   */
  readonly storage: Storage;
  /** The size of each dim (`[]` for a 0-d tensor), as PyTorch's `x.shape`. */
  readonly shape: readonly number[];
  /**
   * How many storage elements one step along each dim moves, as PyTorch's `x.stride()`: `[3, 1]`
   * for a contiguous [2, 3] tensor, 0 along a broadcast (expanded) dim.
   */
  readonly strides: readonly number[];
  /** Where element [0, …, 0] lives in the storage, as PyTorch's `x.storage_offset()`. */
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
    const backend = defaultBackend();
    return new Tensor(new Storage(backend, backend.upload(data)), contiguousLayout(shape), dtype);
  }

  /** @internal A contiguous tensor over a buffer a primitive of `backend` just made. */
  static fromBuffer(backend: Backend, buffer: BackendBuffer, shape: Shape, dtype: DType): Tensor {
    return new Tensor(new Storage(backend, buffer), contiguousLayout(shape), dtype);
  }

  /**
   * @internal A JS number or boolean operand as a tensor of `dtype` and `shape` (0-d by default):
   * one stored element that every index reaches through stride 0, the layout `expand` would give
   * it. Ops make these for their own use only (see `Storage.holdsNumber`); never hand one out.
   */
  static fromNumber(value: number | boolean, dtype: DType, shape: Shape = []): Tensor {
    const data = allocate(dtype, 1);
    const stored = storedValue(dtype, value);
    data[0] = stored;
    const backend = defaultBackend();
    return new Tensor(new Storage(backend, backend.upload(data), stored), { shape, strides: shape.map(() => 0), offset: 0 }, dtype);
  }

  /** @internal A new tensor object over the same storage and layout (no graph, no grad, not a view). */
  alias(): Tensor {
    return new Tensor(this.storage, this, this.dtype);
  }

  /** @internal A view: a new tensor over the same storage with another layout. */
  withLayout(layout: Layout): Tensor {
    return new Tensor(this.storage, layout, this.dtype, this.base ?? this);
  }

  /** @internal The storage's buffer: with shape, strides and offset, this tensor is a primitive's operand (a View). */
  get buffer(): BackendBuffer {
    return this.storage.buffer;
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
    if (this.storage.recordedWriteVersion > this.historyVersion) staleHistory.refresh!(op, this);
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
      seed = filledLike(this, 1);
    } else {
      seed = gradient instanceof Tensor ? gradient : filledLike(this, gradient);
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
    return this.storage.backend.readSync(this, this.dtype);
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
    return this.storage.backend.device;
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
    return this.storage.backend.read(this, this.dtype);
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
    return toNestedArray(await this.dataAsync(), this.shape, this.dtype);
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
    checkOneElement(this);
    return elementValue(this, (await this.dataAsync())[0]!);
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
    checkOneElement(this);
    return elementValue(this, this.data()[0]!);
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
}

/** A contiguous tensor shaped like `t` whose every element is `value`: the seed of backward. */
function filledLike(t: Tensor, value: number): Tensor {
  const data = allocate(t.dtype, t.numel);
  data.fill(storedValue(t.dtype, value));
  return Tensor.fromData(data, t.shape, t.dtype);
}

/** Whether an op on these operands should record a node (used by in-place ops). */
export function recordsGraph(...operands: TensorLike[]): boolean {
  return isGradEnabled() && operands.some((t) => t instanceof Tensor && t.requiresGrad);
}

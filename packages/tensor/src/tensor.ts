import type { BackwardOptions } from "./autograd/engine";
import { runBackward } from "./autograd/engine";
import type { GradHook, Node } from "./autograd/define-op";
import { isGradEnabled } from "./autograd/grad-mode";
import { isTensor, ordinaryHasInstance, sharedAcrossCopies, TENSOR_BRAND, version } from "./copies";
import { allocate, type DType, isFloating, type TypedArray } from "./dtype";
import { NablaError } from "./errors";
import { formatTensor, toNestedArray } from "./format";
import { contiguousLayout, isContiguousLayout, type Layout } from "./layout";
import { toContiguous } from "./kernels/elementwise";
import type { Strided } from "./kernels/iterate";
import { type Shape, formatShape, numelOf, shapesEqual } from "./shape";
import * as binary from "./ops/binary";
import * as compare from "./ops/compare";
import * as composite from "./composite";
import * as indexing from "./ops/indexing";
import * as inplace from "./ops/inplace";
import * as linalg from "./ops/linalg";
import * as movement from "./ops/movement";
import * as reduce from "./ops/reduce";
import * as unary from "./ops/unary";

export type NestedArray = number | boolean | NestedArray[];
/** A tensor operand: a Tensor, or a JS number/boolean taken as a weak scalar (PyTorch's rules). */
export type TensorLike = Tensor | number | boolean;
export type Dims = number | readonly number[];

// one count for every copy of the package in the program: the engine compares serials of
// storages that either copy made (see Storage.created)
const storageCount = sharedAcrossCopies("storageCount", () => ({ created: 0 }));

/** The buffer behind one or more tensors; in-place writes bump `version`. */
export class Storage {
  /** How many storages were made so far: a backward pass tells the ones it made itself by serial. */
  static get created(): number {
    return storageCount.created;
  }
  /** The order this storage was made in. */
  readonly serial = storageCount.created++;
  version = 0;
  /**
   * The version reached by the last in-place write recorded in a graph (-1: none). A tensor over
   * this storage whose history is older than that is stale: see `syncHistory`.
   */
  recordedWriteVersion = -1;
  constructor(
    readonly data: TypedArray,
    /**
     * Whether this is the one-element storage of a JS number operand (see `Tensor.fromNumber`): no
     * tensor the caller can reach shares it, so it is never written, and an op that saves it may
     * keep just the value.
     */
    readonly holdsNumber = false,
  ) {}
}

const NO_HOOKS: readonly GradHook[] = [];

/**
 * An n-dimensional array: storage plus shape, strides and offset (in elements). Views share the
 * storage and copy nothing. Tensors that require grad record the ops applied to them, and
 * `backward()` fills in `.grad` on the leaves.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * x.mul(x).sum().backward();
 * x.grad!.toArray(); // [[2, 4], [6, 8]]
 */
export class Tensor {
  readonly storage: Storage;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** For a view, the tensor that owns the storage it reads (the root of its view chain); else null. */
  readonly base: Tensor | null;
  /** @internal The storage version at which this tensor's gradFn (or leaf status) was set. */
  historyVersion: number;
  /** The gradient accumulated by backward (leaves, and non-leaves that retain it). Assignable. */
  grad: Tensor | null = null;
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

  /** A contiguous tensor over `data` and `shape` (neither is copied). */
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
    data[0] = typeof value === "boolean" ? (value ? 1 : 0) : value;
    return new Tensor(new Storage(data, true), { shape, strides: shape.map(() => 0), offset: 0 }, dtype);
  }

  /** A new tensor object over the same storage and layout (no graph, no grad, not a view). */
  alias(): Tensor {
    return new Tensor(this.storage, this, this.dtype);
  }

  /** A view: a new tensor over the same storage with another layout. */
  withLayout(layout: Layout): Tensor {
    return new Tensor(this.storage, layout, this.dtype, this.base ?? this);
  }

  /** This tensor as a kernel operand. */
  get strided(): Strided {
    return { data: this.storage.data, shape: this.shape, strides: this.strides, offset: this.offset };
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return numelOf(this.shape);
  }

  isContiguous(): boolean {
    return isContiguousLayout(this);
  }

  // ---- autograd state ----

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

  /** The node that created this tensor (null for leaves); `gradFn.name` is the op's name. */
  get gradFn(): Node | null {
    return this.gradFnNode;
  }

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

  get retainsGrad(): boolean {
    return this.retainGradFlag;
  }

  /** Keeps `.grad` on this non-leaf tensor after backward (leaves always keep it). */
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
   * function that removes the hook.
   *
   * @example
   * const remove = h.registerHook((g) => g.clamp(-1, 1)); // clip the gradient flowing through h
   */
  registerHook(fn: GradHook): () => void {
    if (typeof fn !== "function") throw new NablaError("registerHook", `expected a function, got ${typeof fn}`);
    this.syncHistory("registerHook");
    if (!this.requiresGradFlag) throw new NablaError("registerHook", "cannot register a hook on a tensor that does not require grad");
    const hooks = this.gradFnNode ? (this.gradFnNode.hooks ??= []) : (this.leafHooks ??= []);
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
   * `.grad`. A non-scalar tensor needs `gradient` (the vector in the vector-Jacobian product).
   */
  backward(gradient?: Tensor | number, options: BackwardOptions = {}): void {
    this.syncHistory("backward");
    if (!this.requiresGradFlag) {
      throw new NablaError("backward", "the tensor does not require grad and has no gradFn (did you compute it inside noGrad, or from tensors without requiresGrad?)");
    }
    let seed: Tensor;
    if (gradient === undefined) {
      if (this.numel !== 1) {
        throw new NablaError("backward", `a gradient can be created implicitly only for scalar outputs, got shape ${formatShape(this.shape)}; pass gradient`);
      }
      seed = composite.fullLike(this, 1);
    } else {
      seed = gradient instanceof Tensor ? gradient : composite.fullLike(this, gradient);
      if (!shapesEqual(seed.shape, this.shape)) {
        throw new NablaError("backward", `gradient has shape ${formatShape(seed.shape)} but the tensor has shape ${formatShape(this.shape)}`);
      }
    }
    runBackward([this], [seed], options);
  }

  /** A tensor sharing this storage, cut off from the graph. */
  detach(): Tensor {
    return this.alias();
  }

  // ---- output ----

  /** A contiguous copy of the elements in row-major order (Uint8Array of 0/1 for bool). */
  data(): TypedArray {
    return toContiguous(this.strided, this.dtype);
  }

  /** Nested arrays of numbers (booleans for bool tensors). */
  toArray(): NestedArray {
    return toNestedArray(this.data(), this.shape, this.dtype);
  }

  /** The value of a one-element tensor. */
  item(): number | boolean {
    if (this.numel !== 1) throw new NablaError("item", `only one-element tensors can be converted to a number, got shape ${formatShape(this.shape)}`);
    const value = this.storage.data[this.offset]!;
    return this.dtype === "bool" ? value !== 0 : value;
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  // ---- views and copies ----

  reshape(shape: Shape): Tensor { return movement.reshape(this, shape); }
  view(shape: Shape): Tensor { return movement.view(this, shape); }
  transpose(dim0: number, dim1: number): Tensor { return movement.transpose(this, dim0, dim1); }
  permute(dims: readonly number[]): Tensor { return movement.permute(this, dims); }
  /** All dims reversed (numpy's `.T`). */
  get T(): Tensor { return movement.reverseDims(this); }
  /** The last two dims swapped. */
  get mT(): Tensor { return movement.matrixTranspose(this); }
  squeeze(dim?: Dims): Tensor { return movement.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return movement.unsqueeze(this, dim); }
  expand(shape: Shape): Tensor { return movement.expand(this, shape); }
  broadcastTo(shape: Shape): Tensor { return movement.broadcastTo(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return movement.flatten(this, startDim, endDim); }
  slice(dim: number, start?: number, end?: number, step = 1): Tensor { return movement.slice(this, dim, start, end, step); }
  select(dim: number, index: number): Tensor { return movement.select(this, dim, index); }
  narrow(dim: number, start: number, length: number): Tensor { return movement.narrow(this, dim, start, length); }
  asStrided(shape: Shape, strides: readonly number[], offset?: number): Tensor { return movement.asStrided(this, shape, strides, offset); }
  contiguous(): Tensor { return movement.contiguous(this); }
  clone(): Tensor { return movement.clone(this); }
  to(dtype: DType): Tensor { return movement.to(this, dtype); }

  // ---- elementwise ----

  add(other: TensorLike): Tensor { return binary.add(this, other); }
  sub(other: TensorLike): Tensor { return binary.sub(this, other); }
  mul(other: TensorLike): Tensor { return binary.mul(this, other); }
  div(other: TensorLike): Tensor { return binary.div(this, other); }
  pow(exponent: TensorLike): Tensor { return binary.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return binary.maximum(this, other); }
  minimum(other: TensorLike): Tensor { return binary.minimum(this, other); }
  neg(): Tensor { return unary.neg(this); }
  exp(): Tensor { return unary.exp(this); }
  log(): Tensor { return unary.log(this); }
  sqrt(): Tensor { return unary.sqrt(this); }
  abs(): Tensor { return unary.abs(this); }
  tanh(): Tensor { return unary.tanh(this); }
  sigmoid(): Tensor { return unary.sigmoid(this); }
  relu(): Tensor { return unary.relu(this); }
  sin(): Tensor { return unary.sin(this); }
  cos(): Tensor { return unary.cos(this); }
  erf(): Tensor { return unary.erf(this); }
  sign(): Tensor { return unary.sign(this); }
  square(): Tensor { return composite.square(this); }
  clamp(min?: number | null, max?: number | null): Tensor { return unary.clamp(this, min, max); }
  eq(other: TensorLike): Tensor { return compare.eq(this, other); }
  ne(other: TensorLike): Tensor { return compare.ne(this, other); }
  lt(other: TensorLike): Tensor { return compare.lt(this, other); }
  le(other: TensorLike): Tensor { return compare.le(this, other); }
  gt(other: TensorLike): Tensor { return compare.gt(this, other); }
  ge(other: TensorLike): Tensor { return compare.ge(this, other); }
  /**
   * `cond.where(a, b)` is `where(cond, a, b)`. On a non-bool tensor with a bool first argument it
   * reads as PyTorch's `x.where(cond, y)`, i.e. `where(cond, x, y)`.
   */
  where(a: TensorLike, b: TensorLike): Tensor {
    if (this.dtype !== "bool" && a instanceof Tensor && a.dtype === "bool") return compare.where(a, this, b);
    return compare.where(this, a, b);
  }

  // ---- reductions ----

  sum(dim?: Dims, keepdim = false): Tensor { return reduce.sum(this, dim, keepdim); }
  mean(dim?: Dims, keepdim = false): Tensor { return composite.mean(this, dim, keepdim); }
  max(dim?: Dims, keepdim = false): Tensor { return reduce.max(this, dim, keepdim); }
  min(dim?: Dims, keepdim = false): Tensor { return reduce.min(this, dim, keepdim); }
  argmax(dim?: number, keepdim = false): Tensor { return reduce.argmax(this, dim, keepdim); }
  argmin(dim?: number, keepdim = false): Tensor { return reduce.argmin(this, dim, keepdim); }
  var(dim?: Dims, keepdim = false, correction = 1): Tensor { return composite.variance(this, dim, keepdim, correction); }
  std(dim?: Dims, keepdim = false, correction = 1): Tensor { return composite.std(this, dim, keepdim, correction); }

  // ---- linear algebra and indexing ----

  matmul(other: Tensor): Tensor { return linalg.matmul(this, other); }
  gather(dim: number, index: Tensor): Tensor { return indexing.gather(this, dim, index); }
  indexSelect(dim: number, index: Tensor): Tensor { return indexing.indexSelect(this, dim, index); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor { return indexing.scatterAdd(this, dim, index, src); }
  oneHot(numClasses = -1): Tensor { return indexing.oneHot(this, numClasses); }
  split(sizeOrSizes: number | readonly number[], dim = 0): Tensor[] { return indexing.split(this, sizeOrSizes, dim); }

  // ---- in place ----

  add_(other: TensorLike): this { return inplace.add_(this, other); }
  sub_(other: TensorLike): this { return inplace.sub_(this, other); }
  mul_(other: TensorLike): this { return inplace.mul_(this, other); }
  div_(other: TensorLike): this { return inplace.div_(this, other); }
  zero_(): this { return inplace.zero_(this); }
  fill_(value: number | boolean): this { return inplace.fill_(this, value); }
  copy_(src: TensorLike): this { return inplace.copy_(this, src); }
}

/** Whether an op on these operands should record a node (used by in-place ops). */
export function recordsGraph(...operands: TensorLike[]): boolean {
  return isGradEnabled() && operands.some((t) => t instanceof Tensor && t.requiresGrad);
}

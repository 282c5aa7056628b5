import { isTensor, sharedAcrossCopies } from "../copies";
import { type DType, isFloating } from "../dtype";
import { checkFunction, checkOptions } from "../args";
import { NablaError, describeValue } from "../errors";
import { isSingleValueLayout } from "../layout";
import { type Shape, formatShape } from "../shape";
import { Tensor } from "../tensor";
import { checkAnomaly, isAnomalyEnabled } from "./anomaly";
import { isGradEnabled, setGradEnabled } from "./grad-mode";

/** An op's math in plain notation, for teaching output (toDot, traceBackward). */
export interface OpFormula {
  forward: string;
  backward: string;
}

/** What every op context has, whatever fields its op sets: see `OpContext`. */
export interface OpContextBase {
  /** Keeps tensors for backward (inputs or outputs); in-place changes to them before backward throw. */
  save(...tensors: Tensor[]): void;
  /** What `save` kept, in order. */
  readonly saved: readonly Tensor[];
  /** For each tensor input, whether a gradient is wanted: backward may skip (return null for) the others. */
  readonly needsInputGrad: readonly boolean[];
}

/**
 * The fields of an op context whose op does not declare them: any name, any value.
 */
// biome-ignore lint/suspicious/noExplicitAny: an undeclared field reads back in backward without a cast, as before fields could be typed
export type UntypedFields = { [field: string]: any };

/**
 * What forward leaves for backward: saved tensors, which inputs need a gradient, and the plain
 * fields the op sets (`ctx.dim = dim`). `Fields` declares those fields, so that backward reads
 * them with their types: annotate forward's ctx as `OpContext<{ dim: number }>` and `defineOp`
 * gives backward's ctx the same type. Without it, any field of any type is allowed. After a
 * backward that does not retain the graph, the saved tensors and fields of an op that needed any
 * data (a saved tensor, a typed array) are dropped, so the graph keeps no buffers alive.
 */
export type OpContext<Fields extends object = UntypedFields> = OpContextBase & Fields;

/**
 * What `defineOp` takes: the op's name, its forward and its backward rule, and optionally its
 * formula for teaching output (`toDot`, `traceBackward`).
 */
export interface OpDefinition<Args extends unknown[] = unknown[], Fields extends object = UntypedFields> {
  /** The op's name, as `gradFn.name`, error messages and `registeredOps()` show it. */
  name: string;
  /** Computes the output with grad mode off; tensor arguments are the differentiable inputs. */
  forward(ctx: OpContext<Fields>, ...args: Args): Tensor;
  /** One gradient per tensor input (null where none flows), written with differentiable ops. */
  backward(ctx: OpContext<Fields>, gradOut: Tensor): ReadonlyArray<Tensor | null>;
  /** The op's math in plain notation, shown by `toDot` and `traceBackward`. */
  formula?: OpFormula;
  /**
   * @internal For an op whose backward returns fresh gradients (tensors nothing else holds) and can
   * add some of them into tensors it is given instead (a slice writes its part, a linear layer adds
   * its weight's product): backward, except that for each input i with a tensor `into[i]` (a
   * contiguous tensor of the input's shape and dtype that nothing outside the engine holds) the
   * gradient is added into it in place and null returned in its place. Without createGraph the
   * engine calls this instead of backward once an input has a gradient it holds alone, so N slices
   * of one tensor cost one zero tensor, not N, and a layer applied N times one weight gradient (as
   * PyTorch's engine adds into a gradient nothing else references).
   */
  accumulateInto?(ctx: OpContext<Fields>, gradOut: Tensor, into: ReadonlyArray<Tensor | null>): ReadonlyArray<Tensor | null>;
}

const NOTHING_SAVED: readonly never[] = [];

/**
 * A JS number operand an op saved, kept as its value: the tensor made for it (see
 * `Tensor.fromNumber`) is rebuilt when backward reads it. No one can write it in place, so it has
 * no version to check.
 */
class SavedNumber {
  constructor(
    readonly value: number,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  toTensor(): Tensor {
    return Tensor.fromNumber(this.value, this.dtype, this.shape);
  }
}

const sharedUnwrittenVersions: (readonly number[])[] = [];

/**
 * `count` zeros, one shared list per count: most saved tensors were never written in place, and
 * every node of a graph would otherwise keep its own copy.
 */
function unwrittenVersions(count: number): readonly number[] {
  sharedUnwrittenVersions[count] ??= Object.freeze(new Array<number>(count).fill(0));
  return sharedUnwrittenVersions[count];
}

// helpers of Context, made once rather than on every call
const isSavedNumber = (entry: Tensor | SavedNumber): boolean => entry instanceof SavedNumber;
const asTensor = (entry: Tensor | SavedNumber): Tensor => (entry instanceof SavedNumber ? entry.toTensor() : entry);
const versionOf = (t: Tensor): number => t.storage.version;
const isZero = (version: number): boolean => version === 0;
const keepable = (t: Tensor): Tensor | SavedNumber => {
  const value = t.storage.heldNumber;
  return value === null ? t : new SavedNumber(value, t.dtype, t.shape);
};

/** What a Context holds for itself; every other own property is a field its op set. */
const CONTEXT_SLOTS = new Set(["kept", "savedVersions", "needsInputGrad"]);

/**
 * Whether a field's value is data worth freeing (a tensor, a typed array or buffer, or an array
 * holding one) rather than plain metadata (dims, shapes, numbers) that backward can read again.
 */
function holdsData(value: unknown): boolean {
  if (value instanceof Tensor || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  return Array.isArray(value) && value.some(holdsData);
}

class Context implements OpContextBase {
  // biome-ignore lint/suspicious/noExplicitAny: as UntypedFields: the op's own fields
  [field: string]: any;
  /** What `save` kept, in order: tensors, and number operands as their value. */
  kept: ReadonlyArray<Tensor | SavedNumber> = NOTHING_SAVED;
  /** Storage versions at save time (unused for a number), checked before backward reads them. */
  savedVersions: readonly number[] = NOTHING_SAVED;

  constructor(readonly needsInputGrad: readonly boolean[]) {}

  save(...tensors: Tensor[]): void {
    // exact-size arrays, kept by every node of the graph (pushing onto an empty array would
    // reserve 17 slots); an all-zero version list (nothing saved was written in place) is shared,
    // and not built first (most ops save unwritten tensors)
    let unwritten = this.savedVersions.every(isZero);
    let numbers = false;
    for (const t of tensors) {
      if (t.storage.version !== 0) unwritten = false;
      if (t.storage.holdsNumber) numbers = true;
    }
    const count = this.savedVersions.length + tensors.length;
    this.savedVersions = unwritten ? unwrittenVersions(count) : [...this.savedVersions, ...tensors.map(versionOf)];
    const kept = numbers ? tensors.map(keepable) : tensors;
    this.kept = this.kept.length === 0 ? kept : [...this.kept, ...kept];
  }

  get saved(): readonly Tensor[] {
    const { kept } = this;
    return kept.some(isSavedNumber) ? kept.map(asTensor) : (kept as readonly Tensor[]);
  }

  /** Throws when a saved tensor was modified in place since it was saved (`op` names the saver). */
  checkVersions(op: string): void {
    const { kept, savedVersions } = this;
    for (let i = 0; i < kept.length; i++) {
      const entry = kept[i]!;
      if (entry instanceof SavedNumber) continue;
      const now = entry.storage.version;
      if (now !== savedVersions[i]) {
        throw new NablaError(
          "backward",
          `one of the tensors saved by ${op} (shape ${formatShape(entry.shape)}) was modified by an in-place operation: ` +
            `it is at version ${now}, but backward needs version ${savedVersions[i]}`,
        );
      }
    }
  }

  /** The names of the fields the op set on this context. */
  fieldNames(): string[] {
    return Object.keys(this).filter((key) => !CONTEXT_SLOTS.has(key));
  }

  /**
   * After a backward that did not retain the graph: when the op kept data (saved tensors, or a
   * field holding a tensor or typed array), drops everything it kept, saved tensors and every
   * field, and returns true (its backward cannot run again). An op that kept only plain metadata
   * (sum's shapes) keeps it and can run again, as PyTorch's nodes keep their sizes.
   */
  release(): boolean {
    // run for every node of every backward: walks the fields in place rather than listing them
    if (this.kept.length === 0 && !this.fieldsHoldData()) return false;
    this.kept = NOTHING_SAVED;
    this.savedVersions = NOTHING_SAVED;
    for (const name in this) if (!CONTEXT_SLOTS.has(name)) delete this[name];
    return true;
  }

  /** Whether a field of the op's own (not the context's slots) holds data (see holdsData). */
  private fieldsHoldData(): boolean {
    for (const name in this) if (!CONTEXT_SLOTS.has(name) && holdsData(this[name])) return true;
    return false;
  }
}

/** A gradient hook (see `Tensor.registerHook`): may return a replacement gradient. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing; `undefined` would refuse a `(grad) => void` function
export type GradHook = (grad: Tensor) => Tensor | void;

/**
 * An input that needs no gradient, as the graph remembers it: its shape and dtype, and whether it
 * is a single value (a number, or one element broadcast by stride 0) rather than data.
 */
export interface OperandInfo {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly singleValue: boolean;
}

/**
 * Where the gradient of one tensor input goes, fixed when the op is recorded: the node that
 * produced the input, or the leaf whose `.grad` receives it. An in-place write that later gives
 * the input tensor a new history does not move the edge (PyTorch's edges behave the same), and
 * the edge keeps no intermediate tensor alive.
 */
export interface InputEdge {
  /** The op that produced the input; null when the input is a leaf. */
  readonly node: Node | null;
  /** The input itself when it is a leaf that requires grad. */
  readonly leaf: Tensor | null;
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * A recorded application of an op: the tape entry behind `tensor.gradFn` (PyTorch's `grad_fn`). It
 * holds the op, one edge per tensor input (null for inputs that need no gradient), the ctx, and the
 * hooks of its output; nothing else.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2], { requiresGrad: true });
 * const y = x.mul(2);
 * y.gradFn!.name;                 // → "mul"
 * y.gradFn!.inputs[0]!.leaf === x; // → true
 * y.gradFn!.inputs[1];            // → null
 * ```
 */
export class Node {
  /** @internal Whether release() freed what this node's backward needs (saved tensors, data fields). */
  released = false;
  /** @internal Hooks registered on the output while this node was its gradFn, in registration order. */
  hooks: GradHook[] | null = null;
  /** @internal The output, when it retains its grad (`retainGrad`). */
  retainer: Tensor | null = null;
  /** @internal Creation stack, recorded only in anomaly mode. */
  stack: string | undefined;
  /** @internal The backward sweep holding this node (0: none), and its state there (see engine.ts). */
  sweepId = 0;
  /** @internal Uses of the output whose backward has not run yet in that sweep. */
  dependencies = 0;
  /** @internal The gradient of the output received so far in that sweep. */
  pendingGrad: Tensor | null = null;

  constructor(
    /** The op's definition, as given to `defineOp`. */
    readonly definition: OpDefinition,
    /** @internal The op's context: what forward saved for backward. */
    readonly ctx: Context,
    /**
     * One edge per tensor input, in argument order: where its gradient goes (null for an input that
     * needs none).
     */
    readonly inputs: ReadonlyArray<InputEdge | null>,
    /** For teaching output: what each input without grad looked like (null when all need grad). */
    readonly operands: ReadonlyArray<OperandInfo | null> | null = null,
  ) {}

  /** The op's name (`"mul"`). */
  get name(): string {
    return this.definition.name;
  }

  /** The op's math in plain notation, when its definition gives one. */
  get formula(): OpFormula | undefined {
    return this.definition.formula;
  }

  /** @internal Throws when backward would read a saved tensor that was modified in place since. */
  checkSavedVersions(): void {
    this.ctx.checkVersions(this.name);
  }

  /**
   * @internal Frees what backward needed, so the graph holds no buffers once it has run. A node that
   * saved nothing (add, sum) can run again, as in PyTorch; one that saved tensors cannot.
   */
  release(): void {
    if (this.ctx.release()) this.released = true;
  }
}

/**
 * The ops made so far, by name. Fetched on each use, not held in a module constant: the engine
 * imports ops that call defineOp as their modules load, which can be before this module's body has run.
 */
function registry(): Map<string, OpDefinition> {
  return sharedAcrossCopies("opRegistry", () => new Map<string, OpDefinition>());
}

/**
 * Every op made with `defineOp`, by name (built-ins and custom ones), with its formula.
 *
 * @example
 * ```ts
 * registeredOps().has("matmul");        // → true
 * registeredOps().get("exp")!.formula;  // → { forward: "y = eˣ", backward: "x̄ = ȳ ⊙ y" }
 * ```
 */
export function registeredOps(): ReadonlyMap<string, OpDefinition> {
  return registry();
}

/**
 * Makes a differentiable op from a forward and its backward rule (PyTorch's
 * `torch.autograd.Function`); this is how every built-in op is written. Tensor arguments are the
 * differentiable inputs; other arguments pass through to forward. Forward runs with grad mode off;
 * backward returns one gradient per tensor input (or null), written with tensor ops so that it can
 * be differentiated again. A graph node is recorded only when grad mode is on and some input
 * requires grad.
 *
 * @example
 * ```ts
 * const cube = defineOp({
 *   name: "cube",
 *   forward(ctx, x: Tensor) {
 *     ctx.save(x);
 *     return x.mul(x).mul(x);
 *   },
 *   backward(ctx, gradOut) {
 *     const [x] = ctx.saved;
 *     return [gradOut.mul(x!.square()).mul(3)];
 *   },
 *   formula: { forward: "y = x³", backward: "x̄ = 3x² ⊙ ȳ" },
 * });
 * const x = tensor([1, 2], { requiresGrad: true });
 * cube(x); // → [1, 8]
 * cube(x).sum().backward();
 * x.grad;  // → [3, 12]
 * ```
 */
// bundlers may drop the ops a program never uses: registering is defineOp's only side effect
/* @__NO_SIDE_EFFECTS__ */
export function defineOp<Args extends unknown[], Fields extends object = UntypedFields>(
  definition: OpDefinition<Args, Fields>,
): (...args: Args) => Tensor {
  // unlike an options object, the definition cannot be left out
  if (definition === undefined) throw new NablaError("defineOp", "expected a definition { name, forward, backward }, got undefined");
  checkOptions("defineOp", definition, "definition");
  if (typeof definition.name !== "string" || definition.name === "") {
    throw new NablaError("defineOp", `name must be a non-empty string, got ${describeValue(definition.name)}`);
  }
  checkFunction("defineOp", `${definition.name}'s forward`, definition.forward);
  checkFunction("defineOp", `${definition.name}'s backward`, definition.backward);
  const untyped = definition as unknown as OpDefinition;
  registry().set(definition.name, untyped);
  return (...args: Args) => applyOp(untyped, args);
}

function applyOp(definition: OpDefinition, args: unknown[]): Tensor {
  const tensorInputs = tensorsAmong(definition.name, args);
  let record = false;
  if (isGradEnabled()) {
    for (const t of tensorInputs) {
      t.syncHistory(definition.name);
      if (t.requiresGrad) record = true;
    }
  }
  const ctx = new Context(record ? needsInputGradOf(tensorInputs) : NO_INPUT_GRAD);
  const previous = setGradEnabled(false);
  let output: Tensor;
  try {
    output = definition.forward(ctx, ...args);
  } finally {
    setGradEnabled(previous);
  }
  // a custom op's forward is user code: anything but a tensor would fail later, far from here
  if (!isTensor(output, definition.name))
    throw new NablaError(definition.name, `forward returned ${describeValue(output)}; it must return a Tensor`);
  // an op may hand back an input (a no-op reshape); the output needs its own identity for gradFn
  if (tensorInputs.includes(output)) output = output.withLayout(output);
  checkAnomaly(definition.name, output, "forward");
  if (record && isFloating(output.dtype)) {
    const node = new Node(definition, ctx, tensorInputs.map(edgeTo), operandsOf(tensorInputs));
    if (isAnomalyEnabled()) node.stack = new Error().stack?.split("\n").slice(3).join("\n");
    output.attachGradFn(node);
  }
  return output;
}

const NO_INPUT_GRAD: readonly boolean[] = [];

/**
 * The tensor arguments, in order, in an array of their exact number (a growing one reserves 17
 * slots); a tensor of another version of the package is refused naming `op`.
 */
function tensorsAmong(op: string, args: readonly unknown[]): Tensor[] {
  let count = 0;
  for (const arg of args) if (isTensor(arg, op)) count++;
  const tensors = new Array<Tensor>(count);
  let i = 0;
  for (const arg of args) if (isTensor(arg, op)) tensors[i++] = arg;
  return tensors;
}

/** Shared `needsInputGrad` lists, indexed by their length and flags (see needsInputGradOf). */
const needsInputGradLists: (readonly boolean[])[] = [];

/**
 * Which inputs require grad, as a list shared by every node with the same pattern (a node's own
 * list would be kept by the whole graph). Indexed by a 1 followed by one bit per input, so lists of
 * different lengths never collide; ops with more than 7 tensor inputs (cat, stack) get their own
 * list, as long as their list of input edges.
 */
function needsInputGradOf(inputs: readonly Tensor[]): readonly boolean[] {
  if (inputs.length > 7) return inputs.map((t) => t.requiresGrad);
  let key = 1;
  for (const t of inputs) key = key * 2 + (t.requiresGrad ? 1 : 0);
  let flags = needsInputGradLists[key];
  if (flags === undefined) {
    flags = Object.freeze(inputs.map((t) => t.requiresGrad));
    needsInputGradLists[key] = flags;
  }
  return flags;
}

function operandsOf(inputs: readonly Tensor[]): ReadonlyArray<OperandInfo | null> | null {
  if (inputs.every((t) => t.requiresGrad)) return null;
  return inputs.map((t) => (t.requiresGrad ? null : { shape: t.shape, dtype: t.dtype, singleValue: isSingleValueLayout(t) }));
}

function edgeTo(input: Tensor): InputEdge | null {
  if (!input.requiresGrad) return null;
  const node = input.gradFn;
  return { node, leaf: node ? null : input, shape: input.shape, dtype: input.dtype };
}

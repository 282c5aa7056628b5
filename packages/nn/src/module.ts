import { copy_, formatShape, isTensor, NablaError, noGrad, type Tensor, to } from "@nabla/tensor/functional";
import { checkBoolean, checkOptions, describeValue } from "@nabla/tensor/internal";

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default). With `false` they are skipped and reported. */
  strict?: boolean;
}

/** What `Module.loadStateDict` returns, as PyTorch's `_IncompatibleKeys` (both empty under `strict`). */
export interface LoadStateDictResult {
  /** The model's parameter and persistent buffer names the state dict did not hold (left unchanged). */
  missingKeys: string[];
  /** The state dict's keys that name no parameter or persistent buffer of the model (ignored). */
  unexpectedKeys: string[];
}

/** Options of `Module.registerBuffer`. */
export interface RegisterBufferOptions {
  /** The buffer is part of `stateDict()` (default true); a non-persistent one is not saved or loaded. */
  persistent?: boolean;
}

/**
 * The base of every layer and model, as PyTorch's `nn.Module`.
 *
 * Registration, by assignment as in PyTorch:
 * - a **parameter** is declared with `registerParameter(name, tensor)`, which stores the tensor in the
 *   field `name`, marks it `requiresGrad` and returns it (`this.weight = this.registerParameter("weight", w)`
 *   reads naturally and keeps the field typed). The field is read afresh each time, so assigning another
 *   tensor (or `null`) to it later replaces the parameter.
 * - a **buffer** (state that is not learned, such as running statistics) is declared with
 *   `registerBuffer(name, tensor)`, stored the same way; persistent buffers are in `stateDict()`.
 * - a **child** is any field holding a `Module`, in the order the fields were first assigned (JavaScript's
 *   property order). A plain array or object of modules registers nothing, so a field holding one makes
 *   every traversal (`parameters()`, `stateDict()`, `train()`, …) throw a NablaError pointing at
 *   `ModuleList` / `ModuleDict`, which register what they hold.
 *
 * Calling: `forward` is the entry point; `model.forward(x)` is PyTorch's `model(x)`.
 *
 * @example
 * ```ts
 * class Mlp extends Module {
 *   hidden = new Linear(4, 8);
 *   out = new Linear(8, 3);
 *   forward(x: Tensor): Tensor {
 *     return this.out.forward(this.hidden.forward(x).relu());
 *   }
 * }
 * const model = new Mlp();
 * model.namedParameters().map(([name]) => name); // → ["hidden.weight", "hidden.bias", "out.weight", "out.bias"]
 * model.forward(randn([2, 4])).shape;             // → [2, 3]
 * ```
 */
export abstract class Module<Output = Tensor> {
  /** True after `train()` (the default), false after `eval()`; layers such as Dropout read it. */
  training = true;

  // Names only: the tensors live in the fields of the same names.
  private readonly parameterNames: string[] = [];
  private readonly bufferNames: string[] = [];
  private readonly nonPersistentBuffers = new Set<string>();

  /**
   * The computation, written by every subclass in tensor ops (autograd records it): PyTorch's
   * `model(x)` is `model.forward(x)`, since a class instance cannot be called. Most layers take
   * tensors and return one; a layer may also take an options object (`TransformerEncoderLayer`'s
   * masks) and return something else, declared as `Output` (`MultiheadAttention` gives
   * `[output, weights]`).
   */
  // biome-ignore lint/suspicious/noExplicitAny: each layer declares its own inputs: tensors, and for some an options object
  abstract forward(...inputs: any[]): Output;

  /**
   * Declares the parameter `name`: stores `tensor` in the field of that name, sets its `requiresGrad`
   * and returns it. `null` declares an absent optional parameter (e.g. a Linear without bias).
   * Throws a NablaError for a name that is empty, holds "." or is already registered, and for a
   * tensor that is not a float32/float64 leaf.
   *
   * @example
   * ```ts
   * class Scale extends Module {
   *   scale: Tensor;
   *   constructor(features: number) {
   *     super();
   *     this.scale = this.registerParameter("scale", ones([features]));
   *   }
   *   forward(x: Tensor): Tensor {
   *     return x.mul(this.scale);
   *   }
   * }
   * const layer = new Scale(3);
   * layer.scale.requiresGrad;                      // → true
   * layer.namedParameters().map(([name]) => name); // → ["scale"]
   * layer.forward(tensor([1, 2, 3]));              // → [1, 2, 3]
   * ```
   */
  protected registerParameter<T extends Tensor | null>(name: string, tensor: T): T {
    const op = "registerParameter";
    this.checkNewName(op, "parameter", name);
    if (tensor !== null) {
      if (!isTensor(tensor, op)) throw new NablaError(op, `parameter "${name}" must be a Tensor or null`);
      if (tensor.dtype !== "float32" && tensor.dtype !== "float64") {
        throw new NablaError(op, `parameter "${name}" has dtype ${tensor.dtype} (expected float32 or float64)`);
      }
      if (!tensor.isLeaf) throw new NablaError(op, `parameter "${name}" must be a leaf tensor (detach it first)`);
      tensor.requiresGrad = true;
    }
    this.parameterNames.push(name);
    (this as unknown as Record<string, unknown>)[name] = tensor;
    return tensor;
  }

  /**
   * Declares the buffer `name`, state that is not learned (running statistics, a fixed mask): stores
   * `tensor` (any dtype, left as it is) in the field of that name and returns it, as PyTorch's
   * `register_buffer`. `null` declares an absent buffer. Persistent buffers (the default) are in
   * `stateDict()` after the module's parameters and are loaded by `loadStateDict`; with
   * `{ persistent: false }` they are neither. Throws a NablaError for a name that is empty, holds "."
   * or is already a parameter or buffer, and for a value that is not a Tensor or null.
   *
   * @example
   * ```ts
   * class Normalize extends Module {
   *   mean: Tensor;
   *   constructor(features: number) {
   *     super();
   *     this.mean = this.registerBuffer("mean", zeros([features]));
   *     this.registerBuffer("scratch", zeros([features]), { persistent: false });
   *   }
   *   forward(x: Tensor): Tensor {
   *     return x.sub(this.mean);
   *   }
   * }
   * const layer = new Normalize(2);
   * layer.namedBuffers().map(([name]) => name); // → ["mean", "scratch"]
   * Object.keys(layer.stateDict());             // → ["mean"]
   * layer.parameters().length;                  // → 0
   * ```
   */
  protected registerBuffer<T extends Tensor | null>(name: string, tensor: T, options: RegisterBufferOptions = {}): T {
    const op = "registerBuffer";
    this.checkNewName(op, "buffer", name);
    const persistent = checkOptions(op, options).persistent ?? true;
    checkBoolean(op, "persistent", persistent);
    if (tensor !== null && !isTensor(tensor, op)) {
      throw new NablaError(op, `buffer "${name}" must be a Tensor or null, got ${describeValue(tensor)}`);
    }
    this.bufferNames.push(name);
    if (!persistent) this.nonPersistentBuffers.add(name);
    (this as unknown as Record<string, unknown>)[name] = tensor;
    return tensor;
  }

  private checkNewName(op: string, kind: string, name: string): void {
    if (typeof name !== "string" || name === "" || name.includes(".")) {
      throw new NablaError(op, `invalid ${kind} name ${describeValue(name)} (expected a non-empty name without ".")`);
    }
    const existing = this.parameterNames.includes(name) ? "parameter" : this.bufferNames.includes(name) ? "buffer" : null;
    if (existing !== null) {
      throw new NablaError(op, `${kind} "${name}" is already registered${existing === kind ? "" : ` as a ${existing}`}`);
    }
  }

  /** This module's own parameters (not its children's), in registration order; absent ones are skipped. */
  private ownParameters(): [string, Tensor][] {
    return this.ownTensors("parameter", this.parameterNames);
  }

  /** This module's own buffers, in registration order; absent ones are skipped. */
  private ownBuffers(persistentOnly = false): [string, Tensor][] {
    const names = persistentOnly ? this.bufferNames.filter((name) => !this.nonPersistentBuffers.has(name)) : this.bufferNames;
    return this.ownTensors("buffer", names);
  }

  private ownTensors(kind: string, names: readonly string[]): [string, Tensor][] {
    const fields = this as unknown as Record<string, unknown>;
    const own: [string, Tensor][] = [];
    for (const name of names) {
      const value = fields[name];
      if (value === null || value === undefined) continue;
      if (!isTensor(value, `${kind}s`)) throw new NablaError(`${kind}s`, `${kind} "${name}" was replaced by a non-Tensor value`);
      own.push([name, value]);
    }
    return own;
  }

  /**
   * Every direct sub-module with its name, in assignment order, a module held in two fields under both
   * names (the state dict lists both). Containers override this.
   */
  protected childEntries(): [string, Module][] {
    const entries = Object.entries(this);
    for (const [name, value] of entries) refuseUnregisteredModules(this, name, value);
    return entries.filter((entry): entry is [string, Module] => entry[1] instanceof Module);
  }

  /**
   * Direct sub-modules with their names, in assignment order, each module once.
   *
   * @example
   * ```ts
   * new Sequential(new Linear(2, 2), new ReLU()).namedChildren().map(([name]) => name); // → ["0", "1"]
   * ```
   */
  namedChildren(): [string, Module][] {
    const seen = new Set<Module>();
    return this.childEntries().filter(([, child]) => {
      if (seen.has(child)) return false;
      seen.add(child);
      return true;
    });
  }

  /** The direct sub-modules, as `namedChildren()` without the names. */
  children(): Module[] {
    return this.namedChildren().map(([, child]) => child);
  }

  /**
   * This module and every descendant once each (depth first), with dotted names; the root is "".
   *
   * @example
   * ```ts
   * const model = new Sequential(new Linear(2, 2), new Sequential(new ReLU(), new Linear(2, 1)));
   * model.namedModules().map(([name]) => name); // → ["", "0", "1", "1.0", "1.1"]
   * ```
   */
  namedModules(): [string, Module][] {
    const seen = new Set<Module>();
    const result: [string, Module][] = [];
    const visit = (module: Module, prefix: string) => {
      if (seen.has(module)) return;
      seen.add(module);
      result.push([prefix, module]);
      for (const [name, child] of module.namedChildren()) visit(child, prefix === "" ? name : `${prefix}.${name}`);
    };
    visit(this as Module, ""); // the traversals see every module as a Module, whatever its forward returns
    return result;
  }

  /**
   * Every parameter with its dotted name (`0.weight`, `encoder.fc.bias`): own parameters first, then each
   * child's, recursively. A tensor shared by several modules appears once, under its first name.
   *
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.namedParameters().map(([name, p]) => [name, p.shape]); // → [["0.weight", [8, 4]], ["0.bias", [8]], ["2.weight", [3, 8]], ["2.bias", [3]]]
   * ```
   */
  namedParameters(): [string, Tensor][] {
    return this.namedTensors((module) => module.ownParameters());
  }

  private namedTensors(own: (module: Module) => [string, Tensor][]): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const result: [string, Tensor][] = [];
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, tensor] of own(module)) {
        if (seen.has(tensor)) continue;
        seen.add(tensor);
        result.push([prefix === "" ? name : `${prefix}.${name}`, tensor]);
      }
    }
    return result;
  }

  /**
   * The parameters in the order of `namedParameters()`, each once: what an optimizer takes.
   *
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.parameters().length; // → 4
   * const optimizer = new optim.SGD(model.parameters(), { lr: 0.1 });
   * optimizer.paramGroups[0]!.params.length; // → 4
   * ```
   */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /**
   * Every buffer with its dotted name, persistent or not: own buffers first, then each child's,
   * recursively, as PyTorch's `named_buffers`. A tensor shared by several modules appears once.
   *
   * @example
   * ```ts
   * class Counter extends Module {
   *   steps = this.registerBuffer("steps", zeros([], { dtype: "int32" }));
   *   forward(x: Tensor): Tensor {
   *     return x;
   *   }
   * }
   * const model = new Sequential(new Linear(2, 2), new Counter());
   * model.namedBuffers().map(([name, b]) => [name, b.dtype]); // → [["1.steps", "int32"]]
   * ```
   */
  namedBuffers(): [string, Tensor][] {
    return this.namedTensors((module) => module.ownBuffers());
  }

  /** The buffers in the order of `namedBuffers()`, each once. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, buffer]) => buffer);
  }

  /**
   * Calls `fn` on every sub-module, children before their parent, and last on this module; returns
   * this module, as PyTorch's `apply` (used to initialise weights).
   *
   * @example
   * ```ts
   * const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
   * model.apply((module) => {
   *   if (module instanceof Linear) init.zeros_(module.weight);
   * });
   * (model.at(2) as Linear).weight; // → [[0, 0, 0]]
   * const order: string[] = [];
   * model.apply((module) => order.push(module.constructor.name));
   * order; // → ["Linear", "ReLU", "Linear", "Sequential"]
   * ```
   */
  apply(fn: (module: Module) => unknown): this {
    if (typeof fn !== "function") throw new NablaError("apply", `fn must be a function, got ${describeValue(fn)}`);
    for (const child of this.children()) child.apply(fn);
    fn(this as Module);
    return this;
  }

  /**
   * The settings `toString()` prints inside this module's parentheses, as PyTorch's `extra_repr`
   * (`in_features=4, out_features=2, bias=True` for a Linear); empty by default. Layers with
   * settings override it.
   *
   * @example
   * ```ts
   * new Linear(4, 2).extraRepr(); // → "in_features=4, out_features=2, bias=True"
   * new ReLU().extraRepr();       // → ""
   * ```
   */
  extraRepr(): string {
    return "";
  }

  /**
   * The module tree as PyTorch prints it: the class name, its `extraRepr()`, and each child as
   * `(name): …` on its own indented line.
   *
   * @example
   * ```ts
   * const lines = new Sequential(new Linear(4, 16), new ReLU()).toString().split("\n");
   * lines; // → ["Sequential(", "  (0): Linear(in_features=4, out_features=16, bias=True)", "  (1): ReLU()", ")"]
   * ```
   */
  toString(): string {
    const extraLines = this.extraRepr() === "" ? [] : this.extraRepr().split("\n");
    const childLines = this.childEntries().map(([name, child]) => `(${name}): ${child.toString().replaceAll("\n", "\n  ")}`);
    const lines = [...extraLines, ...childLines];
    let body = "";
    if (extraLines.length === 1 && childLines.length === 0) body = extraLines[0]!;
    else if (lines.length > 0) body = `\n  ${lines.join("\n  ")}\n`;
    return `${this.constructor.name}(${body})`;
  }

  /** What Node's `console.log` and `util.inspect` show: `toString()`, as Python's `print(model)`. */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  /**
   * Sets `training` on this module and every descendant (`train(false)` is `eval()`); returns this
   * module.
   *
   * @example
   * ```ts
   * const model = new Sequential(new Linear(2, 2), new Dropout(0.5));
   * model.eval().at(1).training;  // → false
   * model.train().at(1).training; // → true
   * ```
   */
  train(mode = true): this {
    checkBoolean("train", "mode", mode);
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  /** `train(false)` on the whole tree (Dropout stops dropping); returns this module. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Drops every parameter's gradient (`grad = null`, PyTorch's `set_to_none=True`). `backward`
   * adds into `grad`, so call this (or the optimizer's `zeroGrad`) before each backward pass.
   *
   * @example
   * ```ts
   * const layer = new Linear(2, 1);
   * layer.forward(ones([1, 2])).sum().backward();
   * layer.weight.grad;  // → [[1, 1]]
   * layer.zeroGrad();
   * layer.weight.grad;  // → null
   * ```
   */
  zeroGrad(): void {
    for (const parameter of this.parameters()) parameter.grad = null;
  }

  // Every name with its parameter or persistent buffer, shared tensors under each of their names (as
  // PyTorch's state_dict): each module's parameters, then its buffers, then its children's.
  private stateEntries(prefix = ""): [string, Tensor][] {
    const entries: [string, Tensor][] = [...this.ownParameters(), ...this.ownBuffers(true)].map(([name, tensor]) => [
      prefix + name,
      tensor,
    ]);
    for (const [name, child] of this.childEntries()) entries.push(...child.stateEntries(`${prefix}${name}.`));
    return entries;
  }

  /**
   * The parameters and persistent buffers by dotted name (each module's parameters, then its buffers,
   * then its children's, as PyTorch), as detached tensors sharing storage with them (so reading them is
   * free; clone them to keep a snapshot). A tensor shared by several modules is listed under each of
   * its names, as in PyTorch.
   *
   * @example
   * ```ts
   * const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
   * const state = model.stateDict();
   * Object.keys(state);              // → ["0.weight", "0.bias", "2.weight", "2.bias"]
   * state["2.bias"]!.requiresGrad;   // → false
   * ```
   */
  stateDict(): Record<string, Tensor> {
    const state: Record<string, Tensor> = {};
    for (const [name, parameter] of this.stateEntries()) state[name] = parameter.detach();
    return state;
  }

  /**
   * Copies `stateDict`'s tensors into the parameters and persistent buffers in place (under `noGrad`, so
   * optimizers holding the parameters keep working). Everything is checked before anything is copied: a shape mismatch is always
   * an error; missing and unexpected keys are errors unless `strict` is false. Values are cast to each
   * parameter's dtype. Returns the keys it skipped (both lists empty when `strict`).
   *
   * @example
   * ```ts
   * const source = new Linear(2, 1);
   * const copy = new Linear(2, 1);
   * copy.loadStateDict(source.stateDict());          // → { missingKeys: [], unexpectedKeys: [] }
   * copy.weight.sub(source.weight).abs().max();      // → 0
   * copy.loadStateDict({ bias: zeros([1]) });        // throws loadStateDict: missing keys ["weight"]
   * copy.loadStateDict({ bias: zeros([1]) }, { strict: false }); // → { missingKeys: ["weight"], unexpectedKeys: [] }
   * copy.loadStateDict({ weight: zeros([1, 3]), bias: zeros([1]) }); // throws loadStateDict: size mismatch for "weight": the model has [1, 2], the state dict [1, 3]
   * ```
   */
  loadStateDict(stateDict: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const op = "loadStateDict";
    if (stateDict === null || typeof stateDict !== "object" || isTensor(stateDict, op)) {
      throw new NablaError(op, `stateDict must be an object mapping names to tensors, got ${describeValue(stateDict)}`);
    }
    const strict = checkOptions(op, options).strict ?? true;
    checkBoolean(op, "strict", strict);
    const expected = new Map(this.stateEntries());
    const missingKeys = [...expected.keys()].filter((name) => !Object.hasOwn(stateDict, name));
    const unexpectedKeys = Object.keys(stateDict).filter((name) => !expected.has(name));
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing keys ${quoteList(missingKeys)}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys ${quoteList(unexpectedKeys)}`);
    for (const [name, parameter] of expected) {
      if (!Object.hasOwn(stateDict, name)) continue;
      const value = stateDict[name];
      if (!isTensor(value, op)) {
        problems.push(`"${name}" is not a Tensor`);
      } else if (!sameShape(value.shape, parameter.shape)) {
        problems.push(
          `size mismatch for "${name}": the model has ${formatShape(parameter.shape)}, the state dict ${formatShape(value.shape)}`,
        );
      }
    }
    if (problems.length > 0) throw new NablaError(op, problems.join("; "));

    noGrad(() => {
      for (const [name, parameter] of expected) {
        if (!Object.hasOwn(stateDict, name)) continue;
        const value = stateDict[name]!;
        copy_(parameter, value.dtype === parameter.dtype ? value : to(value, parameter.dtype));
      }
    });
    return { missingKeys, unexpectedKeys };
  }
}

/**
 * Throws when the field `name` holds a plain array or object with modules in it: those would not be
 * registered, so their parameters would silently be missing from `parameters()` and `stateDict()`.
 */
function refuseUnregisteredModules(module: Module<unknown>, name: string, value: unknown): void {
  if (value === null || typeof value !== "object" || value instanceof Module) return;
  const owner = module.constructor.name;
  if (Array.isArray(value)) {
    if (value.some((item) => item instanceof Module)) {
      throw new NablaError(
        owner,
        `field "${name}" holds an array of modules, which registers none of them: use a ModuleList (this.${name} = new ModuleList([...]))`,
      );
    }
    return;
  }
  const prototype = Object.getPrototypeOf(value);
  if ((prototype === Object.prototype || prototype === null) && Object.values(value).some((item) => item instanceof Module)) {
    throw new NablaError(
      owner,
      `field "${name}" holds an object of modules, which registers none of them: use a ModuleDict (this.${name} = new ModuleDict({...}))`,
    );
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function quoteList(names: string[]): string {
  return `[${names.map((name) => `"${name}"`).join(", ")}]`;
}

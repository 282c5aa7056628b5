import { NablaError, type Tensor } from "@nabla/tensor/functional";
import { describeValue } from "@nabla/tensor/internal";
import { Module } from "../module";

function checkModule<T extends Module>(op: string, what: string, module: T): T {
  if (!(module instanceof Module)) throw new NablaError(op, `${what} must be a Module, got ${describeValue(module)}`);
  return module;
}

function checkIterable(op: string, what: string, value: unknown): Iterable<unknown> {
  if (value === null || typeof value !== "object" || typeof (value as Iterable<unknown>)[Symbol.iterator] !== "function") {
    throw new NablaError(op, `${what} must be an array (or iterable) of modules, got ${describeValue(value)}`);
  }
  return value as Iterable<unknown>;
}

/**
 * A list of modules that registers them as its children, named "0", "1", …, as PyTorch's
 * `nn.ModuleList`: the parameters of a model holding one are named `layers.0.weight`, … . It has no
 * `forward` of its own (calling it throws): the model decides how to run the modules. Anything
 * that is not a Module throws a NablaError.
 *
 * @example
 * ```ts
 * class Stack extends Module {
 *   layers = new ModuleList([new Linear(4, 4), new Linear(4, 4)]);
 *   forward(x: Tensor): Tensor {
 *     for (const layer of this.layers) x = layer.forward(x).relu();
 *     return x;
 *   }
 * }
 * const model = new Stack();
 * model.layers.append(new Linear(4, 2));
 * model.layers.length;                      // → 3
 * Object.keys(model.stateDict()).slice(-2); // → ["layers.2.weight", "layers.2.bias"]
 * model.forward(randn([5, 4])).shape;       // → [5, 2]
 * ```
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  readonly #modules: T[] = [];

  /** `modules` (an array or any iterable), in order; none by default. */
  constructor(modules: Iterable<T> = []) {
    super();
    this.extend(modules);
  }

  /** The number of modules. */
  get length(): number {
    return this.#modules.length;
  }

  /**
   * The `index`-th module (negative counts from the end), as PyTorch's `list[index]`; out of range throws.
   *
   * @example
   * ```ts
   * const list = new ModuleList([new Linear(2, 3), new ReLU()]);
   * list.at(-1) instanceof ReLU; // → true
   * list.at(2);                  // throws ModuleList.at: index 2 is out of range for 2 modules
   * ```
   */
  at(index: number): T {
    const module = Number.isInteger(index) ? this.#modules.at(index) : undefined;
    if (module === undefined) {
      throw new NablaError("ModuleList.at", `index ${describeValue(index)} is out of range for ${this.#modules.length} modules`);
    }
    return module;
  }

  /**
   * Adds `module` at the end; returns this list.
   *
   * @example
   * ```ts
   * new ModuleList().append(new ReLU()).append(new Tanh()).length; // → 2
   * ```
   */
  append(module: T): this {
    this.#modules.push(checkModule("ModuleList.append", "module", module));
    return this;
  }

  /**
   * Adds every module of `modules` at the end, in order; returns this list. Nothing is added when
   * one of them is not a Module.
   *
   * @example
   * ```ts
   * new ModuleList([new ReLU()]).extend([new Tanh(), new Sigmoid()]).length; // → 3
   * ```
   */
  extend(modules: Iterable<T>): this {
    const items = [...checkIterable("ModuleList", "modules", modules)];
    for (const [i, module] of items.entries()) checkModule("ModuleList", `module ${i}`, module as T);
    this.#modules.push(...(items as T[]));
    return this;
  }

  /**
   * Inserts `module` before position `index` (negative counts from the end, clamped to the list as
   * Python's `list.insert`).
   *
   * @example
   * ```ts
   * const list = new ModuleList([new ReLU(), new Tanh()]);
   * list.insert(1, new Sigmoid());
   * [...list].map((m) => m.toString()); // → ["ReLU()", "Sigmoid()", "Tanh()"]
   * ```
   */
  insert(index: number, module: T): void {
    if (!Number.isInteger(index)) throw new NablaError("ModuleList.insert", `index must be an integer, got ${describeValue(index)}`);
    checkModule("ModuleList.insert", "module", module);
    const length = this.#modules.length;
    const position = index < 0 ? Math.max(0, length + index) : Math.min(index, length);
    this.#modules.splice(position, 0, module);
  }

  /** The modules in order. */
  [Symbol.iterator](): Iterator<T> {
    return this.#modules[Symbol.iterator]();
  }

  /** The modules under the names "0", "1", …: what makes them children. */
  protected override childEntries(): [string, Module][] {
    return this.#modules.map((module, i) => [String(i), module]);
  }

  /** Throws: a ModuleList only holds modules; run them from the model's own `forward`. */
  forward(..._inputs: Tensor[]): Tensor {
    throw new NablaError("ModuleList.forward", "a ModuleList has no forward: call its modules' forward from the model's");
  }
}

/**
 * Modules by name, registered as children under their keys, as PyTorch's `nn.ModuleDict`: the
 * parameters of a model holding one are named `heads.cls.weight`, … . Keys keep their insertion
 * order (setting an existing key replaces its module in place); a key must be a non-empty string
 * without ".". Iterating gives `[key, module]` pairs, as a `Map`. It has no `forward` of its own.
 *
 * @example
 * ```ts
 * class TwoHeads extends Module {
 *   heads = new ModuleDict({ cls: new Linear(4, 3), reg: new Linear(4, 1) });
 *   forward(x: Tensor): Tensor {
 *     return this.heads.get("cls").forward(x);
 *   }
 * }
 * const model = new TwoHeads();
 * Object.keys(model.stateDict()); // → ["heads.cls.weight", "heads.cls.bias", "heads.reg.weight", "heads.reg.bias"]
 * model.heads.keys();             // → ["cls", "reg"]
 * model.heads.get("box");         // throws ModuleDict.get: no module under the key "box" (keys: "cls", "reg")
 * ```
 */
export class ModuleDict<T extends Module = Module> extends Module implements Iterable<[string, T]> {
  readonly #modules = new Map<string, T>();

  /** The modules of `record`, in its key order; none by default. */
  constructor(record: Record<string, T> = {}) {
    super();
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      throw new NablaError("ModuleDict", `expected an object mapping names to modules, got ${describeValue(record)}`);
    }
    for (const [key, module] of Object.entries(record)) this.set(key, module);
  }

  /** The number of modules. */
  get size(): number {
    return this.#modules.size;
  }

  /**
   * Stores `module` under `key` (replacing what was there, in its place); returns this dict.
   *
   * @example
   * ```ts
   * const dict = new ModuleDict().set("act", new ReLU()).set("out", new Linear(2, 1));
   * dict.keys(); // → ["act", "out"]
   * dict.set("a.b", new ReLU()); // throws ModuleDict.set: invalid key "a.b" (expected a non-empty string without ".")
   * ```
   */
  set(key: string, module: T): this {
    const op = "ModuleDict.set";
    if (typeof key !== "string" || key === "" || key.includes(".")) {
      throw new NablaError(op, `invalid key ${describeValue(key)} (expected a non-empty string without ".")`);
    }
    this.#modules.set(key, checkModule(op, `module "${key}"`, module));
    return this;
  }

  /** The module under `key`; a missing key throws (PyTorch's KeyError). */
  get(key: string): T {
    const module = this.#modules.get(key);
    if (module === undefined) {
      const keys = [...this.#modules.keys()].map((name) => JSON.stringify(name)).join(", ");
      throw new NablaError("ModuleDict.get", `no module under the key ${describeValue(key)} (keys: ${keys})`);
    }
    return module;
  }

  /** Whether a module is stored under `key`. */
  has(key: string): boolean {
    return this.#modules.has(key);
  }

  /** Removes the module under `key`; returns whether there was one. */
  delete(key: string): boolean {
    return this.#modules.delete(key);
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...this.#modules.keys()];
  }

  /** The modules, in key order. */
  values(): T[] {
    return [...this.#modules.values()];
  }

  /** The `[key, module]` pairs, in key order. */
  entries(): [string, T][] {
    return [...this.#modules.entries()];
  }

  /** The `[key, module]` pairs, in key order. */
  [Symbol.iterator](): Iterator<[string, T]> {
    return this.#modules.entries();
  }

  /** The modules under their keys: what makes them children. */
  protected override childEntries(): [string, Module][] {
    return this.entries();
  }

  /** Throws: a ModuleDict only holds modules; run them from the model's own `forward`. */
  forward(..._inputs: Tensor[]): Tensor {
    throw new NablaError("ModuleDict.forward", "a ModuleDict has no forward: call its modules' forward from the model's");
  }
}

import { clone, formatShape, isTensor, NablaError, noGrad, Tensor, to } from "@nabla/tensor/functional";
import { describeValue } from "@nabla/tensor/internal";

/** What every optimizer's hyperparameters include: the learning rate schedulers adjust. */
export interface BaseHyperparameters {
  /** The learning rate, ≥ 0. */
  lr: number;
}

/**
 * A group of parameters sharing hyperparameters. `lr` (and the others) may be changed between steps;
 * schedulers do exactly that. `initialLr` is set by the first scheduler attached.
 */
export type ParamGroup<H extends BaseHyperparameters = BaseHyperparameters> = H & {
  params: Tensor[];
  initialLr?: number;
};

/** A parameter group as given to a constructor: its own params and any hyperparameters that override the defaults. */
export type ParamGroupInput<H extends BaseHyperparameters = BaseHyperparameters> = Partial<H> & {
  params: Iterable<Tensor>;
};

/** An optimizer's per-parameter state: tensors (moment estimates, buffers) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * A snapshot of an optimizer, as PyTorch's `state_dict()`: parameters are referred to by their index in
 * the order of all groups' `params`, so the dict can be loaded into a fresh optimizer over a fresh model.
 * Tensors are copies.
 */
export interface OptimizerStateDict<H extends BaseHyperparameters = BaseHyperparameters, S extends ParamState = ParamState> {
  /** Each parameter's state by its index; parameters not yet updated have none. */
  state: Record<number, S>;
  /** Each group's hyperparameters, with the indices of its parameters in place of the tensors. */
  paramGroups: (Omit<ParamGroup<H>, "params"> & { params: number[] })[];
}

/**
 * The base of SGD, Adam and AdamW, as PyTorch's `torch.optim.Optimizer`: parameter groups,
 * per-parameter state, `zeroGrad`, `stateDict` and `loadStateDict`. A subclass gives its
 * hyperparameter checks and its `step`. Constructors take an iterable of tensors, or of groups
 * `{ params, ...overrides }`; they throw for an empty list, a single bare Tensor, a non-leaf tensor,
 * a tensor listed twice, and a hyperparameter out of range.
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * const optimizer = new optim.SGD(
 *   [{ params: model.at(0).parameters(), lr: 0.01 }, { params: model.at(2).parameters() }],
 *   { lr: 0.1, momentum: 0.9 },
 * );
 * optimizer.paramGroups.map((group) => group.lr); // → [0.01, 0.1]
 * optimizer.paramGroups[0]!.momentum;             // → 0.9
 * ```
 */
export abstract class Optimizer<H extends BaseHyperparameters = BaseHyperparameters, S extends ParamState = ParamState> {
  /** The hyperparameters given to the constructor, with defaults filled in: what a group does not override. */
  readonly defaults: Readonly<H>;
  /** The groups, each with its `params` and its hyperparameters; change `lr` here between steps. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created by the first `step` that updates the parameter. */
  protected readonly state = new Map<Tensor, S>();
  /** The optimizer's name in error messages. */
  protected readonly name: string;

  protected constructor(name: string, params: Iterable<Tensor> | Iterable<ParamGroupInput<H>>, defaults: H) {
    this.name = name;
    if (isTensor(params, name)) {
      throw new NablaError(name, "params must be an iterable of Tensors or parameter groups, got a single Tensor (wrap it in an array)");
    }
    if (params === null || typeof params !== "object" || typeof (params as Iterable<unknown>)[Symbol.iterator] !== "function") {
      throw new NablaError(name, `params must be an iterable of Tensors or parameter groups, got ${describeValue(params)}`);
    }
    const items = Array.from(params as Iterable<Tensor | ParamGroupInput<H>>);
    if (items.length === 0) throw new NablaError(name, "got an empty parameter list");
    this.validate(defaults);
    this.defaults = defaults;
    const groups = isTensor(items[0], name) ? [{ params: items as Tensor[] }] : (items as ParamGroupInput<H>[]);
    // Build every group first, so a bad one leaves the optimizer unbuilt rather than half built.
    const built: ParamGroup<H>[] = [];
    for (const group of groups) built.push(this.buildGroup(group, built));
    this.paramGroups.push(...built);
  }

  /** Throws a NablaError naming the optimizer when a hyperparameter is out of range or of the wrong type. */
  protected abstract validate(hyperparameters: H): void;

  /** The fields of this optimizer's per-parameter state (see `checkState`). */
  protected abstract readonly stateFields: StateFields;

  /**
   * Updates every parameter that has a gradient, in place (under `noGrad`); parameters whose `grad`
   * is null are skipped. Call it after `backward()`. Everything the step reads is checked before
   * anything is written (see `checkStep`).
   *
   * @example
   * ```ts
   * const w = tensor([1, -2], { requiresGrad: true });
   * const optimizer = new optim.SGD([w], { lr: 0.1 });
   * w.square().sum().backward(); // the gradient is 2w
   * optimizer.step();            // w − 0.1 · 2w
   * w;                           // → [0.8, -1.6]
   * ```
   */
  abstract step(): void;

  /**
   * Checks what a step reads before it writes anything: every group's hyperparameters (they may have
   * been changed since construction), and for each parameter its gradient (shape and dtype) and its
   * state. A step that would fail on its last parameter thus fails with every parameter and step
   * count unchanged.
   */
  protected checkStep(): void {
    let index = 0;
    for (const { params, ...hyperparameters } of this.paramGroups) {
      this.validate(hyperparameters as unknown as H);
      for (const param of params) {
        const label = `parameter ${index++} (shape ${formatShape(param.shape)}, ${param.dtype})`;
        const grad: unknown = param.grad;
        if (grad !== null && (!isTensor(grad, `${this.name}.step`) || !sameShape(grad.shape, param.shape) || grad.dtype !== param.dtype)) {
          throw new NablaError(
            `${this.name}.step`,
            `the gradient of ${label} is ${describeValue(grad)}, expected the parameter's shape and dtype`,
          );
        }
        const state = this.state.get(param);
        if (state !== undefined) this.checkState(`${this.name}.step`, `the state of ${label}`, state, param, true);
      }
    }
  }

  /**
   * Checks one parameter's state against `stateFields`: an object with exactly the known fields,
   * tensors shaped like the parameter (and of its dtype when `exactDtype`; loading casts), counters
   * non-negative integers. Another optimizer's state (SGD's momentum buffer given to Adam) is
   * refused by name.
   */
  protected checkState(op: string, label: string, state: unknown, param: Tensor, exactDtype: boolean): void {
    const { tensors, optional = [], counters = [] } = this.stateFields;
    if (state === null || typeof state !== "object") throw new NablaError(op, `${label} must be an object, got ${describeValue(state)}`);
    const known = [...counters, ...tensors, ...optional];
    const foreign = Object.keys(state).filter((field) => !known.includes(field));
    if (foreign.length > 0) {
      throw new NablaError(
        op,
        `${label} has field(s) ${foreign.join(", ")}, which ${this.name} does not keep (its state holds ${known.join(", ")}); is it another optimizer's state?`,
      );
    }
    const fields = state as Record<string, unknown>;
    for (const field of [...tensors, ...optional]) {
      const value = fields[field];
      if (value === undefined && optional.includes(field)) continue;
      if (!isTensor(value, op) || !sameShape(value.shape, param.shape) || (exactDtype && value.dtype !== param.dtype)) {
        throw new NablaError(
          op,
          `${label}: "${field}" must be a tensor of the parameter's shape${exactDtype ? " and dtype" : ""}, got ${describeValue(value)}`,
        );
      }
    }
    for (const field of counters) {
      if (!Number.isSafeInteger(fields[field]) || (fields[field] as number) < 0) {
        throw new NablaError(op, `${label}: "${field}" must be a non-negative integer, got ${describeValue(fields[field])}`);
      }
    }
  }

  /** Throws unless `value` is a number passing `test`: `invalid ${what} … (expected ${expected})`. */
  protected checkHyperparameter(what: string, value: unknown, test: (value: number) => boolean, expected: string): void {
    if (typeof value !== "number" || !test(value))
      throw new NablaError(this.name, `invalid ${what} ${describeValue(value)} (expected ${expected})`);
  }

  /** Throws unless `value` is a boolean. */
  protected checkFlag(what: string, value: unknown): void {
    if (typeof value !== "boolean") throw new NablaError(this.name, `invalid ${what} ${describeValue(value)} (expected true or false)`);
  }

  /**
   * Adds a group (e.g. for fine-tuning a newly unfrozen part of a model) with its own
   * hyperparameters; the rest come from `defaults`. A tensor already in a group throws.
   *
   * @example
   * ```ts
   * const optimizer = new optim.SGD([tensor([1], { requiresGrad: true })], { lr: 0.1 });
   * optimizer.addParamGroup({ params: [tensor([2], { requiresGrad: true })], lr: 0.01 });
   * optimizer.paramGroups.map((group) => group.lr); // → [0.1, 0.01]
   * ```
   */
  addParamGroup(group: ParamGroupInput<H>): void {
    this.paramGroups.push(this.buildGroup(group, this.paramGroups));
  }

  private buildGroup(input: ParamGroupInput<H> | { params: Tensor[] }, existing: readonly ParamGroup<H>[]): ParamGroup<H> {
    if (input === null || typeof input !== "object" || !("params" in input)) {
      throw new NablaError(this.name, "each parameter group must be an object with a params field");
    }
    if (input.params === null || typeof input.params !== "object") {
      throw new NablaError(
        this.name,
        `a parameter group's params must be a Tensor or an iterable of Tensors, got ${describeValue(input.params)}`,
      );
    }
    const params = isTensor(input.params, this.name) ? [input.params] : Array.from(input.params);
    const taken = new Set(existing.flatMap((group) => group.params));
    const seen = new Set<Tensor>();
    params.forEach((param, i) => {
      if (!isTensor(param, this.name)) throw new NablaError(this.name, `params[${i}] is not a Tensor`);
      if (!param.isLeaf)
        throw new NablaError(this.name, `params[${i}] (shape ${formatShape(param.shape)}) is not a leaf tensor, so it cannot be optimized`);
      if (seen.has(param)) throw new NablaError(this.name, `params[${i}] appears twice in the same parameter group`);
      if (taken.has(param)) throw new NablaError(this.name, `params[${i}] already belongs to another parameter group`);
      seen.add(param);
    });
    const hyperparameters = { ...this.defaults } as H;
    for (const [key, value] of Object.entries(input)) {
      if (key !== "params" && value !== undefined) (hyperparameters as Record<string, unknown>)[key] = copyValue(value);
    }
    this.validate(hyperparameters);
    return { ...hyperparameters, params };
  }

  /**
   * Drops every parameter's gradient (`grad = null`, PyTorch's `set_to_none=True`). `backward`
   * adds into `grad`, so call it before each backward pass.
   *
   * @example
   * ```ts
   * const w = tensor([1, -2], { requiresGrad: true });
   * const optimizer = new optim.SGD([w], { lr: 0.1 });
   * w.sum().backward();
   * w.sum().backward();
   * w.grad;               // → [2, 2]
   * optimizer.zeroGrad();
   * w.grad;               // → null
   * ```
   */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const param of group.params) param.grad = null;
  }

  /**
   * A copy of the state: hyperparameters per group and each parameter's state, keyed by its index
   * in the order of all groups' `params` (PyTorch's layout). Tensors are cloned, so later steps do
   * not change it; save it beside the model's `stateDict()` to resume training.
   *
   * @example
   * ```ts
   * const w = tensor([1, -2], { requiresGrad: true });
   * const optimizer = new optim.Adam([w], { lr: 0.1 });
   * w.square().sum().backward();
   * optimizer.step();
   * const saved = optimizer.stateDict();
   * saved.state[0]?.step;            // → 1
   * saved.state[0]?.expAvg;          // → [0.2, -0.4]
   * saved.paramGroups[0]?.params;    // → [0]
   * saved.paramGroups[0]?.lr;        // → 0.1
   * ```
   */
  stateDict(): OptimizerStateDict<H, S> {
    const state: Record<number, S> = {};
    let index = 0;
    const paramGroups = this.paramGroups.map(({ params, ...hyperparameters }) => {
      const indices = params.map((param) => {
        const paramState = this.state.get(param);
        if (paramState !== undefined) state[index] = copyState(paramState);
        return index++;
      });
      return { ...copyHyperparameters(hyperparameters), params: indices };
    });
    return { state, paramGroups };
  }

  /**
   * Restores a `stateDict()`: each group's hyperparameters and every parameter's state (cast to the
   * parameter's dtype). The groups must have the same sizes as this optimizer's; everything is checked
   * before anything changes, and a mismatch throws.
   *
   * @example
   * ```ts
   * const w = tensor([1, -2], { requiresGrad: true });
   * const optimizer = new optim.Adam([w], { lr: 0.1 });
   * w.square().sum().backward();
   * optimizer.step();
   * // a fresh optimizer (over a restored model) picks up where this one stopped
   * const resumed = new optim.Adam([tensor([0.9, -1.9], { requiresGrad: true })]);
   * resumed.loadStateDict(optimizer.stateDict());
   * resumed.paramGroups[0]!.lr;                   // → 0.1
   * resumed.stateDict().state[0]?.step;           // → 1
   * new optim.Adam([w, tensor([0], { requiresGrad: true })]).loadStateDict(optimizer.stateDict()); // throws Adam.loadStateDict: parameter group 0 has 1 parameters in the state dict, 2 in the optimizer
   * ```
   */
  loadStateDict(stateDict: OptimizerStateDict<H, S>): void {
    const op = `${this.name}.loadStateDict`;
    if (stateDict === null || typeof stateDict !== "object" || stateDict.state === null || typeof stateDict.state !== "object") {
      throw new NablaError(op, `expected what stateDict() returns ({ state, paramGroups }), got ${describeValue(stateDict)}`);
    }
    const saved = stateDict.paramGroups;
    if (!Array.isArray(saved) || saved.length !== this.paramGroups.length) {
      throw new NablaError(
        op,
        `the state dict has ${Array.isArray(saved) ? saved.length : "no"} parameter groups, the optimizer ${this.paramGroups.length}`,
      );
    }
    const paramByIndex = new Map<number, Tensor>();
    saved.forEach((group, g) => {
      const params = this.paramGroups[g]!.params;
      if (group.params.length !== params.length) {
        throw new NablaError(
          op,
          `parameter group ${g} has ${group.params.length} parameters in the state dict, ${params.length} in the optimizer`,
        );
      }
      if (group === null || typeof group !== "object" || !Array.isArray(group.params)) {
        throw new NablaError(op, `parameter group ${g} must be an object with a params array, got ${describeValue(group)}`);
      }
      group.params.forEach((index, i) => {
        paramByIndex.set(index, params[i]!);
      });
      const { params: _indices, ...hyperparameters } = group;
      this.validate({ ...this.defaults, ...hyperparameters } as H);
    });
    for (const [key, paramState] of Object.entries(stateDict.state)) {
      const param = paramByIndex.get(Number(key));
      if (param === undefined) throw new NablaError(op, `state for parameter ${key}, which no parameter group lists`);
      for (const [field, value] of Object.entries(paramState ?? {})) {
        if (isTensor(value, op) && !sameShape(value.shape, param.shape)) {
          throw new NablaError(
            op,
            `state "${field}" of parameter ${key} has shape ${formatShape(value.shape)}, the parameter ${formatShape(param.shape)}`,
          );
        }
      }
      this.checkState(op, `the state of parameter ${key}`, paramState, param, false);
    }

    saved.forEach(({ params: _indices, ...hyperparameters }, g) => {
      Object.assign(this.paramGroups[g]!, copyHyperparameters(hyperparameters));
    });
    this.state.clear();
    for (const [key, paramState] of Object.entries(stateDict.state)) {
      const param = paramByIndex.get(Number(key))!;
      this.state.set(param, copyState(paramState, param.dtype));
    }
  }
}

/** The fields of an optimizer's per-parameter state: tensors shaped like the parameter, and counters. */
export interface StateFields {
  tensors: readonly string[];
  /** Tensors that may be absent (Adam's maxExpAvgSq without amsgrad). */
  optional?: readonly string[];
  counters?: readonly string[];
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function copyValue<V>(value: V): V {
  return (Array.isArray(value) ? [...value] : value) as V; // betas is the one array hyperparameter
}

function copyHyperparameters<T extends object>(hyperparameters: T): T {
  return Object.fromEntries(Object.entries(hyperparameters).map(([key, value]) => [key, copyValue(value)])) as T;
}

// Tensors are cloned (cast to `dtype` when given) so the snapshot and the optimizer never share storage.
function copyState<S extends ParamState>(paramState: S, dtype?: Tensor["dtype"]): S {
  return noGrad(() =>
    Object.fromEntries(
      Object.entries(paramState).map(([key, value]) => {
        if (!(value instanceof Tensor)) return [key, value];
        return [key, dtype === undefined || value.dtype === dtype ? clone(value) : to(value, dtype)];
      }),
    ),
  ) as S;
}

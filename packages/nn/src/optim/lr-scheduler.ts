import { NablaError } from "@nabla/tensor/functional";
import { checkOptions, describeValue } from "@nabla/tensor/internal";
import { Optimizer } from "./optimizer";

/** What every scheduler's `stateDict()` holds; subclasses add their own hyperparameters. */
export interface LRSchedulerStateDict {
  /** The number of `step()` calls since construction. */
  lastEpoch: number;
  /** Each group's starting lr. */
  baseLrs: number[];
  /** The lrs the last `step()` set, one per group. */
  lastLr: number[];
}

/**
 * The base of the learning-rate schedulers, as PyTorch's `LRScheduler`. Construction records each group's
 * starting lr (`initialLr`, the base lr) and performs step 0, which leaves the lr as it is. Call `step()`
 * once per epoch, after `optimizer.step()`; it writes the new lr into every parameter group.
 *
 * Schedules are computed recursively from each group's current lr, as PyTorch's chainable form is, so
 * the values match PyTorch's and an lr changed by hand carries on from where it was set.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
 * const scheduler = new optim.StepLR(optimizer, { stepSize: 2 });
 * const lrs: number[] = [];
 * for (let epoch = 0; epoch < 5; epoch++) {
 *   optimizer.step(); // after a pass over the training data
 *   scheduler.step();
 *   lrs.push(optimizer.paramGroups[0]!.lr);
 * }
 * lrs;                     // → [0.1, 0.01, 0.01, 0.001, 0.001]
 * scheduler.getLastLr();   // → [0.001]
 * ```
 */
export abstract class LRScheduler<D extends LRSchedulerStateDict = LRSchedulerStateDict> {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** Number of `step()` calls since construction (step 0 is the constructor's). */
  lastEpoch = -1;
  /** Each group's starting lr (its `initialLr`), the base the schedule decays from. */
  baseLrs: number[] = [];
  /** The scheduler's name in error messages. */
  protected readonly name: string;
  /** The lrs the last `step()` set. */
  protected lastLr: number[] = [];

  /** Checks the optimizer only: a subclass checks its options, then calls `start()`, so bad options change nothing. */
  protected constructor(name: string, optimizer: Optimizer) {
    this.name = name;
    if (!(optimizer instanceof Optimizer)) throw new NablaError(name, "expected an optimizer (SGD, Adam, AdamW)");
    this.optimizer = optimizer;
  }

  /**
   * Records each group's `initialLr` (the first scheduler attached sets it from the group's lr, unless
   * `initialLrs` overrides it, as OneCycleLR does) as the base lrs, then performs step 0.
   */
  protected start(initialLrs?: readonly number[]): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.initialLr = initialLrs?.[i] ?? group.initialLr ?? group.lr;
    });
    this.baseLrs = this.optimizer.paramGroups.map((group) => group.initialLr!);
    this.step();
  }

  /** The lr of each group for epoch `lastEpoch`, from its lr in the previous epoch. */
  protected abstract computeLr(): number[];

  /**
   * The lrs at epoch 0 when a `SequentialLR` hands over to this scheduler (PyTorch's `step(0)`, which
   * uses the closed form from the base lrs): the base lrs unless the schedule starts elsewhere.
   */
  protected lrsAtStart(): number[] {
    return [...this.baseLrs];
  }

  /** Restarts `scheduler` at epoch 0 from its base lrs (what SequentialLR does at a milestone). */
  protected static restart(scheduler: LRScheduler): void {
    scheduler.lastEpoch = 0;
    scheduler.setLrs(scheduler.lrsAtStart());
  }

  /** Advances one epoch and writes the new learning rates into the optimizer's groups. */
  step(): void {
    this.lastEpoch += 1;
    this.setLrs(this.computeLr());
  }

  private setLrs(lrs: number[]): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i]!;
    });
    this.lastLr = lrs;
  }

  /** The learning rates the last `step()` set, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's own fields of its state dict (its options and counters), beside the common ones. */
  protected ownState(): Omit<D, keyof LRSchedulerStateDict> {
    return {} as Omit<D, keyof LRSchedulerStateDict>;
  }

  /**
   * Checks the scheduler's own fields of `stateDict` (throwing a NablaError naming `op`) and returns
   * what applies them, so a bad dict changes nothing.
   */
  protected loadOwnState(_op: string, _stateDict: D): () => void {
    return () => {};
  }

  /**
   * A copy of the scheduler's position (epoch count, base and last lrs) and its options; save it
   * beside the optimizer's `stateDict()`, which holds the lrs themselves.
   *
   * @example
   * ```ts
   * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
   * const scheduler = new optim.StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
   * scheduler.stateDict(); // → { lastEpoch: 0, baseLrs: [0.1], lastLr: [0.1], stepSize: 2, gamma: 0.5 }
   * ```
   */
  stateDict(): D {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr], ...this.ownState() } as D;
  }

  /**
   * Restores the epoch count, the lrs it started from and last set, and the scheduler's options (the
   * optimizer's state dict holds its lrs, so load both). A fractional `lastEpoch` or one below −1, lists
   * whose length is not the number of groups, or an option out of range throw, changing nothing.
   */
  loadStateDict(stateDict: D): void {
    const op = `${this.name}.loadStateDict`;
    checkStateDict(op, stateDict);
    const groups = this.optimizer.paramGroups.length;
    const { lastEpoch, baseLrs, lastLr } = stateDict;
    // −1: a scheduler of a SequentialLR that has not taken over yet
    if (!Number.isSafeInteger(lastEpoch) || lastEpoch < -1)
      throw new NablaError(op, `lastEpoch must be an integer ≥ -1, got ${describeValue(lastEpoch)}`);
    if (!isNumberList(baseLrs, groups) || !isNumberList(lastLr, groups)) {
      throw new NablaError(op, `expected baseLrs and lastLr with one entry per parameter group (${groups})`);
    }
    this.loadOwnState(op, stateDict)(); // first, so that a nested state that throws changes nothing here
    this.lastEpoch = lastEpoch;
    this.baseLrs = [...baseLrs];
    this.lastLr = [...lastLr];
  }
}

/** Options of `StepLR`. */
export interface StepLROptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Factor applied every `stepSize` epochs (default 0.1). */
  gamma?: number;
}

/** What `StepLR.stateDict()` holds: the common fields and its own options. */
export interface StepLRStateDict extends LRSchedulerStateDict {
  /** Epochs between decays. */
  stepSize: number;
  /** The decay factor. */
  gamma: number;
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs, as PyTorch's `StepLR`:
 * lr = baseLr · gamma^⌊epoch / stepSize⌋. `stepSize` must be a positive integer and `gamma` finite.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
 * const scheduler = new optim.StepLR(optimizer, { stepSize: 2, gamma: 0.5 });
 * for (let epoch = 0; epoch < 4; epoch++) scheduler.step();
 * optimizer.paramGroups[0]!.lr;                            // → 0.025
 * new optim.StepLR(optimizer, { stepSize: 0 });            // throws StepLR: stepSize must be a positive integer, got 0
 * ```
 */
export class StepLR extends LRScheduler<StepLRStateDict> {
  /** Epochs between decays. */
  stepSize: number;
  /** The factor applied every `stepSize` epochs. */
  gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super("StepLR", optimizer);
    const { stepSize, gamma = 0.1 } = checkOptions("StepLR", options);
    this.stepSize = positiveInteger("StepLR", "stepSize", stepSize);
    this.gamma = finiteNumber("StepLR", "gamma", gamma);
    this.start(); // step 0: lr unchanged
  }

  /** Each group's lr times gamma on the epochs that are multiples of stepSize, else unchanged. */
  protected computeLr(): number[] {
    const decay = this.lastEpoch !== 0 && this.lastEpoch % this.stepSize === 0;
    return this.optimizer.paramGroups.map((group) => (decay ? group.lr * this.gamma : group.lr));
  }

  /** `stepSize` and `gamma`. */
  protected override ownState(): Omit<StepLRStateDict, keyof LRSchedulerStateDict> {
    return { stepSize: this.stepSize, gamma: this.gamma };
  }

  /** Checks and restores `stepSize` and `gamma`. */
  protected override loadOwnState(op: string, stateDict: StepLRStateDict): () => void {
    const stepSize = positiveInteger(op, "stepSize", stateDict.stepSize);
    const gamma = finiteNumber(op, "gamma", stateDict.gamma);
    return () => {
      this.stepSize = stepSize;
      this.gamma = gamma;
    };
  }
}

/** Options of `CosineAnnealingLR`. */
export interface CosineAnnealingLROptions {
  /** Epochs from the base lr down to `etaMin` (the schedule then climbs back over the next `tMax`). */
  tMax: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

/** What `CosineAnnealingLR.stateDict()` holds: the common fields and its own options. */
export interface CosineAnnealingLRStateDict extends LRSchedulerStateDict {
  /** Epochs from the base lr down to `etaMin`. */
  tMax: number;
  /** The lowest lr. */
  etaMin: number;
}

/**
 * Cosine annealing (SGDR without restarts), as PyTorch's `CosineAnnealingLR`:
 * lr = etaMin + (baseLr − etaMin)·(1 + cos(π·epoch/tMax))/2, computed with PyTorch's recursive form
 * so the values agree with PyTorch's, past `tMax` too (the lr climbs back up). `tMax` must be a
 * positive integer and `etaMin` finite.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
 * const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: 2 });
 * const lrs: number[] = [];
 * for (let epoch = 0; epoch < 4; epoch++) {
 *   optimizer.step();
 *   scheduler.step();
 *   lrs.push(scheduler.getLastLr()[0]!);
 * }
 * lrs; // → [0.05, 0, 0.05, 0.1]
 * ```
 */
export class CosineAnnealingLR extends LRScheduler<CosineAnnealingLRStateDict> {
  /** Epochs from the base lr down to `etaMin`. */
  tMax: number;
  /** The lowest lr. */
  etaMin: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super("CosineAnnealingLR", optimizer);
    const { tMax, etaMin = 0 } = checkOptions("CosineAnnealingLR", options);
    this.tMax = positiveInteger("CosineAnnealingLR", "tMax", tMax);
    this.etaMin = finiteNumber("CosineAnnealingLR", "etaMin", etaMin);
    this.start(); // step 0: lr unchanged
  }

  /** Each group's next lr on the cosine, from its current one (PyTorch's recursive form). */
  protected computeLr(): number[] {
    const { lastEpoch: epoch, tMax, etaMin } = this;
    return this.optimizer.paramGroups.map((group, i) => {
      if (epoch === 0) return group.lr;
      // Leaving the minimum (epoch = tMax + 1, 3·tMax + 1, …) the ratio below would divide by
      // 1 + cos(π) = 0, so the rise is added instead.
      if ((epoch - 1 - tMax) % (2 * tMax) === 0) {
        return group.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
      }
      // lr(e) − etaMin = (lr(e−1) − etaMin)·(1 + cos(πe/T)) / (1 + cos(π(e−1)/T))
      return ((1 + Math.cos((Math.PI * epoch) / tMax)) / (1 + Math.cos((Math.PI * (epoch - 1)) / tMax))) * (group.lr - etaMin) + etaMin;
    });
  }

  /** `tMax` and `etaMin`. */
  protected override ownState(): Omit<CosineAnnealingLRStateDict, keyof LRSchedulerStateDict> {
    return { tMax: this.tMax, etaMin: this.etaMin };
  }

  /** Checks and restores `tMax` and `etaMin`. */
  protected override loadOwnState(op: string, stateDict: CosineAnnealingLRStateDict): () => void {
    const tMax = positiveInteger(op, "tMax", stateDict.tMax);
    const etaMin = finiteNumber(op, "etaMin", stateDict.etaMin);
    return () => {
      this.tMax = tMax;
      this.etaMin = etaMin;
    };
  }
}

// Checks shared by the schedulers' constructors and loadStateDict.

export function checkStateDict(op: string, stateDict: unknown): void {
  if (stateDict === null || typeof stateDict !== "object")
    throw new NablaError(op, `expected what stateDict() returns, got ${describeValue(stateDict)}`);
}

export function positiveInteger(op: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new NablaError(op, `${name} must be a positive integer, got ${describeValue(value)}`);
  return value as number;
}

export function finiteNumber(op: string, name: string, value: unknown): number {
  if (!Number.isFinite(value)) throw new NablaError(op, `${name} must be a finite number, got ${describeValue(value)}`);
  return value as number;
}

/** Throws unless `value` is a finite number in the range `test` accepts, described by `expected`. */
export function numberIn(op: string, name: string, value: unknown, test: (value: number) => boolean, expected: string): number {
  if (!Number.isFinite(value) || !test(value as number))
    throw new NablaError(op, `${name} must be ${expected}, got ${describeValue(value)}`);
  return value as number;
}

/** Throws unless `value` is true or false. */
export function flag(op: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new NablaError(op, `${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** Whether `value` is an array of `length` numbers. */
export function isNumberList(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every((v) => typeof v === "number");
}

/**
 * A per-group value given as one number (for every group) or one per group, each checked by
 * `check`, as PyTorch's schedulers accept `max_lr` or `min_lr`.
 */
export function perGroup(
  op: string,
  name: string,
  value: unknown,
  groups: number,
  check: (op: string, name: string, value: unknown) => number,
): number[] {
  if (!Array.isArray(value)) return new Array<number>(groups).fill(check(op, name, value));
  if (value.length !== groups)
    throw new NablaError(op, `expected ${groups} values for ${name} (one per parameter group), got ${value.length}`);
  return value.map((v, i) => check(op, `${name}[${i}]`, v));
}

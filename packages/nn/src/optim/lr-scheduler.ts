import { NablaError } from "@nabla/tensor";
import { Optimizer } from "./optimizer";

/** What every scheduler's `stateDict()` holds; subclasses add their own hyperparameters. */
export interface LRSchedulerStateDict {
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
}

/**
 * The base of the learning-rate schedulers, as PyTorch's `LRScheduler`. Construction records each group's
 * starting lr (`initialLr`, the base lr) and performs step 0, which leaves the lr as it is. Call `step()`
 * once per epoch, after `optimizer.step()`; it writes the new lr into every parameter group.
 *
 * Schedules are computed recursively from each group's current lr, as PyTorch's chainable form is, so
 * the values match PyTorch's and an lr changed by hand carries on from where it was set.
 */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** Number of `step()` calls since construction (step 0 is the constructor's). */
  lastEpoch = -1;
  baseLrs: number[];
  protected readonly name: string;
  private lastLr: number[] = [];

  protected constructor(name: string, optimizer: Optimizer) {
    this.name = name;
    if (!(optimizer instanceof Optimizer)) throw new NablaError(name, "expected an optimizer (SGD, Adam, AdamW)");
    this.optimizer = optimizer;
    for (const group of optimizer.paramGroups) group.initialLr ??= group.lr;
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr!);
  }

  /** The lr of each group for epoch `lastEpoch`, from its lr in the previous epoch. */
  protected abstract computeLr(): number[];

  /** Advances one epoch and writes the new learning rates into the optimizer's groups. */
  step(): void {
    this.lastEpoch += 1;
    const lrs = this.computeLr();
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i]!;
    });
    this.lastLr = lrs;
  }

  /** The learning rates the last `step()` set, one per parameter group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): LRSchedulerStateDict {
    return { lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  /** Restores the epoch count and the lrs it started from and last set (the optimizer's state dict holds its lrs). */
  loadStateDict(stateDict: LRSchedulerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    const groups = this.optimizer.paramGroups.length;
    const { lastEpoch, baseLrs, lastLr } = stateDict;
    if (!Number.isInteger(lastEpoch) || lastEpoch < 0) throw new NablaError(op, `lastEpoch must be a non-negative integer, got ${lastEpoch}`);
    if (baseLrs?.length !== groups || lastLr?.length !== groups) {
      throw new NablaError(op, `expected baseLrs and lastLr with one entry per parameter group (${groups})`);
    }
    this.lastEpoch = lastEpoch;
    this.baseLrs = [...baseLrs];
    this.lastLr = [...lastLr];
  }
}

export interface StepLROptions {
  /** Epochs between decays. */
  stepSize: number;
  /** Factor applied every `stepSize` epochs (default 0.1). */
  gamma?: number;
}

export interface StepLRStateDict extends LRSchedulerStateDict {
  stepSize: number;
  gamma: number;
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs: lr = baseLr · gamma^⌊epoch / stepSize⌋.
 *
 * @example
 * const scheduler = new optim.StepLR(optimizer, { stepSize: 30, gamma: 0.1 });
 * for (let epoch = 0; epoch < 90; epoch++) { train(); scheduler.step(); }
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super("StepLR", optimizer);
    const { stepSize, gamma = 0.1 } = options;
    if (!Number.isInteger(stepSize) || stepSize < 1) throw new NablaError("StepLR", `stepSize must be a positive integer, got ${stepSize}`);
    if (!Number.isFinite(gamma)) throw new NablaError("StepLR", `gamma must be a finite number, got ${gamma}`);
    this.stepSize = stepSize;
    this.gamma = gamma;
    this.step(); // step 0: lr unchanged
  }

  protected computeLr(): number[] {
    const decay = this.lastEpoch !== 0 && this.lastEpoch % this.stepSize === 0;
    return this.optimizer.paramGroups.map((group) => (decay ? group.lr * this.gamma : group.lr));
  }

  override stateDict(): StepLRStateDict {
    return { ...super.stateDict(), stepSize: this.stepSize, gamma: this.gamma };
  }

  override loadStateDict(stateDict: StepLRStateDict): void {
    super.loadStateDict(stateDict);
    this.stepSize = stateDict.stepSize;
    this.gamma = stateDict.gamma;
  }
}

export interface CosineAnnealingLROptions {
  /** Epochs from the base lr down to `etaMin` (the schedule then climbs back over the next `tMax`). */
  tMax: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

export interface CosineAnnealingLRStateDict extends LRSchedulerStateDict {
  tMax: number;
  etaMin: number;
}

/**
 * Cosine annealing (SGDR without restarts): lr = etaMin + (baseLr − etaMin)·(1 + cos(π·epoch/tMax))/2,
 * computed with PyTorch's recursive form so the values agree with PyTorch's, past `tMax` too.
 *
 * @example
 * const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: epochs });
 */
export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super("CosineAnnealingLR", optimizer);
    const { tMax, etaMin = 0 } = options;
    if (!Number.isInteger(tMax) || tMax < 1) throw new NablaError("CosineAnnealingLR", `tMax must be a positive integer, got ${tMax}`);
    if (!Number.isFinite(etaMin)) throw new NablaError("CosineAnnealingLR", `etaMin must be a finite number, got ${etaMin}`);
    this.tMax = tMax;
    this.etaMin = etaMin;
    this.step(); // step 0: lr unchanged
  }

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

  override stateDict(): CosineAnnealingLRStateDict {
    return { ...super.stateDict(), tMax: this.tMax, etaMin: this.etaMin };
  }

  override loadStateDict(stateDict: CosineAnnealingLRStateDict): void {
    super.loadStateDict(stateDict);
    this.tMax = stateDict.tMax;
    this.etaMin = stateDict.etaMin;
  }
}

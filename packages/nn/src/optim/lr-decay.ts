import { NablaError } from "@nabla/tensor/functional";
import { checkOptions, describeValue } from "@nabla/tensor/internal";
import { LRScheduler, type LRSchedulerStateDict, finiteNumber, numberIn, positiveInteger } from "./lr-scheduler";
import type { Optimizer } from "./optimizer";

// Schedulers that multiply each group's lr by a factor per epoch: LinearLR, ExponentialLR,
// MultiStepLR, and LambdaLR (which scales the base lr by a function of the epoch).

/** Options of `LinearLR`. */
export interface LinearLROptions {
  /** The factor on the base lr at epoch 0, in (0, 1] (default 1/3). */
  startFactor?: number;
  /** The factor reached at epoch `totalIters`, in [0, 1] (default 1). */
  endFactor?: number;
  /** Epochs from `startFactor` to `endFactor`, a positive integer (default 5). */
  totalIters?: number;
}

/** What `LinearLR.stateDict()` holds: the common fields and its own options. */
export interface LinearLRStateDict extends LRSchedulerStateDict {
  /** The factor at epoch 0. */
  startFactor: number;
  /** The factor from epoch `totalIters` on. */
  endFactor: number;
  /** Epochs from `startFactor` to `endFactor`. */
  totalIters: number;
}

/**
 * Moves the factor on the lr linearly from `startFactor` to `endFactor` over `totalIters` epochs, then
 * keeps it, as PyTorch's `LinearLR` (a warm-up with the defaults):
 * lr = baseLr · (startFactor + (endFactor − startFactor)·min(epoch, totalIters)/totalIters), computed
 * with PyTorch's recursive form so the values agree with PyTorch's.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.05 });
 * const scheduler = new optim.LinearLR(optimizer, { startFactor: 0.5, totalIters: 4 });
 * const lrs = [scheduler.getLastLr()[0]!];
 * for (let epoch = 1; epoch < 6; epoch++) {
 *   optimizer.step();
 *   scheduler.step();
 *   lrs.push(Number(optimizer.paramGroups[0]!.lr.toFixed(6)));
 * }
 * lrs; // → [0.025, 0.03125, 0.0375, 0.04375, 0.05, 0.05]
 * new optim.LinearLR(optimizer, { startFactor: 0 }); // throws LinearLR: startFactor must be in (0, 1], got 0
 * ```
 */
export class LinearLR extends LRScheduler<LinearLRStateDict> {
  /** The factor at epoch 0. */
  startFactor: number;
  /** The factor from epoch `totalIters` on. */
  endFactor: number;
  /** Epochs from `startFactor` to `endFactor`. */
  totalIters: number;

  constructor(optimizer: Optimizer, options?: LinearLROptions) {
    super("LinearLR", optimizer);
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = checkOptions("LinearLR", options);
    [this.startFactor, this.endFactor, this.totalIters] = checkLinear("LinearLR", startFactor, endFactor, totalIters);
    this.start();
  }

  /**
   * PyTorch's recursive form: each epoch multiplies by the ratio of consecutive factors. With
   * `endFactor` 0 the last ratio rounds to a hair below 0 (PyTorch then sets an lr of about −1e−18,
   * which the optimizer's next step would refuse), so the product is kept at 0 or above.
   */
  protected computeLr(): number[] {
    const { lastEpoch: epoch, startFactor, endFactor, totalIters } = this;
    return this.optimizer.paramGroups.map((group) => {
      if (epoch === 0) return group.lr * startFactor;
      if (epoch > totalIters) return group.lr;
      return Math.max(0, group.lr * (1 + (endFactor - startFactor) / (totalIters * startFactor + (epoch - 1) * (endFactor - startFactor))));
    });
  }

  /** The closed form at epoch 0: baseLr · startFactor. */
  protected override lrsAtStart(): number[] {
    return this.baseLrs.map((lr) => lr * this.startFactor);
  }

  /** `startFactor`, `endFactor` and `totalIters`. */
  protected override ownState(): Omit<LinearLRStateDict, keyof LRSchedulerStateDict> {
    return { startFactor: this.startFactor, endFactor: this.endFactor, totalIters: this.totalIters };
  }

  /** Checks and restores `startFactor`, `endFactor` and `totalIters`. */
  protected override loadOwnState(op: string, stateDict: LinearLRStateDict): () => void {
    const checked = checkLinear(op, stateDict.startFactor, stateDict.endFactor, stateDict.totalIters);
    return () => {
      [this.startFactor, this.endFactor, this.totalIters] = checked;
    };
  }
}

function checkLinear(op: string, startFactor: unknown, endFactor: unknown, totalIters: unknown): [number, number, number] {
  return [
    // A start factor of 0 would divide by zero in the recursion (PyTorch refuses it too).
    numberIn(op, "startFactor", startFactor, (v) => v > 0 && v <= 1, "in (0, 1]"),
    numberIn(op, "endFactor", endFactor, (v) => v >= 0 && v <= 1, "in [0, 1]"),
    positiveInteger(op, "totalIters", totalIters),
  ];
}

/** Options of `ExponentialLR`. */
export interface ExponentialLROptions {
  /** The factor applied every epoch (required). */
  gamma: number;
}

/** What `ExponentialLR.stateDict()` holds: the common fields and `gamma`. */
export interface ExponentialLRStateDict extends LRSchedulerStateDict {
  /** The factor applied every epoch. */
  gamma: number;
}

/**
 * Multiplies the lr by `gamma` every epoch, as PyTorch's `ExponentialLR`: lr = baseLr · gamma^epoch.
 * `gamma` must be finite.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const scheduler = new optim.ExponentialLR(optimizer, { gamma: 0.5 });
 * scheduler.step();
 * scheduler.step();
 * scheduler.getLastLr(); // → [0.25]
 * ```
 */
export class ExponentialLR extends LRScheduler<ExponentialLRStateDict> {
  /** The factor applied every epoch. */
  gamma: number;

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super("ExponentialLR", optimizer);
    const { gamma } = checkOptions("ExponentialLR", options);
    this.gamma = finiteNumber("ExponentialLR", "gamma", gamma);
    this.start();
  }

  /** Each group's lr times gamma (unchanged at epoch 0). */
  protected computeLr(): number[] {
    return this.optimizer.paramGroups.map((group) => (this.lastEpoch === 0 ? group.lr : group.lr * this.gamma));
  }

  /** `gamma`. */
  protected override ownState(): Omit<ExponentialLRStateDict, keyof LRSchedulerStateDict> {
    return { gamma: this.gamma };
  }

  /** Checks and restores `gamma`. */
  protected override loadOwnState(op: string, stateDict: ExponentialLRStateDict): () => void {
    const gamma = finiteNumber(op, "gamma", stateDict.gamma);
    return () => {
      this.gamma = gamma;
    };
  }
}

/** Options of `MultiStepLR`. */
export interface MultiStepLROptions {
  /** The epochs at which the lr is multiplied by `gamma`: increasing non-negative integers (required). */
  milestones: readonly number[];
  /** The factor applied at each milestone (default 0.1). */
  gamma?: number;
}

/** What `MultiStepLR.stateDict()` holds: the common fields and its own options. */
export interface MultiStepLRStateDict extends LRSchedulerStateDict {
  /** The epochs at which the lr decays. */
  milestones: number[];
  /** The factor applied at each milestone. */
  gamma: number;
}

/**
 * Multiplies the lr by `gamma` at each milestone epoch, as PyTorch's `MultiStepLR`:
 * lr = baseLr · gamma^(number of milestones ≤ epoch). Milestones must be increasing non-negative
 * integers and `gamma` finite.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const scheduler = new optim.MultiStepLR(optimizer, { milestones: [2, 4], gamma: 0.5 });
 * const lrs = [scheduler.getLastLr()[0]!];
 * for (let epoch = 1; epoch < 6; epoch++) {
 *   optimizer.step();
 *   scheduler.step();
 *   lrs.push(scheduler.getLastLr()[0]!);
 * }
 * lrs; // → [1, 1, 0.5, 0.5, 0.25, 0.25]
 * new optim.MultiStepLR(optimizer, { milestones: [4, 2] }); // throws MultiStepLR: milestones must be increasing, got [4, 2]
 * ```
 */
export class MultiStepLR extends LRScheduler<MultiStepLRStateDict> {
  /** The epochs at which the lr decays. */
  milestones: number[];
  /** The factor applied at each milestone. */
  gamma: number;

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super("MultiStepLR", optimizer);
    const { milestones, gamma = 0.1 } = checkOptions("MultiStepLR", options);
    this.milestones = checkMilestones("MultiStepLR", milestones, 0);
    this.gamma = finiteNumber("MultiStepLR", "gamma", gamma);
    this.start();
  }

  /** Each group's lr times gamma at a milestone, else unchanged. */
  protected computeLr(): number[] {
    const decay = this.milestones.includes(this.lastEpoch);
    return this.optimizer.paramGroups.map((group) => (decay ? group.lr * this.gamma : group.lr));
  }

  /** The closed form at epoch 0: decayed once if 0 is a milestone. */
  protected override lrsAtStart(): number[] {
    return this.baseLrs.map((lr) => (this.milestones[0] === 0 ? lr * this.gamma : lr));
  }

  /** `milestones` and `gamma`. */
  protected override ownState(): Omit<MultiStepLRStateDict, keyof LRSchedulerStateDict> {
    return { milestones: [...this.milestones], gamma: this.gamma };
  }

  /** Checks and restores `milestones` and `gamma`. */
  protected override loadOwnState(op: string, stateDict: MultiStepLRStateDict): () => void {
    const milestones = checkMilestones(op, stateDict.milestones, 0);
    const gamma = finiteNumber(op, "gamma", stateDict.gamma);
    return () => {
      this.milestones = milestones;
      this.gamma = gamma;
    };
  }
}

/** A copy of `milestones`, checked to be strictly increasing integers, each at least `min`. */
export function checkMilestones(op: string, milestones: unknown, min: number): number[] {
  if (!Array.isArray(milestones) || !milestones.every((m) => Number.isSafeInteger(m) && m >= min)) {
    throw new NablaError(op, `milestones must be an array of integers ≥ ${min}, got ${describeValue(milestones)}`);
  }
  if (milestones.some((m, i) => i > 0 && m <= milestones[i - 1])) {
    throw new NablaError(op, `milestones must be increasing, got [${milestones.join(", ")}]`);
  }
  return [...milestones];
}

/** A function of the epoch giving the factor on the base lr. */
export type LRLambda = (epoch: number) => number;

/** Options of `LambdaLR`. */
export interface LambdaLROptions {
  /** The factor on the base lr as a function of the epoch: one for every group, or one per group. */
  lrLambda: LRLambda | readonly LRLambda[];
}

/**
 * Sets the lr to the base lr times `lrLambda(epoch)`, as PyTorch's `LambdaLR`. Give one function for
 * every group or an array with one per group. A function that returns anything but a finite number
 * throws, naming the epoch. The functions are not part of `stateDict()` (as PyTorch keeps plain
 * functions out of it): construct the scheduler with them, then load the state.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1 });
 * const scheduler = new optim.LambdaLR(optimizer, { lrLambda: (epoch) => 1 / (epoch + 1) });
 * scheduler.step();
 * scheduler.getLastLr(); // → [0.05]
 * ```
 */
export class LambdaLR extends LRScheduler {
  /** One function per parameter group. */
  readonly lrLambdas: readonly LRLambda[];

  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    super("LambdaLR", optimizer);
    const { lrLambda } = checkOptions("LambdaLR", options);
    const groups = optimizer.paramGroups.length;
    const lambdas = Array.isArray(lrLambda) ? [...lrLambda] : new Array<unknown>(groups).fill(lrLambda);
    if (lambdas.length !== groups)
      throw new NablaError("LambdaLR", `expected ${groups} lrLambda functions (one per parameter group), got ${lambdas.length}`);
    if (!lambdas.every((fn) => typeof fn === "function")) {
      throw new NablaError("LambdaLR", `lrLambda must be a function or an array of functions, got ${describeValue(lrLambda)}`);
    }
    this.lrLambdas = lambdas as LRLambda[];
    this.start();
  }

  /** baseLr · lrLambda(epoch) for each group. */
  protected computeLr(): number[] {
    // All factors are computed and checked before step() writes any group.
    return this.baseLrs.map((lr, i) => {
      const factor: unknown = this.lrLambdas[i]!(this.lastEpoch);
      if (!Number.isFinite(factor)) {
        this.lastEpoch -= 1; // leave the scheduler where it was
        throw new NablaError(
          "LambdaLR",
          `lrLambda[${i}](${this.lastEpoch + 1}) returned ${describeValue(factor)}, expected a finite number`,
        );
      }
      return lr * (factor as number);
    });
  }

  /** The same as any epoch: baseLr · lrLambda(0). */
  protected override lrsAtStart(): number[] {
    return this.computeLr();
  }
}

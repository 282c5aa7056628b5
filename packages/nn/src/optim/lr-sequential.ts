import { NablaError } from "@nabla/tensor/functional";
import { checkOptions, describeValue } from "@nabla/tensor/internal";
import { checkMilestones } from "./lr-decay";
import { LRScheduler, type LRSchedulerStateDict } from "./lr-scheduler";
import type { Optimizer } from "./optimizer";

/** Options of `SequentialLR`. */
export interface SequentialLROptions {
  /** The schedulers to run one after the other, all over the same optimizer (required). */
  schedulers: readonly LRScheduler[];
  /** The epochs at which the next scheduler takes over: increasing positive integers, one fewer than the schedulers (required). */
  milestones: readonly number[];
}

/** What `SequentialLR.stateDict()` holds: the common fields, the milestones and each scheduler's state. */
export interface SequentialLRStateDict extends LRSchedulerStateDict {
  /** The epochs at which the next scheduler takes over. */
  milestones: number[];
  /** Each scheduler's `stateDict()`, in order. */
  schedulers: LRSchedulerStateDict[];
}

/**
 * Runs schedulers one after the other, as PyTorch's `SequentialLR`: the first until `milestones[0]`,
 * where the second starts from its own epoch 0 (from the base lrs), and so on. Construct the
 * schedulers first, over the same optimizer; construction puts the lrs back to their initial values
 * and restarts the first scheduler. Schedulers over another optimizer, a `SequentialLR` among them,
 * or milestones that are not increasing, or not one fewer than the schedulers, throw.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const warmup = new optim.LinearLR(optimizer, { startFactor: 0.25, totalIters: 2 });
 * const decay = new optim.ExponentialLR(optimizer, { gamma: 0.5 });
 * const scheduler = new optim.SequentialLR(optimizer, { schedulers: [warmup, decay], milestones: [2] });
 * const lrs = [scheduler.getLastLr()[0]!];
 * for (let epoch = 1; epoch < 5; epoch++) {
 *   optimizer.step();
 *   scheduler.step();
 *   lrs.push(scheduler.getLastLr()[0]!);
 * }
 * lrs; // → [0.25, 0.625, 1, 0.5, 0.25]
 * ```
 */
export class SequentialLR extends LRScheduler<SequentialLRStateDict> {
  /** The schedulers, in the order they run. */
  readonly schedulers: readonly LRScheduler[];
  /** The epochs at which the next scheduler takes over. */
  milestones: number[];

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    const name = "SequentialLR";
    super(name, optimizer);
    const { schedulers, milestones } = checkOptions(name, options);
    if (!Array.isArray(schedulers) || schedulers.length === 0) {
      throw new NablaError(name, `schedulers must be a non-empty array of learning-rate schedulers, got ${describeValue(schedulers)}`);
    }
    schedulers.forEach((scheduler: unknown, i) => {
      // ReduceLROnPlateau needs a metric to step, and a nested SequentialLR cannot restart, as in PyTorch
      if (!(scheduler instanceof LRScheduler) || scheduler instanceof SequentialLR) {
        throw new NablaError(name, `schedulers[${i}] must be a learning-rate scheduler other than SequentialLR and ReduceLROnPlateau`);
      }
      if (scheduler.optimizer !== optimizer) throw new NablaError(name, `schedulers[${i}] belongs to another optimizer than the one given`);
    });
    this.milestones = checkMilestones(name, milestones, 1);
    if (this.milestones.length !== schedulers.length - 1) {
      throw new NablaError(
        name,
        `expected one milestone fewer than schedulers, got ${schedulers.length} schedulers and ${this.milestones.length} milestones`,
      );
    }
    this.schedulers = [...schedulers];
    // As PyTorch: reset the lrs, undo every scheduler's step 0, and redo the first scheduler's.
    for (const group of optimizer.paramGroups) group.lr = group.initialLr ?? group.lr;
    for (const scheduler of this.schedulers) scheduler.lastEpoch -= 1;
    this.start();
  }

  /** Steps the scheduler in charge of this epoch; at a milestone, the next one starts from its epoch 0. */
  protected computeLr(): number[] {
    const epoch = this.lastEpoch;
    const index = this.milestones.filter((milestone) => milestone <= epoch).length;
    const scheduler = this.schedulers[index]!;
    if (index > 0 && this.milestones[index - 1] === epoch) LRScheduler.restart(scheduler);
    else scheduler.step();
    return scheduler.getLastLr();
  }

  /** The milestones and every scheduler's state. */
  protected override ownState(): Omit<SequentialLRStateDict, keyof LRSchedulerStateDict> {
    return { milestones: [...this.milestones], schedulers: this.schedulers.map((scheduler) => scheduler.stateDict()) };
  }

  /** Checks the milestones and the number of scheduler states, then loads each into its scheduler. */
  protected override loadOwnState(op: string, stateDict: SequentialLRStateDict): () => void {
    const milestones = checkMilestones(op, stateDict.milestones, 1);
    const states = stateDict.schedulers;
    if (milestones.length !== this.schedulers.length - 1 || !Array.isArray(states) || states.length !== this.schedulers.length) {
      throw new NablaError(op, `expected ${this.schedulers.length} scheduler states and ${this.schedulers.length - 1} milestones`);
    }
    // Load into every scheduler, restoring those already loaded if a later one refuses its state.
    return () => {
      const saved = this.schedulers.map((scheduler) => scheduler.stateDict());
      try {
        for (const [i, scheduler] of this.schedulers.entries()) scheduler.loadStateDict(states[i]!);
      } catch (error) {
        for (const [i, scheduler] of this.schedulers.entries()) scheduler.loadStateDict(saved[i]!);
        throw error;
      }
      this.milestones = milestones;
    };
  }
}

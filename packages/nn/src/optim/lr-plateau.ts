import { NablaError, type Tensor, isTensor } from "@nabla/tensor";
import { checkOptions, describeValue } from "@nabla/tensor/internal";
import { checkStateDict, isNumberList, numberIn, perGroup } from "./lr-scheduler";
import { Optimizer } from "./optimizer";

/** Options of `ReduceLROnPlateau`, PyTorch's arguments in camelCase. */
export interface ReduceLROnPlateauOptions {
  /** "min" (default): the metric should fall, as a loss; "max": it should rise, as an accuracy. */
  mode?: "min" | "max";
  /** The factor applied to the lr on a plateau, in [0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement tolerated before the lr is reduced, a non-negative integer (default 10). */
  patience?: number;
  /** How much better than the best a metric must be to count as an improvement, ≥ 0 (default 1e-4). */
  threshold?: number;
  /** "rel" (default): better than best·(1 ∓ threshold); "abs": better than best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** Epochs after a reduction during which bad epochs are not counted, a non-negative integer (default 0). */
  cooldown?: number;
  /** The lowest lr, one for every group or one per group, ≥ 0 (default 0). */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped, ≥ 0 (default 1e-8). */
  eps?: number;
}

/** What `ReduceLROnPlateau.stateDict()` holds: its options and counters. */
export interface ReduceLROnPlateauStateDict {
  /** "min" or "max". */
  mode: "min" | "max";
  /** The factor applied to the lr on a plateau. */
  factor: number;
  /** Epochs without improvement tolerated. */
  patience: number;
  /** The improvement threshold. */
  threshold: number;
  /** "rel" or "abs". */
  thresholdMode: "rel" | "abs";
  /** Epochs to wait after a reduction. */
  cooldown: number;
  /** Each group's lowest lr. */
  minLrs: number[];
  /** The smallest reduction applied. */
  eps: number;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs: number;
  /** Epochs of cooldown left. */
  cooldownCounter: number;
  /** The number of `step(metric)` calls. */
  lastEpoch: number;
  /** The lrs after the last step. */
  lastLr: number[];
}

/**
 * Reduces the lr when a metric stops improving, as PyTorch's `ReduceLROnPlateau`: call
 * `step(metric)` after each validation; once the metric has not improved on the best (by
 * `threshold`) for more than `patience` epochs, every group's lr is multiplied by `factor` (not
 * below `minLr`), and `cooldown` epochs pass before bad epochs count again. A factor outside [0, 1),
 * an unknown mode or a negative patience throw.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const scheduler = new optim.ReduceLROnPlateau(optimizer, { patience: 1, factor: 0.5 });
 * for (const loss of [3, 2, 2, 2, 2, 2]) scheduler.step(loss);
 * scheduler.getLastLr(); // → [0.25]
 * new optim.ReduceLROnPlateau(optimizer, { factor: 1 }); // throws ReduceLROnPlateau: factor must be in [0, 1), got 1
 * ```
 */
export class ReduceLROnPlateau {
  /** The optimizer whose groups' `lr` this scheduler sets. */
  readonly optimizer: Optimizer;
  /** "min" or "max". */
  mode: "min" | "max";
  /** The factor applied to the lr on a plateau. */
  factor: number;
  /** Epochs without improvement tolerated. */
  patience: number;
  /** The improvement threshold. */
  threshold: number;
  /** "rel" or "abs". */
  thresholdMode: "rel" | "abs";
  /** Epochs to wait after a reduction. */
  cooldown: number;
  /** Each group's lowest lr. */
  minLrs: number[];
  /** The smallest reduction applied. */
  eps: number;
  /** The best metric so far (±Infinity before the first step). */
  best: number;
  /** Epochs since the last improvement. */
  numBadEpochs = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** The number of `step(metric)` calls. */
  lastEpoch = 0;
  private lastLr: number[];

  constructor(optimizer: Optimizer, options?: ReduceLROnPlateauOptions) {
    const name = "ReduceLROnPlateau";
    if (!(optimizer instanceof Optimizer)) throw new NablaError(name, "expected an optimizer (SGD, Adam, AdamW)");
    const {
      mode = "min",
      factor = 0.1,
      patience = 10,
      threshold = 1e-4,
      thresholdMode = "rel",
      cooldown = 0,
      minLr = 0,
      eps = 1e-8,
    } = checkOptions(name, options);
    this.optimizer = optimizer;
    this.mode = checkChoice(name, "mode", mode, ["min", "max"]);
    this.factor = checkFactor(name, factor);
    this.patience = nonNegativeInteger(name, "patience", patience);
    this.threshold = nonNegative(name, "threshold", threshold);
    this.thresholdMode = checkChoice(name, "thresholdMode", thresholdMode, ["rel", "abs"]);
    this.cooldown = nonNegativeInteger(name, "cooldown", cooldown);
    this.minLrs = perGroup(name, "minLr", minLr, optimizer.paramGroups.length, nonNegative);
    this.eps = nonNegative(name, "eps", eps);
    this.best = this.mode === "min" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  /**
   * Records one epoch's metric (a number or a one-element tensor; NaN counts as no improvement) and
   * reduces the lrs when the patience runs out.
   */
  step(metric: number | Tensor): void {
    const current = isTensor(metric, "ReduceLROnPlateau.step") && metric.numel === 1 ? Number(metric.item()) : metric;
    if (typeof current !== "number") {
      throw new NablaError("ReduceLROnPlateau.step", `metric must be a number or a one-element tensor, got ${describeValue(metric)}`);
    }
    this.lastEpoch += 1;
    if (this.isBetter(current)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs in cooldown are ignored
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((group, i) => {
        const lr = Math.max(group.lr * this.factor, this.minLrs[i]!);
        if (group.lr - lr > this.eps) group.lr = lr;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  private isBetter(metric: number): boolean {
    const { best, threshold } = this;
    if (this.mode === "min") return this.thresholdMode === "rel" ? metric < best * (1 - threshold) : metric < best - threshold;
    return this.thresholdMode === "rel" ? metric > best * (1 + threshold) : metric > best + threshold;
  }

  /** The learning rates after the last `step(metric)` (the optimizer's, before the first), one per group. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /**
   * A copy of the options and counters (best metric, bad epochs, cooldown left).
   *
   * @example
   * ```ts
   * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
   * const scheduler = new optim.ReduceLROnPlateau(optimizer, { mode: "max" });
   * scheduler.step(0.5);
   * scheduler.stateDict().best; // → 0.5
   * ```
   */
  stateDict(): ReduceLROnPlateauStateDict {
    const { mode, factor, patience, threshold, thresholdMode, cooldown, eps, best, numBadEpochs, cooldownCounter, lastEpoch } = this;
    return {
      ...{ mode, factor, patience, threshold, thresholdMode, cooldown, minLrs: [...this.minLrs], eps },
      ...{ best, numBadEpochs, cooldownCounter, lastEpoch, lastLr: [...this.lastLr] },
    };
  }

  /** Restores what `stateDict()` returned; every field is checked before any changes. */
  loadStateDict(stateDict: ReduceLROnPlateauStateDict): void {
    const op = "ReduceLROnPlateau.loadStateDict";
    checkStateDict(op, stateDict);
    const groups = this.optimizer.paramGroups.length;
    const { best, lastLr, minLrs } = stateDict;
    if (typeof best !== "number") throw new NablaError(op, `best must be a number, got ${describeValue(best)}`);
    if (!isNumberList(lastLr, groups) || !Array.isArray(minLrs)) {
      throw new NablaError(op, `expected lastLr and minLrs with one entry per parameter group (${groups})`);
    }
    const restored = {
      mode: checkChoice(op, "mode", stateDict.mode, ["min", "max"]),
      factor: checkFactor(op, stateDict.factor),
      patience: nonNegativeInteger(op, "patience", stateDict.patience),
      threshold: nonNegative(op, "threshold", stateDict.threshold),
      thresholdMode: checkChoice(op, "thresholdMode", stateDict.thresholdMode, ["rel", "abs"]),
      cooldown: nonNegativeInteger(op, "cooldown", stateDict.cooldown),
      minLrs: perGroup(op, "minLrs", minLrs, groups, nonNegative),
      eps: nonNegative(op, "eps", stateDict.eps),
      numBadEpochs: nonNegativeInteger(op, "numBadEpochs", stateDict.numBadEpochs),
      cooldownCounter: nonNegativeInteger(op, "cooldownCounter", stateDict.cooldownCounter),
      lastEpoch: nonNegativeInteger(op, "lastEpoch", stateDict.lastEpoch),
    };
    Object.assign(this, restored, { best });
    this.lastLr = [...lastLr];
  }
}

function checkChoice<C extends string>(op: string, name: string, value: unknown, choices: readonly C[]): C {
  if (!choices.includes(value as C)) {
    throw new NablaError(op, `${name} must be ${choices.map((c) => `"${c}"`).join(" or ")}, got ${describeValue(value)}`);
  }
  return value as C;
}

function checkFactor(op: string, value: unknown): number {
  return numberIn(op, "factor", value, (v) => v >= 0 && v < 1, "in [0, 1)");
}

function nonNegative(op: string, name: string, value: unknown): number {
  return numberIn(op, name, value, (v) => v >= 0, "a non-negative number");
}

function nonNegativeInteger(op: string, name: string, value: unknown): number {
  return numberIn(op, name, value, (v) => Number.isSafeInteger(v) && v >= 0, "a non-negative integer");
}

import { NablaError, type Tensor, isTensor } from "@nabla/tensor/functional";
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
  // The options and counters, as stateDict() holds them.
  #state: Omit<ReduceLROnPlateauStateDict, "lastLr">;
  #lastLr: number[];

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
    const checkedMode = checkChoice(name, "mode", mode, ["min", "max"]);
    this.#state = {
      mode: checkedMode,
      factor: checkFactor(name, factor),
      patience: nonNegativeInteger(name, "patience", patience),
      threshold: nonNegative(name, "threshold", threshold),
      thresholdMode: checkChoice(name, "thresholdMode", thresholdMode, ["rel", "abs"]),
      cooldown: nonNegativeInteger(name, "cooldown", cooldown),
      minLrs: perGroup(name, "minLr", minLr, optimizer.paramGroups.length, nonNegative),
      eps: nonNegative(name, "eps", eps),
      best: checkedMode === "min" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY,
      numBadEpochs: 0,
      cooldownCounter: 0,
      lastEpoch: 0,
    };
    this.#lastLr = optimizer.paramGroups.map((group) => group.lr);
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
    const state = this.#state;
    state.lastEpoch += 1;
    if (this.#isBetter(current)) {
      state.best = current;
      state.numBadEpochs = 0;
    } else {
      state.numBadEpochs += 1;
    }
    if (state.cooldownCounter > 0) {
      state.cooldownCounter -= 1;
      state.numBadEpochs = 0; // bad epochs in cooldown are ignored
    }
    if (state.numBadEpochs > state.patience) {
      this.optimizer.paramGroups.forEach((group, i) => {
        const lr = Math.max(group.lr * state.factor, state.minLrs[i]!);
        if (group.lr - lr > state.eps) group.lr = lr;
      });
      state.cooldownCounter = state.cooldown;
      state.numBadEpochs = 0;
    }
    this.#lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  #isBetter(metric: number): boolean {
    const { mode, thresholdMode, best, threshold } = this.#state;
    if (mode === "min") return thresholdMode === "rel" ? metric < best * (1 - threshold) : metric < best - threshold;
    return thresholdMode === "rel" ? metric > best * (1 + threshold) : metric > best + threshold;
  }

  /** The learning rates after the last `step(metric)` (the optimizer's, before the first), one per group. */
  getLastLr(): number[] {
    return [...this.#lastLr];
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
    return { ...structuredClone(this.#state), lastLr: [...this.#lastLr] };
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
    this.#state = { ...restored, best };
    this.#lastLr = [...lastLr];
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

import { NablaError } from "@nabla/tensor/functional";
import { checkOptions, describeValue } from "@nabla/tensor/internal";
import { LRScheduler, type LRSchedulerStateDict, finiteNumber, flag, numberIn, perGroup, positiveInteger } from "./lr-scheduler";
import type { Optimizer } from "./optimizer";

// Schedulers whose lr follows a cycle computed afresh each step from the base lrs:
// CosineAnnealingWarmRestarts (SGDR) and OneCycleLR.

/** Options of `CosineAnnealingWarmRestarts`. */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart, a positive integer (PyTorch's `T_0`; required). */
  t0: number;
  /** The factor by which each cycle is longer than the last, an integer ≥ 1 (default 1). */
  tMult?: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

/** What `CosineAnnealingWarmRestarts.stateDict()` holds: the common fields, its options and its position in the cycle. */
export interface CosineAnnealingWarmRestartsStateDict extends LRSchedulerStateDict {
  /** Epochs until the first restart. */
  t0: number;
  /** The growth factor of the cycle length. */
  tMult: number;
  /** The lowest lr. */
  etaMin: number;
  /** The length of the current cycle. */
  tI: number;
  /** Epochs since the last restart. */
  tCur: number;
}

/**
 * Cosine annealing with warm restarts (SGDR), as PyTorch's `CosineAnnealingWarmRestarts`: within a
 * cycle of `tI` epochs, lr = etaMin + (baseLr − etaMin)·(1 + cos(π·tCur/tI))/2; at the end of a cycle
 * the lr jumps back to the base lr and the next cycle is `tMult` times longer.
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 1 });
 * const scheduler = new optim.CosineAnnealingWarmRestarts(optimizer, { t0: 2, tMult: 2 });
 * const lrs = [scheduler.getLastLr()[0]!];
 * for (let epoch = 1; epoch < 7; epoch++) {
 *   optimizer.step();
 *   scheduler.step();
 *   lrs.push(Number(scheduler.getLastLr()[0]!.toFixed(4)));
 * }
 * lrs; // → [1, 0.5, 1, 0.8536, 0.5, 0.1464, 1]
 * ```
 */
export class CosineAnnealingWarmRestarts extends LRScheduler<CosineAnnealingWarmRestartsStateDict> {
  /** Epochs until the first restart. */
  t0: number;
  /** The growth factor of the cycle length. */
  tMult: number;
  /** The lowest lr. */
  etaMin: number;
  /** The length of the current cycle. */
  tI: number;
  /** Epochs since the last restart. */
  tCur = -1;

  constructor(optimizer: Optimizer, options: CosineAnnealingWarmRestartsOptions) {
    super("CosineAnnealingWarmRestarts", optimizer);
    const { t0, tMult = 1, etaMin = 0 } = checkOptions("CosineAnnealingWarmRestarts", options);
    this.t0 = positiveInteger("CosineAnnealingWarmRestarts", "t0", t0);
    this.tMult = positiveInteger("CosineAnnealingWarmRestarts", "tMult", tMult);
    this.etaMin = finiteNumber("CosineAnnealingWarmRestarts", "etaMin", etaMin);
    this.tI = this.t0;
    this.start();
  }

  /** Moves one epoch along the cycle, restarting (and lengthening the cycle) at its end. */
  protected computeLr(): number[] {
    if (this.lastEpoch === 0) {
      this.tI = this.t0;
      this.tCur = 0;
    } else {
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    }
    const { etaMin, tCur, tI } = this;
    return this.baseLrs.map((lr) => etaMin + ((lr - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  }

  /** Epoch 0 of the first cycle: the base lrs. */
  protected override lrsAtStart(): number[] {
    return this.computeLr();
  }

  /** The options with `tI` and `tCur`. */
  protected override ownState(): Omit<CosineAnnealingWarmRestartsStateDict, keyof LRSchedulerStateDict> {
    return { t0: this.t0, tMult: this.tMult, etaMin: this.etaMin, tI: this.tI, tCur: this.tCur };
  }

  /** Checks and restores the options, `tI` and `tCur`. */
  protected override loadOwnState(op: string, stateDict: CosineAnnealingWarmRestartsStateDict): () => void {
    const t0 = positiveInteger(op, "t0", stateDict.t0);
    const tMult = positiveInteger(op, "tMult", stateDict.tMult);
    const etaMin = finiteNumber(op, "etaMin", stateDict.etaMin);
    const tI = positiveInteger(op, "tI", stateDict.tI);
    const tCur = numberIn(op, "tCur", stateDict.tCur, (v) => Number.isInteger(v) && v >= 0 && v < tI, `an integer in [0, tI = ${tI})`);
    return () => {
      Object.assign(this, { t0, tMult, etaMin, tI, tCur });
    };
  }
}

/** Options of `OneCycleLR`, PyTorch's arguments in camelCase. */
export interface OneCycleLROptions {
  /** The peak lr, one for every group or one per group (required). */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  /** Epochs, multiplied by `stepsPerEpoch` when `totalSteps` is not given. */
  epochs?: number;
  /** Steps per epoch, multiplied by `epochs` when `totalSteps` is not given. */
  stepsPerEpoch?: number;
  /** The fraction of the cycle spent raising the lr, in [0, 1] (default 0.3). */
  pctStart?: number;
  /** "cos" (default) or "linear" annealing between the phase ends. */
  annealStrategy?: "cos" | "linear";
  /** Cycle the momentum (SGD's and RMSprop's `momentum`, Adam's and AdamW's beta1) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the peak lr, one for every group or one per group (default 0.85). */
  baseMomentum?: number | readonly number[];
  /** The momentum at the lowest lr, one for every group or one per group (default 0.95). */
  maxMomentum?: number | readonly number[];
  /** The starting lr is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final lr is the starting lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Rise, fall back to the starting lr, then anneal to the final lr, instead of two phases (default false). */
  threePhase?: boolean;
}

/** What `OneCycleLR.stateDict()` holds: the common fields and the cycle, per group. */
export interface OneCycleLRStateDict extends LRSchedulerStateDict {
  /** Steps in the cycle. */
  totalSteps: number;
  /** The peak lr of each group. */
  maxLrs: number[];
  /** The final lr of each group. */
  minLrs: number[];
  /** Each group's momentum at the lowest lr, or null without momentum cycling. */
  maxMomentums: number[] | null;
  /** Each group's momentum at the peak lr, or null without momentum cycling. */
  baseMomentums: number[] | null;
  /** The phase ends, as step numbers. */
  phaseEnds: number[];
  /** "cos" or "linear". */
  annealStrategy: "cos" | "linear";
  /** Whether the three-phase schedule is used. */
  threePhase: boolean;
}

/**
 * The 1cycle policy, as PyTorch's `OneCycleLR`: the lr rises from maxLr/divFactor to `maxLr` over the
 * first `pctStart` of `totalSteps`, then anneals to maxLr/(divFactor·finalDivFactor); the momentum
 * (beta1 for Adam and AdamW) moves the opposite way between `maxMomentum` and `baseMomentum`. Step it
 * after every batch. It may be stepped `totalSteps` times; one more step throws. Options are checked
 * as PyTorch checks them: a cycle length from `totalSteps` or `epochs`·`stepsPerEpoch`, `pctStart` in
 * [0, 1], and momentum cycling only for an optimizer with a momentum (not Adagrad).
 *
 * @example
 * ```ts
 * const optimizer = new optim.SGD([tensor([0], { requiresGrad: true })], { lr: 0.1, momentum: 0.9 });
 * const scheduler = new optim.OneCycleLR(optimizer, { maxLr: 1, totalSteps: 10 });
 * scheduler.getLastLr();              // → [0.04]
 * optimizer.paramGroups[0]!.momentum; // → 0.95
 * for (let step = 0; step < 2; step++) scheduler.step();
 * scheduler.getLastLr();              // → [1]
 * optimizer.paramGroups[0]!.momentum; // → 0.85
 * new optim.OneCycleLR(optimizer, { maxLr: 1 }); // throws OneCycleLR: expected totalSteps, or epochs and stepsPerEpoch
 * ```
 */
export class OneCycleLR extends LRScheduler<OneCycleLRStateDict> {
  /** The cycle (its length, phase ends, and each group's lrs and momentums), as `stateDict()` holds it. */
  cycle: OneCycle;

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    const name = "OneCycleLR";
    super(name, optimizer);
    const {
      maxLr,
      totalSteps,
      epochs,
      stepsPerEpoch,
      pctStart = 0.3,
      annealStrategy = "cos",
      cycleMomentum = true,
      baseMomentum = 0.85,
      maxMomentum = 0.95,
      divFactor = 25,
      finalDivFactor = 1e4,
      threePhase = false,
    } = checkOptions(name, options);
    let steps: number;
    if (totalSteps !== undefined) {
      steps = positiveInteger(name, "totalSteps", totalSteps);
    } else if (epochs !== undefined && stepsPerEpoch !== undefined) {
      steps = positiveInteger(name, "epochs", epochs) * positiveInteger(name, "stepsPerEpoch", stepsPerEpoch);
    } else {
      throw new NablaError(name, "expected totalSteps, or epochs and stepsPerEpoch");
    }
    numberIn(name, "pctStart", pctStart, (v) => v >= 0 && v <= 1, "in [0, 1]");
    const strategy = checkAnneal(name, annealStrategy);
    const three = flag(name, "threePhase", threePhase);
    const ends = phaseEnds(name, steps, pctStart, three);
    const groups = optimizer.paramGroups.length;
    const positive = (op: string, what: string, value: unknown) => numberIn(op, what, value, (v) => v > 0, "a positive number");
    const maxLrs = perGroup(name, "maxLr", maxLr, groups, positive);
    const div = positive(name, "divFactor", divFactor);
    const finalDiv = positive(name, "finalDivFactor", finalDivFactor);
    const initialLrs = maxLrs.map((lr) => lr / div);
    let maxMomentums: number[] | null = null;
    let baseMomentums: number[] | null = null;
    if (flag(name, "cycleMomentum", cycleMomentum)) {
      if (!("momentum" in optimizer.defaults) && !("betas" in optimizer.defaults)) {
        throw new NablaError(name, `cycleMomentum needs an optimizer with a momentum or betas, got ${optimizer.constructor.name}`);
      }
      const momentum = (op: string, what: string, value: unknown) => numberIn(op, what, value, (v) => v >= 0 && v < 1, "in [0, 1)");
      maxMomentums = perGroup(name, "maxMomentum", maxMomentum, groups, momentum);
      baseMomentums = perGroup(name, "baseMomentum", baseMomentum, groups, momentum);
    }
    const minLrs = initialLrs.map((lr) => lr / finalDiv);
    this.cycle = {
      totalSteps: steps,
      maxLrs,
      minLrs,
      maxMomentums,
      baseMomentums,
      phaseEnds: ends,
      annealStrategy: strategy,
      threePhase: three,
    };
    this.start(initialLrs);
  }

  /** The lr (and momentum, written into the groups) at step `lastEpoch` of the cycle, from the base lrs. */
  protected computeLr(): number[] {
    const { cycle, lastEpoch: step } = this;
    let phase = 0;
    while (phase < cycle.phaseEnds.length - 1 && step > cycle.phaseEnds[phase]!) phase++;
    const phaseStart = phase === 0 ? 0 : cycle.phaseEnds[phase - 1]!;
    if (step > cycle.totalSteps || cycle.phaseEnds[phase] === phaseStart) {
      this.lastEpoch -= 1; // leave the scheduler where it was
      throw new NablaError("OneCycleLR", `tried to step ${step + 1} times; totalSteps is ${cycle.totalSteps}`);
    }
    const pct = (step - phaseStart) / (cycle.phaseEnds[phase]! - phaseStart);
    const anneal = cycle.annealStrategy === "cos" ? annealCos : annealLinear;
    // Each phase runs from one of these lrs (momentums) to the next.
    const lrPoints = (i: number) =>
      cycle.threePhase
        ? [this.baseLrs[i]!, cycle.maxLrs[i]!, this.baseLrs[i]!, cycle.minLrs[i]!]
        : [this.baseLrs[i]!, cycle.maxLrs[i]!, cycle.minLrs[i]!];
    return this.optimizer.paramGroups.map((group, i) => {
      if (cycle.maxMomentums !== null && cycle.baseMomentums !== null) {
        const [max, base] = [cycle.maxMomentums[i]!, cycle.baseMomentums[i]!];
        const points = cycle.threePhase ? [max, base, max, max] : [max, base, max];
        const momentum = anneal(points[phase]!, points[phase + 1]!, pct);
        const betas = (group as { betas?: [number, number] }).betas;
        if (betas !== undefined) (group as { betas?: [number, number] }).betas = [momentum, betas[1]];
        else (group as { momentum?: number }).momentum = momentum;
      }
      const points = lrPoints(i);
      return anneal(points[phase]!, points[phase + 1]!, pct);
    });
  }

  /** Step 0 of the cycle. */
  protected override lrsAtStart(): number[] {
    return this.computeLr();
  }

  /** The cycle: its length, phase ends, lrs and momentums per group. */
  protected override ownState(): OneCycle {
    return structuredClone(this.cycle);
  }

  /** Checks and restores the cycle. */
  protected override loadOwnState(op: string, stateDict: OneCycleLRStateDict): () => void {
    const groups = this.optimizer.paramGroups.length;
    const totalSteps = positiveInteger(op, "totalSteps", stateDict.totalSteps);
    const threePhase = flag(op, "threePhase", stateDict.threePhase);
    const annealStrategy = checkAnneal(op, stateDict.annealStrategy);
    const lists = (["maxLrs", "minLrs", "maxMomentums", "baseMomentums"] as const).map((field) => {
      const value = stateDict[field];
      if (value === null && field.endsWith("Momentums")) return null;
      if (!Array.isArray(value)) throw new NablaError(op, `${field} must be an array of ${groups} numbers, got ${describeValue(value)}`);
      return perGroup(op, field, value, groups, finiteNumber);
    });
    if ((lists[2] === null) !== (lists[3] === null))
      throw new NablaError(op, "maxMomentums and baseMomentums must both be arrays or both null");
    const ends = stateDict.phaseEnds;
    if (!Array.isArray(ends) || ends.length !== (threePhase ? 3 : 2) || !ends.every(Number.isFinite) || ends.at(-1) !== totalSteps - 1) {
      throw new NablaError(
        op,
        `phaseEnds must be ${threePhase ? 3 : 2} finite step numbers ending at totalSteps - 1, got ${describeValue(ends)}`,
      );
    }
    const [maxLrs, minLrs, maxMomentums, baseMomentums] = lists as [number[], number[], number[] | null, number[] | null];
    return () => {
      this.cycle = { totalSteps, maxLrs, minLrs, maxMomentums, baseMomentums, phaseEnds: [...ends], annealStrategy, threePhase };
    };
  }
}

/** OneCycleLR's own fields of its state dict. */
type OneCycle = Omit<OneCycleLRStateDict, keyof LRSchedulerStateDict>;

function checkAnneal(op: string, value: unknown): "cos" | "linear" {
  if (value !== "cos" && value !== "linear")
    throw new NablaError(op, `annealStrategy must be "cos" or "linear", got ${describeValue(value)}`);
  return value;
}

/**
 * PyTorch's phase end steps. A phase of length 0 would divide 0 by 0 at its first step; before the
 * last phase that step is always reached, so such a cycle is refused here (the last phase is empty
 * only with pctStart 1, and only the extra step past totalSteps − 1 reaches it: that step throws).
 */
function phaseEnds(op: string, totalSteps: number, pctStart: number, threePhase: boolean): number[] {
  const ends = threePhase
    ? [pctStart * totalSteps - 1, 2 * pctStart * totalSteps - 2, totalSteps - 1]
    : [pctStart * totalSteps - 1, totalSteps - 1];
  ends.slice(0, -1).forEach((end, i) => {
    if (end === (i === 0 ? 0 : ends[i - 1])) {
      throw new NablaError(op, `pctStart ${pctStart} with totalSteps ${totalSteps} leaves phase ${i + 1} of the cycle empty`);
    }
  });
  return ends;
}

// Cosine anneal from `start` to `end` as pct goes from 0 to 1.
function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

function annealLinear(start: number, end: number, pct: number): number {
  return (end - start) * pct + start;
}

import { describe, expect, it } from "vitest";
import { NablaError, tensor } from "@nabla/tensor";
import { optim } from "@nabla/nn";
import { loadFixture } from "../support/fixtures";
import { nablaError } from "../support/errors";

// LinearLR, ExponentialLR, MultiStepLR, LambdaLR, OneCycleLR, CosineAnnealingWarmRestarts,
// SequentialLR and ReduceLROnPlateau against PyTorch's trajectories (test/fixtures/gen_schedulers.py),
// their state dicts, and their refusals.

interface Snapshot {
  lrs: number[];
  momentums: number[];
}
interface Case {
  name: string;
  kind: string;
  options: Record<string, unknown>;
  optimizer: "SGD" | "Adam";
  lr: number;
  metrics?: number[];
  trajectory: Snapshot[];
}

const { cases } = loadFixture<{ cases: Case[] }>("optim_lr_schedulers.json");

/** The functions gen_schedulers.py names in LAMBDAS. */
const LAMBDAS: Record<string, optim.LRLambda> = {
  inverse: (epoch) => 1 / (epoch + 1),
  power: (epoch) => 0.95 ** epoch,
  warmup: (epoch) => Math.min(1, (epoch + 1) / 4),
};

type AnyScheduler = optim.LRScheduler | optim.ReduceLROnPlateau;

function makeScheduler(kind: string, options: Record<string, unknown>, optimizer: optim.Optimizer): AnyScheduler {
  const o = options as never;
  switch (kind) {
    case "StepLR":
      return new optim.StepLR(optimizer, o);
    case "CosineAnnealingLR":
      return new optim.CosineAnnealingLR(optimizer, o);
    case "LinearLR":
      return new optim.LinearLR(optimizer, o);
    case "ExponentialLR":
      return new optim.ExponentialLR(optimizer, o);
    case "MultiStepLR":
      return new optim.MultiStepLR(optimizer, o);
    case "LambdaLR": {
      const names = options.lrLambda as string | string[];
      return new optim.LambdaLR(optimizer, { lrLambda: Array.isArray(names) ? names.map((n) => LAMBDAS[n]!) : LAMBDAS[names]! });
    }
    case "OneCycleLR":
      return new optim.OneCycleLR(optimizer, o);
    case "CosineAnnealingWarmRestarts":
      return new optim.CosineAnnealingWarmRestarts(optimizer, o);
    case "SequentialLR": {
      const specs = options.schedulers as [string, Record<string, unknown>][];
      const schedulers = specs.map(([k, opts]) => makeScheduler(k, opts, optimizer) as optim.LRScheduler);
      return new optim.SequentialLR(optimizer, { schedulers, milestones: options.milestones as number[] });
    }
    case "ReduceLROnPlateau":
      return new optim.ReduceLROnPlateau(optimizer, o);
    default:
      throw new Error(`unknown scheduler ${kind}`);
  }
}

/** The fixture's optimizer: two groups, base lrs `lr` and `lr / 2`. */
function makeOptimizer(name: Case["optimizer"], lr: number): optim.Optimizer {
  const groups = [{ params: [tensor([0], { requiresGrad: true })] }, { params: [tensor([0], { requiresGrad: true })], lr: lr / 2 }];
  return name === "SGD" ? new optim.SGD(groups, { lr, momentum: 0.9 }) : new optim.Adam(groups, { lr });
}

function snapshot(optimizer: optim.Optimizer): Snapshot {
  return {
    lrs: optimizer.paramGroups.map((group) => group.lr),
    momentums: optimizer.paramGroups.map((group) => {
      const { betas, momentum } = group as { betas?: number[]; momentum?: number };
      return betas === undefined ? momentum! : betas[0]!;
    }),
  };
}

function stepScheduler(scheduler: AnyScheduler, metric: number | undefined): void {
  if (scheduler instanceof optim.ReduceLROnPlateau) scheduler.step(metric!);
  else scheduler.step();
}

/**
 * Fails with the first step (and group, and quantity) where `got` is not within 1e-12 (relative) of
 * PyTorch's, or 1e-16 absolute for an lr PyTorch rounds to a hair around 0.
 */
function expectTrajectory(got: Snapshot[], want: Snapshot[], from = 0): void {
  expect(got.length).toBe(want.length - from);
  got.forEach((snap, i) => {
    for (const key of ["lrs", "momentums"] as const) {
      snap[key].forEach((value, g) => {
        const reference = want[i + from]![key][g]!;
        if (!(Math.abs(value - reference) <= Math.max(1e-12 * Math.abs(reference), 1e-16))) {
          expect.fail(`step ${i + from}, group ${g}: ${key} ${value}, PyTorch ${reference}`);
        }
      });
    }
  });
}

function run(c: Case, scheduler: AnyScheduler, optimizer: optim.Optimizer, steps: number[]): Snapshot[] {
  return steps.map((step) => {
    optimizer.step();
    stepScheduler(scheduler, c.metrics?.[step]);
    expect(scheduler.getLastLr()).toEqual(optimizer.paramGroups.map((group) => group.lr));
    return snapshot(optimizer);
  });
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe("schedulers match PyTorch step for step", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const optimizer = makeOptimizer(c.optimizer, c.lr);
    const scheduler = makeScheduler(c.kind, c.options, optimizer);
    const steps = c.trajectory.length - 1;
    expectTrajectory([snapshot(optimizer), ...run(c, scheduler, optimizer, range(0, steps))], c.trajectory);
  });

  it("covers every new scheduler, OneCycleLR with Adam's betas and SGD's momentum, and plateaus that reduce", () => {
    const kinds = new Set(cases.map((c) => c.kind));
    for (const kind of [
      "LinearLR",
      "ExponentialLR",
      "MultiStepLR",
      "LambdaLR",
      "OneCycleLR",
      "CosineAnnealingWarmRestarts",
      "SequentialLR",
      "ReduceLROnPlateau",
    ]) {
      expect(kinds.has(kind)).toBe(true);
    }
    const oneCycle = cases.filter((c) => c.kind === "OneCycleLR");
    expect(new Set(oneCycle.map((c) => c.optimizer))).toEqual(new Set(["SGD", "Adam"]));
    for (const c of cases.filter((c) => c.kind === "ReduceLROnPlateau")) {
      const last = c.trajectory.at(-1)!.lrs[0]!;
      expect(last).toBeLessThan(c.lr);
    }
  });
});

describe("stateDict → loadStateDict continues the trajectory", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const steps = c.trajectory.length - 1;
    const half = Math.floor(steps / 2);
    const optimizer = makeOptimizer(c.optimizer, c.lr);
    const scheduler = makeScheduler(c.kind, c.options, optimizer);
    run(c, scheduler, optimizer, range(0, half));
    const savedOptimizer = optimizer.stateDict();
    // through JSON, as a checkpoint file (ReduceLROnPlateau's best is finite once it has stepped)
    const savedScheduler = JSON.parse(JSON.stringify(scheduler.stateDict()));
    const resumedOptimizer = makeOptimizer(c.optimizer, 123);
    const resumed = makeScheduler(c.kind, c.options, resumedOptimizer);
    resumedOptimizer.loadStateDict(savedOptimizer); // after the scheduler's construction, which writes lrs (and momentum)
    resumed.loadStateDict(savedScheduler);
    expect(resumed.getLastLr()).toEqual(scheduler.getLastLr());
    expectTrajectory(run(c, resumed, resumedOptimizer, range(half, steps)), c.trajectory, half + 1);
    run(c, scheduler, optimizer, range(half, steps));
    expect(resumed.stateDict()).toEqual(scheduler.stateDict());
  });
});

describe("scheduler behaviour beyond the fixtures", () => {
  it("OneCycleLR may be stepped totalSteps times; one more throws and changes nothing", () => {
    const optimizer = makeOptimizer("SGD", 0.1);
    const scheduler = new optim.OneCycleLR(optimizer, { maxLr: 1, totalSteps: 4 });
    for (let step = 0; step < 4; step++) scheduler.step();
    const state = scheduler.stateDict();
    const lrs = optimizer.paramGroups.map((group) => group.lr);
    expect(nablaError(() => scheduler.step()).message).toBe("OneCycleLR: tried to step 6 times; totalSteps is 4");
    expect(scheduler.stateDict()).toEqual(state);
    expect(optimizer.paramGroups.map((group) => group.lr)).toEqual(lrs);
  });

  it("OneCycleLR sets initialLr to maxLr / divFactor, replacing the optimizer's lr", () => {
    const optimizer = makeOptimizer("Adam", 0.1);
    const scheduler = new optim.OneCycleLR(optimizer, { maxLr: [2, 4], totalSteps: 10, divFactor: 4 });
    expect(scheduler.baseLrs).toEqual([0.5, 1]);
    expect(optimizer.paramGroups.map((group) => group.initialLr)).toEqual([0.5, 1]);
    expect((optimizer.paramGroups[0] as unknown as { betas: number[] }).betas).toEqual([0.95, 0.999]);
  });

  it("ReduceLROnPlateau takes a one-element tensor as its metric", () => {
    const optimizer = makeOptimizer("SGD", 1);
    const scheduler = new optim.ReduceLROnPlateau(optimizer, { patience: 0, factor: 0.5 });
    scheduler.step(tensor([2]));
    scheduler.step(tensor(3));
    expect(scheduler.getLastLr()).toEqual([0.5, 0.25]);
  });

  it("LambdaLR refuses a factor that is not a finite number, naming the epoch, and changes nothing", () => {
    const optimizer = makeOptimizer("SGD", 1);
    const scheduler = new optim.LambdaLR(optimizer, { lrLambda: (epoch) => (epoch === 2 ? Number.NaN : 1) });
    scheduler.step();
    expect(nablaError(() => scheduler.step()).message).toBe("LambdaLR: lrLambda[0](2) returned NaN, expected a finite number");
    expect(scheduler.lastEpoch).toBe(1);
  });

  it("SequentialLR refuses a state dict with the wrong number of scheduler states, changing nothing", () => {
    const optimizer = makeOptimizer("SGD", 1);
    const first = new optim.ExponentialLR(optimizer, { gamma: 0.5 });
    const second = new optim.StepLR(optimizer, { stepSize: 1 });
    const scheduler = new optim.SequentialLR(optimizer, { schedulers: [first, second], milestones: [2] });
    scheduler.step();
    const state = scheduler.stateDict();
    expect(nablaError(() => scheduler.loadStateDict({ ...state, schedulers: [state.schedulers[0]!] })).message).toBe(
      "SequentialLR.loadStateDict: expected 2 scheduler states and 1 milestones",
    );
    const bad = { ...state, schedulers: [state.schedulers[0]!, { ...state.schedulers[1]!, stepSize: 0 }] };
    expect(nablaError(() => scheduler.loadStateDict(bad)).message).toBe("StepLR.loadStateDict: stepSize must be a positive integer, got 0");
    expect(scheduler.stateDict()).toEqual(state);
  });
});

describe("scheduler validation", () => {
  const sgd = () => makeOptimizer("SGD", 0.1);
  const adagrad = () => new optim.Adagrad([tensor([0], { requiresGrad: true })]);
  const cases: [string, () => unknown, string][] = [
    ["LinearLR startFactor 0", () => new optim.LinearLR(sgd(), { startFactor: 0 }), "LinearLR: startFactor must be in (0, 1], got 0"],
    ["LinearLR endFactor 2", () => new optim.LinearLR(sgd(), { endFactor: 2 }), "LinearLR: endFactor must be in [0, 1], got 2"],
    ["LinearLR totalIters 0", () => new optim.LinearLR(sgd(), { totalIters: 0 }), "LinearLR: totalIters must be a positive integer, got 0"],
    [
      "ExponentialLR without gamma",
      () => new optim.ExponentialLR(sgd(), {} as never),
      "ExponentialLR: gamma must be a finite number, got undefined",
    ],
    [
      "MultiStepLR milestones not increasing",
      () => new optim.MultiStepLR(sgd(), { milestones: [3, 3] }),
      "MultiStepLR: milestones must be increasing, got [3, 3]",
    ],
    [
      "MultiStepLR negative milestone",
      () => new optim.MultiStepLR(sgd(), { milestones: [-1] }),
      "MultiStepLR: milestones must be an array of integers ≥ 0, got [-1]",
    ],
    [
      "LambdaLR with too few functions",
      () => new optim.LambdaLR(sgd(), { lrLambda: [() => 1] }),
      "LambdaLR: expected 2 lrLambda functions (one per parameter group), got 1",
    ],
    [
      "LambdaLR with a number",
      () => new optim.LambdaLR(sgd(), { lrLambda: 1 as never }),
      "LambdaLR: lrLambda must be a function or an array of functions, got 1",
    ],
    [
      "OneCycleLR without a length",
      () => new optim.OneCycleLR(sgd(), { maxLr: 1, epochs: 3 }),
      "OneCycleLR: expected totalSteps, or epochs and stepsPerEpoch",
    ],
    [
      "OneCycleLR totalSteps 0",
      () => new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 0 }),
      "OneCycleLR: totalSteps must be a positive integer, got 0",
    ],
    [
      "OneCycleLR stepsPerEpoch 1.5",
      () => new optim.OneCycleLR(sgd(), { maxLr: 1, epochs: 2, stepsPerEpoch: 1.5 }),
      "OneCycleLR: stepsPerEpoch must be a positive integer, got 1.5",
    ],
    [
      "OneCycleLR pctStart 1.5",
      () => new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, pctStart: 1.5 }),
      "OneCycleLR: pctStart must be in [0, 1], got 1.5",
    ],
    [
      "OneCycleLR an empty first phase",
      () => new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, pctStart: 0.1 }),
      "OneCycleLR: pctStart 0.1 with totalSteps 10 leaves phase 1 of the cycle empty",
    ],
    [
      "OneCycleLR annealStrategy",
      () => new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 10, annealStrategy: "exp" as never }),
      'OneCycleLR: annealStrategy must be "cos" or "linear", got "exp"',
    ],
    [
      "OneCycleLR maxLr list of the wrong length",
      () => new optim.OneCycleLR(sgd(), { maxLr: [1], totalSteps: 10 }),
      "OneCycleLR: expected 2 values for maxLr (one per parameter group), got 1",
    ],
    [
      "OneCycleLR cycling the momentum of Adagrad",
      () => new optim.OneCycleLR(adagrad(), { maxLr: 1, totalSteps: 10 }),
      "OneCycleLR: cycleMomentum needs an optimizer with a momentum or betas, got Adagrad",
    ],
    [
      "CosineAnnealingWarmRestarts t0 0",
      () => new optim.CosineAnnealingWarmRestarts(sgd(), { t0: 0 }),
      "CosineAnnealingWarmRestarts: t0 must be a positive integer, got 0",
    ],
    [
      "CosineAnnealingWarmRestarts tMult 1.5",
      () => new optim.CosineAnnealingWarmRestarts(sgd(), { t0: 2, tMult: 1.5 }),
      "CosineAnnealingWarmRestarts: tMult must be a positive integer, got 1.5",
    ],
    [
      "SequentialLR milestones not increasing",
      () => {
        const optimizer = sgd();
        const schedulers = [1, 2, 3].map(() => new optim.ExponentialLR(optimizer, { gamma: 0.5 }));
        return new optim.SequentialLR(optimizer, { schedulers, milestones: [4, 2] });
      },
      "SequentialLR: milestones must be increasing, got [4, 2]",
    ],
    [
      "SequentialLR with too many milestones",
      () => {
        const optimizer = sgd();
        return new optim.SequentialLR(optimizer, { schedulers: [new optim.ExponentialLR(optimizer, { gamma: 0.5 })], milestones: [2] });
      },
      "SequentialLR: expected one milestone fewer than schedulers, got 1 schedulers and 1 milestones",
    ],
    [
      "SequentialLR over another optimizer",
      () => new optim.SequentialLR(sgd(), { schedulers: [new optim.ExponentialLR(sgd(), { gamma: 0.5 })], milestones: [] }),
      "SequentialLR: schedulers[0] belongs to another optimizer than the one given",
    ],
    [
      "SequentialLR given a plateau scheduler",
      () => {
        const optimizer = sgd();
        return new optim.SequentialLR(optimizer, { schedulers: [new optim.ReduceLROnPlateau(optimizer) as never], milestones: [] });
      },
      "SequentialLR: schedulers[0] must be a learning-rate scheduler other than SequentialLR and ReduceLROnPlateau",
    ],
    [
      "ReduceLROnPlateau factor 1",
      () => new optim.ReduceLROnPlateau(sgd(), { factor: 1 }),
      "ReduceLROnPlateau: factor must be in [0, 1), got 1",
    ],
    [
      "ReduceLROnPlateau mode",
      () => new optim.ReduceLROnPlateau(sgd(), { mode: "up" as never }),
      'ReduceLROnPlateau: mode must be "min" or "max", got "up"',
    ],
    [
      "ReduceLROnPlateau thresholdMode",
      () => new optim.ReduceLROnPlateau(sgd(), { thresholdMode: "x" as never }),
      'ReduceLROnPlateau: thresholdMode must be "rel" or "abs", got "x"',
    ],
    [
      "ReduceLROnPlateau patience -1",
      () => new optim.ReduceLROnPlateau(sgd(), { patience: -1 }),
      "ReduceLROnPlateau: patience must be a non-negative integer, got -1",
    ],
    [
      "ReduceLROnPlateau minLr list of the wrong length",
      () => new optim.ReduceLROnPlateau(sgd(), { minLr: [0] }),
      "ReduceLROnPlateau: expected 2 values for minLr (one per parameter group), got 1",
    ],
    [
      "ReduceLROnPlateau a string metric",
      () => new optim.ReduceLROnPlateau(sgd()).step("1" as never),
      'ReduceLROnPlateau.step: metric must be a number or a one-element tensor, got "1"',
    ],
  ];

  it.each(cases)("rejects %s", (_name, construct, message) => {
    expect(construct).toThrow(NablaError);
    expect(nablaError(construct).message).toBe(message);
  });
});

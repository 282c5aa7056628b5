import { describe, expect, it } from "vitest";
import { NablaError, tensor } from "@nabla/tensor";
import { optim } from "@nabla/nn";
import { loadFixture } from "../support/fixtures";

interface Schedule {
  kind: "StepLR" | "CosineAnnealingLR";
  options: Record<string, number>;
  lr: number;
  lrs: number[];
}

const schedules = loadFixture<Schedule[]>("optim_schedules.json");

function makeScheduler(kind: Schedule["kind"], optimizer: optim.Optimizer, options: Record<string, number>): optim.LRScheduler {
  return kind === "StepLR"
    ? new optim.StepLR(optimizer, options as unknown as optim.StepLROptions)
    : new optim.CosineAnnealingLR(optimizer, options as unknown as optim.CosineAnnealingLROptions);
}

function sgd(lr: number): optim.SGD {
  return new optim.SGD([tensor([0], { requiresGrad: true })], { lr });
}

describe("schedulers match PyTorch's learning rates", () => {
  it.each(schedules.map((s) => [`${s.kind} ${JSON.stringify(s.options)}`, s] as const))("%s", (_name, schedule) => {
    const optimizer = sgd(schedule.lr);
    const scheduler = makeScheduler(schedule.kind, optimizer, schedule.options);
    const lrs = [scheduler.getLastLr()[0]!];
    for (let step = 1; step < schedule.lrs.length; step++) {
      optimizer.step();
      scheduler.step();
      lrs.push(scheduler.getLastLr()[0]!);
      expect(optimizer.paramGroups[0]!.lr).toBe(lrs[step]);
    }
    lrs.forEach((lr, step) => {
      if (!(Math.abs(lr - schedule.lrs[step]!) <= 1e-12)) expect.fail(`epoch ${step}: got ${lr}, PyTorch ${schedule.lrs[step]}`);
    });
  });

  it("covers CosineAnnealingLR past 2·tMax", () => {
    const cosine = schedules.filter((s) => s.kind === "CosineAnnealingLR");
    expect(cosine.every((s) => s.lrs.length > 2 * s.options.tMax! + 1)).toBe(true);
  });

  it("StepLR decays by gamma = 0.1 by default", () => {
    const optimizer = sgd(1);
    const scheduler = new optim.StepLR(optimizer, { stepSize: 2 });
    const lrs = [];
    for (let step = 0; step < 5; step++) {
      lrs.push(scheduler.getLastLr()[0]);
      scheduler.step();
    }
    expect(lrs).toEqual([1, 1, 0.1, 0.1, 0.1 * 0.1]);
  });

  it("schedules every parameter group from its own base lr", () => {
    const optimizer = new optim.SGD(
      [{ params: [tensor([0], { requiresGrad: true })] }, { params: [tensor([0], { requiresGrad: true })], lr: 2 }],
      { lr: 1 },
    );
    const scheduler = new optim.CosineAnnealingLR(optimizer, { tMax: 2 });
    expect(scheduler.baseLrs).toEqual([1, 2]);
    scheduler.step();
    expect(scheduler.getLastLr()[0]).toBeCloseTo(0.5, 15);
    expect(scheduler.getLastLr()[1]).toBeCloseTo(1, 15);
    expect(optimizer.paramGroups.map((group) => group.initialLr)).toEqual([1, 2]);
  });
});

describe("scheduler state", () => {
  it.each([
    ["StepLR", { stepSize: 2, gamma: 0.5 }],
    ["CosineAnnealingLR", { tMax: 4, etaMin: 0.01 }],
  ] as const)("%s resumes from stateDict", (kind, options) => {
    const optimizer = sgd(0.1);
    const scheduler = makeScheduler(kind, optimizer, options);
    for (let step = 0; step < 3; step++) scheduler.step();
    const savedOptimizer = optimizer.stateDict();
    const savedScheduler = scheduler.stateDict();
    const continued = [];
    for (let step = 0; step < 6; step++) {
      scheduler.step();
      continued.push(scheduler.getLastLr()[0]);
    }

    const resumedOptimizer = sgd(0.1);
    resumedOptimizer.loadStateDict(savedOptimizer);
    // the hyperparameters in the dict win over the constructor's, as in PyTorch
    const resumed = makeScheduler(kind, resumedOptimizer, kind === "StepLR" ? { stepSize: 7 } : { tMax: 9 });
    resumed.loadStateDict(savedScheduler as never);
    expect(resumed.getLastLr()).toEqual(savedScheduler.lastLr);
    const trajectory = [];
    for (let step = 0; step < 6; step++) {
      resumed.step();
      trajectory.push(resumed.getLastLr()[0]);
    }
    expect(trajectory).toEqual(continued);
    expect(resumed.stateDict()).toEqual(scheduler.stateDict());
  });

  it("rejects a state dict for a different number of groups", () => {
    const scheduler = new optim.StepLR(sgd(0.1), { stepSize: 1 });
    expect(() => scheduler.loadStateDict({ lastEpoch: 2, baseLrs: [0.1, 0.2], lastLr: [0.1, 0.2], stepSize: 1, gamma: 0.1 })).toThrow(
      "StepLR.loadStateDict: expected baseLrs and lastLr with one entry per parameter group (1)",
    );
  });
});

describe("scheduler validation", () => {
  const cases: [string, () => unknown, string][] = [
    ["stepSize 0", () => new optim.StepLR(sgd(0.1), { stepSize: 0 }), "StepLR: stepSize must be a positive integer, got 0"],
    ["fractional stepSize", () => new optim.StepLR(sgd(0.1), { stepSize: 1.5 }), "StepLR: stepSize must be a positive integer, got 1.5"],
    ["NaN gamma", () => new optim.StepLR(sgd(0.1), { stepSize: 1, gamma: Number.NaN }), "StepLR: gamma must be a finite number, got NaN"],
    ["tMax 0", () => new optim.CosineAnnealingLR(sgd(0.1), { tMax: 0 }), "CosineAnnealingLR: tMax must be a positive integer, got 0"],
    [
      "infinite etaMin",
      () => new optim.CosineAnnealingLR(sgd(0.1), { tMax: 3, etaMin: Number.POSITIVE_INFINITY }),
      "CosineAnnealingLR: etaMin must be a finite number, got Infinity",
    ],
    ["a non-optimizer", () => new optim.StepLR({} as optim.Optimizer, { stepSize: 1 }), "StepLR: expected an optimizer (SGD, Adam, AdamW)"],
  ];

  it.each(cases)("rejects %s", (_name, construct, message) => {
    expect(construct).toThrow(NablaError);
    expect(construct).toThrow(message);
  });
});

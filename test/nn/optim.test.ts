import { describe, expect, it } from "vitest";
import { NablaError, type Tensor, tensor } from "@nabla/tensor";
import { optim } from "@nabla/nn";
import { loadFixture } from "../support/fixtures";
import { expectClose } from "../support/reference";
import { nablaError } from "../support/errors";

type Matrix = number[][];

interface TrajectoryStep {
  loss: number;
  lrUsed: number;
  w: Matrix;
  b: number[];
  unused: number[];
}

interface TrajectoryCase {
  name: string;
  optimizer: "SGD" | "Adam" | "AdamW" | "RMSprop" | "Adagrad";
  options: Record<string, unknown>;
  scheduler: { kind: "StepLR" | "CosineAnnealingLR"; options: Record<string, number> } | null;
  steps: TrajectoryStep[];
}

interface Trajectories {
  problem: { x: Matrix; y: Matrix; w: Matrix; b: number[]; unused: number[] };
  cases: TrajectoryCase[];
}

const fixture = loadFixture<Trajectories>("optim_trajectories.json");

/** The regression problem of gen_optim.py: loss = mean((x w + b − y)²); `unused` never gets a gradient. */
function makeProblem() {
  const { x, y, w, b, unused } = fixture.problem;
  return {
    x: tensor(x, { dtype: "float64" }),
    y: tensor(y, { dtype: "float64" }),
    w: tensor(w, { dtype: "float64", requiresGrad: true }),
    b: tensor(b, { dtype: "float64", requiresGrad: true }),
    unused: tensor(unused, { dtype: "float64", requiresGrad: true }),
  };
}

type Problem = ReturnType<typeof makeProblem>;

function makeOptimizer(kind: TrajectoryCase["optimizer"], params: Tensor[], options: Record<string, unknown>): optim.Optimizer {
  switch (kind) {
    case "SGD":
      return new optim.SGD(params, options as unknown as optim.SGDOptions);
    case "Adam":
      return new optim.Adam(params, options as optim.AdamOptions);
    case "AdamW":
      return new optim.AdamW(params, options as optim.AdamOptions);
    case "RMSprop":
      return new optim.RMSprop(params, options as optim.RMSpropOptions);
    case "Adagrad":
      return new optim.Adagrad(params, options as optim.AdagradOptions);
  }
}

function makeScheduler(optimizer: optim.Optimizer, scheduler: TrajectoryCase["scheduler"]) {
  if (scheduler === null) return null;
  if (scheduler.kind === "StepLR") return new optim.StepLR(optimizer, scheduler.options as unknown as optim.StepLROptions);
  return new optim.CosineAnnealingLR(optimizer, scheduler.options as unknown as optim.CosineAnnealingLROptions);
}

function lossOf({ x, y, w, b }: Problem): Tensor {
  return x.matmul(w).add(b).sub(y).square().mean();
}

/** One training step, as gen_optim.py does it; returns the loss. */
function trainStep(problem: Problem, optimizer: optim.Optimizer, scheduler: optim.LRScheduler | null): number {
  optimizer.zeroGrad();
  const loss = lossOf(problem);
  loss.backward();
  optimizer.step();
  scheduler?.step();
  return loss.item() as number;
}

describe("optimizers follow PyTorch's trajectories step for step (float64)", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const problem = makeProblem();
    const { w, b, unused } = problem;
    const optimizer = makeOptimizer(testCase.optimizer, [w, b, unused], testCase.options);
    const scheduler = makeScheduler(optimizer, testCase.scheduler);
    testCase.steps.forEach((expected, step) => {
      expect(optimizer.paramGroups[0]!.lr, `lr before step ${step}`).toBeCloseTo(expected.lrUsed, 12);
      const loss = trainStep(problem, optimizer, scheduler);
      expectClose([loss], [expected.loss], { rtol: 1e-10, atol: 1e-10 }, `loss at step ${step}`);
      expectClose(w.data(), expected.w.flat(), { rtol: 1e-10, atol: 1e-10 }, `w after step ${step}`);
      expectClose(b.data(), expected.b, { rtol: 1e-10, atol: 1e-10 }, `b after step ${step}`);
    });
    // a parameter without a gradient is skipped: untouched and without state
    expect(Array.from(unused.data())).toEqual(fixture.problem.unused);
    expect(unused.grad).toBeNull();
    expect(Object.keys(optimizer.stateDict().state).sort()).toEqual(
      testCase.options.momentum === undefined && testCase.optimizer === "SGD" ? [] : ["0", "1"],
    );
    // updates are in place: the optimizer still holds the very tensors the model uses
    const [heldW, heldB, heldUnused] = optimizer.paramGroups[0]!.params;
    expect(heldW).toBe(w);
    expect(heldB).toBe(b);
    expect(heldUnused).toBe(unused);
  });

  it("covers every configuration the task asks for", () => {
    const names = fixture.cases.map((c) => c.name);
    for (const name of [
      "sgd plain",
      "sgd momentum",
      "sgd momentum dampening",
      "sgd nesterov",
      "sgd weightDecay",
      "adam plain",
      "adam weightDecay",
      "adam amsgrad",
      "adamw defaults",
      "rmsprop plain",
      "rmsprop momentum",
      "rmsprop centered",
      "rmsprop weightDecay",
      "adagrad lrDecay",
      "adagrad weightDecay",
      "adagrad initialAccumulatorValue",
    ]) {
      expect(names).toContain(name);
    }
    expect(fixture.cases.filter((c) => c.scheduler !== null).length).toBeGreaterThanOrEqual(3);
    expect(fixture.cases.every((c) => c.steps.length >= 5)).toBe(true);
  });
});

describe("resuming from stateDict gives the identical trajectory", () => {
  const configurations: [string, TrajectoryCase["optimizer"], Record<string, unknown>, TrajectoryCase["scheduler"]][] = [
    [
      "SGD nesterov + StepLR",
      "SGD",
      { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
      { kind: "StepLR", options: { stepSize: 2, gamma: 0.5 } },
    ],
    [
      "Adam amsgrad + CosineAnnealingLR",
      "Adam",
      { lr: 0.1, betas: [0.9, 0.6], amsgrad: true },
      { kind: "CosineAnnealingLR", options: { tMax: 3, etaMin: 0.01 } },
    ],
    ["AdamW", "AdamW", { lr: 0.05, weightDecay: 0.2 }, null],
    ["RMSprop centered momentum", "RMSprop", { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.05 }, null],
    ["Adagrad + StepLR", "Adagrad", { lr: 0.2, lrDecay: 0.1, initialAccumulatorValue: 0.1 }, { kind: "StepLR", options: { stepSize: 2 } }],
  ];

  it.each(configurations)("%s", (_name, kind, options, schedulerSpec) => {
    const original = makeProblem();
    const optimizer = makeOptimizer(kind, [original.w, original.b, original.unused], options);
    const scheduler = makeScheduler(optimizer, schedulerSpec);
    for (let step = 0; step < 3; step++) trainStep(original, optimizer, scheduler);

    const savedParams = { w: original.w.clone(), b: original.b.clone() };
    const savedOptimizer = optimizer.stateDict();
    const savedScheduler = scheduler?.stateDict() ?? null;

    const continued: number[][] = [];
    for (let step = 0; step < 5; step++) {
      trainStep(original, optimizer, scheduler);
      continued.push([...original.w.data(), ...original.b.data(), optimizer.paramGroups[0]!.lr]);
    }

    const resumeFrom = (loadState: boolean) => {
      const problem = makeProblem();
      problem.w.detach().copy_(savedParams.w);
      problem.b.detach().copy_(savedParams.b);
      const resumed = makeOptimizer(kind, [problem.w, problem.b, problem.unused], options);
      if (loadState) resumed.loadStateDict(savedOptimizer);
      const resumedScheduler = makeScheduler(resumed, schedulerSpec);
      if (loadState && savedScheduler !== null) resumedScheduler!.loadStateDict(savedScheduler as never);
      const trajectory: number[][] = [];
      for (let step = 0; step < 5; step++) {
        trainStep(problem, resumed, resumedScheduler);
        trajectory.push([...problem.w.data(), ...problem.b.data(), resumed.paramGroups[0]!.lr]);
      }
      return trajectory;
    };

    expect(resumeFrom(true)).toEqual(continued); // bit for bit
    expect(resumeFrom(false)).not.toEqual(continued); // the state is what makes the difference
  });

  it("snapshots: the state dict holds copies, and loading copies again", () => {
    const problem = makeProblem();
    const optimizer = new optim.Adam([problem.w, problem.b]);
    trainStep(problem, optimizer, null);
    const saved = optimizer.stateDict();
    const expAvgBefore = Array.from((saved.state[0]!.expAvg as Tensor).data());
    trainStep(problem, optimizer, null);
    expect(Array.from((saved.state[0]!.expAvg as Tensor).data())).toEqual(expAvgBefore);
    expect(saved.state[0]!.step).toBe(1);
    expect(saved.paramGroups).toEqual([{ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, params: [0, 1] }]);
  });

  it("restores hyperparameters and casts state tensors to the parameters' dtype", () => {
    const source = makeProblem();
    const optimizer = new optim.SGD([source.w, source.b], { lr: 0.5, momentum: 0.9 });
    trainStep(source, optimizer, null);
    const w32 = tensor(fixture.problem.w, { requiresGrad: true });
    const b32 = tensor(fixture.problem.b, { requiresGrad: true });
    const target = new optim.SGD([w32, b32], { lr: 0.01 });
    target.loadStateDict(optimizer.stateDict());
    expect(target.paramGroups[0]!.lr).toBe(0.5);
    expect(target.paramGroups[0]!.momentum).toBe(0.9);
    expect(target.stateDict().state[0]!.momentumBuffer.dtype).toBe("float32");
  });

  it("rejects a state dict whose groups do not match", () => {
    const problem = makeProblem();
    const saved = new optim.SGD([problem.w, problem.b], { lr: 0.1 }).stateDict();
    const other = new optim.SGD([problem.w], { lr: 0.1 });
    expect(() => other.loadStateDict(saved)).toThrow(
      new NablaError("SGD.loadStateDict", "parameter group 0 has 2 parameters in the state dict, 1 in the optimizer"),
    );
    const twoGroups = new optim.SGD([{ params: [problem.w] }, { params: [problem.b] }], { lr: 0.1 });
    expect(() => twoGroups.loadStateDict(saved)).toThrow("SGD.loadStateDict: the state dict has 1 parameter groups, the optimizer 2");
  });

  it("rejects state whose shape differs from its parameter, changing nothing", () => {
    const problem = makeProblem();
    const optimizer = new optim.SGD([problem.w, problem.b], { lr: 0.1, momentum: 0.9 });
    trainStep(problem, optimizer, null);
    const saved = optimizer.stateDict();
    const swapped = { ...saved, state: { 0: saved.state[1]!, 1: saved.state[0]! } };
    const target = new optim.SGD([problem.w, problem.b], { lr: 0.3 });
    expect(() => target.loadStateDict(swapped)).toThrow(
      'SGD.loadStateDict: state "momentumBuffer" of parameter 0 has shape [2], the parameter [3, 2]',
    );
    expect(target.paramGroups[0]!.lr).toBe(0.3);
  });
});

describe("optimizer behaviour", () => {
  it("updates float32 parameters in float32", () => {
    const w = tensor([1, 2, 3], { requiresGrad: true });
    w.grad = tensor([0.5, -1, 2]);
    const optimizer = new optim.Adam([w], { lr: 0.1 });
    optimizer.step();
    expect(w.dtype).toBe("float32");
    // first Adam step: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε) ≈ lr·sign(g)
    expectClose(w.data(), [0.9, 2.1, 2.9], { rtol: 1e-6, atol: 1e-6 }, "w");
    expect((optimizer.stateDict().state[0]!.expAvg as Tensor).dtype).toBe("float32");
  });

  it("gives each parameter group its own hyperparameters", () => {
    const a = tensor([1, 1], { dtype: "float64", requiresGrad: true });
    const c = tensor([1, 1], { dtype: "float64", requiresGrad: true });
    const optimizer = new optim.SGD([{ params: [a] }, { params: [c], lr: 0.5 }], { lr: 0.1 });
    a.grad = tensor([1, 2], { dtype: "float64" });
    c.grad = tensor([1, 2], { dtype: "float64" });
    optimizer.step();
    expect(Array.from(a.data())).toEqual([0.9, 0.8]);
    expect(Array.from(c.data())).toEqual([0.5, 0]);
    expect(optimizer.paramGroups.map((group) => group.lr)).toEqual([0.1, 0.5]);
  });

  it("reads a changed lr on the next step", () => {
    const w = tensor([0], { dtype: "float64", requiresGrad: true });
    const optimizer = new optim.SGD([w], { lr: 1 });
    optimizer.paramGroups[0]!.lr = 0.25;
    w.grad = tensor([2], { dtype: "float64" });
    optimizer.step();
    expect(w.item()).toBe(-0.5);
  });

  it("zeroGrad sets every gradient to null", () => {
    const problem = makeProblem();
    const optimizer = new optim.SGD([problem.w, problem.b], { lr: 0.1 });
    lossOf(problem).backward();
    expect(problem.w.grad).not.toBeNull();
    optimizer.zeroGrad();
    expect(problem.w.grad).toBeNull();
    expect(problem.b.grad).toBeNull();
  });

  it("has PyTorch's defaults", () => {
    const w = tensor([1], { requiresGrad: true });
    expect(new optim.Adam([w]).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false });
    expect(new optim.AdamW([w]).defaults).toEqual({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false });
    expect(new optim.SGD([w], { lr: 0.1 }).defaults).toEqual({ lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false });
    expect(new optim.RMSprop([w]).defaults).toEqual({ lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false });
    expect(new optim.Adagrad([w]).defaults).toEqual({ lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
  });
});

describe("optimizer validation, as PyTorch", () => {
  const w = tensor([1, 2], { requiresGrad: true });
  const cases: [string, () => unknown, string][] = [
    ["no parameters", () => new optim.SGD([], { lr: 0.1 }), "SGD: got an empty parameter list"],
    ["no parameters (Adam)", () => new optim.Adam([]), "Adam: got an empty parameter list"],
    ["negative lr", () => new optim.SGD([w], { lr: -0.1 }), "SGD: invalid learning rate -0.1 (expected lr ≥ 0)"],
    ["NaN lr", () => new optim.Adam([w], { lr: Number.NaN }), "Adam: invalid learning rate NaN (expected lr ≥ 0)"],
    ["negative momentum", () => new optim.SGD([w], { lr: 0.1, momentum: -0.5 }), "SGD: invalid momentum -0.5 (expected momentum ≥ 0)"],
    [
      "negative weightDecay",
      () => new optim.SGD([w], { lr: 0.1, weightDecay: -1 }),
      "SGD: invalid weightDecay -1 (expected weightDecay ≥ 0)",
    ],
    [
      "nesterov without momentum",
      () => new optim.SGD([w], { lr: 0.1, nesterov: true }),
      "SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum 0, dampening 0",
    ],
    [
      "nesterov with dampening",
      () => new optim.SGD([w], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
      "SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum 0.9, dampening 0.1",
    ],
    ["beta2 = 1", () => new optim.Adam([w], { betas: [0.9, 1] }), "Adam: invalid beta 1 at index 1 (expected 0 ≤ beta < 1)"],
    ["negative beta1", () => new optim.AdamW([w], { betas: [-0.1, 0.999] }), "AdamW: invalid beta -0.1 at index 0 (expected 0 ≤ beta < 1)"],
    ["negative eps", () => new optim.Adam([w], { eps: -1e-8 }), "Adam: invalid eps -1e-8 (expected eps ≥ 0)"],
    [
      "negative weightDecay (AdamW)",
      () => new optim.AdamW([w], { weightDecay: -0.01 }),
      "AdamW: invalid weightDecay -0.01 (expected weightDecay ≥ 0)",
    ],
    [
      "a bad group override",
      () => new optim.SGD([{ params: [w], lr: -1 }], { lr: 0.1 }),
      "SGD: invalid learning rate -1 (expected lr ≥ 0)",
    ],
    [
      "a single tensor",
      () => new optim.SGD(w as unknown as Tensor[], { lr: 0.1 }),
      "SGD: params must be an iterable of Tensors or parameter groups, got a single Tensor (wrap it in an array)",
    ],
    [
      "a non-leaf tensor",
      () => new optim.SGD([w.mul(2)], { lr: 0.1 }),
      "SGD: params[0] (shape [2]) is not a leaf tensor, so it cannot be optimized",
    ],
    ["a duplicate", () => new optim.Adam([w, w]), "Adam: params[1] appears twice in the same parameter group"],
    [
      "a tensor in two groups",
      () => new optim.Adam([{ params: [w] }, { params: [w] }]),
      "Adam: params[0] already belongs to another parameter group",
    ],
    ["a non-tensor", () => new optim.SGD([w, 3 as unknown as Tensor], { lr: 0.1 }), "SGD: params[1] is not a Tensor"],
    ["no parameters (RMSprop)", () => new optim.RMSprop([]), "RMSprop: got an empty parameter list"],
    ["negative lr (RMSprop)", () => new optim.RMSprop([w], { lr: -0.1 }), "RMSprop: invalid learning rate -0.1 (expected lr ≥ 0)"],
    ["negative alpha", () => new optim.RMSprop([w], { alpha: -0.5 }), "RMSprop: invalid alpha -0.5 (expected alpha ≥ 0)"],
    ["NaN alpha", () => new optim.RMSprop([w], { alpha: Number.NaN }), "RMSprop: invalid alpha NaN (expected alpha ≥ 0)"],
    ["negative eps (RMSprop)", () => new optim.RMSprop([w], { eps: -1e-8 }), "RMSprop: invalid eps -1e-8 (expected eps ≥ 0)"],
    ["negative momentum (RMSprop)", () => new optim.RMSprop([w], { momentum: -1 }), "RMSprop: invalid momentum -1 (expected momentum ≥ 0)"],
    [
      "negative weightDecay (RMSprop)",
      () => new optim.RMSprop([w], { weightDecay: -1 }),
      "RMSprop: invalid weightDecay -1 (expected weightDecay ≥ 0)",
    ],
    [
      "a non-boolean centered",
      () => new optim.RMSprop([w], { centered: 1 as unknown as boolean }),
      "RMSprop: invalid centered 1 (expected true or false)",
    ],
    ["negative lr (Adagrad)", () => new optim.Adagrad([w], { lr: -1 }), "Adagrad: invalid learning rate -1 (expected lr ≥ 0)"],
    ["negative lrDecay", () => new optim.Adagrad([w], { lrDecay: -0.1 }), "Adagrad: invalid lrDecay -0.1 (expected lrDecay ≥ 0)"],
    [
      "negative weightDecay (Adagrad)",
      () => new optim.Adagrad([w], { weightDecay: -0.1 }),
      "Adagrad: invalid weightDecay -0.1 (expected weightDecay ≥ 0)",
    ],
    [
      "negative initialAccumulatorValue",
      () => new optim.Adagrad([w], { initialAccumulatorValue: -1 }),
      "Adagrad: invalid initialAccumulatorValue -1 (expected initialAccumulatorValue ≥ 0)",
    ],
    ["negative eps (Adagrad)", () => new optim.Adagrad([w], { eps: -1e-10 }), "Adagrad: invalid eps -1e-10 (expected eps ≥ 0)"],
  ];

  it.each(cases)("rejects %s", (_name, construct, message) => {
    expect(nablaError(construct).message).toBe(message);
  });
});

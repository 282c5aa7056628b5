import { describe, expect, it } from "vitest";
import { type Tensor, ones, tensor } from "@nabla/tensor";
import * as nn from "@nabla/nn";
import { loadFixture } from "../support/fixtures";
import { expectClose, fromFlat, TOLERANCE } from "../support/reference";

interface TensorEntry {
  shape: number[];
  values: number[];
}

interface ModuleCase {
  module: keyof typeof LOSSES;
  options: Record<string, TensorEntry | number | string | boolean>;
  repr: string;
  stateDict: Record<string, TensorEntry>;
  input: TensorEntry;
  target: TensorEntry;
  targetDtype: "int32" | "float64";
  out: number[];
  outShape: number[];
}

const fixture = loadFixture<{ cases: ModuleCase[]; sequential: { repr: string; stateDictKeys: string[] } }>("nn_losses.json");

const LOSSES = {
  CrossEntropyLoss: nn.CrossEntropyLoss,
  NLLLoss: nn.NLLLoss,
  MSELoss: nn.MSELoss,
  L1Loss: nn.L1Loss,
  SmoothL1Loss: nn.SmoothL1Loss,
  HuberLoss: nn.HuberLoss,
  BCELoss: nn.BCELoss,
  BCEWithLogitsLoss: nn.BCEWithLogitsLoss,
  KLDivLoss: nn.KLDivLoss,
};

const fromEntry = (entry: TensorEntry, dtype: "int32" | "float64" = "float64") => fromFlat(entry.values, entry.shape, dtype);

/** The module of a fixture case, its weight options as float64 tensors. */
function build(c: ModuleCase): nn.Module & { forward(input: Tensor, target: Tensor): Tensor } {
  const options = Object.fromEntries(
    Object.entries(c.options).map(([name, value]) => [name, typeof value === "object" ? fromEntry(value) : value]),
  );
  const Loss = LOSSES[c.module] as new (options: object) => nn.Module & { forward(input: Tensor, target: Tensor): Tensor };
  return new Loss(options);
}

const label = (c: ModuleCase) => `${c.module}(${JSON.stringify(Object.keys(c.options))})`;

describe("loss modules against PyTorch", () => {
  it("the fixture has every loss module", () => {
    expect(new Set(fixture.cases.map((c) => c.module))).toEqual(new Set(Object.keys(LOSSES)));
  });

  it.each(fixture.cases.map((c) => [label(c), c] as const))("%s: forward, repr and stateDict", (_label, c) => {
    const loss = build(c);
    const out = loss.forward(fromEntry(c.input), fromEntry(c.target, c.targetDtype));
    expect(out.shape).toEqual(c.outShape);
    expectClose(out.data(), c.out, TOLERANCE.float64, "value");
    expect(loss.toString()).toBe(c.repr);
    const stateDict = loss.stateDict();
    expect(Object.keys(stateDict)).toEqual(Object.keys(c.stateDict));
    for (const [name, entry] of Object.entries(c.stateDict)) {
      expect(stateDict[name]!.shape).toEqual(entry.shape);
      expectClose(stateDict[name]!.data(), entry.values, TOLERANCE.float64, name);
    }
    expect(loss.parameters()).toEqual([]);
  });

  it("a loss in a Sequential prints and names its buffers as PyTorch", () => {
    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.BCEWithLogitsLoss({ posWeight: ones([2]) }));
    expect(model.toString()).toBe(fixture.sequential.repr);
    expect(Object.keys(model.stateDict())).toEqual(fixture.sequential.stateDictKeys);
  });
});

describe("loss modules", () => {
  it("read their weight buffers when called, so loadStateDict changes the loss", () => {
    const loss = new nn.BCEWithLogitsLoss({ weight: tensor([1, 1]), posWeight: tensor([1, 1]) });
    const x = tensor([0.5, -1]);
    const y = tensor([1, 0]);
    const before = loss.forward(x, y).item() as number;
    loss.loadStateDict({ weight: tensor([2, 2]), pos_weight: tensor([1, 1]) });
    expect(loss.forward(x, y).item()).toBeCloseTo(2 * before, 6);
    expect(loss.weight!.toArray()).toEqual([2, 2]);
  });

  it("keep their options with PyTorch's defaults, as PyTorch's attributes", () => {
    expect(new nn.CrossEntropyLoss()).toMatchObject({ weight: null, ignoreIndex: -100, reduction: "mean", labelSmoothing: 0 });
    expect(new nn.SmoothL1Loss({ reduction: "sum" })).toMatchObject({ reduction: "sum", beta: 1 });
    expect(new nn.HuberLoss()).toMatchObject({ reduction: "mean", delta: 1 });
    expect(new nn.KLDivLoss({ reduction: "batchmean" })).toMatchObject({ reduction: "batchmean", logTarget: false });
    expect(new nn.BCEWithLogitsLoss()).toMatchObject({ weight: null, pos_weight: null, reduction: "mean" });
  });

  it("store a number[] weight of CrossEntropyLoss and NLLLoss as a float32 buffer", () => {
    const loss = new nn.CrossEntropyLoss({ weight: [1, 2, 3] });
    expect(loss.weight!.dtype).toBe("float32");
    expect(loss.namedBuffers().map(([name]) => name)).toEqual(["weight"]);
    expect(new nn.NLLLoss({ weight: [1, 2] }).stateDict().weight!.toArray()).toEqual([1, 2]);
  });

  it("check their options when called, as PyTorch, with the function's message", () => {
    const loss = new nn.MSELoss({ reduction: "avg" as "sum" });
    expect(() => loss.forward(tensor([1]), tensor([1]))).toThrow('mseLoss: reduction must be "none", "mean" or "sum", got "avg"');
    expect(() => new nn.HuberLoss({ delta: -1 }).forward(tensor([1]), tensor([1]))).toThrow(
      "huberLoss: delta must be a number > 0, got -1",
    );
  });

  it("refuse a weight that is not a Tensor (or a number[] for the class-index losses) at construction", () => {
    expect(() => new nn.BCELoss({ weight: [1, 2] as unknown as Tensor })).toThrow("BCELoss: weight must be a Tensor, got [1, 2]");
    expect(() => new nn.CrossEntropyLoss({ weight: "x" as unknown as Tensor })).toThrow(
      'CrossEntropyLoss: weight must be a Tensor or a number[], got "x"',
    );
    expect(() => new nn.BCEWithLogitsLoss({ posWeight: 2 as unknown as Tensor })).toThrow(
      "BCEWithLogitsLoss: posWeight must be a Tensor, got 2",
    );
  });

  it("pass gradients to the input as the functions do", () => {
    const x = tensor([0.2, 0.9], { requiresGrad: true });
    new nn.SmoothL1Loss({ beta: 0.5, reduction: "sum" }).forward(x, tensor([0, 0])).backward();
    expectClose(x.grad!.data(), [0.4, 1], { rtol: 1e-6, atol: 1e-7 }, "gradient");
  });
});

import { describe, expect, it } from "vitest";
import { tensor, zeros, type Tensor } from "@nabla/tensor";
import * as ops from "@nabla/ops";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";
import { expectClose, fromFlat, TOLERANCE, type FloatDType, type Tolerance } from "../support/reference";

type LossName = "mseLoss" | "l1Loss" | "smoothL1Loss" | "huberLoss" | "binaryCrossEntropy" | "binaryCrossEntropyWithLogits" | "klDiv";

interface TensorEntry {
  shape: number[];
  values: number[];
}

interface LossCase {
  name: string;
  op: LossName;
  dtype: FloatDType;
  shape: number[];
  input: number[];
  target: number[];
  options: { reduction?: string; weight?: TensorEntry; posWeight?: TensorEntry; beta?: number; delta?: number; logTarget?: boolean };
  out: number[];
  outShape: number[];
  cotangent: number[];
  gradInput: number[];
  gradTarget: number[];
}

const cases = loadFixture<{ cases: LossCase[] }>("ops_losses.json").cases;

// A loss sums a handful of products, so float32 drifts a little more than one elementwise op;
// the clamp cases' gradients near 1e12 are compared relatively.
const LOSS_TOLERANCE: Record<FloatDType, Tolerance> = { float64: TOLERANCE.float64, float32: { rtol: 1e-5, atol: 1e-5 } };

const LOSSES: Record<LossName, (input: Tensor, target: Tensor, options: object) => Tensor> = {
  mseLoss: ops.mseLoss,
  l1Loss: ops.l1Loss,
  smoothL1Loss: ops.smoothL1Loss,
  huberLoss: ops.huberLoss,
  binaryCrossEntropy: ops.binaryCrossEntropy,
  binaryCrossEntropyWithLogits: ops.binaryCrossEntropyWithLogits,
  klDiv: ops.klDiv,
};

/** The options of a fixture case with its weights as tensors of the case's dtype. */
function optionsOf(c: LossCase): object {
  const options: Record<string, unknown> = { ...c.options };
  for (const name of ["weight", "posWeight"] as const) {
    const entry = c.options[name];
    if (entry !== undefined) options[name] = fromFlat(entry.values, entry.shape, c.dtype);
  }
  return options;
}

describe("losses against PyTorch", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const input = fromFlat(c.input, c.shape, c.dtype, true);
    const target = fromFlat(c.target, c.shape, c.dtype, true);
    const tolerance = LOSS_TOLERANCE[c.dtype];
    const out = LOSSES[c.op](input, target, optionsOf(c));
    expect(out.shape).toEqual(c.outShape);
    expect(out.dtype).toBe(c.dtype);
    expectClose(out.data(), c.out, tolerance, "value");
    out.backward(fromFlat(c.cotangent, c.outShape, c.dtype));
    expectClose(input.grad?.data() ?? [], c.gradInput, tolerance, "input gradient");
    expectClose(target.grad?.data() ?? [], c.gradTarget, tolerance, "target gradient");
  });

  it("cover every loss, reduction and option", () => {
    const seen = new Set(cases.map((c) => `${c.op} ${c.options.reduction ?? "mean"}`));
    for (const op of Object.keys(LOSSES)) {
      for (const reduction of ["mean", "sum", "none"]) expect(seen, op).toContain(`${op} ${reduction}`);
    }
    expect(seen).toContain("klDiv batchmean");
    const optionNames = new Set(cases.flatMap((c) => Object.keys(c.options)));
    expect([...optionNames].sort()).toEqual(["beta", "delta", "logTarget", "posWeight", "reduction", "weight"]);
  });
});

const f64 = (values: number[], requiresGrad = false) => tensor(Float64Array.from(values), { requiresGrad });

describe("named edge cases", () => {
  it("binaryCrossEntropy clamps its logs at -100: finite losses and PyTorch's gradient at probabilities 0 and 1", () => {
    const p = f64([0, 1, 0, 1], true);
    const t = f64([0, 1, 1, 0]);
    const loss = ops.binaryCrossEntropy(p, t, { reduction: "none" });
    expect(Array.from(loss.data())).toEqual([0, -0, 100, 100]);
    loss.backward(f64([1, 1, 1, 1]));
    // (x − t) / max(x(1 − x), ε), PyTorch's ε being the float 1e-12
    const inverseEpsilon = 1 / Math.fround(1e-12);
    expect(Array.from(p.grad!.data())).toEqual([0, 0, -inverseEpsilon, inverseEpsilon]);
  });

  it("binaryCrossEntropyWithLogits is exact at logits of ±1000, with finite gradients", () => {
    const x = f64([1000, -1000, 1000, -1000], true);
    const t = f64([0, 1, 1, 0]);
    const loss = ops.binaryCrossEntropyWithLogits(x, t, { reduction: "none" });
    expect(Array.from(loss.data())).toEqual([1000, 1000, 0, 0]);
    loss.backward(f64([1, 1, 1, 1]));
    expect(Array.from(x.grad!.data())).toEqual([1, -1, 0, 0]);
  });

  it("binaryCrossEntropyWithLogits has the gradient σ(x) − t at a logit of exactly 0 (the kink of max(−x, 0) does not leak)", () => {
    const x = f64([0, 0], true);
    ops.binaryCrossEntropyWithLogits(x, f64([1, 0.25]), { reduction: "sum" }).backward();
    expectClose(x.grad!.data(), [-0.5, 0.25], TOLERANCE.float64, "gradient");
  });

  it("klDiv counts a zero target as 0 (0·log 0 = 0), with the input gradient −target", () => {
    const logQ = f64([-1, -2, -0.5], true);
    const loss = ops.klDiv(logQ, f64([0, 0.5, 0.5]), { reduction: "none" });
    expect(loss.data()[0]).toBe(0);
    loss.backward(f64([1, 1, 1]));
    expect(Array.from(logQ.grad!.data())).toEqual([-0, -0.5, -0.5]);
  });

  it("klDiv with logTarget equals klDiv of the exponentiated target", () => {
    const logQ = ops.logSoftmax(f64([0.3, -1, 2]));
    const logP = ops.logSoftmax(f64([1, 0.5, -0.2]));
    const a = ops.klDiv(logQ, logP, { logTarget: true, reduction: "sum" }).item() as number;
    const b = ops.klDiv(logQ, logP.exp(), { reduction: "sum" }).item() as number;
    expect(Math.abs(a - b)).toBeLessThan(1e-15);
  });

  it("smoothL1Loss with beta 0 is l1Loss, and huberLoss is smoothL1Loss times delta", () => {
    const x = f64([0.3, -1.2, 2.5, 0.1]);
    const y = f64([0.1, 0.4, -0.5, 0.1]);
    expect(ops.smoothL1Loss(x, y, { beta: 0 }).item()).toBe(ops.l1Loss(x, y).item());
    const huber = ops.huberLoss(x, y, { delta: 1.5, reduction: "none" }).data();
    const smooth = ops.smoothL1Loss(x, y, { beta: 1.5, reduction: "none" }).data();
    expectClose(
      huber,
      Array.from(smooth, (v) => v * 1.5),
      TOLERANCE.float64,
      "huber",
    );
  });

  it("l1Loss has the subgradient 0 where input equals target, as PyTorch", () => {
    const x = f64([1, 2], true);
    ops.l1Loss(x, f64([1, 3]), { reduction: "sum" }).backward();
    expect(Array.from(x.grad!.data())).toEqual([0, -1]);
  });

  it("mean over no elements is NaN and sum is 0, as PyTorch", () => {
    const empty = zeros([0, 3]);
    expect(Number.isNaN(ops.mseLoss(empty, empty).item() as number)).toBe(true);
    expect(ops.mseLoss(empty, empty, { reduction: "sum" }).item()).toBe(0);
    expect(Number.isNaN(ops.klDiv(empty, empty, { reduction: "batchmean" }).item() as number)).toBe(true);
  });
});

describe("errors", () => {
  it("shapes that differ are refused instead of broadcast, naming both", () => {
    expect(nablaError(() => ops.mseLoss(zeros([3]), zeros([2, 3])), "mseLoss").message).toBe(
      "mseLoss: input of shape [3] and target of shape [2, 3] differ (expected the same shape: losses do not broadcast)",
    );
    expect(nablaError(() => ops.binaryCrossEntropyWithLogits(zeros([2, 1]), zeros([2])), "binaryCrossEntropyWithLogits").message).toBe(
      "binaryCrossEntropyWithLogits: input of shape [2, 1] and target of shape [2] differ (expected the same shape: losses do not broadcast)",
    );
  });

  it("an unknown reduction", () => {
    expect(nablaError(() => ops.l1Loss(zeros([2]), zeros([2]), { reduction: "batchmean" as "sum" }), "l1Loss").message).toBe(
      'l1Loss: reduction must be "none", "mean" or "sum", got "batchmean"',
    );
    expect(nablaError(() => ops.klDiv(zeros([2]), zeros([2]), { reduction: "avg" as "sum" }), "klDiv").message).toBe(
      'klDiv: reduction must be "none", "mean", "batchmean" or "sum", got "avg"',
    );
  });

  it("beta < 0, delta ≤ 0", () => {
    expect(nablaError(() => ops.smoothL1Loss(zeros([2]), zeros([2]), { beta: -0.5 })).message).toBe(
      "smoothL1Loss: beta must be a number ≥ 0, got -0.5",
    );
    expect(nablaError(() => ops.huberLoss(zeros([2]), zeros([2]), { delta: 0 })).message).toBe(
      "huberLoss: delta must be a number > 0, got 0",
    );
    expect(nablaError(() => ops.huberLoss(zeros([2]), zeros([2]), { delta: Number.NaN })).message).toBe(
      "huberLoss: delta must be a number > 0, got NaN",
    );
  });

  it("integer inputs or targets, and dtypes that differ", () => {
    const int = tensor([1, 0], { dtype: "int32" });
    expect(nablaError(() => ops.binaryCrossEntropy(tensor([0.5, 0.5]), int)).message).toBe(
      "binaryCrossEntropy: expected a float32 or float64 target, got int32 of shape [2]",
    );
    expect(nablaError(() => ops.mseLoss(int, tensor([1, 0]))).message).toBe(
      "mseLoss: expected a float32 or float64 input, got int32 of shape [2]",
    );
    expect(nablaError(() => ops.klDiv(zeros([2]), f64([0.5, 0.5]))).message).toBe(
      "klDiv: target dtype float64 must match the input dtype float32 (shape [2])",
    );
  });

  it("binaryCrossEntropy refuses inputs outside [0, 1], NaN included, as PyTorch", () => {
    expect(nablaError(() => ops.binaryCrossEntropy(tensor([0.5, 1.5]), tensor([1, 1]))).message).toBe(
      "binaryCrossEntropy: input values must be probabilities in [0, 1], got 1.5 at flat index 1 of input [2]",
    );
    nablaError(() => ops.binaryCrossEntropy(tensor([Number.NaN]), tensor([1])), "binaryCrossEntropy");
  });

  it("weights that do not broadcast to the input, or are not float tensors", () => {
    expect(nablaError(() => ops.binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1, 0]), { weight: zeros([3]) })).message).toBe(
      "binaryCrossEntropy: weight of shape [3] does not broadcast to the input shape [2]",
    );
    expect(nablaError(() => ops.binaryCrossEntropyWithLogits(zeros([2]), zeros([2]), { posWeight: zeros([2, 2]) })).message).toBe(
      "binaryCrossEntropyWithLogits: posWeight of shape [2, 2] does not broadcast to the input shape [2]",
    );
    expect(
      nablaError(() => ops.binaryCrossEntropyWithLogits(zeros([2]), zeros([2]), { weight: tensor([1, 2], { dtype: "int32" }) })).message,
    ).toBe("binaryCrossEntropyWithLogits: weight must be float32 or float64, got int32 of shape [2]");
  });

  it("logTarget must be a boolean", () => {
    expect(nablaError(() => ops.klDiv(zeros([2]), zeros([2]), { logTarget: 1 as unknown as boolean })).message).toBe(
      "klDiv: logTarget must be true or false, got 1",
    );
  });
});

describe("Tensor methods", () => {
  it("give what the functions give", () => {
    const x = f64([0.2, 0.7, 0.4]);
    const y = f64([0.5, 0.1, 0.4]);
    expect(x.mseLoss(y).item()).toBe(ops.mseLoss(x, y).item());
    expect(x.l1Loss(y, { reduction: "sum" }).item()).toBe(ops.l1Loss(x, y, { reduction: "sum" }).item());
    expect(x.smoothL1Loss(y, { beta: 0.5 }).item()).toBe(ops.smoothL1Loss(x, y, { beta: 0.5 }).item());
    expect(x.huberLoss(y, { delta: 0.3 }).item()).toBe(ops.huberLoss(x, y, { delta: 0.3 }).item());
    expect(x.binaryCrossEntropy(y).item()).toBe(ops.binaryCrossEntropy(x, y).item());
    expect(x.binaryCrossEntropyWithLogits(y, { posWeight: f64([2]) }).item()).toBe(
      ops.binaryCrossEntropyWithLogits(x, y, { posWeight: f64([2]) }).item(),
    );
    expect(x.log().klDiv(y, { reduction: "batchmean" }).item()).toBe(ops.klDiv(x.log(), y, { reduction: "batchmean" }).item());
  });
});

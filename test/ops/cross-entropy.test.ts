import { describe, expect, it } from "vitest";
import { tensor, zeros, type NestedArray, type Tensor } from "@nabla/tensor";
import { crossEntropy, logSoftmax, nllLoss, type CrossEntropyOptions, type Reduction } from "@nabla/ops";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";
import { expectClose, fromFlat, TOLERANCE, type FloatDType, type Tolerance } from "../support/reference";

interface LossCase {
  name: string;
  dtype: FloatDType;
  inputShape: number[];
  input: number[];
  targetKind: "indices" | "probabilities";
  targetShape: number[];
  target: number[];
  weight: number[] | null;
  ignoreIndex: number | null;
  reduction: Reduction;
  labelSmoothing?: number;
  out: number[];
  outShape: number[];
  cotangent: number[];
  gradInput: number[];
  gradTarget?: number[];
}

const crossEntropyCases = loadFixture<{ cases: LossCase[] }>("ops_cross_entropy.json").cases;
const nllCases = loadFixture<{ cases: LossCase[] }>("ops_nll.json").cases;

// A loss sums a handful of products, so float32 drifts a little more than a single softmax.
const LOSS_TOLERANCE: Record<FloatDType, Tolerance> = { float64: TOLERANCE.float64, float32: { rtol: 1e-5, atol: 1e-5 } };

/** Runs one fixture case through `loss`, checking the value and the input (and target) gradients. */
function checkCase(c: LossCase, index: number, loss: (input: Tensor, target: Tensor, options: CrossEntropyOptions) => Tensor): void {
  const probabilities = c.targetKind === "probabilities";
  const input = fromFlat(c.input, c.inputShape, c.dtype, true);
  const target = fromFlat(c.target, c.targetShape, probabilities ? c.dtype : "int32", probabilities);
  const options: CrossEntropyOptions = { reduction: c.reduction };
  // alternate the two accepted weight forms: a Tensor and a number[]
  if (c.weight !== null) options.weight = index % 2 === 0 ? fromFlat(c.weight, [c.weight.length], c.dtype) : c.weight;
  if (c.ignoreIndex !== null) options.ignoreIndex = c.ignoreIndex;
  if (c.labelSmoothing !== undefined) options.labelSmoothing = c.labelSmoothing;
  const tolerance = LOSS_TOLERANCE[c.dtype];

  const out = loss(input, target, options);
  expect(out.shape).toEqual(c.outShape);
  expect(out.dtype).toBe(c.dtype);
  expectClose(out.data(), c.out, tolerance, "value");

  out.backward(fromFlat(c.cotangent, c.outShape, c.dtype));
  expect(input.grad).not.toBeNull();
  expectClose(input.grad!.data(), c.gradInput, tolerance, "input gradient");
  if (probabilities) {
    expect(target.grad).not.toBeNull();
    expectClose(target.grad!.data(), c.gradTarget!, tolerance, "target gradient");
  }
}

const errorMessage = (fn: () => unknown, op: string): string => nablaError(fn, op).message;

const int32 = (values: NestedArray) => tensor(values, { dtype: "int32" });
const item = (t: Tensor) => t.item() as number;

describe("crossEntropy against PyTorch", () => {
  it.each(crossEntropyCases.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => checkCase(c, i, crossEntropy));
});

describe("nllLoss against PyTorch", () => {
  it.each(nllCases.map((c, i) => [c.name, c, i] as const))("%s", (_name, c, i) => checkCase(c, i, nllLoss));
});

describe("crossEntropy: documented behaviour", () => {
  const logits = tensor(
    [
      [1.5, -0.3, 0.2],
      [0.1, 2.2, -1.0],
    ],
    { dtype: "float64" },
  );

  it("equals nllLoss of logSoftmax for class indices", () => {
    const target = int32([2, 1]);
    const a = item(crossEntropy(logits, target, { weight: [0.5, 1, 2] }));
    const b = item(nllLoss(logSoftmax(logits, 1), target, { weight: [0.5, 1, 2] }));
    expect(Math.abs(a - b)).toBeLessThan(1e-14);
  });

  it("gives NaN for mean and 0 for sum when every target is ignored, as PyTorch", () => {
    const target = int32([-100, -100]);
    expect(Number.isNaN(item(crossEntropy(logits, target)))).toBe(true);
    expectClose([item(crossEntropy(logits, target, { reduction: "sum" }))], [0], { rtol: 0, atol: 0 }, "sum");
    expect(Number.isNaN(item(nllLoss(logits, int32([1, 1]), { ignoreIndex: 1 })))).toBe(true);
  });

  it("gives the probability target the gradient −logSoftmax(input) (unweighted, sum)", () => {
    const target = tensor(
      [
        [0.2, 0.5, 0.3],
        [1, 0, 0],
      ],
      { dtype: "float64", requiresGrad: true },
    );
    crossEntropy(logits, target, { reduction: "sum" }).backward();
    // PyTorch's reference for this identity is in the fixtures; this pins it by name
    expectClose(target.grad!.data(), Array.from(logSoftmax(logits, 1).neg().data()), TOLERANCE.float64, "target gradient");
  });

  it("stays finite for logits of ±1000 and -Infinity masks away from the target", () => {
    const x = tensor([[1000, -1000, -Infinity]], { dtype: "float64", requiresGrad: true });
    const loss = crossEntropy(x, int32([0]));
    const exact = { rtol: 0, atol: 0 };
    expectClose([item(loss)], [0], exact, "loss");
    loss.backward();
    expectClose(x.grad!.data(), [0, 0, 0], exact, "gradient");
  });

  it("frees its N×C probabilities with the graph after backward", () => {
    const x = tensor(
      [
        [1.5, -0.3, 0.2],
        [0.1, 2.2, -1.0],
      ],
      { dtype: "float64", requiresGrad: true },
    );
    const loss = crossEntropy(x, int32([2, 1]));
    const node = loss.gradFn!;
    expect(node.name).toBe("crossEntropy"); // the fused op, under the name users call it by
    expect(node.ctx.fieldNames().sort()).toEqual(["denominator", "ignoreIndex", "probabilities"]);
    expect(node.ctx.probabilities.shape).toEqual([2, 3]);
    loss.backward();
    const first = Array.from(x.grad!.data());
    expect(node.released).toBe(true);
    expect(node.ctx.fieldNames()).toEqual([]);
    expect(node.ctx.saved).toEqual([]);
    expect(nablaError(() => loss.backward()).message).toMatch(
      /^backward: trying to backward through the graph a second time \(crossEntropy's saved tensors were freed\)/,
    );
    expect(Array.from(x.grad!.data()), "the failed call adds nothing").toEqual(first);
  });

  it("leaves its inputs untouched", () => {
    const x = tensor([[0.5, 1.5]], { dtype: "float64" });
    const t = tensor([[0.25, 0.75]], { dtype: "float64" });
    crossEntropy(x, t, { labelSmoothing: 0.2 });
    expect(x.toArray()).toEqual([[0.5, 1.5]]);
    expect(t.toArray()).toEqual([[0.25, 0.75]]);
  });
});

describe("crossEntropy and nllLoss: bad input", () => {
  const input = zeros([3, 4], { dtype: "float64" });

  it("names a target out of range with its value and position", () => {
    expect(errorMessage(() => crossEntropy(input, int32([1, 4, 0])), "crossEntropy")).toBe(
      "crossEntropy: target 4 at position [1] is out of range for 4 classes (expected 0 to 3, or ignoreIndex -100; " +
        "target shape [3], input [3, 4])",
    );
    const message = errorMessage(
      () =>
        nllLoss(
          zeros([2, 4, 2]),
          int32([
            [0, 1],
            [-1, 2],
          ]),
        ),
      "nllLoss",
    );
    expect(message).toContain("target -1 at position [1, 0] is out of range for 4 classes");
  });

  it("accepts an ignoreIndex outside the class range but nothing else there", () => {
    expect(() => crossEntropy(input, int32([7, 1, 0]), { ignoreIndex: 7 })).not.toThrow();
    expect(errorMessage(() => crossEntropy(input, int32([7, 1, 0]), { ignoreIndex: 1 }), "crossEntropy")).toContain(
      "target 7 at position [0]",
    );
  });

  it("rejects a target whose shape fits neither kind", () => {
    expect(errorMessage(() => crossEntropy(input, int32([1, 2])), "crossEntropy")).toBe(
      "crossEntropy: target of shape [2] does not match input [3, 4]: expected class indices of shape [3] " +
        "(the input without its class dim 1) or probabilities of shape [3, 4]",
    );
    expect(
      errorMessage(
        () =>
          crossEntropy(
            zeros([2, 4, 3]),
            int32([
              [0, 1],
              [2, 3],
            ]),
          ),
        "crossEntropy",
      ),
    ).toContain("expected class indices of shape [2, 3]");
    expect(errorMessage(() => crossEntropy(zeros([4]), int32([1])), "crossEntropy")).toContain("expected class indices of shape []");
  });

  it("rejects nllLoss targets of the input's shape: nll takes class indices only", () => {
    expect(errorMessage(() => nllLoss(input, zeros([3, 4], { dtype: "int32" })), "nllLoss")).toBe(
      "nllLoss: target of shape [3, 4] does not match input [3, 4]: expected class indices of shape [3] (the input without its class dim 1)",
    );
    expect(errorMessage(() => nllLoss(input, tensor([0, 1, 2])), "nllLoss")).toBe(
      "nllLoss: class-index targets must be int32, got float32 target of shape [3] for input [3, 4]",
    );
  });

  it("rejects float class targets", () => {
    expect(errorMessage(() => crossEntropy(input, tensor([1, 2, 0], { dtype: "float64" })), "crossEntropy")).toBe(
      "crossEntropy: class-index targets must be int32, got float64 target of shape [3] for input [3, 4] " +
        "(probability targets must have the input's shape)",
    );
  });

  it("rejects integer probability targets and a dtype other than the input's", () => {
    expect(errorMessage(() => crossEntropy(input, zeros([3, 4], { dtype: "int32" })), "crossEntropy")).toContain(
      "holds class probabilities and must be float, got int32",
    );
    expect(errorMessage(() => crossEntropy(input, zeros([3, 4])), "crossEntropy")).toBe(
      "crossEntropy: probability target dtype float32 must match the input dtype float64 (shape [3, 4])",
    );
  });

  it("rejects a weight that is not one value per class", () => {
    expect(errorMessage(() => crossEntropy(input, int32([0, 1, 2]), { weight: [1, 2, 3] }), "crossEntropy")).toBe(
      "crossEntropy: weight must hold one number per class: got 3 values for input [3, 4] with 4 classes",
    );
    expect(errorMessage(() => nllLoss(input, int32([0, 1, 2]), { weight: zeros([2, 2]) }), "nllLoss")).toBe(
      "nllLoss: weight of shape [2, 2] does not fit input [3, 4]: expected shape [4] (one per class)",
    );
  });

  it("rejects labelSmoothing outside [0, 1]", () => {
    for (const labelSmoothing of [-0.1, 1.5, Number.NaN]) {
      expect(errorMessage(() => crossEntropy(input, int32([0, 1, 2]), { labelSmoothing }), "crossEntropy")).toBe(
        `crossEntropy: labelSmoothing must be between 0 and 1, got ${labelSmoothing}`,
      );
    }
  });

  it("rejects a non-negative ignoreIndex with probability targets, as PyTorch", () => {
    const probabilities = zeros([3, 4], { dtype: "float64" });
    expect(errorMessage(() => crossEntropy(input, probabilities, { ignoreIndex: 0 }), "crossEntropy")).toBe(
      "crossEntropy: ignoreIndex (0) is not supported with probability targets (target shape [3, 4])",
    );
    expect(() => crossEntropy(input, probabilities, { ignoreIndex: -100 })).not.toThrow();
  });

  it("rejects an unknown reduction, a 0-d input and an integer input", () => {
    expect(errorMessage(() => nllLoss(input, int32([0, 1, 2]), { reduction: "avg" as Reduction }), "nllLoss")).toBe(
      'nllLoss: reduction must be "none", "mean" or "sum", got "avg"',
    );
    expect(errorMessage(() => crossEntropy(zeros([]), int32(0)), "crossEntropy")).toContain("got a 0-d tensor");
    expect(errorMessage(() => crossEntropy(zeros([2, 3], { dtype: "int32" }), int32([0, 1])), "crossEntropy")).toBe(
      "crossEntropy: expected a float32 or float64 input, got int32 of shape [2, 3]",
    );
  });
});

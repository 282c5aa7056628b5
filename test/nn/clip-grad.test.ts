import { describe, expect, it } from "vitest";
import { type Tensor, tensor } from "@nabla/tensor";
import { utils } from "@nabla/nn";
import { loadFixture } from "../support/fixtures";
import { expectClose } from "../support/reference";
import { nablaError } from "../support/errors";

type Nested = number | Nested[];

interface ClipCase {
  name: string;
  function: "clipGradNorm_" | "clipGradValue_";
  argument: number;
  normType: number | null;
  total: number | null;
  grads: (Nested[] | null)[];
}

const fixture = loadFixture<{ grads: (Nested[] | null)[]; cases: ClipCase[] }>("nn_clip_grad.json");

/** The parameters of gen_optim.py's clipping cases: float64, each with its gradient, the last without one. */
function makeParams(): Tensor[] {
  return fixture.grads.map((grad) => {
    const param = tensor(grad === null ? [0, 0] : grad, { dtype: "float64", requiresGrad: true });
    if (grad !== null) param.grad = tensor(grad, { dtype: "float64" });
    return param;
  });
}

describe("gradient clipping follows PyTorch (float64)", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const params = makeParams();
    const heldGrads = params.map((param) => param.grad);
    if (testCase.function === "clipGradNorm_") {
      const total = utils.clipGradNorm_(params, testCase.argument, { normType: testCase.normType! });
      expect(total.shape).toEqual([]);
      expect(total.dtype).toBe("float64");
      expectClose([total.item() as number], [testCase.total!], { rtol: 1e-6, atol: 1e-6 }, "total norm");
    } else {
      expect(utils.clipGradValue_(params, testCase.argument)).toBeUndefined();
    }
    params.forEach((param, i) => {
      const expected = testCase.grads[i]!;
      if (expected === null) {
        expect(param.grad).toBeNull();
        return;
      }
      expect(param.grad, "the gradient is changed in place").toBe(heldGrads[i]);
      expectClose(param.grad!.data(), [expected].flat(3) as number[], { rtol: 1e-6, atol: 1e-6 }, `grad ${i}`);
    });
  });

  it("covers norms 2, 1 and ∞ below and above the maximum, and clipping by value", () => {
    const names = fixture.cases.map((c) => c.name);
    for (const order of ["2", "1", "inf"]) {
      expect(names).toContain(`norm ${order} above max`);
      expect(names).toContain(`norm ${order} below max`);
    }
    expect(fixture.cases.filter((c) => c.function === "clipGradValue_").length).toBeGreaterThanOrEqual(2);
    // the "above" cases really clip: some gradient differs from what it was
    const above = fixture.cases.find((c) => c.name === "norm 2 above max")!;
    expect(above.grads[0]).not.toEqual(fixture.grads[0]);
  });
});

describe("clipGradNorm_", () => {
  it("takes a single tensor, and returns float32 0 when no parameter has a gradient", () => {
    const w = tensor([3, 4], { requiresGrad: true });
    w.grad = tensor([3, 4]);
    expect(utils.clipGradNorm_(w, 1).item()).toBeCloseTo(5, 5);
    expectClose(w.grad.data(), [0.6, 0.8], { rtol: 1e-5, atol: 1e-6 });
    const none = utils.clipGradNorm_([tensor([1], { requiresGrad: true })], 1);
    expect(none.item()).toBe(0);
    expect(none.dtype).toBe("float32");
  });

  it("scales by a NaN or zero coefficient for a non-finite norm, or throws with errorIfNonfinite", () => {
    const w = tensor([1, 2], { requiresGrad: true });
    w.grad = tensor([Number.POSITIVE_INFINITY, 2]);
    expect(nablaError(() => utils.clipGradNorm_(w, 1, { errorIfNonfinite: true }), "clipGradNorm_").message).toBe(
      "clipGradNorm_: the total norm of order 2 of the gradients is Infinity, so they cannot be clipped (errorIfNonfinite is true)",
    );
    expect(Array.from(w.grad.data())).toEqual([Number.POSITIVE_INFINITY, 2]); // unchanged by the refusal
    expect(utils.clipGradNorm_(w, 1).item()).toBe(Number.POSITIVE_INFINITY);
    expect(Array.from(w.grad.data())).toEqual([Number.NaN, 0]); // ∞·0, 2·0, as PyTorch
    w.grad = tensor([Number.NaN, 2]);
    expect(utils.clipGradNorm_(w, 1).item()).toBeNaN();
    expect(Array.from(w.grad.data())).toEqual([Number.NaN, Number.NaN]);
  });

  it("refuses bad arguments", () => {
    const w = tensor([1], { requiresGrad: true });
    const cases: [() => unknown, string][] = [
      [() => utils.clipGradNorm_(w, -1), "clipGradNorm_: maxNorm must be a number ≥ 0, got -1"],
      [() => utils.clipGradNorm_(w, Number.NaN), "clipGradNorm_: maxNorm must be a number ≥ 0, got NaN"],
      [
        () => utils.clipGradNorm_(w, 1, { normType: Number.NaN }),
        "clipGradNorm_: normType must be a number (Infinity and -Infinity included), got NaN",
      ],
      [
        () => utils.clipGradNorm_(w, 1, { errorIfNonfinite: 1 as unknown as boolean }),
        "clipGradNorm_: errorIfNonfinite must be true or false, got 1",
      ],
      [() => utils.clipGradNorm_(3 as unknown as Tensor, 1), "clipGradNorm_: params must be a Tensor or an iterable of Tensors, got 3"],
      [() => utils.clipGradNorm_([w, null as unknown as Tensor], 1), "clipGradNorm_: params[1] is null, expected a Tensor"],
    ];
    for (const [call, message] of cases) expect(nablaError(call, "clipGradNorm_").message).toBe(message);
  });
});

describe("clipGradValue_", () => {
  it("clamps float32 gradients in place and skips parameters without one", () => {
    const w = tensor([1, 1, 1], { requiresGrad: true });
    const v = tensor([1], { requiresGrad: true });
    w.grad = tensor([-3, 0.25, 2]);
    const held = w.grad;
    utils.clipGradValue_([w, v], 0.5);
    expect(w.grad).toBe(held);
    expect(Array.from(w.grad.data())).toEqual([-0.5, 0.25, 0.5]);
    expect(v.grad).toBeNull();
  });

  it("refuses a negative or non-number clipValue", () => {
    const w = tensor([1], { requiresGrad: true });
    expect(nablaError(() => utils.clipGradValue_(w, -1), "clipGradValue_").message).toBe(
      "clipGradValue_: clipValue must be a number ≥ 0, got -1",
    );
    expect(nablaError(() => utils.clipGradValue_(w, "1" as unknown as number), "clipGradValue_").message).toBe(
      'clipGradValue_: clipValue must be a number ≥ 0, got "1"',
    );
  });
});

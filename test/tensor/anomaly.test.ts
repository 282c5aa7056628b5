import { describe, expect, it } from "vitest";
import { defineOp, detectAnomaly, NablaError, tensor, type Tensor } from "@nabla/tensor";
import { nablaError } from "../support/errors";

describe("detectAnomaly: forward", () => {
  it("the first op that produces NaN throws, naming it", () => {
    const error = nablaError(() => detectAnomaly(() => tensor([4, -1]).log().exp()));
    expect(error.op).toBe("log");
    expect(error.message).toBe("log: produced NaN in forward at flat index 1 of a tensor of shape [2]");
  });

  it("infinities count too, with their sign", () => {
    expect(nablaError(() => detectAnomaly(() => tensor([1, 0]).log())).message).toBe(
      "log: produced -Infinity in forward at flat index 1 of a tensor of shape [2]",
    );
    expect(
      nablaError(() =>
        detectAnomaly(() =>
          tensor([
            [1, 2],
            [3, 4],
          ]).div(tensor([1, 0])),
        ),
      ).message,
    ).toBe("div: produced Infinity in forward at flat index 1 of a tensor of shape [2, 2]");
  });

  it("without detectAnomaly the same ops just propagate NaN", () => {
    expect(Number.isNaN(tensor([-1]).log().item() as number)).toBe(true);
  });

  it("finite results pass, the result is returned, and the mode ends with fn (even when it throws)", () => {
    expect(detectAnomaly(() => tensor([1, 2]).exp().sum().item())).toBeCloseTo(Math.E + Math.E ** 2, 5); // float32
    expect(() => detectAnomaly(() => tensor([-1]).sqrt())).toThrowError(NablaError);
    expect(Number.isNaN(tensor([-1]).sqrt().item() as number)).toBe(true);
  });
});

describe("detectAnomaly: backward", () => {
  it("names the backward and the forward op that created the node, with the stack where it ran", () => {
    const error = nablaError(() =>
      detectAnomaly(() => {
        const x = tensor([0, 4], { requiresGrad: true });
        x.sqrt().sum().backward(); // d√x/dx = 1/(2√x) is infinite at 0
      }),
    );
    expect(error.op).toBe("sqrt backward");
    expect(error.message).toMatch(
      /^sqrt backward: produced Infinity in backward at flat index 0 of a tensor of shape \[2\] \(the gradient for input 0 of sqrt, the forward op that created this node\); sqrt was created at:\n/,
    );
    expect(error.message).toContain("anomaly.test.ts");
  });

  it("points at the op whose backward went wrong, not at the ops around it", () => {
    const error = nablaError(() =>
      detectAnomaly(() => {
        const x = tensor([1, -2, 3], { requiresGrad: true });
        x.mul(2).abs().add(1).log().mul(x.sub(-2).sqrt()).sum().backward();
      }),
    );
    // √(x + 2) at x = −2: its backward divides by 0; everything else is finite
    expect(error.op).toBe("sqrt backward");
  });

  it("asks for the forward to run inside detectAnomaly when it did not", () => {
    const x = tensor([0], { requiresGrad: true });
    const y = x.sqrt();
    const error = nablaError(() => detectAnomaly(() => y.backward()));
    expect(error.message).toMatch(/; run the forward pass inside detectAnomaly too to see where it was created$/);
  });

  it("judges a backward by what it returns: an infinity masked inside the rule is no anomaly", () => {
    // pow's backward at base 0 and exponent 0 computes 0·0^(−1) = NaN internally, then masks it to 0
    const grad = detectAnomaly(() => {
      const x = tensor([0, 2], { requiresGrad: true });
      x.pow(0).sum().backward();
      return x.grad!.toArray();
    });
    expect(grad).toEqual([0, 0]);
  });

  it("catches a custom op whose backward returns NaN", () => {
    const badGrad = defineOp({
      name: "badGrad",
      forward(_ctx, x: Tensor) {
        return x.mul(1);
      },
      backward(_ctx, gradOut) {
        return [gradOut.mul(Number.NaN)];
      },
    });
    const error = nablaError(() =>
      detectAnomaly(() =>
        badGrad(tensor([1, 2], { requiresGrad: true }))
          .sum()
          .backward(),
      ),
    );
    expect(error.op).toBe("badGrad backward");
    expect(error.message).toMatch(
      /^badGrad backward: produced NaN in backward at flat index 0 of a tensor of shape \[2\] \(the gradient for input 0 of badGrad/,
    );
  });

  it("a NaN created in forward stops the forward first", () => {
    const error = nablaError(() =>
      detectAnomaly(() => {
        const x = tensor([-1], { requiresGrad: true });
        x.log().sum().backward();
      }),
    );
    expect(error.op).toBe("log");
  });

  it("rejects a non-function", () => {
    expect(() => detectAnomaly(3 as unknown as () => void)).toThrowError("detectAnomaly: expected a function, got number");
  });
});

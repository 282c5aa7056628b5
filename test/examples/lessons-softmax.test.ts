import { describe, expect, it } from "vitest";
import { softmaxLesson } from "../../examples/src/lessons/softmax";
import { loadFixture } from "../support/fixtures";
import { runLessonScript } from "./cli";

interface SoftmaxFixture {
  x: number[];
  softmax: number[];
  jacobian: number[][];
  cotangent: number[];
  vjp: number[];
  large: number[];
  naive: number[];
  stable: number[];
}

const torch = loadFixture<SoftmaxFixture>("lessons_softmax.json");

function expectClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    expect(v, `element ${i}`).toBeCloseTo(expected[i]!, digits);
  });
}

describe("lesson 2: softmax's Jacobian and its vector-Jacobian product", () => {
  const lesson = softmaxLesson();

  it("computes softmax([2.0, 1.0, 0.1]) and its Jacobian diag(s) − s sᵀ as PyTorch", () => {
    expect(lesson.x).toEqual(torch.x);
    expectClose(lesson.s, torch.softmax);
    lesson.jacobian.forEach((row, i) => {
      expectClose(row, torch.jacobian[i]!);
    });
  });

  it("gets PyTorch's gradient three ways: hand VJP, Jᵀg, and autodiff of the composite", () => {
    expect(lesson.cotangent).toEqual(torch.cotangent);
    expectClose(lesson.vjp, torch.vjp);
    expectClose(lesson.jacobianTimesCotangent, torch.vjp);
    expectClose(lesson.compositeGradient, torch.vjp);
  });

  it("takes one backward step through softmax, several through the composite", () => {
    expect(lesson.softmaxSteps).toBe(1);
    expect(lesson.compositeSteps).toBeGreaterThanOrEqual(5); // sub, max, exp, sum, div at least
  });

  it("shows [1000, 1001, 1002] overflowing naively (NaN) and fine in softmax", () => {
    expect(lesson.large).toEqual(torch.large);
    expect(torch.naive.every(Number.isNaN)).toBe(true);
    expect(lesson.naive.every(Number.isNaN)).toBe(true);
    expectClose(lesson.stable, torch.stable);
  });

  it("pnpm lesson:softmax prints the Jacobian, the agreement and the overflow", async () => {
    const stdout = await runLessonScript("softmax");
    expect(stdout).toContain("softmax, backward: x̄ = s ⊙ (ḡ − Σ ḡ ⊙ s)");
    expect(stdout).toContain("s = softmax(x) = [ 0.6590,  0.2424,  0.0986]");
    expect(stdout).toContain("  [ 0.2247, -0.1598, -0.0650]");
    expect(stdout).toMatch(/hand-written VJP .* \[ 0\.5118, -0\.5390, {2}0\.0273\]/);
    expect(stdout).toMatch(/naive .* \[NaN, NaN, NaN\]/);
    expect(stdout).toMatch(/softmax exp\(x − max x\) .* \[ 0\.0900, {2}0\.2447, {2}0\.6652\]/);
  });
});

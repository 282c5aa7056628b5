import { describe, expect, it } from "vitest";
import { gradcheckLesson } from "../../examples/src/lessons/gradcheck";
import { loadFixture } from "../support/fixtures";
import { runLessonScript } from "./cli";

interface GradcheckFixture {
  x: number[];
  trueGrad: number[];
  brokenGrad: number[];
  worstIndex: number;
  torchGradcheckPasses: boolean;
}

const torch = loadFixture<GradcheckFixture>("lessons_gradcheck.json");

describe("lesson 3: gradcheck catches a wrong backward", () => {
  const { x, broken, brokenMessage, fixed } = gradcheckLesson();

  it("fails the op whose backward says 3x for x³, as PyTorch's gradcheck does", () => {
    expect(x).toEqual(torch.x);
    expect(torch.torchGradcheckPasses).toBe(false);
    expect(broken.ok).toBe(false);
  });

  it("reports the worst element: PyTorch's true gradient as numeric, the broken backward's as analytic", () => {
    const worst = broken.worst!;
    expect(worst.input).toBe(0);
    expect(worst.index).toBe(torch.worstIndex);
    expect(worst.outputIndex).toBe(torch.worstIndex); // elementwise: the diagonal of the Jacobian
    expect(worst.analytic).toBeCloseTo(torch.brokenGrad[torch.worstIndex]!, 12);
    expect(worst.numeric).toBeCloseTo(torch.trueGrad[torch.worstIndex]!, 6);
    expect(broken.maxAbsError).toBeCloseTo(Math.max(...torch.trueGrad.map((g, i) => Math.abs(g - torch.brokenGrad[i]!))), 6);
    expect(brokenMessage).toMatch(
      /^gradcheck: analytic and numeric gradients differ for input 0 at element 1 \[1\] \(output element 1\): analytic -4\.5, numeric 6\.7499/,
    );
  });

  it("passes the corrected op", () => {
    expect(fixed.ok).toBe(true);
    expect(fixed.maxAbsError).toBeLessThan(1e-6);
  });

  it("pnpm lesson:gradcheck prints both verdicts and the worst element", async () => {
    const stdout = await runLessonScript("gradcheck");
    expect(stdout).toContain("ok: false");
    expect(stdout).toContain("worst element: input 0, element 1 (x = -1.5), output element 1: analytic -4.5, numeric 6.750000");
    expect(stdout).toContain("gradcheck: analytic and numeric gradients differ for input 0 at element 1");
    expect(stdout).toMatch(/cube: the same op with backward x̄ = 3 ȳ ⊙ x²\n {2}ok: true/);
  });
});

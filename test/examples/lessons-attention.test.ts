import { describe, expect, it } from "vitest";
import { type AttentionCaseResult, attentionLesson } from "../../examples/src/lessons/attention";
import { loadFixture } from "../support/fixtures";
import { runLessonScript } from "./cli";

interface AttentionCaseFixture {
  mask: number[][];
  weights: number[][];
  output: number[][];
  gradQuery: number[][];
  gradKey: number[][];
  gradValue: number[][];
  torchGradcheckPasses: boolean;
}

interface AttentionFixture {
  query: number[][];
  key: number[][];
  value: number[][];
  cotangent: number[][];
  cases: Record<"none" | "causal", AttentionCaseFixture>;
}

const torch = loadFixture<AttentionFixture>("lessons_attention.json");

function expectClose(actual: number[][], expected: number[][], label: string): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => {
    expect(row).toHaveLength(expected[i]!.length);
    row.forEach((v, j) => {
      expect(v, `${label}[${i}][${j}]`).toBeCloseTo(expected[i]![j]!, 12);
    });
  });
}

describe("lesson 4: attention's hand-written backward", () => {
  const lesson = attentionLesson();

  it("uses the inputs PyTorch used", () => {
    expect(lesson.query).toEqual(torch.query);
    expect(lesson.key).toEqual(torch.key);
    expect(lesson.value).toEqual(torch.value);
    expect(lesson.cotangent).toEqual(torch.cotangent);
    expect(lesson.cases.map((c) => c.name)).toEqual(["none", "causal"]);
  });

  describe.each(lesson.cases.map((c) => [c.name, c] as const))("mask %s", (name, c: AttentionCaseResult) => {
    const reference = torch.cases[name];

    it("has PyTorch's mask, attention weights and output", () => {
      expect(c.mask).toEqual(reference.mask);
      expectClose(c.weights, reference.weights, "P");
      expectClose(c.output, reference.output, "O");
    });

    it("gets PyTorch's gradients three ways: by hand, by autodiff of the composite, from scaledDotProductAttention", () => {
      for (const [label, grads] of [
        ["hand", c.hand],
        ["composite", c.composite],
        ["scaledDotProductAttention", c.library],
      ] as const) {
        expectClose(grads.query, reference.gradQuery, `${label} Q̄`);
        expectClose(grads.key, reference.gradKey, `${label} K̄`);
        expectClose(grads.value, reference.gradValue, `${label} V̄`);
      }
      for (const difference of [c.compositeDifference, c.libraryDifference]) {
        expect(Math.max(difference.output, difference.query, difference.key, difference.value)).toBeLessThan(1e-14);
      }
    });

    it("passes gradcheck, as PyTorch's gradcheck passes the composite", () => {
      expect(reference.torchGradcheckPasses).toBe(true);
      expect(c.handGradcheck.ok).toBe(true);
      expect(c.libraryGradcheck.ok).toBe(true);
      expect(c.handGradcheck.maxAbsError).toBeLessThan(1e-6);
    });

    it("takes one backward step through scaledDotProductAttention, one per primitive through the composite", () => {
      expect(c.librarySteps).toBe(1);
      expect(c.compositeSteps).toBeGreaterThanOrEqual(8); // matmul, transpose, div, max, sub, exp, sum, div, matmul
    });
  });

  it("masks causally: zero weights above the diagonal, query 0 gets no gradient, query 2 is as unmasked", () => {
    const [none, causal] = lesson.cases as [AttentionCaseResult, AttentionCaseResult];
    expect(causal.weights[0]).toEqual([1, 0, 0]);
    expect(causal.weights[1]![2]).toBe(0);
    expect(causal.hand.query[0]).toEqual([0, 0, 0, 0]);
    expect(causal.hand.query[2]).toEqual(none.hand.query[2]);
  });

  it("pnpm lesson:attention prints the formulas, both cases, the agreement and gradcheck's verdict", async () => {
    const stdout = await runLessonScript("attention");
    expect(stdout).toContain("S = Q Kᵀ/√d + M,   P = softmax(S) by rows,   O = P V");
    expect(stdout).toContain("S̄ = P ⊙ (P̄ − rowsum(P̄ ⊙ P))");
    expect(stdout).toContain("Q̄ = S̄ K/√d,   K̄ = S̄ᵀ Q/√d");
    // P and the first row of Q̄ without a mask, then P, the mask and Q̄ with the causal mask (PyTorch's values, rounded)
    expect(stdout).toContain("  [ 0.4126,  0.1644,  0.4230]\n  [ 0.5770,  0.2231,  0.1999]\n  [ 0.1478,  0.5184,  0.3339]");
    expect(stdout).toContain("    [ 0.1449,  0.1510, -0.2971,  0.2891]");
    expect(stdout).toContain("  [ 0.0000,      -∞,      -∞]");
    expect(stdout).toContain("  [ 1.0000,  0.0000,  0.0000]\n  [ 0.7211,  0.2789,  0.0000]");
    expect(stdout).toContain("    [ 0.1033, -0.0715, -0.0715,  0.0556]");
    expect(stdout).toMatch(/autodiff of the composite \(\d+ backward steps\) +O \d\.\de[+-]\d+, Q̄ \d\.\de[+-]\d+/);
    expect(stdout).toMatch(/scaledDotProductAttention \(1 backward step\) +O \d\.\de[+-]\d+/);
    expect(stdout.match(/hand-written backward +ok: true/g)).toHaveLength(2);
    expect(stdout.match(/scaledDotProductAttention +ok: true/g)).toHaveLength(2);
  });
});

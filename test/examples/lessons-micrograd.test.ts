import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { microgradExpression, microgradLesson } from "../../examples/src/lessons/micrograd";
import { renderSvg } from "../../examples/src/lessons/run-lesson";
import { loadFixture } from "../support/fixtures";
import { runLessonScript } from "./cli";

interface MicrogradFixture {
  g: number;
  gradA: number;
  gradB: number;
  values: Record<string, number>;
  grads: Record<string, number>;
}

const torch = loadFixture<MicrogradFixture>("lessons_micrograd.json");

describe("lesson 1: micrograd's expression with 0-d tensors", () => {
  it("gives PyTorch's g, ∂g/∂a and ∂g/∂b (micrograd's 24.7041, 138.8338, 645.5773)", () => {
    const { g, gradA, gradB } = microgradLesson();
    expect(g).toBeCloseTo(torch.g, 12);
    expect(gradA).toBeCloseTo(torch.gradA, 10);
    expect(gradB).toBeCloseTo(torch.gradB, 10);
    expect([g.toFixed(4), gradA.toFixed(4), gradB.toFixed(4)]).toEqual(["24.7041", "138.8338", "645.5773"]);
  });

  it("computes every intermediate result as PyTorch does", () => {
    const names = microgradExpression();
    for (const [name, value] of Object.entries(torch.values)) expect(names[name]!.item(), name).toBeCloseTo(value, 12);
  });

  it("traces, for each named result, the gradient PyTorch gives it (retain_grad)", () => {
    const { trace } = microgradLesson();
    expect(trace.steps).toHaveLength(25);
    for (const [name, grad] of Object.entries(torch.grads)) {
      const step = trace.steps.find((s) => s.name === name);
      expect(step, name).toBeDefined();
      expect(step!.gradOut.values![0], name).toBeCloseTo(grad, 10);
    }
    // the first step is g's own add, which receives ∂g/∂g = 1
    expect(trace.steps[0]).toMatchObject({ op: "add", name: "g", gradOut: { values: [1] } });
  });

  it("draws the graph with values and gradients, and renders it to SVG", async () => {
    const { dot } = microgradLesson();
    expect(dot).toContain('"parameter a\\n[] float64\\nvalue -4\\ngrad 138.8338"');
    expect(dot).toContain('"parameter b\\n[] float64\\nvalue 2\\ngrad 645.5773"');
    expect(dot).toContain('"op25 · add → g\\n[] float64\\nvalue 24.7041\\ngrad 1"');
    expect(dot).toContain('"op21 · sub → e\\n[] float64\\nvalue -7\\ngrad -6.9417"');
    const svg = await renderSvg(dot);
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).toContain("grad 645.5773");
    expect((svg.match(/class="node"/g) ?? []).length).toBe(25 + 2 + 8); // ops, parameters, constants
  });

  it("pnpm lesson:micrograd prints the numbers and writes the .dot and .svg", async () => {
    const out = mkdtempSync(path.join(tmpdir(), "nabla-lesson-"));
    try {
      const stdout = await runLessonScript("micrograd", ["--out", out]);
      expect(stdout).toContain("g     = 24.7041");
      expect(stdout).toContain("∂g/∂a = 138.8338");
      expect(stdout).toContain("∂g/∂b = 645.5773");
      expect(stdout).toContain("step  op");
      expect(readFileSync(path.join(out, "micrograd.dot"), "utf8")).toBe(microgradLesson().dot);
      expect(existsSync(path.join(out, "micrograd.svg"))).toBe(true);
      expect(readFileSync(path.join(out, "micrograd.svg"), "utf8")).toContain("value 24.7041");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blues, confusionHeatmap } from "../../examples/src/plots/heatmap";
import { lineChart } from "../../examples/src/plots/line-chart";
import { decimalsFor, integerTicks, niceTicks } from "../../examples/src/plots/ticks";
import { parseSvg } from "./cli";

describe("niceTicks", () => {
  it("covers the range with 1, 2, 2.5 or 5 × 10^k steps, ending on ticks", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (low, width) => {
        fc.pre(width >= Math.abs(low) * 1e-6); // a range a chart can resolve
        const high = low + width;
        const { ticks, domain, step } = niceTicks(low, high);
        // Every value lies on the axis (up to rounding, a billionth of the range).
        expect(domain[0]).toBeLessThanOrEqual(low + width * 1e-9);
        expect(domain[1]).toBeGreaterThanOrEqual(high - width * 1e-9);
        expect(ticks[0]).toBe(domain[0]);
        expect(ticks.at(-1)).toBe(domain[1]);
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        expect(ticks.length).toBeLessThanOrEqual(8);
        const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-12);
        expect([1, 2, 2.5, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("gives round values for a loss axis", () => {
    expect(niceTicks(0, 2.27).ticks).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(0.7527, 1).ticks).toEqual([0.75, 0.8, 0.85, 0.9, 0.95, 1]);
  });

  it("gives a flat series a window around its value", () => {
    const { domain } = niceTicks(1, 1);
    expect(domain[0]).toBeLessThan(1);
    expect(domain[1]).toBeGreaterThan(1);
  });

  it("decimalsFor shows what tells ticks apart", () => {
    expect([decimalsFor(5), decimalsFor(0.5), decimalsFor(0.25), decimalsFor(0.05), decimalsFor(2.5e-7)]).toEqual([0, 1, 2, 2, 8]);
  });
});

describe("integerTicks", () => {
  it("labels epochs from 1 in round steps, about ten at most", () => {
    expect(integerTicks(1, 1)).toEqual([1]);
    expect(integerTicks(1, 2)).toEqual([1, 2]);
    expect(integerTicks(1, 30)).toEqual([1, 5, 10, 15, 20, 25, 30]);
    expect(integerTicks(1, 100)).toEqual([1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(integerTicks(1, 11)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(integerTicks(1, 12)).toEqual([1, 2, 4, 6, 8, 10, 12]);
  });
});

describe("lineChart", () => {
  const series = (values: number[]) => [
    { name: "train <a & b>", color: "#1f77b4", values },
    { name: 'test "quoted"', color: "#d62728", values: values.map((v) => v * 1.1), dashed: true },
  ];

  it("is well-formed XML when names hold markup characters, and shows them as text", () => {
    const text = lineChart({ title: "Loss & <friends>", xLabel: "Epoch", yLabel: "Loss", series: series([1, 0.5, 0.25]) });
    const svg = parseSvg(text).svg as Record<string, unknown>;
    expect(svg.title).toBe("Loss & <friends>");
    expect(text).toContain(">train &lt;a &amp; b&gt;</text>");
    expect(text).toContain(">test &quot;quoted&quot;</text>");
    expect(text.match(/<polyline /g)).toHaveLength(2);
  });

  it("breaks a line at a non-finite value instead of writing NaN coordinates", () => {
    const text = lineChart({ title: "Loss", xLabel: "Epoch", yLabel: "Loss", series: [{ name: "train", color: "#000", values: [1, 0.5, Number.NaN, 0.3, 0.2] }] });
    parseSvg(text);
    expect(text).not.toMatch(/NaN|Infinity/);
    expect(text.match(/<polyline /g)).toHaveLength(2);
  });

  it("draws a single epoch as points", () => {
    const text = lineChart({ title: "Accuracy", xLabel: "Epoch", yLabel: "Accuracy", series: series([0.8]) });
    parseSvg(text);
    expect(text).not.toContain("<polyline");
    expect(text.match(/<circle /g)).toHaveLength(2);
    expect(text).not.toMatch(/NaN|Infinity/);
  });

  it("starts the loss axis at 0 with includeZero", () => {
    const text = lineChart({ title: "Loss", xLabel: "Epoch", yLabel: "Loss", includeZero: true, series: series([2.3, 1.7, 1.2]) });
    const ticks = [...text.matchAll(/text-anchor="end" class="tick">([^<]+)</g)].map(([, t]) => t);
    expect(Number(ticks[0])).toBe(0);
    expect(Number(ticks.at(-1))).toBeGreaterThanOrEqual(2.3 * 1.1);
  });
});

describe("confusionHeatmap", () => {
  const matrix = [
    [5, 1, 0],
    [0, 6, 0],
    [2, 0, 4],
  ];

  it("is well-formed, with a cell, a count and a tooltip per pair of classes", () => {
    const classNames = ["a<b", "c&d", "a very long class name that goes on"];
    const text = confusionHeatmap({ title: "Confusion matrix", subtitle: "Test set: 18 rows", classNames, matrix });
    parseSvg(text);
    expect(text).toContain("<title>true a&lt;b, predicted c&amp;d: 1</title>");
    expect(text.match(/<title>true /g)).toHaveLength(9);
    expect(text).toContain(">a very long class n…</text>"); // labels are shortened to 20 characters
    expect(text).toContain(">True class</text>");
    expect(text).toContain(">Predicted class</text>");
    expect(text).toContain('id="share-scale"');
  });

  it("shades by the share of the true class and writes counts in a readable colour", () => {
    const text = confusionHeatmap({ title: "m", subtitle: "", classNames: ["x", "y", "z"], matrix });
    // 5 of 6 rows of class x: dark cell with white text; 1 of 6: light cell with dark text.
    expect(text).toContain(`fill="${blues(5 / 6)}"`);
    expect(text).toContain(`fill="${blues(1 / 6)}"`);
    expect(text).toMatch(/style="fill: #ffffff">5<\/text>/);
    expect(text).toMatch(/style="fill: #222222">1<\/text>/);
  });

  it("blues runs from near-white to dark blue", () => {
    expect(blues(0)).toBe("rgb(247,251,255)");
    expect(blues(1)).toBe("rgb(8,48,107)");
    expect(blues(-1)).toBe(blues(0));
    expect(blues(0.5)).toBe("rgb(107,174,214)"); // the middle step of the scale, #6baed6
  });
});

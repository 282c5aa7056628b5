import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blues, confusionHeatmap } from "../../examples/src/plots/heatmap";
import { lineChart } from "../../examples/src/plots/line-chart";
import { decimalsFor, integerTicks, logTicks, niceTicks } from "../../examples/src/plots/ticks";
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

describe("logTicks", () => {
  it("uses 1, 2 and 5 per decade over two decades at most, powers of ten beyond", () => {
    expect(logTicks(0.0115, 0.596)).toEqual({ ticks: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1], domain: [0.01, 1] });
    expect(logTicks(0.05, 2.3)).toEqual({ ticks: [0.05, 0.1, 0.2, 0.5, 1, 2, 5], domain: [0.05, 5] });
    expect(logTicks(0.003, 0.9)).toEqual({ ticks: [0.001, 0.01, 0.1, 1], domain: [0.001, 1] });
    expect(logTicks(1e-6, 2.3).ticks).toEqual([1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10]);
    // Twelve decades: every second power of ten, so the labels do not crowd.
    expect(logTicks(1e-12, 5).ticks).toEqual([1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 0.01, 1, 100]);
  });

  it("encloses every range in at most eight ticks that print without rounding noise", () => {
    fc.assert(
      fc.property(fc.double({ min: -15, max: 15, noNaN: true }), fc.double({ min: 0.01, max: 20, noNaN: true }), (lowExponent, decades) => {
        const [min, max] = [10 ** lowExponent, 10 ** (lowExponent + decades)];
        const { ticks, domain } = logTicks(min, max);
        expect(domain[0]).toBeLessThanOrEqual(min);
        expect(domain[1]).toBeGreaterThanOrEqual(max);
        expect([ticks[0], ticks.at(-1)]).toEqual(domain);
        expect(ticks.length).toBeGreaterThanOrEqual(2);
        expect(ticks.length).toBeLessThanOrEqual(8);
        for (const tick of ticks) expect(String(tick)).toMatch(/^[125](e[-+]\d+)?$|^0\.0*[125]$|^[125]0*$/);
      }),
      { numRuns: 200 },
    );
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
    const text = lineChart({
      title: "Loss",
      xLabel: "Epoch",
      yLabel: "Loss",
      series: [{ name: "train", color: "#000", values: [1, 0.5, Number.NaN, 0.3, 0.2] }],
    });
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

  /** The clip rectangle and every marker, from the SVG text. */
  function geometry(text: string) {
    const clip = text.match(/<clipPath id="plot-area"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"\/>/);
    expect(clip).not.toBeNull();
    const [x, y, width, height] = clip!.slice(1).map(Number) as [number, number, number, number];
    const circles = [...text.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"/g)].map(
      (m) => m.slice(1).map(Number) as [number, number, number],
    );
    return { clip: { left: x, top: y, right: x + width, bottom: y + height }, circles };
  }

  it("draws every marker whole inside the clip rectangle, clear of its edges: first and last epoch, 100% and the floor", () => {
    // Accuracy reaching exactly 1, and a value right on the lowest tick (0.75).
    const text = lineChart({
      title: "Accuracy",
      xLabel: "Epoch",
      yLabel: "Accuracy",
      series: [
        { name: "train", color: "#1f77b4", values: [0.75, 0.9, 0.97, 1, 1] },
        { name: "test", color: "#d62728", values: [0.8, 0.85, 1, 0.95, 1], dashed: true },
      ],
    });
    const { clip, circles } = geometry(text);
    expect(circles).toHaveLength(10);
    const gap = 2; // pixels of air between a marker and the frame
    for (const [cx, cy, r] of circles) {
      expect(cx - r).toBeGreaterThanOrEqual(clip.left + gap);
      expect(cx + r).toBeLessThanOrEqual(clip.right - gap);
      expect(cy - r).toBeGreaterThanOrEqual(clip.top + gap);
      expect(cy + r).toBeLessThanOrEqual(clip.bottom - gap);
    }
    // The x axis is the frame's bottom edge: the 0.75 marker stays above it.
    expect(text).toContain(`y1="${clip.bottom}" y2="${clip.bottom}" stroke="#333"`);
    // The first and last epochs' markers are the leftmost and rightmost.
    const xs = circles.map(([cx]) => cx);
    expect(Math.min(...xs)).toBeLessThan(clip.left + 20);
    expect(Math.max(...xs)).toBeGreaterThan(clip.right - 20);
  });

  /** The y tick labels, bottom to top, each with the height of its grid line. */
  function yTicks(text: string): { y: number; label: string }[] {
    const labels = [...text.matchAll(/text-anchor="end" class="tick">([^<]+)</g)].map(([, label]) => label!);
    const grid = [...text.matchAll(/<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="[\d.]+" stroke="#e6e6e6"\/>/g)].map(([, y]) =>
      Number(y),
    );
    expect(grid).toHaveLength(labels.length);
    return labels.map((label, i) => ({ y: grid[i]!, label }));
  }

  it('plots a loss on a log scale when it spans more than ten times, with yScale "auto"', () => {
    const loss = (values: number[]) =>
      lineChart({ title: "Loss", xLabel: "Epoch", yLabel: "Loss", includeZero: true, yScale: "auto", series: series(values) });
    // 2.3 → 0.03 (and 2.53 → 0.033 for the test curve): more than a decade.
    const wide = loss([2.3, 0.5, 0.1, 0.03]);
    expect(wide).toContain(">Loss (log scale)</text>");
    const ticks = yTicks(wide);
    expect(ticks.map((t) => t.label)).toEqual(["0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5"]);
    // Equal ratios get equal distances: 0.1 → 1 is as tall as 0.2 → 2, and 0.1 → 0.2 as 1 → 2.
    const at = (label: string) => ticks.find((t) => t.label === label)!.y;
    expect(at("0.1") - at("1")).toBeCloseTo(at("0.2") - at("2"), 1);
    expect(at("1") - at("2")).toBeCloseTo(at("0.1") - at("0.2"), 1);
    expect(at("0.1") - at("1")).toBeGreaterThan(3 * (at("0.1") - at("0.2")));
    // Markers sit where the log scale puts them: 0.1 on the 0.1 grid line (cy rounded to 2 decimals).
    const { circles } = geometry(wide);
    expect(circles[2]![1]).toBeCloseTo(at("0.1"), 1);

    // Within a decade (2.3 → 0.3, test up to 2.53): linear from 0, as before.
    const narrow = loss([2.3, 1, 0.5, 0.3]);
    expect(narrow).toContain(">Loss</text>");
    expect(yTicks(narrow)[0]!.label).toBe("0");
  });

  it("stays linear without yScale, and when a value is not positive", () => {
    expect(lineChart({ title: "L", xLabel: "Epoch", yLabel: "Loss", series: series([2.3, 0.01]) })).toContain(">Loss</text>");
    expect(lineChart({ title: "L", xLabel: "Epoch", yLabel: "Loss", yScale: "auto", series: series([2.3, 0.01, 0]) })).toContain(
      ">Loss</text>",
    );
    expect(lineChart({ title: "L", xLabel: "Epoch", yLabel: "Loss", yScale: "auto", series: series([2.3, -1]) })).toContain(">Loss</text>");
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

import path from "node:path";
import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { NablaError, tensor } from "@nabla/tensor";
import { layerSizes, positiveInteger, positiveNumber } from "../../examples/src/cli/arguments";
import { formatDuration } from "../../examples/src/format";
import { formatJson } from "../../examples/src/json-file";
import { accuracyOf, confusionMatrix } from "../../examples/src/metrics";
import { buildMlp } from "../../examples/src/model";
import { defaultRunDirectory, repoRoot } from "../../examples/src/paths";
import { Standardizer } from "../../examples/src/standardizer";
import { renderConfusionMatrix } from "../../examples/src/terminal-report";

describe("Standardizer", () => {
  it("centres and scales each column by its mean and population standard deviation", () => {
    // Column a: 1, 2, 3, 6 → mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5. Column b: 10, 10, 10, 30 → mean 15, std √75.
    const x = tensor([
      [1, 10],
      [2, 10],
      [3, 10],
      [6, 30],
    ]);
    const standardizer = Standardizer.fit(x);
    expect(standardizer.mean.toArray()).toEqual([3, 15]);
    const [stdA, stdB] = standardizer.std.toArray() as number[];
    expect(stdA).toBeCloseTo(Math.sqrt(3.5), 6);
    expect(stdB).toBeCloseTo(Math.sqrt(75), 5);
    const z = standardizer.transform(tensor([[3, 15 + Math.sqrt(75)]])).toArray() as number[][];
    expect(z[0]![0]).toBeCloseTo(0, 6);
    expect(z[0]![1]).toBeCloseTo(1, 6);
  });

  it("scales a constant column by 1, even when float32 sums would leave a speck of spread", () => {
    const x = tensor(
      Float32Array.from({ length: 1437 * 2 }, (_, i) => (i % 2 === 0 ? 0.1 : i)),
      { shape: [1437, 2] },
    );
    const standardizer = Standardizer.fit(x);
    expect((standardizer.std.toArray() as number[])[0]).toBe(1);
    expect((standardizer.transform(x).toArray() as number[][]).every((row) => row[0] === 0)).toBe(true);
  });

  it("round-trips its statistics through plain numbers bit for bit", () => {
    const x = tensor([
      [0.1, 7.3],
      [0.7, -2.2],
      [1.9, 4.4],
    ]);
    const fitted = Standardizer.fit(x);
    const restored = Standardizer.fromStats(JSON.parse(JSON.stringify(fitted.toStats())), 2);
    expect(restored.mean.data()).toEqual(fitted.mean.data());
    expect(restored.std.data()).toEqual(fitted.std.data());
    expect(() => Standardizer.fromStats({ mean: [0], std: [1] }, 2)).toThrow("expected 2 means and standard deviations, got 1 and 1");
    expect(() => Standardizer.fromStats({ mean: [0, 0], std: [1, 0] }, 2)).toThrow(NablaError);
  });
});

describe("formatJson", () => {
  it("keeps arrays of plain values on one line and parses back to the same value", () => {
    const value = {
      names: ["a", "b]", "{c}"],
      matrix: [
        [1, 2],
        [3, 4],
      ],
      epochs: [{ epoch: 1, loss: 0.5 }],
      empty: [],
    };
    const text = formatJson(value);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).toContain('"matrix": [\n    [1, 2],\n    [3, 4]\n  ]');
    expect(text).toContain('"epochs": [\n    {\n      "epoch": 1,');
    expect(text.endsWith("}\n")).toBe(true);
  });
});

describe("confusion matrix", () => {
  it("counts [actual][predicted] and reads the accuracy off the diagonal", () => {
    const matrix = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3);
    expect(matrix).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(accuracyOf(matrix)).toBeCloseTo(4 / 6, 12);
  });

  it("renders in the terminal with true classes down and predictions across", () => {
    const text = stripVTControlCharacters(
      renderConfusionMatrix(
        ["setosa", "versicolor", "virginica"],
        [
          [10, 0, 0],
          [0, 9, 1],
          [0, 0, 10],
        ],
      ),
    );
    expect(text.split("\n")).toEqual([
      "              predicted →",
      "  true ↓          setosa  versicolor   virginica",
      "  setosa              10           0           0",
      "  versicolor           0           9           1",
      "  virginica            0           0          10",
    ]);
  });
});

describe("buildMlp", () => {
  it("alternates Linear and ReLU, naming parameters as torch.nn.Sequential", () => {
    const model = buildMlp({ type: "mlp", inFeatures: 4, hidden: [8, 5], activation: "relu", outFeatures: 3 });
    expect(model.namedParameters().map(([name, p]) => [name, ...p.shape])).toEqual([
      ["0.weight", 8, 4],
      ["0.bias", 8],
      ["2.weight", 5, 8],
      ["2.bias", 5],
      ["4.weight", 3, 5],
      ["4.bias", 3],
    ]);
    const linear = buildMlp({ type: "mlp", inFeatures: 4, hidden: [], activation: "relu", outFeatures: 3 });
    expect(linear.namedParameters().map(([name]) => name)).toEqual(["0.weight", "0.bias"]);
  });
});

describe("command-line values", () => {
  it("parses layer sizes, positive integers and learning rates, rejecting anything else", () => {
    expect(layerSizes("128,64")).toEqual([128, 64]);
    expect(layerSizes(" 32 ")).toEqual([32]);
    expect(layerSizes("none")).toEqual([]);
    for (const bad of ["128,", "0", "-4", "1.5", "a"])
      expect(() => layerSizes(bad), bad).toThrow("Expected comma-separated positive layer sizes");
    expect(positiveInteger("30")).toBe(30);
    for (const bad of ["0", "-1", "2.5", "1e3", "", "x"]) expect(() => positiveInteger(bad), bad).toThrow("Expected a positive integer.");
    expect(positiveNumber("1e-3")).toBe(0.001);
    for (const bad of ["0", "-0.1", "Infinity", "", "fast"]) expect(() => positiveNumber(bad), bad).toThrow("Expected a positive number");
  });

  it("names the default run folder after the UTC start time, under the repository's runs/", () => {
    expect(defaultRunDirectory(new Date(Date.UTC(2024, 4, 1, 12, 30, 5)))).toBe(path.join(repoRoot, "runs", "2024-05-01T12-30-05"));
  });

  it("formats durations for people", () => {
    expect([
      formatDuration(0.4213),
      formatDuration(12.34),
      formatDuration(125.2),
      formatDuration(119.7),
      formatDuration(Number.NaN),
    ]).toEqual(["0.42s", "12.3s", "2m 05s", "2m 00s", "?"]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineOp, gradcheck, registeredOps, type Tensor } from "@nabla/tensor";
import "@nabla/ops"; // its ops register themselves with defineOp too
import "@nabla/nn"; // and so does linear
import { float64 } from "../support/arbitraries";
import { nablaError } from "../support/errors";
import { allRows as rows, rowLabel, rowProperty } from "../support/op-table-cases";

// Taken before any test defines an op of its own.
const libraryOps = [...registeredOps().keys()];

const NUM_RUNS = 15;
const SIZES = { maxNumel: 24, maxBaseNumel: 96 };

describe("gradcheck over the op table (float64, random strided views)", () => {
  it.each(rows.map((row, i) => [rowLabel(row, i), row] as const))("%s", (_label, row) => {
    fc.assert(rowProperty(row, SIZES, gradcheck), { numRuns: NUM_RUNS });
  });
});

describe("the op table", () => {
  it("has a row for every op built with defineOp in @nabla/tensor, @nabla/ops and @nabla/nn", () => {
    expect(libraryOps).toEqual(expect.arrayContaining(["reshape", "matmul", "scatterAdd", "softmax", "linear"]));
    const covered = new Set(rows.flatMap((row) => [row.name, ...(row.covers ?? [])]));
    expect(libraryOps.filter((name) => !covered.has(name))).toEqual([]);
  });

  it("names only ops that exist, and gives domains for exactly its inputs", () => {
    const composites = [
      "crossEntropy",
      "nllLoss",
      "mseLoss",
      "l1Loss",
      "smoothL1Loss",
      "huberLoss",
      "binaryCrossEntropyWithLogits",
      "klDiv",
      "layerNorm",
      "batchNorm",
      "groupNorm",
      "embedding",
    ];
    const known = new Set([...libraryOps, ...composites]);
    for (const row of rows) {
      for (const name of [row.name, ...(row.covers ?? [])]) expect(known, `row ${row.name}`).toContain(name);
      if (row.domains) expect(row.domains.length, `row ${row.name}`).toBe(row.arity);
    }
  });
});

describe("a deliberately broken backward is caught", () => {
  // exp whose backward is 1% too large
  const brokenExp = defineOp({
    name: "brokenExp",
    forward(ctx, x: Tensor) {
      const y = x.exp();
      ctx.save(y);
      return y;
    },
    backward(ctx, gradOut) {
      return [gradOut.mul(ctx.saved[0]!).mul(1.01)];
    },
  });
  // cos whose backward has the wrong sign (+sin)
  const brokenCos = defineOp({
    name: "brokenCos",
    forward(ctx, x: Tensor) {
      ctx.save(x);
      return x.cos();
    },
    backward(ctx, gradOut) {
      return [gradOut.mul(ctx.saved[0]!.sin())];
    },
  });

  it("gradcheck reports the worst element with both values", () => {
    const x = float64([0.5, -1.25, 2], [3]);
    const report = gradcheck((t) => brokenExp(t), [x]);
    expect(report.ok).toBe(false);
    // the largest error is at the largest value, 2: analytic 1.01·e², numeric e²
    expect(report.worst).toMatchObject({ input: 0, index: 2, position: [2], outputIndex: 2 });
    expect(report.worst!.analytic).toBeCloseTo(1.01 * Math.exp(2), 9);
    expect(report.worst!.numeric).toBeCloseTo(Math.exp(2), 6);
    expect(report.maxAbsError).toBeCloseTo(0.01 * Math.exp(2), 6);

    const wrongSign = gradcheck((t) => brokenCos(t), [float64([1.5], [1])]);
    expect(wrongSign.ok).toBe(false);
    expect(wrongSign.worst!.analytic).toBeCloseTo(Math.sin(1.5), 9);
    expect(wrongSign.worst!.numeric).toBeCloseTo(-Math.sin(1.5), 6);
  });

  it("gradcheck throws a NablaError describing the failure when asked", () => {
    const x = float64([0.5, -1.25, 2], [3]);
    const error = nablaError(() => gradcheck((t) => brokenExp(t), [x], { throwOnFailure: true }), "gradcheck");
    expect(error.message).toMatch(
      /^gradcheck: analytic and numeric gradients differ for input 0 at element 2 \[2\] \(output element 2\): analytic 7\.46\d*, numeric 7\.38\d*/,
    );
  });

  it("a table row with a broken backward fails the shared property", () => {
    for (const broken of [
      { name: "brokenExp", arity: 1, call: ([x]: Tensor[]) => brokenExp(x!) },
      { name: "brokenCos", arity: 1, call: ([x]: Tensor[]) => brokenCos(x!) },
    ]) {
      const details = fc.check(rowProperty(broken, SIZES, gradcheck), { numRuns: 5 });
      expect(details.failed, broken.name).toBe(true);
    }
  });

  it("the same rows with a correct backward pass", () => {
    for (const row of [
      { name: "exp", arity: 1, call: ([x]: Tensor[]) => x!.exp() },
      { name: "cos", arity: 1, call: ([x]: Tensor[]) => x!.cos() },
    ]) {
      fc.assert(rowProperty(row, SIZES, gradcheck), { numRuns: 5 });
    }
  });
});

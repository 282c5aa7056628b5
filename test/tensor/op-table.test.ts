import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defineOp, gradcheck, NablaError, registeredOps, type Tensor } from "@nabla/tensor";
import "@nabla/ops"; // its ops register themselves with defineOp too
import { applySteps, float64, gridValuesArb, numelOf, shapeArb, stridedViewArb } from "../support/arbitraries";
import { tensorRows, type OpRow } from "../support/op-table";
import { opsRows } from "../support/op-table-ops";

// Taken before any test defines an op of its own.
const libraryOps = [...registeredOps().keys()];
const rows: OpRow[] = [...tensorRows, ...opsRows];

const NUM_RUNS = 15;
const MAX_NUMEL = 24; // elements of the shape an op sees
const MAX_BASE_NUMEL = 96; // elements of the contiguous base each input is cut from

/** A random instance of a row: the shape, and per input a strided view plan and its base values. */
function rowCaseArb(row: OpRow) {
  return shapeArb({ minRank: row.minRank ?? 0, maxRank: row.maxRank ?? 3, maxNumel: MAX_NUMEL }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      inputs: fc.tuple(
        ...Array.from({ length: row.arity }, (_, i) =>
          stridedViewArb(shape, { maxBaseNumel: MAX_BASE_NUMEL }).chain((view) =>
            // input i on grid slot i: no ties with the other inputs (maximum, where(a < b, …))
            gridValuesArb(numelOf(view.baseShape), row.domains?.[i] ?? "any", i).map((values) => ({ view, values })),
          ),
        ),
      ),
    }),
  );
}

/**
 * gradcheck perturbs the contiguous float64 bases; the views are taken inside f, so the op sees
 * offsets, steps, permuted and stride-0 layouts, and the views' own backward rules are checked
 * too. gradcheck builds the full Jacobian (one unit cotangent per output element), so the op's
 * output is returned as it is: no sum() that could hide a wrong backward.
 */
function rowProperty(row: OpRow) {
  return fc.property(rowCaseArb(row), ({ shape, inputs }) => {
    const bases = inputs.map(({ view, values }) => float64(values, view.baseShape));
    const f = (...xs: Tensor[]) => row.call(xs.map((x, i) => applySteps(x, inputs[i]!.view.steps)), shape);
    const report = gradcheck(f, bases, { atol: row.atol ?? 1e-5, rtol: row.rtol ?? 1e-3 });
    expect(report.ok, `worst: ${JSON.stringify(report.worst)}`).toBe(true);
  });
}

const rowLabel = (row: OpRow, i: number) => `${row.name}${row.covers ? ` (+${row.covers.join(", ")})` : ""} #${i}`;

describe("gradcheck over the op table (float64, random strided views)", () => {
  it.each(rows.map((row, i) => [rowLabel(row, i), row] as const))("%s", (_label, row) => {
    fc.assert(rowProperty(row), { numRuns: NUM_RUNS });
  });
});

describe("the op table", () => {
  it("has a row for every op built with defineOp in @nabla/tensor and @nabla/ops", () => {
    expect(libraryOps).toEqual(expect.arrayContaining(["reshape", "matmul", "scatterAdd", "softmax"]));
    const covered = new Set(rows.flatMap((row) => [row.name, ...(row.covers ?? [])]));
    expect(libraryOps.filter((name) => !covered.has(name))).toEqual([]);
  });

  it("names only ops that exist, and gives domains for exactly its inputs", () => {
    const known = new Set([...libraryOps, "crossEntropy", "nllLoss"]);
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
    let error: unknown;
    try {
      gradcheck((t) => brokenExp(t), [x], { throwOnFailure: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NablaError);
    expect((error as NablaError).op).toBe("gradcheck");
    expect((error as NablaError).message).toMatch(/^gradcheck: analytic and numeric gradients differ for input 0 at element 2 \[2\] \(output element 2\): analytic 7\.46\d*, numeric 7\.38\d*/);
  });

  it("a table row with a broken backward fails the shared property", () => {
    for (const broken of [
      { name: "brokenExp", arity: 1, call: ([x]: Tensor[]) => brokenExp(x!) },
      { name: "brokenCos", arity: 1, call: ([x]: Tensor[]) => brokenCos(x!) },
    ]) {
      const details = fc.check(rowProperty(broken), { numRuns: 5 });
      expect(details.failed, broken.name).toBe(true);
    }
  });

  it("the same rows with a correct backward pass", () => {
    fc.assert(rowProperty({ name: "exp", arity: 1, call: ([x]) => x!.exp() }), { numRuns: 5 });
    fc.assert(rowProperty({ name: "cos", arity: 1, call: ([x]) => x!.cos() }), { numRuns: 5 });
  });
});

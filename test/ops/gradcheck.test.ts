import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gradcheck, gradgradcheck, type Tensor } from "@nabla/tensor";
import { applySteps, float64, gridValuesArb, numelOf, shapeArb, stridedViewArb } from "../support/arbitraries";
import type { OpRow } from "../support/op-table";
import { opsRows } from "../support/op-table-ops";

// The shared op-table property (test/tensor/op-table.test.ts) runs these rows too; this file
// checks them harder: more runs, larger shapes, and second derivatives.
const NUM_RUNS = 10;
const SECOND_ORDER_RUNS = 4;
const MAX_NUMEL = 30;

/** One random instance of a row: a shape, and per input a strided-view plan and base values. */
function instanceArb(row: OpRow) {
  return shapeArb({ minRank: row.minRank ?? 0, maxRank: row.maxRank ?? 4, maxNumel: MAX_NUMEL }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      inputs: fc.tuple(
        ...Array.from({ length: row.arity }, (_, i) =>
          stridedViewArb(shape, { maxBaseNumel: 4 * MAX_NUMEL }).chain((view) =>
            gridValuesArb(numelOf(view.baseShape), row.domains?.[i] ?? "any", i).map((values) => ({ view, values })),
          ),
        ),
      ),
    }),
  );
}

const rowLabel = (row: OpRow, i: number) => `${row.name} #${i}`;

describe("gradcheck over the @nabla/ops op-table rows (float64, strided views)", () => {
  it.each(opsRows.map((row, i) => [rowLabel(row, i), row] as const))("%s", (_name, row) => {
    fc.assert(
      fc.property(instanceArb(row), ({ shape, inputs }) => {
        // gradcheck perturbs contiguous bases; the views are taken inside f, so the op sees strides
        const bases = inputs.map(({ view, values }) => float64(values, view.baseShape));
        const f = (...xs: Tensor[]) =>
          row.call(
            xs.map((x, i) => applySteps(x, inputs[i]!.view.steps)),
            shape,
          );
        const report = gradcheck(f, bases, { atol: row.atol ?? 1e-5, rtol: row.rtol ?? 1e-3 });
        expect(report.ok, JSON.stringify(report.worst)).toBe(true);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("gradgradcheck over the @nabla/ops op-table rows: the backward rules are differentiable", () => {
  it.each(opsRows.map((row, i) => [rowLabel(row, i), row] as const))("%s", (_name, row) => {
    fc.assert(
      fc.property(instanceArb(row), ({ shape, inputs }) => {
        const bases = inputs.map(({ view, values }) => float64(values, view.baseShape));
        const f = (...xs: Tensor[]) =>
          row.call(
            xs.map((x, i) => applySteps(x, inputs[i]!.view.steps)),
            shape,
          );
        const report = gradgradcheck(f, bases, { atol: row.atol ?? 1e-5, rtol: row.rtol ?? 1e-3 });
        expect(report.ok, JSON.stringify(report.worst)).toBe(true);
      }),
      { numRuns: SECOND_ORDER_RUNS },
    );
  });
});

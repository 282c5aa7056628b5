import fc from "fast-check";
import { expect } from "vitest";
import type { GradcheckOptions, GradcheckResult, Tensor } from "@nabla/tensor";
import { applySteps, float64, gridValuesArb, numelOf, shapeArb, stridedViewArb } from "./arbitraries";
import { tensorRows, type OpRow } from "./op-table";
import { nnRows } from "./op-table-nn";
import { opsRows } from "./op-table-ops";

/** Every row: @nabla/tensor's, @nabla/ops' and @nabla/nn's. */
export const allRows: OpRow[] = [...tensorRows, ...opsRows, ...nnRows];

export interface CaseSizes {
  /** Elements of the shape the op sees. */
  maxNumel: number;
  /** Elements of the contiguous base each input is cut from. */
  maxBaseNumel: number;
  /** Caps the row's own maxRank. */
  maxRank?: number;
}

/** A random instance of a row: the shape, and per input a strided view plan and its base values. */
export function rowCaseArb(row: OpRow, sizes: CaseSizes) {
  const maxRank = Math.min(row.maxRank ?? 3, sizes.maxRank ?? 3);
  return shapeArb({ minRank: row.minRank ?? 0, maxRank, maxNumel: sizes.maxNumel }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      inputs: fc.tuple(
        ...Array.from({ length: row.arity }, (_, i) =>
          stridedViewArb(shape, { maxBaseNumel: sizes.maxBaseNumel }).chain((view) =>
            // input i on grid slot i: no ties with the other inputs (maximum, where(a < b, …))
            gridValuesArb(numelOf(view.baseShape), row.domains?.[i] ?? "any", i).map((values) => ({ view, values })),
          ),
        ),
      ),
    }),
  );
}

type Check = (f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions) => GradcheckResult;

/**
 * A property running `check` (gradcheck or gradgradcheck) on random instances of a row. The check
 * perturbs the contiguous float64 bases; the views are taken inside f, so the op sees offsets,
 * steps, permuted and stride-0 layouts, and the views' own backward rules are checked too. The
 * checks build the full Jacobian (one unit cotangent per output element), so the op's output is
 * returned as it is: no sum() that could hide a wrong backward.
 */
export function rowProperty(row: OpRow, sizes: CaseSizes, check: Check) {
  return fc.property(rowCaseArb(row, sizes), ({ shape, inputs }) => {
    const bases = inputs.map(({ view, values }) => float64(values, view.baseShape));
    const f = (...xs: Tensor[]) =>
      row.call(
        xs.map((x, i) => applySteps(x, inputs[i]!.view.steps)),
        shape,
      );
    const report = check(f, bases, { atol: row.atol ?? 1e-5, rtol: row.rtol ?? 1e-3 });
    expect(report.ok, `worst: ${JSON.stringify(report.worst)}`).toBe(true);
  });
}

export const rowLabel = (row: OpRow, i: number) => `${row.name}${row.covers ? ` (+${row.covers.join(", ")})` : ""} #${i}`;

import { describe, expect, it } from "vitest";
import type { Tensor } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { PASSES, expectClose, fromFlat } from "./reference";

// Reductions against PyTorch: sum, mean, max, min (amax/amin; inputs have no ties), var and std
// with correction 0/1/2, argmax and argmin, over one dim, a list of dims or all, with keepdim,
// on contiguous and permuted inputs, with the gradient for a random cotangent (the degenerate
// var with n − correction = 0 is checked for its inf value only).

interface ReductionCase {
  op: "sum" | "mean" | "max" | "min" | "var" | "std" | "argmax" | "argmin";
  /** The name of the shared input it reduces. */
  input: string;
  dim: number | number[] | null;
  keepdim: boolean;
  correction?: number;
  permute?: number[];
  outShape: number[];
  out: number[];
  cotangent?: number[];
  grad?: number[];
}

const { inputs, cases } = loadFixture<{ inputs: Record<string, { shape: number[]; values: number[] }>; cases: ReductionCase[] }>(
  "tensor_reductions.json",
);

function reduce(c: ReductionCase, x: Tensor): Tensor {
  const dim = c.dim ?? undefined;
  switch (c.op) {
    case "var":
      return x.var(dim, c.keepdim, c.correction);
    case "std":
      return x.std(dim, c.keepdim, c.correction);
    case "argmax":
      return x.argmax(dim as number | undefined, c.keepdim);
    case "argmin":
      return x.argmin(dim as number | undefined, c.keepdim);
    default:
      return x[c.op](dim, c.keepdim);
  }
}

function caseName(c: ReductionCase): string {
  const input = `[${inputs[c.input]!.shape.join(", ")}]${c.permute ? `.permute([${c.permute.join(", ")}])` : ""}`;
  const correction = c.correction === undefined ? "" : `, correction ${c.correction}`;
  return `${c.op} of ${input} over ${c.dim === null ? "all" : JSON.stringify(c.dim)}${c.keepdim ? " keepdim" : ""}${correction}`;
}

describe("reductions against PyTorch", () => {
  it("covers every reduction, correction and dim form", () => {
    expect(new Set(cases.map((c) => c.op))).toEqual(new Set(["sum", "mean", "max", "min", "var", "std", "argmax", "argmin"]));
    expect(new Set(cases.filter((c) => c.op === "std").map((c) => c.correction))).toEqual(new Set([0, 1, 2]));
    expect(cases.some((c) => Array.isArray(c.dim) && c.keepdim)).toBe(true);
  });

  it.each(cases.map((c) => [caseName(c), c] as const))("%s", (_name, c) => {
    for (const { dtype, tolerance } of PASSES) {
      const { shape, values } = inputs[c.input]!;
      const x = fromFlat(values, shape, dtype, true);
      const out = reduce(c, c.permute ? x.permute(c.permute) : x);
      expect(out.shape, "shape").toEqual(c.outShape);
      if (c.op === "argmax" || c.op === "argmin") {
        expect(out.dtype).toBe("int32");
        expect(Array.from(out.data()), `${dtype} indices`).toEqual(c.out);
        continue;
      }
      expect(out.dtype).toBe(dtype);
      expectClose(out.data(), c.out, tolerance, `${dtype} value`);
      if (c.grad === undefined) continue;
      out.backward(fromFlat(c.cotangent!, c.outShape, dtype));
      expectClose(x.grad!.data(), c.grad, tolerance, `${dtype} grad`);
    }
  });
});

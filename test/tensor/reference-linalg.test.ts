import { describe, expect, it } from "vitest";
import { matmul } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { PASSES, type TwoInputCase, expectClose, fromFlat } from "./reference";

// matmul against PyTorch for every rank combination (1-D promotion on either side, batched with
// broadcasting), transposed operands, size-1 and empty inner dims: values and both gradients.

interface MatmulCase extends TwoInputCase {
  transposeA: boolean;
  transposeB: boolean;
}

const { cases } = loadFixture<{ cases: MatmulCase[] }>("tensor_matmul.json");

function operand(shape: readonly number[], transposed: boolean): string {
  return `[${shape.join(", ")}]${transposed ? ".mT" : ""}`;
}

describe("matmul against PyTorch", () => {
  it.each(cases.map((c) => [operand(c.aShape, c.transposeA), operand(c.bShape, c.transposeB), c] as const))(
    "%s @ %s: values and gradients",
    (_a, _b, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const a = fromFlat(c.a, c.aShape, dtype, true);
        const b = fromFlat(c.b, c.bShape, dtype, true);
        const out = matmul(c.transposeA ? a.mT : a, c.transposeB ? b.mT : b);
        expect(out.shape).toEqual(c.outShape);
        expect(out.dtype).toBe(dtype);
        expectClose(out.data(), c.out, tolerance, `${dtype} value`);
        out.backward(fromFlat(c.cotangent, c.outShape, dtype));
        expect(a.grad!.shape).toEqual(c.aShape);
        expect(b.grad!.shape).toEqual(c.bShape);
        expectClose(a.grad!.data(), c.gradA, tolerance, `${dtype} grad a`);
        expectClose(b.grad!.data(), c.gradB, tolerance, `${dtype} grad b`);
      }
    },
  );
});

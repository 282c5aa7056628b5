import { describe, expect, it } from "vitest";
import { cat, gather, indexSelect, scatterAdd, split, stack, tensor } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { PASSES, expectClose, fromFlat } from "./reference";

// gather, scatterAdd, indexSelect, cat, stack and split against PyTorch, with repeated indices
// (whose gradients add up), negative dims and empty parts: values and gradients.

interface GatherCase {
  shape: number[];
  dim: number;
  indexShape: number[];
  index: number[];
  x: number[];
  out: number[];
  cotangent: number[];
  grad: number[];
}

interface ScatterAddCase {
  shape: number[];
  dim: number;
  indexShape: number[];
  index: number[];
  srcShape: number[];
  x: number[];
  src: number[];
  out: number[];
  cotangent?: number[];
  gradX?: number[];
  gradSrc?: number[];
}

interface IndexSelectCase {
  shape: number[];
  dim: number;
  index: number[];
  x: number[];
  outShape: number[];
  out: number[];
  cotangent: number[];
  grad: number[];
}

interface JoinCase {
  op: "cat" | "stack";
  shapes: number[][];
  dim: number;
  xs: number[][];
  outShape: number[];
  out: number[];
  cotangent: number[];
  grads: number[][];
}

interface SplitCase {
  shape: number[];
  split: number | number[];
  dim: number;
  x: number[];
  partShapes: number[][];
  parts: number[][];
  cotangents: number[][];
  grad: number[];
}

const fixture = loadFixture<{
  gather: GatherCase[];
  scatterAdd: ScatterAddCase[];
  indexSelect: IndexSelectCase[];
  join: JoinCase[];
  split: SplitCase[];
}>("tensor_indexing.json");

const int32 = (values: readonly number[], shape: readonly number[]) => tensor(Int32Array.from(values), { shape });
const shapeLabel = (shape: readonly number[]) => `[${shape.join(", ")}]`;

describe("indexing ops against PyTorch", () => {
  it.each(fixture.gather.map((c) => [shapeLabel(c.shape), c.dim, shapeLabel(c.indexShape), c] as const))(
    "gather from %s along %i with index %s",
    (_s, _d, _i, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const x = fromFlat(c.x, c.shape, dtype, true);
        const out = gather(x, c.dim, int32(c.index, c.indexShape));
        expect(out.shape).toEqual(c.indexShape);
        expectClose(out.data(), c.out, tolerance, `${dtype} value`);
        out.backward(fromFlat(c.cotangent, c.indexShape, dtype));
        expectClose(x.grad!.data(), c.grad, tolerance, `${dtype} grad`);
      }
    },
  );

  it.each(fixture.scatterAdd.map((c) => [shapeLabel(c.shape), c.dim, shapeLabel(c.srcShape), c] as const))(
    "scatterAdd into %s along %i from src %s",
    (_s, _d, _src, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const x = fromFlat(c.x, c.shape, dtype, true);
        const src = fromFlat(c.src, c.srcShape, dtype, true);
        const out = scatterAdd(x, c.dim, int32(c.index, c.indexShape), src);
        expect(out.shape).toEqual(c.shape);
        expectClose(out.data(), c.out, tolerance, `${dtype} value`);
        if (c.cotangent === undefined) continue;
        out.backward(fromFlat(c.cotangent, c.shape, dtype));
        expectClose(x.grad!.data(), c.gradX!, tolerance, `${dtype} grad x`);
        expectClose(src.grad!.data(), c.gradSrc!, tolerance, `${dtype} grad src`);
      }
    },
  );

  it.each(fixture.indexSelect.map((c) => [shapeLabel(c.shape), c.dim, JSON.stringify(c.index), c] as const))(
    "indexSelect from %s along %i at %s",
    (_s, _d, _i, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const x = fromFlat(c.x, c.shape, dtype, true);
        const out = indexSelect(x, c.dim, int32(c.index, [c.index.length]));
        expect(out.shape).toEqual(c.outShape);
        expectClose(out.data(), c.out, tolerance, `${dtype} value`);
        out.backward(fromFlat(c.cotangent, c.outShape, dtype));
        expectClose(x.grad!.data(), c.grad, tolerance, `${dtype} grad`);
      }
    },
  );

  it.each(fixture.join.map((c) => [c.op, c.shapes.map(shapeLabel).join(", "), c.dim, c] as const))(
    "%s of %s along %i",
    (_op, _s, _d, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const xs = c.xs.map((values, i) => fromFlat(values, c.shapes[i]!, dtype, true));
        const out = (c.op === "cat" ? cat : stack)(xs, c.dim);
        expect(out.shape).toEqual(c.outShape);
        expectClose(out.data(), c.out, tolerance, `${dtype} value`);
        out.backward(fromFlat(c.cotangent, c.outShape, dtype));
        xs.forEach((x, i) => {
          expectClose(x.grad!.data(), c.grads[i]!, tolerance, `${dtype} grad of tensor ${i}`);
        });
      }
    },
  );

  it.each(fixture.split.map((c) => [shapeLabel(c.shape), JSON.stringify(c.split), c.dim, c] as const))(
    "split %s by %s along %i: parts and the gradient through all of them",
    (_s, _split, _d, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const x = fromFlat(c.x, c.shape, dtype, true);
        const parts = split(x, c.split, c.dim);
        expect(parts.map((p) => p.shape)).toEqual(c.partShapes);
        parts.forEach((p, i) => {
          expectClose(p.data(), c.parts[i]!, tolerance, `${dtype} part ${i}`);
        });
        // Σᵢ ⟨partᵢ, cᵢ⟩ as one scalar, so one backward sends every part's cotangent home
        const loss = parts
          .map((p, i) => p.mul(fromFlat(c.cotangents[i]!, c.partShapes[i]!, dtype)).sum())
          .reduce((total, term) => total.add(term));
        loss.backward();
        expectClose(x.grad!.data(), c.grad, tolerance, `${dtype} grad`);
      }
    },
  );
});

describe("gather and scatterAdd on 0-d tensors", () => {
  // PyTorch takes a 0-d tensor beside a 1-D one as having size 1 (values from torch 1.13; the
  // fixtures above add gradients); these read past the 0-d input's strides and gave NaN, and
  // scatterAdd dropped the sum
  it("gather(tensor(5), 0, [0, 0]) is [5, 5], not [NaN, NaN]", () => {
    const out = gather(tensor(5), 0, int32([0, 0], [2]));
    expect(out.shape).toEqual([2]);
    expect(out.toArray()).toEqual([5, 5]);
  });

  it("scatterAdd(tensor(0), 0, [0, 0, 0], [1, 2, 3]) is 6, not 0", () => {
    const out = scatterAdd(tensor(0), 0, int32([0, 0, 0], [3]), tensor([1, 2, 3]));
    expect(out.shape).toEqual([]);
    expect(out.item()).toBe(6);
  });
});

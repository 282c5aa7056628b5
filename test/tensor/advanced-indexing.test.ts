import { describe, expect, it } from "vitest";
import {
  arange,
  einsum,
  flip,
  index,
  indexPut_,
  maskedSelect,
  noGrad,
  repeat,
  sort,
  take,
  tensor,
  topk,
  tril,
  version,
  zeros,
} from "@nabla/tensor";
import { nablaError } from "../support/errors";

// Behaviour the PyTorch fixtures cannot pin: which value wins a repeated indexPut_, version bumps,
// views, the sort kernel on strided inputs, and the exact messages for bad input.

const i32 = (values: number[] | number[][]) => tensor(values, { dtype: "int32" });

describe("indexPut_", () => {
  it("keeps the last of repeated positions without accumulate, and bumps the version once", () => {
    const x = zeros([3]);
    const before = x.storage.version;
    indexPut_(x, [i32([1, 1, 1])], tensor([4, 5, 6]));
    expect(x.toArray()).toEqual([0, 6, 0]);
    expect(x.storage.version).toBe(before + 1);
    expect(version).toBeTypeOf("string");
  });

  it("writes through a view into its base", () => {
    const base = zeros([2, 3]);
    indexPut_(base.select(0, 1), [i32([0, 2])], 1);
    expect(base.toArray()).toEqual([
      [0, 0, 0],
      [1, 0, 1],
    ]);
  });

  it("lets gradients reach the values and the kept elements", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const v = tensor([10, 20], { requiresGrad: true });
    const y = x.mul(1);
    indexPut_(y, [i32([2, 2])], v, { accumulate: true });
    y.backward(tensor([1, 2, 3]));
    expect(x.grad!.toArray()).toEqual([1, 2, 3]);
    expect(v.grad!.toArray()).toEqual([3, 3]);
  });

  it("refuses a leaf that requires grad, values that do not broadcast, and a lossy dtype", () => {
    const leaf = tensor([1, 2], { requiresGrad: true });
    expect(nablaError(() => indexPut_(leaf, [i32([0])], 1), "indexPut_").message).toMatch(/leaf tensor that requires grad/);
    expect(nablaError(() => indexPut_(zeros([4]), [i32([0, 1])], tensor([1, 2, 3]))).message).toBe(
      "indexPut_: values of shape [3] cannot be broadcast to the indexed shape [2]",
    );
    expect(nablaError(() => indexPut_(zeros([2], { dtype: "int32" }), [i32([0])], tensor([1.5]))).message).toBe(
      "indexPut_: values of dtype float32 cannot be stored in a int32 tensor",
    );
    noGrad(() => indexPut_(leaf, [i32([0])], 5));
    expect(leaf.toArray()).toEqual([5, 2]);
  });
});

describe("index errors name the value, the dim and where it is", () => {
  const x = arange(20).reshape([5, 4]);
  it("out of range, negative too", () => {
    expect(
      nablaError(() =>
        index(x, [
          i32([
            [0, 1, 2],
            [3, 4, 7],
          ]),
        ]),
      ).message,
    ).toBe("index: index 7 is out of range for dim 0 of size 5 (at position [1, 2] of indices[0])");
    expect(nablaError(() => index(x, [null, i32([-5])])).message).toBe(
      "index: index -5 is out of range for dim 1 of size 4 (at position [0] of indices[1])",
    );
    expect(nablaError(() => take(x, i32([20]))).message).toBe(
      "take: index 20 is out of range for dim 0 of size 20 (at position [0] of index)",
    );
  });

  it("masks of the wrong shape, too many indices, other dtypes, shapes that do not broadcast", () => {
    expect(nablaError(() => index(x, [tensor([true, false])])).message).toBe(
      "index: the mask indices[0] of shape [2] does not match the dims it indexes, [5] (dims 0 to 0 of shape [5, 4])",
    );
    expect(nablaError(() => index(x, [null, null, i32([0])])).message).toBe(
      "index: too many indices for a tensor of shape [5, 4]: indices[2] (int32 [1]) would index dim 2",
    );
    expect(nablaError(() => index(x, [tensor([0.0])])).message).toBe(
      "index: indices[0] must be an int32 tensor, a bool mask or null, got a float32 tensor",
    );
    expect(nablaError(() => index(x, [i32([0, 1]), i32([0, 1, 2])]), "index").message).toMatch(/\[2\].*\[3\]/);
    expect(nablaError(() => maskedSelect(x, tensor([true, false]))).op).toBe("maskedSelect");
  });

  it("a 0-d mask adds a dim, and no index tensors leave x as it is", () => {
    expect(index(tensor([1, 2]), [tensor(true)]).toArray()).toEqual([[1, 2]]);
    expect(index(tensor([1, 2]), [tensor(false)]).shape).toEqual([0, 2]);
    expect(index(x, [null])).toBe(x);
  });
});

describe("sort", () => {
  it("sorts rows of a strided view (transposed, stepped) and keeps ties in order", () => {
    const base = tensor([
      [3, 1, 2, 1],
      [0, 5, 5, 4],
      [2, 2, 9, 1],
    ]);
    const view = base.T.slice(0, 0, 4, 2); // [[3, 0, 2], [2, 5, 9]]
    expect(sort(view, 1).values.toArray()).toEqual([
      [0, 2, 3],
      [2, 5, 9],
    ]);
    expect(sort(view, 0, { descending: true }).indices.toArray()).toEqual([
      [0, 1, 1],
      [1, 0, 0],
    ]);
    expect(sort(tensor([1, 0, 1, 0, 1]), 0, { descending: true }).indices.toArray()).toEqual([0, 2, 4, 1, 3]);
  });

  it("topk refuses k beyond the dim", () => {
    expect(nablaError(() => topk(zeros([2, 3]), 4, 1)).message).toBe("topk: k 4 is out of range for dim 1 of size 3 (shape [2, 3])");
  });
});

describe("structure and einsum", () => {
  it("flip copies (the result does not share storage) and reads negative-stride views of views", () => {
    const x = arange(6).reshape([2, 3]);
    const y = flip(x.T, [0, 1]);
    expect(y.toArray()).toEqual([
      [5, 2],
      [4, 1],
      [3, 0],
    ]);
    expect(y.storage).not.toBe(x.storage);
  });

  it("tril needs a matrix, repeat enough sizes", () => {
    expect(nablaError(() => tril(tensor([1, 2]))).message).toBe("tril: needs at least 2 dims, got shape [2]");
    expect(nablaError(() => repeat(zeros([2, 2]), 2)).message).toBe(
      "repeat: needs at least one size per dim: 1 sizes for a tensor of shape [2, 2]",
    );
  });

  it("einsum errors name the equation and the shapes", () => {
    const a = zeros([2, 3]);
    expect(nablaError(() => einsum("ij,jk->ik", a)).message).toBe(
      'einsum: the equation has 2 operand subscripts but 1 operands were given ("ij,jk->ik" with shapes [2, 3])',
    );
    expect(nablaError(() => einsum("ijk", a)).message).toBe('einsum: operand 0 has 2 dims but 3 subscripts ("ijk" with shapes [2, 3])');
    expect(nablaError(() => einsum("ij->k", a)).message).toBe(
      'einsum: output subscript k appears in no operand ("ij->k" with shapes [2, 3])',
    );
    expect(nablaError(() => einsum("ij->ii", a)).message).toBe(
      'einsum: output subscript i appears more than once ("ij->ii" with shapes [2, 3])',
    );
    expect(nablaError(() => einsum("ii", a)).message).toBe(
      'einsum: subscript i repeats in operand 0 with sizes 2 and 3 ("ii" with shapes [2, 3])',
    );
    expect(nablaError(() => einsum("i2", a)).op).toBe("einsum");
  });
});

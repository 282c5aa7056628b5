import { describe, expect, it, vi } from "vitest";
import { tensor, zeros, type Tensor } from "@nabla/tensor";
import { logSoftmax, logsumexp, softmax, softmaxBackward, softmaxJacobian } from "@nabla/ops";
import { loadFixture } from "../support/fixtures";
import { expectClose, fromFlat, TOLERANCE, type FloatDType } from "../support/reference";
import { nablaError } from "../support/errors";

interface SoftmaxCase {
  name: string;
  op: "softmax" | "logSoftmax" | "logsumexp";
  dtype: FloatDType;
  shape: number[];
  x: number[];
  permute?: number[];
  dim: number | number[];
  keepdim?: boolean;
  out: number[];
  outShape: number[];
  cotangent: number[];
  grad: number[];
}

interface JacobianCase {
  x: number[];
  jacobian: number[];
}

const { cases, jacobians } = loadFixture<{ cases: SoftmaxCase[]; jacobians: JacobianCase[] }>("ops_softmax.json");

function apply(c: SoftmaxCase, x: Tensor): Tensor {
  if (c.op === "softmax") return softmax(x, c.dim as number);
  if (c.op === "logSoftmax") return logSoftmax(x, c.dim as number);
  return logsumexp(x, c.dim, c.keepdim);
}

describe("softmax family against PyTorch", () => {
  it("reproduces the seed example softmax([2.0, 1.0, 0.1])", () => {
    const s = softmax(tensor([2.0, 1.0, 0.1]));
    expect(s.dtype).toBe("float32");
    expectClose(s.data(), [0.65900114, 0.24243297, 0.09856589], { rtol: 1e-6, atol: 1e-8 }, "seed");
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s: value and gradient", (_name, c) => {
    const x = fromFlat(c.x, c.shape, c.dtype, true);
    const out = apply(c, c.permute ? x.permute(c.permute) : x);
    expect(out.shape).toEqual(c.outShape);
    expect(out.dtype).toBe(c.dtype);
    expectClose(out.data(), c.out, TOLERANCE[c.dtype], "value");
    out.backward(fromFlat(c.cotangent, c.outShape, c.dtype));
    expect(x.grad).not.toBeNull();
    expect(x.grad!.shape).toEqual(c.shape);
    expectClose(x.grad!.data(), c.grad, TOLERANCE[c.dtype], "gradient");
  });

  it.each(cases.filter((c) => c.op === "softmax").map((c) => [c.name, c] as const))(
    "%s: softmaxBackward(s, g, dim) alone gives the gradient",
    (_name, c) => {
      // the teaching export, fed PyTorch's own output and cotangent (in the permuted layout)
      const s = fromFlat(c.out, c.outShape, c.dtype);
      const g = fromFlat(c.cotangent, c.outShape, c.dtype);
      let grad = softmaxBackward(s, g, c.dim as number);
      if (c.permute) grad = grad.permute(c.permute.map((_, i) => c.permute!.indexOf(i)));
      expectClose(grad.data(), c.grad, TOLERANCE[c.dtype], "softmaxBackward");
    },
  );

  it.each(jacobians.map((c) => [c.x.join(", "), c] as const))("softmaxJacobian([%s]) = diag(s) − s sᵀ", (_name, c) => {
    const n = c.x.length;
    const jacobian = softmaxJacobian(fromFlat(c.x, [n], "float64"));
    expect(jacobian.shape).toEqual([n, n]);
    expectClose(jacobian.data(), c.jacobian, TOLERANCE.float64, "jacobian");
  });
});

describe("softmax family: numerical edge cases", () => {
  it("gives large logits the softmax of their offsets from the max", () => {
    const shifted = softmax(tensor([1000, 1001, 1002], { dtype: "float64" })).data();
    const plain = softmax(tensor([0, 1, 2], { dtype: "float64" })).data();
    expect(Array.from(shifted)).toEqual(Array.from(plain));
  });

  it("keeps logSoftmax([-1000, 0]) = [-1000, 0] exactly", () => {
    expect(Array.from(logSoftmax(tensor([-1000, 0], { dtype: "float64" })).data())).toEqual([-1000, 0]);
  });

  it("gives -Infinity entries an exact 0 and a zero gradient, with no NaN", () => {
    const x = tensor([-Infinity, 1, -Infinity, 2], { dtype: "float64", requiresGrad: true });
    const s = softmax(x);
    const values = Array.from(s.data());
    expect(values[0]).toBe(0);
    expect(values[2]).toBe(0);
    expect(values.every(Number.isFinite)).toBe(true);
    s.backward(tensor([0.3, -1.2, 0.7, 2.0], { dtype: "float64" }));
    const grad = Array.from(x.grad!.data());
    expect(Math.abs(grad[0]!)).toBe(0);
    expect(Math.abs(grad[2]!)).toBe(0);
    expect(grad.every(Number.isFinite)).toBe(true);
    expect(Array.from(logSoftmax(x).data()).slice(0, 1)).toEqual([-Infinity]);
  });

  it("gives NaN for a slice that is entirely -Infinity (as PyTorch) and leaves other slices alone", () => {
    const x = tensor(
      [
        [-Infinity, -Infinity],
        [0, Math.log(3)],
      ],
      { dtype: "float64" },
    );
    for (const out of [softmax(x, 1), logSoftmax(x, 1)]) {
      const [a, b, c, d] = Array.from(out.data());
      expect(Number.isNaN(a!) && Number.isNaN(b!)).toBe(true);
      expect(Number.isFinite(c!) && Number.isFinite(d!)).toBe(true);
    }
    expect(Array.from(logsumexp(x, 1).data())[0]).toBe(-Infinity);
  });

  it("keeps the dtype and leaves the input untouched", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(softmax(x, 0).dtype).toBe("float32");
    expect(logSoftmax(x).dtype).toBe("float32");
    expect(logsumexp(x, 1).dtype).toBe("float32");
    expect(x.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("records its own graph node, named after the op", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(softmax(x).gradFn?.name).toBe("softmax");
    expect(logSoftmax(x).gradFn?.name).toBe("logSoftmax");
    expect(logsumexp(x, 0).gradFn?.name).toBe("logsumexp");
  });

  it("promotes int32 to float32 in logsumexp, as PyTorch", () => {
    const y = logsumexp(tensor([1, 2], { dtype: "int32" }), 0);
    expect(y.dtype).toBe("float32");
    expectClose(y.data(), [2.3132616875182226], TOLERANCE.float32, "logsumexp int32");
  });

  it("handles a zero-size slice: softmax is empty, logsumexp is -Infinity", () => {
    expect(softmax(zeros([3, 0]), 1).shape).toEqual([3, 0]);
    expect(Array.from(logsumexp(zeros([2, 0]), 1).data())).toEqual([-Infinity, -Infinity]);
  });
});

describe("logsumexp of rows that are all -Infinity, hold +Infinity, or are finite", () => {
  const mixed = cases.filter((c) => c.name.startsWith("logsumexp -inf, +inf and finite"));
  const [rows] = mixed; // [6, 4], dim 1, float64: rows all -∞, holding +∞ (twice), finite

  it("gives PyTorch's -Infinity, +Infinity and finite values, never NaN", () => {
    expect(mixed).toHaveLength(6);
    const y = logsumexp(fromFlat(rows!.x, rows!.shape, "float64"), 1);
    expect(rows!.out.slice(0, 3)).toEqual([-Infinity, Infinity, Infinity]);
    expect(rows!.out.slice(3).every(Number.isFinite)).toBe(true);
    expectClose(y.data(), rows!.out, TOLERANCE.float64, "logsumexp rows");
  });

  it.each(mixed.map((c) => [c.name, c] as const))("%s: reads nothing back to the host, forward or backward", (_name, c) => {
    const x = fromFlat(c.x, c.shape, c.dtype, true);
    const cotangent = fromFlat(c.cotangent, c.outShape, c.dtype);
    const readSync = vi.spyOn(x.storage.backend, "readSync");
    try {
      const out = logsumexp(c.permute ? x.permute(c.permute) : x, c.dim, c.keepdim);
      out.backward(cotangent);
      expect(readSync).not.toHaveBeenCalled();
    } finally {
      readSync.mockRestore();
    }
  });

  it("reads nothing back for int32 input, an empty slice or a 0-d tensor either", () => {
    const readSync = vi.spyOn(zeros([1]).storage.backend, "readSync");
    try {
      logsumexp(tensor([1, 2], { dtype: "int32" }), 0);
      logsumexp(zeros([2, 0]), 1);
      logsumexp(tensor(1.5), 0, true);
      expect(readSync).not.toHaveBeenCalled();
    } finally {
      readSync.mockRestore();
    }
  });
});

describe("softmax family: bad input", () => {
  it("rejects int32 for softmax and logSoftmax, as PyTorch", () => {
    const x = tensor([1, 2, 3], { dtype: "int32" });
    expect(nablaError(() => softmax(x), "softmax").message).toBe("softmax: expected a float32 or float64 tensor, got int32 of shape [3]");
    expect(nablaError(() => logSoftmax(x), "logSoftmax").message).toContain("got int32 of shape [3]");
  });

  it("rejects a dim out of range, naming the rank and the valid range", () => {
    expect(nablaError(() => softmax(zeros([2, 3]), 2), "softmax").message).toBe(
      "softmax: dim 2 is out of range for a tensor with 2 dims (expected -2 to 1)",
    );
    expect(nablaError(() => logSoftmax(zeros([]), 1), "logSoftmax").message).toContain("(expected -1 to 0)");
    expect(nablaError(() => logsumexp(zeros([2, 3]), [0, -3]), "logsumexp").message).toContain("dim -3 is out of range");
  });

  it("rejects repeated or missing logsumexp dims", () => {
    expect(nablaError(() => logsumexp(zeros([2, 3]), [1, -1]), "logsumexp").message).toBe(
      "logsumexp: dims [1, -1] name the same dim more than once (shape [2, 3])",
    );
    expect(nablaError(() => logsumexp(zeros([2, 3]), []), "logsumexp").message).toContain("non-empty list of dims");
  });

  it("rejects softmaxJacobian of anything but a 1-D tensor", () => {
    expect(nablaError(() => softmaxJacobian(zeros([2, 2])), "softmaxJacobian").message).toBe(
      "softmaxJacobian: expected a 1-D tensor, got shape [2, 2]",
    );
  });

  it("rejects softmaxBackward with a gradient of another shape", () => {
    expect(nablaError(() => softmaxBackward(zeros([2, 3]), zeros([3, 2])), "softmaxBackward").message).toBe(
      "softmaxBackward: gradOut shape [3, 2] must equal the softmax output shape [2, 3]",
    );
  });
});

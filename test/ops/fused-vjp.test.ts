// The fused kernels (softmaxBackward, logSoftmaxBackward, crossEntropy's one-pass class-index op)
// and their float32 exp against the tensor-op formulas and Math.exp they replace: values for float32 and float64, every dim, strided
// inputs, and first- and second-order gradients through crossEntropy's fast path and its fallback.

import { describe, expect, it } from "vitest";
import { autogradGrad, hessian, NablaError, randn, manualSeed, tensor, type Tensor } from "@nabla/tensor";
import { crossEntropy, logSoftmax, logSoftmaxBackward, nllLoss, softmax, softmaxBackward, type CrossEntropyOptions } from "@nabla/ops";
import { expForFloat32 } from "../../packages/tensor/src/backends/cpu/exp-float32";
import { expectClose, TOLERANCE, type FloatDType } from "../support/reference";

const DTYPES: FloatDType[] = ["float32", "float64"];

/** The unfused VJPs, spelled in elementwise tensor ops. */
const softmaxVjpComposite = (s: Tensor, g: Tensor, dim: number) => s.mul(g.sub(g.mul(s).sum(dim, true)));
const logSoftmaxVjpComposite = (y: Tensor, g: Tensor, dim: number) => g.sub(y.exp().mul(g.sum(dim, true)));

describe("expForFloat32, the exp of the float32 kernels", () => {
  it("is within 1e-11 relative of Math.exp on [-104, 88], table edges included", () => {
    const points = [-104, -103.97, -87.4, -50.123, -1, -Math.LN2 / 64, -1e-9, 0, 1e-9, Math.LN2 / 64, 0.5, 10.3, 87.9, 88];
    for (let i = 0; i <= 4000; i++) points.push(-104 + (192 * i) / 4000);
    for (const a of points) {
      const expected = Math.exp(a);
      expect(Math.abs(expForFloat32(a) - expected) / expected, `exp(${a})`).toBeLessThan(1e-11);
    }
    expect(expForFloat32(0)).toBe(1);
  });

  it("hands ±Infinity, NaN and arguments outside [-104, 88] to Math.exp", () => {
    expect(expForFloat32(-Infinity)).toBe(0);
    expect(expForFloat32(Infinity)).toBe(Infinity);
    expect(expForFloat32(NaN)).toBeNaN();
    expect(expForFloat32(-745.2)).toBe(Math.exp(-745.2));
    expect(expForFloat32(100)).toBe(Math.exp(100));
  });
});

describe("softmaxBackward and logSoftmaxBackward equal their composite formulas", () => {
  it.each(DTYPES)("%s: every dim of a [3, 4, 5] tensor, contiguous and permuted", (dtype) => {
    manualSeed(7);
    const x = randn([3, 4, 5], { dtype });
    const g = randn([3, 4, 5], { dtype });
    // a permuted view reads the same slices through non-unit strides
    const views: [string, Tensor, Tensor][] = [
      ["contiguous", x, g],
      ["permuted", x.permute([2, 0, 1]), g.permute([2, 0, 1])],
    ];
    for (const [layout, xv, gv] of views) {
      for (let dim = -3; dim < 3; dim++) {
        const s = softmax(xv, dim);
        const y = logSoftmax(xv, dim);
        const fused = softmaxBackward(s, gv, dim);
        expect(fused.dtype).toBe(dtype);
        expect(fused.shape).toEqual(xv.shape);
        expectClose(fused.data(), Array.from(softmaxVjpComposite(s, gv, dim).data()), TOLERANCE[dtype], `softmax ${layout} dim ${dim}`);
        const fusedLog = logSoftmaxBackward(y, gv, dim);
        expect(fusedLog.dtype).toBe(dtype);
        expectClose(fusedLog.data(), Array.from(logSoftmaxVjpComposite(y, gv, dim).data()), TOLERANCE[dtype], `log ${layout} dim ${dim}`);
      }
    }
  });

  it("a 0-d input is one slice of one entry", () => {
    const s = tensor(1, { dtype: "float64" });
    expect(softmaxBackward(s, tensor(3, { dtype: "float64" })).item()).toBe(0);
    expect(logSoftmaxBackward(tensor(0, { dtype: "float64" }), tensor(3, { dtype: "float64" })).item()).toBe(0);
  });

  it("second order: the gradients of both inputs equal those of the composite", () => {
    manualSeed(8);
    const s0 = softmax(randn([4, 6], { dtype: "float64" }), 1);
    const g0 = randn([4, 6], { dtype: "float64" });
    const weights = randn([4, 6], { dtype: "float64" });
    for (const [name, fused, composite] of [
      ["softmaxBackward", softmaxBackward, softmaxVjpComposite],
      ["logSoftmaxBackward", logSoftmaxBackward, logSoftmaxVjpComposite],
    ] as const) {
      const grads = (f: (a: Tensor, b: Tensor, dim: number) => Tensor) => {
        const s = s0.detach();
        const g = g0.detach();
        s.requiresGrad = true;
        g.requiresGrad = true;
        return autogradGrad([f(s, g, 1).mul(weights).sum()], [s, g]);
      };
      const [fs, fg] = grads(fused);
      const [cs, cg] = grads(composite);
      expectClose(fs!.data(), Array.from(cs!.data()), TOLERANCE.float64, `${name} ∂s`);
      expectClose(fg!.data(), Array.from(cg!.data()), TOLERANCE.float64, `${name} ∂g`);
    }
  });

  it("rejects a gradient of another dtype, naming both", () => {
    const call = () => softmaxBackward(tensor([0.5, 0.5]), tensor([1, 2], { dtype: "float64" }));
    expect(call).toThrow(NablaError);
    expect(call).toThrow("softmaxBackward: gradOut dtype float64 must equal the softmax output dtype float32 (shape [2])");
    expect(() => logSoftmaxBackward(tensor([0, 0]), tensor([[1, 2]]))).toThrow(
      "logSoftmaxBackward: gradOut shape [1, 2] must equal the logSoftmax output shape [2]",
    );
  });
});

describe("crossEntropy's fused class-index path equals the composite logSoftmax → nllLoss", () => {
  const OPTIONS: CrossEntropyOptions[] = [{}, { reduction: "sum" }, { ignoreIndex: 2 }, { ignoreIndex: 1, reduction: "sum" }];

  it.each(DTYPES)("%s: value and gradient, with and without ignored targets", (dtype) => {
    manualSeed(9);
    const values = randn([6, 5], { dtype }).mul(3).data();
    values[1] = -Infinity; // a masked class in row 0, whose target is class 2
    const base = tensor(values, { shape: [6, 5] });
    const target = tensor([2, 0, 4, 1, 2, 3], { dtype: "int32" });
    for (const options of OPTIONS) {
      const x1 = base.detach();
      x1.requiresGrad = true;
      const fused = crossEntropy(x1, target, options);
      fused.backward();
      const x2 = base.detach();
      x2.requiresGrad = true;
      const composite = nllLoss(logSoftmax(x2, 1), target, options);
      composite.backward();
      const label = JSON.stringify(options);
      expect(fused.dtype).toBe(dtype);
      expect(fused.shape).toEqual([]);
      expectClose([fused.item() as number], [composite.item() as number], TOLERANCE[dtype], `value ${label}`);
      expectClose(x1.grad!.data(), Array.from(x2.grad!.data()), TOLERANCE[dtype], `gradient ${label}`);
    }
  });

  it("reads a transposed (strided) input like its contiguous copy", () => {
    manualSeed(10);
    const stored = randn([5, 3], { dtype: "float64" });
    const target = tensor([1, 0, 2], { dtype: "int32" });
    const fromView = crossEntropy(stored.T, target);
    const fromCopy = crossEntropy(stored.T.contiguous(), target);
    expect(fromView.item()).toBeCloseTo(fromCopy.item() as number, 14);
  });

  it("createGraph gives the same gradient as a plain backward, and the composite's Hessian", () => {
    manualSeed(11);
    const logits = randn([3, 4], { dtype: "float64" });
    const target = tensor([3, -100, 1], { dtype: "int32" });
    const x = logits.detach();
    x.requiresGrad = true;
    const [plain] = autogradGrad([crossEntropy(x, target)], [x]);
    const [differentiable] = autogradGrad([crossEntropy(x, target)], [x], { createGraph: true });
    expect(differentiable!.requiresGrad).toBe(true);
    expectClose(differentiable!.data(), Array.from(plain!.data()), TOLERANCE.float64, "createGraph gradient");
    const fusedHessian = hessian((v: Tensor) => crossEntropy(v, target), logits);
    const compositeHessian = hessian((v: Tensor) => nllLoss(logSoftmax(v, 1), target), logits);
    expectClose(fusedHessian.data(), Array.from(compositeHessian.data()), TOLERANCE.float64, "Hessian");
  });
});

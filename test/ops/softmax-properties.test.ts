import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { autogradGrad, defineOp, gradcheck, type Tensor } from "@nabla/tensor";
import { logSoftmax, softmax, softmaxBackward, softmaxJacobian } from "@nabla/ops";
import { float64, numelOf, shapeArb } from "../support/arbitraries";
import { expectClose } from "../support/reference";

const NUM_RUNS = 60;
const AGREE = { rtol: 1e-10, atol: 1e-13 };

/** `count` doubles in [-1, 1]: ties and exact zeros allowed, none of which trouble softmax. */
const valuesArb = (count: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: count, maxLength: count });

/** A float64 input of random shape (rank 1…4) with values in [-scale, scale], a dim of it and a cotangent. */
const caseArb = (scale: number) =>
  shapeArb({ minRank: 1, maxRank: 4, maxSize: 4 }).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      dim: fc.integer({ min: -shape.length, max: shape.length - 1 }),
      values: valuesArb(numelOf(shape)).map((v) => v.map((x) => x * scale)),
      cotangent: valuesArb(numelOf(shape)),
    }),
  );

/** The vector-Jacobian product ḡᵀ ∂f/∂x, by reverse-mode autodiff through whatever f is built of. */
function vjp(f: (x: Tensor) => Tensor, x: Tensor, g: Tensor): Tensor {
  const leaf = x.detach();
  leaf.requiresGrad = true;
  return autogradGrad(f(leaf), leaf, { gradOutputs: g })[0]!;
}

/** softmax from primitives, the way a user would write it without a hand-written backward. */
function compositeSoftmax(x: Tensor, dim: number): Tensor {
  const e = x.sub(x.max(dim, true)).exp();
  return e.div(e.sum(dim, true));
}

function compositeLogSoftmax(x: Tensor, dim: number): Tensor {
  const shifted = x.sub(x.max(dim, true));
  return shifted.sub(shifted.exp().sum(dim, true).log());
}

describe("softmax properties", () => {
  it("sums to 1 along dim, with every entry in [0, 1]", () => {
    fc.assert(
      fc.property(caseArb(100), ({ shape, dim, values }) => {
        const s = softmax(float64(values, shape), dim);
        const entries = Array.from(s.data());
        expect(entries.every((p) => p >= 0 && p <= 1)).toBe(true);
        const sums = s.sum(dim).data();
        expectClose(sums, new Array<number>(sums.length).fill(1), { rtol: 0, atol: 1e-12 }, "slice sums");
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("is invariant to adding a constant to each slice (softmax and logSoftmax)", () => {
    const withOffsets = caseArb(15).chain((c) => {
      // one constant per slice: the input's shape with dim reduced to 1, broadcast back by add
      const sliceShape = c.shape.map((size, d) => (d === (c.dim + c.shape.length) % c.shape.length ? 1 : size));
      return valuesArb(numelOf(sliceShape)).map((offsets) => ({ ...c, sliceShape, offsets: offsets.map((o) => o * 200) }));
    });
    fc.assert(
      fc.property(withOffsets, ({ shape, dim, values, sliceShape, offsets }) => {
        const x = float64(values, shape);
        const shifted = x.add(float64(offsets, sliceShape));
        expectClose(softmax(shifted, dim).data(), Array.from(softmax(x, dim).data()), { rtol: 1e-9, atol: 1e-12 }, "softmax");
        // log-probabilities lose the offset's absolute rounding error (~600·2⁻⁵³)
        expectClose(logSoftmax(shifted, dim).data(), Array.from(logSoftmax(x, dim).data()), { rtol: 1e-9, atol: 1e-11 }, "logSoftmax");
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("keeps logSoftmax ≤ 0 and equal to log(softmax) wherever softmax has not underflowed", () => {
    // a scale of 1200 makes some probabilities underflow to 0, where log(softmax) is -Infinity
    fc.assert(
      fc.property(caseArb(1200), ({ shape, dim, values }) => {
        const x = float64(values, shape);
        const logged = Array.from(logSoftmax(x, dim).data());
        const probabilities = Array.from(softmax(x, dim).data());
        expect(logged.every((v) => v <= 0)).toBe(true);
        for (let i = 0; i < logged.length; i++) {
          // below the smallest normal double, softmax has underflowed (to a subnormal, or to 0 where
          // the log is -Infinity) and its log has lost the precision logSoftmax keeps
          if (probabilities[i]! < 2 ** -1022) continue;
          const logOfSoftmax = Math.log(probabilities[i]!);
          expect(Math.abs(logged[i]! - logOfSoftmax)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(logged[i]!)));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("softmax backward: the hand-written rule agrees with its alternatives", () => {
  it("1-D: hand VJP = softmaxJacobian(x)ᵀ g = autodiff of exp(x − max) / Σ exp(x − max)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }).chain((n) =>
          fc.tuple(
            valuesArb(n).map((v) => v.map((x) => 10 * x)),
            valuesArb(n),
          ),
        ),
        ([values, cotangent]) => {
          const n = values.length;
          const x = float64(values, [n]);
          const g = float64(cotangent, [n]);
          const hand = vjp((v) => softmax(v), x, g);
          const viaJacobian = softmaxJacobian(x).T.matmul(g);
          const composite = vjp((v) => compositeSoftmax(v, 0), x, g);
          const expected = Array.from(hand.data());
          expectClose(viaJacobian.data(), expected, AGREE, "Jᵀg");
          expectClose(composite.data(), expected, AGREE, "composite autodiff");
          expectClose(softmaxBackward(softmax(x), g).data(), expected, AGREE, "softmaxBackward");
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("any rank and dim: softmax's VJP equals autodiff of the composite", () => {
    fc.assert(
      fc.property(caseArb(12), ({ shape, dim, values, cotangent }) => {
        const x = float64(values, shape);
        const g = float64(cotangent, shape);
        const hand = vjp((v) => softmax(v, dim), x, g);
        const composite = vjp((v) => compositeSoftmax(v, dim), x, g);
        expectClose(hand.data(), Array.from(composite.data()), AGREE, "softmax VJP");
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("any rank and dim: logSoftmax's VJP equals autodiff of x − max − log Σ exp(x − max)", () => {
    fc.assert(
      fc.property(caseArb(12), ({ shape, dim, values, cotangent }) => {
        const x = float64(values, shape);
        const g = float64(cotangent, shape);
        const hand = vjp((v) => logSoftmax(v, dim), x, g);
        const composite = vjp((v) => compositeLogSoftmax(v, dim), x, g);
        expectClose(hand.data(), Array.from(composite.data()), AGREE, "logSoftmax VJP");
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("gradcheck catches a deliberately broken softmax backward (and passes the real one)", () => {
    // the Σ g⊙s term left out: right only when the cotangent is orthogonal to s, which it rarely is
    const brokenSoftmax = defineOp({
      name: "softmaxWithoutSumTerm",
      forward(ctx, x: Tensor) {
        const s = softmax(x);
        ctx.save(s);
        return s;
      },
      backward(ctx, gradOut) {
        const [s] = ctx.saved;
        return [s!.mul(gradOut)];
      },
    });
    const x = float64([0.3, -1.2, 2.0, 0.5], [4]);
    expect(gradcheck((v: Tensor) => brokenSoftmax(v), [x]).ok).toBe(false);
    expect(gradcheck((v: Tensor) => softmax(v), [x]).ok).toBe(true);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  autogradGrad,
  type DType,
  div,
  eq,
  ge,
  gt,
  le,
  lt,
  maximum,
  minimum,
  mul,
  ne,
  pow,
  resultType,
  sub,
  tensor,
  where,
  type Tensor,
  type TensorLike,
} from "@nabla/tensor";
import { applySteps, kernelValuesArb, materialize, shapeArb, stridedInputArb, type StridedInput } from "../support/arbitraries";
import * as naive from "../support/naive";
import { logisticForFloat32, tanhForFloat32 } from "../../packages/tensor/src/backends/cpu/exp-float32";

// The shortcuts small ops take must give exactly what the general path gives: a JS number becomes a
// stride-0 tensor directly (no 0-d tensor and expand op), operands that are contiguous or a single
// value skip the row walker, and tanh, sigmoid and relu backward are one fused kernel each.

const NUM_RUNS = 10;
const SHAPES = { minRank: 0, maxRank: 3, minSize: 0, maxSize: 3, maxNumel: 24 } as const;
const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

/** A base of `dtype` holding `values` (truncated for int32, non-zero for bool). */
function makeOf(dtype: DType) {
  return (values: readonly number[], shape: readonly number[]): Tensor => {
    switch (dtype) {
      case "float32":
        return tensor(Float32Array.from(values), { shape });
      case "float64":
        return tensor(Float64Array.from(values), { shape });
      case "int32":
        return tensor(
          Int32Array.from(values, (v) => (Number.isFinite(v) ? Math.trunc(v) : 0)),
          { shape },
        );
      case "bool":
        return tensor(
          Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0)),
          { shape, dtype: "bool" },
        );
    }
  };
}

/**
 * The general path for a number: a 0-d tensor of the dtype the op computes in (PyTorch's result
 * type, the number a weak scalar), broadcast by the expand op.
 */
function zeroDimFor(x: Tensor, value: number | boolean): Tensor {
  return tensor(value, { dtype: resultType([x, value]) });
}

const NUMBERS: readonly (number | boolean)[] = [3, -2, 0, 2.5, -0.5, 0.1, Number.NaN, Infinity, true, false];

type Outcome = { dtype: DType; shape: number[]; values: number[] } | { error: string };

function outcome(run: () => Tensor): Outcome {
  try {
    const out = run();
    return { dtype: out.dtype, shape: [...out.shape], values: Array.from(out.data()) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** Equal dtype, shape and bits (NaN equals NaN; −0 and 0 differ), or the same error. */
function expectSameOutcome(actual: Outcome, expected: Outcome, label: string): void {
  if ("error" in expected || "error" in actual) {
    expect(actual, label).toEqual(expected);
    return;
  }
  expect({ dtype: actual.dtype, shape: actual.shape }, label).toEqual({ dtype: expected.dtype, shape: expected.shape });
  for (let i = 0; i < expected.values.length; i++) {
    if (!Object.is(actual.values[i], expected.values[i]))
      expect.fail(`${label}: element ${i} is ${actual.values[i]}, expected ${expected.values[i]}`);
  }
}

// each op gets the strided input x too, from which where takes its condition
const BINARY: [string, (a: TensorLike, b: TensorLike, x: Tensor) => Tensor][] = [
  ["add", add],
  ["sub", sub],
  ["mul", mul],
  ["div", div],
  ["pow", pow],
  ["maximum", maximum],
  ["minimum", minimum],
  ["eq", eq],
  ["ne", ne],
  ["lt", lt],
  ["le", le],
  ["gt", gt],
  ["ge", ge],
  ["where", (a, b, x) => where(x.ne(1), a, b)],
];

const inputArb = shapeArb(SHAPES).chain((shape) => stridedInputArb(shape, (count) => kernelValuesArb(count, { special: true })));

describe("a JS number operand gives what a 0-d tensor of the result dtype gives", () => {
  it.each(BINARY)("%s, for every dtype and kind of number, on either side", (name, op) => {
    fc.assert(
      fc.property(inputArb, (input: StridedInput) => {
        for (const dtype of DTYPES) {
          const { tensor: x } = materialize(input, makeOf(dtype));
          for (const value of NUMBERS) {
            const zeroDim = zeroDimFor(x, value);
            const label = `${name}: ${dtype} ${JSON.stringify(x.shape)} with ${String(value)}`;
            expectSameOutcome(
              outcome(() => op(x, value, x)),
              outcome(() => op(x, zeroDim, x)),
              `${label} (number second)`,
            );
            expectSameOutcome(
              outcome(() => op(value, x, x)),
              outcome(() => op(zeroDim, x, x)),
              `${label} (number first)`,
            );
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  const DIFFERENTIABLE = BINARY.filter(([name]) => !["eq", "ne", "lt", "le", "gt", "ge"].includes(name));
  const FINITE_NUMBERS = [3, -2, 2.5, -0.5];

  it.each(DIFFERENTIABLE)("%s: the same first and second derivatives", (_name, op) => {
    const caseArb = shapeArb({ ...SHAPES, minSize: 1 }).chain((shape) =>
      fc.record({
        input: stridedInputArb(shape, (count) =>
          fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: count, maxLength: count }),
        ),
        cotangent: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), {
          minLength: naive.numelOf(shape),
          maxLength: naive.numelOf(shape),
        }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ input, cotangent }) => {
        for (const dtype of ["float32", "float64"] as const) {
          const base = makeOf(dtype)(input.values, input.view.baseShape);
          base.requiresGrad = true;
          const view = applySteps(base, input.view.steps);
          const cot = tensor(cotangent, { shape: [...view.shape], dtype });
          for (const value of FINITE_NUMBERS) {
            const zeroDim = zeroDimFor(view, value);
            for (const [side, viaNumber, viaTensor] of [
              ["number second", () => op(view, value, view), () => op(view, zeroDim, view)],
              ["number first", () => op(value, view, view), () => op(zeroDim, view, view)],
            ] as const) {
              const derivatives = (f: () => Tensor): Outcome[] => {
                const [first] = autogradGrad([f()], [base], { gradOutputs: [cot], createGraph: true });
                // a gradient that does not depend on x (add's) has no second derivative
                const [second] = first!.requiresGrad ? autogradGrad([first!.mul(first!).sum()], [base], { allowUnused: true }) : [null];
                return [outcome(() => first!), second ? outcome(() => second) : { error: "constant gradient" }];
              };
              const [first, second] = derivatives(viaNumber);
              const [firstRef, secondRef] = derivatives(viaTensor);
              const label = `${dtype} ${JSON.stringify(view.shape)} with ${value} (${side})`;
              expectSameOutcome(first!, firstRef!, `${label}: gradient`);
              expectSameOutcome(second!, secondRef!, `${label}: second derivative`);
            }
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("a single value broadcast by stride 0 gives what its contiguous copy gives", () => {
  it.each(BINARY)("%s, for every pair of dtypes", (name, op) => {
    fc.assert(
      fc.property(inputArb, fc.constantFrom(...NUMBERS), (input, value) => {
        for (const dtypeA of DTYPES) {
          const { tensor: x } = materialize(input, makeOf(dtypeA));
          for (const dtypeB of DTYPES) {
            // NaN and ±Infinity are no int32 values (tensor() refuses them, as PyTorch)
            if (dtypeB === "int32" && !Number.isFinite(Number(value))) continue;
            // expanded from a 0-d tensor: one stored value that every index reaches
            const single = tensor(value, { dtype: dtypeB }).expand([...x.shape]);
            const copy = single.contiguous();
            const label = `${name}: ${dtypeA} ${JSON.stringify(x.shape)} with ${dtypeB} ${String(value)}`;
            expectSameOutcome(
              outcome(() => op(x, single, x)),
              outcome(() => op(x, copy, x)),
              `${label} (single value second)`,
            );
            expectSameOutcome(
              outcome(() => op(single, x, x)),
              outcome(() => op(copy, x, x)),
              `${label} (single value first)`,
            );
          }
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("tanh, sigmoid and relu backward, one kernel each", () => {
  const cases: [string, (x: Tensor) => Tensor, (g: number, y: number) => number][] = [
    ["tanh", (x) => x.tanh(), (g, y) => g * (1 - y * y)],
    ["sigmoid", (x) => x.sigmoid(), (g, y) => g * y * (1 - y)],
    ["relu", (x) => x.relu(), (g, y) => (y > 0 ? g : 0)],
  ];

  it.each(cases)("%s: x̄ from ȳ and y, rounded once, for strided and broadcast gradients", (_name, op, rule) => {
    const caseArb = shapeArb(SHAPES).chain((shape) =>
      fc.record({
        x: fc
          .array(fc.double({ min: -4, max: 4, noNaN: true }), { minLength: naive.numelOf(shape), maxLength: naive.numelOf(shape) })
          .map((values) => ({ values, shape })),
        gradient: stridedInputArb(shape, (count) => kernelValuesArb(count, { special: true })),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ x: { values, shape }, gradient }) => {
        for (const dtype of ["float32", "float64"] as const) {
          const round = dtype === "float32" ? Math.fround : (v: number) => v;
          const x = makeOf(dtype)(values, shape);
          x.requiresGrad = true;
          const y = op(x);
          const g = materialize(gradient, makeOf(dtype));
          y.backward(g.tensor);
          const yValues = naive.fromFlat(Array.from(y.data()), shape);
          const gValues = naive.map(g.model, round);
          naive.expectMatches(
            x.grad!,
            naive.elementwise((gv, yv) => round(rule(gv, yv)), gValues, yValues),
            {},
            dtype,
          );
          expect(x.grad!.dtype).toBe(dtype);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("float32 relu and its backward, computed on the bits", () => {
  // every class of float32 by its bits: ±0, ±subnormal, ±1, ±largest, ±Infinity, NaNs of either sign
  const bits = [0, 0x80000000, 1, 0x80000001, 0x3f800000, 0xbf800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000];
  const nans = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0xffffffff];
  const values = Array.from(new Float32Array(Uint32Array.from([...bits, ...nans]).buffer));
  const count = values.length;
  const relu = (v: number) => (v > 0 || Number.isNaN(v) ? v : 0);

  /** [count, 2] views: the values and their reverse as the columns of a transposed [2, count]. */
  const columns = (vs: readonly number[]) => tensor(Float32Array.from([...vs, ...vs.slice().reverse()]), { shape: [2, count] }).mT;

  it.each([
    ["contiguous", (vs: readonly number[]) => tensor(Float32Array.from(vs))],
    ["strided", (vs: readonly number[]) => columns(vs).select(1, 0)],
  ] as const)("%s: relu keeps positives and NaNs of either sign, +0 elsewhere; its backward passes ȳ there", (_name, make) => {
    const x = make(values);
    x.requiresGrad = true;
    const y = x.relu();
    expect(y.dtype).toBe("float32");
    const all = values.map(() => true);
    expect(Array.from(y.data()).map((v, i) => Object.is(v, relu(values[i]!)))).toEqual(all);
    const gradient = Array.from({ length: count }, (_, i) => i + 1);
    y.backward(make(gradient));
    const passes = (v: number) => v > 0 || Number.isNaN(v);
    expect(Array.from(x.grad!.data()).map((v, i) => Object.is(v, passes(values[i]!) ? gradient[i] : 0))).toEqual(all);
  });
});

describe("float32 exp, tanh and sigmoid, from float32-accurate forms", () => {
  const logistic = (v: number) => 1 / (1 + Math.exp(-v));
  const points = [-20, -19.99, -9.1, -1, -0.55, -0.0100001, -0.01, -0.0099999, -1e-5, -1e-30, 1e-30, 1e-5, 0.0099999, 0.01, 0.5, 3, 20];
  for (let i = 0; i <= 4000; i++) points.push(-25 + (50 * i) / 4000);

  it("tanhForFloat32 and logisticForFloat32 are within 1e-10 relative of Math's", () => {
    for (const a of points) {
      expect(Math.abs(tanhForFloat32(a) - Math.tanh(a)), `tanh(${a})`).toBeLessThanOrEqual(1e-10 * Math.abs(Math.tanh(a)));
      expect(Math.abs(logisticForFloat32(a) - logistic(a)), `sigmoid(${a})`).toBeLessThanOrEqual(1e-10 * logistic(a));
    }
  });

  it("keep 0, -0 and NaN, and saturate at ±Infinity", () => {
    expect(Object.is(tanhForFloat32(-0), -0)).toBe(true);
    expect(tanhForFloat32(0)).toBe(0);
    expect(tanhForFloat32(NaN)).toBeNaN();
    expect([tanhForFloat32(Infinity), tanhForFloat32(-Infinity), tanhForFloat32(1e10)]).toEqual([1, -1, 1]);
    expect(logisticForFloat32(NaN)).toBeNaN();
    expect([logisticForFloat32(Infinity), logisticForFloat32(-Infinity), logisticForFloat32(0)]).toEqual([1, 0, 0.5]);
  });

  it.each([
    ["exp", (x: Tensor) => x.exp(), Math.exp],
    ["tanh", (x: Tensor) => x.tanh(), Math.tanh],
    ["sigmoid", (x: Tensor) => x.sigmoid(), logistic],
  ] as const)("%s of a float32 tensor rounds Math's value, or lands one float32 step from it", (_name, op, exact) => {
    const values = points.filter((v) => v > -80 && v < 80);
    const got = op(tensor(values)).data() as Float32Array;
    let steps = 0;
    values.forEach((v, i) => {
      const expected = Math.fround(exact(Math.fround(v)));
      if (got[i] === expected) return;
      steps++;
      // the neighbouring float32 on the side of the exact value
      expect(Math.abs(got[i]! - expected), `at ${v}`).toBeLessThanOrEqual(Math.abs(expected) * 2 ** -23);
    });
    expect(steps).toBeLessThan(values.length / 1000);
  });
});

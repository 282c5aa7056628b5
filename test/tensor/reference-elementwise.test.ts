import { describe, expect, it } from "vitest";
import {
  abs,
  add,
  clamp,
  cos,
  div,
  erf,
  exp,
  log,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  relu,
  sigmoid,
  sin,
  sqrt,
  square,
  sub,
  tanh,
  tensor,
  where,
  type Tensor,
} from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { PASSES, type TwoInputCase, expectClose, fromFlat } from "./reference";

// Elementwise ops against PyTorch: broadcasting binary ops and where() with gradients, unary ops
// with gradients, and value tables of special operands (NaN, ±inf, ±0, overflow).

interface BinaryCase extends Omit<TwoInputCase, "outShape"> {
  op: keyof typeof BINARY;
  transposeA?: boolean;
  outShape?: number[];
}

interface WhereCase extends TwoInputCase {
  condShape: number[];
  cond: boolean[];
}

interface KinkCase {
  name: string;
  op: string;
  args: (number | null)[];
  shapes: number[][];
  inputs: number[][];
  outShape: number[];
  out: number[];
  cotangent?: number[];
  grads?: number[][];
}

interface UnaryCall {
  op: string;
  min?: number | null;
  max?: number | null;
  exponent?: number;
  base?: number;
  divisor?: number;
  dividend?: number;
}

interface UnaryCase {
  name: string;
  call: UnaryCall;
  shape: number[];
  x: number[];
  out: number[];
  cotangent: number[];
  grad: number[];
}

const broadcast = loadFixture<{
  cases: BinaryCase[];
  where: WhereCase[];
  specials: { a: number[]; b: number[]; outShape: number[]; ops: Record<string, number[]> };
}>("tensor_broadcast.json");

const elementwise = loadFixture<{
  unary: UnaryCase[];
  binary: BinaryCase[];
  specials: { x: number[]; ops: Record<string, number[]> };
  kinks: KinkCase[];
}>("tensor_elementwise.json");

const BINARY = { add, sub, mul, div, pow, maximum, minimum };

const UNARY: Record<string, (x: Tensor) => Tensor> = { exp, log, sqrt, tanh, sigmoid, relu, abs, sin, cos, erf, neg, square };

function applyUnary(call: UnaryCall, x: Tensor): Tensor {
  switch (call.op) {
    case "clamp":
      return clamp(x, call.min, call.max);
    case "pow":
      return pow(x, call.exponent!);
    case "rpow":
      return pow(call.base!, x);
    case "div":
      return div(x, call.divisor!);
    case "rdiv":
      return div(call.dividend!, x);
    default:
      return UNARY[call.op]!(x);
  }
}

/** The nabla call for a kink case: extra arguments follow the tensor inputs (null = omitted dim). */
function applyKink(c: KinkCase, xs: Tensor[]): Tensor {
  const [x, y] = xs as [Tensor, Tensor];
  const dim = c.args[0] ?? undefined;
  switch (c.op) {
    case "clamp":
      return clamp(x, c.args[0], c.args[1]);
    case "maximum":
    case "minimum":
    case "pow":
      return BINARY[c.op](x, y);
    case "max":
    case "min":
    case "argmax":
    case "argmin":
    case "std":
      return x[c.op](dim);
    default:
      return UNARY[c.op]!(x);
  }
}

const shapeLabel = (shape: readonly number[]) => `[${shape.join(", ")}]`;

describe("broadcasting binary ops against PyTorch", () => {
  it.each(broadcast.cases.map((c) => [c.op, shapeLabel(c.aShape), shapeLabel(c.bShape), c] as const))(
    "%s %s with %s: values and gradients",
    (_op, _a, _b, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const a = fromFlat(c.a, c.aShape, dtype, true);
        const b = fromFlat(c.b, c.bShape, dtype, true);
        const out = BINARY[c.op](a, b);
        expect(out.shape).toEqual(c.outShape);
        expect(out.dtype).toBe(dtype);
        expectClose(out.data(), c.out, tolerance, `${dtype} value`);
        out.backward(fromFlat(c.cotangent, c.outShape!, dtype));
        expectClose(a.grad!.data(), c.gradA, tolerance, `${dtype} grad a`);
        expectClose(b.grad!.data(), c.gradB, tolerance, `${dtype} grad b`);
      }
    },
  );

  it.each(broadcast.where.map((c) => [shapeLabel(c.condShape), shapeLabel(c.aShape), shapeLabel(c.bShape), c] as const))(
    "where(cond %s, a %s, b %s): values and gradients",
    (_c, _a, _b, c) => {
      for (const { dtype, tolerance } of PASSES) {
        const cond = tensor(Uint8Array.from(c.cond, Number), { shape: c.condShape, dtype: "bool" });
        const a = fromFlat(c.a, c.aShape, dtype, true);
        const b = fromFlat(c.b, c.bShape, dtype, true);
        const out = where(cond, a, b);
        expect(out.shape).toEqual(c.outShape);
        expectClose(out.data(), c.out, tolerance, `${dtype} value`);
        out.backward(fromFlat(c.cotangent, c.outShape, dtype));
        expectClose(a.grad!.data(), c.gradA, tolerance, `${dtype} grad a`);
        expectClose(b.grad!.data(), c.gradB, tolerance, `${dtype} grad b`);
      }
    },
  );

  describe("every pair of special operands (NaN, ±inf, ±0, ±1, ...)", () => {
    const { a, b, outShape, ops } = broadcast.specials;
    it.each(Object.keys(ops))("%s", (op) => {
      for (const { dtype, tolerance } of PASSES) {
        const x = fromFlat(a, [a.length, 1], dtype);
        const y = fromFlat(b, [1, b.length], dtype);
        const out =
          op === "where"
            ? where(
                tensor(
                  Uint8Array.from(a, (_, i) => (i % 2 === 0 ? 1 : 0)),
                  { shape: [a.length, 1], dtype: "bool" },
                ),
                x,
                y,
              )
            : BINARY[op as keyof typeof BINARY](x, y);
        expect(out.shape).toEqual(outShape);
        const expected = ops[op]!;
        const actual = out.data();
        // name the operands of the first mismatch, not just its flat index
        for (let i = 0; i < expected.length; i++) {
          const [ai, bi] = [Math.floor(i / b.length), i % b.length];
          expectClose([actual[i]!], [expected[i]!], tolerance, `${dtype} ${op}(${a[ai]}, ${b[bi]})`);
        }
      }
    });
  });
});

describe("unary ops, clamp, pow and div against PyTorch", () => {
  it.each(elementwise.unary.map((c) => [c.name, c] as const))("%s: values and gradient", (_name, c) => {
    for (const { dtype, tolerance } of PASSES) {
      const x = fromFlat(c.x, c.shape, dtype, true);
      const out = applyUnary(c.call, x);
      expect(out.shape).toEqual(c.shape);
      expect(out.dtype).toBe(dtype);
      expectClose(out.data(), c.out, tolerance, `${dtype} value`);
      out.backward(fromFlat(c.cotangent, c.shape, dtype));
      expectClose(x.grad!.data(), c.grad, tolerance, `${dtype} grad`);
    }
  });

  it.each(elementwise.binary.map((c) => [c.op, c] as const))("%s of a transposed view and a tensor: values and gradients", (_op, c) => {
    for (const { dtype, tolerance } of PASSES) {
      const a = fromFlat(c.a, c.aShape, dtype, true);
      const b = fromFlat(c.b, c.bShape, dtype, true);
      const out = BINARY[c.op](a.mT, b);
      expectClose(out.data(), c.out, tolerance, `${dtype} value`);
      out.backward(fromFlat(c.cotangent, out.shape, dtype));
      expectClose(a.grad!.data(), c.gradA, tolerance, `${dtype} grad a`);
      expectClose(b.grad!.data(), c.gradB, tolerance, `${dtype} grad b`);
    }
  });

  it.each(elementwise.kinks.map((c) => [c.name, c] as const))("at a kink or tie, %s, as PyTorch", (_name, c) => {
    for (const { dtype, tolerance } of PASSES) {
      const xs = c.inputs.map((values, i) => fromFlat(values, c.shapes[i]!, dtype, true));
      const out = applyKink(c, xs);
      expect(out.shape).toEqual(c.outShape);
      expectClose(out.data(), c.out, tolerance, `${dtype} value`);
      if (!c.grads) continue;
      out.backward(fromFlat(c.cotangent!, c.outShape, dtype));
      xs.forEach((x, i) => {
        expectClose(x.grad!.data(), c.grads![i]!, tolerance, `${dtype} grad of input ${i}`);
      });
    }
  });

  describe("special inputs (NaN, ±inf, ±0, tiny, overflowing)", () => {
    const { x, ops } = elementwise.specials;
    it.each(Object.keys(ops))("%s", (op) => {
      for (const { dtype, tolerance } of PASSES) {
        const input = fromFlat(x, [x.length], dtype);
        const out = op === "clamp(-1, 1)" ? clamp(input, -1, 1) : UNARY[op]!(input);
        const expected = ops[op]!;
        for (let i = 0; i < x.length; i++) expectClose([out.data()[i]!], [expected[i]!], tolerance, `${dtype} ${op}(${x[i]})`);
      }
    });
  });
});

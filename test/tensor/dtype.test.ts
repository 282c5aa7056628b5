import { describe, expect, it } from "vitest";
import {
  NablaError,
  abs,
  add,
  argmax,
  div,
  eq,
  exp,
  ge,
  gt,
  le,
  log,
  lt,
  max,
  mul,
  ne,
  neg,
  promoteTypes,
  relu,
  resultType,
  sigmoid,
  sin,
  sqrt,
  sub,
  sum,
  tanh,
  tensor,
  type DType,
  type Tensor,
} from "@nabla/tensor";
import { arange, full, linspace, randint, scatterAdd, zeros } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { expectClose } from "./reference";

// PyTorch's type promotion: tensors with dims decide within a category (bool < int < float),
// 0-d tensors and JS numbers are "weak" and win only by category; PyTorch's int64 is nabla's int32.

type OperandSpec =
  | { kind: "tensor"; dtype: DType; values: (number | boolean)[] }
  | { kind: "zeroDim"; dtype: DType; value: number | boolean }
  | { kind: "scalar"; value: number | boolean };

interface BinaryPromotion {
  op: "add" | "mul" | "div";
  a: OperandSpec;
  b: OperandSpec;
  dtype: DType;
  shape: number[];
  values: (number | boolean)[];
}

interface UnaryPromotion {
  op: keyof typeof UNARY;
  dtype: DType;
  values: (number | boolean)[];
  resultDtype?: DType;
  out?: (number | boolean)[];
  error?: boolean;
}

interface CommonDtypeCase {
  op: "add" | "sub" | "mul";
  a: { dtype: DType; values: number | number[] };
  b: { dtype: DType; values: number | number[] };
  dtype: DType;
  values: number[];
  gradA: number[] | null;
  gradB: number[] | null;
}

const fixture = loadFixture<{ binary: BinaryPromotion[]; unary: UnaryPromotion[]; commonDtype: CommonDtypeCase[] }>(
  "tensor_promotion.json",
);

const BINARY = { add, mul, div };
const UNARY = {
  exp,
  log,
  sqrt,
  sin,
  tanh,
  sigmoid,
  abs,
  neg,
  relu,
  sum: (x: Tensor) => sum(x),
  max: (x: Tensor) => max(x),
  argmax: (x: Tensor) => argmax(x),
};

function operand(spec: OperandSpec): Tensor | number | boolean {
  if (spec.kind === "scalar") return spec.value;
  if (spec.kind === "zeroDim") return tensor(spec.value, { dtype: spec.dtype });
  return tensor(spec.values, { dtype: spec.dtype });
}

function describeOperand(spec: OperandSpec): string {
  if (spec.kind === "scalar") return `scalar ${spec.value}`;
  return spec.kind === "zeroDim" ? `0-d ${spec.dtype}` : `${spec.dtype} tensor`;
}

/** Float results are compared at float32 precision (the float64 ones are exact anyway). */
function expectValues(out: Tensor, expected: readonly (number | boolean)[], label: string): void {
  expectClose(Array.from(out.data()), expected.map(Number), { rtol: 1e-6, atol: 0 }, label);
}

describe("type promotion against PyTorch", () => {
  it.each(fixture.binary.map((c) => [c.op, describeOperand(c.a), describeOperand(c.b), c.dtype, c] as const))(
    "%s(%s, %s) is %s",
    (_op, _a, _b, _dtype, c) => {
      const out = BINARY[c.op](operand(c.a), operand(c.b));
      expect(out.dtype).toBe(c.dtype);
      expect(out.shape).toEqual(c.shape);
      expectValues(out, c.values, "values");
    },
  );

  it.each(fixture.unary.map((c) => [c.op, c.dtype, c.error ? "an error" : c.resultDtype, c] as const))(
    "%s of %s gives %s",
    (_op, _dtype, _r, c) => {
      const x = tensor(c.values, { dtype: c.dtype });
      if (c.error) {
        expect(() => UNARY[c.op](x)).toThrow(NablaError);
        return;
      }
      const out = UNARY[c.op](x);
      expect(out.dtype).toBe(c.resultDtype);
      expectValues(out, c.out!, "values");
    },
  );
});

describe("operands converted to the common dtype first, against PyTorch", () => {
  it.each(fixture.commonDtype.map((c) => [c.op, c.a.dtype, c.b.dtype, c] as const))(
    "%s(%s, %s): values exactly, and gradients",
    (_op, _a, _b, c) => {
      const make = ({ dtype, values }: CommonDtypeCase["a"]) =>
        tensor(values, { dtype, requiresGrad: dtype === "float32" || dtype === "float64" });
      const [a, b] = [make(c.a), make(c.b)];
      const out = { add, sub, mul }[c.op](a, b);
      expect(out.dtype).toBe(c.dtype);
      expect(Array.from(out.data())).toEqual(c.values);
      out.sum().backward();
      // the gradients sum over the broadcast dim, which nabla accumulates in float64 and PyTorch in
      // float32: equal to within one float32 rounding
      for (const [grad, expected] of [
        [a.grad, c.gradA],
        [b.grad, c.gradB],
      ] as const) {
        if (expected === null) expect(grad).toBeNull();
        else expectClose(Array.from(grad!.data()), expected, { rtol: 2 ** -23, atol: 0 }, "gradient");
      }
      // a gradient has its tensor's dtype (a 0-d float64 operand gets a float64 one)
      if (b.grad !== null) expect(b.grad.dtype).toBe(c.b.dtype);
    },
  );
});

describe("promotion rules by name", () => {
  const f32 = tensor([1, 2]);
  const i32 = tensor([1, 2], { dtype: "int32" });

  it("a float number is a weak scalar: float32 + 1.5 stays float32", () => {
    const out = f32.add(1.5);
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([2.5, 3.5]);
    expect(tensor([1], { dtype: "float64" }).mul(0.1).dtype).toBe("float64");
  });

  it("int32 + 1.5 moves up a category, to the default float32", () => {
    const out = i32.add(1.5);
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([2.5, 3.5]);
  });

  it("int32 + 1 stays int32, and an integer-valued result stays integral", () => {
    const out = i32.add(1);
    expect(out.dtype).toBe("int32");
    expect(out.toArray()).toEqual([2, 3]);
    expect(i32.mul(-3).toArray()).toEqual([-3, -6]);
  });

  it("bool + bool is a logical or, bool * bool a logical and (as PyTorch)", () => {
    const a = tensor([true, true, false, false]);
    const b = tensor([true, false, true, false]);
    expect(a.add(b).dtype).toBe("bool");
    expect(a.add(b).toArray()).toEqual([true, true, true, false]);
    expect(a.mul(b).toArray()).toEqual([true, false, false, false]);
    expect(a.add(1).dtype).toBe("int32");
    expect(a.add(1).toArray()).toEqual([2, 2, 1, 1]);
  });

  it("a 0-d float64 tensor does not promote a float32 tensor with dims", () => {
    const out = f32.add(tensor(2, { dtype: "float64" }));
    expect(out.dtype).toBe("float32");
    // but two 0-d tensors, or two tensors with dims, promote as usual
    expect(tensor(1).add(tensor(2, { dtype: "float64" })).dtype).toBe("float64");
    expect(f32.add(tensor([1, 1], { dtype: "float64" })).dtype).toBe("float64");
    // a 0-d float32 tensor lifts an int32 tensor with dims into floats (a higher category)
    expect(i32.add(tensor(0.5)).dtype).toBe("float32");
  });

  it("comparisons return bool, whatever their operands", () => {
    for (const op of [eq, ne, lt, le, gt, ge]) {
      expect(op(f32, 1).dtype).toBe("bool");
      expect(op(i32, f32).dtype).toBe("bool");
      expect(op(tensor([true]), 0.5).dtype).toBe("bool");
    }
    expect(lt(i32, 1.5).toArray()).toEqual([true, false]);
    expect(eq(f32, i32).toArray()).toEqual([true, true]);
  });

  it("div of integers is true division in float32", () => {
    const out = div(tensor([7, -7], { dtype: "int32" }), tensor([2, 2], { dtype: "int32" }));
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([3.5, -3.5]);
    expect(div(tensor([1], { dtype: "int32" }), 0).toArray()).toEqual([Infinity]);
  });

  it("sub of bool tensors is rejected, as PyTorch", () => {
    expect(() => sub(tensor([true]), tensor([false]))).toThrow(/^sub: .*bool/);
  });

  it("promoteTypes and resultType follow torch.promote_types and torch.result_type", () => {
    expect(promoteTypes("float32", "float64")).toBe("float64");
    expect(promoteTypes("int32", "float32")).toBe("float32");
    expect(promoteTypes("bool", "int32")).toBe("int32");
    expect(promoteTypes("bool", "bool")).toBe("bool");
    expect(resultType([f32, 2.5])).toBe("float32");
    expect(resultType([i32, true])).toBe("int32");
    expect(resultType([tensor(true), 3])).toBe("int32");
  });
});

describe("to(dtype) conversions", () => {
  it("float to int32 truncates toward zero", () => {
    const x = tensor([2.7, -2.7, 0.5, -0.5, 3], { dtype: "float64" });
    expect(x.to("int32").toArray()).toEqual([2, -2, 0, 0, 3]);
    expect(tensor([2.9999, -1.5]).to("int32").toArray()).toEqual([2, -1]);
  });

  it("anything non-zero, NaN included, converts to true", () => {
    expect(tensor([0, -0, 1, -2.5, NaN, Infinity]).to("bool").toArray()).toEqual([false, false, true, true, true, true]);
    expect(tensor([0, 3, -1], { dtype: "int32" }).to("bool").toArray()).toEqual([false, true, true]);
  });

  it("bool converts to 0/1 numbers; float64 rounds to float32", () => {
    expect(tensor([true, false]).to("float32").toArray()).toEqual([1, 0]);
    expect(tensor([true, false]).to("int32").toArray()).toEqual([1, 0]);
    expect(tensor([0.1], { dtype: "float64" }).to("float32").data()[0]).toBe(Math.fround(0.1));
    expect(tensor([16777217], { dtype: "int32" }).to("float32").toArray()).toEqual([16777216]);
  });

  it("to() the same dtype returns the tensor itself; another dtype a copy", () => {
    const x = tensor([1, 2]);
    expect(x.to("float32")).toBe(x);
    const y = x.to("float64");
    expect(y.dtype).toBe("float64");
    expect(y.storage).not.toBe(x.storage);
  });

  it("converts strided views element by element", () => {
    const x = tensor(
      [
        [1.5, 2.5],
        [-3.5, 4.5],
      ],
      { dtype: "float64" },
    ).T;
    expect(x.to("int32").toArray()).toEqual([
      [1, -3],
      [2, 4],
    ]);
  });

  it("rejects an unknown dtype by name", () => {
    expect(() => tensor([1]).to("int64" as DType)).toThrow(/^to: unknown dtype "int64" \(expected one of float32, float64, int32, bool\)/);
  });

  it("gradients flow back through a float cast into the source dtype", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    x.to("float64")
      .mul(tensor([3, 4], { dtype: "float64" }))
      .sum()
      .backward();
    expect(x.grad!.dtype).toBe("float32");
    expect(x.grad!.toArray()).toEqual([3, 4]);
  });
});

describe("bool storage holds only 0 and 1", () => {
  // Every write into a bool tensor converts as PyTorch: non-zero (NaN included) is true. Before,
  // some paths stored the number itself, so a "true" could compare unequal to true and sum as 2.
  const storedBytes = (t: Tensor) => {
    const stored = t.contiguous();
    return Array.from(stored.storage.backend.hostArray!(stored.buffer));
  };

  it("zeros(bool).copy_(2) equals true and sums to 2 (stored 2: eq(true) was false, sum() 4)", () => {
    const b = zeros([2], { dtype: "bool" }).copy_(2);
    expect(b.toArray()).toEqual([true, true]);
    expect(b.eq(true).toArray()).toEqual([true, true]);
    expect(b.sum().item()).toBe(2);
    expect(storedBytes(b)).toEqual([1, 1]);
  });

  it("copy_(0.5) and fill_(0.5) agree: true (copy_ gave false)", () => {
    expect(zeros([2], { dtype: "bool" }).copy_(0.5).toArray()).toEqual([true, true]);
    expect(zeros([2], { dtype: "bool" }).fill_(0.5).toArray()).toEqual([true, true]);
  });

  it("randint with dtype bool stores 0 or 1, and refuses a range past 1 as PyTorch (it stored 228 and the like)", () => {
    for (const byte of storedBytes(randint(0, 2, [64], { dtype: "bool" }))) expect(byte === 0 || byte === 1).toBe(true);
    expect(() => randint(0, 300, [64], { dtype: "bool" })).toThrow(/^randint: the range \[0, 300\) does not fit bool/);
  });

  it("256 scatterAdds of true into bool stay true (wrapped around to false)", () => {
    const out = scatterAdd(zeros([2], { dtype: "bool" }), 0, zeros([256], { dtype: "int32" }), full([256], true));
    expect(out.toArray()).toEqual([true, false]);
    expect(storedBytes(out)).toEqual([1, 0]);
  });

  it("every way of writing numbers into bool converts them alike, NaN to true (fill_, full and tensor() gave false)", () => {
    const values = [0, -0, 0.5, 1, 2, 255, 256, -1, 1e-40, NaN, Infinity, -Infinity];
    const expected = values.map((v) => v !== 0);
    const floats = tensor(Float64Array.from(values));
    const writes: Record<string, () => Tensor> = {
      "tensor(numbers)": () => tensor(values, { dtype: "bool" }),
      "tensor(Float64Array)": () => tensor(Float64Array.from(values), { dtype: "bool" }),
      'to("bool")': () => floats.to("bool"),
      "copy_(tensor)": () => zeros([values.length], { dtype: "bool" }).copy_(floats),
      "full(number)": () => tensor(values.map((v) => full([], v, { dtype: "bool" }).item() as boolean)),
      "fill_(number)": () => tensor(values.map((v) => zeros([1], { dtype: "bool" }).fill_(v).item() as boolean)),
      "copy_ of each number": () => tensor(values.map((v) => zeros([1], { dtype: "bool" }).copy_(v).item() as boolean)),
    };
    for (const [name, write] of Object.entries(writes)) {
      const b = write();
      expect(b.toArray(), name).toEqual(expected);
      expect(storedBytes(b), name).toEqual(expected.map(Number));
    }
  });

  it("bool ranges and in-place arithmetic store 0 and 1", () => {
    expect(storedBytes(arange(0, 5, 1, { dtype: "bool" }))).toEqual([0, 1, 1, 1, 1]);
    expect(storedBytes(linspace(0, 4, 3, { dtype: "bool" }))).toEqual([0, 1, 1]);
    const b = full([3], true);
    for (let i = 0; i < 300; i++) b.add_(true);
    expect(storedBytes(b)).toEqual([1, 1, 1]);
  });
});

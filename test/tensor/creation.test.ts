import { describe, expect, it } from "vitest";
import { NablaError, arange, eye, full, linspace, ones, onesLike, tensor, zeros, zerosLike, type DType } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { expectClose } from "./reference";
import { nablaError } from "../support/errors";

interface ArangeCase {
  args: [number, number?, number?];
  dtype: DType;
  values: number[];
}

interface LinspaceCase {
  start: number;
  end: number;
  steps: number;
  dtype: "float32" | "float64";
  values: number[];
}

const creation = loadFixture<{ arange: ArangeCase[]; linspace: LinspaceCase[] }>("tensor_creation.json");

describe("tensor() from nested arrays", () => {
  it("infers the shape and defaults numbers to float32", () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.strides).toEqual([3, 1]);
    expect(t.dtype).toBe("float32");
    expect(t.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.isContiguous()).toBe(true);
    expect(t.requiresGrad).toBe(false);
  });

  it("makes a 0-d tensor from a number and a bool tensor from booleans", () => {
    const scalar = tensor(2.5);
    expect(scalar.shape).toEqual([]);
    expect(scalar.item()).toBe(2.5);
    const flags = tensor([
      [true, false],
      [false, true],
    ]);
    expect(flags.dtype).toBe("bool");
    expect(flags.toArray()).toEqual([
      [true, false],
      [false, true],
    ]);
    expect(flags.data()).toBeInstanceOf(Uint8Array);
    expect(tensor(true).item()).toBe(true);
  });

  it("handles empty arrays: [] is float32 of shape [0], [[]] has shape [1, 0]", () => {
    expect(tensor([]).shape).toEqual([0]);
    expect(tensor([]).dtype).toBe("float32");
    expect(tensor([[]]).shape).toEqual([1, 0]);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
  });

  it("rounds to float32 and truncates to int32 when a dtype is given", () => {
    expect(tensor([0.1]).data()[0]).toBe(Math.fround(0.1));
    expect(tensor([0.1], { dtype: "float64" }).data()[0]).toBe(0.1);
    const ints = tensor([1.7, -1.7, 3], { dtype: "int32" });
    expect(ints.dtype).toBe("int32");
    expect(ints.toArray()).toEqual([1, -1, 3]);
    expect(tensor([0, 2, -1], { dtype: "bool" }).toArray()).toEqual([false, true, true]);
    expect(tensor([true, false], { dtype: "float64" }).toArray()).toEqual([1, 0]);
  });

  it("sets requiresGrad on float tensors and refuses it on int32 and bool", () => {
    expect(tensor([1, 2], { requiresGrad: true }).requiresGrad).toBe(true);
    expect(() => tensor([1, 2], { dtype: "int32", requiresGrad: true })).toThrow(
      /^tensor: only floating-point tensors can require gradients, got dtype int32/,
    );
    expect(() => tensor([true], { requiresGrad: true })).toThrow(/^tensor: .*bool/);
  });

  it("rejects ragged nested arrays, naming the position and the inferred shape", () => {
    const error = nablaError(() => tensor([[1, 2], [3]]));
    expect(error.op).toBe("tensor");
    expect(error.message).toBe("tensor: ragged nested array: expected 2 elements at [1], got 1 (inferred shape [2, 2])");
    expect(() => tensor([[1, 2], 3])).toThrow(/^tensor: ragged nested array: expected 2 elements at \[1\], got a scalar/);
    expect(() => tensor([1, [2, 3]] as never)).toThrow(/^tensor: expected a number or boolean at \[1\], got an array/);
    expect(() =>
      tensor([
        [[1], [2]],
        [[3], [4, 5]],
      ]),
    ).toThrow(/at \[1\]\[1\]/);
  });

  it("rejects non-numbers, naming the position", () => {
    expect(() => tensor([1, "2"] as never)).toThrow(/^tensor: expected a number or boolean at \[1\], got string/);
    expect(() => tensor([[1, null]] as never)).toThrow(/^tensor: expected a number or boolean at \[0\]\[1\], got object/);
    expect(() => tensor([undefined] as never)).toThrow(/^tensor: expected a number or boolean at \[0\], got undefined/);
    expect(() => tensor("abc" as never)).toThrow(NablaError);
  });

  it("fills the shape option with nested data in row-major order, checking the element count", () => {
    expect(tensor([1, 2, 3, 4], { shape: [2, 2] }).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { shape: [4] },
      ).toArray(),
    ).toEqual([1, 2, 3, 4]);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow("tensor: shape [2, 2] needs 4 elements, but the data (shape [3]) has 3");
  });
});

describe("tensor() from typed arrays", () => {
  it("takes its dtype from the array and copies the data", () => {
    const source = new Float64Array([1, 2, 3, 4]);
    const t = tensor(source, { shape: [2, 2] });
    expect(t.dtype).toBe("float64");
    expect(t.shape).toEqual([2, 2]);
    source[0] = 100;
    expect(t.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tensor(new Float32Array([1.5])).dtype).toBe("float32");
    expect(tensor(new Int32Array([1, -2])).dtype).toBe("int32");
    expect(tensor(new Int32Array([1, -2])).shape).toEqual([2]);
  });

  it("reads a Uint8Array as bool only when asked", () => {
    expect(tensor(new Uint8Array([0, 1, 2]), { dtype: "bool" }).toArray()).toEqual([false, true, true]);
    expect(() => tensor(new Uint8Array([1]))).toThrow(/^tensor: a Uint8Array needs \{ dtype: "bool" \}/);
  });

  it("converts to a requested dtype", () => {
    const t = tensor(new Float64Array([1.9, -1.9]), { dtype: "int32" });
    expect(t.dtype).toBe("int32");
    expect(t.toArray()).toEqual([1, -1]);
  });

  it("checks the shape against the length and rejects other array types", () => {
    expect(() => tensor(new Float32Array(6), { shape: [4, 2] })).toThrow(
      /^tensor: shape \[4, 2\] needs 8 elements, but the typed array has 6/,
    );
    expect(() => tensor(new Float32Array(6), { shape: [2, -3] })).toThrow(/^tensor: invalid shape \[2, -3\]/);
    expect(() => tensor(new Int16Array(2) as never)).toThrow(/^tensor: unsupported typed array Int16Array/);
    expect(tensor(new Float32Array(0), { shape: [0, 5] }).shape).toEqual([0, 5]);
    expect(tensor(new Float32Array([7]), { shape: [] }).item()).toBe(7);
  });
});

describe("filled tensors", () => {
  it("zeros, ones and full", () => {
    expect(zeros([2, 3]).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(zeros([2, 3]).dtype).toBe("float32");
    expect(ones([2], { dtype: "int32" }).toArray()).toEqual([1, 1]);
    expect(ones([2], { dtype: "int32" }).dtype).toBe("int32");
    expect(full([2, 2], 7.5, { dtype: "float64" }).toArray()).toEqual([
      [7.5, 7.5],
      [7.5, 7.5],
    ]);
    expect(full([1], true).dtype).toBe("bool");
    expect(full([], -2).shape).toEqual([]);
    expect(full([], -2).item()).toBe(-2);
    expect(zeros([0, 4]).numel).toBe(0);
    expect(full([2], NaN).toArray()).toEqual([NaN, NaN]);
  });

  it("requiresGrad applies to the created tensor", () => {
    const z = zeros([2], { requiresGrad: true });
    expect(z.requiresGrad).toBe(true);
    expect(z.isLeaf).toBe(true);
    expect(() => ones([2], { dtype: "int32", requiresGrad: true })).toThrow(/^ones: only floating-point tensors can require gradients/);
  });

  it("zerosLike and onesLike copy shape and dtype, not strides or storage", () => {
    const source = tensor(new Float64Array(6), { shape: [2, 3] }).T;
    const z = zerosLike(source);
    expect(z.shape).toEqual([3, 2]);
    expect(z.dtype).toBe("float64");
    expect(z.isContiguous()).toBe(true);
    expect(z.storage).not.toBe(source.storage);
    const o = onesLike(tensor([1, 2], { dtype: "int32" }));
    expect(o.dtype).toBe("int32");
    expect(o.toArray()).toEqual([1, 1]);
    expect(onesLike(tensor([1]), { dtype: "float64" }).dtype).toBe("float64");
  });

  it("eye gives the identity, square or rectangular", () => {
    expect(eye(3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(eye(2, 4).toArray()).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
    ]);
    expect(eye(3, 2, { dtype: "int32" }).toArray()).toEqual([
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(eye(0).shape).toEqual([0, 0]);
    expect(() => eye(-1)).toThrow(/^eye: n must be a non-negative integer, got -1/);
  });
});

describe("arange and linspace against PyTorch", () => {
  it.each(creation.arange.map((c) => [JSON.stringify(c.args), c] as const))("arange(%s)", (_args, c) => {
    const [a, b, step] = c.args;
    const t = b === undefined ? arange(a) : arange(a, b, step);
    expect(t.dtype).toBe(c.dtype);
    expect(t.shape).toEqual([c.values.length]);
    expect(Array.from(t.data())).toEqual(c.values);
  });

  it("arange takes a dtype in its long form", () => {
    const t = arange(0, 3, 1, { dtype: "float64" });
    expect(t.dtype).toBe("float64");
    expect(t.toArray()).toEqual([0, 1, 2]);
  });

  it("arange rejects a zero step, a step walking away from end and non-finite bounds", () => {
    expect(() => arange(0, 5, 0)).toThrow(/^arange: step must be non-zero/);
    expect(() => arange(0, 5, -1)).toThrow(/^arange: the range 0 to 5 cannot be walked with step -1/);
    expect(() => arange(Infinity)).toThrow(/^arange: end must be a finite number, got Infinity/);
    expect(() => arange(NaN, 2)).toThrow(/^arange: start must be a finite number, got NaN/);
  });

  it.each(creation.linspace.map((c) => [c.start, c.end, c.steps, c.dtype, c] as const))(
    "linspace(%s, %s, %i) in %s",
    (_s, _e, _n, _d, c) => {
      const t = linspace(c.start, c.end, c.steps, { dtype: c.dtype });
      expect(t.dtype).toBe(c.dtype);
      expect(t.shape).toEqual([c.steps]);
      // PyTorch's float32 linspace steps in float32 arithmetic; nabla rounds float64 steps once
      const tolerance = c.dtype === "float64" ? { rtol: 1e-15, atol: 1e-15 } : { rtol: 2e-7, atol: 2e-7 };
      expectClose(t.data(), c.values, tolerance, "values");
      if (c.steps > 1) {
        expect(t.data()[0]).toBe(c.values[0]);
        expect(t.data()[c.steps - 1]).toBe(c.values[c.steps - 1]);
      }
    },
  );

  it("linspace defaults to float32 and rejects a bad step count", () => {
    expect(linspace(0, 1, 3).dtype).toBe("float32");
    expect(() => linspace(0, 1, -1)).toThrow(/^linspace: steps must be a non-negative integer, got -1/);
    expect(() => linspace(0, 1, 2.5)).toThrow(/^linspace: steps must be a non-negative integer, got 2.5/);
  });
});

describe("shape arguments", () => {
  it.each([
    ["NaN", [2, NaN]],
    ["negative", [2, -1]],
    ["fractional", [1.5, 2]],
    ["infinite", [Infinity]],
  ] as const)("a %s size is a NablaError naming the shape", (_kind, shape) => {
    for (const [op, make] of [
      ["zeros", () => zeros(shape)],
      ["ones", () => ones(shape)],
      ["full", () => full(shape, 1)],
    ] as const) {
      const error = nablaError(make);
      expect(error.op).toBe(op);
      expect(error.message).toBe(`${op}: invalid shape [${shape.join(", ")}]: sizes must be non-negative integers`);
    }
  });

  it("a shape that is not an array is rejected", () => {
    expect(() => zeros(3 as never)).toThrow(/^zeros: shape must be an array of sizes, got 3/);
  });
});

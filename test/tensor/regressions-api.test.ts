import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import {
  Generator,
  type DType,
  MAX_DIMS,
  NablaError,
  type Tensor,
  arange,
  cat,
  eye,
  full,
  gradcheck,
  linspace,
  matmul,
  ones,
  onesLike,
  pow,
  rand,
  randint,
  randn,
  randperm,
  reshape,
  sum,
  tensor,
  zeros,
  zerosLike,
} from "@nabla/tensor";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";

// Defects found by fuzzing the public API, each pinned by name. Values that PyTorch decides come
// from test/fixtures/gen_regressions.py.

interface Fixture {
  powInt32: { bases: number[]; exponents: number[]; values: number[][] };
  matmulInt32: { a: number[][]; b: number[][]; product: number[][] }[];
  int32Fill: { value: number; refused: boolean; stored: number | null }[];
  randintInt32: { low: number; high: number; refused: boolean }[];
  catDtype: { empty: DType; full: DType; dtype: DType; shape: number[] }[];
  clampInt32: { input: number[]; cases: { min: number | null; max: number | null; dtype: DType; values: number[] }[] };
  int32ToFloat: { input: number[]; values: Record<string, number[]> };
  clampOutOfRange: { dtype: DType; bound: number; refused: boolean }[];
}
const fixture = loadFixture<Fixture>("regressions_api.json");
const int32 = (values: number[] | number[][]) => tensor(values, { dtype: "int32" });

describe("a .grad of the wrong shape or dtype is refused on assignment", () => {
  it("a grad of another size is refused (PyTorch: assigned grad has data of a different size)", () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    const error = nablaError(() => (p.grad = tensor([10])), "grad");
    expect(error.message).toBe("grad: the assigned grad (float32 [1]) must have the tensor's shape and dtype (float32 [3])");
    expect(p.grad).toBeNull();
  });

  it("a grad of another dtype is refused, int32 and float64 alike", () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    nablaError(() => (p.grad = tensor([1, 2, 3], { dtype: "float64" })), "grad");
    nablaError(() => (p.grad = int32([1, 2, 3])), "grad");
    expect(nablaError(() => (p.grad = [1, 2, 3] as unknown as Tensor), "grad").message).toContain(
      "must be a Tensor or null, got [1, 2, 3]",
    );
  });

  it("a grad of the tensor's shape and dtype, and null, are accepted", () => {
    const p = tensor([[1, 2]], { requiresGrad: true });
    const g = tensor([[0.5, 0.25]]);
    p.grad = g;
    expect(p.grad).toBe(g);
    p.grad = null;
    expect(p.grad).toBeNull();
  });
});

describe("randint samples any range and refuses one its dtype cannot hold", () => {
  it("a range wider than 2^32 returns (it never did) with values inside it", () => {
    const values = randint(0, 2 ** 33, [2000], { dtype: "float64", generator: new Generator(1) }).data();
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(2 ** 33);
    // uniform over [0, 2^33): values past 2^32 are half of them, give or take sampling noise
    const high = values.filter((v) => v >= 2 ** 32).length;
    expect(high).toBeGreaterThan(850);
    expect(high).toBeLessThan(1150);
    expect(values.every((v) => Number.isInteger(v))).toBe(true);
  });

  it("Generator.nextBelow draws below any bound up to 2^53, and the same stream below 2^32 as before", () => {
    const g = new Generator(3);
    for (const bound of [1, 2, 2 ** 32, 2 ** 32 + 1, 3 * 2 ** 40, 2 ** 53]) {
      const x = g.nextBelow(bound);
      expect(Number.isInteger(x) && x >= 0 && x < bound).toBe(true);
    }
    // below 2^32, one 32-bit draw modulo the bound (PyTorch's random_(0, bound))
    const a = new Generator(0);
    const b = new Generator(0);
    expect(Array.from({ length: 5 }, () => a.nextBelow(10))).toEqual(Array.from({ length: 5 }, () => b.nextUint32() % 10));
    nablaError(() => g.nextBelow(2 ** 53 + 2), "Generator.nextBelow");
    nablaError(() => g.nextBelow(0), "Generator.nextBelow");
  });

  it("randint(2^31 − 1, 2^31 + 2) is refused for int32 (it returned negative numbers) and sampled in float64", () => {
    const error = nablaError(() => randint(2 ** 31 - 1, 2 ** 31 + 2, [5]), "randint");
    expect(error.message).toBe(
      "randint: the range [2147483647, 2147483650) does not fit int32, which holds the integers -2147483648 to 2147483647 exactly",
    );
    const values = randint(2 ** 31 - 1, 2 ** 31 + 2, [50], { dtype: "float64" }).data();
    expect(values.every((v) => v >= 2 ** 31 - 1 && v < 2 ** 31 + 2)).toBe(true);
  });

  it.each(fixture.randintInt32)("int32 range [$low, $high) refused: $refused, as PyTorch", ({ low, high, refused }) => {
    if (refused) nablaError(() => randint(low, high, [2], { dtype: "int32" }), "randint");
    else {
      const values = randint(low, high, [20], { dtype: "int32" }).data();
      expect(values.every((v) => v >= low && v < high)).toBe(true);
    }
  });

  it("float32 holds the integers up to 2^24 exactly, float64 up to 2^53", () => {
    expect(randint(0, 2 ** 24 + 1, [4], { dtype: "float32" }).dtype).toBe("float32");
    nablaError(() => randint(0, 2 ** 24 + 2, [4], { dtype: "float32" }), "randint");
    nablaError(() => randint(0, 2 ** 53 + 2, [4], { dtype: "float64" }), "randint");
  });
});

describe("int32 overflow is refused or wraps as PyTorch's int32 arithmetic", () => {
  it.each(fixture.int32Fill)("full, fill_ and tensor() with int32 value $value (refused: $refused)", ({ value, refused, stored }) => {
    const makers = [
      ["full", () => full([2], value, { dtype: "int32" })],
      ["fill_", () => zeros([2], { dtype: "int32" }).fill_(value)],
      ["tensor", () => tensor([value, 0], { dtype: "int32" })],
    ] as const;
    for (const [op, make] of makers) {
      if (refused) {
        expect(nablaError(make, op).message).toBe(`${op}: value ${value} cannot be converted to int32 without overflow`);
      } else expect(make().data()[0]).toBe(stored);
    }
  });

  it("a float64 typed array converted to int32 is checked too, and arange refuses values past int32", () => {
    nablaError(() => tensor(new Float64Array([2 ** 31]), { dtype: "int32" }), "tensor");
    nablaError(() => arange(2 ** 31 - 1, 2 ** 31 + 1), "arange");
    expect(arange(2 ** 31 - 2, 2 ** 31).data()).toEqual(Int32Array.from([2 ** 31 - 2, 2 ** 31 - 1]));
  });

  it("float32 full and fill_ refuse finite values past its range (±Infinity and NaN are values of their own)", () => {
    expect(nablaError(() => full([1], 1e39), "full").message).toBe("full: value 1e+39 cannot be converted to float32 without overflow");
    nablaError(() => zeros([1]).fill_(-1e39), "fill_");
    expect(full([1], Infinity).data()[0]).toBe(Infinity);
    expect(full([1], 1e39, { dtype: "float64" }).data()[0]).toBe(1e39);
  });

  it("int32 pow multiplies with wrapping, 3^40 = 689956897 (not 689956864 through a double)", () => {
    expect(int32([3]).pow(40).toArray()).toEqual([689956897]);
    const { bases, exponents, values } = fixture.powInt32;
    const powers = int32(bases)
      .reshape([-1, 1])
      .pow(int32(exponents).reshape([1, -1]));
    expect(powers.dtype).toBe("int32");
    expect(powers.toArray()).toEqual(values);
  });

  it("int32 matmul wraps each product and sum as int32 (contiguous and strided operands)", () => {
    for (const { a, b, product } of fixture.matmulInt32) {
      expect(matmul(int32(a), int32(b)).toArray()).toEqual(product);
      const bTransposed = int32(b).T.contiguous().T; // same values, column-major strides
      expect(matmul(int32(a), bTransposed).toArray()).toEqual(product);
    }
  });
});

describe("printing reads only the elements it shows", () => {
  const summary = [
    "tensor([[1., 1., 1., ..., 1., 1., 1.],",
    "        [1., 1., 1., ..., 1., 1., 1.],",
    "        [1., 1., 1., ..., 1., 1., 1.],",
    "        ...,",
    "        [1., 1., 1., ..., 1., 1., 1.],",
    "        [1., 1., 1., ..., 1., 1., 1.],",
    "        [1., 1., 1., ..., 1., 1., 1.]])",
  ].join("\n");

  it("a 1e5 × 1e5 expand of one value prints its summary (it threw RangeError), in toString and Node's inspect", () => {
    const huge = ones([1]).expand([1e5, 1e5]);
    expect(huge.toString()).toBe(summary);
    expect(inspect(huge)).toBe(summary);
    expect(ones([1]).expand([20000, 20000]).toString()).toBe(summary);
  });

  it("a summarised strided view prints what its contiguous copy prints", () => {
    const view = arange(6000).reshape([60, 100]).T.slice(0, 1, 90, 3);
    expect(view.isContiguous()).toBe(false);
    expect(view.toString()).toBe(view.contiguous().toString());
  });

  it("64 dims of size 2 (2^64 elements) print in bounded space", () => {
    const deep = ones(new Array(MAX_DIMS).fill(1)).expand(new Array(MAX_DIMS).fill(2));
    const text = deep.toString();
    expect(text.startsWith(`tensor(${"[".repeat(MAX_DIMS)}1., 1.]`)).toBe(true);
    expect((text.match(/1\./g) ?? []).length).toBeLessThanOrEqual(10_000);
    expect(text).toContain("...");
  });
});

describe("allocation failures and ranks past the limit are NablaErrors naming the op", () => {
  it.each([
    ["zeros", () => zeros([2 ** 20, 2 ** 20]), "1099511627776 elements"],
    ["arange", () => arange(1e10), "10000000000 elements"],
    ["eye", () => eye(1e6), "1000000000000 elements"],
    ["linspace", () => linspace(0, 1, 1e10), "10000000000 elements"],
    ["randperm", () => randperm(1e10), "10000000000 elements"],
    ["rand", () => rand([2 ** 17, 2 ** 17]), "17179869184 elements"],
  ] as const)("%s of too many elements (it was Invalid typed array length)", (op, make, size) => {
    const error = nablaError(make, op);
    expect(error.message).toContain(`${op}: cannot allocate ${size}`);
    expect(error.message).toContain("a typed array holds at most 4294967296 elements");
  });

  it(`ranks past ${MAX_DIMS} are refused where shapes are made`, () => {
    const tooMany = new Array(MAX_DIMS + 1).fill(1);
    expect(nablaError(() => zeros(tooMany), "zeros").message).toBe(
      `zeros: a tensor may have at most ${MAX_DIMS} dims, got ${MAX_DIMS + 1}`,
    );
    nablaError(() => reshape(tensor([1]), tooMany), "reshape");
    nablaError(() => ones([1]).expand(tooMany), "expand");
    nablaError(() => ones(new Array(MAX_DIMS).fill(1)).unsqueeze(0), "unsqueeze");
    nablaError(() => tensor(new Float32Array(1), { shape: tooMany }), "tensor");
    nablaError(() => zeros(new Array(MAX_DIMS).fill(1), { dtype: "int32" }).oneHot(2), "oneHot");
  });

  it("100,000 nested levels, and an array that contains itself, are refused by tensor() (not a stack overflow later)", () => {
    let nested: unknown = 1;
    for (let i = 0; i < 100_000; i++) nested = [nested];
    nablaError(() => tensor(nested as number[]), "tensor");
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    nablaError(() => tensor(cyclic as number[]), "tensor");
  });

  it(`a tensor of ${MAX_DIMS} dims converts to nested arrays and prints`, () => {
    const deep = ones(new Array(MAX_DIMS).fill(1));
    let value = deep.toArray();
    for (let d = 0; d < MAX_DIMS; d++) value = (value as unknown[])[0] as typeof value;
    expect(value).toBe(1);
    expect(deep.toString()).toBe(`tensor(${"[".repeat(MAX_DIMS)}1.${"]".repeat(MAX_DIMS)})`);
  });
});

describe("wrong-typed arguments are NablaErrors naming the op, the argument and what was given", () => {
  it.each([
    ["reshape", () => tensor([1, 2]).reshape(null as never), "reshape: shape must be an array of sizes, got null"],
    ["permute", () => tensor([1, 2]).permute(true as never), "permute: dims must be an array of integers, got true"],
    ["sum", () => sum(tensor([1, 2]), { dim: 1 } as never), "sum: dim must be an integer or an array of integers, got an object"],
    ["sum", () => tensor([1, 2]).sum(0, "yes" as never), 'sum: keepdim must be true or false, got "yes"'],
    [
      "gradcheck",
      () => gradcheck((x) => x, undefined as never),
      "gradcheck: inputs must be a Tensor or an array of Tensors, got undefined",
    ],
    ["gradcheck", () => gradcheck(null as never, [zeros([1])]), "gradcheck: f must be a function, got null"],
    [
      "exp",
      () =>
        tensor([1])
          .add(tensor([2]))
          .exp.call(null),
      "exp: input must be a Tensor, got null",
    ],
  ] as const)("%s", (op, call, message) => {
    expect(nablaError(call, op).message).toBe(message);
  });

  it("zerosLike of something that is not a tensor names zerosLike", () => {
    expect(nablaError(() => zerosLike(null as never), "zerosLike").message).toBe("zerosLike: input must be a Tensor, got null");
    nablaError(() => onesLike([1, 2] as never), "onesLike");
  });
});

describe("view methods accept sizes as PyTorch users type them", () => {
  const x = arange(12).to("float32");
  it("view(-1, 4), reshape(2, 3, 2), permute(1, 0), expand(3, -1) equal their array forms", () => {
    expect(x.view(-1, 4).shape).toEqual([3, 4]);
    expect(x.view(-1, 4).toArray()).toEqual(x.view([-1, 4]).toArray());
    expect(x.reshape(2, 3, 2).toArray()).toEqual(x.reshape([2, 3, 2]).toArray());
    expect(x.reshape(12).shape).toEqual([12]);
    const m = x.reshape(3, 4);
    expect(m.permute(1, 0).toArray()).toEqual(m.permute([1, 0]).toArray());
    expect(
      tensor([[1], [2]])
        .expand(2, 3)
        .toArray(),
    ).toEqual([
      [1, 1, 1],
      [2, 2, 2],
    ]);
    expect(tensor([1, 2]).expand(3, -1).toArray()).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it("a bad size in the spread form is reported as in the array form", () => {
    nablaError(() => x.view(5, -1), "view");
    nablaError(() => x.reshape(2, "x" as never), "reshape");
    nablaError(() => x.reshape(3, 4).permute(0, 0), "permute");
  });
});

describe("smaller defects", () => {
  it.each(fixture.catDtype)(
    "cat of an empty $empty [0] and a $full tensor gives $dtype, as PyTorch (the empty input counts)",
    ({ empty, full: fullDtype, dtype, shape }) => {
      const out = cat([zeros([0], { dtype: empty }), ones([2, 2], { dtype: fullDtype })]);
      expect(out.dtype).toBe(dtype);
      expect(out.shape).toEqual(shape);
    },
  );

  it.each(fixture.clampInt32.cases)("int32 clamp($min, $max) gives $dtype, as PyTorch", ({ min, max, dtype, values }) => {
    const out = int32(fixture.clampInt32.input).clamp(min, max);
    expect(out.dtype).toBe(dtype);
    expect(out.toArray()).toEqual(values);
  });

  it("int32 clamp(NaN) is float32 NaN (it stayed int32 zeros), as PyTorch 2 propagates a NaN bound", () => {
    const out = int32([1, 2]).clamp(NaN);
    expect(out.dtype).toBe("float32");
    expect(out.toArray()).toEqual([NaN, NaN]);
  });
});

describe("int32 and bool inputs, bounds and in-place writes as PyTorch takes them", () => {
  it.each(Object.keys(fixture.int32ToFloat.values))(
    "int32 %s computes on each integer's float32 value (sin(2147483647) used the exact integer)",
    (op) => {
      const out = (int32(fixture.int32ToFloat.input) as unknown as Record<string, () => Tensor>)[op]!();
      expect(out.dtype).toBe("float32");
      const expected = fixture.int32ToFloat.values[op]!;
      Array.from(out.data()).forEach((value, i) => {
        const want = expected[i]!;
        if (Number.isFinite(want)) expect(Math.abs(value - want)).toBeLessThanOrEqual(2e-7 * Math.max(1, Math.abs(want)));
        else expect(value).toBe(want);
      });
    },
  );

  it.each(fixture.clampOutOfRange)(
    "clamp of a $dtype tensor with bound $bound is refused: $refused (int32 clamp(2 ** 40) gave a wrapped 0)",
    ({ dtype, bound, refused }) => {
      const x = tensor([5], { dtype });
      if (refused) {
        expect(nablaError(() => x.clamp(bound), "clamp").message).toMatch(/cannot be converted to (int32|float32) without overflow/);
        nablaError(() => x.clamp(null, bound), "clamp");
      } else {
        expect(x.clamp(bound).dtype).toBe(dtype);
      }
    },
  );

  it("pow of bool and bool is refused, as PyTorch (it gave a bool tensor)", () => {
    const b = tensor([true, false]);
    for (const [base, exponent] of [
      [b, b],
      [b, true],
      [true, b],
    ] as const) {
      expect(nablaError(() => pow(base, exponent), "pow").message).toContain("bool");
    }
    expect(b.pow(tensor([1, 2], { dtype: "int32" })).toArray()).toEqual([1, 0]);
  });

  it("an in-place op on a zero-size view works inside a graph (it threw from gather after bumping the version)", () => {
    const base = zeros([2]);
    const w = tensor(2, { requiresGrad: true });
    const view = base.narrow(0, 0, 0);
    view.mul_(w);
    expect(base.toArray()).toEqual([0, 0]);
    expect(view.shape).toEqual([0]);
    expect(base.requiresGrad).toBe(true); // as PyTorch's CopySlices
    base.sum().backward();
    expect(w.grad!.toArray()).toBe(0);
  });
});

describe("every creation function's errors name the function called", () => {
  const makers: [string, (shape: number[], dtype?: string) => unknown][] = [
    ["zeros", (shape, dtype) => zeros(shape, { dtype: dtype as DType })],
    ["ones", (shape, dtype) => ones(shape, { dtype: dtype as DType })],
    ["full", (shape, dtype) => full(shape, 1, { dtype: dtype as DType })],
    ["rand", (shape, dtype) => rand(shape, { dtype: dtype as DType })],
    ["randn", (shape, dtype) => randn(shape, { dtype: dtype as DType })],
    ["randint", (shape, dtype) => randint(0, 2, shape, { dtype: dtype as DType })],
    ["tensor", (shape, dtype) => tensor(new Float32Array(0), { shape, dtype: dtype as DType })],
  ];

  it.each(makers)("%s: a NaN, negative or fractional size", (op, make) => {
    for (const shape of [[2, NaN], [2, -1], [1.5]]) {
      expect(nablaError(() => make(shape), op).message).toBe(
        `${op}: invalid shape [${shape.join(", ")}]: sizes must be non-negative integers`,
      );
    }
  });

  it.each(makers)("%s: an unknown dtype", (op, make) => {
    expect(nablaError(() => make([2], "int64"), op).message).toMatch(new RegExp(`^${op}: `));
  });

  it("arange, linspace, eye and randperm name themselves for every bad argument", () => {
    for (const [op, make] of [
      ["arange", () => arange(0, 3, 1, { dtype: "int64" as DType })],
      ["arange", () => arange(NaN)],
      ["linspace", () => linspace(0, 1, 2.5)],
      ["linspace", () => linspace(0, 1, 3, { dtype: "x" as DType })],
      ["eye", () => eye(2.5)],
      ["eye", () => eye(2, -1)],
      ["eye", () => eye(2, 2, { dtype: "x" as DType })],
      ["randperm", () => randperm(-1)],
      ["randperm", () => randperm(3, { dtype: "x" as DType })],
      ["zerosLike", () => zerosLike(zeros([1]), { dtype: "x" as DType })],
      ["onesLike", () => onesLike(zeros([1]), { dtype: "x" as DType })],
    ] as const) {
      nablaError(make, op);
    }
  });
});

it("NablaError is what every case above throws (a sanity check of the helper)", () => {
  expect(nablaError(() => zeros([-1]))).toBeInstanceOf(NablaError);
});

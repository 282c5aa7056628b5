import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  add,
  cat,
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
  split,
  stack,
  sub,
  tensor,
  where,
  type Tensor,
  type TensorLike,
} from "@nabla/tensor";
import {
  broadcastableShapesArb,
  kernelValuesArb,
  materialize,
  numelOf,
  shapeArb,
  stridedInputArb,
  type StridedInput,
} from "../support/arbitraries";
import * as naive from "../support/naive";

// Every kernel runs on strided views (offsets, steps, permuted and stride-0 broadcast dims, zero-size
// dims, 0-d tensors) and is compared with the naive model computed from the same base values.

const NUM_RUNS = 40;
const SHAPES = { minRank: 0, maxRank: 4, minSize: 0, maxSize: 3, maxNumel: 48 } as const;

const anyValues = (count: number) => kernelValuesArb(count, { special: true });
const finiteValues = (count: number) => kernelValuesArb(count);
const boolValues = (count: number) => fc.array(fc.integer({ min: 0, max: 1 }), { minLength: count, maxLength: count });
const makeBool = (values: readonly number[], shape: readonly number[]) => tensor(Uint8Array.from(values), { shape, dtype: "bool" });
const makeInt32 = (values: readonly number[], shape: readonly number[]) => tensor(Int32Array.from(values), { shape });

const inputArb = (shape: readonly number[], values = anyValues) => stridedInputArb(shape, values);

describe("unary elementwise kernels on strided inputs", () => {
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const cases: [string, (t: Tensor) => Tensor, (v: number) => number, naive.Tolerance?][] = [
    ["neg", (t) => t.neg(), (v) => -v],
    ["exp", (t) => t.exp(), Math.exp],
    ["log", (t) => t.log(), Math.log],
    ["sqrt", (t) => t.sqrt(), Math.sqrt],
    ["abs", (t) => t.abs(), Math.abs],
    ["sign", (t) => t.sign(), Math.sign],
    ["tanh", (t) => t.tanh(), Math.tanh],
    ["sigmoid", (t) => t.sigmoid(), sigmoid, { rtol: 1e-15 }],
    ["relu", (t) => t.relu(), (v) => (Number.isNaN(v) ? v : Math.max(v, 0))],
    ["sin", (t) => t.sin(), Math.sin],
    ["cos", (t) => t.cos(), Math.cos],
    ["erf", (t) => t.erf(), naive.erf, { rtol: 1e-14, atol: 1e-16 }],
    ["square", (t) => t.square(), (v) => v * v],
    ["clamp(-1, 2)", (t) => t.clamp(-1, 2), (v) => (Number.isNaN(v) ? v : Math.min(Math.max(v, -1), 2))],
    ["to(float32)", (t) => t.to("float32"), Math.fround],
  ];

  it.each(cases)("%s", (_name, op, reference, tolerance = {}) => {
    fc.assert(
      fc.property(
        shapeArb(SHAPES).chain((shape) => inputArb(shape)),
        (input) => {
          const { tensor: x, model } = materialize(input);
          naive.expectMatches(op(x), naive.map(model, reference), tolerance);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("binary elementwise kernels with broadcasting", () => {
  const nanOr = (fn: (x: number, y: number) => number) => (x: number, y: number) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : fn(x, y));
  const cases: [string, (a: TensorLike, b: TensorLike) => Tensor, (x: number, y: number) => number][] = [
    ["add", add, (x, y) => x + y],
    ["sub", sub, (x, y) => x - y],
    ["mul", mul, (x, y) => x * y],
    ["div", div, (x, y) => x / y],
    ["pow", pow, naive.pow],
    ["maximum", maximum, nanOr(Math.max)],
    ["minimum", minimum, nanOr(Math.min)],
    ["eq", eq, (x, y) => Number(x === y)],
    ["ne", ne, (x, y) => Number(x !== y)],
    ["lt", lt, (x, y) => Number(x < y)],
    ["le", le, (x, y) => Number(x <= y)],
    ["gt", gt, (x, y) => Number(x > y)],
    ["ge", ge, (x, y) => Number(x >= y)],
  ];

  const comparisons = ["eq", "ne", "lt", "le", "gt", "ge"];

  it.each(cases)("%s", (name, op, reference) => {
    const caseArb = broadcastableShapesArb(2, SHAPES).chain(([shapeA, shapeB]) =>
      fc.record({
        a: inputArb(shapeA!),
        b: inputArb(shapeB!),
        scalar: fc.option(fc.constantFrom(0.5, -2, 3, Number.NaN), { freq: 4, nil: null }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ a, b, scalar }) => {
        const x = materialize(a);
        const y = materialize(b);
        naive.expectMatches(op(x.tensor, y.tensor), naive.elementwise(reference, x.model, y.model), {}, "tensor ⊙ tensor");
        if (scalar !== null) {
          // a JS number is a weak scalar: broadcast, and the tensor's dtype is kept
          const scalarModel = naive.build([], () => scalar);
          const result = op(x.tensor, scalar);
          naive.expectMatches(result, naive.elementwise(reference, x.model, scalarModel), {}, "tensor ⊙ number");
          naive.expectMatches(op(scalar, y.tensor), naive.elementwise(reference, scalarModel, y.model), {}, "number ⊙ tensor");
          expect(result.dtype).toBe(comparisons.includes(name) ? "bool" : "float64");
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("float32 results round once, as float32 arithmetic does", () => {
    const caseArb = broadcastableShapesArb(2, SHAPES).chain(([shapeA, shapeB]) =>
      fc.record({ a: inputArb(shapeA!), b: inputArb(shapeB!) }),
    );
    fc.assert(
      fc.property(caseArb, ({ a, b }) => {
        const x = materialize(a, (values, shape) => tensor(Float32Array.from(values), { shape }));
        const y = materialize(b, (values, shape) => tensor(Float32Array.from(values), { shape }));
        const xs = naive.map(x.model, Math.fround);
        const ys = naive.map(y.model, Math.fround);
        for (const [op, fn] of [
          [add, (p: number, q: number) => p + q],
          [mul, (p: number, q: number) => p * q],
          [div, (p: number, q: number) => p / q],
        ] as const) {
          const out = op(x.tensor, y.tensor);
          expect(out.dtype).toBe("float32");
          naive.expectMatches(
            out,
            naive.elementwise((p, q) => Math.fround(fn(p, q)), xs, ys),
          );
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("where", () => {
  it("picks from a where cond holds and from b elsewhere, broadcasting all three", () => {
    const caseArb = broadcastableShapesArb(3, SHAPES).chain(([shapeC, shapeA, shapeB]) =>
      fc.record({ cond: stridedInputArb(shapeC!, boolValues), a: inputArb(shapeA!), b: inputArb(shapeB!) }),
    );
    fc.assert(
      fc.property(caseArb, ({ cond, a, b }) => {
        const c = materialize(cond, makeBool);
        const x = materialize(a);
        const y = materialize(b);
        const expected = naive.elementwise((k, p, q) => (k ? p : q), c.model, x.model, y.model);
        naive.expectMatches(where(c.tensor, x.tensor, y.tensor), expected);
        naive.expectMatches(
          where(c.tensor, x.tensor, 7.5),
          naive.elementwise((k, p) => (k ? p : 7.5), c.model, x.model),
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

/** A reduction's dim argument: all dims, one (maybe negative) dim, or a list (maybe empty). */
function dimsArb(rank: number): fc.Arbitrary<number | number[] | undefined> {
  const one = fc.integer({ min: -Math.max(rank, 1), max: Math.max(rank, 1) - 1 });
  return fc.oneof(
    fc.constant(undefined),
    one,
    fc
      .uniqueArray(fc.integer({ min: 0, max: Math.max(rank, 1) - 1 }), { minLength: 1, maxLength: Math.max(rank, 1) })
      .map((ds) => ds.map((d, i) => (i % 2 ? d - Math.max(rank, 1) : d))),
  );
}

function reducedCount(shape: readonly number[], dim: number | number[] | undefined): number {
  if (dim === undefined) return numelOf(shape);
  const dims = (typeof dim === "number" ? [dim] : dim).map((d) => naive.normalizeDim(d, shape.length));
  return numelOf(dims.map((d) => shape[d] ?? 1));
}

describe("reductions over random dims of strided inputs", () => {
  const reductionCaseArb = shapeArb(SHAPES).chain((shape) =>
    fc.record({ input: inputArb(shape), dim: dimsArb(shape.length), keepdim: fc.boolean() }),
  );

  it("sum, mean, max and min match the model (NaN propagates through max and min)", () => {
    fc.assert(
      fc.property(reductionCaseArb, ({ input, dim, keepdim }) => {
        const { tensor: x, model } = materialize(input);
        // summation order differs from the model's: allow rounding relative to the summands
        const magnitude = Math.max(1, ...naive.flatValues(model).filter(Number.isFinite).map(Math.abs));
        const sumTolerance = { rtol: 1e-12, atol: 1e-13 * magnitude * Math.max(1, numelOf(model.shape)) };
        naive.expectMatches(x.sum(dim, keepdim), naive.reduce(model, "sum", dim, keepdim), sumTolerance, "sum");
        const count = reducedCount(model.shape, dim);
        naive.expectMatches(
          x.mean(dim, keepdim),
          naive.map(naive.reduce(model, "sum", dim, keepdim), (s) => s / count),
          sumTolerance,
          "mean",
        );
        for (const kind of ["max", "min"] as const) {
          if (count === 0) {
            // the max of nothing is undefined (PyTorch refuses it too)
            expect(() => x[kind](dim, keepdim)).toThrow(
              new RegExp(`^${kind}: cannot reduce over a zero-size dim \\(shape \\[.*\\], dim .*\\): the ${kind} of nothing is undefined$`),
            );
          } else {
            naive.expectMatches(x[kind](dim, keepdim), naive.reduce(model, kind, dim, keepdim), {}, kind);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it("var and std with a correction match the two-pass model", () => {
    const caseArb = reductionCaseArb.chain((c) => fc.record({ c: fc.constant(c), correction: fc.integer({ min: 0, max: 2 }) }));
    fc.assert(
      fc.property(caseArb, ({ c: { input, dim, keepdim }, correction }) => {
        const { tensor: x, model } = materialize({ ...input, values: input.values.map((v) => (Number.isFinite(v) ? v : 1.5)) });
        const count = reducedCount(model.shape, dim);
        const mean = naive.map(naive.reduce(model, "sum", dim, true), (s) => s / count);
        const squares = naive.elementwise((v, m) => (v - m) ** 2, model, mean);
        const variance = naive.map(naive.reduce(squares, "sum", dim, keepdim), (s) => s / Math.max(0, count - correction));
        const tolerance = { rtol: 1e-10, atol: 1e-12 };
        naive.expectMatches(x.var(dim, keepdim, correction), variance, tolerance, "var");
        naive.expectMatches(x.std(dim, keepdim, correction), naive.map(variance, Math.sqrt), tolerance, "std");
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("argmax and argmin give the first extreme index (NaN counts as the extreme)", () => {
    const caseArb = shapeArb(SHAPES).chain((shape) =>
      fc.record({
        input: inputArb(shape),
        dim: fc.option(fc.integer({ min: -Math.max(shape.length, 1), max: Math.max(shape.length, 1) - 1 }), { nil: undefined }),
        keepdim: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ input, dim, keepdim }) => {
        const { tensor: x, model } = materialize(input);
        for (const kind of ["max", "min"] as const) {
          const op = kind === "max" ? "argmax" : "argmin";
          // as PyTorch: an empty tensor has no overall argmax, and no dim of size 0 has one
          if (x.numel === 0 && dim === undefined) {
            expect(() => x[op](dim, keepdim)).toThrow(`${op}: cannot take ${op} of an empty tensor (shape [${x.shape.join(", ")}])`);
          } else if (dim !== undefined && x.ndim > 0 && x.shape.at(dim) === 0) {
            expect(() => x[op](dim, keepdim)).toThrow(`${op}: cannot reduce over dim ${dim} of size 0 (shape [${x.shape.join(", ")}])`);
          } else {
            const result = x[op](dim, keepdim);
            expect(result.dtype).toBe("int32");
            naive.expectMatches(result, naive.argReduce(model, kind, dim, keepdim), {}, op);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe("matmul on strided operands", () => {
  // a: [...batchA, n, k] or [k]; b: [...batchB, k, m] or [k]; batch dims broadcast
  const matmulCaseArb = fc
    .record({
      n: fc.integer({ min: 0, max: 3 }),
      k: fc.integer({ min: 0, max: 4 }),
      m: fc.integer({ min: 0, max: 3 }),
      batches: broadcastableShapesArb(2, { minRank: 0, maxRank: 2, minSize: 0, maxSize: 3 }),
      vectorA: fc.integer({ min: 0, max: 3 }).map((r) => r === 0),
      vectorB: fc.integer({ min: 0, max: 3 }).map((r) => r === 0),
    })
    .chain(({ n, k, m, batches, vectorA, vectorB }) =>
      fc.record({
        a: inputArb(vectorA ? [k] : [...batches[0]!, n, k], finiteValues),
        b: inputArb(vectorB ? [k] : [...batches[1]!, k, m], finiteValues),
      }),
    );

  it("matches the model, with batch broadcasting and 1-D promotion", () => {
    fc.assert(
      fc.property(matmulCaseArb, ({ a, b }) => {
        const x = materialize(a);
        const y = materialize(b);
        naive.expectMatches(x.tensor.matmul(y.tensor), naive.matmul(x.model, y.model), { rtol: 1e-12, atol: 1e-12 });
      }),
      { numRuns: 150 },
    );
  });

  it("propagates NaN and ±Infinity like the sum of products", () => {
    const a = tensor(new Float64Array([1, Number.NaN, 2, 0, Infinity, 1]), { shape: [3, 2] });
    const b = tensor(new Float64Array([1, 0, 2, 1]), { shape: [2, 2] });
    naive.expectMatches(a.matmul(b), naive.matmul(naive.fromFlat(Array.from(a.data()), [3, 2]), naive.fromFlat([1, 0, 2, 1], [2, 2])));
  });
});

/** An int32 index input of `shape` with values in [0, limit). */
const indexArb = (shape: readonly number[], limit: number) =>
  stridedInputArb(shape, (count) => fc.array(fc.integer({ min: 0, max: Math.max(limit - 1, 0) }), { minLength: count, maxLength: count }));

describe("gather, scatterAdd and indexSelect on strided inputs", () => {
  /** A source shape, a dim, and an index shape that fits it (a zero-size index when the dim is empty). */
  const indexingCaseArb = shapeArb({ ...SHAPES, minRank: 1 }).chain((shape) =>
    fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) =>
      fc
        .tuple(...shape.map((size, d) => (d === dim ? fc.integer({ min: 0, max: 4 }) : fc.integer({ min: 0, max: size }))))
        .map((indexShape) => (shape[dim] === 0 ? indexShape.map((size, d) => (d === dim ? 0 : size)) : indexShape))
        .chain((indexShape) =>
          fc.record({
            shape: fc.constant(shape),
            dim: fc.constant(dim),
            negativeDim: fc.boolean(),
            input: inputArb(shape),
            index: indexArb(indexShape, shape[dim]!),
            // src may be larger than the index in every dim
            src: fc.tuple(...indexShape.map((size) => fc.integer({ min: size, max: size + 1 }))).chain((srcShape) => inputArb(srcShape)),
          }),
        ),
    ),
  );

  it("gather reads along dim at the index's positions", () => {
    fc.assert(
      fc.property(indexingCaseArb, ({ shape, dim, negativeDim, input, index }) => {
        const x = materialize(input);
        const i = materialize(index, makeInt32);
        const d = negativeDim ? dim - shape.length : dim;
        naive.expectMatches(x.tensor.gather(d, i.tensor), naive.gather(x.model, d, i.model));
      }),
      { numRuns: 150 },
    );
  });

  it("scatterAdd adds src at the index's positions, repeats adding up", () => {
    fc.assert(
      fc.property(indexingCaseArb, ({ shape, dim, negativeDim, input, index, src }) => {
        const x = materialize(input);
        const i = materialize(index, makeInt32);
        const s = materialize(src);
        const d = negativeDim ? dim - shape.length : dim;
        const before = Array.from(x.tensor.data());
        // repeated positions add in a different order than in the model
        naive.expectMatches(x.tensor.scatterAdd(d, i.tensor, s.tensor), naive.scatterAdd(x.model, d, i.model, s.model), {
          rtol: 1e-12,
          atol: 1e-12,
        });
        expect(Array.from(x.tensor.data()), "the input is left unchanged").toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  it("indexSelect takes whole slices along dim", () => {
    const caseArb = shapeArb({ ...SHAPES, minRank: 1 }).chain((shape) =>
      fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) =>
        fc.record({
          input: inputArb(shape),
          dim: fc.constant(dim),
          index: fc.array(fc.integer({ min: 0, max: Math.max(shape[dim]! - 1, 0) }), { maxLength: shape[dim] === 0 ? 0 : 4 }),
        }),
      ),
    );
    fc.assert(
      fc.property(caseArb, ({ input, dim, index }) => {
        const x = materialize(input);
        naive.expectMatches(x.tensor.indexSelect(dim, tensor(Int32Array.from(index))), naive.indexSelect(x.model, dim, index));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

describe("indexSelect's gradient, a scatterAdd of whole slices", () => {
  it("adds each picked slice back where it came from, repeats adding up, along either dim", () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: "float64", requiresGrad: true },
    );
    const picks = tensor([2, 0, 2], { dtype: "int32" });
    const rows = tensor(
      [
        [1, 10],
        [100, 1000],
        [2, 20],
      ],
      { dtype: "float64" },
    );
    x.indexSelect(0, picks).backward(rows);
    expect(x.grad!.toArray()).toEqual([
      [100, 1000],
      [0, 0],
      [3, 30],
    ]);
    const y = x.detach().clone();
    y.requiresGrad = true;
    y.indexSelect(1, tensor([1, 1], { dtype: "int32" })).backward(rows.narrow(1, 0, 2));
    expect(y.grad!.toArray()).toEqual([
      [0, 11],
      [0, 1100],
      [0, 22],
    ]);
  });
});

describe("cat, stack and split on strided inputs", () => {
  it("cat joins 1–3 tensors along a dim, zero-size parts included", () => {
    const caseArb = shapeArb({ ...SHAPES, minRank: 1 }).chain((shape) =>
      fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((dim) =>
        fc.record({
          dim: fc.constant(dim),
          parts: fc.array(
            fc
              .integer({ min: 0, max: 3 })
              .chain((size) => inputArb(shape.map((s, d) => (d === (dim + shape.length) % shape.length ? size : s)))),
            { minLength: 1, maxLength: 3 },
          ),
        }),
      ),
    );
    fc.assert(
      fc.property(caseArb, ({ dim, parts }) => {
        const inputs = parts.map((p: StridedInput) => materialize(p));
        const out = cat(
          inputs.map((i) => i.tensor),
          dim,
        );
        naive.expectMatches(
          out,
          naive.cat(
            inputs.map((i) => i.model),
            dim,
          ),
        );
        expect(out.isContiguous()).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("stack joins same-shaped tensors along a new dim; split cuts views back out", () => {
    const caseArb = shapeArb(SHAPES).chain((shape) =>
      fc.record({
        shape: fc.constant(shape),
        dim: fc.integer({ min: -(shape.length + 1), max: shape.length }),
        parts: fc.array(inputArb(shape), { minLength: 1, maxLength: 3 }),
        size: fc.integer({ min: 1, max: 3 }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ dim, parts, size }) => {
        const inputs = parts.map((p) => materialize(p));
        const stacked = stack(
          inputs.map((i) => i.tensor),
          dim,
        );
        const expected = naive.stack(
          inputs.map((i) => i.model),
          dim,
        );
        naive.expectMatches(stacked, expected);
        const chunks = split(stacked, size, dim);
        const expectedChunks = naive.split(expected, size, dim);
        expect(chunks.length).toBe(expectedChunks.length);
        chunks.forEach((chunk, i) => {
          expect(chunk.storage, "split returns views").toBe(stacked.storage);
          naive.expectMatches(chunk, expectedChunks[i]!);
        });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as nabla from "@nabla/tensor";
import { Generator, rand, tensor } from "@nabla/tensor";
import { fuzzParameters } from "../support/fuzz-checks";
import {
  buildTensor,
  castValue,
  expectOutcome,
  float32ReductionAtol,
  float64ReductionAtol,
  fuzzShapeArb,
  matmulSpecsArb,
  modelOf,
  referenceResultType,
  tensorSpecArb,
  wrapInt32,
  type Expected,
  type TensorSpec,
} from "../support/fuzz-tensors";
import * as naive from "../support/naive";

// matmul (1-D promotion, batch broadcasting, every dtype, sizes that reach the SIMD kernel), and
// the indexing ops (gather, scatterAdd, indexSelect, cat, stack, split, oneHot) on strided views
// of every dtype, 0-d tensors included, against the naive model.

const RUNS = 60;

// ---- matmul ----

/**
 * Σ a·b with int32 products and sums wrapping, as PyTorch's int32 matmul: a = 2^16·high + low splits
 * every product into two whose sums the model computes exactly in float64, joined modulo 2^32.
 */
function matmulInt32(a: naive.NaiveArray, b: naive.NaiveArray): naive.NaiveArray {
  const low = naive.matmul(
    naive.map(a, (v) => v & 0xffff),
    b,
  );
  const high = naive.matmul(
    naive.map(a, (v) => v >> 16),
    b,
  );
  return naive.elementwise((l, h) => Number(BigInt.asIntN(32, BigInt(l) + (BigInt(h) << 16n))), low, high);
}

function matmulExpected(a: TensorSpec, b: TensorSpec): Expected | null {
  if (a.dtype !== b.dtype || a.dtype === "bool") return null; // PyTorch: one dtype, not bool
  const x = modelOf(a);
  const y = modelOf(b);
  if (a.dtype === "int32") return { dtype: "int32", values: matmulInt32(x, y) };
  const k = x.shape.at(-1)!;
  const magnitude = naive.matmul(naive.map(x, Math.abs), naive.map(y, Math.abs));
  const atol = naive.map(magnitude, (s) => (a.dtype === "float32" ? float32ReductionAtol(k, s) : float64ReductionAtol(k, s)));
  return {
    dtype: a.dtype,
    values: naive.map(naive.matmul(x, y), (v) => castValue(v, a.dtype)),
    atol,
    rtol: a.dtype === "float32" ? 1e-5 : 1e-12,
  };
}

describe("matmul", () => {
  it("matches the model: 1-D promotion, batch broadcasting, int32 wrap-around; mixed or bool dtypes refused", () => {
    fc.assert(
      fc.property(matmulSpecsArb({ wide: false }), ([a, b]) => {
        const x = buildTensor(a);
        const y = buildTensor(b);
        expectOutcome(`matmul(${a.dtype}, ${b.dtype})`, [x, y], () => x.matmul(y), matmulExpected(a, b));
      }),
      fuzzParameters(RUNS),
    );
  });

  it("long float32 dot products stay within blocked-accumulation error of the float64 sum", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2 ** 20, max: 2 ** 21 }), fc.nat(), fc.boolean(), (k, seed, vectors) => {
        const generator = new Generator(seed);
        const a = rand([k], { generator });
        const b = rand([k], { generator });
        const av = a.data();
        const bv = b.data();
        let exact = 0;
        for (let i = 0; i < k; i++) exact += av[i]! * bv[i]!;
        const got = (vectors ? a.matmul(b) : a.reshape([1, k]).matmul(b.reshape([k, 1]))).data()[0]!;
        // the products are positive: their sum is also the sum of magnitudes
        expect(Math.abs(got - exact), `dot product of ${k}`).toBeLessThanOrEqual(1e-5 * exact + float32ReductionAtol(k, exact));
      }),
      fuzzParameters(3),
    );
  });
});

// ---- gather, scatterAdd, indexSelect ----

const indexSpec = (shape: readonly number[], limit: number) =>
  tensorSpecArb(shape, { dtypes: ["int32"] }).map((spec) => ({
    ...spec,
    values: spec.values.map((v) => (limit > 0 ? ((v % limit) + limit) % limit : v)),
  }));

/** An input of any dtype, a dim, and an index no larger than the input outside dim (0-d inputs included). */
const alongCaseArb = fuzzShapeArb({ maxRank: 4, maxNumel: 32 }).chain((shape) =>
  fc.integer({ min: -Math.max(shape.length, 1), max: Math.max(shape.length, 1) - 1 }).chain((dim) => {
    const d = shape.length === 0 ? 0 : (dim + shape.length) % shape.length;
    const limit = shape.length === 0 ? 1 : shape[d]!;
    const indexShapeArb =
      shape.length === 0
        ? fc.constantFrom<number[]>([], [1], [3])
        : fc.tuple(
            ...shape.map((size, k) => (k === d ? fc.integer({ min: 0, max: limit === 0 ? 0 : 4 }) : fc.integer({ min: 0, max: size }))),
          );
    return indexShapeArb.chain((indexShape) =>
      fc.record({
        input: tensorSpecArb(shape),
        dim: fc.constant(dim),
        index: indexSpec(indexShape, limit),
        // src may be larger than the index in every dim
        srcShape: fc.tuple(...indexShape.map((size) => fc.integer({ min: size, max: size + 1 }))),
      }),
    );
  }),
);

describe("gather, scatterAdd and indexSelect on strided inputs of every dtype", () => {
  it("gather reads along dim at the index's positions", () => {
    fc.assert(
      fc.property(alongCaseArb, ({ input, dim, index }) => {
        const x = buildTensor(input);
        const i = buildTensor(index);
        expectOutcome(`gather(${input.dtype}, ${dim})`, [x, i], () => x.gather(dim, i), {
          dtype: input.dtype,
          values: naive.gather(modelOf(input), dim, modelOf(index)),
        });
      }),
      fuzzParameters(RUNS),
    );
  });

  it("scatterAdd adds src at the index's positions (int32 wraps, bool ors)", () => {
    const caseArb = alongCaseArb.chain((c) => tensorSpecArb(c.srcShape, { dtypes: [c.input.dtype] }).map((src) => ({ ...c, src })));
    fc.assert(
      fc.property(caseArb, ({ input, dim, index, src }) => {
        const x = buildTensor(input);
        const i = buildTensor(index);
        const s = buildTensor(src);
        const sums = naive.scatterAdd(modelOf(input), dim, modelOf(index), modelOf(src));
        const magnitude = naive.scatterAdd(naive.map(modelOf(input), Math.abs), dim, modelOf(index), naive.map(modelOf(src), Math.abs));
        const dtype = input.dtype;
        const values = naive.map(sums, (v) => (dtype === "int32" ? wrapInt32(v) : castValue(v, dtype)));
        const count = naive.numelOf(modelOf(index).shape) + 1;
        const atol =
          dtype === "float32"
            ? naive.map(magnitude, (m) => float32ReductionAtol(count, m))
            : dtype === "float64"
              ? naive.map(magnitude, (m) => float64ReductionAtol(count, m))
              : 0;
        // PyTorch ors bool values; refusing bool is fine too
        const expected = { dtype, values, atol, rtol: dtype === "float32" ? 1e-5 : 1e-12 };
        expectOutcome(`scatterAdd(${dtype}, ${dim})`, [x, i, s], () => x.scatterAdd(dim, i, s), expected, { mayRefuse: dtype === "bool" });
      }),
      fuzzParameters(RUNS),
    );
  });

  it("indexSelect takes whole slices along dim", () => {
    const caseArb = fuzzShapeArb({ minRank: 1, maxRank: 4, maxNumel: 32 }).chain((shape) =>
      fc.integer({ min: 0, max: shape.length - 1 }).chain((dim) =>
        fc.record({
          input: tensorSpecArb(shape),
          dim: fc.constant(dim),
          index: fc.array(fc.integer({ min: 0, max: Math.max(shape[dim]! - 1, 0) }), { maxLength: shape[dim] === 0 ? 0 : 4 }),
        }),
      ),
    );
    fc.assert(
      fc.property(caseArb, ({ input, dim, index }) => {
        const x = buildTensor(input);
        const i = tensor(Int32Array.from(index));
        expectOutcome(`indexSelect(${input.dtype}, ${dim})`, [x, i], () => x.indexSelect(dim, i), {
          dtype: input.dtype,
          values: naive.indexSelect(modelOf(input), dim, index),
        });
      }),
      fuzzParameters(RUNS),
    );
  });
});

// ---- cat, stack, split, oneHot ----

describe("cat, stack, split and oneHot", () => {
  it("cat joins tensors of any dtypes along a dim, promoting over every input (legacy empty [0] ones are skipped in shape only)", () => {
    const caseArb = fuzzShapeArb({ minRank: 1, maxRank: 4, maxNumel: 24 }).chain((shape) =>
      fc.integer({ min: -shape.length, max: shape.length - 1 }).chain((dim) => {
        const d = (dim + shape.length) % shape.length;
        const part = fc.oneof(
          {
            weight: 5,
            arbitrary: fc.integer({ min: 0, max: 3 }).chain((size) => tensorSpecArb(shape.map((s, k) => (k === d ? size : s)))),
          },
          { weight: 1, arbitrary: tensorSpecArb([0]) },
        );
        return fc.record({ dim: fc.constant(dim), parts: fc.array(part, { minLength: 1, maxLength: 3 }) });
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ dim, parts }) => {
        const tensors = parts.map(buildTensor);
        const models = parts.map(modelOf);
        const kept = models.filter((m) => !(m.shape.length === 1 && m.shape[0] === 0));
        const dtype = referenceResultType(parts.map((p) => ({ dtype: p.dtype, ndim: 1 })));
        // only legacy empty parts: an empty result, or a refusal of the dim
        const joined = kept.length === 0 ? models[0]! : naive.cat(kept, dim);
        const expected = { dtype, values: naive.map(joined, (v) => castValue(v, dtype)) };
        expectOutcome(`cat(${parts.map((p) => p.dtype).join(", ")}; ${dim})`, tensors, () => nabla.cat(tensors, dim), expected, {
          mayRefuse: kept.length === 0,
        });
      }),
      fuzzParameters(RUNS),
    );
  });

  it("stack joins same-shaped tensors of any dtypes along a new dim; split cuts views back out", () => {
    const caseArb = fuzzShapeArb({ maxRank: 4, maxNumel: 24 }).chain((shape) =>
      fc.record({
        dim: fc.integer({ min: -(shape.length + 1), max: shape.length }),
        parts: fc.array(tensorSpecArb(shape), { minLength: 1, maxLength: 3 }),
        size: fc.integer({ min: 1, max: 3 }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ dim, parts, size }) => {
        const tensors = parts.map(buildTensor);
        const dtype = referenceResultType(parts.map((p) => ({ dtype: p.dtype, ndim: 1 })));
        const stacked = naive.map(naive.stack(parts.map(modelOf), dim), (v) => castValue(v, dtype));
        expectOutcome(`stack(${parts.map((p) => p.dtype).join(", ")}; ${dim})`, tensors, () => nabla.stack(tensors, dim), {
          dtype,
          values: stacked,
        });
        const whole = nabla.stack(tensors, dim);
        const pieces = whole.split(size, dim);
        const expected = naive.split(stacked, size, dim);
        expect(pieces.length).toBe(expected.length);
        for (const [i, piece] of pieces.entries()) expectOutcome(`split piece ${i}`, [whole], () => piece, { dtype, values: expected[i]! });
      }),
      fuzzParameters(RUNS),
    );
  });

  it("oneHot encodes int32 class indices (out-of-range classes refused)", () => {
    const caseArb = fuzzShapeArb({ maxRank: 3, maxNumel: 12 }).chain((shape) =>
      fc.record({ indices: tensorSpecArb(shape, { dtypes: ["int32"], wide: false }), numClasses: fc.integer({ min: -1, max: 5 }) }),
    );
    fc.assert(
      fc.property(caseArb, ({ indices, numClasses }) => {
        const x = buildTensor(indices);
        const model = modelOf(indices);
        const values = naive.flatValues(model);
        const classes = numClasses === -1 ? Math.max(0, ...values.map((v) => v + 1)) : numClasses;
        const valid = values.every((v) => v >= 0 && v < classes);
        const expected = valid
          ? {
              dtype: "int32" as const,
              values: naive.build([...model.shape, classes], (i) => Number(naive.at(model, i.slice(0, -1)) === i.at(-1))),
            }
          : null;
        // PyTorch cannot infer the classes of an empty input; an empty result is fine too
        expectOutcome(`oneHot(${numClasses})`, [x], () => x.oneHot(numClasses), expected, { mayRefuse: values.length === 0 });
      }),
      fuzzParameters(RUNS),
    );
  });
});

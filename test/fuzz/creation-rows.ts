// The creation and random functions of @nabla/tensor as fuzz rows (see support/fuzz-calls.ts).
// They loop over sizes and draw random numbers until one fits, so a bad argument can hang rather
// than throw: creation.test.ts runs them in a separate process with a time limit
// (creation-runner.ts). No size drawn here can be allocated without being refused or filled at once.

import fc from "fast-check";
import * as nabla from "@nabla/tensor";
import { Generator, type Tensor, type DType } from "@nabla/tensor";
import { tensorArg, type Row } from "../support/fuzz-calls";
import { HOSTILE_SIZES } from "../support/fuzz-checks";
import { DTYPES, castValue, fuzzShapeArb, tensorSpecArb } from "../support/fuzz-tensors";

const dtypeOption = fc.constantFrom<DType | string>(...DTYPES, ...DTYPES, "float16", "");
const options = fc.option(fc.record({ dtype: dtypeOption, requiresGrad: fc.boolean() }, { requiredKeys: [] }), { nil: undefined });
const shapeArb = fuzzShapeArb({ maxNumel: 24 });
/** Shapes no tensor can have: a negative, fractional, non-finite or unallocatable size. */
const hostileShapeArb = fc
  .array(fc.constantFrom(...HOSTILE_SIZES, 0, 2), { minLength: 1, maxLength: 3 })
  .filter((s) => s.some((size) => HOSTILE_SIZES.includes(size)));
/** Fill values and random bounds: small numbers, the int32 limits and beyond, non-finite ones. */
const valueArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 5 }) },
  { weight: 2, arbitrary: fc.double({ min: -10, max: 10, noNaN: true }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      -(2 ** 31) - 1,
      2 ** 32,
      2 ** 32 + 5,
      2 ** 33,
      -(2 ** 33),
      2 ** 53,
      1e300,
      3.5e38,
      NaN,
      Infinity,
      -Infinity,
    ),
  },
  { weight: 1, arbitrary: fc.boolean() },
);
// arange and linspace bounds and steps: a range is walked either in a few steps or in more than 2^35
const boundArb = fc.oneof(fc.integer({ min: -6, max: 6 }), fc.double({ min: -6, max: 6, noNaN: true }));
const extremeBoundArb = fc.constantFrom(2 ** 40, -(2 ** 40), 1e300, NaN, Infinity, -Infinity);
const rangeValueArb = fc.oneof({ weight: 4, arbitrary: boundArb }, { weight: 1, arbitrary: extremeBoundArb });
const stepArb = fc.constantFrom(1, 2, 0.5, 0.25, -1, -0.5, 3);
const hostileStepArb = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e-300, -1e-300, 5e-324);
const countArb = fc.integer({ min: 0, max: 6 });
const hostileCountArb = fc.constantFrom(...HOSTILE_SIZES);

/** Nested arrays of a small shape (numbers, booleans or both), or a typed array. */
const dataArb = fc.oneof(
  fuzzShapeArb({ maxRank: 3, maxNumel: 12 }).chain((shape) =>
    fc
      .array(fc.oneof(valueArb, fc.boolean()), { minLength: shape.reduce((n, s) => n * s, 1), maxLength: shape.reduce((n, s) => n * s, 1) })
      .map((flat) => nest(flat, shape)),
  ),
  fc
    .array(fc.double({ min: -10, max: 10 }), { maxLength: 6 })
    .chain((values) =>
      fc.constantFrom(
        Float32Array.from(values),
        Float64Array.from(values),
        Int32Array.from(values),
        Uint8Array.from(values),
        Int8Array.from(values),
        Uint16Array.from(values),
      ),
    ),
);

function nest(flat: unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  const [size, ...rest] = shape as [number, ...number[]];
  const inner = rest.reduce((n, s) => n * s, 1);
  return Array.from({ length: size }, (_, i) => nest(flat.slice(i * inner, (i + 1) * inner), rest));
}

function flatten(data: unknown): unknown[] {
  return Array.isArray(data) ? data.flatMap(flatten) : ArrayBuffer.isView(data) ? Array.from(data as unknown as ArrayLike<number>) : [data];
}

/** The value a tensor of `dtype` must hold for `v` given to tensor() or full(), as PyTorch; null when it must refuse it. */
function expectedFill(dtype: DType, v: number | boolean): number | null {
  const number = Number(v);
  if (dtype === "int32")
    return Number.isFinite(number) && Math.trunc(number) >= -(2 ** 31) && Math.trunc(number) < 2 ** 31 ? Math.trunc(number) : null;
  return castValue(number, dtype);
}

function valueProblems(t: Tensor, expected: readonly (number | null)[]): string[] {
  const data = Array.from(t.data());
  const refused = expected.indexOf(null);
  if (refused >= 0) return [`stored element ${refused} as ${data[refused]} in a ${t.dtype} tensor; PyTorch refuses the value (overflow)`];
  const bad = expected.findIndex((e, i) => e !== data[i] && !(Number.isNaN(e) && Number.isNaN(data[i])));
  return bad < 0 ? [] : [`element ${bad} is ${data[bad]}, expected ${expected[bad]}`];
}

const generatorMethods = ["nextUint32", "nextFloat32", "nextFloat64", "nextNormal", "nextBelow", "manualSeed"] as const;

export const CREATION_ROWS: Row[] = [
  {
    name: "tensor",
    args: fc.tuple(
      dataArb,
      fc.option(fc.record({ dtype: dtypeOption, requiresGrad: fc.boolean(), shape: shapeArb }, { requiredKeys: [] }), { nil: undefined }),
    ),
    call: nabla.tensor,
    expect: (t: Tensor, [data]) =>
      valueProblems(
        t,
        flatten(data).map((v) => expectedFill(t.dtype, v as number)),
      ),
  },
  {
    name: "zeros",
    args: fc.tuple(shapeArb, options),
    hostileArgs: fc.tuple(hostileShapeArb),
    call: nabla.zeros,
    expect: (t: Tensor) => valueProblems(t, new Array(t.numel).fill(0)),
  },
  {
    name: "ones",
    args: fc.tuple(shapeArb, options),
    hostileArgs: fc.tuple(hostileShapeArb),
    call: nabla.ones,
    expect: (t: Tensor) => valueProblems(t, new Array(t.numel).fill(1)),
  },
  {
    name: "full",
    args: fc.tuple(shapeArb, valueArb, options),
    hostileArgs: fc.tuple(hostileShapeArb, valueArb),
    call: nabla.full,
    // float32 overflow: PyTorch refuses it, an infinity is accepted here too
    expect: (t: Tensor, [, value]) => valueProblems(t, new Array(t.numel).fill(expectedFill(t.dtype, value))),
  },
  { name: "zerosLike", args: fc.tuple(tensorArg(fuzzShapeArb().chain((s) => tensorSpecArb(s))), options), call: nabla.zerosLike },
  { name: "onesLike", args: fc.tuple(tensorArg(fuzzShapeArb().chain((s) => tensorSpecArb(s))), options), call: nabla.onesLike },
  {
    name: "arange",
    args: fc.oneof(fc.tuple(boundArb), fc.tuple(boundArb, boundArb, stepArb, options)),
    hostileArgs: fc.oneof(fc.tuple(extremeBoundArb), fc.tuple(rangeValueArb, rangeValueArb, fc.oneof(stepArb, hostileStepArb))),
    call: nabla.arange,
    expect: (t: Tensor, args: number[]) => {
      // arange(end), or arange(start, end, step); an end left undefined reads as arange(start)
      const [start, end] = args.length === 1 || args[1] === undefined ? [0, args[0]!] : [args[0]!, args[1]!];
      const step = args[2] ?? 1;
      const count = Math.ceil((end - start) / step);
      if (t.numel !== count) return [`has ${t.numel} elements, expected ${count}`];
      return t.dtype === "bool"
        ? []
        : valueProblems(
            t,
            Array.from({ length: count }, (_, i) => castValue(start + i * step, t.dtype)),
          );
    },
  },
  {
    name: "linspace",
    args: fc.tuple(rangeValueArb, rangeValueArb, countArb, options),
    hostileArgs: fc.tuple(rangeValueArb, rangeValueArb, hostileCountArb),
    call: nabla.linspace,
    expect: (t: Tensor, [start, end, steps]) => {
      if (t.numel !== steps) return [`has ${t.numel} elements, expected ${steps}`];
      const data = t.data();
      const problems: string[] = [];
      // (a bound int32 cannot hold converts to an unspecified value, castValue's NaN)
      const first = castValue(start, t.dtype);
      const last = castValue(end, t.dtype);
      // (an infinite bound makes every step NaN, in PyTorch too)
      const finite = Number.isFinite(start) && Number.isFinite(end);
      if (steps > 0 && finite && !Number.isNaN(first) && data[0] !== first) problems.push(`starts at ${data[0]}, not ${start}`);
      if (steps > 1 && finite && !Number.isNaN(last) && data[steps - 1] !== last) problems.push(`ends at ${data[steps - 1]}, not ${end}`);
      return problems;
    },
  },
  {
    name: "eye",
    args: fc.tuple(countArb, fc.option(countArb, { nil: undefined }), options),
    hostileArgs: fc.tuple(fc.oneof(countArb, hostileCountArb), hostileCountArb),
    call: nabla.eye,
    expect: (t: Tensor, [n, m = n]) =>
      valueProblems(
        t,
        Array.from({ length: n * m }, (_, i) => (Math.floor(i / m) === i % m ? 1 : 0)),
      ),
  },
  ...(["rand", "randn"] as const).map(
    (name): Row => ({
      name,
      args: fc.tuple(
        shapeArb,
        fc.option(
          fc.record(
            { dtype: dtypeOption, requiresGrad: fc.boolean(), generator: fc.nat().map((s) => new Generator(s)) },
            { requiredKeys: [] },
          ),
          { nil: undefined },
        ),
      ),
      hostileArgs: fc.tuple(hostileShapeArb),
      call: { rand: nabla.rand, randn: nabla.randn }[name],
      expect: (t: Tensor) => {
        const bad = Array.from(t.data()).findIndex((v) => (name === "rand" ? !(v >= 0 && v < 1) : !Number.isFinite(v)));
        return bad < 0 ? [] : [`element ${bad} is ${t.data()[bad]}`];
      },
    }),
  ),
  {
    name: "randint",
    args: fc.tuple(valueArb, valueArb, shapeArb, options),
    hostileArgs: fc.tuple(fc.integer({ min: -3, max: 0 }), fc.integer({ min: 1, max: 3 }), hostileShapeArb),
    call: nabla.randint,
    expect: (t: Tensor, [low, high]) => {
      const bad = Array.from(t.data()).findIndex((v) => !(v >= low && v < high && Number.isInteger(v)));
      return bad < 0 ? [] : [`element ${bad} is ${t.data()[bad]}, outside [${low}, ${high})`];
    },
  },
  {
    name: "randperm",
    args: fc.tuple(countArb, options),
    hostileArgs: fc.tuple(hostileCountArb),
    call: nabla.randperm,
    expect: (t: Tensor, [n]) => {
      if (t.dtype === "bool") return [];
      const sorted = Array.from(t.data()).sort((a, b) => a - b);
      return sorted.length === n && sorted.every((v, i) => v === i) ? [] : [`is not a permutation of 0…${n - 1}: [${sorted.join(", ")}]`];
    },
  },
  { name: "manualSeed", args: fc.tuple(fc.oneof(fc.integer(), valueArb)), call: nabla.manualSeed },
  { name: "Generator", args: fc.tuple(fc.oneof(fc.integer(), valueArb)), call: (seed: number) => new Generator(seed) },
  ...generatorMethods.map(
    (method): Row => ({
      name: `Generator.${method}`,
      args: fc.tuple(fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constantFrom(2 ** 32, 2 ** 32 + 1, 0, -1, 0.5, 2 ** 53))),
      call: (argument: number) => {
        const generator = new Generator(7);
        return (generator[method] as (x: number) => unknown).call(generator, argument);
      },
    }),
  ),
];

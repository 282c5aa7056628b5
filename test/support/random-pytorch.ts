import { expect } from "vitest";
import { randint, rand, randn, randperm, type Tensor, arange, zeros } from "@nabla/tensor";
import * as nn from "@nabla/nn";
import { DataLoader, type Module, TensorDataset, init } from "@nabla/nn";
import { loadFixture } from "./fixtures";

/** One step of a program of test/fixtures/gen_random.py: what PyTorch drew, replayed in order. */
export interface RandomStep {
  op: string;
  shape?: number[];
  dtype?: "float32" | "float64" | "int32";
  values?: number[];
  count?: number;
  n?: number;
  low?: number;
  high?: number;
  head?: number[];
  tail?: number[];
  checksum?: number;
  kwargs?: Record<string, number | string>;
  module?: string;
  args?: unknown[];
  options?: Record<string, unknown>;
  parameters?: [string, number[], number[]][];
  batchSize?: number;
  dropLast?: boolean;
  seed?: number | null;
  shuffle?: boolean;
  passes?: number[][][];
}

export interface RandomProgram {
  seed: number;
  steps: RandomStep[];
}

export interface GeneratorStream {
  seed: number;
  uint32: number[];
  float32: number[];
  float64: number[];
  normal: number[];
}

export const randomFixture = loadFixture<{
  programs: RandomProgram[];
  initPrograms: RandomProgram[];
  loaderPrograms: RandomProgram[];
  generators: GeneratorStream[];
  loaderTiming: { seed: number; n: number; batchSize: number; between: number[]; batches: number[][]; after: number[] };
}>("random.json");

const scratch = new DataView(new ArrayBuffer(8));

/** The IEEE bit pattern of each value as float32 or float64, in hex (so +0 and −0 differ). */
export function bitsOf(values: ArrayLike<number>, dtype: "float32" | "float64"): string[] {
  return Array.from(values, (v) => {
    if (dtype === "float32") {
      scratch.setFloat32(0, v);
      return scratch.getUint32(0).toString(16).padStart(8, "0");
    }
    scratch.setFloat64(0, v);
    return scratch.getBigUint64(0).toString(16).padStart(16, "0");
  });
}

/** Asserts `actual` holds exactly the bits of `expected`. */
export function expectBits(actual: ArrayLike<number>, expected: number[], dtype: "float32" | "float64", where: string): void {
  expect(bitsOf(actual, dtype), where).toEqual(bitsOf(expected, dtype));
}

/** How many units in the last place of `dtype` apart two values are, the unit taken at max(|expected|, 1). */
export function ulps(actual: number, expected: number, dtype: "float32" | "float64"): number {
  const exponent = Math.max(0, Math.floor(Math.log2(Math.abs(expected))));
  return Math.abs(actual - expected) / 2 ** (exponent - (dtype === "float32" ? 23 : 52));
}

/** Asserts every value within `tolerance` ulps of `expected` (see `ulps`). */
export function expectClose(
  actual: ArrayLike<number>,
  expected: number[],
  dtype: "float32" | "float64",
  tolerance: number,
  where: string,
): void {
  expect(actual.length, where).toBe(expected.length);
  const worst = Math.max(0, ...Array.from(actual, (a, i) => ulps(a, expected[i]!, dtype)));
  expect(worst, where).toBeLessThanOrEqual(tolerance);
}

/**
 * Normal samples go through log, sin and cos, whose last bits differ between JavaScript's and C's
 * libm (float64: a few ulps), and PyTorch's AVX2 code for float32 on 16 elements or more has its
 * own (float32: a few float32 ulps, measured at max(|x|, 1)).
 */
export const NORMAL_ULPS = { float32: 4, float64: 4 } as const;

function data(t: Tensor): number[] {
  return Array.from(t.data() as ArrayLike<number>);
}

/** `count` raw 32-bit draws of the global generator, read as gen_random.py reads them: randint(-2³¹, 2³¹) + 2³¹. */
export function drawUint32(count: number): number[] {
  return data(randint(-(2 ** 31), 2 ** 31, [count])).map((v) => v + 2 ** 31);
}

/**
 * Runs a step of @nabla/tensor on the global generator and checks it against PyTorch's draw;
 * returns false for a step of another package.
 */
export function replayTensorStep(step: RandomStep): boolean {
  const where = `${step.op} ${JSON.stringify(step.shape ?? step.n ?? step.count)} ${step.dtype ?? ""} ${step.low ?? ""} ${step.high ?? ""}`;
  const dtype = step.dtype === "float64" ? "float64" : "float32";
  switch (step.op) {
    case "uint32":
      expect(drawUint32(step.count!), where).toEqual(step.values);
      return true;
    case "rand":
      expectBits(rand(step.shape!, { dtype }).data(), step.values!, dtype, where);
      return true;
    case "randn":
      expectClose(randn(step.shape!, { dtype }).data(), step.values!, dtype, NORMAL_ULPS[dtype], where);
      return true;
    case "randint":
      expect(data(randint(step.low!, step.high!, step.shape!, { dtype: step.dtype })), where).toEqual(step.values);
      return true;
    case "randperm": {
      const p = data(randperm(step.n!));
      if (step.values) expect(p, where).toEqual(step.values);
      else {
        expect(p.slice(0, 50), where).toEqual(step.head);
        expect(p.slice(-50), where).toEqual(step.tail);
        expect(
          p.reduce((sum, v, i) => sum + i * v, 0),
          where,
        ).toBe(step.checksum);
      }
      return true;
    }
    default:
      return false;
  }
}

const INITIALIZERS: Record<string, (t: Tensor, kwargs: Record<string, number | string>) => Tensor> = {
  uniform_: (t, k) => init.uniform_(t, k.a as number, k.b as number),
  normal_: (t, k) => init.normal_(t, k.mean as number, k.std as number),
  kaiming_uniform_: (t, k) =>
    init.kaimingUniform_(t, { a: k.a as number, mode: k.mode === "fan_out" ? "fanOut" : "fanIn", nonlinearity: k.nonlinearity as "relu" }),
  kaiming_normal_: (t, k) => init.kaimingNormal_(t, { nonlinearity: k.nonlinearity as "relu" }),
  xavier_uniform_: (t, k) => init.xavierUniform_(t, { gain: k.gain as number }),
  xavier_normal_: (t) => init.xavierNormal_(t),
};

/**
 * Runs any step (of @nabla/tensor, init, a module's constructor, a DataLoader's passes) on the
 * global generator and checks it against PyTorch's draw. Normal samples are close (NORMAL_ULPS),
 * everything else exact.
 */
export function replayStep(step: RandomStep): void {
  if (replayTensorStep(step)) return;
  const dtype = step.dtype === "float64" ? "float64" : "float32";
  const where = `${step.op} ${step.module ?? ""} ${JSON.stringify(step.args ?? step.shape ?? step.n)} ${JSON.stringify(step.kwargs ?? step.options ?? "")}`;
  switch (step.op) {
    case "module": {
      const Layer = (nn as unknown as Record<string, new (...args: unknown[]) => Module>)[step.module!]!;
      const module = new Layer(...step.args!, step.options);
      const parameters = module.namedParameters();
      expect(
        parameters.map(([name, p]) => [name, p.shape]),
        where,
      ).toEqual(step.parameters!.map(([name, shape]) => [name, shape]));
      parameters.forEach(([name, p], i) => {
        const expected = step.parameters![i]![2];
        const pDtype = p.dtype === "float64" ? "float64" : "float32";
        // Embedding's weight is normal; the rest uniform_ (bit for bit)
        if (step.module === "Embedding") expectClose(p.data(), expected, pDtype, NORMAL_ULPS[pDtype], `${where} ${name}`);
        else expectBits(p.data(), expected, pDtype, `${where} ${name}`);
      });
      return;
    }
    case "loader": {
      const dataset = new TensorDataset(arange(step.n!));
      const options = { batchSize: step.batchSize!, dropLast: step.dropLast!, shuffle: step.shuffle! };
      const loader = new DataLoader(dataset, step.seed === null ? options : { ...options, seed: step.seed! });
      const passes = step.passes!.map(() => [...loader].map(([batch]) => data(batch!)));
      expect(passes, where).toEqual(step.passes);
      return;
    }
    default: {
      const filled = INITIALIZERS[step.op]!(zeros(step.shape!, { dtype }), step.kwargs!).data();
      if (step.op.includes("normal")) expectClose(filled, step.values!, dtype, NORMAL_ULPS[dtype], where);
      else expectBits(filled, step.values!, dtype, where);
    }
  }
}

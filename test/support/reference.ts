import { expect } from "vitest";
import { tensor, type Tensor } from "@nabla/tensor";

export type FloatDType = "float32" | "float64";

export interface Tolerance {
  rtol: number;
  atol: number;
}

/**
 * PyTorch computes float64 references in float64, so only rounding separates us; float32
 * references went through float32 arithmetic on PyTorch's side and on ours, in different orders.
 */
export const TOLERANCE: Record<FloatDType, Tolerance> = {
  float64: { rtol: 1e-10, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
};

/** A tensor of `dtype` from the flat row-major values a fixture stores beside its shape. */
export function fromFlat(values: readonly number[], shape: readonly number[], dtype: FloatDType | "int32", requiresGrad = false): Tensor {
  const data = dtype === "float64" ? Float64Array.from(values) : dtype === "float32" ? Float32Array.from(values) : Int32Array.from(values);
  return tensor(data, { shape, requiresGrad });
}

function close(actual: number, expected: number, { rtol, atol }: Tolerance): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  if (!Number.isFinite(expected)) return actual === expected;
  return Math.abs(actual - expected) <= atol + rtol * Math.abs(expected);
}

/**
 * Elementwise |actual − expected| ≤ atol + rtol·|expected|; NaN must meet NaN and an infinity the
 * same infinity. On failure names the first differing flat index and both values.
 */
export function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: Tolerance, label = ""): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!close(actual[i]!, expected[i]!, tolerance)) {
      expect.fail(`${label}: element ${i} is ${actual[i]}, expected ${expected[i]} (rtol ${tolerance.rtol}, atol ${tolerance.atol})`);
    }
  }
}

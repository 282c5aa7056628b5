import type { Tolerance } from "../support/reference";

export { expectClose, fromFlat } from "../support/reference";

/**
 * Each PyTorch fixture runs twice. Inputs are float64 values exactly representable in float32,
 * so the float64 pass differs from PyTorch only by rounding order, and the float32 pass only by
 * float32 rounding of the results (plus a little cancellation near zero, hence the atol).
 */
export const PASSES: readonly { dtype: "float64" | "float32"; tolerance: Tolerance }[] = [
  { dtype: "float64", tolerance: { rtol: 1e-12, atol: 1e-12 } },
  { dtype: "float32", tolerance: { rtol: 1e-6, atol: 1e-6 } },
];

/** A fixture case of a two-input op: inputs, output, a random cotangent and both gradients. */
export interface TwoInputCase {
  aShape: number[];
  bShape: number[];
  a: number[];
  b: number[];
  outShape: number[];
  out: number[];
  cotangent: number[];
  gradA: number[];
  gradB: number[];
}

// exp for kernels whose results are stored as float32: about twice as fast as Math.exp in V8 and
// within ~1e-12 relative of it, far inside float32's 6e-8 rounding. float64 kernels keep Math.exp.

/** 2^k for k in [-151, 148], exact in float64 (subnormal float32 results included). */
const POWERS_OF_TWO = /* @__PURE__ */ Float64Array.from({ length: 300 }, (_, i) => 2 ** (i - 151));
/** 2^(j/32) for j in [0, 32). */
const FRACTIONAL_POWERS = /* @__PURE__ */ Float64Array.from({ length: 32 }, (_, j) => 2 ** (j / 32));
/** Adding and subtracting 1.5·2^52 rounds a float64 of magnitude < 2^51 to the nearest integer. */
const ROUNDER = 6755399441055744;
const THIRTY_TWO_OVER_LN2 = 32 / Math.LN2;
const LN2_OVER_THIRTY_TWO = Math.LN2 / 32;

/**
 * e^a as a float64, accurate enough for a float32 result. Writes a = (m/32)·ln 2 + r with
 * |r| ≤ ln 2 / 64, so e^a = 2^(m div 32) · 2^((m mod 32)/32) · e^r, both powers from tables and e^r
 * from its degree-4 Taylor polynomial (truncation r⁵/120 < 2e-12). Outside [-104, 88] a float32
 * result is 0 or Infinity anyway; those arguments, ±Infinity and NaN go to Math.exp.
 */
export function expForFloat32(a: number): number {
  if (!(a >= -104 && a <= 88)) return Math.exp(a);
  const m = a * THIRTY_TWO_OVER_LN2 + ROUNDER - ROUNDER;
  const r = a - m * LN2_OVER_THIRTY_TWO;
  // m ∈ [-4801, 4063]: shifted by 151·32 it is non-negative, so >> and & split it into quotient and rest
  const shifted = (m | 0) + 4832;
  const polynomial = 1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24))));
  return polynomial * FRACTIONAL_POWERS[shifted & 31]! * POWERS_OF_TWO[shifted >> 5]!;
}

/**
 * tanh(a) as a float64, accurate enough for a float32 result (within ~1e-10 relative): (e − 1) /
 * (e + 1) with e = e^(2|a|) from expForFloat32, about twice as fast as Math.tanh. Below |a| = 0.01,
 * where e − 1 would cancel, its Taylor polynomial to a⁷ (next term under 3e-19 relative); beyond
 * |a| = 20, ±1 (as float32 rounds it anyway). Keeps -0 and NaN.
 */
export function tanhForFloat32(a: number): number {
  const magnitude = Math.abs(a);
  if (magnitude < 0.01) {
    const s = a * a;
    return a * (1 + s * (-1 / 3 + s * (2 / 15 + s * (-17 / 315))));
  }
  if (!(magnitude <= 20)) return a !== a ? a : a > 0 ? 1 : -1;
  const e = expForFloat32(2 * magnitude);
  const t = (e - 1) / (e + 1);
  return a < 0 ? -t : t;
}

/** The logistic 1/(1 + e^(−a)) as a float64, accurate enough for a float32 result (as `logistic`, with expForFloat32). */
export function logisticForFloat32(a: number): number {
  if (a >= 0) return 1 / (1 + expForFloat32(-a));
  const e = expForFloat32(a);
  return e / (1 + e);
}

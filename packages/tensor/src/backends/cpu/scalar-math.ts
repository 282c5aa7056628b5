// Scalar functions of the JS reference kernels that Math does not have.

// 1/(1+e^(−x)) overflows e^(−x) for very negative x only to +∞, which still gives the right 0;
// the branch keeps precision for large negative x, where 1 − σ would cancel
export function logistic(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/**
 * x rounded to the nearest integer, halves to the even one (PyTorch's `round`, IEEE's default):
 * Math.round takes halves up, so a half that it rounded to an odd integer steps back by one.
 * Keeps -0, ±Infinity and NaN.
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The error function, to double precision: W. J. Cody's rational approximations (1969) on
 * |x| < 0.5, 0.5 ≤ |x| < 4 (via erfc) and |x| ≥ 4 (asymptotic erfc).
 */
export function erfScalar(x: number): number {
  if (x !== x) return x;
  const ax = Math.abs(x);
  if (ax < 0.5) {
    const t = x * x;
    const top =
      (((0.185777706184603153 * t + 3.1611237438705656) * t + 113.864154151050156) * t + 377.485237685302021) * t + 3209.37758913846947;
    const bottom = (((t + 23.6012909523441209) * t + 244.024637934444173) * t + 1282.61652607737228) * t + 2844.23683343917062;
    return (x * top) / bottom;
  }
  let erfc: number;
  if (ax < 4) {
    const top =
      (((((((2.15311535474403846e-8 * ax + 0.564188496988670089) * ax + 8.88314979438837594) * ax + 66.1191906371416295) * ax +
        298.635138197400131) *
        ax +
        881.95222124176909) *
        ax +
        1712.04761263407058) *
        ax +
        2051.07837782607147) *
        ax +
      1230.33935479799725;
    const bottom =
      (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax + 1621.38957456669019) * ax +
        3290.79923573345963) *
        ax +
        4362.61909014324716) *
        ax +
        3439.36767414372164) *
        ax +
      1230.33935480374942;
    erfc = Math.exp(-ax * ax) * (top / bottom);
  } else {
    const z = 1 / (ax * ax);
    const top =
      ((((0.0163153871373020978 * z + 0.305326634961232344) * z + 0.360344899949804439) * z + 0.125781726111229246) * z +
        0.0160837851487422766) *
        z +
      6.58749161529837803e-4;
    const bottom =
      ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 0.527905102951428412) * z + 0.0605183413124413191) * z +
      2.33520497626869185e-3;
    erfc = (Math.exp(-ax * ax) / ax) * (0.564189583547756287 - (z * top) / bottom);
  }
  return x < 0 ? erfc - 1 : 1 - erfc;
}

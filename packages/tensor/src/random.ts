import { sharedAcrossCopies } from "./copies";
import { NablaError, describeValue } from "./errors";

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const STATE_WORDS = 624;
const SHIFT_WORDS = 397;

/**
 * A seeded stream of random numbers, PyTorch's CPU `torch.Generator` bit for bit: the Mersenne
 * Twister mt19937 (Matsumoto and Nishimura) with PyTorch's seeding and transforms, so
 * `new Generator(seed)` draws what `torch.Generator().manual_seed(seed)` draws, and `manualSeed`
 * what `torch.manual_seed` does. Only the low 32 bits of the seed count (as in PyTorch, where a
 * negative seed is taken modulo 2⁶⁴). Pass one as `generator` to `rand`, `randn`, `randint` or
 * `randperm` for a stream of its own.
 *
 * - `nextUint32()`: one 32-bit output (PyTorch's `random()`); a 64-bit draw (`random64()`) is two,
 *   the first the high word.
 * - `nextFloat32()` in [0, 1): the low 24 bits of one output over 2²⁴.
 * - `nextFloat64()` in [0, 1): the low 53 bits of a 64-bit draw over 2⁵³.
 * - `nextNormal()`: Box–Muller over two `nextFloat64`, which gives two samples: the second is kept
 *   for the next call (until reseeded), as PyTorch's `normal_distribution<double>`.
 *
 * @example
 * ```ts
 * const g = new Generator(0);
 * g.nextUint32();                         // → 2357136044
 * const u = g.nextFloat64();
 * u >= 0 && u < 1;                        // → true
 * new Generator(42).nextFloat64() === new Generator(42).nextFloat64(); // → true
 * randn([2], { generator: g }).shape;     // → [2]
 * ```
 */
export class Generator {
  private readonly state = new Uint32Array(STATE_WORDS);
  private index = STATE_WORDS;
  private normal: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Restarts the stream from `seed` (any safe integer; its low 32 bits seed mt19937), as PyTorch's `manual_seed`. */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed)) throw new NablaError("manualSeed", `seed must be a safe integer, got ${describeValue(seed)}`);
    const state = this.state;
    state[0] = seed; // the low 32 bits, two's complement for negative seeds
    for (let i = 1; i < STATE_WORDS; i++) {
      const previous = state[i - 1]!;
      state[i] = Math.imul(1812433253, previous ^ (previous >>> 30)) + i;
    }
    this.index = STATE_WORDS;
    this.normal = null;
    return this;
  }

  /** The next 32 random bits, as an unsigned integer (PyTorch's `random()`). */
  nextUint32(): number {
    if (this.index === STATE_WORDS) this.twist();
    let y = this.state[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    return (y ^ (y >>> 18)) >>> 0;
  }

  /** A uniform float in [0, 1): the low 24 bits of one 32-bit output over 2²⁴ (exact in float32). */
  nextFloat32(): number {
    return (this.nextUint32() & 0xffffff) / 16777216;
  }

  /** A uniform float in [0, 1): the low 53 bits of a 64-bit draw (high word first) over 2⁵³. */
  nextFloat64(): number {
    const high = this.nextUint32() & 0x1fffff; // 21 bits
    return (high * TWO_POW_32 + this.nextUint32()) / TWO_POW_53;
  }

  /**
   * A standard normal sample, as PyTorch's `normal_distribution<double>`: Box–Muller over
   * u₁, u₂ = two `nextFloat64`, r = √(−2 ln(1 − u₂)) and θ = 2πu₁, returning r cos θ and keeping
   * r sin θ for the next call.
   */
  nextNormal(): number {
    const cached = this.normal;
    if (cached !== null) {
      this.normal = null;
      return cached;
    }
    const u1 = this.nextFloat64();
    const u2 = this.nextFloat64();
    const radius = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.normal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }

  /**
   * An integer in [0, bound) for any bound from 1 to 2⁵³, as PyTorch's `random_(0, bound)` on an
   * int64 tensor: one 32-bit output modulo bound when bound < 2³², a 64-bit draw modulo bound
   * otherwise. Like PyTorch, this has a modulo bias, below 2⁻³² relative for small bounds.
   */
  nextBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_53) {
      throw new NablaError("Generator.nextBelow", `bound must be an integer from 1 to 2^53, got ${describeValue(bound)}`);
    }
    if (bound < TWO_POW_32) return this.nextUint32() % bound;
    const high = BigInt(this.nextUint32());
    return Number(((high << 32n) | BigInt(this.nextUint32())) % BigInt(bound));
  }

  /**
   * Refills the state with the next 624 words (one mt19937 twist): word i from words i, i + 1 and
   * i + 397, wrapping around the state; the three loops do the wrapping, not a modulo per word.
   */
  private twist(): void {
    const state = this.state;
    const next = (i: number, after: number, shifted: number) => {
      const y = (state[i]! & 0x80000000) | (state[after]! & 0x7fffffff);
      state[i] = state[shifted]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    };
    let i = 0;
    for (; i < STATE_WORDS - SHIFT_WORDS; i++) next(i, i + 1, i + SHIFT_WORDS);
    for (; i < STATE_WORDS - 1; i++) next(i, i + 1, i + SHIFT_WORDS - STATE_WORDS);
    next(STATE_WORDS - 1, 0, SHIFT_WORDS - 1);
    this.index = 0;
  }
}

/**
 * The generator every random function uses unless given its own: one for every copy of the
 * package in the program, so `manualSeed` seeds the ESM and CJS builds alike.
 */
export const defaultGenerator: Generator = /* @__PURE__ */ sharedAcrossCopies("defaultGenerator", () => new Generator(0));

/**
 * Reseeds the default generator, making every random function (and everything built on them:
 * init, shuffling, dropout) reproducible bit for bit, as PyTorch's `manual_seed`.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const a = randn([3]);
 * manualSeed(0);
 * randn([3]).eq(a); // → [true, true, true]
 * ```
 */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

// ---------------------------------------------------------------------------------------------
// PyTorch's CPU kernels for uniform_ and normal_, on the stream above. Its x·(to − from) + from is
// compiled to a fused multiply-add, so these round once, as `fma32` and `fma64` do.

const bits = new Float64Array(1);
const words = new Uint32Array(bits.buffer); // the low word first on every platform JS runs on

/** a + b exactly as s + the returned error (Knuth's TwoSum). */
function sumError(a: number, b: number, s: number): number {
  const b2 = s - a;
  return a - (s - b2) + (b - b2);
}

/** The float32 nearest a·b + c, rounded once, for float32 a, b and c. */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b; // exact: two 24-bit significands
  const s = p + c;
  const r = Math.fround(s);
  if (r === s) return r;
  // rounding twice (to float64, then float32) errs only when s fell exactly halfway between two floats
  const other = s + (s - r);
  if (Math.fround(other) !== other) return r;
  const error = sumError(p, c, s);
  if (error === 0) return r;
  return error > 0 === other > r ? other : r;
}

/** a · b + c rounded once (Boldo and Melquiond's emulation: an exact product and sum, the tail rounded to odd). */
export function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  // Veltkamp: a and b split into halves of 26 bits whose products are exact
  const ca = 134217729 * a;
  const aHigh = ca - (ca - a);
  const aLow = a - aHigh;
  const cb = 134217729 * b;
  const bHigh = cb - (cb - b);
  const bLow = b - bHigh;
  if (!Number.isFinite(ca * cb)) return p + c; // beyond the range where the split is exact
  const pError = aHigh * bHigh - p + aHigh * bLow + aLow * bHigh + aLow * bLow; // a·b = p + pError exactly
  const s = c + p;
  const sError = sumError(c, p, s);
  bits[0] = sError + pError;
  const tailError = sumError(sError, pError, bits[0]);
  if (tailError !== 0 && (words[0]! & 1) === 0) {
    // round the tail to odd: one ulp towards the exact value
    const low = words[0]!;
    const step = tailError > 0 === bits[0] > 0 ? 1 : -1;
    words[0] = low + step;
    if ((step === 1 && low === 0xffffffff) || (step === -1 && low === 0)) words[1] = words[1]! + step;
  }
  return s + bits[0];
}

/**
 * Fills `out` as PyTorch's `uniform_(from, to)` on a contiguous float32 (`Float32Array`) or
 * float64 tensor: u·(to − from) + from, rounded once, with u from `nextFloat32` or `nextFloat64`,
 * and `from` and `to` first rounded to the tensor's dtype.
 */
export function uniformFill(out: Float32Array | Float64Array, from: number, to: number, generator: Generator): void {
  if (out instanceof Float32Array) {
    const low = Math.fround(from);
    const range = Math.fround(Math.fround(to) - low);
    for (let i = 0; i < out.length; i++) out[i] = fma32(generator.nextFloat32(), range, low);
  } else {
    const range = to - from;
    for (let i = 0; i < out.length; i++) out[i] = fma64(generator.nextFloat64(), range, from);
  }
}

const TWO_PI_FLOAT32 = Math.fround(2 * Math.PI);

/**
 * Fills `out` as PyTorch's `normal_(mean, std)` on a float32 or float64 tensor. A contiguous one of
 * 16 elements or more (`blocks`) gets uniforms first, then Box–Muller in place on blocks of 16
 * (the first 8 give the radii, the last 8 the angles), the last block's uniforms drawn again when
 * the size is not a multiple of 16; float32 does this in single precision (PyTorch's AVX2 code
 * with its own log, sin and cos: the last bits may differ). Otherwise each element is one
 * `nextNormal` (cached pairs) · std + mean.
 */
export function normalFill(out: Float32Array | Float64Array, mean: number, std: number, generator: Generator, blocks: boolean): void {
  const n = out.length;
  if (!blocks || n < 16) {
    for (let i = 0; i < n; i++) out[i] = fma64(generator.nextNormal(), std, mean);
    return;
  }
  const single = out instanceof Float32Array;
  const uniforms = (start: number) => {
    for (let i = start; i < n; i++) out[i] = single ? generator.nextFloat32() : generator.nextFloat64();
  };
  const boxMuller = single ? boxMuller16Float32 : boxMuller16Float64;
  uniforms(0);
  for (let i = 0; i + 16 <= n; i += 16) boxMuller(out, i, mean, std);
  if (n % 16 !== 0) {
    uniforms(n - 16);
    boxMuller(out, n - 16, mean, std);
  }
}

function boxMuller16Float64(data: Float32Array | Float64Array, offset: number, mean: number, std: number): void {
  for (let j = offset; j < offset + 8; j++) {
    const radius = Math.sqrt(-2 * Math.log(1 - data[j]!));
    const theta = 2 * Math.PI * data[j + 8]!;
    data[j] = fma64(radius * Math.cos(theta), std, mean);
    data[j + 8] = fma64(radius * Math.sin(theta), std, mean);
  }
}

function boxMuller16Float32(data: Float32Array | Float64Array, offset: number, mean: number, std: number): void {
  const mean32 = Math.fround(mean);
  const std32 = Math.fround(std);
  for (let j = offset; j < offset + 8; j++) {
    const radius = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(1 - data[j]!)))));
    const theta = Math.fround(TWO_PI_FLOAT32 * data[j + 8]!);
    data[j] = fma32(Math.fround(radius * Math.fround(Math.cos(theta))), std32, mean32);
    data[j + 8] = fma32(Math.fround(radius * Math.fround(Math.sin(theta))), std32, mean32);
  }
}

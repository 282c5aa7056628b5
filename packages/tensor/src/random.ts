import { sharedAcrossCopies } from "./copies";
import { NablaError, describeValue } from "./errors";

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded stream of random numbers, as PyTorch's `torch.Generator`: xoshiro128** (Blackman and
 * Vigna), a 128-bit state advanced with 32-bit integer operations only, so the same seed gives the
 * same bits on every platform. The state is initialised from the seed with splitmix32. Pass one as
 * `generator` to `rand`, `randn`, `randint` or `randperm` for a stream of its own.
 *
 * - `nextFloat32()` in [0, 1): the top 24 bits of one output (exact in float32).
 * - `nextFloat64()` in [0, 1): 53 bits from two outputs.
 * - `nextNormal()`: Box–Muller, one standard normal per two uniforms (the second value is not
 *   cached, so each call consumes exactly two float64 uniforms).
 *
 * @example
 * ```ts
 * const g = new Generator(42);
 * const u = g.nextFloat64();
 * u >= 0 && u < 1;                        // → true
 * new Generator(42).nextFloat64() === u;  // → true
 * randn([2], { generator: g }).shape;     // → [2]
 * ```
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Restarts the stream from `seed` (any safe integer). */
  manualSeed(seed: number): this {
    if (!Number.isSafeInteger(seed)) throw new NablaError("manualSeed", `seed must be a safe integer, got ${describeValue(seed)}`);
    // splitmix32 over the low and high 32 bits of the seed
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32) >>> 0, 0x9e3779b9);
    const next = () => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    return this;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform float in [0, 1) with 24 random bits (exact in float32). */
  nextFloat32(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat64(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A standard normal sample (Box–Muller over two `nextFloat64` draws). */
  nextNormal(): number {
    const u1 = 1 - this.nextFloat64(); // in (0, 1], so the log is finite
    const u2 = this.nextFloat64();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * An integer in [0, bound) without modulo bias, for any bound from 1 to 2⁵³: rejection sampling
   * over one 32-bit output when bound ≤ 2³², else over 53 bits from two outputs.
   */
  nextBelow(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > TWO_POW_53) {
      throw new NablaError("Generator.nextBelow", `bound must be an integer from 1 to 2^53, got ${describeValue(bound)}`);
    }
    const wide = bound > TWO_POW_32;
    const range = wide ? TWO_POW_53 : TWO_POW_32;
    // the largest multiple of bound within the range: draws at or above it would favour small values
    const limit = range - (range % bound);
    for (;;) {
      const x = wide ? (this.nextUint32() >>> 11) * TWO_POW_32 + this.nextUint32() : this.nextUint32();
      if (x < limit) return x % bound;
    }
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

import { checkBoolean, checkInteger, checkOptions, checkTensor } from "../args";
import { isFloating } from "../dtype";
import { NablaError, describeValue } from "../errors";
import { Generator, defaultGenerator } from "../random";
import { formatShape } from "../shape";
import { Tensor } from "../tensor";

// Random draws that depend on a tensor's values: the values are read back, the draws made on the
// host from the default generator (`manualSeed`) or the one passed, and the result uploaded, as
// rand and randn do.

/** Options of `multinomial`. */
export interface MultinomialOptions {
  /** Draw with replacement (default false: every category at most once per row). */
  replacement?: boolean;
  /** Draw from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

/** Options of `bernoulli`. */
export interface BernoulliOptions {
  /** Draw from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

function generatorOption(op: string, generator: unknown): Generator {
  if (generator === undefined) return defaultGenerator;
  if (!(generator instanceof Generator)) throw new NablaError(op, `generator must be a Generator, got ${describeValue(generator)}`);
  return generator;
}

/** The float input of a sampler: a floating-point tensor, as PyTorch requires. */
function floatingProbabilities(op: string, name: string, value: unknown): Tensor {
  const t = checkTensor(op, name, value);
  if (!isFloating(t.dtype)) throw new NablaError(op, `${name} must be a floating-point tensor, got ${t.dtype}`);
  return t;
}

/**
 * The index of the category that `u` (uniform in [0, Σ weights)) falls in: the first whose
 * cumulative weight exceeds u, so categories of weight 0 are never drawn.
 */
function categoryOf(weights: Float64Array, u: number): number {
  let cumulative = 0;
  let lastPositive = -1;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    cumulative += w;
    lastPositive = i;
    if (u < cumulative) return i;
  }
  return lastPositive; // u within rounding of the total
}

/**
 * `numSamples` category indices (int32) per row of `probs`, drawn with probability proportional to
 * its weights (PyTorch's `multinomial`): probs is 1-D `[categories]` (result `[numSamples]`) or
 * 2-D `[rows, categories]` (result `[rows, numSamples]`); rows need not sum to 1. Without
 * replacement (the default) a row gives each category at most once. Throws, as PyTorch, on a
 * negative, infinite or NaN weight, a row summing to 0, and more samples than categories without
 * replacement; also when a row has fewer non-zero weights than samples asked without replacement.
 * Seeded by `manualSeed` or `options.generator`; the draws are nabla's own (one `nextFloat64` per
 * sample), not PyTorch's for the same seed.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * multinomial(tensor([0, 1, 0]), 2, { replacement: true });  // → [1, 1]
 * multinomial(tensor([[1, 0], [0, 1]]), 1);                  // → [[0], [1]]
 * // without replacement each of the four categories comes once
 * multinomial(tensor([1, 1, 1, 1]), 4).sum();               // → 6
 * ```
 */
export function multinomial(probs: Tensor, numSamples: number, options?: MultinomialOptions): Tensor {
  const p = floatingProbabilities("multinomial", "probs", probs);
  checkInteger("multinomial", "numSamples", numSamples);
  const { replacement = false, generator } = checkOptions("multinomial", options);
  checkBoolean("multinomial", "replacement", replacement);
  const g = generatorOption("multinomial", generator);
  if (p.ndim !== 1 && p.ndim !== 2) throw new NablaError("multinomial", `probs must be 1-D or 2-D, got shape ${formatShape(p.shape)}`);
  if (numSamples <= 0) throw new NablaError("multinomial", `numSamples must be positive, got ${numSamples}`);
  const categories = p.shape.at(-1)!;
  const rows = p.ndim === 2 ? p.shape[0]! : 1;
  if (!replacement && numSamples > categories) {
    throw new NablaError("multinomial", `cannot draw ${numSamples} samples from ${categories} categories without replacement`);
  }
  const values = p.data();
  // validate every row before drawing anything
  for (let r = 0; r < rows; r++) {
    let total = 0;
    let positive = 0;
    for (let c = 0; c < categories; c++) {
      const w = values[r * categories + c]!;
      if (!(w >= 0 && w < Infinity)) {
        const at = p.ndim === 2 ? `[${r}, ${c}]` : `[${c}]`;
        throw new NablaError("multinomial", `probabilities must be finite and non-negative, got ${w} at ${at}`);
      }
      total += w;
      if (w > 0) positive++;
    }
    if (!(total > 0)) throw new NablaError("multinomial", `the probabilities of row ${r} sum to 0`);
    if (!replacement && positive < numSamples) {
      throw new NablaError(
        "multinomial",
        `row ${r} has ${positive} categories of non-zero probability, too few for ${numSamples} samples without replacement`,
      );
    }
  }
  const out = new Int32Array(rows * numSamples);
  const weights = new Float64Array(categories);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let c = 0; c < categories; c++) total += weights[c] = values[r * categories + c]!;
    for (let s = 0; s < numSamples; s++) {
      const drawn = categoryOf(weights, g.nextFloat64() * total);
      out[r * numSamples + s] = drawn;
      if (!replacement) {
        // a drawn category leaves the row; the total is summed again rather than decremented, so
        // rounding cannot leave a drawn category a sliver of weight
        weights[drawn] = 0;
        total = 0;
        for (let c = 0; c < categories; c++) total += weights[c]!;
      }
    }
  }
  return Tensor.fromData(out, p.ndim === 2 ? [rows, numSamples] : [numSamples], "int32");
}

/**
 * 1 with probability p and 0 otherwise, for each element of `p` (PyTorch's `bernoulli`): same
 * shape and dtype as p, which must be floating-point with every value in [0, 1]. Not
 * differentiable. Seeded by `manualSeed` or `options.generator`; the draws are nabla's own (one
 * `nextFloat64` per element), not PyTorch's for the same seed.
 *
 * @example
 * ```ts
 * bernoulli(tensor([0, 1, 1, 0])); // → [0, 1, 1, 0]
 * manualSeed(0);
 * const draws = bernoulli(full([1000], 0.25));
 * Math.abs((draws.mean().item() as number) - 0.25) < 0.05; // → true
 * ```
 */
export function bernoulli(p: Tensor, options?: BernoulliOptions): Tensor {
  const probabilities = floatingProbabilities("bernoulli", "p", p);
  const g = generatorOption("bernoulli", checkOptions("bernoulli", options).generator);
  const values = probabilities.data();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= 0 && v <= 1)) throw new NablaError("bernoulli", `probabilities must be in [0, 1], got ${v} at flat index ${i}`);
  }
  const out = new (values.constructor as Float32ArrayConstructor | Float64ArrayConstructor)(values.length);
  // a float64 uniform for either dtype: with 24 bits, probabilities below 2⁻²⁴ would never come up
  for (let i = 0; i < values.length; i++) out[i] = g.nextFloat64() < values[i]! ? 1 : 0;
  return Tensor.fromData(out, probabilities.shape, probabilities.dtype);
}

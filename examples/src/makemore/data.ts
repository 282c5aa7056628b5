import { NablaError, type Tensor, randperm, tensor } from "@nabla/tensor";

/** Index 0 is the token '.' that both starts and ends every word. */
export const STOP = 0;
/** Targets after a word's end: crossEntropy's `ignoreIndex`, so they add nothing to the loss. */
export const IGNORE = -1;

/**
 * The words of a text file, as makemore reads them: one a line, trimmed, empty lines dropped.
 */
export function readWords(text: string): string[] {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((word) => word !== "");
}

/** One input sequence and its targets, `outputLength` tokens each. */
export interface Example {
  x: Int32Array;
  y: Int32Array;
}

/**
 * Words as sequences of character indices, as makemore's `CharDataset`: the vocabulary is every
 * character of the words in code-point order, numbered from 1 (0 is the start/end token). Example
 * `i` is `x = [0, w₁ … wₙ, 0 …]` and `y = [w₁ … wₙ, 0, −1 …]`: at each position the model predicts
 * the next character, then the end, and the padding after it is ignored by the loss.
 */
export class CharDataset {
  readonly words: string[];
  /** The vocabulary without the start/end token; `chars[i]` has index `i + 1`. */
  readonly chars: string[];
  readonly maxWordLength: number;
  readonly #index = new Map<string, number>();
  readonly #wordSet: Set<string>;

  constructor(words: string[], chars: string[], maxWordLength: number) {
    this.words = words;
    this.chars = chars;
    this.maxWordLength = maxWordLength;
    for (const [i, char] of chars.entries()) this.#index.set(char, i + 1);
    this.#wordSet = new Set(words);
  }

  get length(): number {
    return this.words.length;
  }

  contains(word: string): boolean {
    return this.#wordSet.has(word);
  }

  /** All the characters plus the start/end token. */
  get vocabSize(): number {
    return this.chars.length + 1;
  }

  /** The start token followed by the longest word: the models' block size. */
  get outputLength(): number {
    return this.maxWordLength + 1;
  }

  encode(word: string): number[] {
    return Array.from(word, (char) => {
      const index = this.#index.get(char);
      if (index === undefined) throw new NablaError("makemore", `the character ${JSON.stringify(char)} is not in the vocabulary`);
      return index;
    });
  }

  decode(indices: Iterable<number>): string {
    let word = "";
    for (const index of indices) word += this.chars[index - 1] ?? "";
    return word;
  }

  get(i: number): Example {
    const ix = this.encode(this.words[i]!);
    const x = new Int32Array(this.outputLength);
    const y = new Int32Array(this.outputLength).fill(IGNORE);
    x.set(ix, 1);
    y.set(ix, 0);
    y[ix.length] = STOP;
    return { x, y };
  }

  /** The examples at `indices` stacked: int32 `X` and `Y` of shape `[indices.length, outputLength]`. */
  batch(indices: ArrayLike<number>): { X: Tensor; Y: Tensor } {
    const length = this.outputLength;
    const x = new Int32Array(indices.length * length);
    const y = new Int32Array(indices.length * length);
    for (let row = 0; row < indices.length; row++) {
      const example = this.#example(indices[row]!);
      x.set(example.x, row * length);
      y.set(example.y, row * length);
    }
    const shape = [indices.length, length];
    return { X: tensor(x, { shape }), Y: tensor(y, { shape }) };
  }

  // Each word is encoded once, on first use: a training run draws the same words over and over.
  readonly #cache = new Map<number, Example>();
  #example(i: number): Example {
    let example = this.#cache.get(i);
    if (example === undefined) {
      if (!Number.isInteger(i) || i < 0 || i >= this.words.length) {
        throw new NablaError("makemore", `example ${i} is out of range for ${this.words.length} words`);
      }
      example = this.get(i);
      this.#cache.set(i, example);
    }
    return example;
  }
}

export interface Datasets {
  train: CharDataset;
  test: CharDataset;
}

/**
 * makemore's `create_datasets`: the vocabulary and the longest word from all words, then a random
 * permutation (from the global generator, so `manualSeed` repeats it) whose last
 * min(1000, ⌊10% of the words⌋) make the test set and the rest the training set.
 */
export function createDatasets(words: string[], source = "the input"): Datasets {
  if (words.length < 10) {
    throw new NablaError(
      "makemore",
      `${source} has ${words.length} word${words.length === 1 ? "" : "s"}; at least 10 are needed so that 10% of them make a test set`,
    );
  }
  const chars = [...new Set(Array.from(words.join("")))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
  const maxWordLength = Math.max(...words.map((word) => Array.from(word).length));
  const testSize = Math.min(1000, Math.floor(words.length * 0.1));
  const order = randperm(words.length).data() as Int32Array;
  const trainWords = Array.from(order.subarray(0, words.length - testSize), (i) => words[i]!);
  const testWords = Array.from(order.subarray(words.length - testSize), (i) => words[i]!);
  return { train: new CharDataset(trainWords, chars, maxWordLength), test: new CharDataset(testWords, chars, maxWordLength) };
}

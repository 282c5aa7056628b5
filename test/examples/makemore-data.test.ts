import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { manualSeed } from "@nabla/tensor";
import { CharDataset, createDatasets, readWords } from "../../examples/src/makemore/data";
import { repoRoot } from "./cli";

describe("makemore data", () => {
  it("reads one word a line, trimmed, without empty lines", () => {
    expect(readWords("emma\r\n  olivia \n\n ava\n")).toEqual(["emma", "olivia", "ava"]);
  });

  it("encodes as makemore's CharDataset: index 0 starts and ends, −1 after the end", () => {
    const dataset = new CharDataset(["abc", "ca"], ["a", "b", "c"], 3);
    expect(dataset.vocabSize).toBe(4);
    expect(dataset.outputLength).toBe(4);
    expect(dataset.encode("cab")).toEqual([3, 1, 2]);
    expect(dataset.decode([3, 1, 2])).toBe("cab");
    const { x, y } = dataset.get(1);
    expect([...x]).toEqual([0, 3, 1, 0]);
    expect([...y]).toEqual([3, 1, 0, -1]);
    expect([...dataset.get(0).y]).toEqual([1, 2, 3, 0]);
    const { X, Y } = dataset.batch([1, 0, 1]);
    expect(X.dtype).toBe("int32");
    expect(X.toArray()).toEqual([
      [0, 3, 1, 0],
      [0, 1, 2, 3],
      [0, 3, 1, 0],
    ]);
    expect(Y.shape).toEqual([3, 4]);
    expect(dataset.contains("ca")).toBe(true);
    expect(dataset.contains("ac")).toBe(false);
    expect(() => dataset.encode("abz")).toThrow('makemore: the character "z" is not in the vocabulary');
  });

  it("splits names.txt as makemore: 1000 test words, the rest for training, vocabulary a–z, block size 16", () => {
    const words = readWords(readFileSync(path.join(repoRoot, "examples", "data", "names.txt"), "utf8"));
    manualSeed(3407);
    const { train, test } = createDatasets(words);
    expect([train.length, test.length]).toEqual([31_033, 1000]);
    expect(train.chars.join("")).toBe("abcdefghijklmnopqrstuvwxyz");
    expect([train.vocabSize, train.outputLength]).toEqual([27, 16]);
    expect(new Set([...train.words, ...test.words]).size).toBe(new Set(words).size);
    // the seed picks the split
    manualSeed(3407);
    expect(createDatasets(words).test.words).toEqual(test.words);
    manualSeed(1);
    expect(createDatasets(words).test.words).not.toEqual(test.words);
  });

  it("holds out 10% of a small file, and refuses fewer than 10 words", () => {
    const words = Array.from({ length: 57 }, (_, i) => `w${"é".repeat(i % 4)}`);
    const { train, test } = createDatasets(words);
    expect([train.length, test.length]).toEqual([52, 5]);
    expect(train.chars).toEqual(["w", "é"]);
    expect(train.maxWordLength).toBe(4);
    expect(() => createDatasets(["a", "b"], "tiny.txt")).toThrow(
      "makemore: tiny.txt has 2 words; at least 10 are needed so that 10% of them make a test set",
    );
  });
});

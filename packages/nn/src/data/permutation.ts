import { type Generator, randperm } from "@nabla/tensor/functional";

/**
 * A random order of `0…n-1` drawn from `generator`, or from the global stream (`manualSeed`) when
 * there is none, so every shuffle in the data pipeline is reproducible the same two ways.
 */
export function permutation(n: number, generator: Generator | undefined): Int32Array {
  const order = generator === undefined ? randperm(n) : randperm(n, { generator });
  return order.data() as Int32Array;
}

// The structural ops as Tensor methods (`x.flip([0])` is `flip(x, [0])`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as structure from "../ops/structure";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The lower triangle of the last two dims: j − i ≤ `diagonal` kept, the rest 0 (PyTorch's `tril`).
     *
     * @example
     * ```ts
     * ones([2, 2]).tril(); // → [[1, 0], [1, 1]]
     * ```
     */
    tril(diagonal?: number): Tensor;
    /**
     * The upper triangle of the last two dims: j − i ≥ `diagonal` kept, the rest 0 (PyTorch's `triu`).
     *
     * @example
     * ```ts
     * ones([2, 2]).triu(1); // → [[0, 1], [0, 0]]
     * ```
     */
    triu(diagonal?: number): Tensor;
    /**
     * A copy with the elements reversed along each of `dims` (PyTorch's `flip`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).flip(0); // → [3, 2, 1]
     * ```
     */
    flip(dims: number | readonly number[]): Tensor;
    /**
     * Shifted by `shifts` along `dims`, wrapping around; without `dims`, rolled as a flat list
     * (PyTorch's `roll`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3]).roll(1); // → [3, 1, 2]
     * ```
     */
    roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor;
    /**
     * Repeated `sizes[k]` times along dim k; extra sizes add leading dims (PyTorch's `repeat`).
     *
     * @example
     * ```ts
     * tensor([1, 2]).repeat(2, 2); // → [[1, 2, 1, 2], [1, 2, 1, 2]]
     * ```
     */
    repeat(...sizes: number[] | [readonly number[]]): Tensor;
    /**
     * Repeated `sizes[k]` times along dim k; fewer sizes than dims repeat the last dims (PyTorch's `tile`).
     *
     * @example
     * ```ts
     * tensor([[1], [2]]).tile(3); // → [[1, 1, 1], [2, 2, 2]]
     * ```
     */
    tile(...sizes: number[] | [readonly number[]]): Tensor;
  }
}

installOps({
  flip: structure.flip,
  roll: structure.roll,
  repeat: structure.repeat,
  tile: structure.tile,
  tril: structure.tril,
  triu: structure.triu,
});

// The composites (square, mean, var, std) as Tensor methods (`x.mean(0)` is `mean(x, 0)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import type { Dims } from "../tensor";
import * as composite from "../composite";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * x², elementwise (PyTorch's `square`).
     *
     * @example
     * ```ts
     * tensor([-2, 3]).square(); // → [4, 9]
     * ```
     */
    square(): Tensor;
    /**
     * The arithmetic mean over `dim` (or all), as PyTorch's `mean`. Floating-point tensors only; an
     * empty reduction gives NaN.
     *
     * @example
     * ```ts
     * tensor([[1, 2], [3, 4]]).mean(0); // → [2, 3]
     * arange(3).mean(); // throws mean: needs a floating-point tensor, got int32; convert with to("float32") first
     * ```
     */
    mean(dim?: Dims, keepdim?: boolean): Tensor;
    /**
     * The variance over `dim` (or all), dividing by n − `correction`: 1 (the default) is the sample
     * variance, 0 the population variance (PyTorch's `var`). Floating-point tensors only.
     *
     * @example
     * ```ts
     * const x = tensor([1, 2, 3, 4]);
     * x.var();            // → 1.6666666
     * x.var(0, false, 0); // → 1.25
     * ```
     */
    var(dim?: Dims, keepdim?: boolean, correction?: number): Tensor;
    /**
     * The standard deviation √var, with `var`'s arguments (PyTorch's `std`).
     *
     * @example
     * ```ts
     * tensor([1, 2, 3, 4]).std(); // → 1.2909944
     * ```
     */
    std(dim?: Dims, keepdim?: boolean, correction?: number): Tensor;
  }
}

installOps({
  square: composite.square,
  mean: composite.mean,
  var: composite.variance,
  std: composite.std,
});

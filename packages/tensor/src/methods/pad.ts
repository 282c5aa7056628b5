// pad as a Tensor method (`x.pad([1, 1])` is `pad(x, [1, 1])`). TypeScript sees it through the
// augmentation below; @nabla/tensor's entry imports this module, which installs it.
import * as padding from "../ops/pad";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * This tensor padded as PyTorch's `F.pad`: (before, after) pairs from the last dim backwards, in
     * mode `"constant"` (with `value`), `"reflect"`, `"replicate"` or `"circular"`; negative amounts crop.
     *
     * @example
     * ```ts
     * tensor([[1, 2, 3]]).pad([1, 1], { mode: "reflect" }); // → [[2, 1, 2, 3, 2]]
     * ```
     */
    pad(pad: readonly number[], options?: padding.PadOptions): Tensor;
  }
}

installOps({
  pad: padding.pad,
});

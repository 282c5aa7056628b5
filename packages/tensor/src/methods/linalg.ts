// The matrix product as Tensor methods (`a.matmul(b)` is `matmul(a, b)`). TypeScript sees them
// through the augmentation below; @nabla/tensor's entry imports this module, which installs them.
import * as linalg from "../ops/linalg";
import { installOps } from "./install";

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * The matrix product, with PyTorch's rules: 1-D operands are promoted (a vector on the left becomes
     * a row, on the right a column, and the added dim is removed again), and batch dims broadcast.
     * Both operands must have the same dtype.
     *
     * @example
     * ```ts
     * const a = tensor([[1, 2], [3, 4]]);
     * a.matmul(tensor([[1], [1]])); // → [[3], [7]]
     * a.matmul(tensor([1, 1]));     // → [3, 7]
     * zeros([8, 2, 3]).matmul(zeros([3, 5])).shape; // → [8, 2, 5]
     * a.matmul(zeros([3, 2])); // throws matmul: cannot multiply [2, 2] by [3, 2] (inner sizes 2 and 3 differ)
     * ```
     */
    matmul(other: Tensor): Tensor;
  }
}

installOps({
  matmul: linalg.matmul,
});

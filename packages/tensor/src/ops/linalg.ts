import { defineOp } from "../autograd/define-op";
import { isTensor } from "../copies";
import { isFloating, promoteTypes } from "../dtype";
import { markWritten } from "../elements";
import { NablaError } from "../errors";
import { broadcastShapes, formatShape } from "../shape";
import { Tensor } from "../tensor";
import { expand, matrixTranspose, reshape, squeeze, unsqueeze } from "./movement";
import { add_ } from "./inplace";

const matmulOp: (a: Tensor, b: Tensor) => Tensor = defineOp({
  name: "matmul",
  forward(ctx, a: Tensor, b: Tensor) {
    ctx.save(a, b);
    const dtype = promoteTypes(a.dtype, b.dtype);
    const shape = [...a.shape.slice(0, -1), b.shape[b.ndim - 1]!];
    const { backend } = a.storage;
    return Tensor.fromBuffer(backend, backend.run.matmul(a, b, dtype), shape, dtype);
  },
  backward(ctx, gradOut) {
    const [a, b] = ctx.saved as [Tensor, Tensor];
    // C = A B  ⇒  Ā = C̄ Bᵀ,  B̄ = Aᵀ C̄ (the transposes are views; the kernel packs them)
    return [
      ctx.needsInputGrad[0] ? matmulOp(gradOut, matrixTranspose(b)) : null,
      ctx.needsInputGrad[1] ? matmulOp(matrixTranspose(a), gradOut) : null,
    ];
  },
  formula: { forward: "C = A B", backward: "Ā = C̄ Bᵀ, B̄ = Aᵀ C̄" },
});

/**
 * The matrix product, with PyTorch's rules: 1-D operands are promoted (a vector on the left becomes
 * a row, on the right a column, and the added dim is removed again), and batch dims broadcast. Both
 * operands must have the same dtype; inner sizes must match.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);
 * matmul(a, tensor([[1], [1]]));    // → [[3], [7]]
 * matmul(tensor([1, 1]), a);        // → [4, 6]
 * matmul(tensor([1, 2]), tensor([3, 4])); // → 11
 * matmul(randn([8, 3, 4]), randn([4, 5])).shape; // → [8, 3, 5]
 * matmul(zeros([2, 3]), zeros([4, 5])); // throws matmul: cannot multiply [2, 3] by [4, 5] (inner sizes 3 and 4 differ)
 * ```
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (!isTensor(a, "matmul") || !isTensor(b, "matmul")) throw new NablaError("matmul", "both operands must be tensors");
  if (a.ndim === 0 || b.ndim === 0) {
    throw new NablaError("matmul", `both operands need at least 1 dim, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  if (a.dtype === "bool" || b.dtype === "bool")
    throw new NablaError("matmul", `bool tensors are not supported (got ${a.dtype} and ${b.dtype})`);
  if (a.dtype !== b.dtype) {
    throw new NablaError(
      "matmul",
      `expected both operands to have the same dtype, got ${a.dtype} and ${b.dtype} (shapes ${formatShape(a.shape)} and ${formatShape(b.shape)})`,
    );
  }
  const left = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const right = b.ndim === 1 ? unsqueeze(b, 1) : b;
  const inner = left.shape[left.ndim - 1]!;
  const innerRight = right.shape[right.ndim - 2]!;
  if (inner !== innerRight) {
    throw new NablaError(
      "matmul",
      `cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)} (inner sizes ${inner} and ${innerRight} differ)`,
    );
  }
  let batch: number[];
  try {
    batch = broadcastShapes("matmul", left.shape.slice(0, -2), right.shape.slice(0, -2));
  } catch {
    throw new NablaError("matmul", `cannot broadcast the batch dims of ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
  const leftFull = expand(left, [...batch, ...left.shape.slice(-2)]);
  const rightFull = expand(right, [...batch, ...right.shape.slice(-2)]);
  let out = matmulOp(leftFull, rightFull);
  if (a.ndim === 1) out = squeeze(out, -2);
  if (b.ndim === 1) out = squeeze(out, -1);
  return a.ndim === 1 && b.ndim === 1 ? reshape(out, []) : out;
}

/**
 * into ← into + a · b, in place and recording nothing, for 2-D a `[n, k]` and b `[k, m]` of into's
 * floating dtype and into `[n, m]`: how a backward rule adds a product into a gradient that only
 * the engine holds (see `accumulateInto` in define-op.ts) without a tensor for the product. An
 * into that is not contiguous, or shares storage with a or b, takes the product through add_.
 */
export function matmulInto(into: Tensor, a: Tensor, b: Tensor): Tensor {
  const [n, k] = a.shape as [number, number];
  const m = b.shape[1]!;
  if (a.ndim !== 2 || b.ndim !== 2 || into.ndim !== 2 || b.shape[0] !== k || into.shape[0] !== n || into.shape[1] !== m) {
    throw new NablaError("matmulInto", `cannot add ${formatShape(a.shape)} · ${formatShape(b.shape)} into ${formatShape(into.shape)}`);
  }
  if (a.dtype !== into.dtype || b.dtype !== into.dtype || !isFloating(into.dtype)) {
    throw new NablaError("matmulInto", `expected operands of into's floating dtype ${into.dtype}, got ${a.dtype} and ${b.dtype}`);
  }
  if (!into.isContiguous() || into.storage === a.storage || into.storage === b.storage) return add_(into, matmulOp(a, b));
  into.storage.backend.run.matmul(a, b, into.dtype, into);
  markWritten(into);
  return into;
}

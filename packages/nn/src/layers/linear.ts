import { NablaError, Tensor, formatShape, zeros } from "@nabla/tensor";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init";
import { Module } from "../module";

export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: "float32" | "float64";
}

/**
 * y = x Wᵀ + b, applied to the last dimension of x: `[*, inFeatures]` → `[*, outFeatures]`.
 *
 * Parameters, initialised as PyTorch's `nn.Linear`: `weight` `[outFeatures, inFeatures]` by
 * `kaimingUniform_` with a = √5, which gives U(−1/√inFeatures, 1/√inFeatures); `bias` `[outFeatures]`
 * from the same range (or `null` with `{ bias: false }`).
 *
 * @example
 * const layer = new Linear(4, 3);
 * layer.forward(randn([10, 4])).shape; // [10, 3]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Tensor;
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [name, size] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) {
      if (!Number.isInteger(size) || size < 0) throw new NablaError("Linear", `${name} must be a non-negative integer, got ${size}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? "float32";
    this.weight = this.registerParameter("weight", kaimingUniform_(zeros([outFeatures, inFeatures], { dtype }), { a: Math.sqrt(5) }));
    let bias: Tensor | null = null;
    if (options.bias ?? true) {
      const { fanIn } = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      bias = uniform_(zeros([outFeatures], { dtype }), -bound, bound);
    }
    this.bias = this.registerParameter("bias", bias);
  }

  forward(input: Tensor): Tensor {
    const inFeatures = input.shape[input.ndim - 1];
    if (input.ndim === 0 || inFeatures !== this.inFeatures) {
      throw new NablaError("Linear", `expected input of shape [*, ${this.inFeatures}], got ${formatShape(input.shape)}`);
    }
    if (input.dtype !== this.weight.dtype) {
      throw new NablaError("Linear", `input dtype ${input.dtype} differs from the weight's ${this.weight.dtype} (convert with .to("${this.weight.dtype}"))`);
    }
    const output = input.matmul(this.weight.mT);
    return this.bias === null ? output : output.add(this.bias);
  }
}

import {
  add_,
  defineOp,
  formatShape,
  isTensor,
  matmul,
  NablaError,
  reshape,
  sum,
  type Tensor,
  transpose,
  zeros,
} from "@nabla/tensor/functional";
import { checkBoolean, checkInteger, checkOptions, checkTensor, matmulInto } from "@nabla/tensor/internal";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init";
import { Module } from "../module";
import { pythonBool } from "../repr";
import { type FloatDType, checkDType } from "./checks";

/** Options of `Linear`. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: "float32" | "float64";
}

/**
 * y = x Wᵀ + b for a 2-D x `[N, in]`, weight `[out, in]` and optional bias `[out]`, as one op.
 * Through matmul and a transposed view, W's gradient would come out as (xᵀ ȳ)ᵀ, a transposed view
 * that storing it as `.grad` copies element by element; here it is ȳᵀ x, made `[out, in]` in the
 * first place, which backward stores as it is.
 */
const linear2d = defineOp({
  name: "linear",
  formula: { forward: "y = x Wᵀ + b", backward: "x̄ = ȳ W,  W̄ = ȳᵀ x,  b̄ = Σₙ ȳ" },
  forward(ctx, input: Tensor, weight: Tensor, bias?: Tensor) {
    ctx.save(input, weight);
    const output = matmul(input, transpose(weight, -2, -1));
    // the product is this op's own, not yet in any graph: the bias goes into it in place
    return bias === undefined ? output : add_(output, bias);
  },
  backward(ctx, gradOut) {
    return linearGradients(ctx.saved as [Tensor, Tensor], ctx.needsInputGrad, gradOut, NO_TARGETS);
  },
  // a layer applied at every step of a sequence adds each step's W̄ and b̄ into one gradient
  accumulateInto(ctx, gradOut, into) {
    return linearGradients(ctx.saved as [Tensor, Tensor], ctx.needsInputGrad, gradOut, into);
  },
});

const NO_TARGETS: readonly null[] = [null, null, null];

/** linear's x̄, W̄ and b̄, each added into `into`'s tensor instead where it has one (see accumulateInto). */
function linearGradients(
  [input, weight]: [Tensor, Tensor],
  [needsInput, needsWeight, needsBias]: readonly boolean[],
  gradOut: Tensor,
  [, intoWeight, intoBias]: ReadonlyArray<Tensor | null>,
): (Tensor | null)[] {
  let gradWeight: Tensor | null = null;
  let gradBias: Tensor | null = null;
  if (needsWeight) {
    if (intoWeight) matmulInto(intoWeight, transpose(gradOut, -2, -1), input);
    else gradWeight = matmul(transpose(gradOut, -2, -1), input);
  }
  if (needsBias) {
    if (intoBias) add_(intoBias, sum(gradOut, 0));
    else gradBias = sum(gradOut, 0);
  }
  return [needsInput ? matmul(gradOut, weight) : null, gradWeight, gradBias].slice(0, needsBias === undefined ? 2 : 3);
}

/**
 * y = x Wᵀ + b over the last dimension of x (`[*, in]` → `[*, out]`), PyTorch's
 * `torch.nn.functional.linear`; `Linear` applies it with its parameters. `weight` is `[out, in]`,
 * `bias` (optional) `[out]`, all of one dtype; anything else throws a NablaError naming the shapes.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2]]);
 * const w = tensor([[1, 0], [0, 1], [1, 1]]);
 * linear(x, w);                        // → [[1, 2, 3]]
 * linear(x, w, tensor([0, 0, 10]));    // → [[1, 2, 13]]
 * linear(randn([5, 7, 2]), w).shape;   // → [5, 7, 3]
 * linear(x, tensor([[1, 2, 3]]));      // throws linear: expected input [*, in] and weight [out, in], got input [1, 2] and weight [1, 3]
 * ```
 */
export function linear(input: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkTensor("linear", "input", input);
  checkTensor("linear", "weight", weight);
  if (weight.ndim !== 2 || input.ndim === 0 || input.shape[input.ndim - 1] !== weight.shape[1]) {
    throw new NablaError(
      "linear",
      `expected input [*, in] and weight [out, in], got input ${formatShape(input.shape)} and weight ${formatShape(weight.shape)}`,
    );
  }
  if (bias !== null && (!isTensor(bias, "linear") || bias.ndim !== 1 || bias.shape[0] !== weight.shape[0])) {
    const got = isTensor(bias, "linear") ? formatShape(bias.shape) : typeof bias;
    throw new NablaError("linear", `expected bias of shape [${weight.shape[0]}] for weight ${formatShape(weight.shape)}, got ${got}`);
  }
  if (input.dtype !== weight.dtype || (bias !== null && bias.dtype !== weight.dtype)) {
    const got =
      bias === null
        ? `input ${input.dtype} and weight ${weight.dtype}`
        : `input ${input.dtype}, weight ${weight.dtype} and bias ${bias.dtype}`;
    throw new NablaError("linear", `input, weight and bias must share a dtype, got ${got}`);
  }
  // the leading dims as one: counted, not inferred with -1, which a zero-size feature dim leaves ambiguous
  const batch = input.shape.slice(0, -1).reduce((product, size) => product * size, 1);
  const rows = input.ndim === 2 ? input : reshape(input, [batch, weight.shape[1]!]);
  const output = bias === null ? linear2d(rows, weight) : linear2d(rows, weight, bias);
  return input.ndim === 2 ? output : reshape(output, [...input.shape.slice(0, -1), weight.shape[0]!]);
}

/**
 * A weight of `shape` and a bias `[biasSize]` (null without `bias`) initialised as PyTorch's Linear and
 * convolutions do (`reset_parameters`).
 */
export function defaultParameters(
  shape: number[],
  biasSize: number,
  bias: boolean,
  dtype: FloatDType,
): { weight: Tensor; bias: Tensor | null } {
  // kaiming_uniform_ with a = √5 is U(−1/√fanIn, 1/√fanIn), and the bias comes from the same range
  const weight = kaimingUniform_(zeros(shape, { dtype }), { a: Math.sqrt(5) });
  if (!bias) return { weight, bias: null };
  const { fanIn } = calculateFanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  return { weight, bias: uniform_(zeros([biasSize], { dtype }), -bound, bound) };
}

/**
 * y = x Wᵀ + b, applied to the last dimension of x: `[*, inFeatures]` → `[*, outFeatures]`, as
 * PyTorch's `nn.Linear(in_features, out_features, bias=True)`.
 *
 * Parameters, initialised as PyTorch's `nn.Linear`: `weight` `[outFeatures, inFeatures]` by
 * `kaimingUniform_` with a = √5, which gives U(−1/√inFeatures, 1/√inFeatures); `bias` `[outFeatures]`
 * from the same range (or `null` with `{ bias: false }`). float32 unless `{ dtype: "float64" }`;
 * the init draws from the global generator, so `manualSeed` repeats it.
 *
 * @example
 * ```ts
 * const layer = new Linear(4, 3);
 * layer.weight.shape;                        // → [3, 4]
 * layer.forward(randn([10, 4])).shape;       // → [10, 3]
 * layer.forward(randn([2, 5, 4])).shape;     // → [2, 5, 3]
 * layer.forward(randn([10, 5]));             // throws Linear: expected input of shape [*, 4], got [10, 5]
 * new Linear(4, 3, { bias: false }).bias;    // → null
 * ```
 */
export class Linear extends Module {
  /** The size of each input's last dimension. */
  readonly inFeatures: number;
  /** The size of each output's last dimension. */
  readonly outFeatures: number;
  /** The parameter W, `[outFeatures, inFeatures]` (PyTorch's layout, so its state dicts load as they are). */
  weight: Tensor;
  /** The parameter b, `[outFeatures]`, or null when built with `{ bias: false }`. */
  bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = checkInteger("Linear", "inFeatures", inFeatures, { min: 0 });
    this.outFeatures = checkInteger("Linear", "outFeatures", outFeatures, { min: 0 });
    checkOptions("Linear", options);
    const dtype = checkDType("Linear", options.dtype ?? "float32");
    if (options.bias !== undefined) checkBoolean("Linear", "bias", options.bias);
    const parameters = defaultParameters([outFeatures, inFeatures], outFeatures, options.bias ?? true, dtype);
    this.weight = this.registerParameter("weight", parameters.weight);
    this.bias = this.registerParameter("bias", parameters.bias);
  }

  /**
   * `linear(input, weight, bias)` for an input `[*, inFeatures]` of the weight's dtype; another last
   * size or dtype throws a NablaError that says what was expected.
   */
  forward(input: Tensor): Tensor {
    checkTensor("Linear", "input", input);
    const inFeatures = input.shape[input.ndim - 1];
    if (input.ndim === 0 || inFeatures !== this.inFeatures) {
      throw new NablaError("Linear", `expected input of shape [*, ${this.inFeatures}], got ${formatShape(input.shape)}`);
    }
    if (input.dtype !== this.weight.dtype) {
      throw new NablaError(
        "Linear",
        `input dtype ${input.dtype} differs from the weight's ${this.weight.dtype} (convert with .to("${this.weight.dtype}"))`,
      );
    }
    return linear(input, this.weight, this.bias);
  }

  /** `in_features=…, out_features=…, bias=True|False`, as PyTorch prints a Linear. */
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pythonBool(this.bias !== null)}`;
  }
}

/**
 * Returns its input unchanged, as PyTorch's `nn.Identity`: a placeholder where a model expects a
 * layer (a head to remove, an optional normalisation turned off). Any constructor arguments are
 * ignored, as PyTorch's.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2]);
 * new Identity().forward(x) === x; // → true
 * new Identity().toString();        // → "Identity()"
 * ```
 */
export class Identity extends Module {
  constructor(..._args: unknown[]) {
    super();
  }

  /** The input itself. */
  forward(input: Tensor): Tensor {
    return checkTensor("Identity", "input", input);
  }
}

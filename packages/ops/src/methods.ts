import { Tensor } from "@nabla/tensor";
import { type CrossEntropyOptions, crossEntropy, type NllLossOptions, nllLoss } from "./cross-entropy";
import { logSoftmax, logsumexp, softmax } from "./softmax";
import {
  type ConvOptions,
  type ConvTransposeOptions,
  type Size1d,
  type Size2d,
  type UnfoldOptions,
  conv1d,
  conv2d,
  convTranspose1d,
  convTranspose2d,
  unfold,
} from "./conv";
import {
  type AdaptiveSize2d,
  type AvgPoolOptions,
  type MaxPoolOptions,
  adaptiveAvgPool1d,
  adaptiveAvgPool2d,
  avgPool1d,
  avgPool2d,
  maxPool1d,
  maxPool2d,
} from "./pool";

// Importing @nabla/ops gives tensors the methods of its ops whose first argument is a tensor, as
// PyTorch users type them (`x.softmax(-1)`); TypeScript sees them through this augmentation. They
// land on the Tensor class of the @nabla/tensor copy that @nabla/ops itself imports.

declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * `softmax(this, dim)`: the softmax along `dim` (default the last), from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([2.0, 1.0, 0.1]).softmax(); // → [0.6590, 0.2424, 0.0986]
     * ```
     */
    softmax(dim?: number): Tensor;
    /**
     * `logSoftmax(this, dim)`: the log of the softmax along `dim` (default the last), computed
     * stably, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([0, 0]).logSoftmax(); // → [-0.6931, -0.6931]
     * ```
     */
    logSoftmax(dim?: number): Tensor;
    /**
     * `logsumexp(this, dim, keepdim)`: log Σ exp over `dim`, computed stably, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[0, 0], [1000, 1000]]).logsumexp(1); // → [0.6931, 1000.6931]
     * ```
     */
    logsumexp(dim: number | readonly number[], keepdim?: boolean): Tensor;
    /**
     * `crossEntropy(this, target, options)`: this tensor holds the logits, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[0, 0]]).crossEntropy(tensor([1], { dtype: "int32" })); // → 0.6931
     * ```
     */
    crossEntropy(target: Tensor, options?: CrossEntropyOptions): Tensor;
    /**
     * `nllLoss(this, target, options)`: this tensor holds log-probabilities, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[-1, -2]]).nllLoss(tensor([1], { dtype: "int32" })); // → 2
     * ```
     */
    nllLoss(target: Tensor, options?: NllLossOptions): Tensor;
  }
}

// convolution and pooling, this tensor being the input
declare module "@nabla/tensor" {
  interface Tensor {
    /**
     * `conv1d(this, weight, bias, options)`: the 1-d convolution of this `[N, C, L]` input, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 2, 3]]]).conv1d(tensor([[[1, 1]]])); // → [[[3, 5]]]
     * ```
     */
    conv1d(weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size1d>): Tensor;
    /**
     * `conv2d(this, weight, bias, options)`: the 2-d convolution of this `[N, C, H, W]` input, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * ones([1, 1, 3, 3]).conv2d(ones([1, 1, 2, 2])); // → [[[[4, 4], [4, 4]]]]
     * ```
     */
    conv2d(weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size2d>): Tensor;
    /**
     * `convTranspose1d(this, weight, bias, options)`: the transposed 1-d convolution, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 2]]]).convTranspose1d(tensor([[[1, 1]]])); // → [[[1, 3, 2]]]
     * ```
     */
    convTranspose1d(weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size1d>): Tensor;
    /**
     * `convTranspose2d(this, weight, bias, options)`: the transposed 2-d convolution, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * ones([1, 1, 1, 1]).convTranspose2d(ones([1, 1, 2, 2])); // → [[[[1, 1], [1, 1]]]]
     * ```
     */
    convTranspose2d(weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size2d>): Tensor;
    /**
     * `unfold(this, kernelSize, options)`: the sliding blocks of this `[N, C, H, W]` input as columns
     * (`F.unfold`, im2col), from `@nabla/ops`. Not PyTorch's `Tensor.unfold(dim, size, step)`.
     *
     * @example
     * ```ts
     * ones([1, 2, 3, 3]).unfold(2).shape; // → [1, 8, 4]
     * ```
     */
    unfold(kernelSize: Size2d, options?: UnfoldOptions): Tensor;
    /**
     * `maxPool1d(this, kernelSize, options)`: max pooling along the last dim, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 3, 2, 0]]]).maxPool1d(2); // → [[[3, 2]]]
     * ```
     */
    maxPool1d(kernelSize: Size1d, options?: MaxPoolOptions<Size1d>): Tensor;
    /**
     * `maxPool2d(this, kernelSize, options)`: max pooling over the last two dims, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[[1, 2], [4, 3]]]]).maxPool2d(2); // → [[[[4]]]]
     * ```
     */
    maxPool2d(kernelSize: Size2d, options?: MaxPoolOptions<Size2d>): Tensor;
    /**
     * `avgPool1d(this, kernelSize, options)`: average pooling along the last dim, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 3, 2, 0]]]).avgPool1d(2); // → [[[2, 1]]]
     * ```
     */
    avgPool1d(kernelSize: Size1d, options?: AvgPoolOptions<Size1d>): Tensor;
    /**
     * `avgPool2d(this, kernelSize, options)`: average pooling over the last two dims, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[[1, 2], [4, 3]]]]).avgPool2d(2); // → [[[[2.5]]]]
     * ```
     */
    avgPool2d(kernelSize: Size2d, options?: AvgPoolOptions<Size2d>): Tensor;
    /**
     * `adaptiveAvgPool1d(this, outputSize)`: adaptive average pooling along the last dim, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[1, 3, 2, 0]]]).adaptiveAvgPool1d(1); // → [[[1.5]]]
     * ```
     */
    adaptiveAvgPool1d(outputSize: Size1d): Tensor;
    /**
     * `adaptiveAvgPool2d(this, outputSize)`: adaptive average pooling over the last two dims, from `@nabla/ops`.
     *
     * @example
     * ```ts
     * tensor([[[[1, 2], [4, 3]]]]).adaptiveAvgPool2d(1); // → [[[[2.5]]]]
     * ```
     */
    adaptiveAvgPool2d(outputSize: AdaptiveSize2d): Tensor;
  }
}

const methods: Pick<Tensor, "softmax" | "logSoftmax" | "logsumexp" | "crossEntropy" | "nllLoss"> = {
  softmax(this: Tensor, dim?: number) {
    return softmax(this, dim);
  },
  logSoftmax(this: Tensor, dim?: number) {
    return logSoftmax(this, dim);
  },
  logsumexp(this: Tensor, dim: number | readonly number[], keepdim?: boolean) {
    return logsumexp(this, dim, keepdim);
  },
  crossEntropy(this: Tensor, target: Tensor, options?: CrossEntropyOptions) {
    return crossEntropy(this, target, options);
  },
  nllLoss(this: Tensor, target: Tensor, options?: NllLossOptions) {
    return nllLoss(this, target, options);
  },
};

const convolutionMethods: Pick<
  Tensor,
  | "conv1d"
  | "conv2d"
  | "convTranspose1d"
  | "convTranspose2d"
  | "unfold"
  | "maxPool1d"
  | "maxPool2d"
  | "avgPool1d"
  | "avgPool2d"
  | "adaptiveAvgPool1d"
  | "adaptiveAvgPool2d"
> = {
  conv1d(this: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size1d>) {
    return conv1d(this, weight, bias, options);
  },
  conv2d(this: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvOptions<Size2d>) {
    return conv2d(this, weight, bias, options);
  },
  convTranspose1d(this: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size1d>) {
    return convTranspose1d(this, weight, bias, options);
  },
  convTranspose2d(this: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions<Size2d>) {
    return convTranspose2d(this, weight, bias, options);
  },
  unfold(this: Tensor, kernelSize: Size2d, options?: UnfoldOptions) {
    return unfold(this, kernelSize, options);
  },
  maxPool1d(this: Tensor, kernelSize: Size1d, options?: MaxPoolOptions<Size1d>) {
    return maxPool1d(this, kernelSize, options);
  },
  maxPool2d(this: Tensor, kernelSize: Size2d, options?: MaxPoolOptions<Size2d>) {
    return maxPool2d(this, kernelSize, options);
  },
  avgPool1d(this: Tensor, kernelSize: Size1d, options?: AvgPoolOptions<Size1d>) {
    return avgPool1d(this, kernelSize, options);
  },
  avgPool2d(this: Tensor, kernelSize: Size2d, options?: AvgPoolOptions<Size2d>) {
    return avgPool2d(this, kernelSize, options);
  },
  adaptiveAvgPool1d(this: Tensor, outputSize: Size1d) {
    return adaptiveAvgPool1d(this, outputSize);
  },
  adaptiveAvgPool2d(this: Tensor, outputSize: AdaptiveSize2d) {
    return adaptiveAvgPool2d(this, outputSize);
  },
};

// non-enumerable, as the class's own methods are
for (const [name, method] of Object.entries({ ...methods, ...convolutionMethods })) {
  Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
}

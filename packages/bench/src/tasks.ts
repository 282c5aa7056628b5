import type { DenseInit } from "./inputs";

/**
 * What one workload asks each library to do, with its input data. Every library receives the same
 * task object, builds a `Case` from it (setup, untimed) and the harness times `Case.run`.
 */
export type Task =
  | MatmulTask
  | SoftmaxTask
  | CrossEntropyTask
  | MlpStepTask
  | BroadcastTask
  | SumAxisTask
  | OpChainTask
  | DigitsTask
  | Conv2dTask
  | LayerNormTask
  | TransformerStepTask;

/** C = A·B for square float32 matrices; with `transposeA`, A is read through a transposed view. */
export interface MatmulTask {
  kind: "matmul";
  n: number;
  transposeA: boolean;
  a: Float32Array;
  b: Float32Array;
}

/** softmax along the last dim, then its vector-Jacobian product with a fixed cotangent. */
export interface SoftmaxTask {
  kind: "softmax";
  rows: number;
  cols: number;
  x: Float32Array;
  cotangent: Float32Array;
}

/** Mean cross-entropy of logits against int class targets, and its gradient. */
export interface CrossEntropyTask {
  kind: "crossEntropy";
  rows: number;
  classes: number;
  logits: Float32Array;
  targets: Int32Array;
}

/** One SGD step of a two-layer MLP with cross-entropy loss. */
export interface MlpStepTask {
  kind: "mlpStep";
  batch: number;
  layers: [DenseInit, DenseInit];
  lr: number;
  x: Float32Array;
  targets: Int32Array;
}

/** a[n, n] · b[n] + c[n, 1], forward only. */
export interface BroadcastTask {
  kind: "broadcast";
  n: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
}

/** Sum of an [n, n] matrix over one axis. */
export interface SumAxisTask {
  kind: "sumAxis";
  n: number;
  axis: 0 | 1;
  x: Float32Array;
}

/**
 * A chain of `ops` tiny ops on a `width`-element vector, cycling y + b, y · 0.5, tanh(y); then the
 * gradient of Σy with respect to the input.
 */
export interface OpChainTask {
  kind: "opChain";
  ops: number;
  x: Float32Array;
  b: Float32Array;
}

/**
 * conv2d of x [batch, inChannels, size, size] (NCHW) with weight [outChannels, inChannels, kernel,
 * kernel] (OIHW) plus bias, stride 1, padding (kernel − 1) / 2 ("same"); then the gradients of x,
 * weight and bias under a fixed cotangent [batch, outChannels, size, size].
 */
export interface Conv2dTask {
  kind: "conv2d";
  batch: number;
  inChannels: number;
  outChannels: number;
  size: number;
  kernel: number;
  x: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  cotangent: Float32Array;
}

/** Layer normalization of x [rows, cols] over its last dim (eps 1e-5) with weight and bias, and its VJP. */
export interface LayerNormTask {
  kind: "layerNorm";
  rows: number;
  cols: number;
  x: Float32Array;
  weight: Float32Array;
  bias: Float32Array;
  cotangent: Float32Array;
}

/** The sizes of makemore's transformer (its `ModelConfig`, without the `n_embd2` the transformer does not use). */
export interface TransformerConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nEmbd: number;
}

/** The names of the transformer's two embedding tables, [vocabSize, nEmbd] and [blockSize, nEmbd]; every other 2-d parameter is a Linear weight. */
export const EMBEDDINGS: readonly string[] = ["transformer.wte.weight", "transformer.wpe.weight"];

/** One parameter's initial values, in PyTorch's layout (a Linear weight is [out, in]). */
export interface ParameterInit {
  shape: number[];
  data: Float32Array;
}

/**
 * One training step of makemore's transformer: token and position embeddings, `nLayer` pre-norm
 * blocks (causal self-attention with one qkv projection, an MLP nEmbd → 4·nEmbd, GELU (tanh form),
 * → nEmbd), a final layer norm and a linear head without bias; the mean cross-entropy of the logits
 * [batch, blockSize, vocabSize] against `targets`, its backward, and one AdamW update (decoupled
 * weight decay, as `torch.optim.AdamW`) of every parameter.
 */
export interface TransformerStepTask {
  kind: "transformerStep";
  config: TransformerConfig;
  batch: number;
  /** Initial parameters under makemore's names (`transformer.h.0.attn.c_attn.weight`, …). */
  params: Map<string, ParameterInit>;
  /** Token indices [batch, blockSize]. */
  idx: Int32Array;
  /** The target token at every position [batch, blockSize] (drawn at random, like the indices). */
  targets: Int32Array;
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/** A labelled data set split into train and test rows. */
export interface Split {
  features: Float32Array; // [rows, featureCount], row-major
  labels: Int32Array;
  rows: number;
}

/**
 * Training an MLP (features → hidden → classes, ReLU) on the digits data with Adam, from the given
 * initial weights, for `epochs` passes in shuffled mini-batches; then test accuracy.
 */
export interface DigitsTask {
  kind: "digits";
  featureCount: number;
  classes: number;
  train: Split;
  test: Split;
  layers: [DenseInit, DenseInit];
  epochs: number;
  batchSize: number;
  lr: number;
  /** Row orders for each epoch, for libraries that shuffle by hand. */
  orders: Int32Array[];
  /** Seed for libraries with a seeded data loader of their own. */
  seed: number;
}

/** One prepared workload for one library; `run` is what is timed. */
export interface Case {
  run(): void | Promise<void>;
  /** Frees what setup allocated (TF.js and jax-js manage memory by hand). */
  dispose(): void;
  /** Test accuracy after the last run, for training workloads. */
  accuracy?(): number | Promise<number>;
}

/** A library under test, once loaded. */
export interface Backend {
  prepare(task: Task): Promise<Case>;
}

/**
 * Thrown by `Backend.prepare` when a library cannot run a workload at this size at all; the report
 * shows the reason instead of a time.
 */
export class WorkloadSkipped extends Error {
  override readonly name = "WorkloadSkipped";
}

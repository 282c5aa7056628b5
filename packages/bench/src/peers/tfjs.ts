import type { Optimizer, Scalar, Tensor, Variable } from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import {
  type Backend,
  type Case,
  type DigitsTask,
  EMBEDDINGS,
  type MlpStepTask,
  type Task,
  type TransformerStepTask,
  WorkloadSkipped,
} from "../tasks";
import { transposed, transposeMatrix } from "../inputs";

type Tf = typeof import("@tensorflow/tfjs-core");

let loaded: Promise<Tf> | undefined;

/**
 * tfjs-core with both CPU backends. Gradients are registered only by the full `@tensorflow/tfjs`
 * package, so it is loaded too; the wasm backend's .wasm files are read from its own dist folder.
 */
function loadTf(): Promise<Tf> {
  loaded ??= (async () => {
    const tf = await import("@tensorflow/tfjs-core");
    await import("@tensorflow/tfjs-backend-cpu");
    await import("@tensorflow/tfjs");
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"))}/`);
    return tf;
  })();
  return loaded;
}

/**
 * TensorFlow.js on one of its CPU backends ("cpu": plain JS kernels; "wasm": XNNPACK with SIMD),
 * written as its guides show: tf.tidy, tf.valueAndGrad, variables and `optimizer.minimize`.
 */
export async function loadTfjs(backendName: "cpu" | "wasm"): Promise<Backend> {
  const tf = await loadTf();
  await tf.setBackend(backendName);
  if (tf.getBackend() !== backendName) throw new Error(`TF.js backend "${backendName}" did not initialise`);
  withoutBanner(() => tf.tensor1d([0]).dispose());
  return {
    prepare: async (task) => {
      // one engine serves both backends: switch before each workload's setup
      await tf.setBackend(backendName);
      return prepare(tf, task);
    },
  };
}

/**
 * The CPU backend's first tensor write in Node prints an advertisement for tfjs-node (through
 * console.warn); the bench output has no use for it.
 */
function withoutBanner(firstWrite: () => void): void {
  const warn = console.warn;
  console.warn = () => {};
  try {
    firstWrite();
  } finally {
    console.warn = warn;
  }
}

function prepare(tf: Tf, task: Task): Case {
  switch (task.kind) {
    case "matmul": {
      const { n } = task;
      const a = tf.tensor2d(task.a, [n, n]);
      const b = tf.tensor2d(task.b, [n, n]);
      return { run: () => tf.matMul(a, b, task.transposeA).dispose(), dispose: () => tf.dispose([a, b]) };
    }
    case "softmax": {
      const x = tf.tensor2d(task.x, [task.rows, task.cols]);
      const dy = tf.tensor2d(task.cotangent, [task.rows, task.cols]);
      const softmaxWithGrad = tf.valueAndGrad((logits: Tensor) => tf.softmax(logits));
      return {
        run: () => {
          const { value, grad } = softmaxWithGrad(x, dy);
          tf.dispose([value, grad]);
        },
        dispose: () => tf.dispose([x, dy]),
      };
    }
    case "crossEntropy": {
      const logits = tf.tensor2d(task.logits, [task.rows, task.classes]);
      const targets = tf.tensor1d(task.targets, "int32");
      return {
        run: () => {
          const { value, grad } = tf.tidy(() => {
            const labels = tf.oneHot(targets, task.classes);
            return tf.valueAndGrad((x: Tensor) => tf.losses.softmaxCrossEntropy(labels, x))(logits);
          });
          tf.dispose([value, grad]);
        },
        dispose: () => tf.dispose([logits, targets]),
      };
    }
    case "mlpStep":
      return mlpStep(tf, task);
    case "broadcast": {
      const { n } = task;
      const a = tf.tensor2d(task.a, [n, n]);
      const b = tf.tensor1d(task.b);
      const c = tf.tensor2d(task.c, [n, 1]);
      return { run: () => tf.tidy(() => tf.add(tf.mul(a, b), c)).dispose(), dispose: () => tf.dispose([a, b, c]) };
    }
    case "sumAxis": {
      const x = tf.tensor2d(task.x, [task.n, task.n]);
      return { run: () => tf.sum(x, task.axis).dispose(), dispose: () => x.dispose() };
    }
    case "opChain": {
      const x = tf.tensor1d(task.x);
      const b = tf.tensor1d(task.b);
      const half = tf.scalar(0.5);
      const chainGrad = tf.grad((input: Tensor) => {
        let y = input;
        for (let i = 0; i < task.ops; i++) {
          const step = i % 3;
          y = step === 0 ? tf.add(y, b) : step === 1 ? tf.mul(y, half) : tf.tanh(y);
        }
        return tf.sum(y);
      });
      return { run: () => tf.tidy(() => chainGrad(x)).dispose(), dispose: () => tf.dispose([x, b, half]) };
    }
    case "digits":
      return digits(tf, task);
    case "conv2d": {
      if (tf.getBackend() === "wasm") {
        throw new WorkloadSkipped("not run: TF.js wasm 4.22.0 registers no Conv2DBackpropFilter kernel (the weight's gradient)");
      }
      // TF.js convolves NHWC inputs with HWIO filters (its CPU backends take no NCHW): the data are
      // transposed once, untimed
      const { batch, inChannels, outChannels, size, kernel } = task;
      const [x, weight, cotangent] = tf.tidy(() => [
        tf.transpose(tf.tensor4d(task.x, [batch, inChannels, size, size]), [0, 2, 3, 1]),
        tf.transpose(tf.tensor4d(task.weight, [outChannels, inChannels, kernel, kernel]), [2, 3, 1, 0]),
        tf.transpose(tf.tensor4d(task.cotangent, [batch, outChannels, size, size]), [0, 2, 3, 1]),
      ]);
      const bias = tf.tensor1d(task.bias);
      const convGrads = tf.grads((input: Tensor, filter: Tensor, b: Tensor) =>
        tf.add(
          tf.conv2d(input as import("@tensorflow/tfjs-core").Tensor4D, filter as import("@tensorflow/tfjs-core").Tensor4D, 1, "same"),
          b,
        ),
      );
      return {
        run: () => tf.dispose(convGrads([x!, weight!, bias], cotangent)),
        dispose: () => tf.dispose([x!, weight!, bias, cotangent!]),
      };
    }
    case "layerNorm": {
      const x = tf.tensor2d(task.x, [task.rows, task.cols]);
      const weight = tf.tensor1d(task.weight);
      const bias = tf.tensor1d(task.bias);
      const cotangent = tf.tensor2d(task.cotangent, [task.rows, task.cols]);
      const layerNormGrads = tf.grads((input: Tensor, w: Tensor, b: Tensor) => layerNorm(tf, input, w, b));
      return {
        run: () => tf.dispose(layerNormGrads([x, weight, bias], cotangent)),
        dispose: () => tf.dispose([x, weight, bias, cotangent]),
      };
    }
    case "transformerStep":
      return transformerStep(tf, task);
  }
}

/** Dense layers as TF.js users write them without tfjs-layers: kernel [in, out] and bias variables. */
function denseVariables(tf: Tf, layers: MlpStepTask["layers"]): Variable[] {
  return layers.flatMap((layer) => [
    tf.variable(tf.tensor2d(transposed(layer), [layer.inFeatures, layer.outFeatures])),
    tf.variable(tf.tensor1d(layer.bias)),
  ]);
}

function forward(tf: Tf, [w1, b1, w2, b2]: Variable[], x: Tensor): Tensor {
  const hidden = tf.relu(tf.add(tf.matMul(x, w1!), b1!));
  return tf.add(tf.matMul(hidden, w2!), b2!);
}

function mlpStep(tf: Tf, task: MlpStepTask): Case {
  const variables = denseVariables(tf, task.layers);
  const optimizer = tf.train.sgd(task.lr);
  const x = tf.tensor2d(task.x, [task.batch, task.layers[0].inFeatures]);
  const targets = tf.tensor1d(task.targets, "int32");
  const classes = task.layers[1].outFeatures;
  return {
    run: () => {
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(tf.oneHot(targets, classes), forward(tf, variables, x)) as Scalar);
    },
    dispose: () => {
      optimizer.dispose();
      tf.dispose([...variables, x, targets]);
    },
  };
}

function digits(tf: Tf, task: DigitsTask): Case {
  const { featureCount, classes, batchSize } = task;
  const features = tf.tensor2d(task.train.features, [task.train.rows, featureCount]);
  const labels = tf.tensor1d(task.train.labels, "int32");
  const testFeatures = tf.tensor2d(task.test.features, [task.test.rows, featureCount]);
  const testLabels = tf.tensor1d(task.test.labels, "int32");
  let variables: Variable[] = [];
  return {
    run: () => {
      tf.dispose(variables);
      variables = denseVariables(tf, task.layers);
      const optimizer = tf.train.adam(task.lr);
      for (const order of task.orders) {
        for (let start = 0; start < order.length; start += batchSize) {
          tf.tidy(() => {
            const index = tf.tensor1d(order.subarray(start, start + batchSize), "int32");
            const xb = tf.gather(features, index);
            const yb = tf.oneHot(tf.gather(labels, index), classes);
            optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(tf, variables, xb)) as Scalar);
          });
        }
      }
      optimizer.dispose();
    },
    accuracy: () =>
      tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(forward(tf, variables, testFeatures), 1), testLabels), "float32")).dataSync()[0]!),
    dispose: () => tf.dispose([...variables, features, labels, testFeatures, testLabels]),
  };
}

/**
 * Layer normalization over the last dim (eps 1e-5), scaled by `weight` and shifted by `bias`: TF.js
 * has no layer norm op outside tfjs-layers, so the composite, as tf.layers.layerNormalization computes it.
 */
function layerNorm(tf: Tf, x: Tensor, weight: Tensor, bias: Tensor): Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), weight), bias);
}

/**
 * makemore's transformer in tf ops, as TF.js users write a model without tfjs-layers: variables
 * under makemore's names (Linear kernels [in, out]), activations kept as [batch · blockSize, nEmbd]
 * matrices and reshaped into heads for attention. tf.train.adam has no decoupled weight decay: the
 * step computes the gradients with `tf.variableGrads`, shrinks every variable by lr · weightDecay by
 * hand (as torch.optim.AdamW does first) and then applies Adam.
 */
function transformerStep(tf: Tf, task: TransformerStepTask): Case {
  const { config, batch, lr, weightDecay } = task;
  const { vocabSize, blockSize: t, nLayer, nHead, nEmbd } = config;
  const headSize = nEmbd / nHead;
  const p = new Map<string, Variable>();
  for (const [name, init] of task.params) {
    // Linear weights [out, in] become kernels [in, out]; the embedding tables stay as they are
    const [rows, cols] = init.shape as [number, number];
    const kernel = init.shape.length === 2 && !EMBEDDINGS.includes(name);
    p.set(name, tf.variable(kernel ? tf.tensor2d(transposeMatrix(init.data, rows, cols), [cols, rows]) : tf.tensor(init.data, init.shape)));
  }
  const param = (name: string): Variable => p.get(name)!;
  const linear = (x: Tensor, name: string, bias = true): Tensor => {
    const y = tf.matMul(x, param(`${name}.weight`));
    return bias ? tf.add(y, param(`${name}.bias`)) : y;
  };
  const norm = (x: Tensor, name: string): Tensor => layerNorm(tf, x, param(`${name}.weight`), param(`${name}.bias`));
  // tfjs-core has no GELU: GPT-2's tanh form, written out
  const gelu = (x: Tensor): Tensor =>
    tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x))))))));
  const heads = (z: Tensor): Tensor => tf.transpose(tf.reshape(z, [batch, t, nHead, headSize]), [0, 2, 1, 3]);
  // −∞ above the diagonal: each position attends to itself and those before it
  const causal = tf.tensor2d(
    Array.from({ length: t * t }, (_, i) => (i % t > Math.floor(i / t) ? -Infinity : 0)),
    [t, t],
  );
  const idx = tf.tensor1d(task.idx, "int32");
  const targets = tf.tensor1d(task.targets, "int32");
  // the embedding lookup as a one-hot product: tf.gather's gradient needs UnsortedSegmentSum, a
  // kernel the wasm backend does not register (at vocab 27 the product costs little)
  const tokens = tf.oneHot(idx, vocabSize).toFloat();
  const labels = tf.oneHot(targets, vocabSize);
  const loss = (): Scalar => {
    let x = tf.reshape(
      tf.add(tf.reshape(tf.matMul(tokens, param("transformer.wte.weight")), [batch, t, nEmbd]), param("transformer.wpe.weight")),
      [batch * t, nEmbd],
    );
    for (let i = 0; i < nLayer; i++) {
      const block = `transformer.h.${i}`;
      const [q, k, v] = tf.split(linear(norm(x, `${block}.ln_1`), `${block}.attn.c_attn`), 3, 1);
      const scores = tf.add(tf.mul(tf.matMul(heads(q!), heads(k!), false, true), 1 / Math.sqrt(headSize)), causal);
      const y = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), heads(v!)), [0, 2, 1, 3]), [batch * t, nEmbd]);
      x = tf.add(x, linear(y, `${block}.attn.c_proj`));
      x = tf.add(x, linear(gelu(linear(norm(x, `${block}.ln_2`), `${block}.mlp.c_fc`)), `${block}.mlp.c_proj`));
    }
    return tf.losses.softmaxCrossEntropy(labels, linear(norm(x, "transformer.ln_f"), "lm_head", false)) as Scalar;
  };
  // typed as the base class, whose applyGradients takes the gradient map variableGrads returns
  const optimizer: Optimizer = tf.train.adam(lr, task.betas[0], task.betas[1], task.eps);
  const variables = [...p.values()];
  return {
    run: () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(loss, variables);
        for (const variable of variables) variable.assign(tf.mul(variable, 1 - lr * weightDecay));
        optimizer.applyGradients(grads);
      }),
    dispose: () => {
      optimizer.dispose();
      tf.dispose([...variables, causal, idx, targets, tokens, labels]);
    },
  };
}

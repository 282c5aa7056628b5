import { languageModelLoss } from "@nabla/examples/src/makemore/models/language-model";
import { Transformer } from "@nabla/examples/src/makemore/models/transformer";
import { DataLoader, Linear, optim, ReLU, Sequential, TensorDataset } from "@nabla/nn";
import { conv2d, crossEntropy, layerNorm, softmax } from "@nabla/ops";
import { noGrad, tensor, type Tensor } from "@nabla/tensor";
import type { DenseInit } from "../inputs";
import type { Backend, Case, DigitsTask, MlpStepTask, Task, TransformerStepTask } from "../tasks";

/** nabla, written as its README shows: eager tensors, `backward()`, nn modules and optimizers. */
export async function loadNabla(): Promise<Backend> {
  return { prepare: async (task) => prepare(task) };
}

const NOTHING_TO_FREE = (): void => {};

function matrix(data: Float32Array, rows: number, cols: number, requiresGrad = false): Tensor {
  return tensor(data, { shape: [rows, cols], requiresGrad });
}

function prepare(task: Task): Case {
  switch (task.kind) {
    case "matmul": {
      const { n } = task;
      const a = matrix(task.a, n, n);
      const b = matrix(task.b, n, n);
      const left = task.transposeA ? a.mT : a;
      return { run: () => void left.matmul(b), dispose: NOTHING_TO_FREE };
    }
    case "softmax": {
      const x = matrix(task.x, task.rows, task.cols, true);
      return backwardCase([x], () => softmax(x, -1), matrix(task.cotangent, task.rows, task.cols));
    }
    case "crossEntropy": {
      const logits = matrix(task.logits, task.rows, task.classes, true);
      const targets = tensor(task.targets);
      return backwardCase([logits], () => crossEntropy(logits, targets));
    }
    case "mlpStep":
      return mlpStep(task);
    case "broadcast": {
      const { n } = task;
      const a = matrix(task.a, n, n);
      const b = tensor(task.b);
      const c = matrix(task.c, n, 1);
      return { run: () => void a.mul(b).add(c), dispose: NOTHING_TO_FREE };
    }
    case "sumAxis": {
      const x = matrix(task.x, task.n, task.n);
      return { run: () => void x.sum(task.axis), dispose: NOTHING_TO_FREE };
    }
    case "opChain": {
      const x = tensor(task.x, { requiresGrad: true });
      const b = tensor(task.b);
      return backwardCase([x], () => {
        let y = x;
        for (let i = 0; i < task.ops; i++) {
          const step = i % 3;
          y = step === 0 ? y.add(b) : step === 1 ? y.mul(0.5) : y.tanh();
        }
        return y.sum();
      });
    }
    case "digits":
      return digits(task);
    case "conv2d": {
      const { batch, inChannels, outChannels, size, kernel } = task;
      const x = tensor(task.x, { shape: [batch, inChannels, size, size], requiresGrad: true });
      const weight = tensor(task.weight, { shape: [outChannels, inChannels, kernel, kernel], requiresGrad: true });
      const bias = tensor(task.bias, { requiresGrad: true });
      const cotangent = tensor(task.cotangent, { shape: [batch, outChannels, size, size] });
      return backwardCase([x, weight, bias], () => conv2d(x, weight, bias, { padding: (kernel - 1) / 2 }), cotangent);
    }
    case "layerNorm": {
      const x = matrix(task.x, task.rows, task.cols, true);
      const weight = tensor(task.weight, { requiresGrad: true });
      const bias = tensor(task.bias, { requiresGrad: true });
      const cotangent = matrix(task.cotangent, task.rows, task.cols);
      return backwardCase([x, weight, bias], () => layerNorm(x, [task.cols], { weight, bias }), cotangent);
    }
    case "transformerStep":
      return transformerStep(task);
  }
}

/** Runs `f` and its backward (under `cotangent`, or of a scalar), clearing the inputs' gradients first. */
function backwardCase(inputs: Tensor[], f: () => Tensor, cotangent?: Tensor): Case {
  return {
    run: () => {
      for (const input of inputs) input.grad = null;
      f().backward(cotangent);
    },
    dispose: NOTHING_TO_FREE,
  };
}

/** A Sequential MLP whose Linear layers start from the shared initial weights. */
function mlp(layers: readonly [DenseInit, DenseInit]): Sequential {
  const [first, second] = layers;
  const model = new Sequential(
    new Linear(first.inFeatures, first.outFeatures),
    new ReLU(),
    new Linear(second.inFeatures, second.outFeatures),
  );
  const values = [first.weight, first.bias, second.weight, second.bias];
  noGrad(() => {
    for (const [i, p] of model.parameters().entries()) p.copy_(tensor(values[i]!, { shape: p.shape }));
  });
  return model;
}

function mlpStep(task: MlpStepTask): Case {
  const model = mlp(task.layers);
  const optimizer = new optim.SGD(model.parameters(), { lr: task.lr });
  const x = matrix(task.x, task.batch, task.layers[0].inFeatures);
  const targets = tensor(task.targets);
  return trainingStep(optimizer, () => crossEntropy(model.forward(x), targets));
}

/** One step of training: gradients cleared, `loss()` backward, the optimizer's update. */
function trainingStep(optimizer: { zeroGrad(): void; step(): void }, loss: () => Tensor): Case {
  return {
    run: () => {
      optimizer.zeroGrad();
      loss().backward();
      optimizer.step();
    },
    dispose: NOTHING_TO_FREE,
  };
}

function digits(task: DigitsTask): Case {
  const features = matrix(task.train.features, task.train.rows, task.featureCount);
  const labels = tensor(task.train.labels);
  const testFeatures = matrix(task.test.features, task.test.rows, task.featureCount);
  const testLabels = tensor(task.test.labels);
  let model = mlp(task.layers);
  return {
    run: () => {
      model = mlp(task.layers);
      const optimizer = new optim.Adam(model.parameters(), { lr: task.lr });
      const loader = new DataLoader(new TensorDataset(features, labels), { batchSize: task.batchSize, shuffle: true, seed: task.seed });
      for (let epoch = 0; epoch < task.epochs; epoch++) {
        for (const [xb, yb] of loader) {
          optimizer.zeroGrad();
          crossEntropy(model.forward(xb!), yb!).backward();
          optimizer.step();
        }
      }
    },
    accuracy: () => noGrad(() => model.forward(testFeatures).argmax(1).eq(testLabels).to("float32").mean().item() as number),
    dispose: NOTHING_TO_FREE,
  };
}

/** makemore's own training step, on the examples' port of its Transformer started from the shared weights. */
function transformerStep(task: TransformerStepTask): Case {
  const { config, batch } = task;
  const model = new Transformer({ ...config, nEmbd2: config.nEmbd });
  const named = model.namedParameters();
  if (named.length !== task.params.size) throw new Error(`the Transformer has ${named.length} parameters, the task ${task.params.size}`);
  noGrad(() => {
    for (const [name, p] of named) {
      const init = task.params.get(name);
      if (!init) throw new Error(`the task has no initial value for ${name}`);
      p.copy_(tensor(init.data, { shape: init.shape }));
    }
  });
  const optimizer = new optim.AdamW(model.parameters(), { lr: task.lr, betas: task.betas, eps: task.eps, weightDecay: task.weightDecay });
  const shape = [batch, config.blockSize];
  const idx = tensor(task.idx, { shape });
  const targets = tensor(task.targets, { shape });
  return trainingStep(optimizer, () => languageModelLoss(model.forward(idx), targets));
}

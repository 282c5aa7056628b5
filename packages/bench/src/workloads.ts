import { readFileSync } from "node:fs";
import { denseInit, InputStream, transformerInit } from "./inputs";
import type { DigitsTask, Split, Task, TransformerConfig } from "./tasks";

/** How a workload's time is reported: plain time, or a rate derived from it. */
export type Metric =
  | { kind: "ms" }
  | { kind: "seconds" }
  | { kind: "gflops"; flops: number } // flops per run
  | { kind: "usPerOp"; ops: number }; // ops per run

export interface Workload {
  /** Row id in the report: the workload number, plus a size where it has several. */
  id: string;
  title: string;
  metric: Metric;
  /** Builds the task and its inputs (once, shared by every library). */
  task(): Task;
}

const DIGITS_CSV = new URL("../../../examples/data/digits.csv", import.meta.url);

/** The workloads W1–W10 and LN, at full size or, with `quick`, at sizes that run in well under a second. */
export function workloads(quick: boolean): Workload[] {
  const list: Workload[] = [];
  const matmulSizes = quick ? [16, 32] : [64, 128, 256, 512, 1024];
  for (const n of matmulSizes) {
    list.push({
      id: `W1 N=${n}`,
      title: `matmul [${n}, ${n}] · [${n}, ${n}]`,
      metric: { kind: "gflops", flops: 2 * n ** 3 },
      task: () => {
        const stream = new InputStream(n);
        return { kind: "matmul", n, transposeA: false, a: stream.uniform(n * n), b: stream.uniform(n * n) };
      },
    });
  }
  // backward multiplies by transposed operands (Ā = C̄ Bᵀ, B̄ = Aᵀ C̄): the same product through a view
  const transposedSize = quick ? 32 : 512;
  list.push({
    id: `W1ᵀ N=${transposedSize}`,
    title: `matmul Aᵀ · B, A [${transposedSize}, ${transposedSize}] read through a transposed view`,
    metric: { kind: "gflops", flops: 2 * transposedSize ** 3 },
    task: () => {
      const stream = new InputStream(transposedSize);
      const size = transposedSize * transposedSize;
      return { kind: "matmul", n: transposedSize, transposeA: true, a: stream.uniform(size), b: stream.uniform(size) };
    },
  });

  const [softmaxRows, softmaxCols] = quick ? [8, 50] : [256, 1000];
  list.push({
    id: "W2",
    title: `softmax along the last dim of [${softmaxRows}, ${softmaxCols}], forward + backward`,
    metric: { kind: "ms" },
    task: () => {
      const stream = new InputStream(2);
      const size = softmaxRows * softmaxCols;
      return { kind: "softmax", rows: softmaxRows, cols: softmaxCols, x: stream.normal(size), cotangent: stream.normal(size) };
    },
  });

  const [ceRows, ceClasses] = quick ? [16, 50] : [512, 1000];
  list.push({
    id: "W3",
    title: `cross-entropy, logits [${ceRows}, ${ceClasses}], int targets, mean, forward + backward`,
    metric: { kind: "ms" },
    task: () => {
      const stream = new InputStream(3);
      return {
        kind: "crossEntropy",
        rows: ceRows,
        classes: ceClasses,
        logits: stream.normal(ceRows * ceClasses),
        targets: stream.integers(ceRows, ceClasses),
      };
    },
  });

  const [batch, inFeatures, hidden, classes] = quick ? [8, 32, 16, 10] : [128, 784, 512, 10];
  list.push({
    id: "W4",
    title: `MLP step: x [${batch}, ${inFeatures}], Linear ${inFeatures}→${hidden}, ReLU, Linear ${hidden}→${classes}, cross-entropy, backward, SGD`,
    metric: { kind: "ms" },
    task: () => {
      const stream = new InputStream(4);
      return {
        kind: "mlpStep",
        batch,
        layers: [denseInit(stream, inFeatures, hidden), denseInit(stream, hidden, classes)],
        lr: 0.01,
        x: stream.uniform(batch * inFeatures, 0, 1),
        targets: stream.integers(batch, classes),
      };
    },
  });

  const broadcastSize = quick ? 64 : 1024;
  list.push({
    id: "W5",
    title: `a[${broadcastSize}, ${broadcastSize}] · b[${broadcastSize}] + c[${broadcastSize}, 1], forward`,
    metric: { kind: "ms" },
    task: () => {
      const stream = new InputStream(5);
      const n = broadcastSize;
      return { kind: "broadcast", n, a: stream.uniform(n * n), b: stream.uniform(n), c: stream.uniform(n) };
    },
  });

  const sumSize = quick ? 64 : 2048;
  for (const axis of [0, 1] as const) {
    list.push({
      id: `W6 axis ${axis}`,
      title: `sum over axis ${axis} of [${sumSize}, ${sumSize}]`,
      metric: { kind: "ms" },
      task: () => ({ kind: "sumAxis", n: sumSize, axis, x: new InputStream(6).uniform(sumSize * sumSize) }),
    });
  }

  const chainOps = quick ? 300 : 10_000;
  list.push({
    id: "W7",
    title: `chain of ${chainOps} tiny ops (add, mul by a constant, tanh) on 4 elements, then backward`,
    metric: { kind: "usPerOp", ops: chainOps },
    task: () => {
      const stream = new InputStream(7);
      return { kind: "opChain", ops: chainOps, x: stream.uniform(4), b: stream.uniform(4, -0.1, 0.1) };
    },
  });

  const epochs = quick ? 1 : 30;
  list.push({
    id: "W8",
    title: `digits: MLP 64→128→10, Adam lr 1e-2, batch 64, ${epochs} epoch${epochs === 1 ? "" : "s"}`,
    metric: { kind: "seconds" },
    task: () => digitsTask(epochs, quick),
  });

  const [convBatch, convIn, convOut, convSize] = quick ? [2, 4, 8, 8] : [32, 16, 32, 32];
  list.push({
    id: "W9",
    title: `conv2d x [${convBatch}, ${convIn}, ${convSize}, ${convSize}], weight [${convOut}, ${convIn}, 3, 3], bias, padding 1, forward + backward`,
    metric: { kind: "ms" },
    task: () => {
      const stream = new InputStream(9);
      const bound = 1 / Math.sqrt(convIn * 9);
      return {
        kind: "conv2d",
        batch: convBatch,
        inChannels: convIn,
        outChannels: convOut,
        size: convSize,
        kernel: 3,
        x: stream.normal(convBatch * convIn * convSize * convSize),
        weight: stream.uniform(convOut * convIn * 9, -bound, bound),
        bias: stream.uniform(convOut, -bound, bound),
        cotangent: stream.normal(convBatch * convOut * convSize * convSize),
      };
    },
  });

  // makemore's defaults (n_layer 4, n_head 4, n_embd 64, block size 16 for its names.txt, batch 32,
  // AdamW lr 5e-4, betas 0.9/0.99, weight decay 0.01)
  const config: TransformerConfig = quick
    ? { vocabSize: 27, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 16 }
    : { vocabSize: 27, blockSize: 16, nLayer: 4, nHead: 4, nEmbd: 64 };
  const transformerBatch = quick ? 4 : 32;
  list.push({
    id: "W10",
    title: `makemore transformer training step: vocab ${config.vocabSize}, block size ${config.blockSize}, n_layer ${config.nLayer}, n_head ${config.nHead}, n_embd ${config.nEmbd}, batch ${transformerBatch}; cross-entropy, backward, AdamW`,
    metric: { kind: "ms" },
    task: () => {
      const stream = new InputStream(11);
      const tokens = transformerBatch * config.blockSize;
      return {
        kind: "transformerStep",
        config,
        batch: transformerBatch,
        params: transformerInit(stream, config),
        idx: stream.integers(tokens, config.vocabSize),
        targets: stream.integers(tokens, config.vocabSize),
        lr: 5e-4,
        betas: [0.9, 0.99],
        eps: 1e-8,
        weightDecay: 0.01,
      };
    },
  });

  const [lnRows, lnCols] = quick ? [64, 32] : [4096, 256];
  list.push({
    id: "LN",
    title: `layer norm over the last dim of [${lnRows}, ${lnCols}], weight and bias, forward + backward`,
    metric: { kind: "ms" },
    task: () => {
      const stream = new InputStream(10);
      return {
        kind: "layerNorm",
        rows: lnRows,
        cols: lnCols,
        x: stream.normal(lnRows * lnCols),
        weight: stream.uniform(lnCols, 0.5, 1.5),
        bias: stream.uniform(lnCols),
        cotangent: stream.normal(lnRows * lnCols),
      };
    },
  });
  return list;
}

/** The bundled digits data (8×8 images, pixel values 0–16), scaled to [0, 1] and split 80/20. */
function digitsTask(epochs: number, quick: boolean): DigitsTask {
  const lines = readFileSync(DIGITS_CSV, "utf8").trim().split("\n").slice(1);
  const featureCount = 64;
  const rowsUsed = quick ? 256 : lines.length;
  const stream = new InputStream(8);
  const order = stream.permutation(lines.length).subarray(0, rowsUsed);
  const testRows = Math.round(rowsUsed * 0.2);
  const split = (indices: Int32Array): Split => {
    const features = new Float32Array(indices.length * featureCount);
    const labels = new Int32Array(indices.length);
    indices.forEach((line, r) => {
      const values = lines[line]!.split(",").map(Number);
      for (let f = 0; f < featureCount; f++) features[r * featureCount + f] = values[f]! / 16;
      labels[r] = values[featureCount]!;
    });
    return { features, labels, rows: indices.length };
  };
  const train = split(order.subarray(testRows));
  const hidden = 128;
  const classes = 10;
  return {
    kind: "digits",
    featureCount,
    classes,
    train,
    test: split(order.subarray(0, testRows)),
    layers: [denseInit(stream, featureCount, hidden), denseInit(stream, hidden, classes)],
    epochs,
    batchSize: 64,
    lr: 1e-2,
    orders: Array.from({ length: epochs }, () => stream.permutation(train.rows)),
    seed: 8,
  };
}

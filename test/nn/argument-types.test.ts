import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type Tensor, tensor, zeros } from "@nabla/tensor";
import * as nn from "@nabla/nn";
import { DataLoader, GELU, Linear, Module, ReLU, Sequential, TensorDataset, init, optim, saveSafetensors, utils } from "@nabla/nn";
import * as nodeIo from "@nabla/nn/node";
import { type ScanCase, scanArguments } from "../support/argument-scan";
import { CONV_LAYERS } from "../support/conv-layers";

// Every export of @nabla/nn (functions, constructors, and the methods of what they make), called
// with null, true, {}, "x" and NaN in each argument position in turn: it must work or throw a
// NablaError, never a TypeError or RangeError.

const directory = mkdtempSync(join(tmpdir(), "nabla-argument-types-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const savedFile = join(directory, "saved.safetensors");
writeFileSync(savedFile, saveSafetensors({ w: zeros([2]) }));
const csvFile = join(directory, "data.csv");
writeFileSync(csvFile, "a,b\n1,0\n");

const x = () =>
  tensor([
    [1, 2],
    [3, 4],
  ]);
const classes = () => tensor([1, 0], { dtype: "int32" });
const halves = () =>
  tensor([
    [0.5, 0.5],
    [0.5, 0.5],
  ]);
const linear = () => new Linear(2, 2);
const params = () => [tensor([1, 2], { requiresGrad: true })];
const withGrad = () => {
  const p = tensor([1, 2], { requiresGrad: true });
  p.grad = tensor([0.5, 0.5]);
  return [p];
};
const sgd = () => new optim.SGD(withGrad(), { lr: 0.1, momentum: 0.9 });
const adam = () => new optim.Adam(withGrad(), { lr: 0.1 });
const rmsprop = () => new optim.RMSprop(withGrad(), { momentum: 0.9, centered: true });
const adagrad = () => new optim.Adagrad(withGrad(), { lrDecay: 0.1 });
/** A SequentialLR over an ExponentialLR and a StepLR; `options` gives its milestones. */
const sequential = (options: unknown) => {
  const optimizer = sgd();
  const schedulers = [new optim.ExponentialLR(optimizer, { gamma: 0.9 }), new optim.StepLR(optimizer, { stepSize: 1 })];
  const { milestones } = (options ?? {}) as { milestones: number[] };
  return new optim.SequentialLR(optimizer, { schedulers, milestones });
};
/** The state dict of an optimizer after one step, so it holds per-parameter state. */
const steppedState = (make: () => optim.Optimizer) => {
  const optimizer = make();
  optimizer.step();
  return optimizer.stateDict();
};

// biome-ignore lint/suspicious/noExplicitAny: any constructor, called with deliberately wrong arguments
type AnyConstructor = new (...args: any[]) => unknown;
const construct =
  (C: AnyConstructor) =>
  (...args: unknown[]) =>
    new C(...args);
const method =
  <T>(make: () => T, name: string) =>
  (...args: unknown[]) => {
    const receiver = make() as Record<string, (...a: unknown[]) => unknown>;
    return receiver[name]!(...args);
  };

const CASES: ScanCase[] = [
  { name: "Linear", call: construct(Linear), args: () => [2, 3, { bias: true, dtype: "float32" }] },
  { name: "linear", call: nn.linear, args: () => [x(), x(), tensor([1, 2])] },
  ...(["Conv1d", "Conv2d"] as const).map(
    (name): ScanCase => ({
      name,
      call: construct(CONV_LAYERS[name]),
      args: () => [2, 4, 3, { stride: 1, padding: "same", dilation: 1, groups: 2, bias: true, paddingMode: "reflect", dtype: "float32" }],
    }),
  ),
  ...(["ConvTranspose1d", "ConvTranspose2d"] as const).map(
    (name): ScanCase => ({
      name,
      call: construct(CONV_LAYERS[name]),
      args: () => [2, 4, 3, { stride: 2, padding: 1, outputPadding: 1, dilation: 1, groups: 2, bias: true, dtype: "float32" }],
    }),
  ),
  ...(["MaxPool1d", "MaxPool2d"] as const).map(
    (name): ScanCase => ({
      name,
      call: construct(CONV_LAYERS[name]),
      args: () => [2, { stride: 1, padding: 1, dilation: 1, ceilMode: true }],
    }),
  ),
  ...(["AvgPool1d", "AvgPool2d"] as const).map(
    (name): ScanCase => ({
      name,
      call: construct(CONV_LAYERS[name]),
      args: () => [2, { stride: 1, padding: 1, ceilMode: true, countIncludePad: false }],
    }),
  ),
  { name: "AdaptiveAvgPool1d", call: construct(nn.AdaptiveAvgPool1d), args: () => [2] },
  { name: "AdaptiveAvgPool2d", call: construct(nn.AdaptiveAvgPool2d), args: () => [[2, null]] },
  { name: "Sequential", call: construct(Sequential), args: () => [new ReLU(), linear()] },
  { name: "ModuleList", call: construct(nn.ModuleList), args: () => [[new ReLU(), linear()]] },
  { name: "ModuleDict", call: construct(nn.ModuleDict), args: () => [{ act: new ReLU(), fc: linear() }] },
  { name: "ReLU", call: construct(ReLU), args: () => [] },
  { name: "Tanh", call: construct(nn.Tanh), args: () => [] },
  { name: "Sigmoid", call: construct(nn.Sigmoid), args: () => [] },
  { name: "GELU", call: construct(GELU), args: () => [{ approximate: "tanh" }] },
  { name: "LeakyReLU", call: construct(nn.LeakyReLU), args: () => [0.2] },
  { name: "ELU", call: construct(nn.ELU), args: () => [0.5] },
  { name: "SiLU", call: construct(nn.SiLU), args: () => [] },
  { name: "Softplus", call: construct(nn.Softplus), args: () => [{ beta: 2, threshold: 10 }] },
  { name: "Dropout", call: construct(nn.Dropout), args: () => [0.5] },
  { name: "Flatten", call: construct(nn.Flatten), args: () => [0, -1] },
  { name: "Unflatten", call: construct(nn.Unflatten), args: () => [1, [2, 1]] },
  { name: "Identity", call: construct(nn.Identity), args: () => [] },
  { name: "Softmax", call: construct(nn.Softmax), args: () => [1] },
  { name: "LogSoftmax", call: construct(nn.LogSoftmax), args: () => [1] },
  {
    name: "BatchNorm1d",
    call: construct(nn.BatchNorm1d),
    args: () => [2, { eps: 1e-5, momentum: 0.1, affine: true, trackRunningStats: true, dtype: "float32" }],
  },
  { name: "BatchNorm2d", call: construct(nn.BatchNorm2d), args: () => [2, { momentum: null }] },
  {
    name: "LayerNorm",
    call: construct(nn.LayerNorm),
    args: () => [[2], { eps: 1e-5, elementwiseAffine: true, bias: true, dtype: "float32" }],
  },
  { name: "GroupNorm", call: construct(nn.GroupNorm), args: () => [1, 2, { eps: 1e-5, affine: true, dtype: "float32" }] },
  { name: "Embedding", call: construct(nn.Embedding), args: () => [3, 2, { paddingIdx: 0, dtype: "float32" }] },
  {
    name: "RNN",
    call: construct(nn.RNN),
    args: () => [
      2,
      3,
      { numLayers: 2, nonlinearity: "relu", bias: true, batchFirst: true, dropout: 0.5, bidirectional: true, dtype: "float32" },
    ],
  },
  {
    name: "LSTM",
    call: construct(nn.LSTM),
    args: () => [2, 3, { numLayers: 1, projSize: 1, bias: false, batchFirst: false, dropout: 0, bidirectional: false }],
  },
  { name: "GRU", call: construct(nn.GRU), args: () => [2, 3, { numLayers: 1, bidirectional: true }] },
  { name: "RNNCell", call: construct(nn.RNNCell), args: () => [2, 3, { bias: true, nonlinearity: "tanh", dtype: "float32" }] },
  { name: "LSTMCell", call: construct(nn.LSTMCell), args: () => [2, 3, { bias: false, dtype: "float32" }] },
  { name: "GRUCell", call: construct(nn.GRUCell), args: () => [2, 3, { bias: true }] },
  {
    name: "MultiheadAttention",
    call: construct(nn.MultiheadAttention),
    args: () => [2, 1, { dropout: 0.1, bias: true, batchFirst: true, kdim: 3, vdim: 2, dtype: "float32" }],
  },
  {
    name: "TransformerEncoderLayer",
    call: construct(nn.TransformerEncoderLayer),
    args: () => [2, 1, { dimFeedforward: 4, dropout: 0.1, activation: "gelu", layerNormEps: 1e-5, batchFirst: true, normFirst: true }],
  },
  {
    name: "TransformerEncoder",
    call: construct(nn.TransformerEncoder),
    args: () => [new nn.TransformerEncoderLayer(2, 1, { dimFeedforward: 4 }), 2, { norm: new nn.LayerNorm(2) }],
  },
  { name: "CrossEntropyLoss", call: construct(nn.CrossEntropyLoss), args: () => [{ weight: [1, 2], ignoreIndex: 1, labelSmoothing: 0.1 }] },
  { name: "NLLLoss", call: construct(nn.NLLLoss), args: () => [{ weight: tensor([1, 2]), reduction: "sum" }] },
  { name: "MSELoss", call: construct(nn.MSELoss), args: () => [{ reduction: "sum" }] },
  { name: "L1Loss", call: construct(nn.L1Loss), args: () => [{ reduction: "none" }] },
  { name: "SmoothL1Loss", call: construct(nn.SmoothL1Loss), args: () => [{ beta: 0.5 }] },
  { name: "HuberLoss", call: construct(nn.HuberLoss), args: () => [{ delta: 2 }] },
  { name: "BCELoss", call: construct(nn.BCELoss), args: () => [{ weight: tensor([1, 2]) }] },
  { name: "BCEWithLogitsLoss", call: construct(nn.BCEWithLogitsLoss), args: () => [{ weight: tensor([1, 2]), posWeight: tensor([2, 1]) }] },
  { name: "KLDivLoss", call: construct(nn.KLDivLoss), args: () => [{ reduction: "batchmean", logTarget: true }] },
  { name: "TensorDataset", call: construct(TensorDataset), args: () => [x(), x()] },
  {
    name: "DataLoader",
    call: construct(DataLoader),
    args: () => [new TensorDataset(x()), { batchSize: 1, shuffle: false, dropLast: false, seed: 0 }],
  },
  { name: "trainTestSplit", call: nn.trainTestSplit, args: () => [10, { testFraction: 0.2, seed: 0 }] },
  { name: "readCsv", call: nn.readCsv, args: () => ["a,b\n1,0\n", { label: "b", optionalLabel: false }] },
  { name: "saveSafetensors", call: nn.saveSafetensors, args: () => [{ w: x() }, { format: "pt" }] },
  { name: "loadSafetensors", call: nn.loadSafetensors, args: () => [saveSafetensors({ w: x() })] },
  {
    name: "SGD",
    call: construct(optim.SGD),
    args: () => [params(), { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true }],
  },
  {
    name: "Adam",
    call: construct(optim.Adam),
    args: () => [params(), { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false }],
  },
  {
    name: "AdamW",
    call: construct(optim.AdamW),
    args: () => [params(), { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: true }],
  },
  {
    name: "RMSprop",
    call: construct(optim.RMSprop),
    args: () => [params(), { lr: 0.1, alpha: 0.9, eps: 1e-8, weightDecay: 0, momentum: 0.5, centered: true }],
  },
  {
    name: "Adagrad",
    call: construct(optim.Adagrad),
    args: () => [params(), { lr: 0.1, lrDecay: 0.1, weightDecay: 0, initialAccumulatorValue: 0.1, eps: 1e-10 }],
  },
  { name: "utils.clipGradNorm_", call: utils.clipGradNorm_, args: () => [withGrad(), 1, { normType: 2, errorIfNonfinite: true }] },
  { name: "utils.clipGradValue_", call: utils.clipGradValue_, args: () => [withGrad(), 0.1] },
  { name: "StepLR", call: construct(optim.StepLR), args: () => [sgd(), { stepSize: 2, gamma: 0.5 }] },
  { name: "CosineAnnealingLR", call: construct(optim.CosineAnnealingLR), args: () => [sgd(), { tMax: 3, etaMin: 0 }] },
  { name: "LinearLR", call: construct(optim.LinearLR), args: () => [sgd(), { startFactor: 0.5, endFactor: 1, totalIters: 3 }] },
  { name: "ExponentialLR", call: construct(optim.ExponentialLR), args: () => [sgd(), { gamma: 0.9 }] },
  { name: "MultiStepLR", call: construct(optim.MultiStepLR), args: () => [sgd(), { milestones: [1, 3], gamma: 0.5 }] },
  { name: "LambdaLR", call: construct(optim.LambdaLR), args: () => [sgd(), { lrLambda: (epoch: number) => 0.9 ** epoch }] },
  {
    name: "OneCycleLR",
    call: construct(optim.OneCycleLR),
    args: () => [
      sgd(),
      {
        maxLr: 1,
        totalSteps: 10,
        pctStart: 0.3,
        annealStrategy: "cos",
        cycleMomentum: true,
        baseMomentum: 0.85,
        maxMomentum: 0.95,
        divFactor: 25,
        finalDivFactor: 1e4,
        threePhase: false,
      },
    ],
  },
  {
    name: "CosineAnnealingWarmRestarts",
    call: construct(optim.CosineAnnealingWarmRestarts),
    args: () => [sgd(), { t0: 2, tMult: 2, etaMin: 0 }],
  },
  { name: "SequentialLR", call: (options: unknown) => sequential(options), args: () => [{ milestones: [2] }] },
  {
    name: "ReduceLROnPlateau",
    call: construct(optim.ReduceLROnPlateau),
    args: () => [sgd(), { mode: "min", factor: 0.1, patience: 2, threshold: 1e-4, thresholdMode: "rel", cooldown: 1, minLr: 0, eps: 1e-8 }],
  },
  { name: "defaultCollate", call: nn.defaultCollate, args: () => [[x(), x()]] },
  { name: "init.calculateGain", call: init.calculateGain, args: () => ["leaky_relu", 0.2] },
  { name: "init.calculateFanInAndFanOut", call: init.calculateFanInAndFanOut, args: () => [x()] },
  { name: "init.uniform_", call: init.uniform_, args: () => [x(), 0, 1, {}] },
  { name: "init.normal_", call: init.normal_, args: () => [x(), 0, 1, {}] },
  { name: "init.zeros_", call: init.zeros_, args: () => [x()] },
  { name: "init.ones_", call: init.ones_, args: () => [x()] },
  { name: "init.xavierUniform_", call: init.xavierUniform_, args: () => [x(), { gain: 1 }] },
  { name: "init.xavierNormal_", call: init.xavierNormal_, args: () => [x(), { gain: 1 }] },
  { name: "init.kaimingUniform_", call: init.kaimingUniform_, args: () => [x(), { a: 0, mode: "fanIn", nonlinearity: "relu" }] },
  { name: "init.kaimingNormal_", call: init.kaimingNormal_, args: () => [x(), { a: 0, mode: "fanOut", nonlinearity: "relu" }] },
  // methods
  { name: "Linear.forward", call: method(linear, "forward"), args: () => [x()] },
  { name: "Sequential.forward", call: method(() => new Sequential(linear(), new ReLU()), "forward"), args: () => [x()] },
  { name: "Sequential.at", call: method(() => new Sequential(linear()), "at"), args: () => [0] },
  { name: "ReLU.forward", call: method(() => new ReLU(), "forward"), args: () => [x()] },
  { name: "Tanh.forward", call: method(() => new nn.Tanh(), "forward"), args: () => [x()] },
  { name: "Sigmoid.forward", call: method(() => new nn.Sigmoid(), "forward"), args: () => [x()] },
  { name: "GELU.forward", call: method(() => new GELU(), "forward"), args: () => [x()] },
  { name: "LeakyReLU.forward", call: method(() => new nn.LeakyReLU(), "forward"), args: () => [x()] },
  { name: "ELU.forward", call: method(() => new nn.ELU(), "forward"), args: () => [x()] },
  { name: "SiLU.forward", call: method(() => new nn.SiLU(), "forward"), args: () => [x()] },
  { name: "Softplus.forward", call: method(() => new nn.Softplus(), "forward"), args: () => [x()] },
  { name: "Dropout.forward", call: method(() => new nn.Dropout(0.5), "forward"), args: () => [x()] },
  { name: "Flatten.forward", call: method(() => new nn.Flatten(), "forward"), args: () => [x()] },
  { name: "Unflatten.forward", call: method(() => new nn.Unflatten(1, [2, 1]), "forward"), args: () => [x()] },
  { name: "Identity.forward", call: method(() => new nn.Identity(), "forward"), args: () => [x()] },
  { name: "Softmax.forward", call: method(() => new nn.Softmax(1), "forward"), args: () => [x()] },
  { name: "LogSoftmax.forward", call: method(() => new nn.LogSoftmax(1), "forward"), args: () => [x()] },
  { name: "BatchNorm1d.forward", call: method(() => new nn.BatchNorm1d(2), "forward"), args: () => [x()] },
  { name: "BatchNorm2d.forward", call: method(() => new nn.BatchNorm2d(2), "forward"), args: () => [zeros([2, 2, 1, 1])] },
  { name: "LayerNorm.forward", call: method(() => new nn.LayerNorm(2), "forward"), args: () => [x()] },
  { name: "GroupNorm.forward", call: method(() => new nn.GroupNorm(1, 2), "forward"), args: () => [x()] },
  { name: "Embedding.forward", call: method(() => new nn.Embedding(3, 2), "forward"), args: () => [tensor([0, 2], { dtype: "int32" })] },
  { name: "RNN.forward", call: method(() => new nn.RNN(2, 3), "forward"), args: () => [zeros([4, 1, 2]), zeros([1, 1, 3])] },
  { name: "LSTM.forward", call: method(() => new nn.LSTM(2, 3), "forward"), args: () => [zeros([4, 2]), [zeros([1, 3]), zeros([1, 3])]] },
  {
    name: "GRU.forward",
    call: method(() => new nn.GRU(2, 3, { batchFirst: true }), "forward"),
    args: () => [zeros([1, 4, 2]), zeros([1, 1, 3])],
  },
  { name: "RNNCell.forward", call: method(() => new nn.RNNCell(2, 3), "forward"), args: () => [x(), zeros([2, 3])] },
  { name: "LSTMCell.forward", call: method(() => new nn.LSTMCell(2, 3), "forward"), args: () => [x(), [zeros([2, 3]), zeros([2, 3])]] },
  { name: "GRUCell.forward", call: method(() => new nn.GRUCell(2, 3), "forward"), args: () => [tensor([1, 2]), zeros([3])] },
  { name: "CrossEntropyLoss.forward", call: method(() => new nn.CrossEntropyLoss(), "forward"), args: () => [x(), classes()] },
  { name: "NLLLoss.forward", call: method(() => new nn.NLLLoss(), "forward"), args: () => [x(), classes()] },
  { name: "MSELoss.forward", call: method(() => new nn.MSELoss(), "forward"), args: () => [x(), x()] },
  { name: "L1Loss.forward", call: method(() => new nn.L1Loss(), "forward"), args: () => [x(), x()] },
  { name: "SmoothL1Loss.forward", call: method(() => new nn.SmoothL1Loss(), "forward"), args: () => [x(), x()] },
  { name: "HuberLoss.forward", call: method(() => new nn.HuberLoss(), "forward"), args: () => [x(), x()] },
  { name: "BCELoss.forward", call: method(() => new nn.BCELoss(), "forward"), args: () => [halves(), halves()] },
  { name: "BCEWithLogitsLoss.forward", call: method(() => new nn.BCEWithLogitsLoss(), "forward"), args: () => [x(), halves()] },
  { name: "KLDivLoss.forward", call: method(() => new nn.KLDivLoss(), "forward"), args: () => [x(), halves()] },
  {
    name: "Conv1d.forward",
    call: method(() => new nn.Conv1d(2, 3, 2, { paddingMode: "circular", padding: 1 }), "forward"),
    args: () => [x()],
  },
  { name: "Conv2d.forward", call: method(() => new nn.Conv2d(1, 3, 2), "forward"), args: () => [x().unsqueeze(0)] },
  { name: "ConvTranspose1d.forward", call: method(() => new nn.ConvTranspose1d(2, 3, 2), "forward"), args: () => [x()] },
  { name: "ConvTranspose2d.forward", call: method(() => new nn.ConvTranspose2d(1, 3, 2), "forward"), args: () => [x().unsqueeze(0)] },
  { name: "MaxPool1d.forward", call: method(() => new nn.MaxPool1d(2), "forward"), args: () => [x()] },
  { name: "MaxPool2d.forward", call: method(() => new nn.MaxPool2d(2), "forward"), args: () => [x().unsqueeze(0)] },
  { name: "AvgPool1d.forward", call: method(() => new nn.AvgPool1d(2), "forward"), args: () => [x()] },
  { name: "AvgPool2d.forward", call: method(() => new nn.AvgPool2d(2), "forward"), args: () => [x().unsqueeze(0)] },
  { name: "AdaptiveAvgPool1d.forward", call: method(() => new nn.AdaptiveAvgPool1d(1), "forward"), args: () => [x()] },
  { name: "AdaptiveAvgPool2d.forward", call: method(() => new nn.AdaptiveAvgPool2d(1), "forward"), args: () => [x().unsqueeze(0)] },
  { name: "Module.train", call: method(linear, "train"), args: () => [true] },
  { name: "Module.apply", call: method(linear, "apply"), args: () => [() => undefined] },
  { name: "Module.registerBuffer", call: method(linear, "registerBuffer"), args: () => ["running", zeros([2]), { persistent: false }] },
  {
    name: "MultiheadAttention.forward",
    call: method(() => new nn.MultiheadAttention(2, 1), "forward"),
    args: () => [
      x(),
      x(),
      x(),
      {
        keyPaddingMask: tensor([false, true]),
        needWeights: true,
        attnMask: tensor([
          [false, true],
          [false, false],
        ]),
        averageAttnWeights: false,
        isCausal: false,
      },
    ],
  },
  {
    name: "TransformerEncoderLayer.forward",
    call: method(() => new nn.TransformerEncoderLayer(2, 1, { dimFeedforward: 4 }), "forward"),
    args: () => [x(), { srcMask: zeros([2, 2]), srcKeyPaddingMask: tensor([false, false]), isCausal: false }],
  },
  {
    name: "TransformerEncoderLayer.copy",
    call: method(() => new nn.TransformerEncoderLayer(2, 1, { dimFeedforward: 4 }), "copy"),
    args: () => [],
  },
  {
    name: "TransformerEncoder.forward",
    call: method(() => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(2, 1, { dimFeedforward: 4 }), 1), "forward"),
    args: () => [x(), { mask: zeros([2, 2]), srcKeyPaddingMask: tensor([false, false]), isCausal: false }],
  },
  { name: "ModuleList.append", call: method(() => new nn.ModuleList(), "append"), args: () => [new ReLU()] },
  { name: "ModuleList.extend", call: method(() => new nn.ModuleList(), "extend"), args: () => [[new ReLU()]] },
  { name: "ModuleList.insert", call: method(() => new nn.ModuleList([linear()]), "insert"), args: () => [0, new ReLU()] },
  { name: "ModuleList.at", call: method(() => new nn.ModuleList([linear()]), "at"), args: () => [0] },
  { name: "ModuleDict.set", call: method(() => new nn.ModuleDict(), "set"), args: () => ["act", new ReLU()] },
  { name: "ModuleDict.get", call: method(() => new nn.ModuleDict({ act: new ReLU() }), "get"), args: () => ["act"] },
  { name: "ModuleDict.has", call: method(() => new nn.ModuleDict({ act: new ReLU() }), "has"), args: () => ["act"] },
  { name: "ModuleDict.delete", call: method(() => new nn.ModuleDict({ act: new ReLU() }), "delete"), args: () => ["act"] },
  { name: "Module.loadStateDict", call: method(linear, "loadStateDict"), args: () => [linear().stateDict(), { strict: true }] },
  { name: "TensorDataset.get", call: method(() => new TensorDataset(x()), "get"), args: () => [0] },
  { name: "SGD.step", call: method(sgd, "step"), args: () => [] },
  { name: "SGD.loadStateDict", call: method(sgd, "loadStateDict"), args: () => [sgd().stateDict()] },
  { name: "SGD.addParamGroup", call: method(sgd, "addParamGroup"), args: () => [{ params: params(), lr: 0.2 }] },
  { name: "Adam.step", call: method(adam, "step"), args: () => [] },
  { name: "Adam.loadStateDict", call: method(adam, "loadStateDict"), args: () => [adam().stateDict()] },
  { name: "RMSprop.step", call: method(rmsprop, "step"), args: () => [] },
  { name: "RMSprop.loadStateDict", call: method(rmsprop, "loadStateDict"), args: () => [steppedState(rmsprop)] },
  { name: "Adagrad.step", call: method(adagrad, "step"), args: () => [] },
  { name: "Adagrad.loadStateDict", call: method(adagrad, "loadStateDict"), args: () => [steppedState(adagrad)] },
  {
    name: "StepLR.loadStateDict",
    call: method(() => new optim.StepLR(sgd(), { stepSize: 2 }), "loadStateDict"),
    args: () => [new optim.StepLR(sgd(), { stepSize: 2 }).stateDict()],
  },
  {
    name: "CosineAnnealingLR.loadStateDict",
    call: method(() => new optim.CosineAnnealingLR(sgd(), { tMax: 2 }), "loadStateDict"),
    args: () => [new optim.CosineAnnealingLR(sgd(), { tMax: 2 }).stateDict()],
  },
  ...(
    [
      ["LinearLR", () => new optim.LinearLR(sgd())],
      ["ExponentialLR", () => new optim.ExponentialLR(sgd(), { gamma: 0.9 })],
      ["MultiStepLR", () => new optim.MultiStepLR(sgd(), { milestones: [1] })],
      ["LambdaLR", () => new optim.LambdaLR(sgd(), { lrLambda: () => 1 })],
      ["OneCycleLR", () => new optim.OneCycleLR(sgd(), { maxLr: 1, totalSteps: 5 })],
      ["CosineAnnealingWarmRestarts", () => new optim.CosineAnnealingWarmRestarts(sgd(), { t0: 2 })],
      ["SequentialLR", () => sequential({ milestones: [2] })],
      ["ReduceLROnPlateau", () => new optim.ReduceLROnPlateau(sgd())],
    ] as [string, () => { stateDict(): unknown }][]
  ).map(
    ([name, make]): ScanCase => ({ name: `${name}.loadStateDict`, call: method(make, "loadStateDict"), args: () => [make().stateDict()] }),
  ),
  { name: "ReduceLROnPlateau.step", call: method(() => new optim.ReduceLROnPlateau(sgd()), "step"), args: () => [1] },
  {
    name: "DataLoader.collate",
    call: (dataset: unknown, options: unknown) => [...new DataLoader(dataset as nn.Dataset, options as nn.DataLoaderOptions<unknown>)],
    args: () => [
      { length: 2, get: (i: number) => [x(), i, { flag: true }] },
      { batchSize: 2, collate: nn.defaultCollate },
    ],
  },
  // the Node entry point; its paths are real files, so "x" only names a file that is not there
  {
    name: "saveFile",
    call: (path: unknown, ...rest: unknown[]) =>
      nodeIo.saveFile(path === "x" ? join(directory, "x") : (path as string), ...(rest as [Record<string, Tensor>])),
    args: () => [join(directory, "out.safetensors"), { w: x() }, { format: "pt" }],
  },
  { name: "loadFile", call: nodeIo.loadFile, args: () => [savedFile] },
  { name: "readCsvFile", call: nodeIo.readCsvFile, args: () => [csvFile, { label: "b" }] },
];

// Abstract bases, error types and the namespaces scanned through their members above.
const NOT_SCANNED = new Set(["Module", "Optimizer", "LRScheduler", "init", "optim", "utils"]);

describe("wrong-typed arguments throw NablaError", () => {
  it("every export of @nabla/nn is scanned", () => {
    const scanned = new Set(CASES.map((c) => c.name.replace(/^(init|utils)\./, "")));
    const exported = [...Object.keys(nn), ...Object.keys(nn.init), ...Object.keys(nn.optim), ...Object.keys(nn.utils)].filter(
      (name) => !NOT_SCANNED.has(name) && typeof (nn as Record<string, unknown>)[name] !== "object",
    );
    expect(exported.filter((name) => !scanned.has(name))).toEqual([]);
    expect(Module).toBeDefined();
  });

  it("functions, constructors and methods", () => {
    expect(scanArguments(CASES)).toEqual([]);
  });
});

/**
 * Modules, layers, initialisers, optimizers and learning-rate schedules, data loading, and
 * safetensors serialisation. Everything here runs in browsers too; file helpers are in
 * `@nabla/nn/node`.
 *
 * @module @nabla/nn
 */
// nn's users get every Tensor method of @nabla/tensor and @nabla/ops (`x.softmax()`) just by importing
// @nabla/nn; nn's own modules import the functional entries and call the op functions
import "@nabla/tensor";
import "@nabla/ops";
export { TensorDataset } from "./data/dataset";
export { DataLoader, type DataLoaderOptions } from "./data/dataloader";
export { defaultCollate, type Collated, type Dataset } from "./data/collate";
export { trainTestSplit, type TrainTestSplitOptions } from "./data/split";
export { readCsv, type CsvData, type ReadCsvOptions } from "./data/csv";
export { saveSafetensors, loadSafetensors, type SafetensorsContents } from "./io/safetensors";
export { Module, type LoadStateDictOptions, type LoadStateDictResult, type RegisterBufferOptions } from "./module";
export { Linear, linear, Identity, type LinearOptions } from "./layers/linear";
export { Sequential } from "./layers/sequential";
export { ModuleList, ModuleDict } from "./layers/containers";
export { ReLU, Tanh, Sigmoid, GELU, type GELUOptions } from "./layers/activation";
export { LeakyReLU, ELU, SiLU, Softplus } from "./layers/activation";
export { Dropout } from "./layers/dropout";
export { Flatten, Unflatten } from "./layers/flatten";
export {
  BatchNorm1d,
  BatchNorm2d,
  LayerNorm,
  GroupNorm,
  type BatchNormModuleOptions,
  type LayerNormModuleOptions,
  type GroupNormModuleOptions,
} from "./layers/norm";
export { Embedding, type EmbeddingModuleOptions } from "./layers/embedding";
export { Softmax, LogSoftmax } from "./layers/softmax";
export { MultiheadAttention, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions } from "./layers/attention";
export {
  TransformerEncoderLayer,
  TransformerEncoder,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderOptions,
  type TransformerEncoderForwardOptions,
} from "./layers/transformer";
export {
  RNNCell,
  LSTMCell,
  GRUCell,
  type RNNCellOptions,
  type RecurrentCellOptions,
  type RNNNonlinearity,
} from "./layers/recurrent-cells";
export { RNN, LSTM, GRU, type RNNOptions, type LSTMOptions, type GRUOptions } from "./layers/recurrent";
export {
  CrossEntropyLoss,
  NLLLoss,
  MSELoss,
  L1Loss,
  SmoothL1Loss,
  HuberLoss,
  BCELoss,
  BCEWithLogitsLoss,
  KLDivLoss,
} from "./layers/loss";
export { Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d } from "./layers/conv";
export type { ConvLayerOptions, ConvTransposeLayerOptions, PaddingMode } from "./layers/conv";
export { MaxPool1d, MaxPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool1d, AdaptiveAvgPool2d } from "./layers/pool";
/**
 * Weight initialisers, as PyTorch's `torch.nn.init`: each fills a tensor in place without recording
 * a graph, so it works on parameters, and returns it.
 *
 * @example
 * ```ts
 * const layer = new Linear(4, 8);
 * init.kaimingNormal_(layer.weight, { nonlinearity: "relu" });
 * init.zeros_(layer.bias!);
 * layer.bias; // → [0, 0, 0, 0, 0, 0, 0, 0]
 * ```
 */
export * as init from "./init";
/**
 * Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad) and learning-rate schedulers (StepLR, MultiStepLR,
 * ExponentialLR, LinearLR, LambdaLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR,
 * SequentialLR, ReduceLROnPlateau), as PyTorch's `torch.optim`, step for step.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const model = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 1));
 * const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
 * const x = tensor([[0, 1], [1, 0], [1, 1]]);
 * const y = tensor([[1], [-1], [0]]);
 * const losses: number[] = [];
 * for (let step = 0; step < 50; step++) {
 *   optimizer.zeroGrad();
 *   const loss = model.forward(x).sub(y).square().mean();
 *   loss.backward();
 *   optimizer.step();
 *   losses.push(loss.item() as number);
 * }
 * losses[49]! < losses[0]! / 10; // → true
 * ```
 */
export * as optim from "./optim/index";
/**
 * Gradient utilities, as PyTorch's `torch.nn.utils`: `clipGradNorm_` and `clipGradValue_` rescale
 * or clamp the parameters' gradients in place between `backward()` and `optimizer.step()`.
 *
 * @example
 * ```ts
 * const model = new Linear(3, 1);
 * model.forward(tensor([[100, 200, 300]])).sum().backward();
 * const total = utils.clipGradNorm_(model.parameters(), 1);
 * (total.item() as number) > 1;                    // → true
 * utils.clipGradNorm_(model.parameters(), 1).item(); // → 1.000
 * ```
 */
export * as utils from "./utils";

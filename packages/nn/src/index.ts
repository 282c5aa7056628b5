/**
 * Modules, layers, initialisers, optimizers and learning-rate schedules, data loading, and
 * safetensors serialisation. Everything here runs in browsers too; file helpers are in
 * `@nabla/nn/node`.
 *
 * @module @nabla/nn
 */
export { TensorDataset } from "./data/dataset";
export { DataLoader, type DataLoaderOptions } from "./data/dataloader";
export { trainTestSplit, type TrainTestSplitOptions } from "./data/split";
export { readCsv, type CsvData, type ReadCsvOptions } from "./data/csv";
export { saveSafetensors, loadSafetensors, type SafetensorsContents } from "./io/safetensors";
export { Module, type LoadStateDictOptions, type LoadStateDictResult } from "./module";
export { Linear, linear, type LinearOptions } from "./layers/linear";
export { Sequential } from "./layers/sequential";
export { ReLU, Tanh, Sigmoid, GELU, type GELUOptions } from "./layers/activation";
export { Dropout } from "./layers/dropout";
export { Flatten } from "./layers/flatten";
export * as init from "./init";
export * as optim from "./optim/index";

export { Optimizer } from "./optimizer";
export type { BaseHyperparameters, OptimizerStateDict, ParamGroup, ParamGroupInput, ParamState } from "./optimizer";
export { SGD } from "./sgd";
export type { SGDHyperparameters, SGDOptions, SGDState } from "./sgd";
export { Adam, AdamW } from "./adam";
export type { AdamHyperparameters, AdamOptions, AdamState } from "./adam";
export { CosineAnnealingLR, LRScheduler, StepLR } from "./lr-scheduler";
export type {
  CosineAnnealingLROptions,
  CosineAnnealingLRStateDict,
  LRSchedulerStateDict,
  StepLROptions,
  StepLRStateDict,
} from "./lr-scheduler";

export { Optimizer } from "./optimizer";
export type { BaseHyperparameters, OptimizerStateDict, ParamGroup, ParamGroupInput, ParamState } from "./optimizer";
export { SGD } from "./sgd";
export type { SGDHyperparameters, SGDOptions, SGDState } from "./sgd";
export { Adam, AdamW } from "./adam";
export type { AdamHyperparameters, AdamOptions, AdamState } from "./adam";
export { RMSprop } from "./rmsprop";
export type { RMSpropHyperparameters, RMSpropOptions, RMSpropState } from "./rmsprop";
export { Adagrad } from "./adagrad";
export type { AdagradHyperparameters, AdagradOptions, AdagradState } from "./adagrad";
export { CosineAnnealingLR, LRScheduler, StepLR } from "./lr-scheduler";
export type {
  CosineAnnealingLROptions,
  CosineAnnealingLRStateDict,
  LRSchedulerStateDict,
  StepLROptions,
  StepLRStateDict,
} from "./lr-scheduler";
export { ExponentialLR, LambdaLR, LinearLR, MultiStepLR } from "./lr-decay";
export type {
  ExponentialLROptions,
  ExponentialLRStateDict,
  LambdaLROptions,
  LinearLROptions,
  LinearLRStateDict,
  LRLambda,
  MultiStepLROptions,
  MultiStepLRStateDict,
} from "./lr-decay";
export { CosineAnnealingWarmRestarts, OneCycleLR } from "./lr-cyclic";
export type {
  CosineAnnealingWarmRestartsOptions,
  CosineAnnealingWarmRestartsStateDict,
  OneCycleLROptions,
  OneCycleLRStateDict,
} from "./lr-cyclic";
export { SequentialLR } from "./lr-sequential";
export type { SequentialLROptions, SequentialLRStateDict } from "./lr-sequential";
export { ReduceLROnPlateau } from "./lr-plateau";
export type { ReduceLROnPlateauOptions, ReduceLROnPlateauStateDict } from "./lr-plateau";

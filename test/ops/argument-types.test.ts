import { describe, expect, it } from "vitest";
import { ones, tensor } from "@nabla/tensor";
import * as ops from "@nabla/ops";
import { functionCases, scanArguments, unscannedFunctions } from "../support/argument-scan";

// Every function of @nabla/ops called with null, true, {}, "x" and NaN in each argument position in
// turn: it must work or throw a NablaError, never a TypeError or RangeError.

const logits = () =>
  tensor([
    [1, 2, 3],
    [0, -1, 2],
  ]);
const targets = () => tensor([2, 0], { dtype: "int32" });
const probabilities = () =>
  tensor([
    [0.2, 0.5, 0.3],
    [0.9, 0.05, 0.05],
  ]);

const FUNCTIONS: Record<string, () => unknown[]> = {
  softmax: () => [logits(), -1],
  logSoftmax: () => [logits(), -1],
  logsumexp: () => [logits(), 1, false],
  softmaxBackward: () => [ops.softmax(logits(), -1), logits(), -1],
  logSoftmaxBackward: () => [ops.logSoftmax(logits(), -1), logits(), -1],
  softmaxJacobian: () => [tensor([1, 2, 3])],
  crossEntropy: () => [logits(), targets(), { weight: tensor([1, 1, 1]), ignoreIndex: -100, reduction: "mean", labelSmoothing: 0.1 }],
  nllLoss: () => [ops.logSoftmax(logits(), -1), targets(), { weight: tensor([1, 1, 1]), ignoreIndex: -100, reduction: "sum" }],
  layerNorm: () => [logits(), [3], { weight: tensor([1, 1, 1]), bias: tensor([0, 0, 0]), eps: 1e-5 }],
  batchNorm: () => [
    logits(),
    tensor([0, 0, 0]),
    tensor([1, 1, 1]),
    { weight: tensor([1, 1, 1]), bias: tensor([0, 0, 0]), training: true, momentum: 0.1, eps: 1e-5 },
  ],
  groupNorm: () => [logits(), 3, { weight: tensor([1, 1, 1]), bias: tensor([0, 0, 0]), eps: 1e-5 }],
  embedding: () => [targets(), logits().T, { paddingIdx: 0 }],
  dropout: () => [logits(), 0.5, true],
  scaledDotProductAttention: () => [
    logits(),
    logits(),
    logits(),
    {
      attnMask: tensor([
        [true, false],
        [true, true],
      ]),
      dropoutP: 0.1,
      isCausal: false,
      scale: 0.5,
    },
  ],
  attentionWeights: () => [logits(), logits(), { attnMask: logits().narrow(1, 0, 2), isCausal: false, scale: 0.5 }],
  mseLoss: () => [logits(), logits(), { reduction: "sum" }],
  l1Loss: () => [logits(), logits(), { reduction: "none" }],
  smoothL1Loss: () => [logits(), logits(), { reduction: "mean", beta: 0.5 }],
  huberLoss: () => [logits(), logits(), { reduction: "mean", delta: 2 }],
  binaryCrossEntropy: () => [probabilities(), probabilities(), { weight: tensor([1, 2, 1]), reduction: "sum" }],
  binaryCrossEntropyWithLogits: () => [
    logits(),
    probabilities(),
    { weight: tensor([1, 2, 1]), posWeight: tensor([2, 1, 1]), reduction: "mean" },
  ],
  klDiv: () => [ops.logSoftmax(logits(), -1), probabilities(), { reduction: "batchmean", logTarget: false }],
  conv1d: () => [ones([1, 2, 5]), ones([4, 1, 3]), ones([4]), { stride: 1, padding: 1, dilation: 1, groups: 2 }],
  conv2d: () => [ones([1, 2, 5, 5]), ones([4, 1, 3, 3]), ones([4]), { stride: [1, 1], padding: "same", dilation: [2, 1], groups: 2 }],
  convTranspose1d: () => [ones([1, 2, 5]), ones([2, 2, 3]), ones([2]), { stride: 2, padding: 1, outputPadding: 1, groups: 1, dilation: 1 }],
  convTranspose2d: () => [
    ones([1, 2, 3, 3]),
    ones([2, 1, 3, 3]),
    ones([2]),
    { stride: 2, padding: 0, outputPadding: 0, groups: 2, dilation: 1 },
  ],
  unfold: () => [ones([1, 2, 4, 4]), 2, { dilation: 1, padding: 1, stride: 2 }],
  maxPool1d: () => [ones([1, 2, 6]), 2, { stride: 2, padding: 1, dilation: 1, ceilMode: true }],
  maxPool2d: () => [ones([1, 2, 6, 6]), [2, 3], { stride: 2, padding: 1, dilation: 1, ceilMode: false }],
  avgPool1d: () => [ones([1, 2, 6]), 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }],
  avgPool2d: () => [ones([1, 2, 6, 6]), 2, { stride: 1, padding: 1, ceilMode: false, countIncludePad: true }],
  adaptiveAvgPool1d: () => [ones([1, 2, 6]), 4],
  adaptiveAvgPool2d: () => [ones([1, 2, 6, 6]), [3, null]],
};

describe("wrong-typed arguments throw NablaError", () => {
  it("every exported function has a scan row", () => {
    expect(unscannedFunctions(ops, FUNCTIONS)).toEqual([]);
  });

  it("exported functions", () => {
    expect(scanArguments(functionCases(ops, FUNCTIONS))).toEqual([]);
  });
});

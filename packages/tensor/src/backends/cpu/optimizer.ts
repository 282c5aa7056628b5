import { numelOf } from "../../shape";
import type { OptimizerStep } from "../primitives";
import type { HostView } from "./iterate";

// The reference kernel of optimizerUpdate: one loop over a parameter, writing it and its state in
// place. Written with tensor ops, one parameter's update is 5–13 ops, each allocating a fresh
// array, and on small models the allocations and the dispatch cost more than the arithmetic.
//
// The loop rounds with `roundTo` exactly where the tensor-op form of the update stores an
// intermediate tensor of the parameter's dtype (scalar operands included, since they become 0-d
// tensors of that dtype), in the same order, so both forms give the same bits.

/**
 * `x` as stored in a float32 (rounded to the nearest float32) or float64 (unchanged) element. A flag
 * rather than a choice of function: V8 inlines this, where a call through a variable holding either
 * Math.fround or the identity would not be inlined once both have been seen.
 */
export function roundTo(float32: boolean, x: number): number {
  return float32 ? Math.fround(x) : x;
}

type Floats = Float32Array | Float64Array;

/** The loop of one rule (see optimizerUpdate below). */
type RuleUpdate<R extends OptimizerStep["rule"]> = (
  step: Extract<OptimizerStep, { rule: R }>,
  param: HostView,
  grad: HostView,
  state: readonly (HostView | null)[],
) => void;

/** The buffer of a (contiguous) view, or null for an absent state entry. */
const values = (view: HostView | null | undefined): Floats | null => (view === null || view === undefined ? null : (view.buffer as Floats));

/** SGD's scalars, each rounded as the tensor-op form's 0-d operands. */
export function sgdScalars(f32: boolean, step: Extract<OptimizerStep, { rule: "sgd" }>) {
  return {
    decay: roundTo(f32, step.weightDecay),
    momentum: roundTo(f32, step.momentum),
    directionScale: roundTo(f32, 1 - step.dampening),
    negativeLr: roundTo(f32, -step.lr),
  };
}

/** Adam's and AdamW's scalars, rounded likewise; the bias corrections are folded into them, as PyTorch does. */
export function adamScalars(f32: boolean, step: Extract<OptimizerStep, { rule: "adam" | "adamw" }>) {
  const { lr, beta1, beta2, eps, weightDecay } = step;
  // θ = θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε), rather than forming m̂ and v̂
  const stepSize = lr / (1 - beta1 ** step.step);
  return {
    shrink: roundTo(f32, 1 - lr * weightDecay),
    decay: roundTo(f32, weightDecay),
    beta1: roundTo(f32, beta1),
    beta2: roundTo(f32, beta2),
    gradScale1: roundTo(f32, 1 - beta1),
    gradScale2: roundTo(f32, 1 - beta2),
    correction2: roundTo(f32, Math.sqrt(1 - beta2 ** step.step)),
    eps: roundTo(f32, eps),
    negativeStepSize: roundTo(f32, -stepSize),
    decoupled: step.rule === "adamw",
    decayGrad: step.rule === "adam" && weightDecay !== 0,
  };
}

const sgd: RuleUpdate<"sgd"> = (step, param, grad, state) => {
  const f32 = param.buffer instanceof Float32Array;
  const { decay, momentum, directionScale, negativeLr } = sgdScalars(f32, step);
  const { weightDecay, nesterov, startsBuffer } = step;
  const theta = param.buffer as Floats;
  const g = grad.buffer as Floats;
  const b = values(state[0]);
  const [thetaOffset, gOffset, bOffset] = [param.offset, grad.offset, state[0]?.offset ?? 0];
  for (let i = 0, n = numelOf(param.shape); i < n; i++) {
    const thetaI = theta[thetaOffset + i]!;
    // d = g + weightDecay·θ
    let d = g[gOffset + i]!;
    if (weightDecay !== 0) d = roundTo(f32, d + roundTo(f32, thetaI * decay));
    if (b !== null) {
      // b = d on the first step, else momentum·b + (1 − dampening)·d; d = d + momentum·b (nesterov) or b
      const bI = startsBuffer ? d : roundTo(f32, roundTo(f32, b[bOffset + i]! * momentum) + roundTo(f32, d * directionScale));
      b[bOffset + i] = bI;
      d = nesterov ? roundTo(f32, d + roundTo(f32, bI * momentum)) : bI;
    }
    theta[thetaOffset + i] = roundTo(f32, thetaI + roundTo(f32, d * negativeLr));
  }
};

const adam: RuleUpdate<"adam" | "adamw"> = (step, param, grad, state) => {
  const f32 = param.buffer instanceof Float32Array;
  const s = adamScalars(f32, step);
  const theta = param.buffer as Floats;
  const g = grad.buffer as Floats;
  const m = values(state[0])!;
  const v = values(state[1])!;
  const vMax = step.amsgrad ? values(state[2]) : null;
  const [thetaOffset, gOffset, mOffset, vOffset] = [param.offset, grad.offset, state[0]!.offset, state[1]!.offset];
  const vMaxOffset = state[2]?.offset ?? 0;
  for (let i = 0, n = numelOf(param.shape); i < n; i++) {
    let thetaI = theta[thetaOffset + i]!;
    let gI = g[gOffset + i]!;
    // AdamW shrinks θ (decoupled decay); Adam adds weightDecay·θ to the gradient (L2)
    if (s.decoupled) thetaI = roundTo(f32, thetaI * s.shrink);
    else if (s.decayGrad) gI = roundTo(f32, gI + roundTo(f32, thetaI * s.decay));
    // m = β₁m + (1 − β₁)g,  v = β₂v + (1 − β₂)g²
    const mI = roundTo(f32, roundTo(f32, m[mOffset + i]! * s.beta1) + roundTo(f32, gI * s.gradScale1));
    const vI = roundTo(f32, roundTo(f32, v[vOffset + i]! * s.beta2) + roundTo(f32, roundTo(f32, gI * gI) * s.gradScale2));
    m[mOffset + i] = mI;
    v[vOffset + i] = vI;
    let secondMoment = vI;
    if (vMax !== null) {
      const previous = vMax[vMaxOffset + i]!;
      // maximum(previous, v) as the tensor op computes it: NaN propagates, a tie takes v
      // biome-ignore lint/complexity/useMathMinMax: a tie takes v, which Math.max does not for ±0
      secondMoment = previous !== previous || vI !== vI ? NaN : previous > vI ? previous : vI;
      vMax[vMaxOffset + i] = secondMoment;
    }
    const denominator = roundTo(f32, roundTo(f32, roundTo(f32, Math.sqrt(secondMoment)) / s.correction2) + s.eps);
    theta[thetaOffset + i] = roundTo(f32, thetaI + roundTo(f32, roundTo(f32, mI / denominator) * s.negativeStepSize));
  }
};

const rmsprop: RuleUpdate<"rmsprop"> = (step, param, grad, state) => {
  const f32 = param.buffer instanceof Float32Array;
  const decay = roundTo(f32, step.weightDecay);
  const alpha = roundTo(f32, step.alpha);
  const gradScale = roundTo(f32, 1 - step.alpha);
  const eps = roundTo(f32, step.eps);
  const momentum = roundTo(f32, step.momentum);
  const negativeLr = roundTo(f32, -step.lr);
  const theta = param.buffer as Floats;
  const g = grad.buffer as Floats;
  const v = values(state[0])!;
  const b = step.momentum > 0 ? values(state[1]) : null;
  const gAvg = step.centered ? values(state[2]) : null;
  const [thetaOffset, gOffset, vOffset, bOffset, gAvgOffset] = [
    param.offset,
    grad.offset,
    state[0]!.offset,
    state[1]?.offset ?? 0,
    state[2]?.offset ?? 0,
  ];
  for (let i = 0, n = numelOf(param.shape); i < n; i++) {
    const thetaI = theta[thetaOffset + i]!;
    let gI = g[gOffset + i]!;
    if (step.weightDecay !== 0) gI = roundTo(f32, gI + roundTo(f32, thetaI * decay));
    // v = αv + (1 − α)g²
    const vI = roundTo(f32, roundTo(f32, v[vOffset + i]! * alpha) + roundTo(f32, roundTo(f32, gI * gI) * gradScale));
    v[vOffset + i] = vI;
    // a = √v + ε, or √(v − ḡ²) + ε with ḡ = αḡ + (1 − α)g when centered
    let average: number;
    if (gAvg !== null) {
      const gAvgI = roundTo(f32, roundTo(f32, gAvg[gAvgOffset + i]! * alpha) + roundTo(f32, gI * gradScale));
      gAvg[gAvgOffset + i] = gAvgI;
      average = roundTo(f32, Math.sqrt(roundTo(f32, vI - roundTo(f32, gAvgI * gAvgI))));
    } else {
      average = roundTo(f32, Math.sqrt(vI));
    }
    average = roundTo(f32, average + eps);
    // b = momentum·b + g/a, θ = θ − lr·b with momentum; θ = θ − lr·g/a without
    let direction = roundTo(f32, gI / average);
    if (b !== null) {
      direction = roundTo(f32, roundTo(f32, b[bOffset + i]! * momentum) + direction);
      b[bOffset + i] = direction;
    }
    theta[thetaOffset + i] = roundTo(f32, thetaI + roundTo(f32, direction * negativeLr));
  }
};

const adagrad: RuleUpdate<"adagrad"> = (step, param, grad, state) => {
  const f32 = param.buffer instanceof Float32Array;
  const decay = roundTo(f32, step.weightDecay);
  const eps = roundTo(f32, step.eps);
  // lr / (1 + (t − 1)·lrDecay)
  const negativeLr = roundTo(f32, -(step.lr / (1 + (step.step - 1) * step.lrDecay)));
  const theta = param.buffer as Floats;
  const g = grad.buffer as Floats;
  const sum = values(state[0])!;
  const [thetaOffset, gOffset, sumOffset] = [param.offset, grad.offset, state[0]!.offset];
  for (let i = 0, n = numelOf(param.shape); i < n; i++) {
    const thetaI = theta[thetaOffset + i]!;
    let gI = g[gOffset + i]!;
    if (step.weightDecay !== 0) gI = roundTo(f32, gI + roundTo(f32, thetaI * decay));
    // s = s + g², θ = θ − clr · g / (√s + ε)
    const sumI = roundTo(f32, sum[sumOffset + i]! + roundTo(f32, gI * gI));
    sum[sumOffset + i] = sumI;
    const denominator = roundTo(f32, roundTo(f32, Math.sqrt(sumI)) + eps);
    theta[thetaOffset + i] = roundTo(f32, thetaI + roundTo(f32, roundTo(f32, gI / denominator) * negativeLr));
  }
};

/** The reference optimizerUpdate: the rule's loop over the parameter's elements. */
export function optimizerUpdate(step: OptimizerStep, param: HostView, grad: HostView, state: readonly (HostView | null)[]): void {
  switch (step.rule) {
    case "sgd":
      sgd(step, param, grad, state);
      break;
    case "adam":
    case "adamw":
      adam(step, param, grad, state);
      break;
    case "rmsprop":
      rmsprop(step, param, grad, state);
      break;
    case "adagrad":
      adagrad(step, param, grad, state);
      break;
  }
}

import { add, add_, copy_, div, maximum, mul, mul_, NablaError, noGrad, sqrt, type Tensor, zerosLike } from "@nabla/tensor/functional";
import { checkOptions, describeValue, type OptimizerStep } from "@nabla/tensor/internal";
import { updateParameter } from "./fused-update";
import { Optimizer, type ParamGroupInput, type StateFields } from "./optimizer";

/** Adam's and AdamW's hyperparameters, per group (PyTorch's, camelCase). */
export interface AdamHyperparameters {
  /** The learning rate, ≥ 0 (default 1e-3). */
  lr: number;
  /** The decay rates [β₁, β₂] of the first and second moment estimates, each in [0, 1) (default [0.9, 0.999]). */
  betas: [number, number];
  /** Added to √v for stability, ≥ 0 (default 1e-8). */
  eps: number;
  /** Weight decay, ≥ 0 (default 0 for Adam, where it is an L2 term; 1e-2 for AdamW, where it is decoupled). */
  weightDecay: number;
  /** Normalise by the largest v seen so far (default false). */
  amsgrad: boolean;
}

/** The options of Adam and AdamW: every hyperparameter is optional. */
export type AdamOptions = Partial<AdamHyperparameters>;

/** Created by the first step that updates the parameter; `maxExpAvgSq` only with amsgrad. */
export type AdamState = {
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  maxExpAvgSq?: Tensor;
};

/**
 * Adam and AdamW: the same moment estimates, differing only in how weight decay enters (added to the
 * gradient as an L2 penalty, or decoupled: θ shrunk by lr·weightDecay before the update).
 */
abstract class AdaptiveMomentOptimizer extends Optimizer<AdamHyperparameters, AdamState> {
  private readonly decoupledWeightDecay: boolean;
  protected readonly stateFields: StateFields = { counters: ["step"], tensors: ["expAvg", "expAvgSq"], optional: ["maxExpAvgSq"] };

  protected constructor(
    name: string,
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamHyperparameters>>,
    defaults: AdamHyperparameters,
    decoupledWeightDecay: boolean,
  ) {
    super(name, params, defaults);
    this.decoupledWeightDecay = decoupledWeightDecay;
  }

  /** Throws for lr, eps or weightDecay below 0 (or not numbers), betas that are not a pair in [0, 1) and an amsgrad that is not a boolean. */
  protected validate({ lr, betas, eps, weightDecay, amsgrad }: AdamHyperparameters): void {
    this.checkHyperparameter("learning rate", lr, (v) => v >= 0, "lr ≥ 0");
    this.checkHyperparameter("eps", eps, (v) => v >= 0, "eps ≥ 0");
    if (!Array.isArray(betas) || betas.length !== 2)
      throw new NablaError(this.name, `betas must be a pair [beta1, beta2], got ${describeValue(betas)}`);
    betas.forEach((beta: unknown, i) => {
      if (typeof beta !== "number" || !(beta >= 0 && beta < 1))
        throw new NablaError(this.name, `invalid beta ${describeValue(beta)} at index ${i} (expected 0 ≤ beta < 1)`);
    });
    this.checkHyperparameter("weightDecay", weightDecay, (v) => v >= 0, "weightDecay ≥ 0");
    this.checkFlag("amsgrad", amsgrad);
  }

  /** One Adam (or AdamW) update of every parameter whose `grad` is set, creating its state on first use. */
  step(): void {
    this.checkStep();
    noGrad(() => {
      for (const { params, lr, betas, eps, weightDecay, amsgrad } of this.paramGroups) {
        const [beta1, beta2] = betas;
        for (const param of params) {
          const grad = param.grad;
          if (grad === null) continue;
          const state = this.state.get(param) ?? { step: 0, expAvg: zerosLike(param), expAvgSq: zerosLike(param) };
          // amsgrad normalises by the largest v so far, so the effective step size never grows
          if (amsgrad) state.maxExpAvgSq ??= zerosLike(param);
          // the step is counted (and a new state kept) once the update is made, so an error leaves them as they were
          const step = state.step + 1;
          const rule = this.decoupledWeightDecay ? "adamw" : "adam";
          const update = { rule, lr, beta1, beta2, eps, weightDecay, amsgrad, step } as const;
          const buffers = [state.expAvg, state.expAvgSq, amsgrad ? state.maxExpAvgSq! : null];
          updateParameter(update, param, grad, buffers, () => adamUpdateWithOps(param, grad, state, update));
          state.step = step;
          this.state.set(param, state);
        }
      }
    });
  }
}

/**
 * One parameter's update as tensor ops, given its state (with `maxExpAvgSq` with amsgrad) and this step's
 * hyperparameters: the reference for the optimizerUpdate primitive, and the path for unusual layouts.
 */
function adamUpdateWithOps(
  param: Tensor,
  grad: Tensor,
  state: AdamState,
  { rule, lr, beta1, beta2, eps, weightDecay, amsgrad, step }: Extract<OptimizerStep, { rule: "adam" | "adamw" }>,
): void {
  if (rule === "adamw") mul_(param, 1 - lr * weightDecay);
  else if (weightDecay !== 0) grad = add(grad, mul(param, weightDecay));

  // m = β₁m + (1 − β₁)g,  v = β₂v + (1 − β₂)g²
  add_(mul_(state.expAvg, beta1), mul(grad, 1 - beta1));
  add_(mul_(state.expAvgSq, beta2), mul(mul(grad, grad), 1 - beta2));

  let secondMoment = state.expAvgSq;
  if (amsgrad) {
    const maxExpAvgSq = state.maxExpAvgSq!;
    copy_(maxExpAvgSq, maximum(maxExpAvgSq, state.expAvgSq));
    secondMoment = maxExpAvgSq;
  }
  // θ = θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε): the bias corrections are folded into scalars,
  // as PyTorch does, rather than forming m̂ and v̂ (the primitive computes them the same way)
  const stepSize = lr / (1 - beta1 ** step);
  const denominator = add(div(sqrt(secondMoment), Math.sqrt(1 - beta2 ** step)), eps);
  add_(param, mul(div(state.expAvg, denominator), -stepSize));
}

/**
 * Adam (Kingma & Ba), step for step as PyTorch's `torch.optim.Adam`, with optional L2 weight decay
 * (added to the gradient) and amsgrad. Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8,
 * weightDecay 0, amsgrad false; out-of-range values throw.
 *
 * @example
 * ```ts
 * const w = tensor([1, -2], { requiresGrad: true });
 * const optimizer = new optim.Adam([w], { lr: 0.1 });
 * w.square().sum().backward();
 * optimizer.step();
 * // the first step moves each entry by lr against the sign of its gradient
 * w;                                               // → [0.9, -1.9]
 * new optim.Adam([w], { betas: [0.9, 1] });        // throws Adam: invalid beta 1 at index 1 (expected 0 ≤ beta < 1)
 * ```
 */
export class Adam extends AdaptiveMomentOptimizer {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamHyperparameters>>, options: AdamOptions = {}) {
    super("Adam", params, adamDefaults("Adam", options, 0), false);
  }
}

/**
 * AdamW (Loshchilov & Hutter), step for step as PyTorch's `torch.optim.AdamW`: Adam with decoupled weight
 * decay, θ ← θ·(1 − lr·weightDecay) before each update (default weightDecay 1e-2; the other defaults
 * are Adam's).
 *
 * @example
 * ```ts
 * const w = tensor([1, -2], { requiresGrad: true });
 * const optimizer = new optim.AdamW([w], { lr: 0.1, weightDecay: 0.5 });
 * w.square().sum().backward();
 * optimizer.step();
 * // θ·(1 − 0.1·0.5) = [0.95, -1.9], then Adam's first step of 0.1
 * w;                                                // → [0.85, -1.8]
 * ```
 */
export class AdamW extends AdaptiveMomentOptimizer {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamHyperparameters>>, options: AdamOptions = {}) {
    super("AdamW", params, adamDefaults("AdamW", options, 1e-2), true);
  }
}

// Defaults fill in only what is undefined: an explicit null is refused by validate, not replaced.
function adamDefaults(name: string, options: AdamOptions, defaultWeightDecay: number): AdamHyperparameters {
  const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = defaultWeightDecay, amsgrad = false } = checkOptions(name, options);
  return { lr, betas: Array.isArray(betas) ? ([...betas] as [number, number]) : betas, eps, weightDecay, amsgrad };
}

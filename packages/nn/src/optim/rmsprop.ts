import { add, add_, div, mul, mul_, noGrad, sqrt, sub, type Tensor, zerosLike } from "@nabla/tensor/functional";
import { checkOptions, type OptimizerStep } from "@nabla/tensor/internal";
import { updateParameter } from "./fused-update";
import { Optimizer, type ParamGroupInput, type StateFields } from "./optimizer";

/** RMSprop's hyperparameters, per group (PyTorch's, camelCase). */
export interface RMSpropHyperparameters {
  /** The learning rate, ≥ 0 (default 1e-2). */
  lr: number;
  /** The smoothing constant of the running average of g², ≥ 0 (default 0.99). */
  alpha: number;
  /** Added to the denominator for stability, ≥ 0 (default 1e-8). */
  eps: number;
  /** L2 penalty added to the gradient, ≥ 0 (default 0). */
  weightDecay: number;
  /** The momentum factor, ≥ 0 (default 0: no momentum buffer). */
  momentum: number;
  /** Normalise by an estimate of the gradient's variance rather than its second moment (default false). */
  centered: boolean;
}

/** RMSprop's options: every hyperparameter is optional. */
export type RMSpropOptions = Partial<RMSpropHyperparameters>;

/** Created by the first step that updates the parameter; `momentumBuffer` only with momentum, `gradAvg` only when centered. */
export type RMSpropState = {
  step: number;
  squareAvg: Tensor;
  momentumBuffer?: Tensor;
  gradAvg?: Tensor;
};

/**
 * RMSprop (Hinton), step for step as PyTorch's `torch.optim.RMSprop`:
 *
 *   g = g + weightDecay·θ
 *   v = alpha·v + (1 − alpha)·g²
 *   a = √v + eps, or √(v − ḡ²) + eps when centered (ḡ = alpha·ḡ + (1 − alpha)·g)
 *   b = momentum·b + g/a, θ = θ − lr·b with momentum; θ = θ − lr·g/a without
 *
 * Defaults: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false; out-of-range
 * values throw.
 *
 * @example
 * ```ts
 * const w = tensor([1, -2], { requiresGrad: true });
 * const optimizer = new optim.RMSprop([w], { lr: 0.01, alpha: 0.75 });
 * w.square().sum().backward(); // the gradient is 2w
 * optimizer.step();
 * // v = 0.25·g², so each entry moves by lr·g/√v = 0.02 against its gradient's sign
 * w;                                           // → [0.98, -1.98]
 * new optim.RMSprop([w], { alpha: -0.5 });     // throws RMSprop: invalid alpha -0.5 (expected alpha ≥ 0)
 * ```
 */
export class RMSprop extends Optimizer<RMSpropHyperparameters, RMSpropState> {
  protected readonly stateFields: StateFields = { counters: ["step"], tensors: ["squareAvg"], optional: ["momentumBuffer", "gradAvg"] };

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<RMSpropHyperparameters>>, options: RMSpropOptions = {}) {
    // Defaults fill in only what is undefined: an explicit null is refused by validate, not replaced.
    const { lr = 1e-2, alpha = 0.99, eps = 1e-8, weightDecay = 0, momentum = 0, centered = false } = checkOptions("RMSprop", options);
    super("RMSprop", params, { lr, alpha, eps, weightDecay, momentum, centered });
  }

  /** Throws for lr, alpha, eps, weightDecay or momentum below 0 (or not numbers) and a centered that is not a boolean. */
  protected validate({ lr, alpha, eps, weightDecay, momentum, centered }: RMSpropHyperparameters): void {
    this.checkHyperparameter("learning rate", lr, (v) => v >= 0, "lr ≥ 0");
    this.checkHyperparameter("alpha", alpha, (v) => v >= 0, "alpha ≥ 0");
    this.checkHyperparameter("eps", eps, (v) => v >= 0, "eps ≥ 0");
    this.checkHyperparameter("weightDecay", weightDecay, (v) => v >= 0, "weightDecay ≥ 0");
    this.checkHyperparameter("momentum", momentum, (v) => v >= 0, "momentum ≥ 0");
    this.checkFlag("centered", centered);
  }

  /** One RMSprop update of every parameter whose `grad` is set (see the class comment for the rule). */
  step(): void {
    this.checkStep();
    noGrad(() => {
      for (const { params, lr, alpha, eps, weightDecay, momentum, centered } of this.paramGroups) {
        for (const param of params) {
          const grad = param.grad;
          if (grad === null) continue;
          const state = this.state.get(param) ?? { step: 0, squareAvg: zerosLike(param) };
          if (momentum > 0) state.momentumBuffer ??= zerosLike(param);
          if (centered) state.gradAvg ??= zerosLike(param);
          const update = { rule: "rmsprop", lr, alpha, eps, weightDecay, momentum, centered } as const;
          const buffers = [state.squareAvg, state.momentumBuffer ?? null, state.gradAvg ?? null];
          updateParameter(update, param, grad, buffers, () => rmspropUpdateWithOps(param, grad, state, update));
          state.step += 1;
          this.state.set(param, state);
        }
      }
    });
  }
}

/**
 * One parameter's update as tensor ops, given its state (with the buffers its options need) and the
 * hyperparameters: the reference for the optimizerUpdate primitive, and the path for unusual layouts.
 */
function rmspropUpdateWithOps(
  param: Tensor,
  grad: Tensor,
  state: RMSpropState,
  { lr, alpha, eps, weightDecay, momentum, centered }: Extract<OptimizerStep, { rule: "rmsprop" }>,
): void {
  if (weightDecay !== 0) grad = add(grad, mul(param, weightDecay));
  add_(mul_(state.squareAvg, alpha), mul(mul(grad, grad), 1 - alpha));
  let average: Tensor;
  if (centered) {
    const gradAvg = add_(mul_(state.gradAvg!, alpha), mul(grad, 1 - alpha));
    average = sqrt(sub(state.squareAvg, mul(gradAvg, gradAvg)));
  } else {
    average = sqrt(state.squareAvg);
  }
  average = add(average, eps);
  if (momentum > 0) {
    const buffer = add_(mul_(state.momentumBuffer!, momentum), div(grad, average));
    add_(param, mul(buffer, -lr));
  } else {
    add_(param, mul(div(grad, average), -lr));
  }
}

import { add, add_, div, full, mul, noGrad, sqrt, type Tensor } from "@nabla/tensor/functional";
import { checkOptions, type OptimizerStep } from "@nabla/tensor/internal";
import { updateParameter } from "./fused-update";
import { Optimizer, type ParamGroupInput, type StateFields } from "./optimizer";

/** Adagrad's hyperparameters, per group (PyTorch's, camelCase). */
export interface AdagradHyperparameters {
  /** The learning rate, ≥ 0 (default 1e-2). */
  lr: number;
  /** The learning rate decay: step t uses lr / (1 + (t − 1)·lrDecay); ≥ 0 (default 0). */
  lrDecay: number;
  /** L2 penalty added to the gradient, ≥ 0 (default 0). */
  weightDecay: number;
  /** The starting value of the sum of squared gradients, ≥ 0 (default 0). */
  initialAccumulatorValue: number;
  /** Added to the denominator for stability, ≥ 0 (default 1e-10). */
  eps: number;
}

/** Adagrad's options: every hyperparameter is optional. */
export type AdagradOptions = Partial<AdagradHyperparameters>;

/** Created by the first step that updates the parameter: the step count and the running sum of g². */
export type AdagradState = { step: number; sum: Tensor };

/**
 * Adagrad (Duchi et al.), step for step as PyTorch's `torch.optim.Adagrad`:
 *
 *   g = g + weightDecay·θ
 *   s = s + g²                      (s starts at initialAccumulatorValue)
 *   θ = θ − lr / (1 + (t − 1)·lrDecay) · g / (√s + eps)
 *
 * Defaults: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10; out-of-range
 * values throw. A parameter's state is made by its first update (PyTorch makes it in the
 * constructor), from its group's initialAccumulatorValue at that time.
 *
 * @example
 * ```ts
 * const w = tensor([1, -2], { requiresGrad: true });
 * const optimizer = new optim.Adagrad([w], { lr: 0.1 });
 * w.square().sum().backward(); // the gradient is 2w
 * optimizer.step();
 * // s = g², so the first step moves each entry by lr against its gradient's sign
 * w;                                           // → [0.9, -1.9]
 * new optim.Adagrad([w], { lrDecay: -1 });     // throws Adagrad: invalid lrDecay -1 (expected lrDecay ≥ 0)
 * ```
 */
export class Adagrad extends Optimizer<AdagradHyperparameters, AdagradState> {
  protected readonly stateFields: StateFields = { counters: ["step"], tensors: ["sum"] };

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdagradHyperparameters>>, options: AdagradOptions = {}) {
    // Defaults fill in only what is undefined: an explicit null is refused by validate, not replaced.
    const { lr = 1e-2, lrDecay = 0, weightDecay = 0, initialAccumulatorValue = 0, eps = 1e-10 } = checkOptions("Adagrad", options);
    super("Adagrad", params, { lr, lrDecay, weightDecay, initialAccumulatorValue, eps });
  }

  /** Throws for any hyperparameter below 0 or not a number. */
  protected validate({ lr, lrDecay, weightDecay, initialAccumulatorValue, eps }: AdagradHyperparameters): void {
    this.checkHyperparameter("learning rate", lr, (v) => v >= 0, "lr ≥ 0");
    this.checkHyperparameter("lrDecay", lrDecay, (v) => v >= 0, "lrDecay ≥ 0");
    this.checkHyperparameter("weightDecay", weightDecay, (v) => v >= 0, "weightDecay ≥ 0");
    this.checkHyperparameter("initialAccumulatorValue", initialAccumulatorValue, (v) => v >= 0, "initialAccumulatorValue ≥ 0");
    this.checkHyperparameter("eps", eps, (v) => v >= 0, "eps ≥ 0");
  }

  /** One Adagrad update of every parameter whose `grad` is set (see the class comment for the rule). */
  step(): void {
    this.checkStep();
    noGrad(() => {
      for (const { params, lr, lrDecay, weightDecay, initialAccumulatorValue, eps } of this.paramGroups) {
        for (const param of params) {
          const grad = param.grad;
          if (grad === null) continue;
          const state = this.state.get(param) ?? {
            step: 0,
            sum: full(param.shape, initialAccumulatorValue, { dtype: param.dtype }),
          };
          const step = state.step + 1;
          const update = { rule: "adagrad", lr, lrDecay, weightDecay, eps, step } as const;
          updateParameter(update, param, grad, [state.sum], () => adagradUpdateWithOps(param, grad, state.sum, update));
          state.step = step;
          this.state.set(param, state);
        }
      }
    });
  }
}

/**
 * One parameter's update as tensor ops, given its running sum of g² and this step's hyperparameters:
 * the reference for the optimizerUpdate primitive, and the path for unusual layouts.
 */
function adagradUpdateWithOps(
  param: Tensor,
  grad: Tensor,
  sum: Tensor,
  { lr, lrDecay, weightDecay, eps, step }: Extract<OptimizerStep, { rule: "adagrad" }>,
): void {
  if (weightDecay !== 0) grad = add(grad, mul(param, weightDecay));
  const clr = lr / (1 + (step - 1) * lrDecay);
  add_(sum, mul(grad, grad));
  add_(param, mul(div(grad, add(sqrt(sum), eps)), -clr));
}

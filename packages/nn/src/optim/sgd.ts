import { add, add_, copy_, mul, mul_, NablaError, noGrad, type Tensor, zerosLike } from "@nabla/tensor/functional";
import { checkOptions, type OptimizerStep } from "@nabla/tensor/internal";
import { updateParameter } from "./fused-update";
import { Optimizer, type ParamGroupInput, type StateFields } from "./optimizer";

/** SGD's hyperparameters, per group (PyTorch's, camelCase). */
export interface SGDHyperparameters {
  /** The learning rate, ≥ 0 (required). */
  lr: number;
  /** The momentum factor, ≥ 0 (default 0: no momentum buffer). */
  momentum: number;
  /** Damps the gradient's share of the momentum buffer (default 0). */
  dampening: number;
  /** L2 penalty added to the gradient, ≥ 0 (default 0). */
  weightDecay: number;
  /** Nesterov momentum (default false); needs momentum > 0 and dampening 0. */
  nesterov: boolean;
}

/** SGD's options: `lr` is required, the rest default to plain SGD. */
export type SGDOptions = Partial<SGDHyperparameters> & { lr: number };

/** Present once the parameter has been updated with momentum ≠ 0. */
export type SGDState = { momentumBuffer: Tensor };

/**
 * Stochastic gradient descent with optional momentum, dampening, L2 weight decay and Nesterov momentum,
 * step for step as PyTorch's `torch.optim.SGD`:
 *
 *   d = g + weightDecay·θ
 *   b = d on the first step, else momentum·b + (1 − dampening)·d
 *   d = d + momentum·b (nesterov) or b
 *   θ = θ − lr·d
 *
 * Hyperparameters out of range throw a NablaError naming SGD.
 *
 * @example
 * ```ts
 * const w = tensor([1, -2], { requiresGrad: true });
 * const optimizer = new optim.SGD([w], { lr: 0.1, momentum: 0.9 });
 * for (let step = 0; step < 2; step++) {
 *   optimizer.zeroGrad();
 *   w.square().sum().backward(); // the gradient is 2w
 *   optimizer.step();
 * }
 * w;                                             // → [0.46, -0.92]
 * new optim.SGD([w], { lr: 0.1, nesterov: true }); // throws SGD: Nesterov momentum requires momentum > 0 and dampening = 0, got momentum 0, dampening 0
 * ```
 */
export class SGD extends Optimizer<SGDHyperparameters, SGDState> {
  protected readonly stateFields: StateFields = { tensors: ["momentumBuffer"] };

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDHyperparameters>>, options: SGDOptions) {
    const { lr, momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = checkOptions("SGD", options);
    super("SGD", params, { lr: lr!, momentum, dampening, weightDecay, nesterov });
  }

  /** Throws for lr, momentum or weightDecay below 0 (or not numbers), a non-finite dampening, a non-boolean nesterov, or Nesterov without momentum. */
  protected validate({ lr, momentum, dampening, weightDecay, nesterov }: SGDHyperparameters): void {
    this.checkHyperparameter("learning rate", lr, (v) => v >= 0, "lr ≥ 0");
    this.checkHyperparameter("momentum", momentum, (v) => v >= 0, "momentum ≥ 0");
    this.checkHyperparameter("dampening", dampening, Number.isFinite, "a finite number");
    this.checkHyperparameter("weightDecay", weightDecay, (v) => v >= 0, "weightDecay ≥ 0");
    this.checkFlag("nesterov", nesterov);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new NablaError(
        this.name,
        `Nesterov momentum requires momentum > 0 and dampening = 0, got momentum ${momentum}, dampening ${dampening}`,
      );
    }
  }

  /** One SGD update of every parameter whose `grad` is set (see the class comment for the rule). */
  step(): void {
    this.checkStep();
    noGrad(() => {
      for (const { params, lr, momentum, dampening, weightDecay, nesterov } of this.paramGroups) {
        for (const param of params) {
          const grad = param.grad;
          if (grad === null) continue;
          // the first step with momentum starts a buffer, kept once the update is made
          const buffer = momentum !== 0 ? (this.state.get(param)?.momentumBuffer ?? zerosLike(param)) : null;
          const startsBuffer = buffer !== null && !this.state.has(param);
          const update = { rule: "sgd", lr, momentum, dampening, weightDecay, nesterov, startsBuffer } as const;
          updateParameter(update, param, grad, [buffer], () => sgdUpdateWithOps(param, grad, buffer, update));
          if (startsBuffer) this.state.set(param, { momentumBuffer: buffer });
        }
      }
    });
  }
}

/**
 * One parameter's update as tensor ops, given its momentum buffer (null without momentum): the
 * reference for the optimizerUpdate primitive, and the path for unusual layouts.
 */
function sgdUpdateWithOps(
  param: Tensor,
  grad: Tensor,
  buffer: Tensor | null,
  { lr, momentum, dampening, weightDecay, nesterov, startsBuffer }: Extract<OptimizerStep, { rule: "sgd" }>,
): void {
  let direction = weightDecay !== 0 ? add(grad, mul(param, weightDecay)) : grad;
  if (buffer !== null) {
    // the first step starts the running average at d, undamped
    if (startsBuffer) copy_(buffer, direction);
    else add_(mul_(buffer, momentum), mul(direction, 1 - dampening));
    direction = nesterov ? add(direction, mul(buffer, momentum)) : buffer;
  }
  add_(param, mul(direction, -lr));
}

import { NablaError, Tensor, noGrad, zerosLike } from "@nabla/tensor";
import { Optimizer, type ParamGroupInput } from "./optimizer";

export interface AdamHyperparameters {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

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

  protected constructor(
    name: string,
    params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamHyperparameters>>,
    defaults: AdamHyperparameters,
    decoupledWeightDecay: boolean,
  ) {
    super(name, params, defaults);
    this.decoupledWeightDecay = decoupledWeightDecay;
  }

  protected validate({ lr, betas, eps, weightDecay }: AdamHyperparameters): void {
    if (!(lr >= 0)) throw new NablaError(this.name, `invalid learning rate ${lr} (expected lr ≥ 0)`);
    if (!(eps >= 0)) throw new NablaError(this.name, `invalid eps ${eps} (expected eps ≥ 0)`);
    if (!Array.isArray(betas) || betas.length !== 2) throw new NablaError(this.name, `betas must be a pair [beta1, beta2], got ${JSON.stringify(betas)}`);
    betas.forEach((beta, i) => {
      if (!(beta >= 0 && beta < 1)) throw new NablaError(this.name, `invalid beta ${beta} at index ${i} (expected 0 ≤ beta < 1)`);
    });
    if (!(weightDecay >= 0)) throw new NablaError(this.name, `invalid weightDecay ${weightDecay} (expected weightDecay ≥ 0)`);
  }

  step(): void {
    noGrad(() => {
      for (const { params, lr, betas, eps, weightDecay, amsgrad } of this.paramGroups) {
        const [beta1, beta2] = betas;
        for (const param of params) {
          let grad = param.grad;
          if (grad === null) continue;
          let state = this.state.get(param);
          if (state === undefined) {
            state = { step: 0, expAvg: zerosLike(param), expAvgSq: zerosLike(param) };
            this.state.set(param, state);
          }
          state.step += 1;
          if (this.decoupledWeightDecay) param.mul_(1 - lr * weightDecay);
          else if (weightDecay !== 0) grad = grad.add(param.mul(weightDecay));

          // m = β₁m + (1 − β₁)g,  v = β₂v + (1 − β₂)g²
          state.expAvg.mul_(beta1).add_(grad.mul(1 - beta1));
          state.expAvgSq.mul_(beta2).add_(grad.mul(grad).mul(1 - beta2));

          // θ = θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε): the bias corrections are folded into
          // scalars, as PyTorch does, rather than forming m̂ and v̂.
          const stepSize = lr / (1 - beta1 ** state.step);
          const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
          let secondMoment = state.expAvgSq;
          if (amsgrad) {
            // amsgrad normalises by the largest v so far, so the effective step size never grows
            state.maxExpAvgSq ??= zerosLike(param);
            state.maxExpAvgSq.copy_(state.maxExpAvgSq.maximum(state.expAvgSq));
            secondMoment = state.maxExpAvgSq;
          }
          const denominator = secondMoment.sqrt().div(biasCorrection2Sqrt).add(eps);
          param.add_(state.expAvg.div(denominator).mul(-stepSize));
        }
      }
    });
  }
}

/**
 * Adam (Kingma & Ba), step for step as PyTorch's `torch.optim.Adam`, with optional L2 weight decay
 * (added to the gradient) and amsgrad.
 *
 * @example
 * const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
 */
export class Adam extends AdaptiveMomentOptimizer {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamHyperparameters>>, options: AdamOptions = {}) {
    super("Adam", params, adamDefaults(options, 0), false);
  }
}

/**
 * AdamW (Loshchilov & Hutter), step for step as PyTorch's `torch.optim.AdamW`: Adam with decoupled weight
 * decay, θ ← θ·(1 − lr·weightDecay) before each update (default weightDecay 1e-2).
 *
 * @example
 * const optimizer = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends AdaptiveMomentOptimizer {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamHyperparameters>>, options: AdamOptions = {}) {
    super("AdamW", params, adamDefaults(options, 1e-2), true);
  }
}

function adamDefaults(options: AdamOptions, weightDecay: number): AdamHyperparameters {
  return {
    lr: options.lr ?? 1e-3,
    betas: Array.isArray(options.betas) ? ([...options.betas] as [number, number]) : (options.betas ?? [0.9, 0.999]),
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? weightDecay,
    amsgrad: options.amsgrad ?? false,
  };
}

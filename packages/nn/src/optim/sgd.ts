import { NablaError, Tensor, noGrad } from "@nabla/tensor";
import { Optimizer, type ParamGroupInput } from "./optimizer";

export interface SGDHyperparameters {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
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
 * @example
 * const optimizer = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * optimizer.zeroGrad(); loss.backward(); optimizer.step();
 */
export class SGD extends Optimizer<SGDHyperparameters, SGDState> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDHyperparameters>>, options: SGDOptions) {
    super("SGD", params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
    });
  }

  protected validate({ lr, momentum, dampening, weightDecay, nesterov }: SGDHyperparameters): void {
    if (!(lr >= 0)) throw new NablaError(this.name, `invalid learning rate ${lr} (expected lr ≥ 0)`);
    if (!(momentum >= 0)) throw new NablaError(this.name, `invalid momentum ${momentum} (expected momentum ≥ 0)`);
    if (!Number.isFinite(dampening)) throw new NablaError(this.name, `invalid dampening ${dampening} (expected a finite number)`);
    if (!(weightDecay >= 0)) throw new NablaError(this.name, `invalid weightDecay ${weightDecay} (expected weightDecay ≥ 0)`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new NablaError(this.name, `Nesterov momentum requires momentum > 0 and dampening = 0, got momentum ${momentum}, dampening ${dampening}`);
    }
  }

  step(): void {
    noGrad(() => {
      for (const { params, lr, momentum, dampening, weightDecay, nesterov } of this.paramGroups) {
        for (const param of params) {
          const grad = param.grad;
          if (grad === null) continue;
          let direction = weightDecay !== 0 ? grad.add(param.mul(weightDecay)) : grad;
          if (momentum !== 0) {
            const state = this.state.get(param);
            let buffer: Tensor;
            if (state === undefined) {
              buffer = direction.clone(); // the first step starts the running average at d, undamped
              this.state.set(param, { momentumBuffer: buffer });
            } else {
              buffer = state.momentumBuffer.mul_(momentum).add_(direction.mul(1 - dampening));
            }
            direction = nesterov ? direction.add(buffer.mul(momentum)) : buffer;
          }
          param.add_(direction.mul(-lr));
        }
      }
    });
  }
}

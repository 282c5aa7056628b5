import { NablaError, Tensor, erf } from "@nabla/tensor";
import { Module } from "../module";

/**
 * max(0, x) elementwise (relu'(0) = 0, as PyTorch).
 *
 * @example
 * new ReLU().forward(tensor([-1, 2])); // [0, 2]
 */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return input.relu();
  }
}

/**
 * tanh(x) elementwise.
 *
 * @example
 * new Tanh().forward(tensor([0])); // [0]
 */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/**
 * 1 / (1 + e^(−x)) elementwise.
 *
 * @example
 * new Sigmoid().forward(tensor([0])); // [0.5]
 */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

export interface GELUOptions {
  /** "none" (default): the exact erf form; "tanh": the tanh approximation, as PyTorch. */
  approximate?: "none" | "tanh";
}

// √(2/π), the tanh approximation's scale
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Gaussian error linear unit, x·Φ(x): exactly 0.5·x·(1 + erf(x/√2)), or with `{ approximate: "tanh" }`
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Composed of differentiable ops, so it has no backward
 * of its own.
 *
 * @example
 * new GELU().forward(tensor([1])); // [0.8413]
 */
export class GELU extends Module {
  readonly approximate: "none" | "tanh";

  constructor(options: GELUOptions = {}) {
    super();
    const approximate = options.approximate ?? "none";
    if (approximate !== "none" && approximate !== "tanh") {
      throw new NablaError("GELU", `approximate must be "none" or "tanh", got "${String(approximate)}"`);
    }
    this.approximate = approximate;
  }

  forward(input: Tensor): Tensor {
    const half = input.mul(0.5);
    if (this.approximate === "tanh") {
      const cube = input.mul(input).mul(input);
      return half.mul(input.add(cube.mul(0.044715)).mul(SQRT_2_OVER_PI).tanh().add(1));
    }
    return half.mul(erf(input.mul(Math.SQRT1_2)).add(1));
  }
}

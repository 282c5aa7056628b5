import { NablaError, type Tensor, erf } from "@nabla/tensor";
import { checkOptions, checkTensor } from "@nabla/tensor/internal";
import { Module } from "../module";

/**
 * max(0, x) elementwise (relu'(0) = 0, as PyTorch's `nn.ReLU`); any shape, the input's dtype.
 *
 * @example
 * ```ts
 * new ReLU().forward(tensor([-1, 0, 2])); // → [0, 0, 2]
 * ```
 */
export class ReLU extends Module {
  /** `input.relu()`. */
  forward(input: Tensor): Tensor {
    return checkTensor("ReLU", "input", input).relu();
  }
}

/**
 * tanh(x) elementwise, as PyTorch's `nn.Tanh`; any shape.
 *
 * @example
 * ```ts
 * new Tanh().forward(tensor([-1, 0, 1])); // → [-0.761594, 0, 0.761594]
 * ```
 */
export class Tanh extends Module {
  /** `input.tanh()`. */
  forward(input: Tensor): Tensor {
    return checkTensor("Tanh", "input", input).tanh();
  }
}

/**
 * 1 / (1 + e^(−x)) elementwise, as PyTorch's `nn.Sigmoid`; any shape.
 *
 * @example
 * ```ts
 * new Sigmoid().forward(tensor([-1, 0, 1])); // → [0.268941, 0.5, 0.731059]
 * ```
 */
export class Sigmoid extends Module {
  /** `input.sigmoid()`. */
  forward(input: Tensor): Tensor {
    return checkTensor("Sigmoid", "input", input).sigmoid();
  }
}

/** Options of `GELU`, as PyTorch's `nn.GELU(approximate=…)`. */
export interface GELUOptions {
  /** "none" (default): the exact erf form; "tanh": the tanh approximation, as PyTorch. */
  approximate?: "none" | "tanh";
}

// √(2/π), the tanh approximation's scale
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Gaussian error linear unit, x·Φ(x), as PyTorch's `nn.GELU`: exactly 0.5·x·(1 + erf(x/√2)), or
 * with `{ approximate: "tanh" }` 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Composed of
 * differentiable ops, so it has no backward of its own. Any other `approximate` throws.
 *
 * @example
 * ```ts
 * new GELU().forward(tensor([-1, 0, 1]));                        // → [-0.158655, 0, 0.841345]
 * new GELU({ approximate: "tanh" }).forward(tensor([-1, 0, 1])); // → [-0.158808, 0, 0.841192]
 * ```
 */
export class GELU extends Module {
  /** "none" (the erf form) or "tanh" (the approximation). */
  readonly approximate: "none" | "tanh";

  constructor(options: GELUOptions = {}) {
    super();
    const approximate = checkOptions("GELU", options).approximate ?? "none";
    if (approximate !== "none" && approximate !== "tanh") {
      throw new NablaError("GELU", `approximate must be "none" or "tanh", got "${String(approximate)}"`);
    }
    this.approximate = approximate;
  }

  /** GELU of every element; any shape, the input's dtype. */
  forward(input: Tensor): Tensor {
    const half = checkTensor("GELU", "input", input).mul(0.5);
    if (this.approximate === "tanh") {
      const cube = input.mul(input).mul(input);
      return half.mul(input.add(cube.mul(0.044715)).mul(SQRT_2_OVER_PI).tanh().add(1));
    }
    return half.mul(erf(input.mul(Math.SQRT1_2)).add(1));
  }

  /** `approximate='none'` or `approximate='tanh'`, as PyTorch prints a GELU. */
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

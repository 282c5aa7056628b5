import {
  elu,
  gelu,
  leakyRelu,
  NablaError,
  relu,
  sigmoid,
  silu,
  softplus,
  type SoftplusOptions,
  tanh,
  type Tensor,
} from "@nabla/tensor/functional";
import { checkNumber, checkOptions, checkTensor } from "@nabla/tensor/internal";
import { Module } from "../module";
import { pythonFloat } from "../repr";

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
    return relu(checkTensor("ReLU", "input", input));
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
    return tanh(checkTensor("Tanh", "input", input));
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
    return sigmoid(checkTensor("Sigmoid", "input", input));
  }
}

/** Options of `GELU`, as PyTorch's `nn.GELU(approximate=…)`. */
export interface GELUOptions {
  /** "none" (default): the exact erf form; "tanh": the tanh approximation, as PyTorch. */
  approximate?: "none" | "tanh";
}

/**
 * Gaussian error linear unit, x·Φ(x), as PyTorch's `nn.GELU`: exactly 0.5·x·(1 + erf(x/√2)), or
 * with `{ approximate: "tanh" }` 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): the `gelu` op, one
 * fused kernel each way. Any other `approximate` throws.
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
    return gelu(checkTensor("GELU", "input", input), { approximate: this.approximate });
  }

  /** `approximate='none'` or `approximate='tanh'`, as PyTorch prints a GELU. */
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** A module option as Python prints it: an integer as given, any other number as a float. */
function pythonNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : pythonFloat(value);
}

/**
 * x where x > 0, else negativeSlope · x (PyTorch's `nn.LeakyReLU`); the gradient at 0 is
 * negativeSlope. Floating-point inputs of any shape.
 *
 * @example
 * ```ts
 * new LeakyReLU().forward(tensor([-2, 0, 3]));    // → [-0.02, 0, 3]
 * new LeakyReLU(0.5).forward(tensor([-2, 3]));    // → [-1, 3]
 * String(new LeakyReLU(0.2));                     // → "LeakyReLU(negative_slope=0.2)"
 * ```
 */
export class LeakyReLU extends Module {
  /** The slope for negative inputs (default 0.01). */
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkNumber("LeakyReLU", "negativeSlope", negativeSlope);
  }

  /** `leakyRelu(input, negativeSlope)`. */
  forward(input: Tensor): Tensor {
    return leakyRelu(checkTensor("LeakyReLU", "input", input), this.negativeSlope);
  }

  /** `negative_slope=…`, as PyTorch prints a LeakyReLU. */
  override extraRepr(): string {
    return `negative_slope=${pythonFloat(this.negativeSlope)}`;
  }
}

/**
 * x where x > 0, else alpha · (eˣ − 1) (PyTorch's `nn.ELU`); the gradient at 0 is alpha.
 * Floating-point inputs of any shape.
 *
 * @example
 * ```ts
 * new ELU().forward(tensor([-1, 0, 2])); // → [-0.632121, 0, 2]
 * String(new ELU(0.5));                   // → "ELU(alpha=0.5)"
 * ```
 */
export class ELU extends Module {
  /** The scale of the negative branch (default 1). */
  readonly alpha: number;

  constructor(alpha = 1) {
    super();
    this.alpha = checkNumber("ELU", "alpha", alpha);
  }

  /** `elu(input, alpha)`. */
  forward(input: Tensor): Tensor {
    return elu(checkTensor("ELU", "input", input), this.alpha);
  }

  /** `alpha=…`, as PyTorch prints an ELU. */
  override extraRepr(): string {
    return `alpha=${pythonFloat(this.alpha)}`;
  }
}

/**
 * x · σ(x) (PyTorch's `nn.SiLU`). Floating-point inputs of any shape.
 *
 * @example
 * ```ts
 * new SiLU().forward(tensor([-1, 0, 2])); // → [-0.268941, 0, 1.761594]
 * ```
 */
export class SiLU extends Module {
  /** `silu(input)`. */
  forward(input: Tensor): Tensor {
    return silu(checkTensor("SiLU", "input", input));
  }
}

/**
 * ln(1 + e^(β·x)) / β, and x where β·x > threshold (PyTorch's `nn.Softplus`). Floating-point inputs
 * of any shape.
 *
 * @example
 * ```ts
 * new Softplus().forward(tensor([-1, 0, 30])); // → [0.313262, 0.693147, 30]
 * String(new Softplus({ beta: 2 }));            // → "Softplus(beta=2, threshold=20)"
 * ```
 */
export class Softplus extends Module {
  /** The sharpness β (default 1). */
  readonly beta: number;
  /** Above this value of β·x the output is x itself (default 20). */
  readonly threshold: number;

  constructor(options: SoftplusOptions = {}) {
    super();
    const { beta = 1, threshold = 20 } = checkOptions("Softplus", options);
    this.beta = checkNumber("Softplus", "beta", beta);
    this.threshold = checkNumber("Softplus", "threshold", threshold);
  }

  /** `softplus(input, { beta, threshold })`. */
  forward(input: Tensor): Tensor {
    return softplus(checkTensor("Softplus", "input", input), { beta: this.beta, threshold: this.threshold });
  }

  /** `beta=…, threshold=…`, as PyTorch prints a Softplus. */
  override extraRepr(): string {
    return `beta=${pythonNumber(this.beta)}, threshold=${pythonNumber(this.threshold)}`;
  }
}

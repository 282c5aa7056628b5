import { NablaError, type Tensor } from "@nabla/tensor/functional";
import { checkTensor } from "@nabla/tensor/internal";
import { Module } from "../module";

/**
 * Runs its modules one after another, each on the previous one's output, as PyTorch's
 * `nn.Sequential`. The modules are its children, named "0", "1", …, so parameters are named
 * `0.weight`, `2.bias`, … as in PyTorch. An argument that is not a Module throws.
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.forward(randn([10, 4])).shape; // → [10, 3]
 * Object.keys(model.stateDict());      // → ["0.weight", "0.bias", "2.weight", "2.bias"]
 * ```
 */
export class Sequential extends Module {
  /** The modules, in the order they run. */
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module)) throw new NablaError("Sequential", `argument ${i} is not a Module`);
    });
    this.layers = layers;
  }

  /**
   * The `index`-th module (negative counts from the end), as PyTorch's `model[index]`; out of range
   * throws. It is typed `Module`: cast to reach a layer's own fields.
   *
   * @example
   * ```ts
   * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
   * model.at(-1) instanceof Linear;   // → true
   * (model.at(0) as Linear).weight.shape; // → [8, 4]
   * model.at(3);                      // throws Sequential.at: index 3 is out of range for 3 modules
   * ```
   */
  at(index: number): Module {
    const layer = this.layers.at(index);
    if (layer === undefined) throw new NablaError("Sequential.at", `index ${index} is out of range for ${this.layers.length} modules`);
    return layer;
  }

  /** The number of modules. */
  get length(): number {
    return this.layers.length;
  }

  /** The modules under the names "0", "1", …: what makes them children. */
  protected override childEntries(): [string, Module][] {
    return this.layers.map((layer, i) => [String(i), layer]);
  }

  /** Each module's `forward` on the previous one's output; an empty Sequential returns its input. */
  forward(input: Tensor): Tensor {
    return this.layers.reduce((x, layer) => layer.forward(x), checkTensor("Sequential", "input", input));
  }
}

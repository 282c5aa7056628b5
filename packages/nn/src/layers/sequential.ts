import { NablaError, Tensor } from "@nabla/tensor";
import { Module } from "../module";

/**
 * Runs its modules one after another, each on the previous one's output. The modules are its children,
 * named "0", "1", …, so parameters are named `0.weight`, `2.bias`, … as in PyTorch.
 *
 * @example
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * model.forward(randn([10, 4])).shape; // [10, 3]
 */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module)) throw new NablaError("Sequential", `argument ${i} is not a Module`);
    });
    this.layers = layers;
  }

  /** The `index`-th module (negative counts from the end). */
  at(index: number): Module {
    const layer = this.layers.at(index);
    if (layer === undefined) throw new NablaError("Sequential.at", `index ${index} is out of range for ${this.layers.length} modules`);
    return layer;
  }

  get length(): number {
    return this.layers.length;
  }

  protected override childEntries(): [string, Module][] {
    return this.layers.map((layer, i) => [String(i), layer]);
  }

  forward(input: Tensor): Tensor {
    return this.layers.reduce((x, layer) => layer.forward(x), input);
  }
}

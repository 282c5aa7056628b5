import { Tensor } from "@nabla/tensor";
import { Module } from "../module";

/**
 * Flattens dimensions `startDim` … `endDim` into one (by default all but the batch dimension), as a view
 * when the strides allow.
 *
 * @example
 * new Flatten().forward(zeros([2, 3, 4])).shape; // [2, 12]
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }
}

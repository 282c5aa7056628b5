/**
 * `@nabla/tensor/functional` and `@nabla/ops/functional` install no Tensor methods, nor do nn's
 * modules (its entry installs them all, for its users): a program that imports only these trains as
 * one importing the main entries does. This file imports nothing else (vitest gives each test file
 * its own module graph), so a method call left in internal code throws here ("x.add is not a function").
 */
import { crossEntropy } from "@nabla/ops/functional";
import { add, relu, sum, Tensor, tensor } from "@nabla/tensor/functional";
import { describe, expect, it } from "vitest";
import { Linear } from "../../packages/nn/src/layers/linear";

describe("the functional entries", () => {
  it("leave Tensor without op methods", () => {
    for (const name of ["add", "sum", "reshape", "softmax", "crossEntropy"]) expect(name in Tensor.prototype, name).toBe(false);
    expect(Object.getOwnPropertyDescriptor(Tensor.prototype, "T")).toBeUndefined();
  });

  it("run ops with the CPU backend and its kernels registered", () => {
    expect(add(tensor([1, 2]), tensor([10, 20])).toArray()).toEqual([11, 22]);
    const x = tensor([1, -2, 3], { requiresGrad: true });
    sum(relu(x)).backward();
    expect(x.grad?.toArray()).toEqual([1, 0, 1]);
  });

  it("train a Linear layer on cross-entropy, backward through every op", () => {
    const layer = new Linear(3, 2);
    const input = tensor([
      [1, 2, 3],
      [-1, 0, 1],
    ]);
    const loss = crossEntropy(relu(layer.forward(input)), tensor([0, 1], { dtype: "int32" }));
    loss.backward();
    expect(Number.isFinite(loss.item())).toBe(true);
    expect(layer.weight.grad?.shape).toEqual([2, 3]);
    expect(layer.bias?.grad?.shape).toEqual([2]);
  });
});

import { describe, expect, it } from "vitest";
import { add, isTensor, NablaError, Tensor, tensor, version, zeros } from "@nabla/tensor";
import { nablaError } from "../support/errors";
import packageJson from "../../packages/tensor/package.json";

// How a tensor is recognised when a program loads @nabla/tensor more than once. Two real copies
// in one process are checked on the built packages in packaging/dual-package.test.ts; here an
// object carrying another copy's brand stands in for them.

const BRAND = Symbol.for("nabla.tensor");

/** A tensor as another copy of the package makes it: the same methods on another prototype, with `brand`. */
function fromAnotherCopy(brand: string): Tensor {
  const methods: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(Tensor.prototype);
  methods[BRAND] = { value: brand };
  return Object.setPrototypeOf(tensor([1, 2]), Object.create(Object.prototype, methods)) as Tensor;
}

describe("isTensor", () => {
  it("is true for tensors and false for everything else", () => {
    expect(isTensor(tensor([1]))).toBe(true);
    expect(isTensor(zeros([2]).T)).toBe(true);
    for (const value of [null, undefined, 3, "t", [1, 2], { shape: [2] }, new Float32Array(2), Tensor]) expect(isTensor(value)).toBe(false);
  });

  it("carries the package's version", () => {
    expect(version).toBe(packageJson.version);
    expect((tensor([1]) as unknown as Record<symbol, unknown>)[BRAND]).toBe(version);
  });

  it("accepts a tensor of another copy of this version, and ops compute with it", () => {
    const other = fromAnotherCopy(version);
    expect(Object.getPrototypeOf(other)).not.toBe(Tensor.prototype);
    expect(isTensor(other)).toBe(true);
    expect(other instanceof Tensor).toBe(true);
    expect(add(tensor([10, 20]), other).toArray()).toEqual([11, 22]);
  });

  it("refuses a tensor of another version, naming the op, both versions and the fix", () => {
    const other = fromAnotherCopy("0.0.1");
    const expected = `two copies of @nabla/tensor are loaded (${version} here, 0.0.1 in the tensor given) and cannot share tensors; make every package resolve one copy`;
    expect(nablaError(() => isTensor(other), "isTensor").message).toContain(`isTensor: ${expected}`);
    expect(nablaError(() => isTensor(other, "softmax"), "softmax").message).toContain(`softmax: ${expected}`);
    expect(nablaError(() => add(tensor([1, 2]), other), "add").message).toContain(
      "`npm ls @nabla/tensor` lists them and `npm dedupe` (or `pnpm dedupe`) merges them",
    );
    expect(nablaError(() => other instanceof Tensor, "instanceof Tensor").message).toContain(expected);
  });

  it("leaves instanceof on a subclass to the prototype chain", () => {
    class Marked extends Tensor {}
    const marked = new Marked(tensor([1]).storage, { shape: [1], strides: [1], offset: 0 }, "float32");
    expect(marked instanceof Marked).toBe(true);
    expect(marked instanceof Tensor).toBe(true);
    expect(tensor([1]) instanceof Marked).toBe(false);
  });
});

describe("NablaError", () => {
  it("recognises an error of any copy of the package by its brand", () => {
    const fromOtherCopy = Object.assign(new Error("add: bad"), { op: "add", [Symbol.for("nabla.error")]: true });
    expect(fromOtherCopy instanceof NablaError).toBe(true);
    expect(new Error("x") instanceof NablaError).toBe(false);
    class Specific extends NablaError {}
    expect(new Specific("op", "detail") instanceof Specific).toBe(true);
    expect(new NablaError("op", "detail") instanceof Specific).toBe(false);
  });
});

/**
 * The Tensor class holds its state and the members that are not ops; each op family installs its
 * methods from src/methods/ (one module per family), and @nabla/ops adds its own when imported.
 */
import { readFileSync } from "node:fs";
import { Tensor, tensor } from "@nabla/tensor";
import { describe, expect, it } from "vitest";
import { opMethodCalls } from "../support/method-calls";

const SRC = new URL("../../packages/tensor/src/", import.meta.url);

function importsOf(file: string): string[] {
  const source = readFileSync(new URL(file, SRC), "utf8");
  return [...source.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gm)].map((m) => (m[1] ?? m[2])!);
}

describe("Tensor methods", () => {
  it("tensor.ts imports no op module (the ops import Tensor, not the other way)", () => {
    const imports = importsOf("tensor.ts");
    expect(imports).toContain("./autograd/engine"); // the scan sees the imports
    expect(imports.filter((path) => /^\.\/(ops|methods)\/|^\.\/composite$/.test(path))).toEqual([]);
  });

  it("internal code calls the op functions, not the Tensor methods, so @nabla/*/functional needs no methods", () => {
    // a method call would throw "x.add is not a function" where only the functional entries are imported
    expect(opMethodCalls().map(({ at, call }) => `${at} ${call}`)).toEqual([]);
  }, 60_000);

  it("the entry installs a method for every op whose first argument is a tensor, non-enumerable as the class's own", () => {
    for (const name of ["add", "exp", "square", "eq", "where", "sum", "mean", "reshape", "matmul", "gather", "add_", "copy_"]) {
      const descriptor = Object.getOwnPropertyDescriptor(Tensor.prototype, name);
      expect(typeof descriptor?.value, name).toBe("function");
      expect(descriptor?.enumerable, name).toBe(false);
    }
    expect(Object.getOwnPropertyDescriptor(Tensor.prototype, "T")?.get).toBeTypeOf("function");
    expect(Object.keys(tensor([1]))).not.toContain("add");
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(x.T.add(1).sum(0).toArray()).toEqual([5, 9]);
  });

  it("@nabla/ops' methods appear once @nabla/ops is imported", async () => {
    // this file imports @nabla/tensor only; vitest gives each test file its own module graph
    expect("softmax" in Tensor.prototype).toBe(false);
    expect(Object.getOwnPropertyDescriptor(Tensor.prototype, "softmax")).toBeUndefined();
    await import("@nabla/ops");
    expect(Object.getOwnPropertyDescriptor(Tensor.prototype, "softmax")?.value).toBeTypeOf("function");
    expect(tensor([0, 0]).logSoftmax().toArray()).toEqual([Math.log(0.5), Math.log(0.5)].map(Math.fround));
  });
});

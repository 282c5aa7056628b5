import { describe, expect, it } from "vitest";
import { Generator, NablaError, broadcastShapes, defineOp, manualSeed, normalizeDims, oneHot, tensor, zeros } from "@nabla/tensor";
import { nablaError } from "../support/errors";

// Defects the fuzz suite (test/fuzz) found, one named test each.

describe("found by the fuzz suite", () => {
  it("a Symbol or BigInt argument gives a NablaError, not a TypeError from building the message", () => {
    expect(nablaError(() => manualSeed(Symbol("s") as unknown as number), "manualSeed").message).toContain("Symbol(s)");
    nablaError(() => new Generator(0).manualSeed(10n as unknown as number), "manualSeed");
    const fromSymbolOp = nablaError(() => broadcastShapes(Symbol("op") as unknown as string, null as unknown as number[]));
    expect(fromSymbolOp.op).toBe("Symbol(op)");
    nablaError(() => normalizeDims(Symbol("op") as unknown as string, null as unknown as number[], 0));
  });

  it("defineOp(undefined) is a NablaError", () => {
    nablaError(() => defineOp(undefined as never), "defineOp");
  });

  it("oneHot with an astronomically large numClasses refuses before allocating", () => {
    const error = nablaError(() => oneHot(tensor([0], { dtype: "int32" }), 1e300), "oneHot");
    expect(error).toBeInstanceOf(NablaError);
    nablaError(() => oneHot(tensor([0], { dtype: "int32" }), 2 ** 40), "oneHot");
  });

  it("shape sizes past 2^53 are refused even beside a 0", () => {
    nablaError(() => zeros([1e300, 0]), "zeros");
    nablaError(() => zeros([0, 2 ** 60]), "zeros");
    expect(zeros([0, 2 ** 33]).shape).toEqual([0, 2 ** 33]);
  });

  it("an empty tensor with a huge other dim prints without building its indices", () => {
    expect(zeros([0, 2 ** 33]).toString()).toBe("tensor([], size=[0, 8589934592])");
    expect(zeros([0, 1e7]).toString()).toBe("tensor([], size=[0, 10000000])");
  });
});

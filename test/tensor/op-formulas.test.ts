import { describe, expect, it } from "vitest";
import { type OpDefinition, registeredOps } from "@nabla/tensor";
// every package that defines ops, so that the registry holds all the built-in ones
import "@nabla/ops";
import "@nabla/nn";

/** Names of the ops whose formula is missing or has an empty side. */
function opsWithoutFormula(ops: ReadonlyMap<string, OpDefinition>): string[] {
  const missing: string[] = [];
  for (const [name, op] of ops) {
    const { forward, backward } = op.formula ?? {};
    if (typeof forward !== "string" || forward.trim() === "" || typeof backward !== "string" || backward.trim() === "") missing.push(name);
  }
  return missing;
}

describe("op formulas", () => {
  it("every built-in op carries its forward and backward formula", () => {
    const ops = registeredOps();
    // a sample of each family, so an empty registry cannot pass
    for (const name of ["add", "matmul", "sum", "reshape", "gather", "exp", "where", "softmax", "logsumexp"])
      expect(ops.has(name)).toBe(true);
    expect(opsWithoutFormula(ops)).toEqual([]);
  });

  it("the check names an op with no formula or an empty side", () => {
    const forward = () => {
      throw new Error("not called");
    };
    const fake = new Map<string, OpDefinition>([
      ["documented", { name: "documented", forward, backward: () => [], formula: { forward: "y = x", backward: "x̄ = ȳ" } }],
      ["undocumented", { name: "undocumented", forward, backward: () => [] }],
      ["halfDocumented", { name: "halfDocumented", forward, backward: () => [], formula: { forward: "y = x", backward: " " } }],
    ]);
    expect(opsWithoutFormula(fake)).toEqual(["undocumented", "halfDocumented"]);
  });
});

import { format, inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { arange, tensor, zeros, type DType, type Tensor } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";

// toString() against PyTorch's repr(): fixed and scientific notation, column alignment, line
// wrapping at 80 characters, summarisation past 1000 elements, empty tensors. Tensors with NaN/inf,
// requiresGrad and gradFn are pinned by hand below.

interface FormatCase {
  name: string;
  shape: number[];
  dtype: DType;
  values: (number | boolean)[];
  repr: string;
}

const { cases } = loadFixture<{ cases: FormatCase[] }>("tensor_format.json");

/**
 * PyTorch's repr in nabla's words: dtypes without the `torch.` prefix (PyTorch's int64 is nabla's
 * int32), JS booleans, shapes in brackets, and numpy's single space before a row's "...".
 */
function inNablaTerms(repr: string): string {
  return repr
    .replace(/dtype=torch\.int64/g, "dtype=int32")
    .replace(/dtype=torch\.(\w+)/g, "dtype=$1")
    .replace(/\bTrue\b/g, "true")
    .replace(/\bFalse\b/g, "false")
    .replace(/size=\(([\d, ]*)\)/g, "size=[$1]")
    .replace(/, {2}\.\.\./g, ", ...");
}

function build(c: FormatCase): Tensor {
  const data =
    c.dtype === "bool"
      ? Uint8Array.from(c.values, Number)
      : c.dtype === "int32"
        ? Int32Array.from(c.values as number[])
        : c.dtype === "float64"
          ? Float64Array.from(c.values as number[])
          : Float32Array.from(c.values as number[]);
  return tensor(data, { shape: c.shape, dtype: c.dtype });
}

describe("toString against PyTorch's repr", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(build(c).toString()).toBe(inNablaTerms(c.repr));
  });

  it("prints a strided view by its logical order", () => {
    const c = cases.find((x) => x.name === "2-D")!;
    const t = tensor([
      [1, 3],
      [2, 4],
    ]).T;
    expect(t.toString()).toBe(inNablaTerms(c.repr));
  });
});

describe("toString conventions pinned by hand", () => {
  it("NaN and ±inf print as nan/inf, aligned with the other cells (numpy)", () => {
    expect(tensor([NaN, Infinity, -Infinity, 1]).toString()).toBe("tensor([ nan,  inf, -inf,   1.])");
    expect(tensor([1.5, NaN]).toString()).toBe("tensor([1.5000,    nan])");
    expect(tensor([NaN, NaN]).toString()).toBe("tensor([nan, nan])");
  });

  it("names float64 but not float32, int32 or bool (what plain numbers and booleans give)", () => {
    expect(tensor([1, 2], { dtype: "float64" }).toString()).toBe("tensor([1., 2.], dtype=float64)");
    expect(tensor([1, 2], { dtype: "int32" }).toString()).toBe("tensor([1, 2])");
    expect(tensor([true]).toString()).toBe("tensor([true])");
  });

  it("appends requiresGrad on leaves and the creating op on results", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(x.toString()).toBe("tensor([1., 2.], requiresGrad=true)");
    expect(x.mul(2).toString()).toBe("tensor([2., 4.], gradFn=<mul>)");
    expect(x.sum().toString()).toBe("tensor(3., gradFn=<sum>)");
    expect(x.to("float64").toString()).toBe("tensor([1., 2.], dtype=float64, gradFn=<cast>)");
    expect(x.detach().toString()).toBe("tensor([1., 2.])");
  });

  it("summarises past 1000 elements only", () => {
    expect(arange(1000).toString()).not.toContain("...");
    expect(arange(1001).toString()).toBe("tensor([   0,    1,    2, ...,  998,  999, 1000])");
  });

  it("a million elements print as 3 + 3 rows of 3 + 3 values", () => {
    const text = zeros([1000, 1000]).toString();
    expect(text.split("\n")).toHaveLength(7);
    expect(text.split("\n")[0]).toBe("tensor([[0., 0., 0., ..., 0., 0., 0.],");
    expect(text.split("\n")[3]).toBe("        ...,");
  });

  it("util.inspect and console.log (util.format) show toString", () => {
    const t = tensor([
      [1.5, 2],
      [3, 4],
    ]);
    expect(inspect(t)).toBe(t.toString());
    expect(format(t)).toBe(t.toString());
    expect(format("x =", t)).toBe(`x = ${t.toString()}`);
    expect(inspect([tensor([1, 2])])).toBe("[ tensor([1., 2.]) ]");
    expect(String(t)).toBe(t.toString());
    expect(`${tensor(1)}`).toBe("tensor(1.)");
  });
});

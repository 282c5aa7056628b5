import { describe, expect, it } from "vitest";
import {
  autogradGrad,
  einsum,
  flip,
  index,
  indexPut_,
  maskedSelect,
  nonzero,
  repeat,
  roll,
  sort,
  take,
  tensor,
  tile,
  topk,
  tril,
  triu,
  type IndexEntry,
  type Tensor,
} from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { PASSES, expectClose, fromFlat } from "./reference";

// sort, topk, advanced indexing (index, indexPut_, maskedSelect, take, nonzero), the structure ops
// and einsum against PyTorch (test/fixtures/gen_indexing2.py): values, int32 positions, and the
// gradient of every input for a random cotangent.

interface Flat {
  shape: number[];
  values: number[];
}

interface Case {
  name?: string;
  op: string;
  args: Record<string, unknown>;
  inputs: Flat[];
  indices?: (null | (Flat & { dtype: "int32" | "bool" }))[];
  outShape: number[];
  out: number[];
  outIndices?: number[];
  cotangent?: number[];
  grads?: number[][];
}

/** The non-tensor arguments of every op here, by nabla's names. */
interface CaseArgs {
  dim: number;
  descending: boolean;
  k: number;
  largest: boolean;
  accumulate: boolean;
  mask: Flat;
  index: Flat;
  diagonal: number;
  dims: number | number[];
  shifts: number | number[];
  sizes: number[];
  equation: string;
}

const fixture = loadFixture<Record<string, Case[]>>("tensor_indexing2.json");

const entries = (c: Case): IndexEntry[] =>
  c.indices!.map((e) =>
    e === null
      ? null
      : e.dtype === "int32"
        ? tensor(Int32Array.from(e.values), { shape: e.shape })
        : tensor(Uint8Array.from(e.values), { shape: e.shape, dtype: "bool" }),
  );
const int32 = (f: Flat) => tensor(Int32Array.from(f.values), { shape: f.shape });

/** The op of a case, on its inputs: the result (values) and, for sort/topk, the positions. */
function run(c: Case, xs: Tensor[]): { out: Tensor; positions?: Tensor } {
  const a = c.args as unknown as CaseArgs;
  const x = xs[0]!;
  switch (c.op) {
    case "sort": {
      const { values, indices } = sort(x, a.dim, { descending: a.descending });
      return { out: values, positions: indices };
    }
    case "topk": {
      const { values, indices } = topk(x, a.k, a.dim, { largest: a.largest });
      return { out: values, positions: indices };
    }
    case "index":
      return { out: index(x, entries(c)) };
    case "indexPut_":
      // out of place for the gradient: written into a copy that is part of the graph
      return { out: indexPut_(x.mul(1), entries(c), xs[1]!, { accumulate: a.accumulate }) };
    case "maskedSelect": {
      return { out: maskedSelect(x, tensor(Uint8Array.from(a.mask.values), { shape: a.mask.shape, dtype: "bool" })) };
    }
    case "take":
      return { out: take(x, int32(a.index)) };
    case "nonzero":
      return { out: nonzero(x) };
    case "tril":
      return { out: tril(x, a.diagonal) };
    case "triu":
      return { out: triu(x, a.diagonal) };
    case "flip":
      return { out: flip(x, a.dims) };
    case "roll":
      return { out: roll(x, a.shifts, a.dims) };
    case "repeat":
      return { out: repeat(x, a.sizes) };
    case "tile":
      return { out: tile(x, a.sizes) };
    case "einsum":
      return { out: einsum(a.equation, ...xs) };
    default:
      throw new Error(`no runner for ${c.op}`);
  }
}

const label = (c: Case, i: number) => `${c.op} #${i}${c.name ? ` (${c.name})` : ""}${c.op === "einsum" ? ` ${c.args.equation}` : ""}`;

for (const [group, cases] of Object.entries(fixture)) {
  describe(`${group} against PyTorch`, () => {
    for (const { dtype, tolerance } of PASSES) {
      it.each(cases.map((c, i) => [label(c, i), c] as const))(`%s (${dtype})`, (name, c) => {
        const xs = c.inputs.map((input) => fromFlat(input.values, input.shape, dtype, c.grads !== undefined));
        const { out, positions } = run(c, xs);
        expect(out.shape, name).toEqual(c.outShape);
        if (out.dtype === "int32") expect(Array.from(out.data()), name).toEqual(c.out);
        else expectClose(out.data(), c.out, tolerance, name);
        if (c.outIndices) {
          expect(positions!.dtype).toBe("int32");
          expect(Array.from(positions!.data()), name).toEqual(c.outIndices);
        }
        if (c.grads) {
          const grads = autogradGrad([out], xs, { gradOutputs: [fromFlat(c.cotangent!, c.outShape, dtype)], allowUnused: true });
          c.grads.forEach((expected, k) => {
            expectClose(grads[k]?.data() ?? new Float64Array(expected.length), expected, tolerance, `${name}: grad ${k}`);
          });
        }
      });
    }
  });
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError, noGrad, tensor, type Tensor } from "@nabla/tensor";
import {
  advanceChain,
  applyStep,
  chainStart,
  float64,
  kernelValuesArb,
  numelOf,
  viewChainArb,
  type ChainState,
  type ViewChain,
} from "../support/arbitraries";
import * as naive from "../support/naive";

const NUM_RUNS = 150;

/** The storage position of each element according to the tensor's own shape, strides and offset. */
function positionsFromLayout(t: Tensor): naive.NaiveArray {
  return naive.build(t.shape, (index) => index.reduce((p, i, d) => p + i * t.strides[d]!, t.offset));
}

/** A tensor matches the model: its layout reaches the model's positions, and it reads the values there. */
function expectLayout(t: Tensor, state: ChainState, storage: readonly number[], label: string): void {
  expect([...t.shape], `${label}: shape`).toEqual([...state.positions.shape]);
  expect(naive.flatValues(positionsFromLayout(t)), `${label}: storage positions`).toEqual(naive.flatValues(state.positions));
  naive.expectMatches(
    t,
    naive.map(state.positions, (p) => storage[p]!),
    {},
    `${label}: values`,
  );
  expect(t.isContiguous(), `${label}: isContiguous`).toBe(naive.isConsecutive(state.positions));
}

/** Base values and a chain of view steps. */
const chainCaseArb = (options: Parameters<typeof viewChainArb>[0] = {}) =>
  viewChainArb(options).chain((chain) => kernelValuesArb(numelOf(chain.baseShape)).map((values) => ({ chain, values })));

interface ChainResult {
  tensor: Tensor;
  state: ChainState;
  /** The model's storage values the result reads from (the base's, or a copy's). */
  storage: number[];
}

/**
 * Applies a chain step by step, checking each result against the model: views share the storage
 * of their root and address it as the model says; a reshape that no strides can express makes
 * `view` throw and `reshape` copy.
 */
function runChain(base: Tensor, values: readonly number[], chain: ViewChain): ChainResult {
  let t = base;
  let root = base;
  let state = chainStart(chain.baseShape);
  let storage = [...values];
  chain.steps.forEach((step, i) => {
    const label = `step ${i} ${JSON.stringify(step)} on shape [${t.shape.join(", ")}]`;
    const next = advanceChain(state, step);
    if (next.copies > state.copies) {
      // reshape or flatten to a shape no strides can express: view throws, they copy
      expect(() => t.view(next.positions.shape), label).toThrow(NablaError);
      expect(() => t.view(next.positions.shape), label).toThrow(
        /^view: cannot view a tensor of shape \[.*\] and strides \[.*\] as \[.*\]: its elements are not evenly spaced in memory/,
      );
      const copied = applyStep(t, step);
      expect(copied.storage, `${label}: copies`).not.toBe(root.storage);
      storage = naive.flatValues(naive.map(state.positions, (p) => storage[p]!));
      t = root = copied;
    } else {
      if (step.op === "view") expect(t.reshape(step.shape).storage, `${label}: reshape of a viewable shape is a view`).toBe(root.storage);
      t = applyStep(t, step);
      expect(t.storage, `${label}: shares storage`).toBe(root.storage);
    }
    state = next;
    expectLayout(t, state, storage, label);
  });
  return { tensor: t, state, storage };
}

describe("view chains against the naive model", () => {
  it("every view reads the model's elements from the shared storage, at the model's positions", () => {
    fc.assert(
      fc.property(chainCaseArb(), ({ chain, values }) => {
        runChain(float64(values, chain.baseShape), values, chain);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("copy() and friends: contiguous() copies only non-contiguous views, clone() always copies", () => {
    fc.assert(
      fc.property(chainCaseArb({ maxSteps: 3 }), ({ chain, values }) => {
        const { tensor: view, state, storage } = runChain(float64(values, chain.baseShape), values, chain);
        const expected = naive.map(state.positions, (p) => storage[p]!);
        const contiguous = view.contiguous();
        if (view.isContiguous()) expect(contiguous.storage).toBe(view.storage);
        else expect(contiguous.storage).not.toBe(view.storage);
        expect(contiguous.isContiguous()).toBe(true);
        naive.expectMatches(contiguous, expected);
        const cloned = view.clone();
        expect(cloned.storage).not.toBe(view.storage);
        naive.expectMatches(cloned, expected);
      }),
      { numRuns: 60 },
    );
  });
});

type Write =
  | { op: "fill_"; value: number }
  | { op: "copy_"; values: number[]; broadcastDims: boolean[] }
  | { op: "add_"; values: number[] };

/** A write through a view: fill with a value, copy a tensor (broadcast along some dims) or add one. */
function writeArb(shape: readonly number[]): fc.Arbitrary<Write> {
  const n = numelOf(shape);
  return fc.oneof(
    fc.double({ min: -5, max: 5, noNaN: true }).map((value) => ({ op: "fill_" as const, value })),
    fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }).chain((broadcastDims) =>
      kernelValuesArb(numelOf(shape.map((size, d) => (broadcastDims[d] ? 1 : size)))).map((values) => ({
        op: "copy_" as const,
        values,
        broadcastDims,
      })),
    ),
    kernelValuesArb(n).map((values) => ({ op: "add_" as const, values })),
  );
}

/** What the write puts at each element of the target, by the model (null for fill_: one value). */
function writtenValues(write: Write, shape: readonly number[], current: naive.NaiveArray): naive.NaiveArray {
  switch (write.op) {
    case "fill_":
      return naive.build(shape, () => write.value);
    case "copy_":
      return naive.expand(
        naive.fromFlat(
          write.values,
          shape.map((size, d) => (write.broadcastDims[d] ? 1 : size)),
        ),
        shape,
      );
    case "add_":
      return naive.elementwise((a, b) => a + b, current, naive.fromFlat(write.values, shape));
  }
}

function applyWrite(target: Tensor, write: Write): void {
  switch (write.op) {
    case "fill_":
      target.fill_(write.value);
      return;
    case "copy_":
      target.copy_(
        float64(
          write.values,
          target.shape.map((size, d) => (write.broadcastDims[d] ? 1 : size)),
        ),
      );
      return;
    case "add_":
      target.add_(float64(write.values, target.shape));
  }
}

describe("writes through views", () => {
  // asStrided is left out of the written-to chains: its layouts may overlap in ways only a
  // search finds, and the library (conservatively) refuses some that PyTorch accepts
  const writeCaseArb = viewChainArb({ asStrided: false }).chain((a) =>
    fc.record({
      a: fc.constant(a),
      b: viewChainArb({ baseShape: a.baseShape }),
      values: kernelValuesArb(numelOf(a.baseShape)),
      write: writeArb(resultShape(a)),
    }),
  );

  it("is seen through the base and through every other view of the storage", () => {
    fc.assert(
      fc.property(writeCaseArb, ({ a, b, values, write }) => {
        const base = float64(values, a.baseShape);
        const viewA = runChain(base, values, a);
        const viewB = runChain(base, values, b);
        const positionsA = naive.flatValues(viewA.state.positions);
        const overlapping = new Set(positionsA).size < positionsA.length;
        const storageBefore = Array.from(base.data());
        const version = viewA.tensor.storage.version;
        if (overlapping && write.op !== "fill_") {
          expect(() => noGrad(() => applyWrite(viewA.tensor, write))).toThrow(
            new RegExp(
              `^${write.op}: the target \\(shape \\[.*\\], strides \\[.*\\]\\) has elements that share memory; clone\\(\\) it first$`,
            ),
          );
          expect(Array.from(base.data()), "a rejected write changes nothing").toEqual(storageBefore);
          return;
        }
        if (overlapping) {
          // fill_ writes one value, so elements sharing memory are fine (as PyTorch)
          noGrad(() => applyWrite(viewA.tensor, write));
          expect(viewA.tensor.storage.version).toBe(version + 1);
          expect(new Set(Array.from(viewA.tensor.data()))).toEqual(new Set([viewA.tensor.data()[0]]));
          return;
        }
        const current = naive.map(viewA.state.positions, (p) => viewA.storage[p]!);
        noGrad(() => applyWrite(viewA.tensor, write));
        expect(viewA.tensor.storage.version, "each write bumps the version").toBe(version + 1);
        // the model of the storage after the write
        const written = naive.flatValues(writtenValues(write, viewA.state.positions.shape, current));
        const storageA = [...viewA.storage];
        positionsA.forEach((p, i) => {
          storageA[p] = written[i]!;
        });
        const baseAfter = viewA.state.copies === 0 ? storageA : values;
        naive.expectMatches(base, naive.fromFlat(baseAfter, a.baseShape), {}, "base after the write");
        naive.expectMatches(
          viewA.tensor,
          naive.map(viewA.state.positions, (p) => storageA[p]!),
          {},
          "the written view",
        );
        const storageB = viewB.state.copies === 0 ? baseAfter : viewB.storage;
        naive.expectMatches(
          viewB.tensor,
          naive.map(viewB.state.positions, (p) => storageB[p]!),
          {},
          "another view",
        );
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

function resultShape(chain: ViewChain): number[] {
  return [...chain.steps.reduce(advanceChain, chainStart(chain.baseShape)).positions.shape];
}

describe("views by example (values as PyTorch gives them)", () => {
  const x = tensor(
    Float64Array.from({ length: 24 }, (_, i) => i),
    { shape: [2, 3, 4] },
  );

  it("slices like Python, with negative indices, clamped bounds and steps", () => {
    expect(x.slice(2, -3, undefined, 2).toArray()).toEqual([
      [
        [1, 3],
        [5, 7],
        [9, 11],
      ],
      [
        [13, 15],
        [17, 19],
        [21, 23],
      ],
    ]);
    expect(x.slice(1, 1, 100).select(0, -1).toArray()).toEqual([
      [16, 17, 18, 19],
      [20, 21, 22, 23],
    ]);
    expect(x.slice(0, 5).shape).toEqual([0, 3, 4]);
    expect(x.narrow(-1, -2, 2).select(1, 0).toArray()).toEqual([
      [2, 3],
      [14, 15],
    ]);
  });

  it("reports strides and offsets as PyTorch does", () => {
    const v = x.permute([2, 0, 1]).slice(0, 1, undefined, 2);
    expect([v.shape, v.strides, v.offset]).toEqual([[2, 2, 3], [2, 12, 4], 1]);
    const e = x.select(1, 2).unsqueeze(1).expand([-1, 5, -1]);
    expect([e.shape, e.strides, e.offset, e.isContiguous()]).toEqual([[2, 5, 4], [12, 0, 1], 8, false]);
    expect(x.T.strides).toEqual([1, 4, 12]);
    expect(x.mT.shape).toEqual([2, 4, 3]);
  });

  it("squeeze(dim) leaves a dim that is not of size 1, as PyTorch", () => {
    const y = x.unsqueeze(0).unsqueeze(-1);
    expect(y.shape).toEqual([1, 2, 3, 4, 1]);
    expect(y.squeeze(1).shape).toEqual([1, 2, 3, 4, 1]);
    expect(y.squeeze(-1).shape).toEqual([1, 2, 3, 4]);
    expect(y.squeeze().shape).toEqual([2, 3, 4]);
  });

  it("asStrided takes an absolute storage offset and may overlap", () => {
    const windows = x.select(0, 1).asStrided([3, 2], [1, 1]);
    expect(windows.toArray()).toEqual([
      [12, 13],
      [13, 14],
      [14, 15],
    ]);
    expect(x.asStrided([2, 2], [1, 1], 20).toArray()).toEqual([
      [20, 21],
      [21, 22],
    ]);
  });

  it("rejects impossible views with messages naming the op, the shapes and what was expected", () => {
    expect(() => x.permute([0, 2, 1]).view([6, 4])).toThrow(
      "view: cannot view a tensor of shape [2, 4, 3] and strides [12, 1, 4] as [6, 4]: its elements are not evenly spaced in memory; use reshape() (which copies) or contiguous() first",
    );
    expect(() => x.asStrided([5, 5], [5, 1], 1)).toThrow(
      "asStrided: shape [5, 5] with strides [5, 1] and offset 1 reaches storage positions 1 to 25, outside a storage of 24 elements",
    );
    expect(() => x.slice(0, 0, 2, 0)).toThrow("slice: step must be a positive integer, got 0");
    expect(() => x.select(1, 3)).toThrow("select: index 3 is out of range for dim 1 of size 3 (shape [2, 3, 4])");
    expect(() => x.narrow(2, 3, 2)).toThrow("narrow: start 3 and length 2 do not fit dim 2 of size 4 (shape [2, 3, 4])");
    expect(() => x.expand([2, 5, 4])).toThrow("expand: cannot expand [2, 3, 4] to [2, 5, 4]: size 3 at dim 1 must be 1 or equal 5");
    expect(() => x.permute([0, 0, 1])).toThrow("permute: dims [0, 0, 1] repeat a dim");
    expect(() => x.transpose(0, 3)).toThrow("transpose: dim 3 is out of range for a tensor with 3 dims (expected -3 to 2)");
    expect(() => x.view([5, -1])).toThrow("view: shape [5, -1] is invalid for input of size 24 (shape [2, 3, 4])");
    expect(() => x.reshape([-1, -1])).toThrow("reshape: only one dimension can be -1, got [-1, -1]");
  });

  it("0-d tensors: T, flatten, unsqueeze and expand", () => {
    const s = tensor(7, { dtype: "float64" });
    expect(s.T.shape).toEqual([]);
    expect(s.flatten().shape).toEqual([1]);
    expect(s.unsqueeze(0).expand([3]).toArray()).toEqual([7, 7, 7]);
    expect(s.expand([2, 2]).strides).toEqual([0, 0]);
  });
});

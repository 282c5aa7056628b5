import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError, arange, noGrad, tensor, type Tensor, zeros } from "@nabla/tensor";
import { shapeArb } from "../support/arbitraries";
import * as naive from "../support/naive";

// In-place ops: add_ sub_ mul_ div_ zero_ fill_ copy_ write through the target's layout (so a
// write through a view is seen by its base), broadcast the source to the target, keep the
// target's dtype (PyTorch's can_cast), bump the storage's version, and refuse leaves that require
// grad unless grad mode is off.

describe("arithmetic in place", () => {
  it("add_ sub_ mul_ div_ with tensors and numbers, returning the target itself", () => {
    const t = tensor([1, 2, 3]);
    expect(t.add_(tensor([10, 20, 30]))).toBe(t);
    expect(t.toArray()).toEqual([11, 22, 33]);
    expect(t.sub_(1)).toBe(t);
    expect(t.toArray()).toEqual([10, 21, 32]);
    t.mul_(tensor([2, 0.5, -1]));
    expect(t.toArray()).toEqual([20, 10.5, -32]);
    t.div_(4);
    expect(t.toArray()).toEqual([5, 2.625, -8]);
  });

  it("broadcasts the source to the target", () => {
    const t = zeros([2, 3]);
    t.add_(tensor([1, 2, 3]));
    t.mul_(tensor([[1], [-1]]));
    t.sub_(tensor(0.5));
    expect(t.toArray()).toEqual([
      [0.5, 1.5, 2.5],
      [-1.5, -2.5, -3.5],
    ]);
  });

  it("add_ adds straight into a strided target what add would give, int32 wrapping", () => {
    const base = tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]).reshape([2, 4]);
    const expected = base.mT.narrow(0, 1, 2).add(tensor([1e-8, 3.3]));
    const target = base.mT.narrow(0, 1, 2); // columns 1 and 2: strides [1, 4]
    const version = target.storage.version;
    target.add_(tensor([1e-8, 3.3]));
    expect(target.data()).toEqual(expected.data());
    expect(target.storage.version).toBe(version + 1);
    expect(base.narrow(1, 1, 2).mT.data()).toEqual(expected.data());
    expect(base.select(1, 3).data()).toEqual(tensor([0.4, 0.8]).data());
    const big = tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: "int32" });
    expect(big.add_(tensor([1, -1], { dtype: "int32" })).toArray()).toEqual([-(2 ** 31), 2 ** 31 - 1]);
    expect(tensor([1.5], { dtype: "float64" }).add_(0.25).toArray()).toEqual([1.75]);
  });

  it("keeps the target's dtype: float32 += int32 and float32 += float64 stay float32", () => {
    const t = tensor([1.5, 2.5]);
    t.add_(tensor([1, 2], { dtype: "int32" }));
    expect(t.dtype).toBe("float32");
    expect(t.toArray()).toEqual([2.5, 4.5]);
    t.add_(tensor([0.1, 0], { dtype: "float64" }));
    expect(t.dtype).toBe("float32");
    expect(t.data()[0]).toBe(Math.fround(2.6));
    const i = tensor([1, 2], { dtype: "int32" });
    i.mul_(3);
    i.add_(tensor([true, false]));
    expect(i.dtype).toBe("int32");
    expect(i.toArray()).toEqual([4, 6]);
  });

  it("refuses results its dtype cannot hold: int32 add_(1.5), int32 div_, bool add_(1)", () => {
    const i = tensor([1, 2], { dtype: "int32" });
    expect(() => i.add_(1.5)).toThrow(/^add_: the result type float32 cannot be stored in a int32 tensor/);
    expect(() => i.div_(2)).toThrow(/^div_: the result type float32 cannot be stored in a int32 tensor/);
    expect(() => i.add_(tensor([0.5, 0.5]))).toThrow(NablaError);
    expect(() => tensor([true]).add_(1)).toThrow(/^add_: the result type int32 cannot be stored in a bool tensor/);
    expect(i.toArray()).toEqual([1, 2]);
  });
});

describe("fill_, zero_ and copy_", () => {
  it("fill_ and zero_ set every element", () => {
    const t = arange(4).to("float64");
    expect(t.fill_(2.5)).toBe(t);
    expect(t.toArray()).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(t.zero_()).toBe(t);
    expect(t.toArray()).toEqual([0, 0, 0, 0]);
    const b = tensor([false, false]);
    b.fill_(true);
    expect(b.toArray()).toEqual([true, true]);
    const i = tensor([1, 2], { dtype: "int32" });
    i.fill_(7);
    expect(i.toArray()).toEqual([7, 7]);
  });

  it("copy_ broadcasts and converts the source to the target's dtype", () => {
    const t = zeros([2, 3], { dtype: "int32" });
    t.copy_(tensor([1.9, -2.9, 3]));
    expect(t.toArray()).toEqual([
      [1, -2, 3],
      [1, -2, 3],
    ]);
    t.copy_(5);
    expect(t.toArray()).toEqual([
      [5, 5, 5],
      [5, 5, 5],
    ]);
    const f = zeros([2]);
    f.copy_(tensor([true, false]));
    expect(f.toArray()).toEqual([1, 0]);
  });

  it("copy_ from an overlapping view of the same storage copies the old values", () => {
    const t = arange(5).to("float32");
    t.slice(0, 1).copy_(t.slice(0, 0, 4));
    expect(t.toArray()).toEqual([0, 0, 1, 2, 3]);
  });
});

describe("in place from a view that overlaps the target", () => {
  // The source is read whole before anything is written, so each op gives the out-of-place result
  // (the source's old values); copy_ walked both views at once and read values it had already
  // overwritten
  it("x.copy_(x.T) gives [[0, 2], [1, 3]], not [[0, 2], [2, 3]]", () => {
    const x = arange(0, 4).reshape([2, 2]);
    x.copy_(x.T);
    expect(x.toArray()).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it("x.add_(x.T) gives x + x.T", () => {
    const x = arange(0, 4).reshape([2, 2]);
    x.add_(x.T);
    expect(x.toArray()).toEqual([
      [0, 3],
      [3, 6],
    ]);
  });

  const ops: Record<string, { run: (target: Tensor, source: Tensor) => void; fn: (a: number, b: number) => number }> = {
    copy_: { run: (t, s) => t.copy_(s), fn: (_a, b) => b },
    add_: { run: (t, s) => t.add_(s), fn: (a, b) => a + b },
    sub_: { run: (t, s) => t.sub_(s), fn: (a, b) => a - b },
    mul_: { run: (t, s) => t.mul_(s), fn: (a, b) => a * b },
    div_: { run: (t, s) => t.div_(s), fn: (a, b) => a / b },
  };

  it("copy_ add_ sub_ mul_ div_ between random views of one storage match a naive model", () => {
    // target: its dims in a random memory order, each stride past the reach of the smaller ones
    // (gaps of 1 or 2), so its elements are distinct, as the ops require; source: any strides, 0
    // (broadcast) included, over the same storage
    const targetStridesArb = (shape: number[]) =>
      fc
        .tuple(
          fc.shuffledSubarray([...shape.keys()], { minLength: shape.length, maxLength: shape.length }),
          fc.array(fc.integer({ min: 1, max: 2 }), { minLength: shape.length, maxLength: shape.length }),
        )
        .map(([order, gaps]) => {
          const strides = new Array<number>(shape.length);
          let next = 1;
          order.forEach((d, i) => {
            strides[d] = next * gaps[i]!;
            next = strides[d] * shape[d]!;
          });
          return strides;
        });
    const sourceStridesArb = (rank: number) => fc.array(fc.integer({ min: 0, max: 4 }), { minLength: rank, maxLength: rank });
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.keys(ops)),
        shapeArb({ maxRank: 3, maxSize: 4 }).chain((shape) =>
          fc.tuple(fc.constant(shape), targetStridesArb(shape), sourceStridesArb(shape.length)),
        ),
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        (name, [shape, targetStrides, sourceStrides], targetOffset, sourceOffset) => {
          const reach = (strides: number[], offset: number) => offset + shape.reduce((r, size, d) => r + (size - 1) * strides[d]!, 0);
          const length = Math.max(reach(targetStrides, targetOffset), reach(sourceStrides, sourceOffset)) + 1;
          const positions = naive.flatValues(
            naive.asStrided(
              Array.from({ length }, (_, i) => i),
              shape,
              targetStrides,
              targetOffset,
            ),
          );
          // distinct non-zero values, so a stale read and a division by zero both show
          const before = Array.from({ length }, (_, i) => i + 1);
          const storage = tensor(Float64Array.from(before));
          ops[name]!.run(storage.asStrided(shape, targetStrides, targetOffset), storage.asStrided(shape, sourceStrides, sourceOffset));
          const target = naive.flatValues(naive.asStrided(before, shape, targetStrides, targetOffset));
          const source = naive.flatValues(naive.asStrided(before, shape, sourceStrides, sourceOffset));
          const expected = [...before];
          positions.forEach((p, i) => {
            expected[p] = ops[name]!.fn(target[i]!, source[i]!);
          });
          expect(Array.from(storage.data())).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("writes through views", () => {
  it("a write through a slice with step is seen by the base", () => {
    const base = zeros([3, 4]);
    base.slice(1, 0, 4, 2).add_(1);
    expect(base.toArray()).toEqual([
      [1, 0, 1, 0],
      [1, 0, 1, 0],
      [1, 0, 1, 0],
    ]);
  });

  it("through a transpose, a select and a narrow", () => {
    const base = arange(6).reshape([2, 3]).to("float32");
    base.T.select(0, 2).mul_(10); // column 2
    expect(base.toArray()).toEqual([
      [0, 1, 20],
      [3, 4, 50],
    ]);
    base.narrow(0, 1, 1).fill_(-1);
    expect(base.toArray()).toEqual([
      [0, 1, 20],
      [-1, -1, -1],
    ]);
    base.T.copy_(
      tensor([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    expect(base.toArray()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
  });

  it("one view's write is seen through another view of the same storage", () => {
    const base = zeros([4]);
    const a = base.reshape([2, 2]);
    const b = base.asStrided([2], [3], 0); // elements 0 and 3
    a.add_(
      tensor([
        [1, 2],
        [3, 4],
      ]),
    );
    expect(b.toArray()).toEqual([1, 4]);
    b.zero_();
    expect(a.toArray()).toEqual([
      [0, 2],
      [3, 0],
    ]);
  });

  it("a target whose elements share memory is refused", () => {
    const base = zeros([1]);
    expect(() => base.expand([3]).add_(1)).toThrow(
      /^add_: the target \(shape \[3\], strides \[0\]\) has elements that share memory; clone\(\) it first/,
    );
    expect(base.toArray()).toEqual([0]);
  });

  it("fill_ and zero_ may write through elements that share memory: one value is well defined (PyTorch)", () => {
    const base = zeros([2, 1]);
    base.expand([2, 3]).fill_(7);
    expect(base.toArray()).toEqual([[7], [7]]);
    base.expand([2, 3]).zero_();
    expect(base.toArray()).toEqual([[0], [0]]);
  });
});

describe("the version counter", () => {
  it("every in-place op bumps the storage's version, seen by all its views", () => {
    const t = zeros([2, 2]);
    const v = t.T;
    const ops = [
      () => t.add_(1),
      () => t.sub_(1),
      () => t.mul_(2),
      () => t.div_(2),
      () => t.fill_(3),
      () => t.zero_(),
      () => t.copy_(tensor([1, 2])),
      () => v.add_(1),
    ];
    ops.forEach((op, i) => {
      op();
      expect(t.storage.version).toBe(i + 1);
      expect(v.storage.version).toBe(i + 1);
    });
  });

  it("out-of-place ops leave it alone", () => {
    const t = zeros([2]);
    t.add(1);
    t.mul(2).add_(1);
    expect(t.storage.version).toBe(0);
  });

  it("backward through a graph that saved a tensor later modified in place throws", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(1);
    const z = y.mul(y); // saves y
    y.add_(1);
    expect(() => z.sum().backward()).toThrow(/^backward: one of the tensors saved by mul .*modified by an in-place operation/);
  });
});

describe("leaves that require grad", () => {
  it("cannot be modified in place while grad mode is on", () => {
    const p = tensor([1, 2], { requiresGrad: true });
    for (const [op, apply] of [
      ["add_", () => p.add_(1)],
      ["sub_", () => p.sub_(1)],
      ["mul_", () => p.mul_(2)],
      ["div_", () => p.div_(2)],
      ["fill_", () => p.fill_(0)],
      ["zero_", () => p.zero_()],
      ["copy_", () => p.copy_(tensor([5, 6]))],
    ] as const) {
      expect(apply, op).toThrow(/a leaf tensor that requires grad cannot be modified in place outside noGrad/);
    }
    expect(p.toArray()).toEqual([1, 2]);
  });

  it("can be updated inside noGrad, optimizer style, without joining the graph", () => {
    const p = tensor([1, 2], { requiresGrad: true });
    p.mul(p).sum().backward(); // grad = 2p
    const lr = 0.25;
    noGrad(() => {
      p.sub_(p.grad!.mul(lr));
    });
    expect(p.toArray()).toEqual([0.5, 1]);
    expect(p.isLeaf).toBe(true);
    expect(p.requiresGrad).toBe(true);
    expect(p.gradFn).toBeNull();
    noGrad(() => p.grad!.zero_());
    expect(p.grad!.toArray()).toEqual([0, 0]);
    // the updated leaf trains on: a fresh graph gives grad 2p at the new values
    p.grad = null;
    p.mul(p).sum().backward();
    expect(p.grad!.toArray()).toEqual([1, 2]);
  });

  it("in place on a non-leaf inside a graph carries the gradient on", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(2);
    y.add_(tensor([1, 1, 1]));
    y.mul_(tensor([3, 5, 7])); // y = (2x + 1) ⊙ c, so dy/dx = 2c
    expect(y.gradFn).not.toBeNull();
    y.backward(tensor([1, 1, 1]));
    expect(y.toArray()).toEqual([9, 25, 49]);
    expect(x.grad!.toArray()).toEqual([6, 10, 14]);
  });
});

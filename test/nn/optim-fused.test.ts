// SGD, Adam, AdamW, RMSprop and Adagrad update contiguous float parameters with the backend's
// optimizerUpdate primitive (for float32 SGD, Adam and AdamW, a WebAssembly SIMD kernel where the
// kernel preference takes it: by default from 32 elements, under "wasm" at any size), and
// everything else with tensor ops. Here the two forms are run side by side on the same values: a parameter whose gradient
// is a strided view (not contiguous) takes the tensor-op form, the reference, and the fused form
// must match it bit for bit, state included.

import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import {
  Tensor,
  asStrided,
  getKernelPreference,
  registeredOps,
  setKernelPreference,
  tensor,
  type DType,
  type KernelPreference,
} from "@nabla/tensor";
import { optim } from "@nabla/nn";
import { simdUpdatesAvailable } from "../../packages/tensor/src/backends/cpu/wasm/updates";
import { WASM_MEMORY_LIMIT_BYTES, wasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";
import { numelOf, shapeArb } from "../support/arbitraries";

const initialKernels = getKernelPreference();
afterEach(() => {
  vi.restoreAllMocks();
  setKernelPreference(initialKernels);
});

type FloatDType = Extract<DType, "float32" | "float64">;
type OptimizerSpec =
  | { kind: "SGD"; options: optim.SGDOptions }
  | { kind: "Adam" | "AdamW"; options: optim.AdamOptions }
  | { kind: "RMSprop"; options: optim.RMSpropOptions }
  | { kind: "Adagrad"; options: optim.AdagradOptions };

function makeOptimizer(spec: OptimizerSpec, params: Tensor[]): optim.Optimizer {
  switch (spec.kind) {
    case "SGD":
      return new optim.SGD(params, spec.options);
    case "Adam":
      return new optim.Adam(params, spec.options);
    case "AdamW":
      return new optim.AdamW(params, spec.options);
    case "RMSprop":
      return new optim.RMSprop(params, spec.options);
    case "Adagrad":
      return new optim.Adagrad(params, spec.options);
  }
}

/** A hyperparameter: 0 (which some updates treat specially), a typical value, or anything in [min, max]. */
function hyperparameterArb(min: number, max: number, typical: number[]): fc.Arbitrary<number> {
  return fc.oneof(fc.constant(0), fc.constantFrom(...typical), fc.double({ min, max, noNaN: true }));
}

const betaArb = hyperparameterArb(0, 0.999, [0.9, 0.999, 0.5]);

const sgdSpecArb: fc.Arbitrary<OptimizerSpec> = fc
  .record({
    lr: hyperparameterArb(0, 2, [0.1, 0.01]),
    momentum: hyperparameterArb(0, 0.999, [0.9, 0.5]),
    dampening: hyperparameterArb(-1, 1, [0.1, 0.5]),
    weightDecay: hyperparameterArb(0, 0.5, [1e-4, 0.01]),
    nesterov: fc.boolean(),
  })
  // Nesterov needs momentum > 0 and no dampening
  .map((options) => ({
    kind: "SGD" as const,
    options: options.nesterov ? { ...options, momentum: options.momentum || 0.9, dampening: 0 } : options,
  }));

const adamSpecArb: fc.Arbitrary<OptimizerSpec> = fc.record({
  kind: fc.constantFrom("Adam" as const, "AdamW" as const),
  options: fc.record({
    lr: hyperparameterArb(0, 1, [1e-3, 0.01]),
    betas: fc.tuple(betaArb, betaArb),
    eps: hyperparameterArb(0, 1e-2, [1e-8]),
    weightDecay: hyperparameterArb(0, 0.5, [1e-2, 0.1]),
    amsgrad: fc.boolean(),
  }),
});

const rmspropSpecArb: fc.Arbitrary<OptimizerSpec> = fc.record({
  kind: fc.constant("RMSprop" as const),
  options: fc.record({
    lr: hyperparameterArb(0, 1, [1e-2, 1e-3]),
    alpha: hyperparameterArb(0, 0.999, [0.99, 0.9]),
    eps: hyperparameterArb(0, 1e-2, [1e-8]),
    weightDecay: hyperparameterArb(0, 0.5, [1e-2, 0.1]),
    momentum: hyperparameterArb(0, 0.999, [0.9, 0.5]),
    centered: fc.boolean(),
  }),
});

const adagradSpecArb: fc.Arbitrary<OptimizerSpec> = fc.record({
  kind: fc.constant("Adagrad" as const),
  options: fc.record({
    lr: hyperparameterArb(0, 1, [1e-2, 0.1]),
    lrDecay: hyperparameterArb(0, 0.5, [1e-3]),
    weightDecay: hyperparameterArb(0, 0.5, [1e-2, 0.1]),
    initialAccumulatorValue: hyperparameterArb(0, 1, [0.1]),
    eps: hyperparameterArb(0, 1e-2, [1e-10]),
  }),
});

/**
 * Mostly values in [−4, 4] with 22 bits after the point (so products rarely come out exact and a
 * missing or extra rounding shows), sometimes anything the dtype holds (±0, subnormals, ±Infinity, NaN).
 */
function valueArb(dtype: FloatDType): fc.Arbitrary<number> {
  const moderate = fc.integer({ min: -(2 ** 24), max: 2 ** 24 }).map((k) => k / 2 ** 22);
  const anything = dtype === "float32" ? fc.float() : fc.double();
  return fc.oneof({ weight: 6, arbitrary: moderate }, { weight: 1, arbitrary: anything });
}

/** At least two elements, so a stride-2 view of them is not contiguous. */
const smallShapeArb = shapeArb({ minRank: 1, maxRank: 3, maxSize: 5 }).filter((shape) => numelOf(shape) >= 2);
/** 32 to 70 elements: float32 parameters this large take the WebAssembly SIMD kernels by default. */
const simdShapeArb = fc.tuple(fc.integer({ min: 32, max: 70 })).map(([n]) => [n]);

/** A parameter's initial values and its gradient on each step, for one optimizer configuration. */
function caseArb(specArb: fc.Arbitrary<OptimizerSpec>, shapes = smallShapeArb, dtypes: FloatDType[] = ["float32", "float64"]) {
  return fc
    .record({
      dtype: fc.constantFrom<FloatDType>(...dtypes),
      spec: specArb,
      shape: shapes,
      steps: fc.integer({ min: 1, max: 4 }),
    })
    .chain(({ dtype, spec, shape, steps }) => {
      const values = fc.array(valueArb(dtype), { minLength: numelOf(shape), maxLength: numelOf(shape) });
      return fc.record({
        dtype: fc.constant(dtype),
        spec: fc.constant(spec),
        shape: fc.constant(shape),
        initial: values,
        // a null entry: the parameter has no gradient on that step and is skipped
        grads: fc.array(fc.option(values, { freq: 6 }), { minLength: steps, maxLength: steps }),
        // where the fused parameter and gradient start in their storage
        offset: fc.integer({ min: 0, max: 3 }),
      });
    });
}

/** A contiguous tensor of `shape` holding `values`, starting `offset` elements into a bigger storage. */
function contiguousAt(values: number[], shape: number[], dtype: FloatDType, offset: number): Tensor {
  const storage = tensor([...new Array<number>(offset).fill(7), ...values, 7], { dtype });
  return asStrided(storage, shape, contiguousStrides(shape), offset);
}

/** A tensor of `shape` holding `values` at every other element of its storage: not contiguous. */
function everyOther(values: number[], shape: number[], dtype: FloatDType): Tensor {
  const storage = tensor(
    values.flatMap((v) => [v, 7]),
    { dtype },
  );
  return asStrided(
    storage,
    shape,
    contiguousStrides(shape).map((s) => 2 * s),
    0,
  );
}

function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, stride = 1; d >= 0; stride *= shape[d]!, d--) strides[d] = stride;
  return strides;
}

/** `t` (a view made outside any graph, so a leaf) as a parameter. */
function asParam(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

/**
 * How many ops `run` dispatches through the defineOp registry: every tensor-op update multiplies
 * (`mul`), the fused form is one optimizerUpdate call on the backend and dispatches none. Every
 * op's forward is wrapped once for the whole file (a spy per op per call made this file slow).
 */
let opCalls = 0;
const unwrapForwards: (() => void)[] = [];
beforeAll(() => {
  for (const op of registeredOps().values()) {
    const forward = op.forward;
    op.forward = function (this: unknown, ...args: unknown[]) {
      opCalls++;
      return (forward as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof op.forward;
    unwrapForwards.push(() => {
      op.forward = forward;
    });
  }
});
afterAll(() => {
  for (const unwrap of unwrapForwards) unwrap();
});

function countTensorOps(run: () => void): number {
  const before = opCalls;
  run();
  return opCalls - before;
}

/** The state of every parameter as plain arrays, so toEqual compares values bit for bit (NaN = NaN, 0 ≠ −0). */
function stateValues(optimizer: optim.Optimizer): unknown {
  const { state } = optimizer.stateDict();
  return Object.fromEntries(
    Object.entries(state).map(([index, paramState]) => [
      index,
      Object.fromEntries(
        Object.entries(paramState).map(([field, value]) => [field, value instanceof Tensor ? Array.from(value.data()) : value]),
      ),
    ]),
  );
}

describe("the fused update equals the tensor-op update bit for bit", () => {
  it("runs float32 updates of 32 elements and more through WebAssembly SIMD here (Node 20 has it)", () => {
    expect(simdUpdatesAvailable()).toBe(true);
  });

  const anyShapeArb = fc.oneof(smallShapeArb, simdShapeArb);
  it.each<[string, KernelPreference, ReturnType<typeof caseArb>]>([
    ["SGD through the JS loop", "js", caseArb(sgdSpecArb, anyShapeArb)],
    ["Adam and AdamW through the JS loop", "js", caseArb(adamSpecArb, anyShapeArb)],
    ["RMSprop through the JS loop", "js", caseArb(rmspropSpecArb, anyShapeArb)],
    ["Adagrad through the JS loop", "js", caseArb(adagradSpecArb, anyShapeArb)],
    ["SGD through the SIMD kernel (float32, any size)", "wasm", caseArb(sgdSpecArb, anyShapeArb, ["float32"])],
    ["Adam and AdamW through the SIMD kernel (float32, any size)", "wasm", caseArb(adamSpecArb, anyShapeArb, ["float32"])],
  ])("%s (kernels %s), for every option combination and dtype, over several steps", (_name, preference, cases) => {
    setKernelPreference(preference);
    fc.assert(
      fc.property(cases, ({ dtype, spec, shape, initial, grads, offset }) => {
        const fusedParam = asParam(contiguousAt(initial, shape, dtype, offset));
        const referenceParam = asParam(tensor(initial, { dtype }).reshape(shape));
        const fused = makeOptimizer(spec, [fusedParam]);
        const reference = makeOptimizer(spec, [referenceParam]);
        grads.forEach((grad, step) => {
          fusedParam.grad = grad === null ? null : contiguousAt(grad, shape, dtype, offset);
          referenceParam.grad = grad === null ? null : everyOther(grad, shape, dtype);
          const fusedVersion = fusedParam.storage.version;
          expect(
            countTensorOps(() => fused.step()),
            `fused step ${step} calls no tensor op`,
          ).toBe(0);
          expect(countTensorOps(() => reference.step()) > 0, `reference step ${step} goes through tensor ops`).toBe(grad !== null);
          expect(Array.from(fusedParam.data()), `param after step ${step}`).toEqual(Array.from(referenceParam.data()));
          expect(stateValues(fused), `state after step ${step}`).toEqual(stateValues(reference));
          // autograd sees the write: saved tensors over this storage are now stale
          expect(fusedParam.storage.version > fusedVersion).toBe(grad !== null);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("for parameters that share one storage, updated one after the other", () => {
    // p1 = elements 0..5 and p2 = elements 3..8 of one storage, both views of it, overlap in 3..5:
    // p2's update reads what p1's update wrote, in both forms
    const initial = [0.5, -1.25, 2, 0.75, -0.5, 1.5, 3, -2, 0.25];
    const g1 = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
    const g2 = [-0.3, 0.2, 0.1, -0.6, 0.5, 0.4];
    const windows = (storage: Tensor) => [asParam(asStrided(storage, [6], [1], 0)), asParam(asStrided(storage, [6], [1], 3))];
    const specs: OptimizerSpec[] = [
      { kind: "SGD", options: { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true } },
      { kind: "Adam", options: { lr: 0.05, weightDecay: 0.1, amsgrad: true } },
      { kind: "AdamW", options: { lr: 0.05, weightDecay: 0.1 } },
      { kind: "RMSprop", options: { lr: 0.01, weightDecay: 0.1, momentum: 0.9, centered: true } },
      { kind: "Adagrad", options: { lr: 0.1, lrDecay: 0.01, weightDecay: 0.1 } },
    ];
    for (const spec of specs) {
      const fusedStorage = tensor(initial);
      const referenceStorage = tensor(initial);
      const fusedParams = windows(fusedStorage);
      const referenceParams = windows(referenceStorage);
      const fused = makeOptimizer(spec, fusedParams);
      const reference = makeOptimizer(spec, referenceParams);
      for (let step = 0; step < 3; step++) {
        [g1, g2].forEach((g, i) => {
          fusedParams[i]!.grad = tensor(g);
          referenceParams[i]!.grad = everyOther(g, [6], "float32");
        });
        expect(countTensorOps(() => fused.step())).toBe(0);
        reference.step();
        expect(Array.from(fusedStorage.data()), `${spec.kind} step ${step}`).toEqual(Array.from(referenceStorage.data()));
      }
    }
  });
});

describe("parameters larger than the WebAssembly memory limit", () => {
  // five float32 arrays (θ, g, m, v, v̂) of this many elements are more than the limit: copied in
  // whole, the SIMD Adam update threw a RangeError from Memory.grow (from 107M elements, past 2 GiB)
  // after counting the step, and the module kept the memory it grew to
  const n = Math.ceil(WASM_MEMORY_LIMIT_BYTES / 4 / 5) + 1005;
  const values = (seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 2);

  it("Adam (amsgrad) updates them block by block, as the tensor-op update, within the limit", () => {
    const fusedParam = asParam(tensor(values(0)));
    // every other element of a twice as long storage: not contiguous, so the tensor-op update
    const spread = (v: Float32Array) => {
      const storage = new Float32Array(2 * n);
      v.forEach((x, i) => {
        storage[2 * i] = x;
      });
      return asStrided(tensor(storage), [n], [2], 0);
    };
    const referenceParam = asParam(spread(values(0)));
    const options = { lr: 0.01, weightDecay: 0.1, amsgrad: true };
    const fused = new optim.Adam([fusedParam], options);
    const reference = new optim.Adam([referenceParam], options);
    for (let step = 1; step <= 2; step++) {
      fusedParam.grad = tensor(values(step));
      referenceParam.grad = spread(values(step));
      expect(countTensorOps(() => fused.step())).toBe(0);
      reference.step();
      const [got, expected] = [fusedParam.data(), referenceParam.data()];
      let differing = 0;
      for (let i = 0; i < n; i++) if (!Object.is(got[i], expected[i])) differing++;
      expect(differing, `elements differing after step ${step}`).toBe(0);
      expect(fused.stateDict().state[0]!.step).toBe(step);
    }
    expect(wasmHeap()!.stats().byteLength).toBeLessThanOrEqual(WASM_MEMORY_LIMIT_BYTES);
  });

  it("an Adam update that throws leaves the step count and the state as they were", () => {
    // a non-contiguous parameter takes the tensor-op update; its first mul fails
    const param = asParam(everyOther([1, 2, 3, 4], [4], "float32"));
    param.grad = tensor([0.5, -0.5, 1, -1]);
    const adam = new optim.Adam([param], { lr: 0.1 });
    vi.spyOn(registeredOps().get("mul")!, "forward").mockImplementationOnce(() => {
      throw new Error("out of memory");
    });
    expect(() => adam.step()).toThrow("out of memory");
    expect(adam.stateDict().state).toEqual({});
    vi.restoreAllMocks();
    adam.step();
    expect(adam.stateDict().state[0]!.step).toBe(1);
  });
});

describe("what the fused loop cannot do safely goes through tensor ops", () => {
  const adamW = (params: Tensor[]) => new optim.AdamW(params, { lr: 0.1, weightDecay: 0.5 });

  it.each([
    // (a gradient of another shape or dtype cannot be assigned: see regressions-api.test.ts)
    [
      "a non-contiguous parameter",
      () =>
        Object.assign(asParam(everyOther([1, 2, 3, 4], [2, 2], "float32")), {
          grad: tensor([
            [1, 2],
            [3, 4],
          ]),
        }),
    ],
    [
      "a non-contiguous gradient",
      () =>
        Object.assign(
          asParam(
            tensor([
              [1, 2],
              [3, 4],
            ]),
          ),
          {
            grad: tensor([
              [1, 3],
              [2, 4],
            ]).T,
          },
        ),
    ],
  ])("%s", (_name, makeParam) => {
    const param = makeParam();
    expect(countTensorOps(() => adamW([param]).step())).toBeGreaterThan(0);
  });

  it("a gradient sharing the parameter's storage, where the order of reads and writes matters", () => {
    // AdamW shrinks θ before reading g: with g over θ's storage, g is read after the shrink. The
    // same gradient seen through a non-contiguous parameter (which the fused loop never handles)
    // gives the expected values.
    const values = [0.5, -1, 2, 3];
    const param = asParam(tensor(values));
    param.grad = param.detach();
    const strided = asParam(everyOther(values, [4], "float32"));
    strided.grad = strided.detach();
    const optimizer = adamW([param]);
    expect(countTensorOps(() => optimizer.step())).toBeGreaterThan(0);
    adamW([strided]).step();
    expect(Array.from(param.data())).toEqual(Array.from(strided.data()));
  });
});

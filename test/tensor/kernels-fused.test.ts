import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { manualSeed, randn, tensor } from "@nabla/tensor";
import { crossEntropy, logSoftmax, softmax, softmaxBackward } from "@nabla/ops";
import { optim } from "@nabla/nn";
import type { TypedArray } from "../../packages/tensor/src/dtype";
import type { OptimizerStep, Primitives } from "../../packages/tensor/src/backends/primitives";
import { cpu } from "../../packages/tensor/src/backends/cpu";
import type { HostView } from "../../packages/tensor/src/backends/cpu/iterate";
import { WasmFloat32Buffer } from "../../packages/tensor/src/backends/cpu/wasm/float32-buffer";
import { softmaxRowsSimd } from "../../packages/tensor/src/backends/cpu/wasm/softmax";
import { updateSimd } from "../../packages/tensor/src/backends/cpu/wasm/updates";
import { withKernels } from "../support/kernels";

// The hand-fused primitives (softmax, softmaxBackward, crossEntropy, crossEntropyBackward,
// optimizerUpdate): their WebAssembly SIMD alternatives against the JS reference kernels, called
// through the registry's dispatch on the same random inputs (-Infinity masks, ±1000, NaN,
// +Infinity), with "js" and then "wasm" as the kernel preference. The ops' own tests (PyTorch
// fixtures, gradchecks, the optimizers' trajectories) run on both kernel sets as well.

// the drivers as they are, counting their calls: whether the registry chose the WebAssembly kernel
vi.mock("../../packages/tensor/src/backends/cpu/wasm/softmax", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/softmax")>();
  return { ...original, softmaxRowsSimd: vi.fn(original.softmaxRowsSimd) };
});
vi.mock("../../packages/tensor/src/backends/cpu/wasm/updates", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/updates")>();
  return { ...original, updateSimd: vi.fn(original.updateSimd) };
});

const run = cpu.run as unknown as Primitives<TypedArray>;

/** A contiguous [rows, n] view of `values` starting `offset` elements into its buffer. */
function rowsView(values: Float32Array, offset: number, rows: number, n: number): HostView {
  return { buffer: values, shape: [rows, n], strides: [n, 1], offset };
}

/** Both kernel sets on the same call: the JS reference's result, then the WebAssembly one's. */
function onBoth<T>(call: () => T): [T, T] {
  return [withKernels("js", call), withKernels("wasm", call)];
}

const entryArb = fc.oneof(
  { weight: 20, arbitrary: fc.double({ min: -30, max: 30, noNaN: true }) },
  { weight: 2, arbitrary: fc.constant(-Infinity) },
  { weight: 1, arbitrary: fc.constantFrom(1000, -1000, 1001, NaN, Infinity) },
);

interface Rows {
  values: Float32Array;
  offset: number;
  rows: number;
  n: number;
}

function rowsArb(entries: fc.Arbitrary<number>, maxN = 70): fc.Arbitrary<Rows> {
  return fc
    .record({ rows: fc.integer({ min: 1, max: 5 }), n: fc.integer({ min: 1, max: maxN }), offset: fc.integer({ min: 0, max: 3 }) })
    .chain(({ rows, n, offset }) =>
      fc
        .array(entries, { minLength: offset + rows * n, maxLength: offset + rows * n })
        .map((values) => ({ values: Float32Array.from(values), offset, rows, n })),
    );
}

/** NaN where the reference is NaN, ±Infinity and exact zeros alike, else within atol + rtol·|reference|. */
function expectAgree(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (Number.isNaN(e) || !Number.isFinite(e)) expect(a, `${what} [${i}]`).toBe(e);
    else expect(Math.abs(a - e), `${what} [${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(atol + rtol * Math.abs(e));
  }
}

describe("softmax and softmaxBackward: WebAssembly SIMD against the JS reference", () => {
  it("softmax and log-softmax of float32 rows, with masks, ±1000, NaN and +Infinity", () => {
    fc.assert(
      fc.property(rowsArb(entryArb), fc.boolean(), ({ values, offset, rows, n }, log) => {
        const calls = vi.mocked(softmaxRowsSimd).mock.calls.length;
        const [js, wasm] = onBoth(() => run.softmax(rowsView(values, offset, rows, n), 1, log, "float32"));
        expect(vi.mocked(softmaxRowsSimd).mock.calls.length, "the wasm preference ran the SIMD kernel").toBe(calls + 1);
        // a masked entry is exactly 0 (-Infinity) on both; log-softmax values are differences, whose
        // error scales with their size
        expectAgree(wasm, js, log ? 2e-6 : 1e-6, log ? 1e-6 : 1e-5, log ? "logSoftmax" : "softmax");
      }),
      { numRuns: 150 },
    );
  });

  it("slices along another dim stay with the JS kernel (the SIMD kernel takes rows only), giving the same bits", () => {
    const values = Float32Array.from({ length: 6 * 20 }, (_, i) => Math.sin(i) * 3);
    const view: HostView = { buffer: values, shape: [6, 20], strides: [20, 1], offset: 0 };
    const [js, wasm] = onBoth(() => run.softmax(view, 0, false, "float32"));
    expect(Array.from(wasm)).toEqual(Array.from(js));
  });

  it("the VJPs of softmax and log-softmax", () => {
    const outputArb = fc.double({ min: -20, max: 0, noNaN: true });
    fc.assert(
      fc.property(rowsArb(outputArb), fc.boolean(), fc.integer({ min: 1, max: 2 ** 31 }), ({ values, offset, rows, n }, log, seed) => {
        // y: log-probabilities for log-softmax, probabilities (their exp) for softmax
        const y = log ? values : values.map(Math.exp);
        const g = Float32Array.from(values, (_, i) => Math.sin(i * 1.7 + seed) * 5);
        const [js, wasm] = onBoth(() => run.softmaxBackward(rowsView(y, offset, rows, n), rowsView(g, offset, rows, n), 1, log, "float32"));
        // the sums of n products of magnitude ≤ 5 round at about n·5·2⁻²⁴
        expectAgree(wasm, js, 5e-6 * n, 1e-5, log ? "logSoftmaxBackward" : "softmaxBackward");
      }),
      { numRuns: 150 },
    );
  });
});

describe("crossEntropy and crossEntropyBackward: WebAssembly SIMD against the JS reference", () => {
  const IGNORE = -100;
  const caseArb = rowsArb(entryArb, 40).chain((rows) =>
    fc
      .array(fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: rows.n - 1 }) }, { weight: 1, arbitrary: fc.constant(IGNORE) }), {
        minLength: rows.rows,
        maxLength: rows.rows,
      })
      .map((targets) => ({ ...rows, targets: Int32Array.from(targets) })),
  );
  const targetsView = (targets: Int32Array): HostView => ({ buffer: targets, shape: [targets.length], strides: [1], offset: 0 });

  it("the loss and the probabilities it writes, with ignored rows, masks, ±1000 and NaN; the gradient from them", () => {
    fc.assert(
      fc.property(caseArb, ({ values, offset, rows, n, targets }) => {
        const logits = rowsView(values, offset, rows, n);
        const forward = () => {
          const probabilities = rowsView(new Float32Array(rows * n), 0, rows, n);
          const loss = run.crossEntropy(logits, targetsView(targets), IGNORE, 3, probabilities, "float32");
          return { loss, probabilities };
        };
        const [js, wasm] = onBoth(forward);
        // Σ log Σ exp over up to five rows, each within the kernels' 1e-6 of the other
        expectAgree(wasm.loss, js.loss, 1e-5, 1e-5, "loss");
        expectAgree(wasm.probabilities.buffer, js.probabilities.buffer, 1e-6, 1e-5, "probabilities");
        const grad = run.crossEntropyBackward(wasm.probabilities, targetsView(targets), IGNORE, 0.25, "float32");
        targets.forEach((t, row) => {
          const gradRow = Array.from(grad.subarray(row * n, (row + 1) * n));
          if (t === IGNORE) expect(gradRow.every((v) => v === 0)).toBe(true);
          else {
            const p = wasm.probabilities.buffer.subarray(row * n, (row + 1) * n);
            expect(gradRow).toEqual(Array.from(p, (v, c) => Math.fround(Math.fround(v * 0.25) - (c === t ? 0.25 : 0))));
          }
        });
      }),
      { numRuns: 150 },
    );
  });
});

/** A step of each rule and option the SIMD kernels take. */
const STEPS: OptimizerStep[] = [
  { rule: "sgd", lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01, nesterov: false, startsBuffer: false },
  { rule: "sgd", lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: true, startsBuffer: true },
  { rule: "sgd", lr: 0.5, momentum: 0, dampening: 0, weightDecay: 0.1, nesterov: false, startsBuffer: false },
  { rule: "adam", lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, amsgrad: true, step: 3 },
  { rule: "adamw", lr: 1e-3, beta1: 0.5, beta2: 0.99, eps: 1e-6, weightDecay: 1e-2, amsgrad: false, step: 1 },
];
describe("optimizerUpdate: WebAssembly SIMD against the JS reference", () => {
  /** How many state buffers each step above uses. */
  const stateCount = (step: OptimizerStep) => (step.rule === "sgd" ? (step.momentum !== 0 ? 1 : 0) : step.rule === "adam" ? 3 : 2);
  const valueArb = fc.oneof(
    { weight: 8, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 1000, 0) },
  );

  it("writes the same bits into the parameter and its state, for every rule that has a SIMD kernel", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...STEPS),
        fc.integer({ min: 1, max: 70 }),
        fc.array(valueArb, { minLength: 6 * 70, maxLength: 6 * 70 }),
        (step, n, values) => {
          // param, grad and state (non-negative where it holds squares), each in its own buffer
          const buffers = () =>
            [0, 1, 2, 3, 4].map((k) => Float32Array.from(values.slice(k * n, (k + 1) * n), (v) => (k >= 3 ? Math.abs(v) : v)));
          const view = (buffer: Float32Array): HostView => ({ buffer, shape: [n], strides: [1], offset: 0 });
          const update = () => {
            const [param, grad, ...state] = buffers();
            const views = state.slice(0, stateCount(step)).map(view);
            run.optimizerUpdate(step, view(param!), view(grad!), step.rule === "sgd" && views.length === 0 ? [null] : views);
            return [param!, ...state.slice(0, stateCount(step))].map((b) => Array.from(b));
          };
          const calls = vi.mocked(updateSimd).mock.calls.length;
          const [js, wasm] = onBoth(update);
          expect(vi.mocked(updateSimd).mock.calls.length).toBe(calls + 1);
          expect(wasm).toEqual(js);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("leaves float64 parameters and the rules without a SIMD kernel to the JS reference", () => {
    const calls = vi.mocked(updateSimd).mock.calls.length;
    const view = (buffer: Float32Array | Float64Array): HostView => ({ buffer, shape: [40], strides: [1], offset: 0 });
    withKernels("wasm", () => {
      run.optimizerUpdate(STEPS[0]!, view(new Float64Array(40)), view(new Float64Array(40)), [view(new Float64Array(40))]);
      run.optimizerUpdate(
        { rule: "adagrad", lr: 0.1, lrDecay: 0, weightDecay: 0, eps: 1e-10, step: 1 },
        view(new Float32Array(40)),
        view(new Float32Array(40)),
        [view(new Float32Array(40))],
      );
    });
    expect(vi.mocked(updateSimd).mock.calls.length).toBe(calls);
  });
});

describe("the sizes from which the SIMD kernels run under the preference auto", () => {
  it("softmax from 64 elements, updates from 32", () => {
    const softmaxCalls = () => vi.mocked(softmaxRowsSimd).mock.calls.length;
    const updateCalls = () => vi.mocked(updateSimd).mock.calls.length;
    withKernels("auto", () => {
      for (const [n, runs] of [
        [63, 0],
        [64, 1],
      ] as const) {
        const before = softmaxCalls();
        run.softmax(rowsView(new Float32Array(n), 0, 1, n), 1, false, "float32");
        expect(softmaxCalls() - before, `softmax of ${n}`).toBe(runs);
      }
      for (const [n, runs] of [
        [31, 0],
        [32, 1],
      ] as const) {
        const before = updateCalls();
        const view = (): HostView => ({ buffer: new Float32Array(n), shape: [n], strides: [1], offset: 0 });
        run.optimizerUpdate(STEPS[2]!, view(), view(), [null]);
        expect(updateCalls() - before, `update of ${n}`).toBe(runs);
      }
    });
  });
});

describe("operands that live in the WebAssembly heap (float32 storage from 4096 elements)", () => {
  it("give what the JS reference gives on typed arrays", () => {
    manualSeed(3);
    const [rows, classes] = [64, 100];
    const x = randn([rows, classes]);
    expect(x.buffer, "the logits live in the heap").toBeInstanceOf(WasmFloat32Buffer);
    const g = randn([rows, classes]);
    const targets = tensor(
      Array.from({ length: rows }, (_, n) => (n % 7 === 0 ? -100 : (n * 13) % classes)),
      { dtype: "int32" },
    );
    const results = (kernels: "js" | "wasm") =>
      withKernels(kernels, () => {
        const s = softmax(x);
        const param = x.clone();
        const optimizer = new optim.Adam([param], { lr: 0.01, amsgrad: true });
        param.grad = g;
        optimizer.step();
        const leaf = x.detach().clone();
        leaf.requiresGrad = true;
        crossEntropy(leaf, targets).backward();
        return {
          softmax: s.data(),
          logSoftmax: logSoftmax(x).data(),
          softmaxBackward: softmaxBackward(s, g).data(),
          loss: crossEntropy(x, targets).data(),
          gradient: leaf.grad!.data(),
          adam: param.data(),
        };
      });
    const [js, wasm] = [results("js"), results("wasm")];
    expectAgree(wasm.softmax, js.softmax, 1e-6, 1e-5, "softmax");
    expectAgree(wasm.logSoftmax, js.logSoftmax, 2e-6, 1e-6, "logSoftmax");
    expectAgree(wasm.softmaxBackward, js.softmaxBackward, 5e-4, 1e-5, "softmaxBackward");
    expectAgree(wasm.loss, js.loss, 1e-5, 1e-5, "loss");
    expectAgree(wasm.gradient, js.gradient, 1e-7, 1e-5, "gradient");
    expect(Array.from(wasm.adam)).toEqual(Array.from(js.adam));
  });
});

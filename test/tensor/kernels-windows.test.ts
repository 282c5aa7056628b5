import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import type { TypedArray } from "../../packages/tensor/src/dtype";
import type { Primitives, WindowGeometry } from "../../packages/tensor/src/backends/primitives";
import { cpu } from "../../packages/tensor/src/backends/cpu";
import type { HostView } from "../../packages/tensor/src/backends/cpu/iterate";
import { conv2dInputGradSimd, conv2dSimd, conv2dWeightGradSimd } from "../../packages/tensor/src/backends/cpu/wasm/conv";
import { stridedRowsSimd } from "../../packages/tensor/src/backends/cpu/wasm/strided-unary";
import { col2imSimd, im2colSimd, maxPool2x2Simd } from "../../packages/tensor/src/backends/cpu/wasm/windows";
import { registeredKernels } from "../../packages/tensor/src/backends/registry";
import { useKernels, withKernels } from "../support/kernels";
import { expectClose } from "../support/reference";

// The WebAssembly SIMD window kernels (im2col, col2im, 2 × 2 max pooling, conv2d) and the copy and
// ReLU of views in strided rows, against the JS kernels they stand in for, on random float32 views
// (permuted, sliced with steps, flipped, at an offset) holding NaNs, infinities and signed zeros.
// Results must be the reference's exactly: the same bits, except that a NaN only has to be a NaN
// (the JS loops carry values through float64, which quiets a signalling NaN).

vi.mock("../../packages/tensor/src/backends/cpu/wasm/windows", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/windows")>();
  return {
    ...original,
    im2colSimd: vi.fn(original.im2colSimd),
    col2imSimd: vi.fn(original.col2imSimd),
    maxPool2x2Simd: vi.fn(original.maxPool2x2Simd),
  };
});
vi.mock("../../packages/tensor/src/backends/cpu/wasm/conv", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/conv")>();
  return {
    ...original,
    conv2dSimd: vi.fn(original.conv2dSimd),
    conv2dWeightGradSimd: vi.fn(original.conv2dWeightGradSimd),
    conv2dInputGradSimd: vi.fn(original.conv2dInputGradSimd),
  };
});
vi.mock("../../packages/tensor/src/backends/cpu/wasm/strided-unary", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/strided-unary")>();
  return { ...original, stridedRowsSimd: vi.fn(original.stridedRowsSimd) };
});

// The CPU backend's primitives as the registry dispatches them, on typed arrays.
const run = cpu.run as unknown as Primitives<TypedArray>;
const strided = (x: HostView) => ({ data: x.buffer, shape: x.shape, strides: x.strides, offset: x.offset });

// The size thresholds are part of what is tested here: the preference auto, whatever NABLA_KERNELS says.
useKernels("auto");

const NUM_RUNS = 150;

/** float32 values, special ones often: NaNs (one signalling), ±Infinity, ±0, and small integers that tie. */
const valueArb = fc.oneof(
  { weight: 6, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) },
  { weight: 2, arbitrary: fc.integer({ min: -2, max: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0) },
);

/** The bits of float32 values, NaNs all read as one (see above). */
function bitsOf(values: ArrayLike<number>): number[] {
  const f = Float32Array.from(values);
  return Array.from(new Int32Array(f.buffer), (bits, i) => (Number.isNaN(f[i]) ? 0x7fc00000 : bits));
}

/** How a view of `shape` lies in its storage: dims permuted, sliced with a step, flipped, at an offset. */
interface Layout {
  order: readonly number[];
  steps: readonly number[];
  flips: readonly boolean[];
  offset: number;
  /** Leave the last dim adjacent (step 1, not flipped, innermost in storage). */
  adjacentLast: boolean;
}

const layoutArb = (rank: number, adjacentLast = false): fc.Arbitrary<Layout> =>
  fc.record({
    order: fc.shuffledSubarray(
      Array.from({ length: rank }, (_, d) => d),
      { minLength: rank, maxLength: rank },
    ),
    steps: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: rank, maxLength: rank }),
    flips: fc.array(fc.boolean(), { minLength: rank, maxLength: rank }),
    offset: fc.integer({ min: 0, max: 3 }),
    adjacentLast: fc.constant(adjacentLast),
  });

/** The layout of a packed view of rank `rank` (dims in order, no steps or flips), `offset` into its storage. */
const packed = (rank: number, offset = 0): Layout => ({
  order: Array.from({ length: rank }, (_, d) => d),
  steps: new Array<number>(rank).fill(1),
  flips: new Array<boolean>(rank).fill(false),
  offset,
  adjacentLast: false,
});

/** A float32 view of `shape` laid out as `layout`, its storage filled from `values` (cycled). */
function viewOf(shape: readonly number[], layout: Layout, values: readonly number[]): HostView {
  const rank = shape.length;
  let order = layout.order;
  const steps = [...layout.steps];
  const flips = [...layout.flips];
  if (layout.adjacentLast) {
    order = [...order.filter((d) => d !== rank - 1), rank - 1];
    steps[rank - 1] = 1;
    flips[rank - 1] = false;
  }
  // storage dims in `order` (outermost first), each `step` times longer than the view's
  const strides = new Array<number>(rank).fill(0);
  let size = 1;
  for (let k = rank - 1; k >= 0; k--) {
    const d = order[k]!;
    strides[d] = size * steps[d]!;
    size *= shape[d]! * steps[d]!;
  }
  let offset = layout.offset;
  shape.forEach((n, d) => {
    if (flips[d] && n > 0) {
      offset += (n - 1) * strides[d]!;
      strides[d] = -strides[d]!;
    }
  });
  const buffer = Float32Array.from({ length: size + layout.offset + 3 }, (_, i) => values[i % values.length]!);
  return { buffer, shape: [...shape], strides, offset };
}

/** Windows over [N, C, H, W] with at least one along each dim; `same` makes them step 1 with as many per row as the input is wide. */
const caseArb = fc
  .record({
    shape: fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
    ),
    kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
    same: fc.boolean(),
  })
  .map(({ shape, kernel, stride, dilation, padding, same }) => {
    if (same) {
      // odd kernels, padding half the (dilated) span along the rows: outW = W
      kernel[1] = 2 * Math.floor(kernel[1] / 2) + 1;
      stride = [1, 1];
      padding[1] = (dilation[1] * (kernel[1] - 1)) / 2;
    }
    const out = [0, 1].map((d) => Math.floor((shape[2 + d]! + 2 * padding[d]! - dilation[d]! * (kernel[d]! - 1) - 1) / stride[d]!) + 1);
    const geometry: WindowGeometry = { kernel, stride, dilation, padding, out: out as [number, number] };
    return { shape, geometry };
  })
  .filter(({ geometry }) => geometry.out[0] >= 1 && geometry.out[1] >= 1);

const columnsShape = (shape: readonly number[], g: WindowGeometry) => [
  shape[0]!,
  shape[1]! * g.kernel[0] * g.kernel[1],
  g.out[0] * g.out[1],
];

describe("WebAssembly SIMD im2col and col2im", () => {
  it("im2col gives the JS kernel's values on any view and geometry", () => {
    fc.assert(
      fc.property(caseArb, layoutArb(4), fc.array(valueArb, { minLength: 1, maxLength: 40 }), ({ shape, geometry }, layout, values) => {
        const x = viewOf(shape, layout, values);
        const js = withKernels("js", () => run.im2col(x, geometry, "float32"));
        const out = new Float32Array(js.length);
        expect(im2colSimd(strided(x), geometry, out)).toBe(true);
        expect(bitsOf(out)).toEqual(bitsOf(js));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("col2im gives the JS kernel's sums on any view and geometry", () => {
    fc.assert(
      fc.property(caseArb, layoutArb(3), fc.array(valueArb, { minLength: 1, maxLength: 40 }), ({ shape, geometry }, layout, values) => {
        const columns = viewOf(columnsShape(shape, geometry), layout, values);
        const size = [shape[2], shape[3]] as const;
        const js = withKernels("js", () => run.col2im(columns, geometry, size, "float32"));
        const out = new Float32Array(js.length);
        expect(col2imSimd(strided(columns), geometry, size, out)).toBe(true);
        expect(bitsOf(out)).toEqual(bitsOf(js));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("work a block at a time past 65,536 columns, along whichever dim of the columns steps further", () => {
    const geometry: WindowGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], out: [12, 12] };
    const values = Array.from({ length: 97 }, (_, i) => (i % 7) - 3.25);
    for (const [layout, same] of [
      [packed(4, 1), true],
      [{ ...packed(4, 2), order: [1, 0, 2, 3], steps: [1, 1, 2, 1], flips: [false, true, false, false] }, false],
    ] as const) {
      const g: WindowGeometry = same ? geometry : { ...geometry, stride: [2, 1], out: [6, 12] };
      const x = viewOf([10, 12, 12, 12], layout, values);
      const js = withKernels("js", () => run.im2col(x, g, "float32"));
      expect(js.length).toBeGreaterThan(65536);
      const out = new Float32Array(js.length);
      expect(im2colSimd(strided(x), g, out)).toBe(true);
      expect(bitsOf(out)).toEqual(bitsOf(js));
      // columns [N, C·9, L] stored as the convolution's gradient ([C·9, N, L]) and as F.fold's input
      for (const order of [
        [1, 0, 2],
        [0, 1, 2],
      ]) {
        const columns = viewOf(columnsShape(x.shape, g), { ...packed(3, layout.offset), order }, values);
        const sums = withKernels("js", () => run.col2im(columns, g, [12, 12], "float32"));
        const simd = new Float32Array(sums.length);
        expect(col2imSimd(strided(columns), g, [12, 12], simd)).toBe(true);
        expect(bitsOf(simd)).toEqual(bitsOf(sums));
      }
    }
  });

  it("run through the registry from 4096 elements of the columns, float32 only", () => {
    const calls = [vi.mocked(im2colSimd).mock.calls, vi.mocked(col2imSimd).mock.calls];
    const geometry: WindowGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], out: [8, 8] };
    const counts = () => calls.map((c) => c.length);
    const before = counts();
    const input = (batch: number, type: typeof Float32Array | typeof Float64Array) => ({
      buffer: new type(batch * 64).fill(1),
      shape: [batch, 1, 8, 8],
      strides: [64, 64, 8, 1],
      offset: 0,
    });
    const columns = (batch: number) => ({
      buffer: new Float32Array(batch * 9 * 64),
      shape: [batch, 9, 64],
      strides: [576, 64, 1],
      offset: 0,
    });
    // 7 · 9 · 64 = 4032 elements, then 8 · 9 · 64 = 4608
    run.im2col(input(7, Float32Array), geometry, "float32");
    run.col2im(columns(7), geometry, [8, 8], "float32");
    run.im2col(input(8, Float64Array), geometry, "float64");
    expect(counts()).toEqual(before);
    run.im2col(input(8, Float32Array), geometry, "float32");
    run.col2im(columns(8), geometry, [8, 8], "float32");
    expect(counts()).toEqual(before.map((n) => n + 1));
    expect(registeredKernels("cpu", "im2col")).toEqual(["im2colF32Simd"]);
    expect(registeredKernels("cpu", "col2im")).toEqual(["col2imF32Simd"]);
  });
});

describe("WebAssembly SIMD conv2d", () => {
  /** A convolution: the input's windows (caseArb), groups, output channels per group, a bias or none. */
  const convArb = fc.record({
    windows: caseArb,
    groups: fc.integer({ min: 1, max: 3 }),
    perGroup: fc.integer({ min: 1, max: 3 }),
    bias: fc.boolean(),
  });

  it("gives the JS kernel's values (to float32 sums' rounding) on any view, geometry and groups", () => {
    fc.assert(
      fc.property(
        convArb,
        layoutArb(4),
        layoutArb(4),
        fc.array(valueArb, { minLength: 1, maxLength: 40 }),
        ({ windows, groups, perGroup, bias }, xLayout, wLayout, values) => {
          const { shape, geometry } = windows;
          const x = viewOf([shape[0], groups * shape[1], shape[2], shape[3]], xLayout, values);
          const weight = viewOf([groups * perGroup, shape[1], ...geometry.kernel], wLayout, [...values].reverse());
          const b = bias ? viewOf([groups * perGroup], { ...xLayout, order: [0], steps: [2], flips: [true] }, values) : null;
          const js = withKernels("js", () => run.conv2d(x, weight, b, geometry, groups, "float32"));
          const out = new Float32Array(js.length);
          expect(conv2dSimd(strided(x), weight, b, geometry, groups, out)).toBe(true);
          // sums of at most 3 · 3 · 3 products of values within ±4: float32's rounding stays far below 1e-4
          expectClose(out, Array.from(js), { rtol: 0, atol: 1e-4 });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("gives the JS kernels' gradients for the weight and the input (to float32 sums' rounding)", () => {
    fc.assert(
      fc.property(
        convArb,
        layoutArb(4),
        layoutArb(4),
        fc.array(valueArb, { minLength: 1, maxLength: 40 }),
        ({ windows, groups, perGroup }, xLayout, gLayout, values) => {
          const { shape, geometry } = windows;
          const x = viewOf([shape[0], groups * shape[1], shape[2], shape[3]], xLayout, values);
          const weight = viewOf([groups * perGroup, shape[1], ...geometry.kernel], xLayout, [...values].reverse());
          const gradOut = viewOf([shape[0], groups * perGroup, ...geometry.out], gLayout, [...values].reverse());
          const size = [shape[2], shape[3]] as const;
          const jsWeight = withKernels("js", () => run.conv2dWeightGrad(x, gradOut, geometry, groups, "float32"));
          const jsInput = withKernels("js", () => run.conv2dInputGrad(gradOut, weight, geometry, groups, size, "float32"));
          const dWeight = new Float32Array(jsWeight.length);
          const dInput = new Float32Array(jsInput.length);
          expect(conv2dWeightGradSimd(strided(x), strided(gradOut), geometry, groups, dWeight)).toBe(true);
          expect(conv2dInputGradSimd(strided(gradOut), weight, geometry, groups, size, dInput)).toBe(true);
          // sums of at most 3 · 9 · 9 · 3 products of values within ±4
          expectClose(dWeight, Array.from(jsWeight), { rtol: 0, atol: 1e-3 }, "weight");
          expectClose(dInput, Array.from(jsInput), { rtol: 0, atol: 1e-3 }, "input");
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("runs a batch whose columns pass 2²⁰ values a few samples at a time, forwards and backwards", () => {
    // 144 · 1024 columns' values per sample: 7 samples per pass, then 5
    const geometry: WindowGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], out: [32, 32] };
    const values = Array.from({ length: 101 }, (_, i) => ((i * 37) % 17) / 4 - 2);
    const x = viewOf([12, 16, 32, 32], { ...packed(4, 2), order: [1, 0, 2, 3], flips: [false, false, true, false] }, values);
    const weight = viewOf([8, 16, 3, 3], packed(4), [...values].reverse());
    const bias = viewOf([8], packed(1, 1), values);
    const worst = (simd: Float32Array, js: ArrayLike<number>) => simd.reduce((w, v, i) => Math.max(w, Math.abs(v - js[i]!)), 0);
    const js = withKernels("js", () => run.conv2d(x, weight, bias, geometry, 1, "float32"));
    const out = new Float32Array(js.length);
    expect(conv2dSimd(strided(x), weight, bias, geometry, 1, out)).toBe(true);
    // sums of 144 products of values within ±2.25 in float32 (each within 2⁻²⁴ of its size, ≤ 729 all told)
    expect(worst(out, js)).toBeLessThan(1e-3);
    // and both gradients, ḡ's samples in the same passes
    const gradOut = viewOf([12, 8, 32, 32], packed(4, 3), values);
    const jsWeight = withKernels("js", () => run.conv2dWeightGrad(x, gradOut, geometry, 1, "float32"));
    const dWeight = new Float32Array(jsWeight.length);
    expect(conv2dWeightGradSimd(strided(x), strided(gradOut), geometry, 1, dWeight)).toBe(true);
    // sums of 12 · 1024 products: float32's rounding is relative to their size (≤ 12 · 1024 · 5)
    expect(worst(dWeight, jsWeight)).toBeLessThan(0.05);
    const jsInput = withKernels("js", () => run.conv2dInputGrad(gradOut, weight, geometry, 1, [32, 32], "float32"));
    const dInput = new Float32Array(jsInput.length);
    expect(conv2dInputGradSimd(strided(gradOut), weight, geometry, 1, [32, 32], dInput)).toBe(true);
    expect(worst(dInput, jsInput)).toBeLessThan(1e-3);
  });

  it("runs through the registry from 512 multiply-adds, float32 only", () => {
    const calls = vi.mocked(conv2dSimd).mock.calls;
    const geometry: WindowGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], out: [2, 4] };
    const input = (type: typeof Float32Array | typeof Float64Array, channels: number) => ({
      buffer: new type(channels * 8).fill(1),
      shape: [1, channels, 2, 4],
      strides: [channels * 8, 8, 4, 1],
      offset: 0,
    });
    const weight = (type: typeof Float32Array | typeof Float64Array, channels: number) => ({
      buffer: new type(2 * channels * 9).fill(1),
      shape: [2, channels, 3, 3],
      strides: [channels * 9, 9, 3, 1],
      offset: 0,
    });
    const before = calls.length;
    // 8 windows · 2 channels out · 9 taps · C in: 432 multiply-adds with 3 channels, 576 with 4
    run.conv2d(input(Float32Array, 3), weight(Float32Array, 3), null, geometry, 1, "float32");
    run.conv2d(input(Float64Array, 4), weight(Float64Array, 4), null, geometry, 1, "float64");
    expect(calls.length).toBe(before);
    const out = run.conv2d(input(Float32Array, 4), weight(Float32Array, 4), null, geometry, 1, "float32");
    expect(calls.length).toBe(before + 1);
    // each output is the number of taps inside the 2 × 4 input, times 4 channels
    expect(Array.from(out)).toEqual([4, 6, 6, 4, 4, 6, 6, 4, 4, 6, 6, 4, 4, 6, 6, 4].map((taps) => 4 * taps));
    expect(registeredKernels("cpu", "conv2d")).toEqual(["conv2dF32Simd"]);
  });
});

describe("WebAssembly SIMD max pooling", () => {
  const pairs = (h: number, w: number): WindowGeometry => ({
    kernel: [2, 2],
    stride: [2, 2],
    padding: [0, 0],
    dilation: [1, 1],
    out: [Math.floor(h / 2), Math.floor(w / 2)],
  });

  it("gives the JS kernel's first maxima and positions over 2 × 2 windows (the first NaN the maximum, ties to the first)", () => {
    const shapeArb = fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 2, max: 11 }),
      fc.integer({ min: 2, max: 19 }),
    );
    fc.assert(
      fc.property(shapeArb, layoutArb(4, true), fc.array(valueArb, { minLength: 1, maxLength: 60 }), (shape, layout, values) => {
        const x = viewOf(shape, layout, values);
        const geometry = pairs(shape[2], shape[3]);
        const js = withKernels("js", () => run.maxPool(x, geometry, "float32"));
        const out = { values: new Float32Array(js.values.length), indices: new Int32Array(js.indices.length) };
        expect(maxPool2x2Simd(strided(x), geometry, out.values, out.indices)).toBe(true);
        expect(bitsOf(out.values)).toEqual(bitsOf(js.values));
        expect(Array.from(out.indices)).toEqual(Array.from(js.indices));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("runs through the registry for 2 × 2 windows stepping 2 of rows of adjacent values, from 1024 elements", () => {
    const calls = vi.mocked(maxPool2x2Simd).mock.calls;
    const x = (n: number, strides: number[]) => ({ buffer: new Float32Array(2 * n * 64), shape: [n, 1, 8, 8], strides, offset: 0 });
    const before = calls.length;
    run.maxPool(x(15, [64, 64, 8, 1]), pairs(8, 8), "float32");
    run.maxPool(x(16, [64, 64, 16, 2]), pairs(8, 8), "float32");
    run.maxPool(x(16, [64, 64, 8, 1]), { ...pairs(8, 8), kernel: [3, 3], out: [3, 3] }, "float32");
    expect(calls.length).toBe(before);
    run.maxPool(x(16, [64, 64, 8, 1]), pairs(8, 8), "float32");
    expect(calls.length).toBe(before + 1);
  });
});

describe("views spanning sparsely over a much larger storage", () => {
  it("are left to the JS kernels, which read only the values they use, with the same results", () => {
    // every 128th plane of a [4, 4·128, 8, 8] float32 storage: 1,024 values over a span of 122,944
    const storage = Float32Array.from({ length: 4 * 512 * 64 }, (_, i) => ((i * 37) % 23) - 11);
    const x: HostView = { buffer: storage, shape: [4, 4, 8, 8], strides: [512 * 64, 128 * 64, 8, 1], offset: 0 };
    const geometry: WindowGeometry = { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], out: [8, 8] };
    const pool = { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], out: [4, 4] } as const;
    const columns = new Float32Array(4 * 4 * 9 * 64);
    const pooled = { values: new Float32Array(256), indices: new Int32Array(256) };
    const rows = new Float32Array(4 * 4 * 64);
    expect(im2colSimd(strided(x), geometry, columns)).toBe(false);
    expect(maxPool2x2Simd(strided(x), pool, pooled.values, pooled.indices)).toBe(false);
    expect(stridedRowsSimd("relu", strided(x), rows)).toBe(false);
    // the same view packed: compact, so the SIMD kernels take it and agree with what the registry gave
    const packed: HostView = {
      buffer: withKernels("js", () => run.copy(x, "float32")),
      shape: x.shape,
      strides: [256, 64, 8, 1],
      offset: 0,
    };
    expect(im2colSimd(strided(packed), geometry, columns)).toBe(true);
    expect(bitsOf(run.im2col(x, geometry, "float32"))).toEqual(bitsOf(columns));
    expect(maxPool2x2Simd(strided(packed), pool, pooled.values, pooled.indices)).toBe(true);
    expect(bitsOf(run.maxPool(x, pool, "float32").values)).toEqual(bitsOf(pooled.values));
  });
});

describe("WebAssembly SIMD copy and ReLU of views in strided rows", () => {
  it("give the JS kernels' bits on views whose rows are adjacent values over one or two dims", () => {
    const shapeArb = fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 4, max: 21 }));
    fc.assert(
      fc.property(shapeArb, layoutArb(3, true), fc.array(valueArb, { minLength: 1, maxLength: 60 }), (shape, layout, values) => {
        const x = viewOf(shape, layout, values);
        for (const op of ["copy", "relu"] as const) {
          const js = withKernels("js", () => (op === "copy" ? run.copy(x, "float32") : run.unary("relu", x, "float32")));
          const out = new Float32Array(js.length);
          expect(stridedRowsSimd(op, strided(x), out)).toBe(true);
          expect(bitsOf(out), op).toEqual(bitsOf(js));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("run through the registry for a convolution's output ([N, C, H, W] stored [C, N, H·W]) and its gradient", () => {
    const calls = vi.mocked(stridedRowsSimd).mock.calls;
    // [N, C, 16] stored [C, N, 16]
    const output = (n: number) => ({ buffer: new Float32Array(n * 4 * 16), shape: [n, 4, 16], strides: [16, n * 16, 1], offset: 0 });
    const before = calls.length;
    run.unary("relu", output(15), "float32"); // 960 elements
    run.copy(output(63), "float32"); // 4032
    run.unary("relu", { ...output(16), shape: [16, 4, 2, 8], strides: [16, 256, 1, 2] }, "float32"); // rows of 1
    expect(calls.length).toBe(before);
    run.unary("relu", output(16), "float32");
    run.copy(output(64), "float32");
    expect(calls.map(([op]) => op).slice(before)).toEqual(["relu", "copy"]);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { autogradGrad, type Tensor, zeros } from "@nabla/tensor";
import { maxPool2d, unfold } from "@nabla/ops";
import { float64, kernelValuesArb, materialize, type StridedInput, stridedInputArb } from "../support/arbitraries";
import * as naive from "../support/naive";

// The window kernels (im2col, col2im, maxPool) on strided [N, C, H, W] views, against a naive model
// that visits every window tap: unfold is im2col, unfold's gradient under a strided cotangent is
// col2im, and maxPool2d gives the values and (through its gradient) the positions.

const NUM_RUNS = 60;

interface Geometry {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  out: [number, number];
}

/** An input shape and a geometry with at least one window along each dim (padding ≤ half the kernel, as pooling needs). */
const caseArb = fc
  .record({
    shape: fc.tuple(
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
    ),
    kernel: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    stride: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
    padding: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
  })
  .map(({ shape, kernel, stride, dilation, padding }) => {
    const pad = padding.map((p, d) => Math.min(p, Math.floor(kernel[d]! / 2))) as [number, number];
    const out = [0, 1].map((d) => Math.floor((shape[2 + d]! + 2 * pad[d]! - dilation[d]! * (kernel[d]! - 1) - 1) / stride[d]!) + 1);
    return { shape, geometry: { kernel, stride, dilation, padding: pad, out: out as [number, number] } };
  })
  .filter(({ geometry }) => geometry.out.every((o) => o >= 1));

/** Calls fn(n, c, column row (c, p, q), window i, j, input h, w) for every tap of every window, inside the input or not. */
function forEachTap(
  shape: readonly number[],
  g: Geometry,
  fn: (n: number, c: number, row: number, i: number, j: number, h: number, w: number) => void,
): void {
  const [batch, channels] = shape as [number, number];
  for (let n = 0; n < batch; n++)
    for (let c = 0; c < channels; c++)
      for (let p = 0; p < g.kernel[0]; p++)
        for (let q = 0; q < g.kernel[1]; q++)
          for (let i = 0; i < g.out[0]; i++)
            for (let j = 0; j < g.out[1]; j++) {
              const row = (c * g.kernel[0] + p) * g.kernel[1] + q;
              fn(n, c, row, i, j, i * g.stride[0] - g.padding[0] + p * g.dilation[0], j * g.stride[1] - g.padding[1] + q * g.dilation[1]);
            }
}

const inside = (shape: readonly number[], h: number, w: number) => h >= 0 && h < shape[2]! && w >= 0 && w < shape[3]!;
const unfoldOf = (x: Tensor, g: Geometry) => unfold(x, g.kernel, { stride: g.stride, padding: g.padding, dilation: g.dilation });

describe("im2col and col2im on strided inputs", () => {
  it("unfold reads every tap, zero outside the input", () => {
    fc.assert(
      fc.property(
        caseArb.chain((c) => stridedInputArb(c.shape, kernelValuesArb).map((input) => ({ ...c, input }))),
        ({ shape, geometry: g, input }) => {
          const { tensor: x, model } = materialize(input);
          const [batch, channels] = shape;
          const expected = new Array<number>(batch * channels * g.kernel[0] * g.kernel[1] * g.out[0] * g.out[1]).fill(0);
          const rows = channels * g.kernel[0] * g.kernel[1];
          forEachTap(shape, g, (n, _c, row, i, j, h, w) => {
            if (inside(shape, h, w)) expected[(n * rows + row) * g.out[0] * g.out[1] + i * g.out[1] + j] = naive.at(model, [n, _c, h, w]);
          });
          naive.expectMatches(unfoldOf(x, g), naive.fromFlat(expected, [batch, rows, g.out[0] * g.out[1]]));
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });

  it("unfold's gradient (col2im) adds a strided cotangent back where each entry was read", () => {
    fc.assert(
      fc.property(
        caseArb.chain((c) => {
          const columns = [c.shape[0], c.shape[1] * c.geometry.kernel[0] * c.geometry.kernel[1], c.geometry.out[0] * c.geometry.out[1]];
          return stridedInputArb(columns, kernelValuesArb).map((cotangent) => ({ ...c, cotangent }));
        }),
        ({ shape, geometry: g, cotangent }) => {
          const { tensor: gradOut, model } = materialize(cotangent);
          const expected = new Array<number>(naive.numelOf(shape)).fill(0);
          forEachTap(shape, g, (n, c, row, i, j, h, w) => {
            if (inside(shape, h, w))
              expected[((n * shape[1] + c) * shape[2] + h) * shape[3] + w]! += naive.at(model, [n, row, i * g.out[1] + j]);
          });
          const input = zeros(shape, { dtype: "float64", requiresGrad: true });
          const [grad] = autogradGrad(unfoldOf(input, g), [input], { gradOutputs: gradOut });
          naive.expectMatches(grad!, naive.fromFlat(expected, shape), { rtol: 1e-12, atol: 1e-12 });
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

/** Checks maxPool2d's values and gradient positions on `input` against the naive model visiting every tap. */
function checkMaxPool(shape: [number, number, number, number], g: Geometry, input: StridedInput): void {
  const { tensor: view, model } = materialize(input);
  const x = view.detach();
  x.requiresGrad = true;
  const [batch, channels] = shape;
  const outShape = [batch, channels, ...g.out];
  const values = new Array<number>(naive.numelOf(outShape)).fill(Number.NEGATIVE_INFINITY);
  const positions = new Array<number>(values.length).fill(-1);
  forEachTap(shape, g, (n, c, _row, i, j, h, w) => {
    if (!inside(shape, h, w)) return;
    const o = ((n * channels + c) * g.out[0] + i) * g.out[1] + j;
    const v = naive.at(model, [n, c, h, w]);
    // taps come in row-major order within a window: keep the first maximum, or the first NaN
    const current = values[o]!;
    if (positions[o] === -1 || (!Number.isNaN(current) && (v > current || Number.isNaN(v)))) {
      values[o] = v;
      positions[o] = h * shape[3] + w;
    }
  });
  const y = maxPool2d(x, g.kernel, { stride: g.stride, padding: g.padding, dilation: g.dilation });
  naive.expectMatches(y, naive.fromFlat(values, outShape));
  // a cotangent of distinct values shows which input each window's gradient reached
  const cotangent = Array.from({ length: values.length }, (_, k) => k + 1);
  const expected = new Array<number>(naive.numelOf(shape)).fill(0);
  values.forEach((_, o) => {
    if (positions[o] === -1) return; // a window with no tap inside the input: -Infinity, no gradient
    const plane = Math.floor(o / (g.out[0] * g.out[1]));
    expected[plane * shape[2] * shape[3] + positions[o]!]! += cotangent[o]!;
  });
  const [grad] = autogradGrad(y, [x], { gradOutputs: float64(cotangent, outShape) });
  expect(Array.from(grad!.data())).toEqual(expected);
}

describe("maxPool on strided inputs", () => {
  it("gives each window's first maximum (NaN wins) and sends its gradient there", () => {
    fc.assert(
      fc.property(
        caseArb.chain((c) =>
          stridedInputArb(c.shape, (count) => kernelValuesArb(count, { special: true })).map((input) => ({ ...c, input })),
        ),
        ({ shape, geometry, input }) => checkMaxPool(shape, geometry, input),
      ),
      { numRuns: NUM_RUNS },
    );
  });

  // 2 × 2 windows stepping 2 have an unrolled kernel of their own; odd sizes leave a last row or
  // column out, and few distinct values make ties, NaNs and both infinities in one window common
  it("2 × 2 windows stepping 2: the same, ties to the first tap", () => {
    const pairArb = fc
      .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 7 }), fc.integer({ min: 2, max: 7 }))
      .chain((shape) =>
        stridedInputArb(shape, (count) =>
          fc.array(fc.constantFrom(-1, 0, 2, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY), {
            minLength: count,
            maxLength: count,
          }),
        ).map((input) => ({ shape, input })),
      );
    fc.assert(
      fc.property(pairArb, ({ shape, input }) => {
        const out: [number, number] = [Math.floor(shape[2] / 2), Math.floor(shape[3] / 2)];
        checkMaxPool(shape, { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], out }, input);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

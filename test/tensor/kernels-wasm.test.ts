import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { arange, full, gradcheck, matmul, ones, rand, randn, tensor, zeros } from "@nabla/tensor";
import type { Tensor } from "@nabla/tensor";
import type { TypedArray } from "../../packages/tensor/src/dtype";
import type { Primitives } from "../../packages/tensor/src/backends/primitives";
import { cpu } from "../../packages/tensor/src/backends/cpu";
import type { Strided } from "../../packages/tensor/src/backends/cpu/iterate";
import { sumContiguous } from "../../packages/tensor/src/backends/cpu/reduce";
import { multiplySimd, simdMatmulAvailable, simdMatmulThreadsReady } from "../../packages/tensor/src/backends/cpu/wasm/matmul";
import { simdSumAvailable, sumContiguousSimd } from "../../packages/tensor/src/backends/cpu/wasm/reduce";
import {
  mapUnarySimd,
  simdElementwiseAvailable,
  unaryInPlace,
  zipBinarySimd,
} from "../../packages/tensor/src/backends/cpu/wasm/elementwise";
import { WasmFloat32Buffer } from "../../packages/tensor/src/backends/cpu/wasm/float32-buffer";
import { WASM_MEMORY_LIMIT_BYTES, wasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";
import { useKernels, withKernels } from "../support/kernels";

// multiplySimd as it is, counting its calls: which kernel a matmul ran
vi.mock("../../packages/tensor/src/backends/cpu/wasm/matmul", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/matmul")>();
  return { ...original, multiplySimd: vi.fn(original.multiplySimd) };
});
// zipBinarySimd, mapUnarySimd, unaryInPlace and sumContiguousSimd likewise: whether the registry
// chose the WebAssembly kernel
vi.mock("../../packages/tensor/src/backends/cpu/wasm/elementwise", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/elementwise")>();
  return {
    ...original,
    zipBinarySimd: vi.fn(original.zipBinarySimd),
    mapUnarySimd: vi.fn(original.mapUnarySimd),
    unaryInPlace: vi.fn(original.unaryInPlace),
  };
});

vi.mock("../../packages/tensor/src/backends/cpu/wasm/reduce", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../packages/tensor/src/backends/cpu/wasm/reduce")>();
  return { ...original, sumContiguousSimd: vi.fn(original.sumContiguousSimd) };
});

// The CPU backend's primitives as the registry dispatches them, on typed arrays.
const run = cpu.run as unknown as Primitives<TypedArray>;
const host = (x: Strided) => ({ buffer: x.data, shape: x.shape, strides: x.strides, offset: x.offset });
const matmulBatched = (a: Strided, b: Strided, dtype: "float32" | "float64") => run.matmul(host(a), host(b), dtype);
const stridedOf = (x: Tensor): Strided => ({
  data: x.storage.backend.hostArray!(x.buffer),
  shape: x.shape,
  strides: x.strides,
  offset: x.offset,
});

// The size thresholds are part of what is tested here: the preference auto, whatever NABLA_KERNELS says.
useKernels("auto");

// The WebAssembly SIMD matmul against the JS kernel it replaces (the reference), on operands laid
// out as backward and views produce them: transposed, padded rows, offsets, broadcast batch dims,
// odd sizes that leave partial 4 × 8 tiles, and sizes that cross the kernel's depth, row and column
// blocks (256, 128/64, 128/64).

type FloatDType = "float32" | "float64";

interface MatrixLayout {
  /** Stored transposed (column-major), as a.mT of a row-major tensor is. */
  transposed: boolean;
  /** Extra elements at the end of each stored row (a slice of a wider tensor). */
  padding: number;
  offset: number;
  /** The batch dim has stride 0 (one matrix broadcast over the batch). */
  broadcast: boolean;
}

const layoutArb: fc.Arbitrary<MatrixLayout> = fc.record({
  transposed: fc.boolean(),
  padding: fc.integer({ min: 0, max: 3 }),
  offset: fc.integer({ min: 0, max: 5 }),
  broadcast: fc.boolean(),
});

/** A [batch, rows, cols] operand over fresh random storage laid out as `layout` says. */
function operand(dtype: FloatDType, batch: number, rows: number, cols: number, layout: MatrixLayout, seed: number): Strided {
  const [outer, inner] = layout.transposed ? [cols, rows] : [rows, cols];
  const stored = inner + layout.padding;
  const matrices = layout.broadcast ? 1 : batch;
  const data =
    dtype === "float32"
      ? new Float32Array(layout.offset + matrices * outer * stored)
      : new Float64Array(layout.offset + matrices * outer * stored);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = state / 2 ** 31 - 1;
  }
  const [rowStride, colStride] = layout.transposed ? [1, stored] : [stored, 1];
  return {
    data,
    shape: [batch, rows, cols],
    strides: [layout.broadcast ? 0 : outer * stored, rowStride, colStride],
    offset: layout.offset,
  };
}

/** Σ_p |a_ip|·|b_pj| for each output: the scale of the rounding error a float sum can make. */
function magnitudes(a: Strided, b: Strided): Float64Array {
  const [batch, n, k] = a.shape as [number, number, number];
  const m = b.shape[2]!;
  const out = new Float64Array(batch * n * m);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const x = a.data[a.offset + t * a.strides[0]! + i * a.strides[1]! + p * a.strides[2]!]!;
          const y = b.data[b.offset + t * b.strides[0]! + p * b.strides[1]! + j * b.strides[2]!]!;
          sum += Math.abs(x * y);
        }
        out[(t * n + i) * m + j] = sum;
      }
    }
  }
  return out;
}

/**
 * SIMD and JS results agree within what the two summation orders allow: no float32 sum of the
 * SIMD kernel takes more than 256 + 16 terms (see matmul.wat), the JS kernel sums in float64, so
 * the bound is min(k, 272)·ε·Σ|a||b| per element for float32, k·ε·Σ|a||b| for float64.
 */
function expectKernelsAgree(a: Strided, b: Strided, dtype: FloatDType): void {
  // multiplySimd runs once per matrix of the batch under "wasm", never under "js"
  const calls = vi.mocked(multiplySimd).mock.calls;
  const expected = calls.length + a.shape[0]!;
  const simd = withKernels("wasm", () => matmulBatched(a, b, dtype));
  const js = withKernels("js", () => matmulBatched(a, b, dtype));
  expect(calls.length, "multiplySimd calls").toBe(expected);
  expect(simd).toBeInstanceOf(dtype === "float32" ? Float32Array : Float64Array);
  expect(simd.length).toBe(js.length);
  const k = a.shape[2]!;
  const epsilon = dtype === "float32" ? 2 ** -23 : 2 ** -52;
  const scale = magnitudes(a, b);
  for (let i = 0; i < js.length; i++) {
    const bound = ((dtype === "float32" ? Math.min(k, 272) : k) + 2) * epsilon * scale[i]! + 1e-300;
    if (!(Math.abs(simd[i]! - js[i]!) <= bound)) {
      expect.fail(
        `element ${i}: SIMD ${simd[i]} vs JS ${js[i]} (bound ${bound}) for shapes [${a.shape.join(", ")}] × [${b.shape.join(", ")}]`,
      );
    }
  }
}

describe("WebAssembly SIMD matmul kernel", () => {
  it("is available on this engine (Node 20 has WebAssembly SIMD)", () => {
    expect(simdMatmulAvailable()).toBe(true);
  });

  for (const dtype of ["float32", "float64"] as const) {
    it(`matches the JS kernel on random sizes and layouts (${dtype})`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 37 }),
          fc.integer({ min: 1, max: 41 }),
          fc.integer({ min: 1, max: 35 }),
          layoutArb,
          layoutArb,
          fc.integer(),
          (batch, n, k, m, leftLayout, rightLayout, seed) => {
            const a = operand(dtype, batch, n, k, leftLayout, seed);
            const b = operand(dtype, batch, k, m, rightLayout, seed ^ 0x5bd1e995);
            expectKernelsAgree(a, b, dtype);
          },
        ),
        { numRuns: 60 },
      );
    });

    it(`matches the JS kernel across its depth, row and column blocks (${dtype})`, () => {
      const plain = { transposed: false, padding: 0, offset: 0, broadcast: false };
      const transposed = { transposed: true, padding: 1, offset: 3, broadcast: false };
      // rows longer than they are stored apart (a block of a wider matrix): copied line by line
      const padded = { transposed: false, padding: 2, offset: 1, broadcast: false };
      // 300 > 256 (depth block); 133 and 131 cross the row and column blocks with partial tiles
      for (const [left, right] of [
        [plain, plain],
        [transposed, plain],
        [plain, transposed],
        [padded, transposed],
        [transposed, padded],
      ] as const) {
        expectKernelsAgree(operand(dtype, 1, 133, 300, left, 1), operand(dtype, 1, 300, 131, right, 2), dtype);
      }
    });

    it(`adds the product into a destination with the bits of the product stored, then added, on either kernel (${dtype})`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 19 }),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 1, max: 17 }),
          fc.integer({ min: 0, max: 5 }),
          layoutArb,
          layoutArb,
          fc.integer(),
          (batch, n, k, m, offset, leftLayout, rightLayout, seed) => {
            const a = operand(dtype, batch, n, k, leftLayout, seed);
            const b = operand(dtype, batch, k, m, rightLayout, seed ^ 0x5bd1e995);
            const start = operand(
              dtype,
              1,
              1,
              offset + batch * n * m,
              { transposed: false, padding: 0, offset: 0, broadcast: false },
              seed + 1,
            ).data;
            const into = { shape: [batch, n, m], strides: [n * m, m, 1], offset };
            for (const kernel of ["js", "wasm"] as const) {
              const product = withKernels(kernel, () => matmulBatched(a, b, dtype));
              const expected = start.slice();
              for (let i = 0; i < product.length; i++) expected[offset + i] = expected[offset + i]! + product[i]!;
              const buffer = start.slice();
              const returned = withKernels(kernel, () => run.matmul(host(a), host(b), dtype, { ...into, buffer }));
              expect(returned).toBe(buffer);
              expect(Array.from(buffer), kernel).toEqual(Array.from(expected));
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it("gives zeros for an empty inner dimension and an empty result for empty outer ones", () => {
    const empty = (rows: number, cols: number) => ({
      data: new Float32Array(0),
      shape: [1, rows, cols],
      strides: [rows * cols, cols, 1],
      offset: 0,
    });
    withKernels("wasm", () => {
      expect(Array.from(matmulBatched(empty(3, 0), empty(0, 5), "float32"))).toEqual(new Array(15).fill(0));
      expect(matmulBatched(empty(0, 4), empty(4, 5), "float32").length).toBe(0);
    });
  });
});

describe("float32 matmul accuracy over a long inner dimension", () => {
  // One float32 running sum per output gave 2²⁴ = 16777216 for 2·10⁷ ones, and an error that grew
  // with k (1.6e-4 relative at k = 10⁶). Both kernels now keep it independent of k.
  const kernels = ["auto", "js", "wasm"] as const;
  // a 1-D x as a [1, 1, k] and a [1, k, 1] operand of the kernel
  const vectors = (x: Strided): [Strided, Strided] => [
    { ...x, shape: [1, 1, x.shape[0]!], strides: [0, 0, x.strides[0]!] },
    { ...x, shape: [1, x.shape[0]!, 1], strides: [0, x.strides[0]!, 0] },
  ];

  it.each(kernels)("a dot product of 2·10⁷ float32 ones is exactly 2·10⁷ (%s kernel), not 2²⁴", (kernel) => {
    const x = ones([2e7]);
    expect(withKernels(kernel, () => matmul(x, x).item())).toBe(2e7);
    expect(Array.from(withKernels(kernel, () => matmulBatched(...vectors(stridedOf(x)), "float32")))).toEqual([2e7]);
  });

  it.each(kernels)("random products at k = 10⁶ are within 272·2⁻²⁴·Σ|a||b| of a float64 product (%s kernel)", (kernel) => {
    const [n, k, m] = [2, 1e6, 3];
    // positive values, so the partial sums grow with p and a single float32 running sum loses
    // 2700·2⁻²⁴·Σ|a||b| (1.6e-4 relative)
    const a = rand([n, k]);
    const b = rand([k, m]).mT.contiguous().mT; // as backward reads Bᵀ
    const result = withKernels(kernel, () => matmulBatched(stridedOf(a.unsqueeze(0)), stridedOf(b.unsqueeze(0)), "float32"));
    const [x, y] = [a.data(), b.contiguous().data()];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let exact = 0;
        let scale = 0;
        for (let p = 0; p < k; p++) {
          const product = x[i * k + p]! * y[p * m + j]!;
          exact += product;
          scale += Math.abs(product);
        }
        const error = Math.abs(result[i * m + j]! - exact);
        expect(error).toBeLessThanOrEqual(272 * 2 ** -24 * scale + 2 ** -24 * Math.abs(exact));
      }
    }
  });
});

describe("the WebAssembly memory limit", () => {
  // Operands were copied into the modules' memories whole: a dot product of 38M elements or
  // zeros([2, 1.8e8]).sum(0) threw a RangeError from Memory.grow, and a memory, once grown, stayed
  // that large. Now large operands go through in blocks (matmul, sums) or the JS kernels.
  const withinLimit = () => {
    expect(wasmHeap()!.stats().byteLength).toBeLessThanOrEqual(WASM_MEMORY_LIMIT_BYTES);
  };

  it("products larger than the limit run block by block (rows, columns, depth), as the JS kernel", () => {
    const plain = { transposed: false, padding: 0, offset: 0, broadcast: false };
    const transposed = { transposed: true, padding: 1, offset: 3, broadcast: false };
    // each is more than the limit at once: 1030 rows or columns are two blocks of C, and 4100 deep
    // two slices of the depth beside 1024 of them
    for (const [dtype, layout] of [
      ["float32", plain],
      ["float64", transposed],
    ] as const) {
      for (const [n, m] of [
        [1030, 9],
        [9, 1030],
      ] as const) {
        expectKernelsAgree(operand(dtype, 1, n, 4100, layout, n + m), operand(dtype, 1, 4100, m, layout, m), dtype);
      }
    }
    withinLimit();
  });

  it("sums over rows and slabs longer than a block run piece by piece, and stay within it", () => {
    const wide = ones([2, 5e6]); // 40 MB of float64 column sums at once
    expect(Array.from(wide.sum(0).data().subarray(0, 3))).toEqual([2, 2, 2]);
    expect(wide.sum(0).sum().item()).toBe(1e7);
    const long = ones([9e6]); // one row of 36 MB
    expect(long.sum().item()).toBe(9e6);
    expect(zeros([3, 3e6]).add(1).sum(1).toArray()).toEqual([3e6, 3e6, 3e6]);
    withinLimit();
  });

  it("elementwise rows too long for a block to fit go to the JS loop", () => {
    // three blocks of one 2.9M-element row are more than the limit
    const n = 2.9e6;
    const sum = full([2, n], 0.5)
      .add(arange(0, n, 1, { dtype: "float32" }))
      .data();
    for (const i of [0, 1, n - 1, n, 2 * n - 1]) expect(sum[i]).toBe((i % n) + 0.5);
    withinLimit();
  });
});

describe("matmul through the SIMD kernel", () => {
  it("takes the SIMD path for products of 8³ multiply-adds and more, and agrees with a float64 product", () => {
    const a = randn([24, 40]);
    const b = randn([40, 20]);
    const expected = matmul(a.to("float64"), b.to("float64")).data();
    const actual = matmul(a, b).data();
    for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(1e-4);
  });

  it("packs operands stored in the heap from where they are: row-major, transposed and at an offset", () => {
    // float32 storage of 4096 elements and more lives in the heap; a.mT and the second matrix of
    // `stack` are whole matrices there, column-major and at an offset
    const a = randn([72, 80]);
    const stack = randn([2, 72, 64]);
    expect(a.buffer).toBeInstanceOf(WasmFloat32Buffer);
    expect(stack.buffer).toBeInstanceOf(WasmFloat32Buffer);
    for (const [left, right] of [
      [a.mT, stack.select(0, 0)],
      [a.mT, stack.select(0, 1)],
      [a.narrow(1, 0, 72), stack.select(0, 1)],
      // blocks of a: rows or columns 80 apart, read in place that far apart
      [a.mT.narrow(0, 0, 70), a.narrow(1, 0, 72)],
    ] as const) {
      const expected = matmul(left.to("float64"), right.to("float64")).data();
      const actual = matmul(left, right).data();
      for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(1e-4);
    }
  });

  it("has gradients that pass gradcheck with transposed operands in backward", () => {
    const a = tensor(
      Float64Array.from({ length: 16 * 18 }, (_, i) => Math.sin(i)),
      { shape: [16, 18] },
    );
    const b = tensor(
      Float64Array.from({ length: 18 * 17 }, (_, i) => Math.cos(i * 0.7)),
      { shape: [18, 17] },
    );
    // Ā = C̄ Bᵀ and B̄ = Aᵀ C̄ read transposed views; 16·18·17 multiply-adds is above the SIMD threshold
    const report = gradcheck((x, y) => matmul(x!, y!.mT.mT), [a, b]);
    expect(report.ok, JSON.stringify(report.worst)).toBe(true);
  });
});

describe("SIMD matmul on two threads", () => {
  it("gives exactly the single-threaded result (each thread computes whole rows of C)", async () => {
    expect(await simdMatmulThreadsReady()).toBe(true);
    const plain = { transposed: false, padding: 0, offset: 0, broadcast: false };
    // 517 · 300 · 1731 multiply-adds is above the threaded threshold; odd sizes leave partial tiles
    const a = operand("float32", 1, 517, 300, plain, 7);
    const b = operand("float32", 1, 300, 1731, { ...plain, transposed: true }, 8);
    const threaded = matmulBatched(a, b, "float32");
    // the kernel itself, told not to use the second thread
    const single = new Float32Array(517 * 1731);
    const view = (x: Strided) => ({ data: x.data, offset: x.offset, rowStride: x.strides[1]!, colStride: x.strides[2]! });
    multiplySimd(view(a), view(b), 517, 300, 1731, false, single, 0, false);
    expect(threaded.length).toBe(517 * 1731);
    let differing = 0;
    for (let i = 0; i < single.length; i++) if (!Object.is(threaded[i], single[i])) differing++;
    expect(differing).toBe(0);
  });

  it("does not keep the process alive after the work", () => {
    const script = [
      'import { randn } from "@nabla/tensor";',
      'import { simdMatmulThreadsReady } from "../tensor/src/backends/cpu/wasm/matmul";',
      "randn([1024, 1024]).matmul(randn([1024, 1024]));",
      "if (!(await simdMatmulThreadsReady())) throw new Error('no worker');",
      "const c = randn([1024, 1024]).matmul(randn([1024, 1024]));",
      "console.log(c.shape.join('x'));",
    ].join("\n");
    const benchDir = fileURLToPath(new URL("../../packages/bench/", import.meta.url));
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: benchDir,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("1024x1024");
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});

// The WebAssembly SIMD sums against the JS kernel they stand in for, on contiguous blocks viewed as
// [outer, size, inner] at an offset in their storage.

/** A contiguous [outer, size, inner] block starting `offset` elements into random storage. */
function sumOperand(dtype: FloatDType, outer: number, size: number, inner: number, offset: number, seed: number): Strided {
  const length = offset + outer * size * inner;
  const data = dtype === "float32" ? new Float32Array(length) : new Float64Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = state / 2 ** 31 - 1;
  }
  return { data, shape: [outer, size, inner], strides: [size * inner, inner, 1], offset };
}

/** SIMD sums over the middle dim, whatever the size. */
function simdSums(x: Strided): Float64Array {
  const [outer, size, inner] = x.shape as [number, number, number];
  const acc = new Float64Array(outer * inner);
  expect(withKernels("wasm", () => sumContiguousSimd(x.data, x.offset, outer, size, inner, acc))).toBe(true);
  return acc;
}

function jsSums(x: Strided): Float64Array {
  const [outer, size, inner] = x.shape as [number, number, number];
  const acc = new Float64Array(outer * inner);
  sumContiguous(x.data, x.offset, { outer, size, inner }, acc);
  return acc;
}

/**
 * Both kernels add in float64 in different orders: they agree within size·ε·Σ|x| per output; the
 * SIMD float32 sums first add a few values as a float32 tree (row sums: runs of 32, three float32
 * roundings; column sums: four rows, two).
 */
function expectSumsAgree(x: Strided): void {
  const [outer, size, inner] = x.shape as [number, number, number];
  const js = jsSums(x);
  const simd = simdSums(x);
  expect(simd.length).toBe(js.length);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let magnitude = 0;
      for (let s = 0; s < size; s++) magnitude += Math.abs(x.data[x.offset + (o * size + s) * inner + j]!);
      const i = o * inner + j;
      const treeRounding = x.data instanceof Float32Array ? (inner === 1 ? 3 : 2) * 2 ** -24 * magnitude : 0;
      const bound = (size + 2) * 2 ** -52 * magnitude + treeRounding + 1e-300;
      if (!(Math.abs(simd[i]! - js[i]!) <= bound)) {
        expect.fail(`output ${i}: SIMD ${simd[i]} vs JS ${js[i]} (bound ${bound}) for [${x.shape.join(", ")}] at offset ${x.offset}`);
      }
    }
  }
}

describe("WebAssembly SIMD sums", () => {
  it("are available on this engine", () => {
    expect(simdSumAvailable()).toBe(true);
  });

  for (const dtype of ["float32", "float64"] as const) {
    it(`match the JS kernel on random shapes and offsets, rows and columns (${dtype})`, () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 45 }),
          fc.constantFrom(1, 1, 2, 3, 5, 8, 17),
          fc.integer({ min: 0, max: 5 }),
          fc.integer(),
          (outer, size, inner, offset, seed) => expectSumsAgree(sumOperand(dtype, outer, size, inner, offset, seed)),
        ),
        { numRuns: 80 },
      );
    });

    it(`match the JS kernel across copy blocks with partial row groups (${dtype})`, () => {
      // a block is 512 KiB of whole rows: 21845 float64 rows of 3, 65 float64 (131 float32) rows of 1001
      expectSumsAgree(sumOperand(dtype, 30001, 3, 1, 1, 11));
      expectSumsAgree(sumOperand(dtype, 2, 301, 1001, 3, 12));
    });

    it(`propagate NaN and ±Infinity like the JS kernel (${dtype})`, () => {
      const x = sumOperand(dtype, 2, 9, 7, 2, 13);
      const at = (o: number, s: number, j: number) => x.offset + (o * 9 + s) * 7 + j;
      x.data[at(0, 8, 0)] = NaN; // last row: the rows kernel's tail, one of the columns kernel's leftover rows
      x.data[at(0, 3, 6)] = Infinity; // last column (odd width)
      x.data[at(1, 0, 2)] = -Infinity;
      x.data[at(1, 4, 2)] = Infinity; // −∞ + ∞ is NaN
      x.data[at(1, 5, 5)] = Infinity;
      for (const view of [x, { ...x, shape: [18, 7, 1], strides: [7, 1, 1] }]) {
        const js = Array.from(jsSums(view));
        const simd = Array.from(simdSums(view));
        const special = (v: number) => (Number.isFinite(v) ? "finite" : String(v));
        expect(simd.map(special)).toEqual(js.map(special));
        expect(js.filter((v) => !Number.isFinite(v)).length).toBeGreaterThanOrEqual(3);
      }
    });
  }

  it("leave other dtypes and empty sums to the JS kernel", () => {
    const acc = new Float64Array(4);
    withKernels("wasm", () => {
      expect(sumContiguousSimd(new Int32Array(8), 0, 4, 2, 1, acc)).toBe(false);
      expect(sumContiguousSimd(new Float32Array(0), 0, 4, 0, 1, acc)).toBe(false);
    });
    // and the registry leaves it sums below 64 × 64 elements under the preference auto, every sum under js
    const calls = vi.mocked(sumContiguousSimd).mock.calls;
    const sumAll = (n: number) =>
      run.reduce("sum", { buffer: new Float32Array(n), shape: [n], strides: [1], offset: 0 }, [true], "float32");
    const before = calls.length;
    withKernels("auto", () => sumAll(64 * 63));
    expect(calls.length).toBe(before);
    withKernels("auto", () => sumAll(64 * 64));
    expect(calls.length).toBe(before + 1);
    withKernels("js", () => sumAll(1e5));
    expect(calls.length).toBe(before + 1);
  });

  it("run for sums of 64 × 64 elements and more through sum(), agreeing with float64 sums", () => {
    const x = randn([300, 301]);
    const values = x.data();
    for (const dim of [0, 1] as const) {
      const actual = x.sum(dim).data();
      const [count, length] = dim === 0 ? [301, 300] : [300, 301];
      for (let i = 0; i < count; i++) {
        let expected = 0;
        for (let t = 0; t < length; t++) expected += values[dim === 0 ? t * 301 + i : i * 301 + t]!;
        expect(Math.abs(actual[i]! - expected)).toBeLessThan(1e-4);
      }
    }
  });
});

// The WebAssembly SIMD elementwise arithmetic against the JS loops it stands in for: every operand
// pattern it takes (whole, a row broadcast down the rows, one value per row, a single value), at
// offsets into their storage, with NaN, ±Infinity, ±0 and subnormals; float32 +, −, ×, ÷ must give
// the same bits.

type OperandPattern = "whole" | "row" | "column" | "single";

const ARITHMETIC = ["add", "sub", "mul", "div"] as const;

/** An operand of the broadcast shape [rows, n] read as `pattern`, over fresh storage from `offset`. */
function patternOperand(pattern: OperandPattern, rows: number, n: number, offset: number, values: number[]): Strided {
  const stored = { whole: rows * n, row: n, column: rows, single: 1 }[pattern];
  const data = Float32Array.from({ length: offset + stored }, (_, i) => values[i % values.length]!);
  const strides = { whole: [n, 1], row: [0, 1], column: [1, 0], single: [0, 0] }[pattern];
  return { data, shape: [rows, n], strides, offset };
}

const patternArb = fc.constantFrom<OperandPattern>("whole", "row", "column", "single");

const specialFloat32Arb = fc.oneof(
  { weight: 8, arbitrary: fc.float({ noNaN: true, min: -1e6, max: 1e6 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e-42, -3e-39) },
);

describe("WebAssembly SIMD elementwise arithmetic", () => {
  it("is available on this engine", () => {
    expect(simdElementwiseAvailable()).toBe(true);
  });

  it("gives the JS loops' bits for every operand pattern, op and offset", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ARITHMETIC),
        patternArb,
        patternArb,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(specialFloat32Arb, { minLength: 1, maxLength: 50 }),
        (op, patternA, patternB, rows, n, offset, values) => {
          const a = patternOperand(patternA, rows, n, offset, values);
          const b = patternOperand(patternB, rows, n, 3 - offset, values.slice().reverse());
          const simd = new Float32Array(rows * n);
          expect(withKernels("wasm", () => zipBinarySimd(op, a, b, simd))).toBe(true);
          const js = withKernels("js", () => run.binary(op, host(a), host(b), "float32"));
          for (let i = 0; i < js.length; i++) {
            if (!Object.is(simd[i], js[i]) && !(Number.isNaN(simd[i]) && Number.isNaN(js[i]))) {
              expect.fail(`${op} [${rows}, ${n}] ${patternA} × ${patternB}, element ${i}: SIMD ${simd[i]} vs JS ${js[i]}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  // (in the heap, rows of n % 4 ≠ 0 stay in JS: the kernel's whole-vector stores would overrun them)
  it("adds into a destination (write's accumulation) with the JS loop's bits, in the heap or a typed array", () => {
    fc.assert(
      fc.property(
        patternArb,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(specialFloat32Arb, { minLength: 1, maxLength: 50 }),
        (pattern, rows, n, offset, values) => {
          const src = patternOperand(pattern, rows, n, offset, values);
          const start = patternOperand("whole", rows, n, 3 - offset, values.slice().reverse());
          const js = start.data.slice();
          withKernels("js", () => run.write({ ...host(start), buffer: js }, host(src), true));
          const typed = start.data.slice();
          withKernels("wasm", () => run.write({ ...host(start), buffer: typed }, host(src), true));
          const heap = WasmFloat32Buffer.from(start.data)!;
          withKernels("wasm", () =>
            (cpu.run as unknown as Primitives<WasmFloat32Buffer>).write(
              { ...host(start), buffer: heap },
              { ...host(src), buffer: WasmFloat32Buffer.from(src.data)! },
              true,
            ),
          );
          for (const [where, got] of [
            ["typed array", typed],
            ["heap", heap.data()],
          ] as const) {
            for (let i = 0; i < js.length; i++) {
              if (!Object.is(got[i], js[i]) && !(Number.isNaN(got[i]) && Number.isNaN(js[i]))) {
                expect.fail(`${where}, ${pattern} [${rows}, ${n}] element ${i}: SIMD ${got[i]} vs JS ${js[i]}`);
              }
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("takes rows in blocks, each operand from its own place in every block", () => {
    // 1000 rows of 37: blocks of 442 rows, the last one partial
    const [rows, n] = [1000, 37];
    const at = (x: Strided, r: number, j: number) => x.data[x.offset + r * x.strides[0]! + j * x.strides[1]!]!;
    for (const [patternA, patternB] of [
      ["whole", "column"],
      ["column", "row"],
      ["row", "whole"],
      ["single", "column"],
    ] as const) {
      const a = patternOperand(patternA, rows, n, 1, [1.5, -2.25, 3.125, 0.375, 7]);
      const b = patternOperand(patternB, rows, n, 2, [0.5, 4, -1.75, 2.5]);
      // values that differ from row to row, so a block reading the wrong rows shows
      for (const x of [a, b]) for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! + i / 1024;
      const out = new Float32Array(rows * n);
      expect(zipBinarySimd("sub", a, b, out)).toBe(true);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < n; j++) {
          const expected = Math.fround(at(a, r, j) - at(b, r, j));
          if (out[r * n + j] !== expected) expect.fail(`${patternA} − ${patternB} at [${r}, ${j}]: ${out[r * n + j]} vs ${expected}`);
        }
      }
    }
  });

  it("cuts long flat operands into blocks, the last one partial", () => {
    const total = 16384 * 2 + 5;
    const a: Strided = { data: Float32Array.from({ length: total }, (_, i) => i * 0.5), shape: [total], strides: [1], offset: 0 };
    const b: Strided = { data: Float32Array.of(3), shape: [total], strides: [0], offset: 0 };
    const out = new Float32Array(total);
    expect(zipBinarySimd("mul", a, b, out)).toBe(true);
    expect(Array.from(out.subarray(total - 3))).toEqual([total - 3, total - 2, total - 1].map((i) => i * 1.5));
    expect(out[16384]).toBe(16384 * 1.5);
  });

  it("leaves other ops, dtypes, general strides and small sizes to the JS loops", () => {
    const whole = (data: Float32Array | Float64Array, shape: number[], strides: number[]): Strided => ({ data, shape, strides, offset: 0 });
    const a = whole(new Float32Array(64), [8, 8], [8, 1]);
    const out = new Float32Array(64);
    withKernels("wasm", () => {
      expect(zipBinarySimd("tanhBackward", a, a, out)).toBe(false);
      expect(zipBinarySimd("add", a, whole(new Float64Array(64), [8, 8], [8, 1]), out)).toBe(false);
      // a transposed view and a slice with gaps between rows are not rows of the kinds above
      expect(zipBinarySimd("add", a, whole(new Float32Array(64), [8, 8], [1, 8]), out)).toBe(false);
      expect(zipBinarySimd("add", a, whole(new Float32Array(80), [8, 8], [10, 1]), out)).toBe(false);
    });
    // the registry runs it from 8192 elements under the preference auto, and at no size under js
    const calls = vi.mocked(zipBinarySimd).mock.calls;
    const before = calls.length;
    withKernels("auto", () => run.binary("add", host(a), host(a), "float32"));
    expect(calls.length).toBe(before);
    const large = whole(new Float32Array(8192), [8192], [1]);
    withKernels("auto", () => run.binary("add", host(large), host(large), "float32"));
    expect(calls.length).toBe(before + 1);
    withKernels("js", () => run.binary("add", host(large), host(large), "float32"));
    expect(calls.length).toBe(before + 1);
  });
});

// GELU's SIMD kernels against the JS loops. They compute in float32 with a polynomial exp and Φ, so
// they agree with the JS loops (float64, rounded once) to a few float32 ulps where the values are
// not tiny. In the far left tail the JS loops keep PyTorch's x (1 + erf(x/√2)) / 2, where 1 + erf
// cancels, and the SIMD kernel its digits: there the two agree to an absolute 1e-10.

const GELU_FORMS = [
  { forward: "geluTanh", backward: "geluTanhBackward" },
  { forward: "gelu", backward: "geluBackward" },
] as const;

const geluInputArb = fc.oneof(
  { weight: 8, arbitrary: fc.float({ noNaN: true, min: -16, max: 16 }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 1e-42, -3e-39, 3e38, -3e38, 1e6, -1e6) },
);

/** The same NaNs and infinities, and otherwise within 1e-5 relative plus `absolute`. */
function expectGeluAgrees(simd: ArrayLike<number>, js: ArrayLike<number>, absolute: number, label: string): void {
  expect(simd.length).toBe(js.length);
  for (let i = 0; i < js.length; i++) {
    const [s, j] = [simd[i]!, js[i]!];
    if (Object.is(s, j) || (Number.isNaN(s) && Number.isNaN(j))) continue;
    if (!(Math.abs(s - j) <= 1e-5 * Math.abs(j) + absolute)) expect.fail(`${label}, element ${i}: SIMD ${s} vs JS ${j}`);
  }
}

describe("WebAssembly SIMD GELU", () => {
  it("agrees with the JS loops, copying the input or in the heap, at any length and offset", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GELU_FORMS),
        fc.array(geluInputArb, { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 0, max: 3 }),
        ({ forward }, values, offset) => {
          const data = Float32Array.from([...Array(offset).fill(0.5), ...values]);
          const x = { buffer: data, shape: [values.length], strides: [1], offset };
          const js = withKernels("js", () => run.unary(forward, x, "float32"));
          const copied = new Float32Array(values.length);
          expect(mapUnarySimd(forward, { data, shape: x.shape, strides: x.strides, offset }, copied)).toBe(true);
          expectGeluAgrees(copied, js, 1e-10, `${forward} copied`);
          const stored = WasmFloat32Buffer.from(data)!;
          const out = WasmFloat32Buffer.allocate(values.length)!;
          expect(unaryInPlace(forward, stored.ptr + offset * 4, out.ptr, values.length)).toBe(true);
          expectGeluAgrees(out.data().slice(), js, 1e-10, `${forward} in the heap`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("backward agrees with the JS loops for every operand pattern", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...GELU_FORMS),
        patternArb,
        patternArb,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 37 }),
        fc.array(fc.float({ noNaN: true, min: -2, max: 2 }), { minLength: 1, maxLength: 20 }),
        fc.array(geluInputArb, { minLength: 1, maxLength: 50 }),
        ({ backward }, patternG, patternX, rows, n, gradients, inputs) => {
          const g = patternOperand(patternG, rows, n, 1, gradients);
          const x = patternOperand(patternX, rows, n, 2, inputs);
          const simd = new Float32Array(rows * n);
          expect(zipBinarySimd(backward, g, x, simd)).toBe(true);
          const js = withKernels("js", () => run.binary(backward, host(g), host(x), "float32"));
          // g ⊙ gelu′(x) with |g| ≤ 2: gelu′ near its zero is within a few 1e-7
          expectGeluAgrees(simd, js, 1e-6, `${backward} [${rows}, ${n}] ${patternG} × ${patternX}`);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("runs from 1024 elements copying, from 4096 in the heap, and leaves strided views to the JS loops", () => {
    const copying = vi.mocked(mapUnarySimd).mock.calls;
    const inPlace = vi.mocked(unaryInPlace).mock.calls;
    const before = [copying.length, inPlace.length];
    const flat = (n: number) => ({ buffer: Float32Array.from({ length: n }, (_, i) => i / n - 0.5), shape: [n], strides: [1], offset: 0 });
    withKernels("auto", () => {
      run.unary("gelu", flat(1023), "float32");
      expect([copying.length, inPlace.length]).toEqual(before);
      run.unary("gelu", flat(1024), "float32");
      expect([copying.length, inPlace.length]).toEqual([before[0]! + 1, before[1]]);
      const x = randn([64, 64]);
      expect(x.storage.buffer).toBeInstanceOf(WasmFloat32Buffer);
      x.gelu({ approximate: "tanh" });
      expect([copying.length, inPlace.length]).toEqual([before[0]! + 1, before[1]! + 1]);
      x.mT.gelu();
      expect([copying.length, inPlace.length]).toEqual([before[0]! + 1, before[1]! + 1]);
    });
    withKernels("js", () => run.unary("gelu", flat(8192), "float32"));
    expect([copying.length, inPlace.length]).toEqual([before[0]! + 1, before[1]! + 1]);
  });
});

describe("WebAssembly SIMD ReLU", () => {
  // NaNs of either sign and with payloads, signed zeros, infinities and subnormals
  const reluInputArb = fc.oneof(
    { weight: 6, arbitrary: specialFloat32Arb },
    { weight: 1, arbitrary: fc.constantFrom(0x7fc00001, 0xffc00000, 0xff800001, 0x80000001, 0x00000001) },
  );
  /** Float32 values from numbers, or from bit patterns where an entry is an integer above 2²⁴. */
  const float32s = (entries: number[]) => {
    const bits = new Int32Array(entries.length);
    const values = new Float32Array(bits.buffer);
    entries.forEach((e, i) => {
      if (Number.isInteger(e) && Math.abs(e) > 2 ** 24) bits[i] = e | 0;
      else values[i] = e;
    });
    return values;
  };
  const bitsOf = (x: Float32Array) => Array.from(new Int32Array(x.buffer, x.byteOffset, x.length));

  it("gives the JS loop's bits, copying the input or in the heap, at any length and offset", () => {
    fc.assert(
      fc.property(fc.array(reluInputArb, { minLength: 1, maxLength: 300 }), fc.integer({ min: 0, max: 3 }), (entries, offset) => {
        const data = float32s([...Array(offset).fill(0.5), ...entries]);
        const x = { buffer: data, shape: [entries.length], strides: [1], offset };
        const js = withKernels("js", () => run.unary("relu", x, "float32")) as Float32Array;
        const copied = new Float32Array(entries.length);
        expect(mapUnarySimd("relu", { data, shape: x.shape, strides: x.strides, offset }, copied)).toBe(true);
        expect(bitsOf(copied)).toEqual(bitsOf(js));
        const stored = WasmFloat32Buffer.from(data)!;
        const out = WasmFloat32Buffer.allocate(entries.length)!;
        expect(unaryInPlace("relu", stored.ptr + offset * 4, out.ptr, entries.length)).toBe(true);
        expect(bitsOf(out.data().slice())).toEqual(bitsOf(js));
      }),
      { numRuns: 200 },
    );
  });

  it("backward gives the JS loop's bits for every operand pattern", () => {
    fc.assert(
      fc.property(
        patternArb,
        patternArb,
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 37 }),
        fc.array(reluInputArb, { minLength: 1, maxLength: 20 }),
        fc.array(reluInputArb, { minLength: 1, maxLength: 50 }),
        (patternG, patternY, rows, n, gradients, outputs) => {
          const g = {
            ...patternOperand(patternG, rows, n, 1, [0]),
            data: float32s([0, ...Array.from({ length: rows * n }, (_, i) => gradients[i % gradients.length]!)]),
          };
          const y = {
            ...patternOperand(patternY, rows, n, 2, [0]),
            data: float32s([0, 0, ...Array.from({ length: rows * n }, (_, i) => outputs[i % outputs.length]!)]),
          };
          const simd = new Float32Array(rows * n);
          expect(zipBinarySimd("reluBackward", g, y, simd)).toBe(true);
          const js = withKernels("js", () => run.binary("reluBackward", host(g), host(y), "float32")) as Float32Array;
          expect(bitsOf(simd), `[${rows}, ${n}] ${patternG} × ${patternY}`).toEqual(bitsOf(js));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("runs from 1024 elements, forward and backward", () => {
    const copyingUnary = vi.mocked(mapUnarySimd).mock.calls;
    const copyingBinary = vi.mocked(zipBinarySimd).mock.calls;
    const flat = (n: number) => ({ buffer: Float32Array.from({ length: n }, (_, i) => i / n - 0.5), shape: [n], strides: [1], offset: 0 });
    withKernels("auto", () => {
      const before = [copyingUnary.length, copyingBinary.length];
      run.unary("relu", flat(1023), "float32");
      run.binary("reluBackward", flat(1023), flat(1023), "float32");
      expect([copyingUnary.length, copyingBinary.length]).toEqual(before);
      run.unary("relu", flat(1024), "float32");
      run.binary("reluBackward", flat(1024), flat(1024), "float32");
      expect([copyingUnary.length, copyingBinary.length]).toEqual([before[0]! + 1, before[1]! + 1]);
    });
  });
});

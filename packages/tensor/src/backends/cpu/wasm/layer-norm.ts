import type { View } from "../../backend";
import { type CpuBuffer, hostView } from "../buffer";
import { valuesOf } from "../layer-norm";
import type { HeapBlock } from "./heap";
import { LAYER_NORM_WASM_BASE64 } from "./layer-norm-binary";
import { f32Bytes, f64Bytes, inRowBlocks, rowSource } from "./row-blocks";
import { lazyWasmKernels } from "./wasm-api";

// The drivers of layer-norm.wat, registered beside the reference kernels of layerNorm and
// layerNormBackward (cpu/layer-norm.ts): in place on heap storage, else a block of rows at a time
// (see row-blocks.ts).

/** Pointers are byte offsets into the heap's memory; strides are bytes between rows. */
interface LayerNormKernels {
  layerNormF32(
    x: number,
    xStride: number,
    rows: number,
    n: number,
    weight: number,
    bias: number,
    eps: number,
    dst: number,
    mean: number,
    rstd: number,
  ): void;
  layerNormBackwardF32(
    x: number,
    xStride: number,
    g: number,
    gStride: number,
    mean: number,
    rstd: number,
    weight: number,
    rows: number,
    n: number,
    dx: number,
    dweight: number,
    dbias: number,
  ): void;
}

const simdKernels = /* @__PURE__ */ lazyWasmKernels<LayerNormKernels>(LAYER_NORM_WASM_BASE64);

/** Whether the WebAssembly SIMD layer-norm kernels can run here. */
export function simdLayerNormAvailable(): boolean {
  return simdKernels() !== null;
}

/**
 * layerNorm of float32 x [R, N] (weight and bias [N] or null) through the SIMD kernel. Null, having
 * done nothing, when the JS kernel should run instead: no elements, a full heap, or no WebAssembly SIMD.
 */
export function layerNormSimd(
  x: View<CpuBuffer>,
  weight: View<CpuBuffer> | null,
  bias: View<CpuBuffer> | null,
  eps: number,
): { out: CpuBuffer; mean: Float32Array; rstd: Float32Array } | null {
  const kernels = simdKernels();
  const [rows, n] = x.shape as [number, number];
  if (kernels === null || rows * n === 0) return null;
  const source = rowSource(x, rows, n);
  const w = valuesOf(weight && hostView(weight), n, 1);
  const b = valuesOf(bias && hostView(bias), n, 0);
  return inRowBlocks(rows, n, [source], {
    regions: { weight: f32Bytes(n), bias: f32Bytes(n), mean: f32Bytes(rows), rstd: f32Bytes(rows) },
    prepare(scratch, at) {
      const values = scratch.f32();
      values.set(w, at.weight / 4);
      values.set(b, at.bias / 4);
    },
    call(rowsIn, dst, r, count, ptrs) {
      const [xPtr, xStride] = rowsIn[0]!;
      kernels.exports.layerNormF32(xPtr, xStride, count, n, ptrs.weight, ptrs.bias, eps, dst, ptrs.mean + r * 4, ptrs.rstd + r * 4);
    },
    finish(scratch, at) {
      const values = scratch.f32();
      return { mean: values.slice(at.mean / 4, at.mean / 4 + rows), rstd: values.slice(at.rstd / 4, at.rstd / 4 + rows) };
    },
  });
}

/**
 * layerNormBackward of float32 x and g [R, N] from the mean and rstd [R] layerNorm gave (weight [N]
 * or null) through the SIMD kernel. Null when the JS kernel should run instead (as layerNormSimd).
 */
export function layerNormBackwardSimd(
  x: View<CpuBuffer>,
  g: View<CpuBuffer>,
  mean: View<CpuBuffer>,
  rstd: View<CpuBuffer>,
  weight: View<CpuBuffer> | null,
): { dx: CpuBuffer; dweight: Float32Array; dbias: Float32Array } | null {
  const kernels = simdKernels();
  const [rows, n] = x.shape as [number, number];
  if (kernels === null || rows * n === 0) return null;
  const operands = [rowSource(x, rows, n), rowSource(g, rows, n)];
  const w = valuesOf(weight && hostView(weight), n, 1);
  const means = valuesOf(hostView(mean), rows, 0);
  const rstds = valuesOf(hostView(rstd), rows, 0);
  const sumsOf = (scratch: HeapBlock, at: number) => scratch.f64().subarray(at / 8, at / 8 + n);
  const result = inRowBlocks(rows, n, operands, {
    regions: { weight: f32Bytes(n), mean: f32Bytes(rows), rstd: f32Bytes(rows), dweight: f64Bytes(n), dbias: f64Bytes(n) },
    prepare(scratch, at) {
      const values = scratch.f32();
      values.set(w, at.weight / 4);
      values.set(means, at.mean / 4);
      values.set(rstds, at.rstd / 4);
      // the kernel adds into the column sums (the heap reuses blocks: they start as whatever was there)
      sumsOf(scratch, at.dweight).fill(0);
      sumsOf(scratch, at.dbias).fill(0);
    },
    call(rowsIn, dst, r, count, ptrs) {
      const [[xPtr, xStride], [gPtr, gStride]] = rowsIn as [[number, number], [number, number]];
      kernels.exports.layerNormBackwardF32(
        xPtr,
        xStride,
        gPtr,
        gStride,
        ptrs.mean + r * 4,
        ptrs.rstd + r * 4,
        ptrs.weight,
        count,
        n,
        dst,
        ptrs.dweight,
        ptrs.dbias,
      );
    },
    finish: (scratch, at) => ({
      dweight: Float32Array.from(sumsOf(scratch, at.dweight)),
      dbias: Float32Array.from(sumsOf(scratch, at.dbias)),
    }),
  });
  return result === null ? null : { dx: result.out, dweight: result.dweight, dbias: result.dbias };
}

import { afterAll, beforeAll, vi } from "vitest";
import { getKernelPreference, type KernelPreference, setKernelPreference } from "@nabla/tensor";
import type { View } from "../../packages/tensor/src/backends/backend";
import type { CpuBuffer } from "../../packages/tensor/src/backends/cpu/buffer";
import { WasmFloat32Buffer } from "../../packages/tensor/src/backends/cpu/wasm/float32-buffer";

/** Runs `fn` on the kernels `preference` chooses, then restores the preference before. */
export function withKernels<T>(preference: KernelPreference, fn: () => T): T {
  const before = getKernelPreference();
  setKernelPreference(preference);
  try {
    return fn();
  } finally {
    setKernelPreference(before);
  }
}

/** The tests of the enclosing `describe` (or file) run on the kernels `preference` chooses. */
export function useKernels(preference: KernelPreference): void {
  let before: KernelPreference = "auto";
  beforeAll(() => {
    before = getKernelPreference();
    setKernelPreference(preference);
  });
  afterAll(() => setKernelPreference(before));
}

/**
 * Runs `call` with the WebAssembly heap refusing new float32 storage when `inHeap` is false, so
 * kernels that write their outputs into new heap storage write them into scratch and copy them out.
 */
export function withOutputs<T>(inHeap: boolean, call: () => T): T {
  if (inHeap) return call();
  const allocate = vi.spyOn(WasmFloat32Buffer, "allocate").mockReturnValue(null);
  try {
    return call();
  } finally {
    allocate.mockRestore();
  }
}

/** How the [R, N] rows of a kernel operand sit in their storage. */
export type RowLayout = "rows" | "wider rows" | "repeated row" | "transposed";

/**
 * `values` (R·N, row-major) as an [R, N] view of float32 storage of their own, from `offset`, in
 * the WebAssembly heap or a typed array: rows packed, inside rows of N + 3, the first row repeated
 * (row stride 0) or transposed.
 */
export function laidOutRows(
  values: readonly number[],
  rows: number,
  n: number,
  { layout, offset, inHeap }: { layout: RowLayout; offset: number; inHeap: boolean },
): View<CpuBuffer> {
  const rowStride = layout === "wider rows" ? n + 3 : layout === "repeated row" ? 0 : n;
  const stored = layout === "repeated row" ? 1 : rows;
  const strides = layout === "transposed" ? [1, rows] : [rowStride, 1];
  const storage = new Float32Array(offset + stored * Math.max(rowStride, n));
  for (let r = 0; r < stored; r++) for (let j = 0; j < n; j++) storage[offset + r * strides[0]! + j * strides[1]!] = values[r * n + j]!;
  return { buffer: inHeap ? WasmFloat32Buffer.from(storage)! : storage, shape: [rows, n], strides, offset };
}

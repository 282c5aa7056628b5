import { afterAll, beforeAll, vi } from "vitest";
import { getKernelPreference, type KernelPreference, setKernelPreference } from "@nabla/tensor";
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

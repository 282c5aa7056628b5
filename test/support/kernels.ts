import { afterAll, beforeAll } from "vitest";
import { getKernelPreference, type KernelPreference, setKernelPreference } from "@nabla/tensor";

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

import { sharedAcrossCopies } from "../copies";
import { describeValue, NablaError } from "../errors";

/**
 * Which kernels run on the CPU: `"auto"` (the default) picks the WebAssembly SIMD kernels where
 * they are faster, the JS reference kernels elsewhere; `"js"` runs only the reference kernels;
 * `"wasm"` runs a WebAssembly kernel wherever one takes the dtype and layout, whatever the size
 * (for testing and debugging those kernels).
 */
export type KernelPreference = "js" | "auto" | "wasm";

const PREFERENCES: readonly KernelPreference[] = ["js", "auto", "wasm"];

function parsePreference(op: string, value: unknown): KernelPreference {
  if (!PREFERENCES.includes(value as KernelPreference)) {
    throw new NablaError(op, `expected "js", "auto" or "wasm", got ${describeValue(value)}`);
  }
  return value as KernelPreference;
}

/** `NABLA_KERNELS` in Node (unset or empty is "auto"); "auto" where there is no `process`. */
function initialPreference(): KernelPreference {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NABLA_KERNELS;
  return value === undefined || value === "" ? "auto" : parsePreference("NABLA_KERNELS", value);
}

// Read on every dispatch, so one property read. Shared by every copy of the package (its ESM and
// CJS builds, the CJS builds of `@nabla/tensor` and `@nabla/tensor/internal`), so every copy
// dispatches on what the user set through any of them.
const state = sharedAcrossCopies("kernelPreference", () => ({ preference: initialPreference() }));

/**
 * Chooses the CPU kernels: `"auto"` (the default) picks WebAssembly SIMD kernels where they are
 * faster, `"js"` runs only the JS reference kernels, `"wasm"` runs a WebAssembly kernel wherever
 * one takes the dtype and layout, whatever the size. The last two are for testing and debugging;
 * results agree within rounding. In Node the environment variable `NABLA_KERNELS` (`js`, `auto`
 * or `wasm`) sets the starting value.
 *
 * @example
 * ```ts
 * setKernelPreference("js");
 * matmul(ones([2, 3]), ones([3, 2])); // → [[3, 3], [3, 3]]
 * setKernelPreference("auto");
 * ```
 */
export function setKernelPreference(value: KernelPreference): void {
  state.preference = parsePreference("setKernelPreference", value);
}

/**
 * The CPU kernels in use, as {@link setKernelPreference} or `NABLA_KERNELS` chose them.
 *
 * @example
 * ```ts
 * setKernelPreference("wasm");
 * getKernelPreference(); // → "wasm"
 * setKernelPreference("auto");
 * ```
 */
export function getKernelPreference(): KernelPreference {
  return state.preference;
}

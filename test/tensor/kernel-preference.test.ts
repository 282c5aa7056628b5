import { afterEach, describe, expect, it, vi } from "vitest";
import { getKernelPreference, matmul, NablaError, randn, setKernelPreference, version } from "@nabla/tensor";
import { nablaError } from "../support/errors";
import { withKernels } from "../support/kernels";

// The one switch the registry asks before it runs a WebAssembly kernel (see backend-registry.test.ts):
// set in code or by NABLA_KERNELS.

const MODULE = "../../packages/tensor/src/backends/preference";

// The preference is shared by every copy of the package (sharedAcrossCopies, keyed on globalThis):
// a module loaded again reads NABLA_KERNELS only as the first copy of a fresh process would, with
// the shared state removed; the state of the copy under test is put back after each test.
const SHARED = Symbol.for(`nabla.tensor@${version} kernelPreference`);
const store = globalThis as { [key: symbol]: unknown };
const shared = store[SHARED];
const asInFreshProcess = () => {
  vi.resetModules();
  delete store[SHARED];
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
  store[SHARED] = shared;
});

describe("setKernelPreference and getKernelPreference", () => {
  it("set and read the preference", () => {
    withKernels("auto", () => {
      for (const value of ["js", "wasm", "auto"] as const) {
        setKernelPreference(value);
        expect(getKernelPreference()).toBe(value);
      }
    });
  });

  it("refuse other values, keeping the preference", () => {
    withKernels("js", () => {
      for (const [value, shown] of [
        ["gpu", '"gpu"'],
        ["JS", '"JS"'],
        [undefined, "undefined"],
      ] as const) {
        const error = nablaError(() => setKernelPreference(value as never), "setKernelPreference");
        expect(error.message).toBe(`setKernelPreference: expected "js", "auto" or "wasm", got ${shown}`);
        expect(getKernelPreference()).toBe("js");
      }
    });
  });

  it("give the same products on every kernel set", () => {
    const a = randn([20, 30]);
    const b = randn([30, 10]);
    const js = withKernels("js", () => matmul(a, b).data());
    for (const preference of ["auto", "wasm"] as const) {
      const other = withKernels(preference, () => matmul(a, b).data());
      for (let i = 0; i < js.length; i++) expect(Math.abs(other[i]! - js[i]!)).toBeLessThan(1e-4);
    }
  });
});

describe("NABLA_KERNELS", () => {
  it("is read once per process: a second copy of the module shares the first one's preference", async () => {
    const before = getKernelPreference();
    setKernelPreference("js");
    vi.resetModules();
    vi.stubEnv("NABLA_KERNELS", "wasm");
    const copy = await import(MODULE);
    expect(copy.getKernelPreference()).toBe("js");
    copy.setKernelPreference("wasm");
    expect(getKernelPreference()).toBe("wasm");
    setKernelPreference(before);
  });

  it("sets the starting preference in Node; unset or empty is auto", async () => {
    for (const [value, expected] of [
      ["js", "js"],
      ["wasm", "wasm"],
      ["auto", "auto"],
      ["", "auto"],
      [undefined, "auto"],
    ] as const) {
      asInFreshProcess();
      vi.stubEnv("NABLA_KERNELS", value);
      const module = await import(MODULE);
      expect(module.getKernelPreference(), `NABLA_KERNELS=${value}`).toBe(expected);
    }
  });

  it("refuses other values when the module loads", async () => {
    asInFreshProcess();
    vi.stubEnv("NABLA_KERNELS", "simd");
    const error = await import(MODULE).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NablaError);
    expect((error as NablaError).message).toBe('NABLA_KERNELS: expected "js", "auto" or "wasm", got "simd"');
  });
});

import type { Device } from "../device";
import type { DType } from "../dtype";
import { NablaError } from "../errors";
import type { Backend, BackendDefinition } from "./backend";
import { getKernelPreference } from "./preference";
import type { Primitive, Primitives } from "./primitives";

/**
 * What an alternative kernel declares beside its code: from how many elements (or, for matmul,
 * multiply-adds) it is faster than the reference kernel it stands in for, as measured.
 */
export interface KernelSize {
  readonly minElements: number;
}

type Args<P extends Primitive, B> = Parameters<Primitives<B>[P]>;

/**
 * A kernel registered beside a backend's reference kernel for one primitive (on the CPU: a
 * WebAssembly SIMD kernel). It declares the dtypes it takes, its measured minimum size and what
 * else it needs of the arguments (op names, layouts); the registry runs it only when all hold.
 */
export interface KernelAlternative<P extends Primitive, B = unknown> extends KernelSize {
  readonly name: string;
  readonly dtypes: readonly DType[];
  /** The dtype of a call that `dtypes` is checked against (usually the output's). */
  dtype(...args: Args<P, B>): DType;
  /** The work of a call that `minElements` is checked against. */
  size(...args: Args<P, B>): number;
  /** Whatever else the kernel requires of the arguments (op name, layout, availability). */
  accepts(...args: Args<P, B>): boolean;
  /** The result, or null when it cannot run after all (memory it could not get): the reference then runs. */
  run(...args: Args<P, B>): ReturnType<Primitives<B>[P]> | null;
}

// biome-ignore lint/suspicious/noExplicitAny: one call shape for every primitive (at most six arguments)
type AnyKernel = (a?: any, b?: any, c?: any, d?: any, e?: any, f?: any) => any;
type AnyAlternative = KernelAlternative<Primitive, unknown>;

/**
 * The kernel that runs a primitive: the reference alone while nothing else is registered (no
 * cost over calling it), else the first alternative that takes the call, falling back to the
 * reference. Checked cheapest first (preference, size, dtype, then what the kernel requires), with
 * fixed parameters rather than rest arguments: no array per call. A size is computed once for
 * consecutive alternatives that share its function (the CPU's binary and unary kernels do).
 */
function dispatch(reference: AnyKernel, alternatives: readonly AnyAlternative[]): AnyKernel {
  if (alternatives.length === 0) return reference;
  const choices = alternatives as unknown as readonly (KernelSize & { dtypes: readonly DType[] } & Record<
      "dtype" | "size" | "accepts" | "run",
      AnyKernel
    >)[];
  return (a, b, c, d, e, f) => {
    const preference = getKernelPreference();
    if (preference === "js") return reference(a, b, c, d, e, f);
    const auto = preference === "auto";
    let sizeOf: AnyKernel | null = null;
    let size = 0;
    for (let i = 0; i < choices.length; i++) {
      const kernel = choices[i]!;
      if (auto) {
        if (kernel.size !== sizeOf) {
          sizeOf = kernel.size;
          size = kernel.size(a, b, c, d, e, f);
        }
        if (size < kernel.minElements) continue;
      }
      if (!kernel.dtypes.includes(kernel.dtype(a, b, c, d, e, f)) || !kernel.accepts(a, b, c, d, e, f)) continue;
      const out = kernel.run(a, b, c, d, e, f);
      if (out !== null) return out;
    }
    return reference(a, b, c, d, e, f);
  };
}

interface Registered {
  readonly definition: BackendDefinition<unknown>;
  readonly backend: Backend & { run: Record<Primitive, AnyKernel> };
  readonly alternatives: Map<Primitive, AnyAlternative[]>;
}

// Made on first use: the CPU backend registers itself while the package's modules are still
// loading, possibly before this module's own top-level statements have run in a bundle.
let registeredMap: Map<Device, Registered> | undefined;
function registered(): Map<Device, Registered> {
  registeredMap ??= new Map();
  return registeredMap;
}

/**
 * Registers a backend for its device and returns it as ops see it (opaque buffers, `run` choosing
 * among the registered kernels). Registering a device again replaces it.
 */
export function registerBackend<B>(definition: BackendDefinition<B>): Backend {
  const run = { ...definition.kernels } as unknown as Record<Primitive, AnyKernel>;
  const backend = { ...definition, run } as unknown as Registered["backend"];
  registered().set(definition.device, { definition: definition as BackendDefinition<unknown>, backend, alternatives: new Map() });
  return backend;
}

/** The backend registered for `device`; a NablaError when there is none. */
export function backendFor(device: Device): Backend {
  const entry = registered().get(device);
  if (entry === undefined) throw new NablaError("backend", `no backend is registered for device "${device}"`);
  return entry.backend;
}

/**
 * Registers `alternative` for primitive `primitive` of `device`'s backend, tried before any
 * registered earlier. Returns a function that removes it again.
 */
export function registerKernel<P extends Primitive, B>(device: Device, primitive: P, alternative: KernelAlternative<P, B>): () => void {
  const entry = registered().get(device);
  if (entry === undefined) throw new NablaError("registerKernel", `no backend is registered for device "${device}"`);
  const list = entry.alternatives.get(primitive) ?? [];
  entry.alternatives.set(primitive, [alternative as unknown as AnyAlternative, ...list]);
  rebuild(entry, primitive);
  return () => {
    const current = entry.alternatives.get(primitive) ?? [];
    entry.alternatives.set(
      primitive,
      current.filter((a) => a !== (alternative as unknown)),
    );
    rebuild(entry, primitive);
  };
}

function rebuild(entry: Registered, primitive: Primitive): void {
  const reference = entry.definition.kernels[primitive] as AnyKernel;
  entry.backend.run[primitive] = dispatch(reference, entry.alternatives.get(primitive) ?? []);
}

/** The names of the alternatives registered for a primitive of a device, most preferred first. */
export function registeredKernels(device: Device, primitive: Primitive): string[] {
  return (registered().get(device)?.alternatives.get(primitive) ?? []).map((a) => a.name);
}

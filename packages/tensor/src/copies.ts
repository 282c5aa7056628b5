import { version as packageVersion } from "../package.json";
import { NablaError } from "./errors";
import type { Tensor } from "./tensor";

// A program can load @nabla/tensor more than once: its ESM and CJS builds are two copies with
// their own `Tensor` class and module state, and a nested install of another version is a third.
// Every tensor carries its copy's version under TENSOR_BRAND (on the prototype), a key that
// `Symbol.for` makes the same in every copy, so tensors are recognised by brand, not by class.
// Every future version must keep this key and its value (the version string), or two versions
// could not tell each other apart.

/** The version of this copy of @nabla/tensor, as in its package.json. */
export const version: string = packageVersion;

export const TENSOR_BRAND: unique symbol = Symbol.for("nabla.tensor");

/**
 * Whether `value` is a tensor of this version of @nabla/tensor, from whichever copy made it (the
 * ESM and CJS builds of one version share their state, see `sharedAcrossCopies`, so their tensors
 * mix freely). A tensor of another version is refused with a NablaError naming `op`: its graph and
 * layout may differ, and the two copies do not share grad mode or the random generator.
 *
 * @example
 * ```ts
 * isTensor(tensor([1, 2])); // → true
 * isTensor([1, 2]);         // → false
 * ```
 */
export function isTensor(value: unknown, op = "isTensor"): value is Tensor {
  if (typeof value !== "object" || value === null) return false;
  const brand = (value as { [TENSOR_BRAND]?: unknown })[TENSOR_BRAND];
  if (brand === version) return true;
  if (brand === undefined) return false;
  throw new NablaError(
    op,
    `two copies of @nabla/tensor are loaded (${version} here, ${String(brand)} in the tensor given) and cannot share tensors; ` +
      "make every package resolve one copy: `npm ls @nabla/tensor` lists them and `npm dedupe` (or `pnpm dedupe`) merges them " +
      "(@nabla/ops and @nabla/nn take @nabla/tensor as a peer dependency, so they use yours)",
  );
}

/**
 * The object stored under `name` for this version in `globalThis`, made by `create` in the first
 * copy that asks: module state that must be one per program (grad mode, the random generator,
 * counters the autograd engine compares) so that two copies of one version act as one.
 */
export function sharedAcrossCopies<T extends object>(name: string, create: () => T): T {
  const store = globalThis as { [key: symbol]: unknown };
  const key = Symbol.for(`nabla.tensor@${version} ${name}`);
  store[key] ??= create();
  return store[key] as T;
}

/** `value instanceof cls` by the prototype chain, for subclasses of a class that checks a brand. */
export function ordinaryHasInstance(cls: unknown, value: unknown): boolean {
  return Function.prototype[Symbol.hasInstance].call(cls, value);
}

import { isTensor } from "./copies";
import { NablaError, describeValue } from "./errors";
import { checkRank } from "./shape";
import type { Tensor } from "./tensor";

// Checks for the arguments of public entry points, so a wrong-typed argument is a NablaError naming
// the op, the argument, what was given and what was expected, never a TypeError from deep inside:
// `reshape: shape must be an array of integers, got null`. Range checks (a dim within ndim, a size
// that fits) stay with the op that knows the range.

function refuse(op: string, name: string, expected: string, value: unknown): never {
  throw new NablaError(op, `${name} must be ${expected}, got ${describeValue(value)}`);
}

/** A Tensor (of this version of the package: see isTensor). */
export function checkTensor(op: string, name: string, value: unknown): Tensor {
  if (!isTensor(value, op)) refuse(op, name, "a Tensor", value);
  return value;
}

/** A JS number (NaN and ±Infinity included unless `finite`). */
export function checkNumber(op: string, name: string, value: unknown, options?: { finite?: boolean }): number {
  const finite = options?.finite === true;
  if (typeof value !== "number" || (finite && !Number.isFinite(value))) refuse(op, name, finite ? "a finite number" : "a number", value);
  return value;
}

/** A safe integer, at least `min` when given. */
export function checkInteger(op: string, name: string, value: unknown, options?: { min?: number }): number {
  const min = options?.min;
  if (!Number.isSafeInteger(value) || (min !== undefined && (value as number) < min)) {
    refuse(
      op,
      name,
      min === undefined ? "an integer" : min === 0 ? "a non-negative integer" : min === 1 ? "a positive integer" : `an integer ≥ ${min}`,
      value,
    );
  }
  return value as number;
}

export function checkBoolean(op: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") refuse(op, name, "true or false", value);
  return value;
}

export function checkFunction<F extends (...args: never[]) => unknown>(op: string, name: string, value: unknown): F {
  if (typeof value !== "function") refuse(op, name, "a function", value);
  return value as F;
}

/** An options object (undefined gives `{}`): a plain object, not null, an array or a Tensor. */
export function checkOptions<T extends object>(op: string, value: T | undefined, name = "options"): Partial<T> {
  if (value === undefined) return {};
  const prototype = typeof value === "object" && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (prototype !== Object.prototype && prototype !== null) refuse(op, name, "an object", value);
  return value;
}

/** A dim, or a list of dims (each an integer; the op checks the range). */
export function checkDims(op: string, name: string, value: unknown): number | readonly number[] {
  if (typeof value === "number") return checkInteger(op, name, value);
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d))) refuse(op, name, "an integer or an array of integers", value);
  return value;
}

/** A list of integers, such as a shape (-1 allowed; the op checks each size) or a permutation. */
export function checkIntegers(op: string, name: string, value: unknown): readonly number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d))) refuse(op, name, "an array of integers", value);
  checkRank(op, value.length);
  return value;
}

/**
 * The sizes of a method called as PyTorch users type it, `x.reshape(2, 3)`, or with one array,
 * `x.reshape([2, 3])`: one argument is the list itself (a single number is a list of one), several
 * are the list. The op then checks what it got.
 */
export function sizesArgument(args: readonly unknown[]): unknown {
  if (args.length !== 1) return args;
  return typeof args[0] === "number" ? [args[0]] : args[0];
}

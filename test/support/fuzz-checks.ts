// What the fuzz suite (test/fuzz/) checks after every call, and how long it runs. Nothing here
// imports vitest, so a plain `tsx` process (test/fuzz/bounded-time-runner.ts) can use it too.
//
// - `attempt` runs a call and keeps what it threw; only a NablaError may escape nabla.
// - `snapshotTensors` / `changesSince` record every tensor a call could reach (its whole storage,
//   layout, version, autograd state and .grad) and list what changed, so a call that throws can be
//   shown to have left everything as it was.
// - `wellFormedProblems` checks a tensor's invariants: a layout inside its storage, storage of the
//   dtype's array type, bool storage holding only 0 and 1, readable values that agree with
//   toArray/item, and printing that works without materialising a huge view.
// - `fuzzRuns` and `fuzzParameters` scale the runs by the FUZZ_RUNS environment variable.

import fc from "fast-check";
import { NablaError, Tensor, type DType } from "@nabla/tensor";
import type { TypedArray } from "../../packages/tensor/src/dtype";

/** The whole of t's storage as the CPU backend holds it: the typed array itself. */
function storageArray(t: Tensor): TypedArray {
  return t.storage.backend.hostArray!(t.buffer);
}

// ---- runs ----

/** The number of runs most properties use in CI; FUZZ_RUNS=n scales every property by n / CI_RUNS. */
export const CI_RUNS = 50;

function environment(name: string): string | undefined {
  const value = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];
  return value === undefined || value === "" ? undefined : value;
}

function runScale(): number {
  const requested = environment("FUZZ_RUNS");
  if (requested === undefined) return 1;
  const runs = Number(requested);
  if (!Number.isFinite(runs) || runs <= 0) throw new Error(`FUZZ_RUNS must be a positive number, got ${requested}`);
  return runs / CI_RUNS;
}

/** `ciRuns` in CI, scaled by FUZZ_RUNS when it is set (at least 1). */
export function fuzzRuns(ciRuns: number): number {
  return Math.max(1, Math.round(ciRuns * runScale()));
}

/** A test's time limit: generous in CI, and grown with FUZZ_RUNS. */
export function fuzzTimeout(ciMilliseconds = 60_000): number {
  return Math.max(ciMilliseconds, Math.ceil(ciMilliseconds * runScale()));
}

/**
 * fast-check parameters for a property of `ciRuns` runs. FUZZ_SEED and FUZZ_PATH (printed by a
 * failing run) replay a failure; fc.assert prints the seed and the shrunk counterexample.
 */
export function fuzzParameters<T>(ciRuns: number): fc.Parameters<T> {
  const path = environment("FUZZ_PATH");
  return {
    numRuns: fuzzRuns(ciRuns),
    seed: fuzzSeed(),
    ...(path === undefined ? {} : { path }),
  };
}

/**
 * The seed of every fuzz property: FUZZ_SEED when given; a fresh one for a run made longer by hand
 * (FUZZ_RUNS), which is how new defects are looked for; otherwise a fixed one, so the suite in CI
 * checks the same cases on every run and a red CI always means a change broke something.
 */
export function fuzzSeed(): number {
  const seed = environment("FUZZ_SEED");
  if (seed !== undefined) return Number(seed);
  return environment("FUZZ_RUNS") === undefined ? FIXED_SEED : Math.floor(Math.random() * 2 ** 31);
}
const FIXED_SEED = 20_261_207;

// ---- outcomes ----

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export function attempt<T>(fn: () => T): Outcome<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The constructor name, message and first stack frame of something thrown. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `a thrown ${typeof error}: ${safeString(error)}`;
  const frame =
    error.stack
      ?.split("\n")
      .find((line) => line.trim().startsWith("at "))
      ?.trim() ?? "";
  return `${error.constructor.name}: ${error.message} ${frame}`;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A problem when `error` is anything but a NablaError. */
export function notNablaError(error: unknown, call: string): string[] {
  return error instanceof NablaError ? [] : [`${call} threw ${describeError(error)} (only NablaError may be thrown)`];
}

// ---- hostile values ----

/**
 * Values a caller may pass where nabla expects something else: JS types nabla never takes, and
 * numbers outside every range it accepts. None is a size that could be allocated but not quickly
 * filled (2^31 is not here): taken as a size, each is negative, fractional, not finite or far beyond
 * any allocation, so a call that wrongly accepts one fails at once instead of filling gigabytes.
 */
export const HOSTILE_VALUES: readonly unknown[] = [
  null,
  undefined,
  true,
  false,
  "",
  "1",
  "float32",
  {},
  { dim: 1 },
  [],
  [null],
  ["a"],
  [[1]],
  [1.5],
  [-2],
  [2 ** 35, 2 ** 35],
  NaN,
  Infinity,
  -Infinity,
  -1,
  -0,
  0.5,
  -2.5,
  -(2 ** 31) - 1,
  2 ** 53,
  1e300,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1n,
  Symbol("hostile"),
  () => 1,
  new Map(),
  new Float32Array(2),
];

export const hostileValueArb: fc.Arbitrary<unknown> = fc.constantFrom(...HOSTILE_VALUES);

/** Size-like numbers that no shape may hold: negative, fractional, not finite, or ≥ 2^35. */
export const HOSTILE_SIZES: readonly number[] = [-1, -3, 0.5, 2.5, NaN, Infinity, -Infinity, 2 ** 35, 2 ** 53, 2 ** 53 + 2, 1e300];

// ---- snapshots ----

interface TensorRecord {
  tensor: Tensor;
  storageData: number[];
  version: number;
  shape: number[];
  strides: number[];
  offset: number;
  dtype: DType;
  requiresGrad: boolean;
  gradFn: unknown;
  grad: Tensor | null;
  gradData: number[] | null;
}

export interface Snapshot {
  records: TensorRecord[];
}

/** Every tensor in `values`, looking inside arrays and plain objects (a few levels deep). */
export function tensorsIn(values: readonly unknown[], depth = 3): Tensor[] {
  const found = new Set<Tensor>();
  const visit = (value: unknown, level: number) => {
    if (value instanceof Tensor) {
      found.add(value);
      if (value.grad instanceof Tensor) found.add(value.grad);
      return;
    }
    if (level === 0 || value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return;
    const prototype = Object.getPrototypeOf(value);
    if (Array.isArray(value)) for (const item of value) visit(item, level - 1);
    else if (prototype === Object.prototype || prototype === null) for (const item of Object.values(value)) visit(item, level - 1);
  };
  for (const value of values) visit(value, depth);
  return [...found];
}

export function snapshotTensors(tensors: readonly Tensor[]): Snapshot {
  return {
    records: tensors.map((t) => ({
      tensor: t,
      storageData: Array.from(storageArray(t)),
      version: t.storage.version,
      shape: [...t.shape],
      strides: [...t.strides],
      offset: t.offset,
      dtype: t.dtype,
      requiresGrad: t.requiresGrad,
      gradFn: t.gradFn,
      grad: t.grad,
      gradData: t.grad instanceof Tensor ? Array.from(t.grad.data()) : null,
    })),
  };
}

function sameValues(a: readonly number[], b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** What changed in the recorded tensors since the snapshot, one line per change. */
export function changesSince(snapshot: Snapshot, label = "tensor"): string[] {
  const problems: string[] = [];
  snapshot.records.forEach((r, i) => {
    const t = r.tensor;
    const name = `${label} ${i} (${r.dtype} [${r.shape.join(", ")}])`;
    if (!sameValues(r.storageData, storageArray(t))) problems.push(`${name}: its storage was written`);
    if (t.storage.version !== r.version) problems.push(`${name}: its version went from ${r.version} to ${t.storage.version}`);
    if (!sameList(r.shape, t.shape) || !sameList(r.strides, t.strides) || t.offset !== r.offset || t.dtype !== r.dtype) {
      problems.push(
        `${name}: its layout or dtype changed to ${t.dtype} [${t.shape.join(", ")}] strides [${t.strides.join(", ")}] offset ${t.offset}`,
      );
    }
    if (t.requiresGrad !== r.requiresGrad || t.gradFn !== r.gradFn) problems.push(`${name}: its autograd state changed`);
    if (t.grad !== r.grad) problems.push(`${name}: its .grad was replaced`);
    else if (r.gradData !== null && t.grad !== null && !sameValues(r.gradData, t.grad.data()))
      problems.push(`${name}: its .grad was written`);
  });
  return problems;
}

// ---- well-formed tensors ----

const ARRAY_TYPE: Record<DType, abstract new (...args: never[]) => unknown> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};
const DTYPE_NAMES = Object.keys(ARRAY_TYPE);

/** Tensors up to this size are read back and printed in full. */
export const READABLE_NUMEL = 2 ** 16;
/** Tensors from this size up are printed too: a summary must not need their elements (2^35 cannot be allocated). */
export const HUGE_NUMEL = 2 ** 35;

function storageRange(t: Tensor): { min: number; max: number } {
  let min = t.offset;
  let max = t.offset;
  t.shape.forEach((size, d) => {
    const reach = (size - 1) * t.strides[d]!;
    if (reach < 0) min += reach;
    else max += reach;
  });
  return { min, max };
}

/**
 * Everything wrong with `t` as a tensor: its layout, its storage, its values as read back, and
 * how it prints. Empty when it is well formed.
 */
export function wellFormedProblems(t: unknown, label = "result"): string[] {
  if (!(t instanceof Tensor)) return [`${label} is ${safeString(t)}, not a Tensor`];
  const problems: string[] = [];
  const where = `${label} (${String(t.dtype)} [${Array.from(t.shape ?? []).join(", ")}])`;
  if (!DTYPE_NAMES.includes(t.dtype)) return [`${where}: unknown dtype`];
  if (!(storageArray(t) instanceof ARRAY_TYPE[t.dtype])) problems.push(`${where}: storage is a ${storageArray(t).constructor.name}`);
  const integral = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v);
  if (!Array.isArray(t.shape) || !t.shape.every((s) => integral(s) && s >= 0))
    return [...problems, `${where}: shape is not a list of sizes`];
  if (!Array.isArray(t.strides) || t.strides.length !== t.shape.length || !t.strides.every(integral))
    return [...problems, `${where}: strides [${t.strides}] do not fit the shape`];
  if (!integral(t.offset) || t.offset < 0) return [...problems, `${where}: offset ${t.offset}`];
  const numel = t.shape.reduce((n, s) => n * s, 1);
  if (t.numel !== numel) problems.push(`${where}: numel ${t.numel}, expected ${numel}`);
  if (numel > 0) {
    const { min, max } = storageRange(t);
    if (min < 0 || max >= storageArray(t).length)
      problems.push(`${where}: reaches storage positions ${min} to ${max} of ${storageArray(t).length}`);
  }
  if (t.dtype === "bool") {
    const bad = storageArray(t).findIndex((v) => v !== 0 && v !== 1);
    if (bad >= 0) problems.push(`${where}: bool storage holds ${storageArray(t)[bad]} at position ${bad}`);
  }
  if ((t.requiresGrad || t.gradFn !== null) && t.dtype !== "float32" && t.dtype !== "float64") problems.push(`${where}: requires grad`);
  if (t.gradFn !== null && !t.requiresGrad) problems.push(`${where}: has a gradFn but does not require grad`);
  if (problems.length > 0) return problems;

  // toArray makes one array per index of the leading dims: an empty tensor of shape [1, 2^35, 0]
  // has no elements but 2^35 nested arrays (as PyTorch's tolist would), so it is not read back
  let nestedArrays = 1;
  for (let d = 0, count = 1; d < t.ndim - 1; d++) nestedArrays += count *= t.shape[d]!;
  if (numel <= READABLE_NUMEL && nestedArrays <= READABLE_NUMEL) problems.push(...readBackProblems(t, where, numel));
  if (numel <= READABLE_NUMEL || numel >= HUGE_NUMEL) {
    const printed = attempt(() => t.toString());
    if (!printed.ok) problems.push(...notNablaError(printed.error, `${where}.toString()`));
    else if (typeof printed.value !== "string") problems.push(`${where}.toString() gave ${typeof printed.value}`);
  }
  return problems;
}

function readBackProblems(t: Tensor, where: string, numel: number): string[] {
  const problems: string[] = [];
  const data = attempt(() => t.data());
  if (!data.ok) return [`${where}.data() threw ${describeError(data.error)}`];
  if (data.value.length !== numel) problems.push(`${where}.data() has ${data.value.length} values`);
  const flat: unknown[] = [];
  const nested = attempt(() => t.toArray());
  if (!nested.ok) return [...problems, `${where}.toArray() threw ${describeError(nested.error)}`];
  const walk = (value: unknown, dim: number) => {
    if (dim === t.ndim) {
      flat.push(value);
      return;
    }
    if (!Array.isArray(value) || value.length !== t.shape[dim]) {
      problems.push(`${where}.toArray() does not have the tensor's shape at dim ${dim}`);
      return;
    }
    for (const item of value) walk(item, dim + 1);
  };
  walk(nested.value, 0);
  if (problems.length > 0) return problems;
  flat.forEach((value, i) => {
    const stored = data.value[i]!;
    const expected = t.dtype === "bool" ? stored !== 0 : stored;
    if (!Object.is(value, expected)) problems.push(`${where}.toArray() element ${i} is ${String(value)}, data() has ${stored}`);
  });
  if (numel === 1) {
    const item = attempt(() => t.item());
    const expected = t.dtype === "bool" ? data.value[0] !== 0 : data.value[0];
    if (!item.ok) problems.push(`${where}.item() threw ${describeError(item.error)}`);
    else if (!Object.is(item.value, expected)) problems.push(`${where}.item() is ${String(item.value)}, data() has ${data.value[0]}`);
  }
  return problems;
}

// ---- allocations ----

const ALLOCATING_CONSTRUCTORS = [
  "ArrayBuffer",
  "SharedArrayBuffer",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
] as const;

/**
 * Runs `fn` with the global ArrayBuffer and typed-array constructors wrapped, and returns its
 * outcome with the largest number of bytes any `new X(length)` asked for, granted or not: what a
 * parser would allocate for a size it read, before the allocation could fail.
 */
export function observeAllocations<T>(fn: () => T): { outcome: Outcome<T>; largestRequest: number } {
  const global = globalThis as unknown as Record<string, unknown>;
  const originals = ALLOCATING_CONSTRUCTORS.map((name) => global[name]);
  let largestRequest = 0;
  ALLOCATING_CONSTRUCTORS.forEach((name, i) => {
    const original = originals[i] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number };
    global[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        const [first] = args;
        if (typeof first === "number") largestRequest = Math.max(largestRequest, first * (target.BYTES_PER_ELEMENT ?? 1));
        return Reflect.construct(target, args, newTarget);
      },
    });
  });
  try {
    return { outcome: attempt(fn), largestRequest };
  } finally {
    for (const [i, name] of ALLOCATING_CONSTRUCTORS.entries()) global[name] = originals[i];
  }
}

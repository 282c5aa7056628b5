import { NablaError, describeValue } from "./errors";

/**
 * The element types: "float32" (the default, as PyTorch's), "float64", "int32" (where PyTorch
 * uses int64: JavaScript has no fast 64-bit integer arrays) and "bool".
 */
export type DType = "float32" | "float64" | "int32" | "bool";

/**
 * The typed arrays behind the dtypes: Float32Array, Float64Array, Int32Array, and Uint8Array of 0/1
 * for bool.
 */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ["float32", "float64", "int32", "bool"];

export function isDType(value: unknown): value is DType {
  return typeof value === "string" && (DTYPES as readonly string[]).includes(value);
}

export function isFloating(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

const BYTES_PER_ELEMENT: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

/** The most elements one typed array holds in V8 (Node, Chrome) on 64-bit machines. */
export const MAX_ELEMENTS = 2 ** 32;

/**
 * Allocates zeroed storage for `length` elements of `dtype` (bool is stored as one byte of 0/1).
 * Every tensor's storage comes from here: a length past MAX_ELEMENTS, or memory the engine cannot
 * give, is a NablaError naming `op` and the size instead of a RangeError.
 */
export function allocate(dtype: DType, length: number, op = "allocate"): TypedArray {
  checkAllocation(op, dtype, length);
  try {
    switch (dtype) {
      case "float32":
        return new Float32Array(length);
      case "float64":
        return new Float64Array(length);
      case "int32":
        return new Int32Array(length);
      case "bool":
        return new Uint8Array(length);
    }
  } catch (error) {
    if (error instanceof RangeError) throw new NablaError(op, `cannot allocate ${describeSize(dtype, length)}: ${error.message}`);
    throw error;
  }
}

/**
 * The one conversion of a value into bool storage, which every write into a bool tensor goes
 * through: 1 for anything non-zero (NaN and true included), 0 for ±0 and false, as PyTorch. So a
 * bool tensor only ever holds 0 and 1, which comparisons, sums and accumulation rely on.
 */
export function toBool(value: number | boolean): 0 | 1 {
  return value === 0 || value === false ? 0 : 1;
}

/** What a tensor of `dtype` stores for `value`: toBool for bool, else the number (which an int32 array truncates). */
export function storedValue(dtype: DType, value: number | boolean): number {
  return dtype === "bool" ? toBool(value) : Number(value);
}

/** Throws unless `length` elements fit one typed array: for ops that check before other work. */
export function checkAllocation(op: string, dtype: DType, length: number): void {
  if (!(length <= MAX_ELEMENTS))
    throw new NablaError(op, `cannot allocate ${describeSize(dtype, length)}: a typed array holds at most ${MAX_ELEMENTS} elements`);
}

function describeSize(dtype: DType, length: number): string {
  return `${length} elements of ${dtype} (${formatBytes(length * BYTES_PER_ELEMENT[dtype])})`;
}

function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** The integers a dtype represents exactly and contiguously: randint's bounds. */
export function integerRange(dtype: DType): { min: number; max: number } {
  switch (dtype) {
    case "int32":
      return { min: -(2 ** 31), max: 2 ** 31 - 1 };
    case "float32":
      return { min: -(2 ** 24), max: 2 ** 24 };
    case "float64":
      return { min: -(2 ** 53), max: 2 ** 53 };
    case "bool":
      return { min: 0, max: 1 };
  }
}

const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Throws unless a JS number can be stored in `dtype` without overflow, as PyTorch checks a fill
 * value ("value cannot be converted to type int32_t without overflow"): int32 holds finite values
 * from -2³¹ to 2³¹ − 1 (fractions truncate), float32 finite values up to its largest (±Infinity and
 * NaN are values of their own). float64 and bool take any number.
 */
export function checkValueFits(op: string, value: number, dtype: DType): void {
  const fits =
    dtype === "int32"
      ? value >= -(2 ** 31) && value <= 2 ** 31 - 1
      : dtype === "float32"
        ? !(Math.abs(value) > FLOAT32_MAX) || value === Infinity || value === -Infinity
        : true;
  if (!fits) throw new NablaError(op, `value ${value} cannot be converted to ${dtype} without overflow`);
}

export function dtypeOfArray(array: TypedArray): DType {
  if (array instanceof Float32Array) return "float32";
  if (array instanceof Float64Array) return "float64";
  if (array instanceof Int32Array) return "int32";
  return "bool";
}

// Categories order the promotion lattice: bool < integer < floating.
function category(dtype: DType): number {
  return dtype === "bool" ? 0 : dtype === "int32" ? 1 : 2;
}

/**
 * The dtype two dtypes combine to, as PyTorch's `promote_types`: bool < int32 < float32 < float64.
 *
 * @example
 * ```ts
 * promoteTypes("int32", "float32");   // → "float32"
 * promoteTypes("float32", "float64"); // → "float64"
 * promoteTypes("bool", "int32");      // → "int32"
 * ```
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return assertDType("promoteTypes", a);
  assertDType("promoteTypes", a);
  assertDType("promoteTypes", b);
  const ca = category(a);
  const cb = category(b);
  if (ca !== cb) return ca > cb ? a : b;
  return "float64"; // the only same-category pair that differs is float32/float64
}

/** The dtype a JS number or boolean takes when it stands for a tensor on its own. */
export function scalarDType(value: number | boolean): DType {
  if (typeof value === "boolean") return "bool";
  return Number.isInteger(value) ? "int32" : "float32";
}

/**
 * The dtype an elementwise op gives for these operands, as PyTorch's `result_type`: tensors with
 * dimensions decide within their category; 0-d tensors, then JS numbers ("weak" scalars), only win
 * by being of a higher category (bool < integer < floating).
 *
 * @example
 * ```ts
 * resultType([tensor([1, 2]), 1.5]);                         // → "float32"
 * resultType([arange(3), 1.5]);                              // → "float32"
 * resultType([tensor([1, 2]), tensor(1, { dtype: "float64" })]); // → "float32"
 * resultType([tensor([1, 2]), tensor([1, 2], { dtype: "float64" })]); // → "float64"
 * ```
 */
export function resultType(operands: ReadonlyArray<{ dtype: DType; ndim: number } | number | boolean>): DType {
  if (!Array.isArray(operands))
    throw new NablaError("resultType", `operands must be an array of tensors and numbers, got ${describeValue(operands)}`);
  let dimResult: DType | undefined;
  let zeroDimResult: DType | undefined;
  let scalarResult: DType | undefined;
  for (const operand of operands) {
    if (typeof operand === "number" || typeof operand === "boolean") scalarResult = promoteWith(scalarResult, scalarDType(operand));
    else if (operand.ndim > 0) dimResult = promoteWith(dimResult, operand.dtype);
    else zeroDimResult = promoteWith(zeroDimResult, operand.dtype);
  }
  return combineCategories(dimResult, combineCategories(zeroDimResult, scalarResult)) ?? "float32";
}

function promoteWith(current: DType | undefined, next: DType): DType {
  return current === undefined ? next : promoteTypes(current, next);
}

function combineCategories(higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined || isFloating(higher)) return higher;
  if (higher === "bool" || isFloating(lower)) return promoteTypes(higher, lower);
  return higher;
}

/** The floating dtype an op that always produces reals (exp, div, mean) returns for `dtype`. */
export function floatResult(dtype: DType): DType {
  return isFloating(dtype) ? dtype : "float32";
}

export function assertDType(op: string, value: unknown): DType {
  if (!isDType(value)) throw new NablaError(op, `unknown dtype ${describeValue(value)} (expected one of ${DTYPES.join(", ")})`);
  return value;
}

/** Whether a value of dtype `from` may be stored into a tensor of dtype `to` by an in-place op (PyTorch's can_cast). */
export function canCast(from: DType, to: DType): boolean {
  return category(from) <= category(to);
}

import { NablaError } from "./errors";

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

/** Allocates zeroed storage for `length` elements of `dtype` (bool is stored as one byte of 0/1). */
export function allocate(dtype: DType, length: number): TypedArray {
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
  if (a === b) return a;
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
  if (!isDType(value)) throw new NablaError(op, `unknown dtype ${JSON.stringify(value)} (expected one of ${DTYPES.join(", ")})`);
  return value;
}

/** Whether a value of dtype `from` may be stored into a tensor of dtype `to` by an in-place op (PyTorch's can_cast). */
export function canCast(from: DType, to: DType): boolean {
  return category(from) <= category(to);
}

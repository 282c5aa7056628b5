const ERROR_BRAND = Symbol.for("nabla.error");

/**
 * The one error type nabla throws for bad input. `op` names the operation at fault; the message
 * starts with it and goes on with the shapes, dtypes or values involved and what was expected.
 *
 * @example
 * ```ts
 * matmul(zeros([2, 3]), zeros([4, 5])); // throws matmul: cannot multiply [2, 3] by [4, 5] (inner sizes 3 and 4 differ)
 * try {
 *   matmul(zeros([2, 3]), zeros([4, 5]));
 * } catch (e) {
 *   e instanceof NablaError && e.op; // → "matmul"
 * }
 * ```
 */
export class NablaError extends Error {
  /** The operation at fault (`"matmul"`); the message starts with it. */
  readonly op: string;

  static {
    Object.defineProperty(NablaError.prototype, ERROR_BRAND, { value: true });
    // `e instanceof NablaError` holds for an error from any copy of @nabla/tensor in the program
    // (its ESM and CJS builds are two copies; see isTensor), by the brand rather than the class;
    // subclasses check their prototype chain as usual
    Object.defineProperty(NablaError, Symbol.hasInstance, {
      value(this: unknown, value: unknown): boolean {
        if (this !== NablaError) return Function.prototype[Symbol.hasInstance].call(this, value);
        return typeof value === "object" && value !== null && (value as { [ERROR_BRAND]?: unknown })[ERROR_BRAND] === true;
      },
    });
  }

  constructor(op: string, detail: string) {
    // op may come from a caller (the `op` argument of the exported shape helpers): never let a
    // Symbol or an object without toString turn the error into a TypeError
    const name = typeof op === "string" ? op : describeValue(op);
    super(`${name}: ${typeof detail === "string" ? detail : describeValue(detail)}`);
    this.name = "NablaError";
    this.op = name;
  }
}

/**
 * How an argument shows in an error message: `null`, `true`, `NaN`, `"x"`, `[2, 3]`, `an object`,
 * `a float32 Tensor of shape [2, 3]`. Long strings and arrays are cut short.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined || typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value.length > 24 ? `${value.slice(0, 24)}…` : value);
  if (typeof value === "function") return "a function";
  if (typeof value === "symbol") return value.toString();
  if (Array.isArray(value)) {
    const shown = value
      .slice(0, 8)
      .map((item) => (Array.isArray(item) ? "[…]" : typeof item === "object" && item !== null ? "{…}" : describeValue(item)));
    return `[${shown.join(", ")}${value.length > 8 ? `, … (${value.length} items)` : ""}]`;
  }
  const tensorLike = value as { constructor?: { name?: string }; shape?: unknown; dtype?: unknown };
  if (tensorLike.constructor?.name === "Tensor" && Array.isArray(tensorLike.shape)) {
    return `a ${String(tensorLike.dtype)} Tensor of shape [${tensorLike.shape.join(", ")}]`;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype === Object.prototype || prototype === null) return "an object";
  return `a ${tensorLike.constructor?.name ?? "value"}`;
}

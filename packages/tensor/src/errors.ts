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
    super(`${op}: ${detail}`);
    this.name = "NablaError";
    this.op = op;
  }
}

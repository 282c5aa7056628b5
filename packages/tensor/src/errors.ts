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

  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = "NablaError";
    this.op = op;
  }
}

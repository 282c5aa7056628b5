/**
 * The one error type nabla throws for bad input. `op` names the operation at fault; the message
 * starts with it and goes on with the shapes, dtypes or values involved and what was expected.
 *
 * @example
 * try { matmul(zeros([2, 3]), zeros([4, 5])); } catch (e) { (e as NablaError).op === "matmul"; }
 */
export class NablaError extends Error {
  readonly op: string;

  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = "NablaError";
    this.op = op;
  }
}

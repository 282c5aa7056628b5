import { expect } from "vitest";
import { NablaError } from "@nabla/tensor";

/**
 * Runs `fn` and returns the NablaError it throws; the test fails when it throws nothing, throws
 * something else, or (when `op` is given) throws a NablaError of another op.
 */
export function nablaError(fn: () => unknown, op?: string): NablaError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(NablaError);
    if (op !== undefined) expect((error as NablaError).op).toBe(op);
    return error as NablaError;
  }
  return expect.fail(op === undefined ? "expected a NablaError" : `expected ${op} to throw a NablaError`);
}

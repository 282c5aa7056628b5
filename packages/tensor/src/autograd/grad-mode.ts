import { sharedAcrossCopies } from "../copies";

// one grad mode for every copy of the package in the program, so `noGrad` from the ESM build also
// stops the CJS build recording
const mode = sharedAcrossCopies("gradMode", () => ({ enabled: true }));

/** Whether ops currently record the graph for backward. */
export function isGradEnabled(): boolean {
  return mode.enabled;
}

/** Sets grad mode and returns the previous value (for engine-internal save/restore). */
export function setGradEnabled(enabled: boolean): boolean {
  const previous = mode.enabled;
  mode.enabled = enabled;
  return previous;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    mode.enabled = previous;
  }
}

/**
 * Runs `fn` without recording the graph and returns its result.
 *
 * @example
 * noGrad(() => weight.sub_(weight.grad!.mul(lr)));
 */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** Runs `fn` with graph recording on (even inside `noGrad`) and returns its result. */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

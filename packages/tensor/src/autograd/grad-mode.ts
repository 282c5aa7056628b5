let gradEnabled = true;

/** Whether ops currently record the graph for backward. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Sets grad mode and returns the previous value (for engine-internal save/restore). */
export function setGradEnabled(enabled: boolean): boolean {
  const previous = gradEnabled;
  gradEnabled = enabled;
  return previous;
}

function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = setGradEnabled(enabled);
  try {
    return fn();
  } finally {
    gradEnabled = previous;
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

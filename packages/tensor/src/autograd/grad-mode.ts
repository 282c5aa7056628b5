import { checkFunction } from "../args";
import { sharedAcrossCopies } from "../copies";

// one grad mode for every copy of the package in the program, so `noGrad` from the ESM build also
// stops the CJS build recording
const mode = sharedAcrossCopies("gradMode", () => ({ enabled: true }));

/**
 * Whether ops currently record the graph for backward (PyTorch's `is_grad_enabled`): true, except
 * inside `noGrad` (and inside an op's own forward and backward, unless `createGraph`).
 *
 * @example
 * ```ts
 * isGradEnabled();                  // → true
 * noGrad(() => isGradEnabled());    // → false
 * ```
 */
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
 * Runs `fn` without recording the graph and returns its result, as PyTorch's `torch.no_grad()`:
 * results need no grad, nothing is saved for backward, and leaves that require grad may be changed
 * in place (an optimizer step).
 *
 * @example
 * ```ts
 * const w = tensor([1, 2], { requiresGrad: true });
 * w.square().sum().backward();
 * noGrad(() => w.sub_(w.grad!.mul(0.1)));
 * w;                                     // → [0.8, 1.6]
 * noGrad(() => w.mul(2)).requiresGrad;   // → false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  checkFunction("noGrad", "fn", fn);
  return withGradMode(false, fn);
}

/**
 * Runs `fn` with graph recording on, even inside `noGrad`, and returns its result (PyTorch's
 * `torch.enable_grad()`).
 *
 * @example
 * ```ts
 * const x = tensor([1], { requiresGrad: true });
 * noGrad(() => enableGrad(() => x.mul(2))).requiresGrad; // → true
 * ```
 */
export function enableGrad<T>(fn: () => T): T {
  checkFunction("enableGrad", "fn", fn);
  return withGradMode(true, fn);
}

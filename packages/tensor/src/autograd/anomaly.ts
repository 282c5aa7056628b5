import { sharedAcrossCopies } from "../copies";
import { NablaError } from "../errors";
import { formatShape } from "../shape";
import type { Tensor } from "../tensor";

// one anomaly mode for every copy of the package in the program, as grad mode (see grad-mode.ts)
const mode = sharedAcrossCopies("anomalyMode", () => ({
  enabled: false,
  /** Whether a backward sweep is running (its ops are judged by the gradients nodes return). */
  inBackward: false,
}));

export function isAnomalyEnabled(): boolean {
  return mode.enabled;
}

/**
 * Runs `fn` with anomaly detection, as PyTorch's `torch.autograd.detect_anomaly()`: the first NaN or
 * ±Infinity that an op produces in forward throws a NablaError naming that op; in backward, the
 * first gradient holding one throws a NablaError naming the backward (`"sqrt backward"`) and the
 * forward op that created the node, with the stack where that op ran (recorded for ops run inside
 * `detectAnomaly`). Scans every result, so it is for debugging.
 *
 * @example
 * ```ts
 * const x = tensor([0, 1], { requiresGrad: true });
 * detectAnomaly(() => x.sqrt().sum().backward()); // throws sqrt backward: …
 * detectAnomaly(() => tensor([-1]).log()); // throws log: …
 * ```
 */
export function detectAnomaly<T>(fn: () => T): T {
  if (typeof fn !== "function") throw new NablaError("detectAnomaly", `expected a function, got ${typeof fn}`);
  const previous = mode.enabled;
  mode.enabled = true;
  try {
    return fn();
  } finally {
    mode.enabled = previous;
  }
}

/**
 * Runs a backward sweep. In anomaly mode the ops it runs (backward rules, gradient sums, hooks)
 * are not checked one by one: the engine checks each gradient a node returns, so the error names
 * the node, and a rule that masks an intermediate infinity (pow does at 0) is no anomaly.
 */
export function withinBackward<T>(fn: () => T): T {
  if (!mode.enabled) return fn();
  const previous = mode.inBackward;
  mode.inBackward = true;
  try {
    return fn();
  } finally {
    mode.inBackward = previous;
  }
}

/** In anomaly mode, throws when `t` holds a NaN or an infinity. */
export function checkAnomaly(op: string, t: Tensor, phase: "forward" | "backward", context = ""): void {
  if (!mode.enabled || (t.dtype !== "float32" && t.dtype !== "float64")) return;
  if (phase === "forward" && mode.inBackward) return;
  const values = t.data();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) {
      const what = Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
      throw new NablaError(op, `produced ${what} in ${phase} at flat index ${i} of a tensor of shape ${formatShape(t.shape)}${context}`);
    }
  }
}

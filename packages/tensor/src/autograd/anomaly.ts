import { NablaError } from "../errors";
import type { Tensor } from "../tensor";

let anomalyMode = false;

export function isAnomalyEnabled(): boolean {
  return anomalyMode;
}

/**
 * Runs `fn` with anomaly detection: the first NaN or ±Infinity that an op produces, in forward or
 * in backward, throws a NablaError naming the op (in backward also the forward op that created
 * the node, with its creation stack). Costs a scan of every result, so it is for debugging.
 *
 * @example
 * detectAnomaly(() => log(tensor([0, -1])).sum().backward());
 */
export function detectAnomaly<T>(fn: () => T): T {
  const previous = anomalyMode;
  anomalyMode = true;
  try {
    return fn();
  } finally {
    anomalyMode = previous;
  }
}

/** In anomaly mode, throws when `t` holds a NaN or an infinity. */
export function checkAnomaly(op: string, t: Tensor, phase: "forward" | "backward", context = ""): void {
  if (!anomalyMode || (t.dtype !== "float32" && t.dtype !== "float64")) return;
  const values = t.data();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v - v !== 0) {
      throw new NablaError(op, `produced ${Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity"} in ${phase} at flat index ${i} of a tensor of shape [${t.shape.join(", ")}]${context}`);
    }
  }
}

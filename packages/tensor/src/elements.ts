import type { Tensor } from "./tensor";

// Writes and reads of a tensor's storage below the ops: the version counter, and single elements
// through the backend (gradcheck and jacobian perturb and seed them; format reads the few a
// summary shows).

/**
 * Records an in-place write into each tensor's storage: the one place version counters
 * are bumped (PyTorch's `_version`; backward compares saved tensors' versions).
 */
export function markWritten(...tensors: readonly (Tensor | null | undefined)[]): void {
  for (const t of tensors) if (t) t.storage.version++;
}

/** The element at storage position `position` of t's storage (what t's dtype stores). */
export function getElement(t: Tensor, position: number): number {
  return t.storage.backend.readSync({ buffer: t.buffer, shape: [], strides: [], offset: position }, t.dtype)[0]!;
}

/** Writes one element at storage position `position` of t's storage (not a recorded write). */
export function setElement(t: Tensor, position: number, value: number): void {
  t.storage.backend.run.fill({ buffer: t.buffer, shape: [], strides: [], offset: position }, value);
}

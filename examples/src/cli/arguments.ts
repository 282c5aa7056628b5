import { InvalidArgumentError } from "commander";

// Parsers for commander options: each turns the typed text into a value or rejects it with a
// message commander prints as `error: option '--epochs <n>' argument 'x' is invalid. <message>`.

export function positiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError("Expected a positive integer.");
  }
  return value;
}

export function nonNegativeInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError("Expected a non-negative integer.");
  }
  return value;
}

export function positiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError("Expected a positive number such as 0.001 or 1e-3.");
  }
  return value;
}

/** `"128,64"` → `[128, 64]`; `""` or `"none"` → `[]` (no hidden layer: a linear classifier). */
export function layerSizes(text: string): number[] {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "none") return [];
  const parts = trimmed.split(",").map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part) || Number(part) < 1)) {
    throw new InvalidArgumentError('Expected comma-separated positive layer sizes such as "128,64" (or "none").');
  }
  return parts.map(Number);
}

/** `"1,8,8"` → `[1, 8, 8]`: channels, height and width of one image. */
export function imageShape(text: string): [number, number, number] {
  const parts = text.split(",").map((part) => part.trim());
  if (parts.length !== 3 || parts.some((part) => !/^\d+$/.test(part) || Number(part) < 1)) {
    throw new InvalidArgumentError('Expected three positive integers C,H,W (channels, height, width), such as "1,8,8".');
  }
  return parts.map(Number) as [number, number, number];
}

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Reads a committed fixture written by test/fixtures/generate.py, decoding NaN/±Infinity. */
export function loadFixture<T = unknown>(name: string): T {
  const path = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, "utf8"), (_key, value) => {
    if (value === "NaN") return Number.NaN;
    if (value === "Infinity") return Number.POSITIVE_INFINITY;
    if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
    return value;
  }) as T;
}

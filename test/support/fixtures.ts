import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The path of a committed fixture file. */
export const fixturePath = (name: string): string => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** Reads a committed fixture written by test/fixtures/generate.py, decoding NaN/±Infinity. */
export function loadFixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), "utf8"), (_key, value) => {
    if (value === "NaN") return Number.NaN;
    if (value === "Infinity") return Number.POSITIVE_INFINITY;
    if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
    return value;
  }) as T;
}

/** The bytes of a committed binary fixture, e.g. `safetensors/norm_net.safetensors`. */
export function loadFixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixturePath(name)));
}

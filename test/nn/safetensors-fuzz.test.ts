import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError } from "@nabla/tensor";
import { loadSafetensors } from "@nabla/nn";

const valid = new Uint8Array(readFileSync(fileURLToPath(new URL("../fixtures/safetensors/reference_read.safetensors", import.meta.url))));
const headerEnd = 8 + new DataView(valid.buffer, valid.byteOffset).getUint32(0, true);

/** Loading either succeeds or throws a NablaError; anything else (TypeError, RangeError, ...) fails. */
function loadsOrRejectsCleanly(bytes: Uint8Array): boolean {
  try {
    loadSafetensors(bytes);
    return true;
  } catch (error) {
    if (error instanceof NablaError) return true;
    throw error;
  }
}

// Most corruption worth finding is in the header, so positions are drawn there more often.
const position = fc.oneof(fc.integer({ min: 0, max: headerEnd - 1 }), fc.integer({ min: 0, max: valid.length - 1 }));
const byteEdit = fc.record({ at: position, value: fc.integer({ min: 0, max: 255 }) });
const headerChar = fc.constantFrom(...'{}[]",:0123456789-.eE ntruefalsF3264IBOL_'.split("").map((c) => c.charCodeAt(0)));
const textEdit = fc.record({ at: fc.integer({ min: 8, max: headerEnd - 1 }), value: headerChar });

describe("loadSafetensors on corrupted files", () => {
  it("random byte changes give a result or a NablaError, never another exception", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(byteEdit, textEdit), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = valid.slice();
        for (const { at, value } of edits) bytes[at] = value;
        return loadsOrRejectsCleanly(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it("truncated or extended files are rejected with a NablaError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 1, max: 16 }), (cut, extra) => {
        expect(() => loadSafetensors(valid.slice(0, cut))).toThrow(NablaError);
        const longer = new Uint8Array(valid.length + extra);
        longer.set(valid);
        expect(() => loadSafetensors(longer)).toThrow(NablaError);
      }),
      { numRuns: 200 },
    );
  });

  it("any header length value gives a result or a NablaError", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (length) => {
        const bytes = valid.slice();
        new DataView(bytes.buffer).setBigUint64(0, length, true);
        return loadsOrRejectsCleanly(bytes);
      }),
      { numRuns: 300 },
    );
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError, Tensor, type DType } from "@nabla/tensor";
import { loadSafetensors, saveSafetensors } from "@nabla/nn";
import { loadFixtureBytes } from "../support/fixtures";
import { describeError, fuzzParameters, observeAllocations, wellFormedProblems } from "../support/fuzz-checks";
import { buildTensor, fuzzShapeArb, tensorSpecArb, type TensorSpec } from "../support/fuzz-tensors";

// Hostile safetensors files: valid files (the PyTorch-written fixture, and files nabla writes from
// random tensors) mutated byte by byte and field by field. Every load must give tensors matching
// the header, or a NablaError; and it may never ask for more memory than the file could describe,
// so a header claiming a huge shape is refused before anything is allocated for it.

const fixture = loadFixtureBytes("safetensors/reference_read.safetensors");
const fixtureHeaderEnd = 8 + new DataView(fixture.buffer, fixture.byteOffset).getUint32(0, true);

/** Bytes a loader may ask for at once: every element widened to float32 (F16, BF16), plus slack. */
const allocationLimit = (fileLength: number) => 2 * fileLength + 4096;
/** A generous bound on one load of a file of a few kilobytes: a hang or a blow-up fails it. */
const LOAD_LIMIT_MS = 1000;

/** Loads `bytes` and lists what went wrong: another exception, an allocation beyond the file, slowness, bad tensors. */
function loadProblems(bytes: Uint8Array): string[] {
  const started = performance.now();
  const { outcome, largestRequest } = observeAllocations(() => loadSafetensors(bytes));
  const elapsed = performance.now() - started;
  const problems: string[] = [];
  if (largestRequest > allocationLimit(bytes.length))
    problems.push(`asked for ${largestRequest} bytes at once from a file of ${bytes.length}`);
  if (elapsed > LOAD_LIMIT_MS) problems.push(`took ${elapsed.toFixed(0)} ms for ${bytes.length} bytes`);
  if (!outcome.ok) {
    if (!(outcome.error instanceof NablaError)) problems.push(`threw ${describeError(outcome.error)}`);
    return problems;
  }
  for (const [name, t] of Object.entries(outcome.value.tensors)) problems.push(...wellFormedProblems(t, `tensor ${JSON.stringify(name)}`));
  for (const [key, value] of Object.entries(outcome.value.metadata))
    if (typeof value !== "string") problems.push(`metadata ${key} is not a string`);
  return problems;
}

function expectLoadsOrRefuses(bytes: Uint8Array): void {
  const problems = loadProblems(bytes);
  if (problems.length > 0) expect.fail(problems.join("\n"));
}

// ---- byte-level mutation of the fixture ----

// Most corruption worth finding is in the header, so positions are drawn there more often.
const position = fc.oneof(fc.integer({ min: 0, max: fixtureHeaderEnd - 1 }), fc.integer({ min: 0, max: fixture.length - 1 }));
const byteEdit = fc.record({ at: position, value: fc.integer({ min: 0, max: 255 }) });
const headerChar = fc.constantFrom(...'{}[]",:0123456789-.eE ntruefalsF3264IBOL_'.split("").map((c) => c.charCodeAt(0)));
const textEdit = fc.record({ at: fc.integer({ min: 8, max: fixtureHeaderEnd - 1 }), value: headerChar });
const bitFlip = fc.record({ at: position, bit: fc.integer({ min: 0, max: 7 }) });

describe("loadSafetensors on corrupted bytes", () => {
  it("random byte changes and bit flips give a result or a NablaError, never another exception", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(byteEdit, textEdit), { maxLength: 4 }), fc.array(bitFlip, { maxLength: 3 }), (edits, flips) => {
        const bytes = fixture.slice();
        for (const { at, value } of edits) bytes[at] = value;
        for (const { at, bit } of flips) bytes[at]! ^= 1 << bit;
        expectLoadsOrRefuses(bytes);
      }),
      fuzzParameters(400),
    );
  });

  it("truncated or extended files are rejected with a NablaError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: fixture.length - 1 }), fc.integer({ min: 1, max: 16 }), (cut, extra) => {
        expect(() => loadSafetensors(fixture.slice(0, cut))).toThrow(NablaError);
        const longer = new Uint8Array(fixture.length + extra);
        longer.set(fixture);
        expect(() => loadSafetensors(longer)).toThrow(NablaError);
      }),
      fuzzParameters(100),
    );
  });

  it("any header length value gives a result or a NablaError", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (length) => {
        const bytes = fixture.slice();
        new DataView(bytes.buffer).setBigUint64(0, length, true);
        expectLoadsOrRefuses(bytes);
      }),
      fuzzParameters(150),
    );
  });
});

// ---- structured mutation of headers ----

interface Entry {
  dtype: unknown;
  shape: unknown;
  data_offsets: unknown;
  [extra: string]: unknown;
}

type Header = Record<string, Entry | unknown>;

function parseFile(bytes: Uint8Array): { header: Header; data: Uint8Array } {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Header;
  return { header, data: bytes.subarray(8 + length) };
}

/** A file from a header's JSON text and a data section; the length field says the text's length unless given. */
function assemble(headerText: string, data: Uint8Array, lengthField?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

const ITEM_SIZE: Record<string, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1, F16: 2, BF16: 2, I64: 8, U8: 1, I8: 1 };
const DTYPE_STRINGS = [
  "F32",
  "F64",
  "I32",
  "BOOL",
  "F16",
  "BF16",
  "I64",
  "U8",
  "I8",
  "F8_E4M3",
  "C64",
  "f32",
  "",
  "F32 ",
  "float32",
  "__proto__",
  "constructor",
  "toString",
];
/** Numbers no offset or size may be: negative, fractional, beyond 2^53, beyond the file. */
const HOSTILE_NUMBERS = [-1, -8, 0.5, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e300, Number.MAX_SAFE_INTEGER];
const HUGE_SHAPES: unknown[] = [
  [2 ** 31, 2 ** 31],
  [1e300],
  [-1],
  [2 ** 53],
  [0, 2 ** 60],
  [2 ** 20, 2 ** 20, 2 ** 20],
  [2 ** 33],
  "3",
  [[2]],
  [2.5],
  [null],
  7,
  null,
  {},
];
const hostileJsonArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, true, "x", [], {}, [1, "a"], { length: 3 }, ...HOSTILE_NUMBERS),
  fc.json().map((text) => JSON.parse(text)),
);

/** One structured change to a header (by tensor index; metadata and top level too). */
type Mutation =
  | { kind: "offset"; tensor: number; which: 0 | 1; value: unknown }
  | { kind: "swap offsets"; a: number; b: number }
  | { kind: "reverse offsets"; tensor: number }
  | { kind: "shape"; tensor: number; value: unknown }
  | { kind: "huge shape, offsets that claim it"; tensor: number; shape: number[] }
  | { kind: "dtype"; tensor: number; value: string }
  | { kind: "field"; tensor: number; field: string; value: unknown }
  | { kind: "metadata"; value: unknown }
  | { kind: "rename"; tensor: number; name: string }
  | { kind: "relayout" };

const mutationArb = fc.oneof(
  fc.record({
    kind: fc.constant("offset" as const),
    tensor: fc.nat(20),
    which: fc.constantFrom(0 as const, 1 as const),
    value: fc.oneof(fc.constantFrom<unknown>(...HOSTILE_NUMBERS), fc.nat(4096), hostileJsonArb),
  }),
  fc.record({ kind: fc.constant("swap offsets" as const), a: fc.nat(20), b: fc.nat(20) }),
  fc.record({ kind: fc.constant("reverse offsets" as const), tensor: fc.nat(20) }),
  fc.record({
    kind: fc.constant("shape" as const),
    tensor: fc.nat(20),
    value: fc.oneof(fc.constantFrom(...HUGE_SHAPES), fc.array(fc.nat(5), { maxLength: 4 }), hostileJsonArb),
  }),
  fc.record({
    kind: fc.constant("huge shape, offsets that claim it" as const),
    tensor: fc.nat(20),
    shape: fc.constantFrom([2 ** 33], [2 ** 20, 2 ** 20], [65536, 65536, 4], [2 ** 26]),
  }),
  fc.record({ kind: fc.constant("dtype" as const), tensor: fc.nat(20), value: fc.constantFrom(...DTYPE_STRINGS) }),
  fc.record({
    kind: fc.constant("field" as const),
    tensor: fc.nat(20),
    field: fc.constantFrom("dtype", "shape", "data_offsets", "extra", "__proto__"),
    value: hostileJsonArb,
  }),
  fc.record({
    kind: fc.constant("metadata" as const),
    value: fc.oneof(
      hostileJsonArb,
      fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), hostileJsonArb), { maxKeys: 3 }),
    ),
  }),
  fc.record({
    kind: fc.constant("rename" as const),
    tensor: fc.nat(20),
    name: fc.constantFrom("", "__proto__", "__metadata__", "constructor", "a\u0000b", "\ud800"),
  }),
  fc.constant({ kind: "relayout" as const }),
) as fc.Arbitrary<Mutation>;

function tensorNames(header: Header): string[] {
  return Object.keys(header).filter((k) => k !== "__metadata__");
}

/**
 * Applies the mutations in order. "relayout" makes the offsets consistent again with the (maybe
 * changed) dtypes and shapes, and resizes the data section to match with random bytes, so changed
 * dtypes and shapes reach the decoders.
 */
function mutate(header: Header, data: Uint8Array, mutations: readonly Mutation[], noise: number): { header: Header; data: Uint8Array } {
  let bytes = data;
  for (const m of mutations) {
    const names = tensorNames(header);
    const entry = (i: number) => (names.length === 0 ? undefined : (header[names[i % names.length]!] as Entry | undefined));
    const isEntry = (e: unknown): e is Entry => typeof e === "object" && e !== null && !Array.isArray(e);
    switch (m.kind) {
      case "offset": {
        const e = entry(m.tensor);
        if (isEntry(e) && Array.isArray(e.data_offsets)) e.data_offsets[m.which] = m.value;
        break;
      }
      case "swap offsets": {
        const a = entry(m.a);
        const b = entry(m.b);
        if (isEntry(a) && isEntry(b)) [a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets];
        break;
      }
      case "reverse offsets": {
        const e = entry(m.tensor);
        if (isEntry(e) && Array.isArray(e.data_offsets)) e.data_offsets.reverse();
        break;
      }
      case "shape":
      case "dtype": {
        const e = entry(m.tensor);
        if (isEntry(e)) e[m.kind] = m.value;
        break;
      }
      case "huge shape, offsets that claim it": {
        const e = entry(m.tensor);
        if (!isEntry(e)) break;
        const begin = Array.isArray(e.data_offsets) && typeof e.data_offsets[0] === "number" ? e.data_offsets[0] : 0;
        e.shape = m.shape;
        e.data_offsets = [begin, begin + m.shape.reduce((n, s) => n * s, 1) * (ITEM_SIZE[String(e.dtype)] ?? 4)];
        break;
      }
      case "field": {
        const e = entry(m.tensor);
        if (isEntry(e)) e[m.field] = m.value;
        break;
      }
      case "metadata":
        header.__metadata__ = m.value;
        break;
      case "rename": {
        const old = names[m.tensor % Math.max(names.length, 1)];
        if (old === undefined) break;
        const value = header[old];
        delete header[old];
        Object.defineProperty(header, m.name, { value, enumerable: true, configurable: true, writable: true });
        break;
      }
      case "relayout": {
        let offset = 0;
        for (const name of tensorNames(header)) {
          const e = header[name];
          if (!isEntry(e)) continue;
          const shape =
            Array.isArray(e.shape) && e.shape.every((s) => Number.isSafeInteger(s) && (s as number) >= 0 && (s as number) < 64)
              ? (e.shape as number[])
              : [2];
          const size = shape.reduce((n, s) => n * s, 1) * (ITEM_SIZE[String(e.dtype)] ?? 4);
          e.shape = shape;
          e.data_offsets = [offset, offset + size];
          offset += size;
        }
        bytes = Uint8Array.from({ length: offset }, (_, i) => (Math.imul(i + 1, 2654435761) + noise) >>> 24);
        break;
      }
    }
  }
  return { header, data: bytes };
}

/** A valid file: the fixture (written by PyTorch), or what saveSafetensors writes for random tensors of every dtype. */
type ValidFile = "fixture" | [string, TensorSpec][];

const validFileArb: fc.Arbitrary<ValidFile> = fc.oneof(
  fc.constant("fixture" as const),
  fc.array(
    fc.tuple(
      fc.string({ minLength: 1, maxLength: 4 }),
      fuzzShapeArb({ maxRank: 3, maxNumel: 12 }).chain((shape) => tensorSpecArb(shape)),
    ),
    { minLength: 1, maxLength: 4 },
  ),
);

function fileOf(file: ValidFile): Uint8Array {
  return file === "fixture" ? fixture : saveSafetensors(Object.fromEntries(file.map(([name, spec]) => [name, buildTensor(spec)])));
}

/** The deepest array `depth` levels down, as JSON text (built without recursion). */
const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("loadSafetensors on hostile headers", () => {
  it("mutated fields (offsets, shapes, dtypes, names, metadata) give matching tensors or a NablaError, never an allocation beyond the file", () => {
    fc.assert(
      fc.property(validFileArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.nat(), (file, mutations, noise) => {
        const { header, data } = parseFile(fileOf(file));
        const mutated = mutate(header, data, mutations, noise);
        const bytes = assemble(JSON.stringify(mutated.header), mutated.data);
        expectLoadsOrRefuses(bytes);
        const loaded = (() => {
          try {
            return loadSafetensors(bytes);
          } catch {
            return null;
          }
        })();
        if (loaded === null) return;
        // what loads is what the header says
        for (const name of tensorNames(mutated.header)) {
          const entry = mutated.header[name] as Entry;
          const t = loaded.tensors[name];
          expect(t, `tensor ${JSON.stringify(name)} loaded`).toBeInstanceOf(Tensor);
          expect([...t!.shape], `tensor ${JSON.stringify(name)} shape`).toEqual(entry.shape);
          const dtype = String(entry.dtype);
          expect(t!.dtype, `tensor ${JSON.stringify(name)} of format dtype ${JSON.stringify(dtype)}`).toBe(
            Object.hasOwn(LOADED_AS, dtype) ? LOADED_AS[dtype] : "(none: an unknown dtype must be refused)",
          );
        }
      }),
      fuzzParameters(300),
    );
  });

  it("huge shapes with offsets that claim them are refused before any allocation", () => {
    fc.assert(
      fc.property(
        fc.constantFrom([2 ** 33], [2 ** 20, 2 ** 20], [65536, 65536, 4], [2 ** 26], [2 ** 52], [3, 2 ** 51]),
        fc.constantFrom("F32", "F64", "I32", "BOOL", "F16", "BF16", "I64"),
        (shape, dtype) => {
          const size = shape.reduce((n, s) => n * s, 1) * ITEM_SIZE[dtype]!;
          const header = JSON.stringify({ huge: { dtype, shape, data_offsets: [0, size] } });
          expectLoadsOrRefuses(assemble(header, new Uint8Array(16)));
        },
      ),
      fuzzParameters(20),
    );
  });

  it("duplicate keys, deep nesting and padding in the header text give a result or a NablaError", () => {
    const textMutation = fc.oneof(
      fc.record({ kind: fc.constant("duplicate"), at: fc.nat() }),
      fc.record({
        kind: fc.constant("deep"),
        where: fc.constantFrom("shape", "dtype", "data_offsets", "metadata", "extra", "top"),
        depth: fc.constantFrom(10, 1000, 20_000, 200_000),
      }),
      fc.record({ kind: fc.constant("padding"), text: fc.constantFrom("  ", "\t\n", "\u0000", "\ufeff", "x", ",}") }),
    );
    fc.assert(
      fc.property(validFileArb, textMutation, (file, m) => {
        const { header, data } = parseFile(fileOf(file));
        let text = JSON.stringify(header);
        if (m.kind === "duplicate") {
          const names = tensorNames(header);
          const name = names[m.at % Math.max(names.length, 1)];
          if (name !== undefined) text = `{${JSON.stringify(name)}:${JSON.stringify(header[name])},${text.slice(1)}`;
        } else if (m.kind === "deep") {
          const deep = deepArray(m.depth);
          const names = tensorNames(header);
          const entry = names.length > 0 ? (header[names[0]!] as Entry) : null;
          if (m.where === "top" || entry === null) text = `{"deep":${deep},${text.slice(1)}`;
          else if (m.where === "metadata")
            text = `{"__metadata__":{"k":${deep}},${text.slice(1).replace(/"__metadata__":\{[^}]*\},?/, "")}`;
          else
            text = text.replace(
              `${JSON.stringify(names[0])}:${JSON.stringify(entry)}`,
              `${JSON.stringify(names[0])}:${JSON.stringify({ ...entry, [m.where]: "DEEP" }).replace('"DEEP"', deep)}`,
            );
        } else text += m.text;
        expectLoadsOrRefuses(assemble(text, data));
      }),
      fuzzParameters(100),
    );
  });
});

/** The dtype each format dtype loads as. */
const LOADED_AS: Record<string, DType> = {
  F32: "float32",
  F64: "float64",
  I32: "int32",
  BOOL: "bool",
  F16: "float32",
  BF16: "float32",
  I64: "int32",
};

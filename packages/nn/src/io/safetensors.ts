/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
 * length N, N bytes of JSON header, then the raw little-endian tensor data. The header maps each
 * tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets relative to the data
 * section) and may hold string-to-string `"__metadata__"`.
 *
 * The writer produces the same bytes as the reference implementation (the Rust crate behind the
 * Python `safetensors` package); the reader applies the same validation before trusting any
 * length or offset, so a corrupt or hostile file ends in a NablaError, never in a bad read.
 */
import { NablaError, Tensor, formatShape, tensor, type DType, isTensor, MAX_DIMS } from "@nabla/tensor/functional";
import { describeValue } from "@nabla/tensor/internal";
import { readLittleEndian, writeLittleEndian } from "./byte-order";
import { bfloat16BitsToFloat32Bits, decodeHalfPrecision, float16BitsToFloat32Bits } from "./half-precision";

/** What `loadSafetensors` returns: the tensors in data order, and the header's metadata (`{}` when absent). */
export interface SafetensorsContents {
  /** The tensors by name, in the order their data appears in the file. */
  tensors: Record<string, Tensor>;
  /** The header's string-to-string `"__metadata__"`, or `{}`. */
  metadata: Record<string, string>;
}

const HEADER_LENGTH_BYTES = 8;
const MAX_HEADER_BYTES = 100_000_000; // the reference reader's limit
const MAX_JSON_DEPTH = 128; // serde_json's recursion limit, which the reference reader runs under
const METADATA_KEY = "__metadata__";

const FORMAT_DTYPE: Record<DType, string> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };

// The reference writer sorts tensors by its Dtype enum, descending, then by name. That enum runs
// BOOL < … < I32 < … < F32 < F64 < …, so among nabla's dtypes: F64, F32, I32, then BOOL.
const WRITE_RANK: Record<DType, number> = { float64: 0, float32: 1, int32: 2, bool: 3 };

/** Element sizes of the dtypes nabla can read. */
const READABLE_ITEM_SIZE: Record<string, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1, F16: 2, BF16: 2, I64: 8 };
/** Dtypes the format defines that have no nabla counterpart. */
const UNREADABLE_DTYPES = new Set([
  "U8",
  "I8",
  "U16",
  "I16",
  "U32",
  "U64",
  "F8_E5M2",
  "F8_E4M3",
  "F8_E8M0",
  "F4",
  "F6_E2M3",
  "F6_E3M2",
  "C64",
]);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Serialises tensors (and optional string metadata) to safetensors bytes, identical to what
 * Python's `safetensors.torch.save(tensors, metadata)` produces for the same tensors: F64 tensors
 * first, then F32, I32 and BOOL, each group by name; compact JSON header padded with spaces to a
 * multiple of 8 bytes; non-contiguous tensors written in logical (row-major) order. With several
 * metadata keys, they are written in the object's own order (the reference writer's order for
 * several keys is that of a hash map, so no order is more canonical). Throws for a value that is
 * not a Tensor, the reserved name `"__metadata__"`, or metadata that is not strings.
 *
 * @example
 * ```ts
 * const bytes = saveSafetensors({ weight: tensor([[1, 2], [3, 4]]), step: tensor([7], { dtype: "int32" }) }, { format: "pt" });
 * bytes.length;                     // → 180
 * loadSafetensors(bytes).tensors;   // → { weight: [[1, 2], [3, 4]], step: [7] }
 * saveSafetensors({ __metadata__: zeros([1]) }); // throws saveSafetensors: "__metadata__" is reserved for metadata and cannot name a tensor
 * ```
 */
export function saveSafetensors(tensors: Record<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const op = "saveSafetensors";
  if (!isPlainRecord(tensors)) throw new NablaError(op, `expected an object mapping names to tensors, got ${describe(tensors)}`);
  const named = Object.entries(tensors);
  for (const [name, value] of named) {
    if (!isTensor(value, op)) throw new NablaError(op, `entry ${JSON.stringify(name)} is ${describe(value)}, not a Tensor`);
    if (name === METADATA_KEY) throw new NablaError(op, `"${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (LONE_SURROGATE.test(name)) throw new NablaError(op, `tensor name ${JSON.stringify(name)} is not valid Unicode (lone surrogate)`);
  }
  if (metadata !== undefined) checkMetadataToWrite(op, metadata);

  const encoder = new TextEncoder();
  const ordered = named
    .map(([name, value]) => ({ name, nameBytes: encoder.encode(name), value }))
    .sort((a, b) => WRITE_RANK[a.value.dtype] - WRITE_RANK[b.value.dtype] || compareBytes(a.nameBytes, b.nameBytes));

  // The header is built by hand in serde_json's compact form; JSON.stringify escapes strings the
  // same way serde_json does (short escapes for \b \t \n \f \r, \u00xx for other controls).
  const headerParts: string[] = [];
  if (metadata !== undefined) {
    const fields = Object.entries(metadata).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    headerParts.push(`"${METADATA_KEY}":{${fields.join(",")}}`);
  }
  const payloads: { offset: number; values: Float32Array | Float64Array | Int32Array | Uint8Array }[] = [];
  let dataLength = 0;
  for (const { name, value } of ordered) {
    const values = value.data(); // contiguous, row-major copy, whatever the tensor's strides
    const end = dataLength + values.byteLength;
    headerParts.push(
      `${JSON.stringify(name)}:{"dtype":"${FORMAT_DTYPE[value.dtype]}","shape":[${value.shape.join(",")}],` +
        `"data_offsets":[${dataLength},${end}]}`,
    );
    payloads.push({ offset: dataLength, values });
    dataLength = end;
  }
  const json = encoder.encode(`{${headerParts.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8; // padded so the data section starts 8-aligned

  const bytes = new Uint8Array(HEADER_LENGTH_BYTES + headerLength + dataLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  bytes.set(json, HEADER_LENGTH_BYTES);
  bytes.fill(0x20, HEADER_LENGTH_BYTES + json.length, HEADER_LENGTH_BYTES + headerLength);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  for (const { offset, values } of payloads) writeLittleEndian(values, bytes, dataStart + offset);
  return bytes;
}

/**
 * Parses safetensors bytes after validating the whole header against the data: header length
 * within the file and at most 100 MB, UTF-8 JSON starting with `{`, every entry with a known dtype,
 * a shape of non-negative integers and offsets that tile the data section exactly (in order, no
 * holes, no overlaps) with byte sizes equal to numel × item size. F32, F64, I32 and BOOL load as
 * themselves, F16 and BF16 as float32, I64 as int32 when every value fits. Anything else (other
 * dtypes, a truncated or inconsistent file) throws a NablaError naming the tensor and the problem.
 * The tensors are copies: they do not keep `bytes` alive.
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * const bytes = saveSafetensors(model.stateDict(), { format: "pt" });
 * const { tensors, metadata } = loadSafetensors(bytes);
 * Object.keys(tensors);          // → ["0.bias", "0.weight", "2.bias", "2.weight"]
 * metadata;                      // → { format: "pt" }
 * tensors["0.weight"]!.shape;    // → [8, 4]
 * model.loadStateDict(tensors);  // → { missingKeys: [], unexpectedKeys: [] }
 * loadSafetensors(bytes.slice(0, 4)); // throws loadSafetensors: the data is 4 bytes long, too short for the 8-byte header length
 * ```
 */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): SafetensorsContents {
  const op = "loadSafetensors";
  let buffer: Uint8Array;
  // A plain Uint8Array over the same memory, so Buffer's view-returning `slice` never comes into play.
  if (bytes instanceof Uint8Array) buffer = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  else if (bytes instanceof ArrayBuffer) buffer = new Uint8Array(bytes);
  else throw new NablaError(op, `expected a Uint8Array or an ArrayBuffer, got ${describe(bytes)}`);

  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const headerLength = readHeaderLength(op, buffer, view);
  const { entries, metadata } = parseHeader(op, decodeHeaderJson(op, buffer, headerLength));
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  checkLayout(op, entries, buffer.length - dataStart);

  const tensors = Object.fromEntries(entries.map((entry) => [entry.name, decodeTensor(op, entry, buffer, view, dataStart)]));
  return { tensors, metadata };
}

interface HeaderEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function readHeaderLength(op: string, buffer: Uint8Array, view: DataView): number {
  if (buffer.length < HEADER_LENGTH_BYTES) {
    throw new NablaError(op, `the data is ${buffer.length} bytes long, too short for the 8-byte header length`);
  }
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  if (high !== 0 || low > MAX_HEADER_BYTES) {
    const length = (BigInt(high) << 32n) | BigInt(low);
    throw new NablaError(op, `header length ${length} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`);
  }
  if (HEADER_LENGTH_BYTES + low > buffer.length) {
    throw new NablaError(op, `header length ${low} runs past the end of the data (${buffer.length} bytes in all)`);
  }
  return low;
}

function decodeHeaderJson(op: string, buffer: Uint8Array, headerLength: number): unknown {
  let text: string;
  try {
    // ignoreBOM keeps a byte-order mark in the text, so it fails the "{" check as in the reference reader.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(
      buffer.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + headerLength),
    );
  } catch {
    throw new NablaError(op, "the header is not valid UTF-8");
  }
  if (!text.startsWith("{")) {
    const found = text.startsWith("\uFEFF") ? "a byte-order mark" : JSON.stringify(text.slice(0, 16));
    throw new NablaError(op, `the header must be a JSON object starting with "{", found ${found}`);
  }
  checkNesting(op, text);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NablaError(op, `the header is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * Refuses JSON nested deeper than MAX_JSON_DEPTH before it is parsed, as the reference reader does:
 * a header of 50,000 nested arrays would otherwise reach the error path (which prints the value)
 * as a structure too deep to walk. Brackets inside strings do not count.
 */
function checkNesting(op: string, text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // a backslash escapes the next character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x5b || code === 0x7b) {
      if (++depth > MAX_JSON_DEPTH)
        throw new NablaError(op, `the header nests more than ${MAX_JSON_DEPTH} levels deep (the format's limit)`);
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
}

function parseHeader(op: string, header: unknown): { entries: HeaderEntry[]; metadata: Record<string, string> } {
  if (!isPlainRecord(header)) throw new NablaError(op, "the header must be a JSON object");
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) metadata = parseMetadata(op, info);
    else entries.push(parseEntry(op, name, info));
  }
  return { entries, metadata };
}

function parseMetadata(op: string, value: unknown): Record<string, string> {
  if (value === null) return {}; // the reference reader treats a null "__metadata__" as absent
  if (!isPlainRecord(value)) throw new NablaError(op, `"${METADATA_KEY}" must be an object of strings, got ${describe(value)}`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      throw new NablaError(op, `metadata value for ${JSON.stringify(key)} must be a string, got ${describe(item)}`);
    }
  }
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function parseEntry(op: string, name: string, info: unknown): HeaderEntry {
  const label = `tensor ${JSON.stringify(name)}`;
  if (!isPlainRecord(info)) throw new NablaError(op, `${label}: expected {dtype, shape, data_offsets}, got ${describe(info)}`);
  const { dtype, shape, data_offsets: offsets } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (dtype === undefined) throw new NablaError(op, `${label}: missing "dtype"`);
  if (typeof dtype !== "string") throw new NablaError(op, `${label}: "dtype" must be a string, got ${describe(dtype)}`);
  if (UNREADABLE_DTYPES.has(dtype)) {
    throw new NablaError(
      op,
      `${label} has dtype ${dtype}, which nabla cannot load (it reads ${Object.keys(READABLE_ITEM_SIZE).join(", ")})`,
    );
  }
  // own keys only: "__proto__", "constructor" or "toString" are no dtypes
  if (!Object.hasOwn(READABLE_ITEM_SIZE, dtype)) throw new NablaError(op, `${label} has unknown dtype ${JSON.stringify(dtype)}`);
  if (shape === undefined) throw new NablaError(op, `${label}: missing "shape"`);
  if (!isIndexArray(shape)) {
    throw new NablaError(op, `${label}: "shape" must be an array of non-negative integers, got ${describeValue(shape)}`);
  }
  if (shape.length > MAX_DIMS) throw new NablaError(op, `${label} has ${shape.length} dims; nabla tensors have at most ${MAX_DIMS}`);
  if (offsets === undefined) throw new NablaError(op, `${label}: missing "data_offsets"`);
  if (!isIndexArray(offsets) || offsets.length !== 2) {
    throw new NablaError(op, `${label}: "data_offsets" must be [begin, end] with non-negative integers, got ${describeValue(offsets)}`);
  }
  return { name, dtype, shape, begin: offsets[0]!, end: offsets[1]! };
}

/** Offsets must tile the data section exactly, each tensor's span matching its shape and dtype. */
function checkLayout(op: string, entries: HeaderEntry[], dataLength: number): void {
  // Writers other than the reference one may list tensors in any order, so walk them by offset
  // (a stable sort, as the reference reader does).
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const entry of entries) {
    const label = `tensor ${JSON.stringify(entry.name)}`;
    const span = `data_offsets [${entry.begin}, ${entry.end}]`;
    if (entry.end < entry.begin) throw new NablaError(op, `${label}: ${span} end before they begin`);
    if (entry.begin > expectedBegin) {
      throw new NablaError(op, `${label}: ${span} leave a hole after byte ${expectedBegin} of the data section`);
    }
    if (entry.begin < expectedBegin) {
      throw new NablaError(op, `${label}: ${span} overlap the previous tensor, which ends at byte ${expectedBegin}`);
    }
    const itemSize = READABLE_ITEM_SIZE[entry.dtype]!;
    const needed = byteSize(entry.shape, itemSize);
    if (needed !== entry.end - entry.begin) {
      const need = needed === undefined ? "more than 2^53 bytes" : `${needed} bytes`;
      throw new NablaError(
        op,
        `${label}: shape ${formatShape(entry.shape)} of ${entry.dtype} needs ${need}, but ${span} span ${entry.end - entry.begin}`,
      );
    }
    expectedBegin = entry.end;
  }
  if (expectedBegin !== dataLength) {
    throw new NablaError(op, `the tensors cover ${expectedBegin} bytes, but the data section holds ${dataLength}`);
  }
}

/** numel × itemSize, or undefined once it is too large to be exact (a hostile shape cannot overflow). */
function byteSize(shape: readonly number[], itemSize: number): number | undefined {
  if (shape.includes(0)) return 0;
  let size = itemSize;
  for (const dim of shape) {
    size *= dim;
    if (size > Number.MAX_SAFE_INTEGER) return undefined;
  }
  return size;
}

function decodeTensor(op: string, entry: HeaderEntry, buffer: Uint8Array, view: DataView, dataStart: number): Tensor {
  const begin = dataStart + entry.begin;
  const numel = (entry.end - entry.begin) / READABLE_ITEM_SIZE[entry.dtype]!;
  const shape = entry.shape;
  switch (entry.dtype) {
    case "F32":
      return tensor(readLittleEndian(Float32Array, buffer, begin, numel), { shape });
    case "F64":
      return tensor(readLittleEndian(Float64Array, buffer, begin, numel), { shape });
    case "I32":
      return tensor(readLittleEndian(Int32Array, buffer, begin, numel), { shape });
    case "F16":
      return tensor(decodeHalfPrecision(view, begin, numel, float16BitsToFloat32Bits), { shape });
    case "BF16":
      return tensor(decodeHalfPrecision(view, begin, numel, bfloat16BitsToFloat32Bits), { shape });
    case "I64":
      return tensor(readInt64AsInt32(op, entry.name, view, begin, numel), { shape });
    default: {
      // BOOL: one byte per element, and only 0 and 1 are booleans.
      const values = buffer.slice(begin, begin + numel);
      const bad = values.findIndex((byte) => byte > 1);
      if (bad >= 0) {
        throw new NablaError(
          op,
          `tensor ${JSON.stringify(entry.name)} (BOOL) holds byte ${values[bad]} at element ${bad} (expected 0 or 1)`,
        );
      }
      return tensor(values, { shape, dtype: "bool" });
    }
  }
}

/** A 64-bit value fits in int32 exactly when its high word is the sign extension of its low word. */
function readInt64AsInt32(op: string, name: string, view: DataView, begin: number, numel: number): Int32Array {
  const values = new Int32Array(numel);
  for (let i = 0; i < numel; i++) {
    const low = view.getInt32(begin + 8 * i, true);
    const high = view.getInt32(begin + 8 * i + 4, true);
    if (high !== low >> 31) {
      const value = (BigInt(high) << 32n) | BigInt(low >>> 0);
      throw new NablaError(op, `tensor ${JSON.stringify(name)} (I64) holds ${value} at element ${i}, which does not fit in int32`);
    }
    values[i] = low;
  }
  return values;
}

function checkMetadataToWrite(op: string, metadata: unknown): void {
  if (!isPlainRecord(metadata)) throw new NablaError(op, `metadata must be an object of strings, got ${describe(metadata)}`);
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== "string")
      throw new NablaError(op, `metadata value for ${JSON.stringify(key)} must be a string, got ${describe(value)}`);
    if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(value)) {
      throw new NablaError(op, `metadata entry ${JSON.stringify(key)} is not valid Unicode (lone surrogate)`);
    }
  }
}

/** The reference writer orders names as Rust strings: byte-wise over UTF-8, i.e. by code point. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** An object literal (or a null-prototype one): not an array, Map, Tensor or other class instance. */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function isIndexArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((item) => Number.isSafeInteger(item) && item >= 0);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Tensor) return `a Tensor of shape ${formatShape(value.shape)}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 20 ? `${value.slice(0, 20)}…` : value)}`;
  return `${typeof value} ${String(value)}`;
}

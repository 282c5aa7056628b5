import { describe, expect, it } from "vitest";
import { type Tensor, arange, tensor, zeros, type DType } from "@nabla/tensor";
import { loadSafetensors, saveSafetensors } from "@nabla/nn";
import { nablaError } from "../support/errors";
import { loadFixture, loadFixtureBytes } from "../support/fixtures";

interface TensorSpec {
  dtype: DType;
  shape: number[];
  values: number[];
}
interface Reference {
  read: { file: string; metadata: Record<string, string>; tensors: Record<string, TensorSpec> };
  write: { file: string; metadata: Record<string, string>; tensors: (TensorSpec & { name: string; transposed: boolean })[] };
}

const reference = loadFixture<Reference>("safetensors_reference.json");

const fixtureBytes = (name: string) => loadFixtureBytes(`safetensors/${name}`);

/** A safetensors file from a raw header text (no padding added) and data bytes. */
function buildFile(header: string, data: ArrayLike<number> = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setUint32(0, json.length, true);
  bytes.set(json, 8);
  bytes.set(Array.from(data), 8 + json.length);
  return bytes;
}

function headerText(bytes: Uint8Array): string {
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return new TextDecoder().decode(bytes.subarray(8, 8 + length));
}

/** Element-wise Object.is, so NaN matches NaN and -0 does not match 0. */
function expectSameValues(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

function expectError(run: () => unknown, message: RegExp, op = "loadSafetensors"): void {
  expect(nablaError(run, op).message).toMatch(message);
}

function buildWriteCase(): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  for (const spec of reference.write.tensors) {
    const t = tensor(spec.values, { dtype: spec.dtype }).reshape(spec.shape);
    tensors[spec.name] = spec.transposed ? t.T : t;
  }
  return tensors;
}

describe("loadSafetensors reads PyTorch-written files exactly", () => {
  const { tensors, metadata } = loadSafetensors(fixtureBytes(reference.read.file));

  it("has every tensor with its dtype, shape and values (F16/BF16 widened, I64 narrowed)", () => {
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(reference.read.tensors).sort());
    for (const [name, spec] of Object.entries(reference.read.tensors)) {
      const t = tensors[name]!;
      expect(t.dtype, name).toBe(spec.dtype);
      expect(t.shape, name).toEqual(spec.shape);
      expectSameValues(t.data(), spec.values, name);
    }
  });

  it("returns the metadata and lists tensors in data order (F64 first, then F32, BF16, ..., BOOL)", () => {
    expect(metadata).toEqual(reference.read.metadata);
    const names = Object.keys(tensors);
    expect(names.slice(0, 4)).toEqual(["index.i64", "scalar.i64", "precise.f64", "scalar.f64"]);
    expect(names[names.length - 1]).toBe("mask.bool");
  });

  it("loads from an ArrayBuffer as from a Uint8Array", () => {
    const bytes = fixtureBytes(reference.read.file);
    const copy = bytes.slice().buffer;
    expect(loadSafetensors(copy).tensors.weight!.toArray()).toEqual(tensors.weight!.toArray());
  });
});

describe("saveSafetensors writes the reference writer's bytes", () => {
  it("is byte-identical to the Python-written file for the same tensors and metadata", () => {
    const expected = fixtureBytes(reference.write.file);
    const bytes = saveSafetensors(buildWriteCase(), reference.write.metadata);
    expect(headerText(bytes)).toBe(headerText(expected)); // a readable diff first
    expect(Buffer.from(bytes).equals(Buffer.from(expected))).toBe(true);
  });

  it("reproduces the serialization examples of the reference crate's own tests", () => {
    const six = tensor([0, 1, 2, 3, 4, 5]);
    const data = new Uint8Array(new Float32Array([0, 1, 2, 3, 4, 5]).buffer);
    const attn = saveSafetensors({ "attn.0": six.reshape([1, 2, 3]) });
    expect(Array.from(attn)).toEqual(Array.from(buildFile('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', data)));
    const padded = saveSafetensors({ attn0: six.reshape([1, 1, 2, 3]) });
    const paddedHeader = `{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}${" ".repeat(7)}`;
    expect(Array.from(padded)).toEqual(Array.from(buildFile(paddedHeader, data)));
    expect(Array.from(saveSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect(headerText(saveSafetensors({}, { framework: "pt" }))).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it("saves non-contiguous tensors in logical order", () => {
    const base = arange(24).reshape([2, 3, 4]);
    const views = {
      permuted: base.permute([2, 0, 1]),
      stepped: base.slice(2, 0, 4, 2),
      expanded: tensor([1, 2, 3]).expand([2, 3]),
      selected: base.select(1, 2),
    };
    const contiguous = Object.fromEntries(Object.entries(views).map(([name, t]) => [name, t.contiguous()]));
    expect(Array.from(saveSafetensors(views))).toEqual(Array.from(saveSafetensors(contiguous)));
    const loaded = loadSafetensors(saveSafetensors(views)).tensors;
    for (const [name, t] of Object.entries(views)) expect(loaded[name]!.toArray(), name).toEqual(t.toArray());
  });

  it("round-trips every dtype, 0-d and zero-size tensors, and metadata", () => {
    const tensors = {
      f32: tensor([
        [1.5, -0, Number.NaN],
        [Infinity, -Infinity, 1e-45],
      ]),
      f64: tensor([Math.PI, 5e-324], { dtype: "float64" }),
      i32: tensor([2147483647, -2147483648, 0], { dtype: "int32" }),
      flags: tensor([true, false, true]),
      scalar: tensor(3.5, { dtype: "float64" }),
      scalarBool: tensor(true),
      none: zeros([0, 5], { dtype: "int32" }),
      noneBool: zeros([3, 0], { dtype: "bool" }),
    };
    const metadata = { epoch: "3", note: 'ü ∇ "x"\n' };
    const loaded = loadSafetensors(saveSafetensors(tensors, metadata));
    expect(loaded.metadata).toEqual(metadata);
    for (const [name, t] of Object.entries(tensors)) {
      const back = loaded.tensors[name]!;
      expect(back.dtype, name).toBe(t.dtype);
      expect(back.shape, name).toEqual(t.shape);
      expectSameValues(back.data(), Array.from(t.data()), name);
    }
  });

  it("round-trips names that are also Object.prototype keys", () => {
    const tensors = { ["__proto__"]: tensor([1]), constructor: tensor([2]), toString: tensor([3]) };
    const loaded = loadSafetensors(saveSafetensors(tensors)).tensors;
    expect(Object.keys(loaded).sort()).toEqual(["__proto__", "constructor", "toString"]);
    expect(Object.getOwnPropertyDescriptor(loaded, "__proto__")!.value.toArray()).toEqual([1]);
    // biome-ignore lint/complexity/useLiteralKeys: `.toString` is typed as Object.prototype.toString; the brackets read the tensor of that name
    expect(loaded["toString"]!.toArray()).toEqual([3]);
  });

  it("rejects what the format cannot hold", () => {
    const x = tensor([1]);
    expectError(() => saveSafetensors({ w: [1, 2] as unknown as Tensor }), /entry "w" is an array, not a Tensor/, "saveSafetensors");
    expectError(() => saveSafetensors({ __metadata__: x }), /"__metadata__" is reserved/, "saveSafetensors");
    expectError(
      () => saveSafetensors({ x }, { epoch: 3 as unknown as string }),
      /metadata value for "epoch" must be a string, got number 3/,
      "saveSafetensors",
    );
    expectError(
      () => saveSafetensors([x] as unknown as Record<string, Tensor>),
      /expected an object mapping names to tensors, got an array/,
      "saveSafetensors",
    );
    expectError(() => saveSafetensors(new Map([["x", x]]) as unknown as Record<string, Tensor>), /got an object/, "saveSafetensors");
    expectError(() => saveSafetensors({ "bad\uD800": x }), /lone surrogate/, "saveSafetensors");
  });
});

describe("loadSafetensors never assumes alignment", () => {
  it("reads a file whose data section starts at an odd offset", () => {
    const data = new Uint8Array(new Float64Array([1.25, -2.5]).buffer);
    const file = buildFile('{"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}', data); // 57-byte header
    expect((8 + headerText(file).length) % 8).not.toBe(0);
    expect(loadSafetensors(file).tensors.x!.toArray()).toEqual([1.25, -2.5]);
  });

  it("reads from a Uint8Array view at an odd byte offset of a larger buffer", () => {
    const bytes = fixtureBytes(reference.read.file);
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    const loaded = loadSafetensors(host.subarray(3)).tensors;
    const spec = reference.read.tensors["precise.f64"]!;
    expectSameValues(loaded["precise.f64"]!.data(), spec.values, "precise.f64");
  });

  it("decodes every F16 bit pattern to the float32 it denotes", () => {
    const patterns = new Uint16Array(65536).map((_, i) => i);
    const file = buildFile('{"h":{"dtype":"F16","shape":[65536],"data_offsets":[0,131072]}}', new Uint8Array(patterns.buffer));
    const values = loadSafetensors(file).tensors.h!.data();
    for (let bits = 0; bits < 65536; bits++) {
      const sign = bits & 0x8000 ? -1 : 1;
      const exponent = (bits >> 10) & 0x1f;
      const fraction = bits & 0x3ff;
      const expected =
        exponent === 0x1f
          ? fraction
            ? Number.NaN
            : sign * Infinity
          : exponent === 0
            ? sign * fraction * 2 ** -24
            : sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
      if (!Object.is(values[bits], expected)) expect.fail(`F16 0x${bits.toString(16)}: got ${values[bits]}, expected ${expected}`);
    }
  });
});

describe("loadSafetensors validates before trusting any length or offset", () => {
  const f32 = (shape: number[], offsets: [number, number]) =>
    `{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;
  const eightBytes = new Array(8).fill(0);

  it("rejects bad framing: too short, header too long or past the end, not UTF-8, not a JSON object", () => {
    expectError(() => loadSafetensors("abc" as unknown as Uint8Array), /expected a Uint8Array or an ArrayBuffer, got the string "abc"/);
    expectError(() => loadSafetensors(new Uint8Array(5)), /5 bytes long, too short for the 8-byte header length/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expectError(() => loadSafetensors(huge), /header length 1099511627776 exceeds the format's limit of 100000000 bytes/);
    new DataView(huge.buffer).setUint32(0, 100_000_001, true);
    new DataView(huge.buffer).setUint32(4, 0, true);
    expectError(() => loadSafetensors(huge), /header length 100000001 exceeds/);
    expect(loadSafetensors(buildFile("{}")).tensors).toEqual({});
    const past = buildFile("{}");
    new DataView(past.buffer).setUint32(0, 20, true);
    expectError(() => loadSafetensors(past), /header length 20 runs past the end of the data \(10 bytes in all\)/);
    const notUtf8 = buildFile('{"a":1}');
    notUtf8[10] = 0xff;
    expectError(() => loadSafetensors(notUtf8), /the header is not valid UTF-8/);
    expectError(() => loadSafetensors(buildFile("\uFEFF{}")), /must be a JSON object starting with "\{", found a byte-order mark/);
    expectError(() => loadSafetensors(buildFile(" {}")), /starting with "\{", found " \{\}"/);
    expectError(() => loadSafetensors(buildFile("[1,2]")), /starting with "\{"/);
    expectError(() => loadSafetensors(buildFile('{"a":')), /the header is not valid JSON/);
  });

  it("rejects malformed entries, naming the tensor", () => {
    expectError(() => loadSafetensors(buildFile('{"w":5}')), /tensor "w": expected \{dtype, shape, data_offsets\}, got number 5/);
    expectError(() => loadSafetensors(buildFile('{"w":{"shape":[],"data_offsets":[0,0]}}')), /tensor "w": missing "dtype"/);
    expectError(() => loadSafetensors(buildFile('{"w":{"dtype":"F32","data_offsets":[0,0]}}')), /tensor "w": missing "shape"/);
    expectError(() => loadSafetensors(buildFile('{"w":{"dtype":"F32","shape":[0]}}')), /tensor "w": missing "data_offsets"/);
    expectError(
      () => loadSafetensors(buildFile('{"w":{"dtype":32,"shape":[],"data_offsets":[0,4]}}')),
      /tensor "w": "dtype" must be a string, got number 32/,
    );
    expectError(
      () => loadSafetensors(buildFile('{"w":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,0]}}')),
      /tensor "w": "shape" must be an array of non-negative integers, got \[2, -1\]/,
    );
    expectError(
      () => loadSafetensors(buildFile('{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}')),
      /"shape" must be an array of non-negative integers, got \[1.5\]/,
    );
    expectError(() => loadSafetensors(buildFile('{"w":{"dtype":"F32","shape":"2","data_offsets":[0,0]}}')), /"shape" must be an array/);
    expectError(
      () => loadSafetensors(buildFile('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}')),
      /tensor "w": "data_offsets" must be \[begin, end\] with non-negative integers, got \[0\]/,
    );
    expectError(
      () => loadSafetensors(buildFile('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}')),
      /"data_offsets" must be \[begin, end\]/,
    );
    expectError(
      () => loadSafetensors(buildFile('{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}')),
      /tensor "w" has unknown dtype "F128"/,
    );
  });

  it("rejects dtypes nabla has no counterpart for, and I64 values beyond int32, naming the tensor", () => {
    expectError(
      () => loadSafetensors(fixtureBytes("uint8.safetensors")),
      /tensor "pixels" has dtype U8, which nabla cannot load \(it reads F32, F64, I32, BOOL, F16, BF16, I64\)/,
    );
    expectError(
      () => loadSafetensors(fixtureBytes("i64_out_of_range.safetensors")),
      /tensor "step" \(I64\) holds 2147483648 at element 1, which does not fit in int32/,
    );
    expectError(
      () => loadSafetensors(buildFile('{"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}', [1, 0, 2])),
      /tensor "b" \(BOOL\) holds byte 2 at element 2 \(expected 0 or 1\)/,
    );
  });

  it("requires offsets to tile the data exactly: in order, no holes, no overlaps, sizes matching", () => {
    expectError(
      () => loadSafetensors(buildFile(`{"a":${f32([1], [4, 8])}}`, eightBytes)),
      /tensor "a": data_offsets \[4, 8\] leave a hole after byte 0/,
    );
    expectError(
      () => loadSafetensors(buildFile(`{"a":${f32([2], [0, 8])},"b":${f32([1], [4, 8])}}`, eightBytes)),
      /tensor "b": data_offsets \[4, 8\] overlap the previous tensor, which ends at byte 8/,
    );
    expectError(
      () => loadSafetensors(buildFile(`{"a":${f32([1], [8, 4])}}`, eightBytes)),
      /tensor "a": data_offsets \[8, 4\] end before they begin/,
    );
    expectError(
      () => loadSafetensors(buildFile(`{"a":${f32([3], [0, 8])}}`, eightBytes)),
      /tensor "a": shape \[3\] of F32 needs 12 bytes, but data_offsets \[0, 8\] span 8/,
    );
    expectError(
      () => loadSafetensors(buildFile(`{"a":${f32([1], [0, 4])}}`, eightBytes)),
      /the tensors cover 4 bytes, but the data section holds 8/,
    );
    expectError(
      () => loadSafetensors(buildFile(`{"a":${f32([4], [0, 16])}}`, eightBytes)),
      /the tensors cover 16 bytes, but the data section holds 8/,
    );
    expectError(
      () => loadSafetensors(buildFile(`{"a":${f32([2 ** 40, 2 ** 40], [0, 8])}}`, eightBytes)),
      /tensor "a": shape \[1099511627776, 1099511627776\] of F32 needs more than 2\^53 bytes/,
    );
    expectError(() => loadSafetensors(buildFile("{}", [0])), /the tensors cover 0 bytes, but the data section holds 1/);
  });

  it("accepts tensors listed in any order, and zero-size tensors sharing an offset", () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const file = buildFile(`{"b":${f32([2], [4, 12])},"e":${f32([0], [4, 4])},"a":${f32([1], [0, 4])},"z":${f32([2, 0], [4, 4])}}`, data);
    const { tensors } = loadSafetensors(file);
    expect(Object.keys(tensors)).toEqual(["a", "e", "z", "b"]);
    expect(tensors.b!.toArray()).toEqual([2, 3]);
    expect(tensors.z!.shape).toEqual([2, 0]);
  });

  it("requires metadata to map strings to strings", () => {
    expectError(
      () => loadSafetensors(buildFile('{"__metadata__":{"epoch":3}}')),
      /metadata value for "epoch" must be a string, got number 3/,
    );
    expectError(() => loadSafetensors(buildFile('{"__metadata__":["a"]}')), /"__metadata__" must be an object of strings, got an array/);
    expect(loadSafetensors(buildFile('{"__metadata__":null}')).metadata).toEqual({});
  });
});

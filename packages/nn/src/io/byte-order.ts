/**
 * Little-endian byte conversion for the element types nabla stores. Safetensors data is always
 * little-endian; JS typed arrays use the host's order, which is little-endian on every current
 * platform, so the swap below is a fallback that keeps the format right on a big-endian host.
 */
type NumericArray = Float32Array | Float64Array | Int32Array | Uint8Array;

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses every `width`-byte group of `bytes` in place (little-endian ↔ big-endian). */
function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let start = 0; start < bytes.length; start += width) {
    for (let i = 0, j = width - 1; i < j; i++, j--) {
      const b = bytes[start + i]!;
      bytes[start + i] = bytes[start + j]!;
      bytes[start + j] = b;
    }
  }
}

/** Writes `values` into `target` at `offset` as little-endian bytes, bit for bit (NaN payloads included). */
export function writeLittleEndian(values: NumericArray, target: Uint8Array, offset: number): void {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  target.set(bytes, offset);
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(target.subarray(offset, offset + bytes.length), values.BYTES_PER_ELEMENT);
}

/**
 * Copies `length` elements stored little-endian at `bytes[begin…]` into a new typed array. The copy
 * starts at offset 0 of its own buffer, so the source's alignment never matters (a safetensors data
 * section starts at 8 + header length, which need not be a multiple of 8 in files written by others).
 */
export function readLittleEndian<A extends NumericArray>(
  ArrayType: { new (buffer: ArrayBuffer, byteOffset: number, length: number): A; BYTES_PER_ELEMENT: number },
  bytes: Uint8Array,
  begin: number,
  length: number,
): A {
  // An explicit copy: `slice` on a Node Buffer (a Uint8Array subclass) would return a view instead.
  const copy = new Uint8Array(length * ArrayType.BYTES_PER_ELEMENT);
  copy.set(bytes.subarray(begin, begin + copy.length));
  if (!HOST_IS_LITTLE_ENDIAN) swapBytes(copy, ArrayType.BYTES_PER_ELEMENT);
  return new ArrayType(copy.buffer, 0, length);
}

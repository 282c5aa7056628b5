/**
 * Decoding of the two 16-bit float formats safetensors files often hold. Both widen to float32
 * exactly (every F16 and BF16 value is a float32 value), so the decoders build float32 bit
 * patterns rather than going through arithmetic: NaN payloads and -0 survive unchanged.
 */

/**
 * IEEE 754 binary16 (1 sign, 5 exponent, 10 mantissa bits) to float32 bits.
 *
 * @example float16BitsToFloat32Bits(0x3c00) === 0x3f800000 // 1.0
 */
export function float16BitsToFloat32Bits(half: number): number {
  const sign = (half & 0x8000) << 16;
  const exponent = (half >> 10) & 0x1f;
  let mantissa = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0; // ±Infinity, NaN
  if (exponent !== 0) return (sign | ((exponent + 112) << 23) | (mantissa << 13)) >>> 0; // rebias 15 → 127
  if (mantissa === 0) return sign >>> 0; // ±0
  // Subnormal half (mantissa × 2^-24) is a normal float32: shift until the implicit bit appears.
  let floatExponent = 113; // 127 − 15 + 1, the exponent of the smallest normal half
  while ((mantissa & 0x400) === 0) {
    mantissa <<= 1;
    floatExponent--;
  }
  return (sign | (floatExponent << 23) | ((mantissa & 0x3ff) << 13)) >>> 0;
}

/** bfloat16 is the upper half of a float32, so widening is a 16-bit shift. */
export function bfloat16BitsToFloat32Bits(half: number): number {
  return (half << 16) >>> 0;
}

/** Reads `length` little-endian 16-bit floats at `view[begin…]` into a new Float32Array. */
export function decodeHalfPrecision(view: DataView, begin: number, length: number, widen: (half: number) => number): Float32Array {
  const bits = new Uint32Array(length);
  for (let i = 0; i < length; i++) bits[i] = widen(view.getUint16(begin + 2 * i, true));
  return new Float32Array(bits.buffer);
}

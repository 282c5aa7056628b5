import { allocate, type DType, type TypedArray } from "../../dtype";
import type { View } from "../backend";
import type { HostView } from "./iterate";
import { WasmFloat32Buffer } from "./wasm/float32-buffer";

/**
 * A CPU buffer: a typed array, or float32 values that live in the WebAssembly heap, where the
 * WebAssembly kernels work on them without copying (see WasmFloat32Buffer). Which one a float32
 * buffer is depends on its size and on whether the heap had room when it was made.
 */
export type CpuBuffer = TypedArray | WasmFloat32Buffer;

/**
 * float32 buffers of at least this many elements live in the heap when it has room. Smaller ones
 * stay typed arrays: the JS kernels are as fast on them as the WebAssembly ones (the in-place
 * kernels in wasm-kernels.ts start at this size), and a heap block costs a registration with the
 * FinalizationRegistry that a 4-element tensor would feel as per-op overhead.
 */
export const HEAP_MIN_ELEMENTS = 4096;

/** A zeroed CPU buffer: in the heap for float32 from HEAP_MIN_ELEMENTS when it fits, else a typed array. */
export function allocateBuffer(dtype: DType, size: number, op?: string): CpuBuffer {
  if (dtype === "float32" && size >= HEAP_MIN_ELEMENTS) {
    const buffer = WasmFloat32Buffer.allocate(size);
    if (buffer !== null) {
      buffer.data().fill(0); // the heap reuses blocks: what was there is not zero
      return buffer;
    }
  }
  return allocate(dtype, size, op);
}

/** A CPU buffer holding `data`: a float32 array from HEAP_MIN_ELEMENTS is copied into the heap when it fits, else adopted. */
export function uploadBuffer(data: TypedArray): CpuBuffer {
  if (data instanceof Float32Array && data.length >= HEAP_MIN_ELEMENTS) return WasmFloat32Buffer.from(data) ?? data;
  return data;
}

/**
 * The typed array behind a CPU buffer; for one in the heap, a fresh view over the memory as it is
 * now. Growing the heap's memory detaches every view over it, so take this right before reading or
 * writing, and never keep it across an allocation in the heap.
 */
export function hostArray(buffer: CpuBuffer): TypedArray {
  return buffer instanceof WasmFloat32Buffer ? buffer.data() : buffer;
}

/** A view of a CPU buffer with its typed array (see hostArray): what the JS kernels take. */
export function hostView(view: View<CpuBuffer>): HostView {
  const { buffer } = view;
  if (!(buffer instanceof WasmFloat32Buffer)) return view as HostView;
  return { buffer: buffer.data(), shape: view.shape, strides: view.strides, offset: view.offset };
}

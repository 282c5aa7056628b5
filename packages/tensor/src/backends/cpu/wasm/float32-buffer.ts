import { NablaError } from "../../../errors";
import type { HeapBlock } from "./heap";
import { WASM_STORAGE_LIMIT_BYTES, wasmHeap } from "./wasm-api";

/**
 * float32 storage that lives in the WebAssembly heap, so a kernel works on it where it is: no copy
 * in, no copy out, no fresh output array (see binaryRowsInPlace). It owns its heap block: the block is
 * freed by free(), or when the buffer is garbage-collected (after the event loop turns; see
 * WasmHeap.allocate), so nothing has to call free().
 *
 * data() is a Float32Array view of the values, made again whenever the memory has grown since the
 * last one (growing a plain memory detaches every view over it): take it when about to read or
 * write, never keep it across an allocation.
 */
export class WasmFloat32Buffer {
  private constructor(
    private readonly block: HeapBlock,
    /** The number of float32 values. */
    readonly length: number,
  ) {}

  /**
   * A buffer of `length` values, or null where the heap cannot hold it (it is full, storage has
   * reached WASM_STORAGE_LIMIT_BYTES, or there is no WebAssembly): the caller keeps an ordinary Float32Array then. Its values are whatever the heap
   * held there (as torch.empty), since a kernel's output is written whole: fill it before reading.
   */
  static allocate(length: number): WasmFloat32Buffer | null {
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new NablaError("WasmFloat32Buffer", `expected a length (an integer ≥ 0), got ${length}`);
    }
    const heap = wasmHeap();
    // whole vectors, and one more: a kernel may write up to three values past `length`, and one
    // reading a view that starts inside the buffer reads whole vectors up to 12 bytes past its
    // end, which must stay inside the block (it may end where the memory does)
    const bytes = Math.ceil(length / 4) * 16 + 16;
    if (heap === null || heap.ownedBytes + bytes > WASM_STORAGE_LIMIT_BYTES) return null;
    const block = heap.allocate(bytes);
    if (block === null) return null;
    const buffer = new WasmFloat32Buffer(block, length);
    heap.own(block, buffer);
    return buffer;
  }

  /** A buffer holding a copy of `values`, or null as allocate. */
  static from(values: ArrayLike<number>): WasmFloat32Buffer | null {
    const buffer = WasmFloat32Buffer.allocate(values.length);
    buffer?.data().set(values);
    return buffer;
  }

  /** Its byte offset in the heap's memory: what a kernel entry point such as binaryRowsInPlace takes. */
  get ptr(): number {
    return this.block.ptr;
  }

  /** Whether free() was called; its data is gone then. */
  get freed(): boolean {
    return this.block.freed;
  }

  /** The values, as a view over the heap's current buffer. */
  data(): Float32Array {
    return this.block.f32().subarray(0, this.length);
  }

  /** Gives the block back now rather than when the buffer is collected. */
  free(): void {
    this.block.free();
  }
}

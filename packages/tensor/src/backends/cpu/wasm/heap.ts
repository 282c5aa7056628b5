import { NablaError } from "../../../errors";
import type { WasmMemory } from "./wasm-api";

// The allocator over nabla's one WebAssembly memory (see wasmHeap in wasm-api.ts): every kernel
// module imports that memory, and everything a kernel reads or writes there (a driver's scratch
// blocks, and data that lives in the heap) is a block handed out here and given back when done.
//
// First fit over a free list sorted by address, coalescing on free: a kernel call takes one block
// and frees it before returning, so the list stays a handful of regions and the scan is short;
// first fit keeps what is in use packed at the bottom, so the memory grows only for what is live
// at once. A WebAssembly memory never shrinks: its size is the most ever live at once, at most the
// limit. When a request does not fit within the limit, `allocate` returns null and the caller
// does without the heap (runs its JS kernel, or keeps an ordinary typed array).

/** The size of a WebAssembly page; a memory grows by whole pages. */
export const WASM_PAGE_BYTES = 65536;

/** Every block starts at a multiple of this and spans a multiple of it: one 128-bit vector. */
export const HEAP_ALIGN_BYTES = 16;

/** The memory grows in steps of this (whole pages), up to its limit. */
export const HEAP_GROW_STEP_BYTES = 1024 * 1024;

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** A free region [start, start + bytes) of the memory. */
interface FreeRegion {
  start: number;
  bytes: number;
}

/** What a heap holds, for tests and measurements. */
export interface HeapStats {
  /** The memory's size now (it never shrinks). */
  byteLength: number;
  /** The size the memory may grow to. */
  limitBytes: number;
  /** Bytes in live blocks. */
  usedBytes: number;
  liveBlocks: number;
  /** Live blocks freed when an owner is collected (storage); the rest are kernels' scratch blocks. */
  ownedBlocks: number;
  /** Free regions: 1 (or 0) when nothing is live, as freed neighbours coalesce. */
  freeRegions: number;
}

/**
 * A block of the heap: `ptr` is its byte offset in the memory (what a kernel takes), `bytes` its
 * size (a multiple of 16). Take a view with f32() or f64() when about to use it, after any other
 * allocation of the call: growing a plain memory detaches its buffer and every view over it, so a
 * view is never kept across allocations; the block re-makes its view when the buffer changed.
 */
export class HeapBlock {
  private view: Float32Array | Float64Array | null = null;
  private released = false;

  constructor(
    private readonly heap: WasmHeap,
    readonly ptr: number,
    readonly bytes: number,
  ) {}

  /** Whether the block was given back (by free(), or when its owner was collected). */
  get freed(): boolean {
    return this.released;
  }

  /** The block as float32 values, over the memory's current buffer. */
  f32(): Float32Array {
    return this.viewAs(Float32Array);
  }

  /** The block as float64 values, over the memory's current buffer. */
  f64(): Float64Array {
    return this.viewAs(Float64Array);
  }

  /** Gives the block back to the heap; a second call does nothing. */
  free(): void {
    this.heap.free(this);
  }

  /** @internal called by the heap when it takes the block back. */
  markFreed(): void {
    this.released = true;
    this.view = null;
  }

  private viewAs<T extends Float32Array | Float64Array>(type: {
    new (buffer: ArrayBufferLike, offset: number, length: number): T;
    BYTES_PER_ELEMENT: number;
  }): T {
    if (this.released) throw new NablaError("wasmHeap", `the block of ${this.bytes} bytes at ${this.ptr} was freed; it has no data`);
    const buffer = this.heap.memory.buffer;
    if (!(this.view instanceof type) || this.view.buffer !== buffer)
      this.view = new type(buffer, this.ptr, this.bytes / type.BYTES_PER_ELEMENT);
    return this.view as T;
  }
}

/**
 * First-fit allocator over one WebAssembly memory, which it grows in HEAP_GROW_STEP_BYTES steps up
 * to `limitBytes`. Blocks are 16-byte aligned; the first 16 bytes are never handed out, so no
 * block starts at 0.
 */
export class WasmHeap {
  /** Free regions by address; no two touch (freeing merges a block with its free neighbours). */
  private readonly regions: FreeRegion[] = [];
  private readonly live = new Map<number, HeapBlock>();
  private readonly owned = new Set<HeapBlock>();
  /** Bytes in live blocks that an owner holds (storage), as opposed to scratch blocks. */
  ownedBytes = 0;
  private usedBytes = 0;
  /** Frees a block when the object that owns it is collected (see allocate). */
  private readonly owners: FinalizationRegistry<HeapBlock> | null =
    typeof FinalizationRegistry === "function" ? new FinalizationRegistry((block: HeapBlock) => block.free()) : null;

  constructor(
    readonly memory: WasmMemory,
    readonly limitBytes: number,
    /** Whether the memory is shared (worker threads can run kernels over it too). */
    readonly shared: boolean,
  ) {
    const size = memory.buffer.byteLength;
    if (size > HEAP_ALIGN_BYTES) this.regions.push({ start: HEAP_ALIGN_BYTES, bytes: size - HEAP_ALIGN_BYTES });
  }

  /**
   * A block of at least `bytes` bytes, or null when it does not fit within the limit. With an
   * `owner`, the block is freed once the owner is garbage-collected (unless freed before). That
   * happens only when the event loop turns (FinalizationRegistry callbacks never run in the middle
   * of synchronous code), so a loop that never yields gets null here once the heap is full, not a
   * heap that grows without bound: the caller then works on an ordinary typed array.
   */
  allocate(bytes: number, owner?: object): HeapBlock | null {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new NablaError("wasmHeap", `expected a byte count (an integer ≥ 0), got ${bytes}`);
    }
    const size = Math.max(HEAP_ALIGN_BYTES, roundUp(bytes, HEAP_ALIGN_BYTES));
    let index = this.firstFit(size);
    if (index < 0) {
      if (!this.grow(size)) return null;
      index = this.firstFit(size);
    }
    const region = this.regions[index]!;
    const block = new HeapBlock(this, region.start, size);
    if (region.bytes === size) this.regions.splice(index, 1);
    else {
      region.start += size;
      region.bytes -= size;
    }
    this.live.set(block.ptr, block);
    this.usedBytes += size;
    if (owner !== undefined) this.own(block, owner);
    return block;
  }

  /** Frees `block` once `owner` is garbage-collected (unless freed before); see allocate. */
  own(block: HeapBlock, owner: object): void {
    // the block is both the held value and the unregister token: it does not refer to its owner,
    // so holding it does not keep the owner alive
    this.owners?.register(owner, block, block);
    if (!this.owned.has(block)) {
      this.owned.add(block);
      this.ownedBytes += block.bytes;
    }
  }

  /** Gives `block` back (merging it with free neighbours); nothing if it is already free. */
  free(block: HeapBlock): void {
    if (this.live.get(block.ptr) !== block) return;
    this.live.delete(block.ptr);
    this.usedBytes -= block.bytes;
    block.markFreed();
    if (this.owned.delete(block)) {
      this.ownedBytes -= block.bytes;
      this.owners?.unregister(block);
    }
    const start = block.ptr;
    const end = start + block.bytes;
    // the first region after the block (binary search: the list is sorted by address)
    let lo = 0;
    let hi = this.regions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.regions[mid]!.start < start) lo = mid + 1;
      else hi = mid;
    }
    const before = this.regions[lo - 1];
    const after = this.regions[lo];
    const joinsBefore = before !== undefined && before.start + before.bytes === start;
    const joinsAfter = after !== undefined && after.start === end;
    if (joinsBefore && joinsAfter) {
      before.bytes += block.bytes + after.bytes;
      this.regions.splice(lo, 1);
    } else if (joinsBefore) before.bytes += block.bytes;
    else if (joinsAfter) {
      after.start = start;
      after.bytes += block.bytes;
    } else this.regions.splice(lo, 0, { start, bytes: block.bytes });
  }

  /**
   * Grows the memory now, if it must, so that blocks of `bytes` in all can then be allocated
   * without growing it: views over the memory taken after this call stay valid through those
   * allocations. False past the limit.
   */
  reserve(bytes: number): boolean {
    const size = roundUp(bytes, HEAP_ALIGN_BYTES);
    const last = this.regions[this.regions.length - 1];
    if (last !== undefined && last.start + last.bytes === this.memory.buffer.byteLength && last.bytes >= size) return true;
    return this.grow(size);
  }

  /** The largest block allocate could return now (growing the memory up to its limit). */
  largestAvailable(): number {
    const have = this.memory.buffer.byteLength;
    let largest = this.limitBytes - have;
    for (const region of this.regions) {
      const atEnd = region.start + region.bytes === have;
      largest = Math.max(largest, region.bytes + (atEnd ? this.limitBytes - have : 0));
    }
    return largest;
  }

  stats(): HeapStats {
    return {
      byteLength: this.memory.buffer.byteLength,
      limitBytes: this.limitBytes,
      usedBytes: this.usedBytes,
      liveBlocks: this.live.size,
      ownedBlocks: this.owned.size,
      freeRegions: this.regions.length,
    };
  }

  private firstFit(size: number): number {
    return this.regions.findIndex((region) => region.bytes >= size);
  }

  /** Grows the memory so its last free region holds `size` bytes; false past the limit. */
  private grow(size: number): boolean {
    const have = this.memory.buffer.byteLength;
    const last = this.regions[this.regions.length - 1];
    const tail = last !== undefined && last.start + last.bytes === have ? last : null;
    const need = have + size - (tail?.bytes ?? 0);
    if (need > this.limitBytes) return false;
    const want = Math.min(this.limitBytes, roundUp(need, HEAP_GROW_STEP_BYTES));
    try {
      this.memory.grow((want - have) / WASM_PAGE_BYTES);
    } catch {
      // the engine could not reserve the pages (out of memory): as past the limit
      return false;
    }
    if (tail !== null) tail.bytes += want - have;
    else this.regions.push({ start: have, bytes: want - have });
    return true;
  }
}

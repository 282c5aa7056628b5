import { WASM_PAGE_BYTES, WasmHeap } from "./heap";
import { workerThreads } from "./matmul-threads";

/**
 * The part of the WebAssembly JS API the kernels use, typed here because the package compiles
 * against ES2022 without DOM typings; `webAssembly()` is undefined on engines without it.
 */
export interface WasmModule {
  readonly __wasmModule?: never;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared?: boolean }) => WasmMemory;
}

export function webAssembly(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The bytes of a kernel binary that scripts/assemble-wasm.mjs stored as base64. */
export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The most the one WebAssembly memory of nabla's kernels (see wasmHeap) may grow to. A memory only
 * grows (one that once held a 2 GB operand would keep 2 GB for the life of the process, and 2 GiB
 * is also all a module can address), so every driver works within this: it takes a scratch block
 * for the operands in pieces that fit (matmul, sums, optimizer updates), or leaves what does not
 * fit to its JS kernel (elementwise, softmax rows longer than a few million values). Half of it is
 * for float32 storage (WASM_STORAGE_LIMIT_BYTES), half for scratch: 32 MiB holds a whole
 * 1024 × 1024 float32 product, blocks and all, however much storage is live.
 */
export const WASM_MEMORY_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * The most the heap hands out as float32 storage (WasmFloat32Buffer): past it, new CPU buffers are
 * ordinary typed arrays. A loop that never lets the event loop turn never runs the finalizers that
 * give storage back, so storage would otherwise fill the heap and leave the kernels no scratch
 * (matmul would fall back to its JS kernel); 8M floats is what a training step of a small model
 * keeps live many times over, and where an asynchronous loop reuses it, more buys no speed.
 */
export const WASM_STORAGE_LIMIT_BYTES = 32 * 1024 * 1024;

// The heap is kept on globalThis, not in a module variable: the CommonJS builds of
// `@nabla/tensor` and `@nabla/tensor/internal` are two bundles with a copy of this module each, and
// an application may load more than one copy of the package; all of them must share one memory.
const HEAP_KEY = Symbol.for("nabla.wasmHeap.v1");

/**
 * The one memory every kernel module imports, and its allocator, made on first use: shared where
 * worker threads can run kernels over it too (Node; see matmul-threads.ts), else plain. Null where
 * WebAssembly is missing.
 */
export function wasmHeap(): WasmHeap | null {
  const store = globalThis as { [HEAP_KEY]?: WasmHeap | null };
  if (store[HEAP_KEY] === undefined) {
    const wasm = webAssembly();
    store[HEAP_KEY] = wasm === undefined ? null : createHeap(wasm);
  }
  return store[HEAP_KEY];
}

/** The bytes of WebAssembly memory nabla's kernels hold now (the one heap's memory). */
export function wasmMemoryBytes(): number {
  return wasmHeap()?.memory.buffer.byteLength ?? 0;
}

function createHeap(wasm: WasmApi): WasmHeap {
  const descriptor = { initial: 1, maximum: WASM_MEMORY_LIMIT_BYTES / WASM_PAGE_BYTES };
  if (workerThreads() !== null) {
    try {
      return new WasmHeap(new wasm.Memory({ ...descriptor, shared: true }), WASM_MEMORY_LIMIT_BYTES, true);
    } catch {
      // no shared memory here: the kernels run on the calling thread only
    }
  }
  return new WasmHeap(new wasm.Memory(descriptor), WASM_MEMORY_LIMIT_BYTES, false);
}

/**
 * `bytes` (a kernel module as assembled, importing a plain memory) importing a shared memory
 * instead: the memory import's limits flag gains its `shared` bit (0x01 → 0x03). The rest of the
 * module is the same bytes (scripts/assemble-wasm.mjs checks that this is what the assembler's
 * shared build gives), so each kernel ships once and runs over either kind of heap.
 */
export function importSharedMemory(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  let at = 8; // past the magic number and the version
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = out[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < out.length) {
    const section = out[at++]!;
    const size = leb();
    const end = at + size;
    if (section === 2) {
      // the import section: (module name, field name, kind, type) for each import
      for (let count = leb(); count > 0; count--) {
        for (let name = 0; name < 2; name++) {
          const length = leb();
          at += length;
        }
        const kind = out[at++]!;
        if (kind === 2) {
          out[at] = out[at]! | 0x02;
          return out;
        }
        if (kind === 0)
          leb(); // a function: its type index
        else if (kind === 1) {
          at++; // a table: its element type, then limits
          if (out[at++]! & 0x01) leb();
          leb();
        } else at += 2; // a global: its value type and mutability
      }
    }
    at = end;
  }
  throw new Error("importSharedMemory: the module imports no memory");
}

/** A kernel module compiled for the heap's kind of memory, with the heap. */
export interface CompiledKernels {
  wasm: WasmApi;
  heap: WasmHeap;
  module: WasmModule;
}

/**
 * Compiles a kernel module stored as base64 by scripts/assemble-wasm.mjs for the heap's memory
 * (see wasmHeap). Null where WebAssembly or its SIMD instructions are missing: callers keep a JS
 * kernel for that.
 */
export function compileWasmKernels(base64: string): CompiledKernels | null {
  const wasm = webAssembly();
  if (wasm === undefined) return null;
  const bytes = decodeBase64(base64);
  // validate() is false on engines without SIMD, where compiling would throw
  if (!wasm.validate(bytes)) return null;
  const heap = wasmHeap()!;
  return { wasm, heap, module: new wasm.Module(heap.shared ? importSharedMemory(bytes) : bytes) };
}

/** A compiled kernel module, instantiated over the heap's memory. */
export interface WasmKernels<Exports> {
  readonly heap: WasmHeap;
  readonly exports: Exports;
}

/**
 * A kernel module compiled on first use (over the heap's memory, with `functions` as its other
 * `env` imports) and the same one after: call the returned function where the kernels are
 * needed. Null where WebAssembly SIMD is missing.
 */
// compiles nothing until called, so bundlers may drop unused kernel modules; @nabla/ops and
// @nabla/nn mark their calls /* @__PURE__ */, as a bundler reads this mark only in the same file
/* @__NO_SIDE_EFFECTS__ */
export function lazyWasmKernels<Exports>(base64: string, functions: Record<string, unknown> = {}): () => WasmKernels<Exports> | null {
  let kernels: WasmKernels<Exports> | null | undefined;
  return () => {
    if (kernels === undefined) {
      const compiled = compileWasmKernels(base64);
      kernels =
        compiled === null
          ? null
          : {
              heap: compiled.heap,
              exports: new compiled.wasm.Instance(compiled.module, { env: { memory: compiled.heap.memory, ...functions } })
                .exports as unknown as Exports,
            };
    }
    return kernels;
  };
}

/**
 * Bytes for `count` float32 values in a scratch block: a multiple of 16 (so the next region is
 * aligned for vectors), plus 16 bytes of slack for kernels that read and write whole vectors up to
 * three values past the end.
 */
export function float32RegionBytes(count: number): number {
  return Math.ceil((count * 4) / 16) * 16 + 16;
}

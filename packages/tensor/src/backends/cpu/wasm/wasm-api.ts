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

const WASM_PAGE_BYTES = 65536;

/**
 * The most memory a kernel module may hold. WebAssembly memories only grow (a module that once
 * held a 2 GB operand would keep 2 GB for the life of the process, and 2 GiB is also all a module
 * can address), so every driver works within this: it copies its operands in blocks that fit
 * (matmul, sums, optimizer updates), or leaves what does not fit to its JS kernel (elementwise,
 * softmax rows longer than a few million values). 32 MiB holds a whole 1024 × 1024 float32
 * product, blocks and all.
 */
export const WASM_MEMORY_LIMIT_BYTES = 32 * 1024 * 1024;

/** Every memory made by kernelMemory, so tests can check none outgrew the limit. */
const memories: WasmMemory[] = [];

/** A fresh memory for a kernel module, of one page, that can grow to WASM_MEMORY_LIMIT_BYTES. */
export function kernelMemory(wasm: WasmApi, shared = false): WasmMemory {
  const memory = new wasm.Memory({ initial: 1, maximum: WASM_MEMORY_LIMIT_BYTES / WASM_PAGE_BYTES, shared });
  memories.push(memory);
  return memory;
}

/** The size in bytes of every kernel memory made so far (for tests). */
export function kernelMemoryBytes(): number[] {
  return memories.map((memory) => memory.buffer.byteLength);
}

/** The bytes of WebAssembly memory nabla's kernels hold now, all memories together. */
export function wasmMemoryBytes(): number {
  return memories.reduce((total, memory) => total + memory.buffer.byteLength, 0);
}

/** A compiled kernel module and the memory it imports (the caller copies operands in and out). */
export interface WasmKernels<Exports> {
  readonly memory: WasmMemory;
  readonly exports: Exports;
}

/**
 * Compiles a kernel module stored as base64 by scripts/assemble-wasm.mjs over a fresh plain memory
 * (see kernelMemory), with `functions` as its other `env` imports. Null where WebAssembly or its
 * SIMD instructions are missing: callers keep a JS kernel for that.
 */
function instantiateWasmKernels<Exports>(base64: string, functions: Record<string, unknown>): WasmKernels<Exports> | null {
  const wasm = webAssembly();
  if (wasm === undefined) return null;
  const bytes = decodeBase64(base64);
  // validate() is false on engines without SIMD, where compiling would throw
  if (!wasm.validate(bytes)) return null;
  const memory = kernelMemory(wasm);
  const exports = new wasm.Instance(new wasm.Module(bytes), { env: { memory, ...functions } }).exports as unknown as Exports;
  return { memory, exports };
}

/**
 * A kernel module compiled on first use (see instantiateWasmKernels) and the same one after:
 * call the returned function where the kernels are needed. Null where WebAssembly SIMD is missing.
 */
// compiles nothing until called, so bundlers may drop unused kernel modules; @nabla/ops and
// @nabla/nn mark their calls /* @__PURE__ */, as a bundler reads this mark only in the same file
/* @__NO_SIDE_EFFECTS__ */
export function lazyWasmKernels<Exports>(base64: string, functions: Record<string, unknown> = {}): () => WasmKernels<Exports> | null {
  let kernels: WasmKernels<Exports> | null | undefined;
  return () => {
    if (kernels === undefined) kernels = instantiateWasmKernels<Exports>(base64, functions);
    return kernels;
  };
}

/**
 * Bytes for `count` float32 values in a kernel's memory: a multiple of 16 (so the next region is
 * aligned for vectors), plus 16 bytes of slack for kernels that read and write whole vectors up to
 * three values past the end.
 */
export function float32RegionBytes(count: number): number {
  return Math.ceil((count * 4) / 16) * 16 + 16;
}

/**
 * Grows `memory` (whole pages) until it holds at least `bytes`. False, leaving it as it is, when
 * that is more than WASM_MEMORY_LIMIT_BYTES: the caller then runs its JS kernel instead.
 */
export function growWasmMemory(memory: WasmMemory, bytes: number): boolean {
  if (bytes > WASM_MEMORY_LIMIT_BYTES) return false;
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / WASM_PAGE_BYTES));
  return true;
}

// Blocks of the WebAssembly heap owned by objects that are dropped, never freed by hand, and
// prints one JSON line of what the heap did. Run with `tsx --expose-gc test/tensor/wasm-heap-gc.ts`
// from the repository root; test/tensor/wasm-heap.test.ts runs it.
//
// FinalizationRegistry callbacks run only when the event loop turns: a synchronous loop must find
// the heap full (allocate returns null) rather than a heap that grows without bound, and a loop
// that awaits between rounds (after a collection) must find the blocks of dropped owners reused.
import { WasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/heap";
import { webAssembly } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

const LIMIT = 4 * 1024 * 1024;
const BLOCK = 64 * 1024;
const heap = new WasmHeap(new (webAssembly()!.Memory)({ initial: 1, maximum: LIMIT / 65536 }), LIMIT, false);
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Allocates `count` blocks, each owned by a fresh object that is dropped at once; the nulls. */
function allocateOwned(count: number): number {
  let nulls = 0;
  for (let i = 0; i < count; i++) {
    const owner = { index: i };
    const block = heap.allocate(BLOCK, owner);
    if (block === null) nulls++;
    else block.f32().fill(i);
  }
  return nulls;
}

// 1. synchronous: 4× what fits, without yielding; the heap stops at its limit
const syncNulls = allocateOwned((4 * LIMIT) / BLOCK);
const syncStats = heap.stats();

// 2. yielding and collecting: the dropped owners' blocks come back
for (let i = 0; i < 5 && heap.stats().liveBlocks > 0; i++) {
  gc();
  await turn();
}
const afterCollect = heap.stats();

// 3. many rounds of half the limit each, collecting between rounds: never a null, never past the limit
let roundNulls = 0;
let peak = 0;
for (let round = 0; round < 40; round++) {
  roundNulls += allocateOwned(LIMIT / 2 / BLOCK);
  peak = Math.max(peak, heap.stats().byteLength);
  gc();
  await turn();
}

console.log(JSON.stringify({ limit: LIMIT, syncNulls, syncStats, afterCollect, roundNulls, peak, final: heap.stats() }));

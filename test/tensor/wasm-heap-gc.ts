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

/** Collects and lets the event loop turn until no block is live (at most 10 times); the turns taken. */
async function collect(): Promise<number> {
  let turns = 0;
  while (heap.stats().liveBlocks > 0 && turns < 10) {
    gc!();
    await turn();
    turns++;
  }
  return turns;
}

// 2. yielding and collecting: the dropped owners' blocks come back
await collect();
const afterCollect = heap.stats();

// 3. many rounds of a quarter of the limit each, collecting between rounds: never a null, never
// past the limit (the finalizers may need more than one turn on a loaded machine: collect waits)
let roundNulls = 0;
let peak = 0;
for (let round = 0; round < 40; round++) {
  roundNulls += allocateOwned(LIMIT / 4 / BLOCK);
  peak = Math.max(peak, heap.stats().byteLength);
  await collect();
}

console.log(JSON.stringify({ limit: LIMIT, syncNulls, syncStats, afterCollect, roundNulls, peak, final: heap.stats() }));

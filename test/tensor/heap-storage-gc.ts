// float32 tensors whose storage lives in the WebAssembly heap, made and dropped in a training-like
// loop, never freed by hand; prints one JSON line of what the heap did. Run with
// `tsx --expose-gc test/tensor/heap-storage-gc.ts` from the repository root;
// test/tensor/heap-storage.test.ts runs it.
import { randn } from "@nabla/tensor";
import { WasmFloat32Buffer } from "../../packages/tensor/src/backends/cpu/wasm/float32-buffer";
import { WASM_STORAGE_LIMIT_BYTES, wasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const heap = wasmHeap()!;
const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** One step: a few [128, 256] float32 tensors made and dropped; how many of them lived in the heap. */
function step(w: ReturnType<typeof randn>): number {
  const x = randn([128, 256]);
  const y = x.mul(w).add(x).sub(w);
  return [x, y].filter((t) => t.storage.buffer instanceof WasmFloat32Buffer).length;
}

const w = randn([128, 256]);
// 1. synchronous: 200 steps (far more than the storage limit holds) without yielding
let syncInHeap = 0;
for (let i = 0; i < 200; i++) syncInHeap += step(w);
const syncOwned = heap.ownedBytes;

// 2. a collection and a few turns of the event loop give the dropped tensors' storage back
for (let i = 0; i < 10 && heap.ownedBytes > 2 * 128 * 256 * 4; i++) {
  gc();
  await turn();
}
const afterCollect = heap.ownedBytes;

// 3. 40 rounds of 20 steps, collecting and yielding between rounds: storage reused, the memory flat
let roundsInHeap = 0;
let peak = 0;
for (let round = 0; round < 40; round++) {
  for (let i = 0; i < 20; i++) roundsInHeap += step(w);
  peak = Math.max(peak, heap.stats().byteLength);
  gc();
  await turn();
}

console.log(
  JSON.stringify({
    storageLimit: WASM_STORAGE_LIMIT_BYTES,
    syncInHeap,
    syncOwned,
    afterCollect,
    roundsInHeap,
    peak,
    limit: heap.limitBytes,
  }),
);

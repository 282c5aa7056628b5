import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError } from "@nabla/tensor";
import { HEAP_ALIGN_BYTES, type HeapBlock, WASM_PAGE_BYTES, WasmHeap } from "../../packages/tensor/src/backends/cpu/wasm/heap";
import { ELEMENTWISE_WASM_BASE64 } from "../../packages/tensor/src/backends/cpu/wasm/elementwise-binary";
import { MATMUL_WASM_BASE64 } from "../../packages/tensor/src/backends/cpu/wasm/matmul-binary";
import { REDUCE_WASM_BASE64 } from "../../packages/tensor/src/backends/cpu/wasm/reduce-binary";
import {
  decodeBase64,
  importSharedMemory,
  WASM_MEMORY_LIMIT_BYTES,
  wasmHeap,
  webAssembly,
} from "../../packages/tensor/src/backends/cpu/wasm/wasm-api";
import { SOFTMAX_WASM_BASE64 } from "../../packages/tensor/src/backends/cpu/wasm/softmax-binary";
import { UPDATES_WASM_BASE64 } from "../../packages/tensor/src/backends/cpu/wasm/updates-binary";
import { matmul, randn, tensor } from "@nabla/tensor";
import { softmax } from "@nabla/ops";
import { optim } from "@nabla/nn";
import { withKernels } from "../support/kernels";

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = fileURLToPath(new URL("../../examples/node_modules/.bin/tsx", import.meta.url));

const wasm = webAssembly()!;
const freshHeap = (limit: number) => new WasmHeap(new wasm.Memory({ initial: 1, maximum: limit / WASM_PAGE_BYTES }), limit, false);

/** Every live block is aligned, inside the memory, holds what it asked for, and overlaps no other. */
function expectDisjoint(heap: WasmHeap, live: { block: HeapBlock; requested: number }[]): void {
  const { byteLength } = heap.stats();
  const sorted = [...live].sort((x, y) => x.block.ptr - y.block.ptr);
  let end = HEAP_ALIGN_BYTES;
  for (const { block, requested } of sorted) {
    expect(block.ptr % HEAP_ALIGN_BYTES).toBe(0);
    expect(block.bytes % HEAP_ALIGN_BYTES).toBe(0);
    expect(block.bytes).toBeGreaterThanOrEqual(requested);
    expect(block.ptr).toBeGreaterThanOrEqual(end);
    end = block.ptr + block.bytes;
  }
  expect(end).toBeLessThanOrEqual(byteLength);
}

describe("the WebAssembly heap's allocator", () => {
  // a script of allocations (a size) and frees (an index into the live blocks)
  const steps = fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 300_000 }).map((bytes) => ({ bytes })),
      fc.nat().map((pick) => ({ pick })),
    ),
    {
      maxLength: 60,
    },
  );

  it("hands out aligned blocks that never overlap, keep their data across growth, and coalesce when freed", () => {
    fc.assert(
      fc.property(steps, (script) => {
        const limit = 4 * 1024 * 1024;
        const heap = freshHeap(limit);
        const live: { block: HeapBlock; requested: number; mark: number }[] = [];
        let mark = 0;
        for (const step of script) {
          if ("bytes" in step) {
            const block = heap.allocate(step.bytes);
            const used = live.reduce((total, { block }) => total + block.bytes, 0);
            if (block === null) {
              // null only when it cannot fit within the limit
              expect(heap.largestAvailable()).toBeLessThan(step.bytes);
              continue;
            }
            // every block's view is taken after the allocation, which may have grown the memory
            block.f32().fill(++mark);
            live.push({ block, requested: step.bytes, mark });
            expect(heap.stats().usedBytes).toBe(used + block.bytes);
          } else if (live.length > 0) {
            const { block } = live.splice(step.pick % live.length, 1)[0]!;
            block.free();
            expect(block.freed).toBe(true);
          }
          expectDisjoint(heap, live);
          expect(heap.stats().byteLength).toBeLessThanOrEqual(limit);
        }
        for (const { block, mark } of live) expect(block.f32().every((value) => value === mark)).toBe(true);
        const grown = heap.stats().byteLength;
        for (const { block } of live) block.free();
        expect(heap.stats()).toMatchObject({ usedBytes: 0, liveBlocks: 0, freeRegions: 1 });
        // everything freed: the whole memory is one region again, and the same script fits without growing
        for (const step of script) if ("bytes" in step && step.bytes <= grown - HEAP_ALIGN_BYTES) heap.allocate(step.bytes)?.free();
        expect(heap.stats().byteLength).toBe(grown);
      }),
      { numRuns: 60 },
    );
  });

  it("reuses a freed block's place for a block that fits in it", () => {
    const heap = freshHeap(4 * 1024 * 1024);
    const a = heap.allocate(1000)!;
    const b = heap.allocate(5000)!;
    heap.allocate(100);
    b.free();
    expect(heap.allocate(4000)!.ptr).toBe(b.ptr);
    a.free();
    expect(heap.allocate(17)!.ptr).toBe(a.ptr);
  });

  it("returns null, growing nothing, past its limit; what fits still does", () => {
    const limit = 2 * 1024 * 1024;
    const heap = freshHeap(limit);
    expect(heap.allocate(limit)).toBeNull();
    const big = heap.allocate(limit - 64 * 1024)!;
    expect(big).not.toBeNull();
    expect(heap.allocate(64 * 1024)).toBeNull();
    expect(heap.allocate(1024)).not.toBeNull();
    expect(heap.stats().byteLength).toBe(limit);
    big.free();
    expect(heap.allocate(limit / 2)).not.toBeNull();
  });

  it("grows in steps, and a block's view follows the memory's new buffer", () => {
    const heap = freshHeap(8 * 1024 * 1024);
    const block = heap.allocate(256)!;
    const before = block.f32();
    before.set([1, 2, 3]);
    heap.allocate(3 * 1024 * 1024);
    expect(heap.stats().byteLength).toBe(4 * 1024 * 1024);
    // growing detached the old buffer (a plain memory): the block makes a new view over the same bytes
    expect(before.length).toBe(0);
    expect(Array.from(block.f32().subarray(0, 3))).toEqual([1, 2, 3]);
  });

  it("reserves room so that blocks of that much in all, taken after, grow nothing and detach no view", () => {
    const heap = freshHeap(8 * 1024 * 1024);
    heap.allocate(100);
    expect(heap.reserve(3 * 1024 * 1024)).toBe(true);
    const { byteLength } = heap.stats();
    expect(byteLength).toBeGreaterThanOrEqual(3 * 1024 * 1024);
    const view = heap.allocate(1024)!.f32();
    // scratch blocks come and go (as a kernel's), up to the reservation
    for (const bytes of [1024 * 1024, 2 * 1024 * 1024 - 4096, 1024]) heap.allocate(bytes)!.free();
    heap.allocate(3 * 1024 * 1024 - 2048);
    expect(heap.stats().byteLength).toBe(byteLength);
    expect(view.length).toBe(256);
    // already there: nothing to grow; past the limit: false
    expect(heap.reserve(1024)).toBe(true);
    expect(heap.stats().byteLength).toBe(byteLength);
    expect(heap.reserve(8 * 1024 * 1024)).toBe(false);
  });

  it("refuses the view of a freed block, and a byte count that is not one", () => {
    const heap = freshHeap(1024 * 1024);
    const block = heap.allocate(64)!;
    block.free();
    block.free();
    expect(() => block.f32()).toThrow(NablaError);
    expect(() => block.f32()).toThrow("wasmHeap: the block of 64 bytes at 16 was freed; it has no data");
    expect(() => heap.allocate(-1)).toThrow("wasmHeap: expected a byte count (an integer ≥ 0), got -1");
    expect(() => heap.allocate(1.5)).toThrow(NablaError);
  });

  it("frees blocks whose owners were collected, once the event loop turns; a loop that never yields gets null at the limit", () => {
    const output = execFileSync(tsx, ["--expose-gc", "test/tensor/wasm-heap-gc.ts"], { cwd: root, encoding: "utf8", timeout: 60_000 });
    const result = JSON.parse(output.trim().split("\n").pop()!);
    const limit = result.limit as number;
    // synchronous: filled to the limit, then null for the rest (about 3/4 of the requests)
    expect(result.syncStats.byteLength).toBe(limit);
    expect(result.syncNulls).toBeGreaterThan(0);
    // after a collection and a turn of the event loop every dropped owner's block is back
    expect(result.afterCollect).toMatchObject({ liveBlocks: 0, usedBytes: 0, freeRegions: 1 });
    // rounds of a quarter of the limit with a collection between them: blocks reused, never a null
    expect(result.roundNulls).toBe(0);
    expect(result.peak).toBeLessThanOrEqual(limit);
  });
});

describe("one WebAssembly memory for every kernel module", () => {
  it("every module assembled for a plain memory imports a shared one after importSharedMemory", () => {
    for (const base64 of [ELEMENTWISE_WASM_BASE64, MATMUL_WASM_BASE64, REDUCE_WASM_BASE64, SOFTMAX_WASM_BASE64, UPDATES_WASM_BASE64]) {
      const plain = decodeBase64(base64);
      const shared = importSharedMemory(plain);
      const memory = new wasm.Memory({ initial: 1, maximum: 16, shared: true });
      const env = { memory, log: Math.log };
      expect(() => new wasm.Instance(new wasm.Module(shared), { env })).not.toThrow();
      expect(() => new wasm.Instance(new wasm.Module(plain), { env })).toThrow();
      expect(Array.from(plain.keys()).filter((i) => plain[i] !== shared[i])).toHaveLength(1);
    }
  });

  it("the kernels of all three packages give their scratch back: nothing stays live after a call", () => {
    const heap = wasmHeap()!;
    expect(heap.limitBytes).toBe(WASM_MEMORY_LIMIT_BYTES);
    withKernels("wasm", () => {
      matmul(randn([70, 90]), randn([90, 50]));
      // blocks that are not storage: matmul's control block for its worker, kept for good
      const scratch = () => heap.stats().liveBlocks - heap.stats().ownedBlocks;
      const live = scratch();
      const x = randn([300, 300]);
      x.mul(x).sum(0).sum();
      softmax(x, -1);
      const p = randn([1000]);
      p.requiresGrad = true;
      p.grad = randn([1000]);
      new optim.Adam([p]).step();
      expect(
        Array.from(
          tensor([1, 2])
            .add(tensor([3, 4]))
            .data(),
        ),
      ).toEqual([4, 6]);
      expect(scratch()).toBe(live);
      expect(heap.stats().byteLength).toBeLessThanOrEqual(WASM_MEMORY_LIMIT_BYTES);
    });
  });
});

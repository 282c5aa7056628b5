// Measures the WebAssembly heap, outside `pnpm bench` (no peers, no report):
//   1. a·b + c over 1e6 float32 values: today's kernels (operands copied into the heap, results
//      copied out into fresh arrays) against WasmFloat32Buffers that live in the heap (binaryInPlace
//      on their pointers), with outputs reused and with fresh outputs each time;
//   2. the heap's size, its live blocks and the process RSS over a loop of many kernel calls.
// Run from packages/bench: node --expose-gc --import tsx src/wasm-heap.ts
import { matmul, randn, setKernelPreference, type Tensor } from "@nabla/tensor";
import { softmax } from "@nabla/ops";
import { optim } from "@nabla/nn";
import { binaryInPlace, zipBinarySimd } from "../../tensor/src/backends/cpu/wasm/elementwise";
import { WasmFloat32Buffer } from "../../tensor/src/backends/cpu/wasm/float32-buffer";
import { wasmHeap } from "../../tensor/src/backends/cpu/wasm/wasm-api";

const N = 1_000_000;
const REPEATS = 200;
const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

/** The median time of one call of `fn` in ms, over REPEATS calls after a warm-up. */
function median(fn: () => void): number {
  for (let i = 0; i < 20; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = performance.now();
    fn();
    times.push(performance.now() - start);
  }
  times.sort((x, y) => x - y);
  return Math.round(times[REPEATS >> 1]! * 1000) / 1000;
}

const random = () => Float32Array.from({ length: N }, () => Math.random() * 2 - 1);
const [x, y, z] = [random(), random(), random()];
const whole = (data: Float32Array) => ({ data, shape: [N], strides: [1], offset: 0 });

setKernelPreference("wasm");
const copying = median(() => {
  const t = new Float32Array(N);
  zipBinarySimd("mul", whole(x), whole(y), t);
  const out = new Float32Array(N);
  zipBinarySimd("add", whole(t), whole(z), out);
});
const [a, b, c, t, out] = [
  WasmFloat32Buffer.from(x)!,
  WasmFloat32Buffer.from(y)!,
  WasmFloat32Buffer.from(z)!,
  WasmFloat32Buffer.allocate(N)!,
  WasmFloat32Buffer.allocate(N)!,
];
const inHeapReused = median(() => {
  binaryInPlace("mul", a.ptr, b.ptr, t.ptr, N);
  binaryInPlace("add", t.ptr, c.ptr, out.ptr, N);
});
const inHeapFresh = median(() => {
  const product = WasmFloat32Buffer.allocate(N)!;
  binaryInPlace("mul", a.ptr, b.ptr, product.ptr, N);
  const sum = WasmFloat32Buffer.allocate(N)!;
  binaryInPlace("add", product.ptr, c.ptr, sum.ptr, N);
  product.free();
  sum.free();
});
const js = median(() => {
  const product = new Float32Array(N);
  for (let i = 0; i < N; i++) product[i] = x[i]! * y[i]!;
  const sum = new Float32Array(N);
  for (let i = 0; i < N; i++) sum[i] = product[i]! + z[i]!;
});
let same = 0;
const check = new Float32Array(N);
zipBinarySimd("mul", whole(x), whole(y), check);
zipBinarySimd("add", whole(check), whole(z), check);
const got = out.data();
for (let i = 0; i < N; i++) if (Object.is(got[i], check[i])) same++;
console.log(JSON.stringify({ fma1e6ms: { js, copying, inHeapReused, inHeapFresh }, identical: same === N }));
for (const buffer of [a, b, c, t, out]) buffer.free();

// 2. memory over many kernel calls, through the public API (auto kernels)
setKernelPreference("auto");
const gc = (globalThis as { gc?: () => void }).gc!;
const p = randn([512, 512]);
p.requiresGrad = true;
const adam = new optim.Adam([p]);
function calls(): Tensor {
  const u = randn([256, 1024]);
  const v = u.mul(u).add(u).sum(0);
  const w = softmax(u, -1);
  p.grad = randn([512, 512]);
  adam.step();
  return matmul(w.mT, u).add(v.sum());
}
const heap = wasmHeap()!;
const rows: unknown[] = [];
for (let i = 1; i <= 300; i++) {
  calls();
  if (i === 1 || i % 100 === 0) {
    gc();
    const { byteLength, liveBlocks, usedBytes } = heap.stats();
    rows.push({ calls: i, heapMiB: mib(byteLength), liveBlocks, usedBytes, rssMiB: mib(process.memoryUsage().rss) });
  }
}
console.log(JSON.stringify({ loop: rows }));

// Trains a 2→16→1 tanh MLP by full-batch gradient descent, with SGD written inline (noGrad + sub_),
// and prints one JSON line: the loss before and after and how much the heap and the typed-array
// buffers grew between a warmed-up start and the end, each measured after a full GC. Run with
// `tsx --expose-gc test/tensor/memory-train.ts [steps]` from the repository root;
// test/tensor/memory.test.ts runs it.
import { manualSeed, noGrad, randn, zeros, type Tensor } from "@nabla/tensor";

const steps = Number(process.argv[2] ?? 10_000);
const warmup = 200;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");

manualSeed(0);
const inputs = randn([64, 2]);
const targets = inputs.select(1, 0).sin().mul(inputs.select(1, 1).cos()).unsqueeze(1);
const parameter = (t: Tensor) => {
  t.requiresGrad = true;
  return t;
};
const w1 = parameter(randn([2, 16]).mul(0.5));
const b1 = parameter(zeros([16]));
const w2 = parameter(randn([16, 1]).mul(0.25));
const b2 = parameter(zeros([1]));
const parameters = [w1, b1, w2, b2];

function step(): number {
  const hidden = inputs.matmul(w1).add(b1).tanh();
  const loss = hidden.matmul(w2).add(b2).sub(targets).square().mean();
  loss.backward();
  noGrad(() => {
    for (const p of parameters) {
      p.sub_(p.grad!.mul(0.1));
      p.grad = null;
    }
  });
  return loss.item() as number;
}

function measure(): { heap: number; buffers: number } {
  gc!();
  gc!();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
}

const firstLoss = step();
for (let i = 1; i < warmup; i++) step();
const before = measure();
const started = performance.now();
let lastLoss = firstLoss;
for (let i = 0; i < steps; i++) lastLoss = step();
const ms = performance.now() - started;
const after = measure();
console.log(
  JSON.stringify({ steps, firstLoss, lastLoss, heapGrowth: after.heap - before.heap, bufferGrowth: after.buffers - before.buffers, ms }),
);

// conv2d forward + backward at a CNN layer's size: input [32, 16, 32, 32], weight [32, 16, 3, 3],
// padding 1. Run after `pnpm build`: pnpm --filter @nabla/bench conv2d
import { conv2d } from "@nabla/ops";
import { manualSeed, randn } from "@nabla/tensor";

const REPEATS = 5;

manualSeed(0);
const x = randn([32, 16, 32, 32], { requiresGrad: true });
const weight = randn([32, 16, 3, 3], { requiresGrad: true });
const bias = randn([32], { requiresGrad: true });
const cotangent = randn([32, 32, 32, 32]);

function step(): { forward: number; backward: number } {
  x.grad = null;
  weight.grad = null;
  bias.grad = null;
  const start = performance.now();
  const y = conv2d(x, weight, bias, { padding: 1 });
  const middle = performance.now();
  y.backward(cotangent);
  return { forward: middle - start, backward: performance.now() - middle };
}

step(); // warm-up: compiles the kernels' paths
const times = Array.from({ length: REPEATS }, step);
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const forward = median(times.map((t) => t.forward));
const backward = median(times.map((t) => t.backward));
console.log(
  `conv2d [32, 16, 32, 32] * [32, 16, 3, 3], padding 1: forward ${forward.toFixed(1)} ms, backward ${backward.toFixed(1)} ms, total ${(forward + backward).toFixed(1)} ms (median of ${REPEATS})`,
);

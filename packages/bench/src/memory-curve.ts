import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DataLoader, Linear, ReLU, readCsv, Sequential, TensorDataset, optim } from "@nabla/nn";
import { crossEntropy } from "@nabla/ops";
import { manualSeed } from "@nabla/tensor";
import { wasmMemoryBytes } from "@nabla/tensor/internal";

const USAGE = `Usage: pnpm bench:memory [--steps 20000] [--every 1000] [--yield-every 0]

Trains the digits MLP (64 → 128 → 64 → 10, Adam, batch 32) for --steps optimisation steps and
prints resident memory, JS heap + external memory and WebAssembly memory every --every steps.
--yield-every N awaits the event loop every N steps (0: never), as an asynchronous training loop
would: collected tensors are reclaimed only when it turns.`;

const digitsCsv = fileURLToPath(new URL("../../../examples/data/digits.csv", import.meta.url));

function options() {
  const { values } = parseArgs({
    options: {
      steps: { type: "string", default: "20000" },
      every: { type: "string", default: "1000" },
      "yield-every": { type: "string", default: "0" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${value}\n${USAGE}`);
    return n;
  };
  return {
    steps: count("steps", values.steps),
    every: Math.max(1, count("every", values.every)),
    yieldEvery: count("yield-every", values["yield-every"]),
  };
}

const MB = 2 ** 20;
const megabytes = (bytes: number) => (bytes / MB).toFixed(1);

function sample(step: number): string {
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return `| ${step} | ${megabytes(usage.rss)} | ${megabytes(usage.heapUsed + usage.external)} | ${megabytes(wasmMemoryBytes())} |`;
}

async function main(): Promise<void> {
  const { steps, every, yieldEvery } = options();
  manualSeed(0);
  const { features, labels } = readCsv(readFileSync(digitsCsv, "utf8"));
  const model = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 64), new ReLU(), new Linear(64, 10));
  const optimizer = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new DataLoader(new TensorDataset(features.div(16), labels!), { batchSize: 32, shuffle: true, seed: 0 });
  console.log(
    `digits MLP, Adam, batch 32, ${steps} steps, ${yieldEvery === 0 ? "never yielding" : `yielding every ${yieldEvery} steps`}\n`,
  );
  console.log("| step | RSS (MB) | JS heap + external (MB) | WebAssembly memory (MB) |");
  console.log("|---:|---:|---:|---:|");
  console.log(sample(0));
  let step = 0;
  const started = performance.now();
  while (step < steps) {
    for (const [x, y] of loader) {
      const loss = crossEntropy(model.forward(x!), y!);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      step++;
      if (yieldEvery > 0 && step % yieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
      if (step % every === 0) console.log(sample(step));
      if (step === steps) break;
    }
  }
  console.log(`\n${((performance.now() - started) / steps).toFixed(3)} ms per step`);
}

await main();

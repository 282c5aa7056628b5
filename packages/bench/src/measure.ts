import type { Case } from "./tasks";

/** How long to warm up and how many repetitions to time. */
export interface Plan {
  /** Warm-up runs continue until both counts are reached: at least this many runs… */
  warmupRuns: number;
  /** …and at least this much time (jit compilation and wasm tiering happen here). */
  warmupMs: number;
  minReps: number;
  maxReps: number;
  /** Repetitions beyond `minReps` are added while the total stays under this. */
  budgetMs: number;
  /** A first run longer than this ends the warm-up and caps the repetitions at `minReps`. */
  slowRunMs: number;
}

export const FULL_PLAN: Plan = { warmupRuns: 2, warmupMs: 300, minReps: 5, maxReps: 30, budgetMs: 2500, slowRunMs: 1500 };
/** Whole training runs: one warm-up and a median of three. */
export const LONG_PLAN: Plan = { warmupRuns: 1, warmupMs: 0, minReps: 3, maxReps: 3, budgetMs: 0, slowRunMs: Infinity };
export const QUICK_PLAN: Plan = { warmupRuns: 1, warmupMs: 0, minReps: 2, maxReps: 2, budgetMs: 0, slowRunMs: Infinity };
const SLOW_REPS = 3;

export interface Timing {
  /** Milliseconds per repetition, in the order they ran. */
  samples: number[];
  median: number;
  min: number;
  max: number;
}

/** Memory growth while a case was set up and run, against a baseline taken before its setup. */
export interface MemoryGrowth {
  /** Peak resident set size above the baseline (includes wasm memories), in MB. */
  peakRssMB: number;
  /** Peak JS heap plus external (typed array) memory above the baseline, in MB. */
  peakHeapMB: number;
}

export class MemoryProbe {
  private readonly baseRss: number;
  private readonly baseHeap: number;
  private peakRss: number;
  private peakHeap: number;

  constructor() {
    collectGarbage();
    const usage = process.memoryUsage();
    this.baseRss = this.peakRss = usage.rss;
    this.baseHeap = this.peakHeap = usage.heapUsed + usage.external;
  }

  sample(): void {
    const usage = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, usage.rss);
    this.peakHeap = Math.max(this.peakHeap, usage.heapUsed + usage.external);
  }

  growth(): MemoryGrowth {
    const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    return { peakRssMB: mb(this.peakRss - this.baseRss), peakHeapMB: mb(this.peakHeap - this.baseHeap) };
  }
}

/** A full collection when Node runs with --expose-gc (the bench script passes it), so baselines start clean. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Warms the case up, then times repetitions of `run` and returns their median with min and max. */
export async function time(c: Case, plan: Plan, memory: MemoryProbe): Promise<Timing> {
  const warmupStart = performance.now();
  await c.run();
  memory.sample();
  const slow = performance.now() - warmupStart > plan.slowRunMs;
  for (let i = 1; !slow && (i < plan.warmupRuns || performance.now() - warmupStart < plan.warmupMs); i++) {
    await c.run();
    memory.sample();
  }
  const minReps = slow ? Math.min(SLOW_REPS, plan.minReps) : plan.minReps;
  const samples: number[] = [];
  let total = 0;
  while (samples.length < minReps || (!slow && samples.length < plan.maxReps && total + median(samples) <= plan.budgetMs)) {
    const start = performance.now();
    await c.run();
    const elapsed = performance.now() - start;
    memory.sample();
    samples.push(elapsed);
    total += elapsed;
    // let the event loop turn between repetitions, untimed, as an application's frames or an
    // asynchronous loop do (finalizers, in which nabla gives heap storage back, run only at such a
    // turn, and only after a full collection)
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { samples, median: median(samples), min: Math.min(...samples), max: Math.max(...samples) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

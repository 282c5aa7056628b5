/**
 * A second thread for the SIMD matmul: one worker that instantiates the same kernel module over
 * the same shared memory and computes a range of C's rows while the main thread computes the rest.
 * The caller blocks (Atomics.wait) until the worker is done, so matmul stays synchronous.
 *
 * Only where that is possible: Node (workers come from `process.getBuiltinModule`, so nothing is
 * imported where it does not exist) with shared WebAssembly memory. Browsers do not let the main
 * thread block, and get the single-threaded kernel. The worker starts on the first product big
 * enough to split and is ready a few tens of milliseconds later; until then products run on one
 * thread. It is unref'd: it never keeps a process alive.
 */

import type { WasmMemory, WasmModule } from "./wasm-api";

/** Slots of the control block, an Int32Array over a block of the shared heap kept for it. */
const STATE = 0;
const READY = 1;
const FAILED = 2;
const ARGS = 3; // 9 arguments of gemm, then the dtype flag
export const CONTROL_BYTES = 64;

const IDLE = 0;
const RUN = 1;

// The worker runs the kernel whenever STATE turns RUN, then sets it back to IDLE and wakes the
// main thread. A trap is reported through FAILED rather than left to kill the thread mid-task.
const WORKER_SOURCE = `
const { workerData } = process.getBuiltinModule("node:worker_threads");
const { module, memory, controlPtr } = workerData;
const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports;
const control = new Int32Array(memory.buffer, controlPtr, ${CONTROL_BYTES / 4});
Atomics.store(control, ${READY}, 1);
for (;;) {
  Atomics.wait(control, ${STATE}, ${IDLE});
  if (Atomics.load(control, ${STATE}) !== ${RUN}) continue;
  const args = Array.from(control.subarray(${ARGS}, ${ARGS + 9}));
  try {
    (control[${ARGS + 9}] ? kernels.gemmF64 : kernels.gemmF32)(...args);
  } catch {
    Atomics.store(control, ${FAILED}, 1);
  }
  Atomics.store(control, ${STATE}, ${IDLE});
  Atomics.notify(control, ${STATE});
}
`;

interface WorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true; workerData: unknown; execArgv: string[] },
  ) => { unref(): void; on(event: "error", listener: (error: unknown) => void): void };
}

/** node:worker_threads where the runtime has it (Node ≥ 20.16), else null; never an import. */
export function workerThreads(): WorkerThreads | null {
  const runtime = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return (runtime?.getBuiltinModule?.("node:worker_threads") as WorkerThreads | undefined) ?? null;
  } catch {
    return null;
  }
}

export class MatmulHelper {
  private readonly control: Int32Array;
  private started = false;

  /** `controlPtr`: a block of CONTROL_BYTES in `memory` that stays the helper's (a shared memory never detaches its buffer, so the view stays valid). */
  constructor(
    private readonly module: WasmModule,
    private readonly memory: WasmMemory,
    private readonly controlPtr: number,
  ) {
    this.control = new Int32Array(memory.buffer, controlPtr, CONTROL_BYTES / 4);
  }

  /** Whether the worker can take work now; the first call starts it (it is ready on a later one). */
  available(): boolean {
    if (!this.started) {
      this.started = true;
      const threads = workerThreads();
      if (threads === null) return false;
      try {
        // execArgv: [] so the worker, plain CommonJS, does not inherit flags such as
        // --input-type=module or a loader from the main thread
        const worker = new threads.Worker(WORKER_SOURCE, {
          eval: true,
          workerData: { module: this.module, memory: this.memory, controlPtr: this.controlPtr },
          execArgv: [],
        });
        worker.on("error", () => Atomics.store(this.control, FAILED, 1));
        worker.unref();
      } catch {
        return false;
      }
    }
    return Atomics.load(this.control, READY) === 1 && Atomics.load(this.control, FAILED) === 0;
  }

  /** Hands gemm(...args) to the worker; `wait` blocks until it has finished. */
  start(args: readonly number[], double: boolean): void {
    this.control.set(args, ARGS);
    this.control[ARGS + args.length] = double ? 1 : 0;
    Atomics.store(this.control, STATE, RUN);
    Atomics.notify(this.control, STATE);
  }

  /** Blocks until the worker's share is done; false if it failed (the caller then computes it). */
  wait(): boolean {
    while (Atomics.load(this.control, STATE) === RUN) Atomics.wait(this.control, STATE, RUN);
    return Atomics.load(this.control, FAILED) === 0;
  }

  /** Resolves once the worker is ready (true), or false if it cannot start or fails to; for tests. */
  async ready(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.available()) {
      if (workerThreads() === null || Atomics.load(this.control, FAILED) !== 0 || Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return true;
  }
}

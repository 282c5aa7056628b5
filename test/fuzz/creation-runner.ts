// Runs the properties of creation-rows.ts for creation.test.ts, which starts this script with tsx:
// `tsx test/fuzz/creation-runner.ts <seed> <runs> <first property> <call limit ms>`. Property 2i is
// row i with well-typed arguments, 2i + 1 with hostile ones. Before each call it writes the property
// and the case to stderr; after each property one JSON line to stdout:
// `{ "property": p, "failure": report or null }`. A watchdog thread ends the process when a call has
// not returned within the limit, after writing that property's line with the failure "hung".
import { writeSync } from "node:fs";
import { Worker } from "node:worker_threads";
import fc from "fast-check";
import { callCaseArb, callProblems } from "../support/fuzz-calls";
import { CREATION_ROWS } from "./creation-rows";

const [seed, runs, first, callLimitMs] = process.argv.slice(2).map(Number) as [number, number, number, number];

// progress[0] counts calls begun and ended, progress[1] is the property under way
const progress = new Int32Array(new SharedArrayBuffer(8));
const WATCHDOG = `
const { workerData } = require("node:worker_threads");
const { writeSync } = require("node:fs");
const progress = new Int32Array(workerData.buffer);
let seen = -1;
let since = Date.now();
setInterval(() => {
  const count = Atomics.load(progress, 0);
  if (count !== seen) {
    seen = count;
    since = Date.now();
  } else if (count % 2 === 1 && Date.now() - since > workerData.limit) {
    writeSync(1, JSON.stringify({ property: Atomics.load(progress, 1), failure: "hung" }) + "\\n");
    process.kill(process.pid, "SIGKILL");
  }
}, 50);
`;
new Worker(WATCHDOG, { eval: true, workerData: { buffer: progress.buffer, limit: callLimitMs } }).unref();

for (let p = first; p < 2 * CREATION_ROWS.length; p++) {
  const row = CREATION_ROWS[Math.floor(p / 2)]!;
  Atomics.store(progress, 1, p);
  const property = fc.property(callCaseArb(row, p % 2 === 1), (callCase) => {
    writeSync(2, `${p} ${fc.stringify(callCase)}\n`);
    Atomics.add(progress, 0, 1);
    try {
      const problems = callProblems(row, callCase);
      if (problems.length > 0) throw new Error(problems.join("\n"));
    } finally {
      Atomics.add(progress, 0, 1);
    }
  });
  const details = fc.check(property, { seed: seed + p, numRuns: runs });
  const failure = details.failed
    ? `${fc.defaultReportMessage(details) ?? ""}\nGot: ${(details.errorInstance as Error | undefined)?.message ?? String(details.errorInstance)}`
    : null;
  writeSync(1, `${JSON.stringify({ property: p, failure })}\n`);
}

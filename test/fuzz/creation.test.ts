import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { fuzzRuns, fuzzSeed, fuzzTimeout } from "../support/fuzz-checks";
import { CREATION_ROWS } from "./creation-rows";

// The creation and random functions, fuzzed as the other functions of @nabla/tensor
// (api-tensor.test.ts) but in a child process (creation-runner.ts), because their failure can be a
// loop that never ends (a rejection sampler whose bound no draw can meet). A call that does not
// return within CALL_LIMIT_MS fails its row, naming the arguments; the rows after it run in a new
// process.

const root = fileURLToPath(new URL("../..", import.meta.url));
const tsx = fileURLToPath(new URL("../../examples/node_modules/.bin/tsx", import.meta.url));
const RUNS = fuzzRuns(40);
/** Every call here takes microseconds; a call still running after this is taken to never return. */
const CALL_LIMIT_MS = 3_000;
const SEED = fuzzSeed();

interface Run {
  stdout: string;
  stderr: string;
  status: number | null;
}

function runFrom(first: number): Promise<Run> {
  return new Promise((resolve) => {
    const args = ["test/fuzz/creation-runner.ts", String(SEED), String(RUNS), String(first), String(CALL_LIMIT_MS)];
    const child = spawn(tsx, args, { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-1_000_000)));
    child.on("close", (status) => resolve({ stdout, stderr, status }));
  });
}

/** Each property's failure report, or null when it held. */
const reports = new Map<number, string | null>();

async function runProperties(): Promise<void> {
  for (let first = 0; first < 2 * CREATION_ROWS.length; ) {
    const run = await runFrom(first);
    const lastCase = run.stderr
      .trimEnd()
      .split("\n")
      .filter((line) => /^\d+ /.test(line))
      .at(-1);
    for (const line of run.stdout.split("\n").filter((l) => l.startsWith("{"))) {
      const { property, failure } = JSON.parse(line) as { property: number; failure: string | null };
      const hung = `the call did not return within ${CALL_LIMIT_MS} ms; property seed ${SEED + property}; case:\n${lastCase?.slice(lastCase.indexOf(" ") + 1)}`;
      reports.set(property, failure === "hung" ? hung : failure);
      first = property + 1;
    }
    if (run.status === 0) break;
    if (!reports.has(first - 1) || reports.get(first - 1)?.startsWith("the call did not return") !== true) {
      // the process died some other way, in the property after the last one reported
      reports.set(first, `the process ended with status ${run.status}:\n${run.stderr.slice(-2000)}`);
      first += 1;
    }
  }
}

describe("creation and random functions with random and hostile arguments, in time", () => {
  beforeAll(runProperties, fuzzTimeout(120_000));

  const properties = CREATION_ROWS.flatMap((row, i) => [
    [`${row.name} with well-typed arguments`, 2 * i] as const,
    [`${row.name} with hostile arguments`, 2 * i + 1] as const,
  ]);
  it.each(properties)("%s", (_name, property) => {
    expect(reports.has(property), "the property ran").toBe(true);
    const failure = reports.get(property);
    if (failure) expect.fail(`FUZZ_SEED=${SEED}\n${failure}`);
  });
});

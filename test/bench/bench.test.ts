import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// `pnpm bench --quick` end to end, in a child process as a user runs it: tiny sizes, every peer.
// The timings are meaningless at these sizes; what is checked is that every workload ran on nabla
// and that every peer has a cell (a peer that cannot load is reported, not fatal).

const benchDir = fileURLToPath(new URL("../../packages/bench/", import.meta.url));
const WORKLOADS = ["W1 N=16", "W1 N=32", "W1ᵀ N=32", "W2", "W3", "W4", "W5", "W6 axis 0", "W6 axis 1", "W7", "W8", "W9", "W10", "LN"];
const PEERS = [
  ["nabla", "nabla"],
  ["tfjs-cpu", "TF.js cpu"],
  ["tfjs-wasm", "TF.js wasm"],
  ["jax-js", "jax-js wasm"],
] as const;

interface Cell {
  status: "ok" | "error" | "skipped" | "unavailable";
  value?: number;
  accuracy?: number;
  error?: string;
}
interface Results {
  meta: { quick: boolean };
  peers: { name: string; status: string }[];
  workloads: { id: string; cells: Record<string, Cell>; ratios: Record<string, number | null> }[];
  bundles: { name: string; gzipBytes: number | null }[];
}

let outDir: string;
let stdout: string;
let results: Results;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "nabla-bench-"));
  const outFile = join(outDir, "results.json");
  const run = await promisify(execFile)(process.execPath, ["--expose-gc", "--import", "tsx", "src/main.ts", "--quick", "--out", outFile], {
    cwd: benchDir,
    maxBuffer: 16 * 2 ** 20,
  });
  stdout = run.stdout;
  results = JSON.parse(readFileSync(outFile, "utf8")) as Results;
}, 120_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** The main table: rows of cells, keyed by the first cell (the workload id). */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split("\n")) {
    if (!WORKLOADS.some((id) => line.startsWith(`| ${id} |`))) continue;
    const cells = line.slice(2, -2).split(" | ");
    if (!rows.has(cells[0]!)) rows.set(cells[0]!, cells); // the speed table comes first
  }
  return rows;
}

describe("pnpm bench --quick", () => {
  it("prints one speed row per workload with a column for every peer and every ratio", () => {
    const header = stdout.split("\n").find((line) => line.startsWith("| workload |"))!;
    expect(header).toBe("| workload | nabla | TF.js cpu | TF.js wasm | jax-js wasm | ×TF.js cpu | ×TF.js wasm | ×jax-js wasm | targets |");
    const rows = tableRows(stdout);
    expect([...rows.keys()]).toEqual(WORKLOADS);
    for (const [id, cells] of rows) {
      expect(cells, id).toHaveLength(9);
      expect(cells[1], `nabla on ${id}`).toMatch(/^\d[\d.]* (GFLOP\/s|ms|µs\/op|s) \(/);
    }
  });

  it("writes results.json with every workload, every peer, and nabla measured everywhere", () => {
    expect(results.meta.quick).toBe(true);
    expect(results.peers.map((p) => p.name)).toEqual(PEERS.map(([name]) => name));
    expect(results.workloads.map((w) => w.id)).toEqual(WORKLOADS);
    for (const workload of results.workloads) {
      const nabla = workload.cells.nabla!;
      expect(nabla, `nabla on ${workload.id}: ${nabla.error ?? ""}`).toMatchObject({ status: "ok" });
      expect(nabla.value).toBeGreaterThan(0);
      for (const [name] of PEERS) {
        const cell = workload.cells[name];
        // a peer's own code must not fail; a peer that could not load is marked, not fatal
        expect(["ok", "skipped", "unavailable"], `${name} on ${workload.id}: ${cell?.error ?? ""}`).toContain(cell?.status);
        if (name !== "nabla") expect(workload.ratios).toHaveProperty(name);
      }
    }
  });

  it("reports the digits accuracy of every library that trained", () => {
    const digits = results.workloads.find((w) => w.id === "W8")!;
    for (const cell of Object.values(digits.cells)) {
      if (cell.status === "ok") expect(cell.accuracy).toBeGreaterThan(0.1); // above chance after one epoch
    }
  });

  it("runs the makemore transformer step (W10) on every library that loaded", () => {
    const step = results.workloads.find((w) => w.id === "W10")!;
    for (const peer of results.peers.filter((p) => p.status === "ok")) {
      const cell = step.cells[peer.name]!;
      expect(cell, `${peer.name} on W10: ${cell.error ?? ""}`).toMatchObject({ status: "ok" });
      expect(cell.value).toBeGreaterThan(0);
    }
  });

  it("measures the bundle size of each nabla package", () => {
    for (const name of ["@nabla/tensor", "@nabla/ops", "@nabla/nn"]) {
      expect(results.bundles.find((b) => b.name === name)?.gzipBytes, name).toBeGreaterThan(1000);
    }
  });
});

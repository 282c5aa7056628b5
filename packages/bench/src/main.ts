import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { bundleSizes } from "./bundle-size";
import { FULL_PLAN, LONG_PLAN, MemoryProbe, QUICK_PLAN, time } from "./measure";
import { PEERS } from "./peers/index";
import { type Cell, markdown, okCell, type PeerInfo, ratiosAndTargets, type Results, unitOf } from "./report";
import { type Backend, WorkloadSkipped } from "./tasks";
import { workloads } from "./workloads";

const USAGE = `Usage: pnpm bench [--quick] [--only W1,W4] [--peers nabla,tfjs-wasm] [--out path/to/results.json]

  --quick   tiny sizes and two repetitions (a smoke test: seconds, not minutes)
  --only    workloads whose id starts with one of these (W1 matches every W1 row)
  --peers   libraries to run (${PEERS.map((p) => p.name).join(", ")}); nabla always runs
  --out     where to write the JSON results (default: bench/results.json in the repository)`;

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      peers: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const list = (value: string | undefined) =>
    value
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  const peerNames = list(values.peers);
  const unknown = peerNames?.filter((name) => !PEERS.some((p) => p.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown peer ${unknown.join(", ")}\n${USAGE}`);
  return {
    quick: values.quick,
    only: list(values.only),
    peers: PEERS.filter((p) => p.name === "nabla" || !peerNames || peerNames.includes(p.name)),
    out: resolve(process.cwd(), values.out ?? resolve(repoRoot, "bench/results.json")),
  };
}

/** Progress goes to stderr, so stdout carries only the markdown report. */
function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const { quick, only, peers, out } = options();
  const selected = workloads(quick).filter((w) => !only || only.some((prefix) => w.id.startsWith(prefix)));

  const backends = new Map<string, Backend>();
  const peerInfo: PeerInfo[] = [];
  for (const peer of peers) {
    const info: PeerInfo = { name: peer.name, label: peer.label, version: peer.version(), status: "ok" };
    try {
      backends.set(peer.name, await peer.load());
    } catch (error) {
      info.status = "unavailable";
      info.error = errorText(error);
      progress(`${peer.label} is unavailable: ${info.error}`);
    }
    peerInfo.push(info);
  }

  const results: Results = {
    meta: {
      date: new Date().toISOString(),
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      cpu: cpus()[0]?.model.trim() ?? "unknown",
      cores: availableParallelism(),
      quick,
      command: `pnpm bench${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(" ")}` : ""}`,
    },
    peers: peerInfo,
    workloads: [],
    bundles: [],
  };

  for (const workload of selected) {
    const task = workload.task();
    const plan = quick ? QUICK_PLAN : workload.metric.kind === "seconds" ? LONG_PLAN : FULL_PLAN;
    const cells: Record<string, Cell> = {};
    for (const peer of peerInfo) {
      const backend = backends.get(peer.name);
      if (!backend) {
        cells[peer.name] = { status: "unavailable", error: peer.error ?? "failed to load" };
        continue;
      }
      const memory = new MemoryProbe();
      try {
        const prepared = await backend.prepare(task);
        try {
          const timing = await time(prepared, plan, memory);
          cells[peer.name] = okCell(workload.metric, timing, memory.growth(), await prepared.accuracy?.());
        } finally {
          prepared.dispose();
        }
      } catch (error) {
        cells[peer.name] = { status: error instanceof WorkloadSkipped ? "skipped" : "error", error: errorText(error) };
      }
      const cell = cells[peer.name]!;
      progress(
        `${workload.id.padEnd(12)} ${peer.label.padEnd(12)} ${cell.status === "ok" ? `${cell.value.toPrecision(4)} ${unitOf(workload.metric)}` : `${cell.status}: ${cell.error}`}`,
      );
    }
    results.workloads.push({
      id: workload.id,
      title: workload.title,
      metric: workload.metric.kind,
      unit: unitOf(workload.metric),
      cells,
      ...ratiosAndTargets(cells, peerInfo),
    });
  }

  results.bundles = await bundleSizes();
  console.log(markdown(results));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  progress(`results written to ${out}`);
}

// Handled here rather than left unhandled: the TF.js wasm module rethrows unhandled rejections
// from its own listener, which would bury the message under its minified source.
try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
}

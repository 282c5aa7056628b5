import type { BundleSize } from "./bundle-size";
import type { MemoryGrowth, Timing } from "./measure";
import type { Metric } from "./workloads";

export type Cell =
  | { status: "ok"; timing: Timing; value: number; valueRange: [number, number]; memory: MemoryGrowth; accuracy?: number }
  | { status: "error"; error: string }
  | { status: "skipped"; error: string }
  | { status: "unavailable"; error: string };

export interface PeerInfo {
  name: string;
  label: string;
  version: string;
  status: "ok" | "unavailable";
  error?: string;
}

export interface WorkloadResult {
  id: string;
  title: string;
  metric: Metric["kind"];
  unit: string;
  cells: Record<string, Cell>;
  /** Each peer's median time divided by nabla's (above 1: nabla is faster). */
  ratios: Record<string, number | null>;
  targets: TargetCheck;
}

/** The issue's targets for every row: ≥ 3x faster than TF.js-cpu, no slower than the best of TF.js-wasm and jax-js. */
export interface TargetCheck {
  vsTfjsCpu: boolean | null;
  vsBestWasmPeer: boolean | null;
}

export interface Results {
  meta: { date: string; node: string; platform: string; cpu: string; cores: number; quick: boolean; command: string };
  peers: PeerInfo[];
  workloads: WorkloadResult[];
  bundles: BundleSize[];
}

export function unitOf(metric: Metric): string {
  return { ms: "ms", seconds: "s", gflops: "GFLOP/s", usPerOp: "µs/op" }[metric.kind];
}

/** The reported value for a time in ms: the time itself or the rate it implies. */
export function metricValue(metric: Metric, ms: number): number {
  switch (metric.kind) {
    case "ms":
      return ms;
    case "seconds":
      return ms / 1000;
    case "gflops":
      return metric.flops / (ms * 1e6);
    case "usPerOp":
      return (ms * 1000) / metric.ops;
  }
}

/** A cell for a timing: rates invert, so the slowest run gives the lowest GFLOP/s. */
export function okCell(metric: Metric, timing: Timing, memory: MemoryGrowth, accuracy?: number): Cell {
  const a = metricValue(metric, timing.min);
  const b = metricValue(metric, timing.max);
  return {
    status: "ok",
    timing,
    value: metricValue(metric, timing.median),
    valueRange: [Math.min(a, b), Math.max(a, b)],
    memory,
    ...(accuracy === undefined ? {} : { accuracy }),
  };
}

export function ratiosAndTargets(
  cells: Record<string, Cell>,
  peers: readonly PeerInfo[],
): { ratios: Record<string, number | null>; targets: TargetCheck } {
  const nabla = cells.nabla;
  const ratios: Record<string, number | null> = {};
  for (const peer of peers) {
    if (peer.name === "nabla") continue;
    const cell = cells[peer.name];
    ratios[peer.name] = nabla?.status === "ok" && cell?.status === "ok" ? cell.timing.median / nabla.timing.median : null;
  }
  const cpu = ratios["tfjs-cpu"];
  const wasmPeers = [ratios["tfjs-wasm"], ratios["jax-js"]].filter((r): r is number => typeof r === "number");
  return {
    ratios,
    targets: {
      vsTfjsCpu: typeof cpu === "number" ? cpu >= 3 : null,
      vsBestWasmPeer: wasmPeers.length > 0 ? Math.min(...wasmPeers) >= 1 : null,
    },
  };
}

function formatNumber(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  if (value >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function formatCell(cell: Cell | undefined, unit: string): string {
  if (!cell) return "—";
  if (cell.status === "unavailable") return "unavailable";
  if (cell.status === "skipped") return "skipped (see notes)";
  if (cell.status === "error") return `error: ${cell.error.split("\n")[0]!.slice(0, 60).replaceAll("|", "/")}`;
  const [low, high] = cell.valueRange;
  const accuracy = cell.accuracy === undefined ? "" : `, acc ${(cell.accuracy * 100).toFixed(1)}%`;
  return `${formatNumber(cell.value)} ${unit} (${formatNumber(low)}–${formatNumber(high)})${accuracy}`;
}

function formatRatio(ratio: number | null | undefined): string {
  return typeof ratio === "number" ? `${formatNumber(ratio)}×` : "—";
}

function formatTargets({ vsTfjsCpu, vsBestWasmPeer }: TargetCheck): string {
  const mark = (met: boolean | null) => (met === null ? "?" : met ? "✓" : "✗");
  return `${mark(vsTfjsCpu)} ${mark(vsBestWasmPeer)}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function formatBytes(bytes: number | null): string {
  if (bytes === null) return "—";
  return bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} kB` : `${bytes} B`;
}

/** The report as markdown: speed with ratios, memory, bundle sizes. */
export function markdown(results: Results): string {
  const { meta, peers, workloads, bundles } = results;
  const others = peers.filter((p) => p.name !== "nabla");
  const out: string[] = [];
  out.push(`## nabla benchmark (${meta.quick ? "quick sizes" : "full sizes"})`);
  out.push("");
  out.push(`${meta.date} · Node ${meta.node} · ${meta.platform} · ${meta.cores} × ${meta.cpu} · \`${meta.command}\``);
  out.push("");
  out.push(
    `Peers: ${peers.map((p) => `${p.label} ${p.status === "ok" ? p.version : `unavailable (${p.error ?? "failed to load"})`}`).join(", ")}.`,
  );
  out.push("");
  out.push("Median (min–max) per workload; ×peer = peer's median time ÷ nabla's (above 1: nabla is faster).");
  out.push("Targets: ≥ 3× TF.js cpu, then ≥ 1× the best of TF.js wasm and jax-js (✓ met, ✗ missed, ? not measured).");
  out.push("");
  out.push(
    table(
      ["workload", ...peers.map((p) => p.label), ...others.map((p) => `×${p.label}`), "targets"],
      workloads.map((w) => [
        w.id,
        ...peers.map((p) => formatCell(w.cells[p.name], w.unit)),
        ...others.map((p) => formatRatio(w.ratios[p.name])),
        formatTargets(w.targets),
      ]),
    ),
  );
  const notes = workloads.flatMap((w) =>
    peers.flatMap((p) => {
      const cell = w.cells[p.name];
      return cell?.status === "skipped" ? [`- ${p.label}, ${w.id}: ${cell.error}`] : [];
    }),
  );
  if (notes.length > 0) out.push("", "Notes:", "", ...notes);
  out.push("");
  out.push("### Workloads");
  out.push("");
  for (const w of workloads) out.push(`- **${w.id}**: ${w.title}`);
  out.push("");
  out.push("### Memory (peak growth over the setup and runs of each workload: resident set / JS heap + typed arrays)");
  out.push("");
  out.push(
    table(
      ["workload", ...peers.map((p) => p.label)],
      workloads.map((w) => [
        w.id,
        ...peers.map((p) => {
          const cell = w.cells[p.name];
          return cell?.status === "ok" ? `${cell.memory.peakRssMB} / ${cell.memory.peakHeapMB} MB` : "—";
        }),
      ]),
    ),
  );
  out.push("");
  out.push("### Bundle size (esbuild, ESM, minified; a package row keeps the other @nabla packages external)");
  out.push("");
  out.push(
    table(
      ["package", "contents", "dist/index.js", "minified", "min + gzip"],
      bundles.map((b) => [
        b.name,
        b.error ? `${b.contents} (could not bundle: ${b.error.replaceAll("|", "/")})` : b.contents,
        formatBytes(b.distBytes),
        formatBytes(b.minifiedBytes),
        formatBytes(b.gzipBytes),
      ]),
    ),
  );
  return out.join("\n");
}

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { instance } from "@viz-js/viz";
import { displayPath, repoRoot, resolveUserPath } from "../paths";

/**
 * Runs a lesson when its file is the program being run (`pnpm lesson:…`), and not when a test
 * imports it. `--out <dir>` chooses where pictures go (default `runs/lessons` in the repo root).
 */
export function runLessonIfMain(moduleUrl: string, lesson: (outDir: string) => void | Promise<void>): void {
  const entry = process.argv[1];
  if (entry === undefined || pathToFileURL(path.resolve(entry)).href !== moduleUrl) return;
  const args = process.argv.slice(2).filter((arg) => arg !== "--"); // `pnpm lesson:x -- --out d`
  const { values } = parseArgs({ args, options: { out: { type: "string" } } });
  const outDir = values.out === undefined ? path.join(repoRoot, "runs", "lessons") : resolveUserPath(values.out);
  Promise.resolve()
    .then(() => lesson(outDir))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}

/** Graphviz DOT as SVG, by Graphviz compiled to WebAssembly (no system Graphviz needed). */
export async function renderSvg(dot: string): Promise<string> {
  const viz = await instance();
  return viz.renderString(dot, { format: "svg", engine: "dot" });
}

/** Writes `<name>.dot` and `<name>.svg` of a graph into `outDir` and says where. */
export async function writeGraphPicture(outDir: string, name: string, dot: string): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const dotPath = path.join(outDir, `${name}.dot`);
  const svgPath = path.join(outDir, `${name}.svg`);
  writeFileSync(dotPath, dot);
  writeFileSync(svgPath, await renderSvg(dot));
  console.log(`Wrote the graph to ${displayPath(dotPath)} and ${displayPath(svgPath)}`);
}

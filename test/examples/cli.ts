// Runs the example programs the way a user does: as separate processes through tsx.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect, vi } from "vitest";

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
export const digitsCsv = path.join(repoRoot, "examples", "data", "digits.csv");
export const irisCsv = path.join(repoRoot, "examples", "data", "iris.csv");
const tsx = path.join(repoRoot, "examples", "node_modules", ".bin", "tsx");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Extra environment variables (INIT_CWD, as pnpm sets it). */
  env?: Record<string, string>;
  /** Close stdout after the first chunk, as `| head -1` does; later writes then fail with EPIPE. */
  closeStdoutEarly?: boolean;
}

/**
 * Runs `examples/src/<program>.ts` (`train`, `predict`, `lessons/micrograd`, …) with `args`; stdout
 * is a pipe, so no progress bar and no colours.
 */
export function runExample(program: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", ...options.env };
  delete env.FORCE_COLOR;
  if (options.env?.INIT_CWD === undefined) delete env.INIT_CWD;
  return new Promise((resolve, reject) => {
    const child = spawn(tsx, [path.join(repoRoot, "examples", "src", `${program}.ts`), ...args], {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (options.closeStdoutEarly) child.stdout.destroy();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs a lesson as `pnpm lesson:<name>` does (from the examples folder) and resolves to its stdout;
 * fails on a non-zero exit. Without an `--out` in `args` its pictures go to a temporary folder,
 * so the suite leaves nothing in the repository.
 */
export async function runLessonScript(name: string, args: string[] = []): Promise<string> {
  const temp = args.includes("--out") ? null : temporaryDirectory(`nabla-lesson-${name}-`);
  try {
    const result = await runExample(`lessons/${name}`, temp ? [...args, "--out", temp.dir] : args, {
      cwd: path.join(repoRoot, "examples"),
    });
    if (result.code !== 0) throw new Error(`lesson ${name} exited with code ${result.code}:\n${result.stderr}`);
    return result.stdout;
  } finally {
    temp?.remove();
  }
}

/** A fresh temporary folder, and a function removing it. */
export function temporaryDirectory(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** The shape of one metrics.json row. */
export interface EpochRow {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

export interface MetricsFile {
  classNames: string[];
  epochs: EpochRow[];
  testConfusionMatrix: number[][];
}

/** Parses an SVG file with a real XML parser; throws with the parser's message when it is not well-formed. */
export function parseSvg(text: string): Record<string, unknown> {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  return new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", preserveOrder: false }).parse(text);
}

/** What commander prints to stderr when `parse(argv)` refuses the flags (it would then exit with code 1). */
export function flagRefusal(parse: (argv: string[]) => unknown, argv: string[]): string {
  let stderr = "";
  const write = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const exit = vi.spyOn(process, "exit").mockImplementation((code) => {
    throw new Error(`exit ${code}`);
  });
  try {
    expect(() => parse(argv)).toThrow("exit 1");
  } finally {
    write.mockRestore();
    exit.mockRestore();
  }
  return stderr;
}

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const examplesDir = fileURLToPath(new URL("../../examples/", import.meta.url));
const tsx = fileURLToPath(new URL("../../examples/node_modules/.bin/tsx", import.meta.url));

/** Runs a lesson script as `pnpm lesson:<name>` does (tsx from the examples folder); resolves to its stdout. */
export async function runLessonScript(name: string, args: string[] = []): Promise<string> {
  const { stdout } = await promisify(execFile)(tsx, [`src/lessons/${name}.ts`, ...args], { cwd: examplesDir });
  return stdout;
}

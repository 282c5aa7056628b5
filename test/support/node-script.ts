import { execFileSync } from "node:child_process";
import { expect } from "vitest";

/**
 * Runs `script` as an ES module in a fresh Node process (working directory `cwd`) and returns the
 * JSON value it prints on its last line; the test fails with Node's stderr when the script throws.
 */
export function runModuleScript(script: string, cwd: string): Record<string, unknown> {
  let output: string;
  try {
    output = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
      cwd,
      encoding: "utf8",
      timeout: 30_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    return expect.fail(`node failed:\n${stderr ?? String(error)}`);
  }
  return JSON.parse(output.trim().split("\n").pop()!) as Record<string, unknown>;
}

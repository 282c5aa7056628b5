import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The kernels ship as base64 in *-binary.ts modules generated from WebAssembly text; a .wat edited
// without `pnpm build:wasm` would leave the packages running the old code.
const root = fileURLToPath(new URL("../../", import.meta.url));

describe("generated WebAssembly kernel binaries", () => {
  it("match their .wat sources (pnpm build:wasm was run after the last edit)", () => {
    const script: string = JSON.parse(readFileSync(`${root}package.json`, "utf8")).scripts["build:wasm"];
    const [, scriptPath, ...dirs] = script.split(" ");
    const run = spawnSync(process.execPath, [scriptPath!, "--check", ...dirs], { cwd: root, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});

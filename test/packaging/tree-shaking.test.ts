import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleProgram, PROGRAMS } from "../../packages/bench/src/bundle-size";

// The bench's small programs, bundled from the built dist/ (run `pnpm build` first) as an
// application bundler ships them: through the functional entries a bundler drops the ops a program
// never imports, and what is left still runs (the CPU backend and its kernels register on import).

const decoder = new TextDecoder();
const bundles = new Map<string, string>();
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "nabla-shake-"));
  for (const { name, source } of PROGRAMS) bundles.set(name, decoder.decode(await bundleProgram(source)));
}, 60_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs bundled code in Node, from `scratch/fileName`, and returns what it printed. */
async function runCode(fileName: string, code: string): Promise<string> {
  const file = join(scratch, fileName);
  writeFileSync(file, code);
  return (await promisify(execFile)(process.execPath, [file])).stdout.trim();
}

/** Runs one of the programs' bundles. */
const run = (name: string) => runCode(`${PROGRAMS.findIndex((p) => p.name === name)}.mjs`, bundles.get(name)!);

describe.each([
  ["tensor() + add via @nabla/tensor", "tensor() + add via the functional entry", "[ 3 ]"],
  ["matmul + relu + crossEntropy via the main entries", "matmul + relu + crossEntropy via the functional entries", "[ 4, 3 ]"],
  ["matmul + relu + crossEntropy via nabla", "matmul + relu + crossEntropy via nabla/functional", "[ 4, 3 ]"],
])("%s, and %s", (main, functional, printed) => {
  it("leaves out the ops the program never imports, and is well below the bundle with the methods", () => {
    // the ops' names, as defineOp registers them: neither op is imported, nor used inside the ops that are
    for (const op of ['"cumsum"', '"topk"']) {
      expect(bundles.get(main)!.includes(op), `${op} in ${main}`).toBe(true);
      expect(bundles.get(functional)!.includes(op), `${op} in ${functional}`).toBe(false);
    }
    expect(bundles.get(functional)!.length).toBeLessThan(0.85 * bundles.get(main)!.length);
  });

  it("runs", async () => {
    expect(await run(functional)).toBe(printed);
    expect(await run(main)).toBe(printed);
  });
});

describe("nabla's main entry, bundled", () => {
  it("installs the methods of @nabla/ops for a program that imports only @nabla/tensor's names, and leaves @nabla/nn out", async () => {
    // dist/index.js has side effects (package.json `sideEffects`): without them a bundler would drop
    // `export * from "@nabla/ops"` here, and with it x.softmax(); the namespaces' chunk has none
    const source = 'import { tensor } from "nabla"; console.log(tensor([0, 0]).softmax().toArray());';
    const code = decoder.decode(await bundleProgram(source));
    expect(code.includes('"calculateGain"'), "@nabla/nn (init.calculateGain) in the bundle").toBe(false);
    expect(await runCode("softmax-method.mjs", code)).toBe("[ 0.5, 0.5 ]");
  });
});

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Backend } from "../tasks";
import { loadJaxJs } from "./jax";
import { loadNabla } from "./nabla";
import { loadTfjs } from "./tfjs";

export interface Peer {
  /** Key in results.json and in `--peers`. */
  name: string;
  /** Column header in the table. */
  label: string;
  /** The version of the library under test, as reported in results.json. */
  version(): string;
  load(): Promise<Backend>;
}

/** nabla first: every ratio in the report is a peer's time divided by nabla's. */
export const PEERS: readonly Peer[] = [
  { name: "nabla", label: "nabla", version: () => workspaceVersion("tensor"), load: loadNabla },
  { name: "tfjs-cpu", label: "TF.js cpu", version: () => installedVersion("@tensorflow/tfjs-backend-cpu"), load: () => loadTfjs("cpu") },
  {
    name: "tfjs-wasm",
    label: "TF.js wasm",
    version: () => installedVersion("@tensorflow/tfjs-backend-wasm"),
    load: () => loadTfjs("wasm"),
  },
  { name: "jax-js", label: "jax-js wasm", version: () => installedVersion("@jax-js/jax"), load: loadJaxJs },
];

/** A workspace package's version, read from its package.json in this repository. */
function workspaceVersion(folder: string): string {
  const manifest = JSON.parse(readFileSync(new URL(`../../../${folder}/package.json`, import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}

const require = createRequire(import.meta.url);

/**
 * The installed version of a peer's package, from the package.json above its resolved entry point
 * (packages that declare `exports` do not export their package.json); "unknown" if none is found.
 */
function installedVersion(packageName: string): string {
  try {
    for (let dir = dirname(require.resolve(packageName)); dir !== dirname(dir); dir = dirname(dir)) {
      try {
        const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
        if (manifest.name === packageName) return manifest.version ?? "unknown";
      } catch {
        // no package.json at this level: keep walking up
      }
    }
  } catch {
    // not resolvable (an unbuilt workspace package): fall through
  }
  return "unknown";
}

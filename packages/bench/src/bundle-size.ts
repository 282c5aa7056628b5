import { existsSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

export interface BundleSize {
  name: string;
  /** What was bundled, in words. */
  contents: string;
  /** Bytes of the built `dist/index.js` (nabla packages; null when not built). */
  distBytes: number | null;
  minifiedBytes: number | null;
  gzipBytes: number | null;
  /** Why the bundle could not be built, if it could not. */
  error?: string;
}

const packagesDir = fileURLToPath(new URL("../../", import.meta.url));
const benchDir = fileURLToPath(new URL("../", import.meta.url));

/**
 * Bundles `source` (an ES module re-exporting the package) with esbuild, minified as an application
 * bundler would ship it, and measures it raw and gzipped. nabla packages are bundled from their
 * TypeScript sources, as tsup builds them (no `pnpm build` needed), with the other @nabla packages
 * external, so each is counted once.
 */
async function measureBundle(source: string): Promise<{ minifiedBytes: number; gzipBytes: number }> {
  const result = await build({
    stdin: { contents: source, resolveDir: benchDir, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    external: ["@nabla/*"],
  });
  const code = result.outputFiles[0]!.contents;
  return { minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** ESM bundle sizes of each nabla package, and of the peers' JS for comparison (wasm binaries excluded). */
export async function bundleSizes(): Promise<BundleSize[]> {
  const entries: { name: string; contents: string; source: string; dist: string | null }[] = ["tensor", "ops", "nn"].map((folder) => ({
    name: `@nabla/${folder}`,
    contents: "the whole package",
    // the entry file itself, not an import of it, so its own @nabla/* imports stay external
    source: `export * from ${JSON.stringify(`${packagesDir}${folder}/src/index.ts`)};`,
    dist: `${packagesDir}${folder}/dist/index.js`,
  }));
  entries.push(
    {
      name: "TF.js cpu",
      contents: "tfjs-core + tfjs-backend-cpu (no gradients)",
      source: `export * from "@tensorflow/tfjs-core"; import "@tensorflow/tfjs-backend-cpu";`,
      dist: null,
    },
    {
      name: "TF.js wasm",
      contents: "tfjs-core + tfjs-backend-wasm JS (no gradients; .wasm files extra)",
      source: `export * from "@tensorflow/tfjs-core"; import "@tensorflow/tfjs-backend-wasm";`,
      dist: null,
    },
    { name: "jax-js", contents: "@jax-js/jax (wasm kernels generated at run time)", source: `export * from "@jax-js/jax";`, dist: null },
  );
  const sizes: BundleSize[] = [];
  for (const { name, contents, source, dist } of entries) {
    const distBytes = dist !== null && existsSync(dist) ? statSync(dist).size : null;
    try {
      sizes.push({ name, contents, distBytes, ...(await measureBundle(source)) });
    } catch (error) {
      sizes.push({
        name,
        contents,
        distBytes,
        minifiedBytes: null,
        gzipBytes: null,
        error: (error instanceof Error ? error.message : String(error)).split("\n")[0],
      });
    }
  }
  return sizes;
}

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

/** `source` (an ES module) bundled by esbuild, minified as an application bundler would ship it, as a browser ES module. */
async function bundle(source: string, options: { external?: string[]; tsconfigRaw?: string }): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents: source, resolveDir: benchDir, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    ...options,
  });
  return result.outputFiles[0]!.contents;
}

/**
 * A program bundled with the @nabla packages from their built `dist/` (resolved through
 * node_modules and the packages' `exports`, not the tsconfig paths to the sources), as an
 * application bundler ships it: what a program pays for the ops it imports.
 */
export async function bundleProgram(source: string): Promise<Uint8Array> {
  return bundle(source, { tsconfigRaw: "{}" });
}

const TINY = "console.log(add(tensor([1]), tensor([2])).toArray());";
const TRAIN_STEP = `const weight = randn([4, 3], { requiresGrad: true });
  crossEntropy(relu(matmul(randn([2, 4]), weight)), tensor([0, 2], { dtype: "int32" })).backward();
  console.log(weight.grad!.shape);`;

/**
 * Small programs, each through the main entries (with the Tensor methods) and the functional ones.
 * (@nabla/nn has no functional entry: importing it installs every method, as the whole-package row shows;
 * `nabla/functional` leaves its namespaces out.)
 */
export const PROGRAMS: { name: string; source: string }[] = [
  { name: "tensor() + add via @nabla/tensor", source: `import { add, tensor } from "@nabla/tensor"; ${TINY}` },
  { name: "tensor() + add via the functional entry", source: `import { add, tensor } from "@nabla/tensor/functional"; ${TINY}` },
  {
    name: "matmul + relu + crossEntropy via the main entries",
    source: `import { crossEntropy } from "@nabla/ops"; import { matmul, randn, relu, tensor } from "@nabla/tensor"; ${TRAIN_STEP}`,
  },
  {
    name: "matmul + relu + crossEntropy via the functional entries",
    source: `import { crossEntropy } from "@nabla/ops/functional";
  import { matmul, randn, relu, tensor } from "@nabla/tensor/functional"; ${TRAIN_STEP}`,
  },
  {
    name: "matmul + relu + crossEntropy via nabla",
    source: `import { crossEntropy, matmul, randn, relu, tensor } from "nabla"; ${TRAIN_STEP}`,
  },
  {
    name: "matmul + relu + crossEntropy via nabla/functional",
    source: `import { crossEntropy, matmul, randn, relu, tensor } from "nabla/functional"; ${TRAIN_STEP}`,
  },
];

interface BundleEntry {
  name: string;
  contents: string;
  source: string;
  dist: string | null;
  /** Bundled with the @nabla packages' built dist/ (bundleProgram) rather than with them external. */
  program?: boolean;
}

/** ESM bundle sizes of each nabla package, and of the peers' JS for comparison (wasm binaries excluded). */
export async function bundleSizes(): Promise<BundleSize[]> {
  const entries: BundleEntry[] = ["tensor", "ops", "nn"].map((folder) => ({
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
  for (const { name, source } of PROGRAMS) {
    entries.push({ name, contents: "a program, bundled with the @nabla packages' built dist/", source, dist: null, program: true });
  }
  const sizes: BundleSize[] = [];
  for (const { name, contents, source, dist, program } of entries) {
    const distBytes = dist !== null && existsSync(dist) ? statSync(dist).size : null;
    try {
      // a program from the built dist/; a package from its TypeScript sources, as tsup builds it (no
      // `pnpm build` needed), with the other @nabla packages external, so each is counted once
      const code = program ? await bundleProgram(source) : await bundle(source, { external: ["@nabla/*"] });
      sizes.push({ name, contents, distBytes, minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length });
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

import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The playground runs on nabla's TypeScript sources (Vite compiles them on the fly), so
 * `pnpm install` alone is enough: no build of the packages first.
 */
export default defineConfig({
  root: source("."),
  resolve: {
    alias: [
      { find: /^@nabla\/tensor$/, replacement: source("../packages/tensor/src/index.ts") },
      { find: /^@nabla\/tensor\/functional$/, replacement: source("../packages/tensor/src/functional.ts") },
      { find: /^@nabla\/tensor\/internal$/, replacement: source("../packages/tensor/src/internal.ts") },
      { find: /^@nabla\/ops$/, replacement: source("../packages/ops/src/index.ts") },
      { find: /^@nabla\/ops\/functional$/, replacement: source("../packages/ops/src/functional.ts") },
      { find: /^@nabla\/nn$/, replacement: source("../packages/nn/src/index.ts") },
    ],
  },
  // every dependency is ESM already: serve it as is, with no pre-bundling pass that could
  // reload the page on first visit
  optimizeDeps: { noDiscovery: true, include: [] },
  server: { host: "localhost", port: 5173 },
  // both pages, so that `vite build` writes each of them
  build: { rolldownOptions: { input: [source("index.html"), source("makemore.html")] } },
});

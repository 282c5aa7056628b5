import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run on the TypeScript sources; test/packaging checks the built dist separately.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@nabla\/tensor$/, replacement: src("./packages/tensor/src/index.ts") },
      { find: /^@nabla\/tensor\/internal$/, replacement: src("./packages/tensor/src/internal.ts") },
      { find: /^@nabla\/ops$/, replacement: src("./packages/ops/src/index.ts") },
      { find: /^@nabla\/nn$/, replacement: src("./packages/nn/src/index.ts") },
      { find: /^@nabla\/nn\/node$/, replacement: src("./packages/nn/src/node.ts") },
      { find: /^nabla$/, replacement: src("./packages/nabla/src/index.ts") },
      { find: /^nabla\/node$/, replacement: src("./packages/nabla/src/node.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
  },
});

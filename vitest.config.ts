import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The tests that exercise the kernels through the ops (the op table's gradchecks, the PyTorch
 * references, the property tests of kernels, views and softmax, the optimizers), run once more on
 * each kernel set: the JS reference kernels alone and the WebAssembly kernels wherever they apply.
 * The whole suite runs with the default preference ("auto"), as users run it.
 */
const KERNEL_SET_TESTS = [
  "test/tensor/op-table.test.ts",
  "test/tensor/reference-*.test.ts",
  "test/tensor/kernels.test.ts",
  "test/tensor/kernels-fast-paths.test.ts",
  "test/tensor/views.test.ts",
  "test/tensor/higher-order.test.ts",
  "test/ops/softmax.test.ts",
  "test/ops/cross-entropy.test.ts",
  "test/ops/norm.test.ts",
  "test/ops/losses.test.ts",
  "test/ops/softmax-properties.test.ts",
  "test/ops/gradcheck.test.ts",
  "test/ops/fused-vjp.test.ts",
  "test/ops/conv.test.ts",
  "test/ops/windows.test.ts",
  "test/nn/optim.test.ts",
  "test/nn/layers.test.ts",
  "test/fuzz/elementwise.test.ts",
  "test/fuzz/reductions.test.ts",
  "test/fuzz/linalg-indexing.test.ts",
  "test/fuzz/inplace.test.ts",
  "test/fuzz/ops-nn.test.ts",
];

// Tests run on the TypeScript sources; test/packaging checks the built dist separately.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@nabla\/tensor$/, replacement: src("./packages/tensor/src/index.ts") },
      { find: /^@nabla\/tensor\/functional$/, replacement: src("./packages/tensor/src/functional.ts") },
      { find: /^@nabla\/tensor\/internal$/, replacement: src("./packages/tensor/src/internal.ts") },
      { find: /^@nabla\/ops$/, replacement: src("./packages/ops/src/index.ts") },
      { find: /^@nabla\/ops\/functional$/, replacement: src("./packages/ops/src/functional.ts") },
      { find: /^@nabla\/nn$/, replacement: src("./packages/nn/src/index.ts") },
      { find: /^@nabla\/nn\/node$/, replacement: src("./packages/nn/src/node.ts") },
      { find: /^nabla$/, replacement: src("./packages/nabla/src/index.ts") },
      { find: /^nabla\/functional$/, replacement: src("./packages/nabla/src/functional.ts") },
      { find: /^nabla\/node$/, replacement: src("./packages/nabla/src/node.ts") },
    ],
  },
  test: {
    testTimeout: 60_000,
    // set-up that runs a CLI or launches a browser takes seconds, more on a loaded machine
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: "all", include: ["test/**/*.test.ts"] } },
      ...(["js", "wasm"] as const).map((kernels) => ({
        extends: true,
        test: { name: `kernels:${kernels}`, include: KERNEL_SET_TESTS, env: { NABLA_KERNELS: kernels } },
      })),
    ],
  },
});

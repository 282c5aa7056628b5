import { defineConfig } from "tsup";

export default defineConfig({
  // internal.ts is `@nabla/tensor/internal`: plumbing for @nabla/ops and @nabla/nn, not public API.
  entry: ["src/index.ts", "src/internal.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
});

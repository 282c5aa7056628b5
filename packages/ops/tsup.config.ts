import { defineConfig } from "tsup";

export default defineConfig({
  // functional.ts is `@nabla/ops/functional`, the entry without the op methods (index.ts adds them)
  entry: ["src/index.ts", "src/functional.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
});

import { defineConfig } from "tsup";

export default defineConfig({
  // functional.ts is `@nabla/ops/functional`, the entry without the op methods (index.ts adds them)
  entry: ["src/index.ts", "src/functional.ts"],
  format: ["esm", "cjs"],
  // one chunk for the code the entries share, in CommonJS too (tsup splits only ESM by default): a
  // tensor made through one entry is of the same Tensor class, with the methods the other installs
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
});

import { defineConfig } from "tsup";

export default defineConfig({
  // node.ts is the separate `@nabla/nn/node` entry: the only code that imports node:fs.
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "es2022",
});

import { defineConfig } from "tsup";

export default defineConfig({
  // node.ts is the separate `@nabla/nn/node` entry: the only code that imports node:fs.
  entry: ["src/index.ts", "src/node.ts"],
  format: ["esm", "cjs"],
  // the declarations too load the main entries, whose Tensor method declarations nn's users get
  // (the bundled .d.ts keeps no side-effect import of src/index.ts)
  dts: { banner: 'import "@nabla/tensor";\nimport "@nabla/ops";' },
  clean: true,
  sourcemap: true,
  target: "es2022",
});

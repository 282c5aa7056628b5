import { defineConfig } from "tsup";

export default defineConfig({
  // functional.ts is `@nabla/tensor/functional`, the entry without the op methods (index.ts adds
  // them); internal.ts is `@nabla/tensor/internal`: plumbing for @nabla/ops and @nabla/nn, not public API.
  entry: ["src/index.ts", "src/functional.ts", "src/internal.ts"],
  format: ["esm", "cjs"],
  // one chunk for the code the entries share, in CommonJS too (tsup splits only ESM by default): a
  // tensor made through one entry is of the same Tensor class, with the methods the other installs
  splitting: true,
  // The op methods' declarations (module augmentations of Tensor, src/methods/) get a file of their
  // own, which index.d.ts imports: in the entry's file they would turn its `Tensor` export into a
  // type-only one.
  dts: {
    entry: { index: "src/index.ts", functional: "src/functional.ts", internal: "src/internal.ts", methods: "src/methods/index.ts" },
  },
  clean: true,
  sourcemap: true,
  target: "es2022",
});

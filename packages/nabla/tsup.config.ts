import { defineConfig } from "tsup";

export default defineConfig([
  {
    // the @nabla packages stay external: dist/index.js re-exports them, so an application that
    // also imports @nabla/tensor gets one Tensor class
    // namespaces.ts is an entry only to get a file of its own (a chunk, in ESM) that index.js
    // imports: index.js has side effects (it installs the Tensor methods), the chunk none, so a
    // bundler leaves @nabla/nn out of a program that uses no namespace (package.json `sideEffects`)
    entry: ["src/index.ts", "src/namespaces.ts", "src/functional.ts", "src/node.ts"],
    format: ["esm", "cjs"],
    dts: { entry: { index: "src/index.ts", functional: "src/functional.ts", node: "src/node.ts" } },
    // the browser build below writes into the same folder at the same time: spare its file
    clean: ["!nabla.browser.js"],
    sourcemap: true,
    target: "es2022",
  },
  {
    // `nabla/browser`: one minified ES module with everything inside (the WebAssembly kernels are
    // base64 in the sources), for a page that imports it without a bundler
    entry: { "nabla.browser": "src/index.ts" },
    format: ["esm"],
    platform: "browser",
    noExternal: [/.*/],
    minify: true,
    // class names survive minification: Module.toString prints them, as PyTorch's repr
    keepNames: true,
    target: "es2022",
  },
]);

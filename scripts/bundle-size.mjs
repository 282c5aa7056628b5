// What nabla adds to a web page: each program below is bundled from the built packages (dist/, as
// an application installs them) by esbuild and by Vite (Rolldown), minified, and measured raw and
// gzipped (level 9). Run by `pnpm size`, which builds first. The README's table is this output.
import { existsSync, readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { build as viteBuild } from "vite";

const root = fileURLToPath(new URL("../", import.meta.url));
// a workspace package that depends on nabla and the @nabla packages, as an application would
const consumer = `${root}examples`;

const PROGRAMS = [
  {
    name: "`tensor()` and `add` from `@nabla/tensor`",
    source: `import { add, tensor } from "@nabla/tensor";
      console.log(add(tensor([1, 2]), tensor([3, 4])).toArray());`,
  },
  {
    name: "all of `@nabla/tensor`",
    source: `import * as tensor from "@nabla/tensor";
      console.log(tensor);`,
  },
  {
    name: "an MLP trained with Adam on cross-entropy, from `nabla`",
    source: `import { crossEntropy, nn, optim, randn, tensor } from "nabla";
      const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 2));
      const optimizer = new optim.Adam(model.parameters(), { lr: 0.05 });
      optimizer.zeroGrad();
      crossEntropy(model.forward(randn([8, 2])), tensor([0, 1, 0, 1, 0, 1, 0, 1], { dtype: "int32" })).backward();
      optimizer.step();`,
  },
  {
    name: '`import * as nb from "nabla"`, all of it',
    source: `import * as nb from "nabla";
      console.log(nb);`,
  },
];

const browserBuild = `${root}packages/nabla/dist/nabla.browser.js`;
for (const file of [browserBuild, ...["tensor", "ops", "nn", "nabla"].map((name) => `${root}packages/${name}/dist/index.js`)]) {
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm build\` first (\`pnpm size\` does)`);
}

async function withEsbuild(source) {
  const result = await esbuild({
    stdin: { contents: source, resolveDir: consumer, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    // resolve through node_modules to dist/, not through the tsconfig paths that map the sources
    tsconfigRaw: "{}",
  });
  return result.outputFiles[0].contents;
}

/** A production build of a page whose one script is `source`, as a Vite application makes it. */
async function withVite(source) {
  const output = await viteBuild({
    root: consumer,
    configFile: false,
    logLevel: "silent",
    plugins: [
      { name: "program", resolveId: (id) => (id === "program" ? "\0program" : null), load: (id) => (id === "\0program" ? source : null) },
    ],
    build: { write: false, minify: true, target: "es2022", modulePreload: false, rollupOptions: { input: "program" } },
  });
  const { output: files } = Array.isArray(output) ? output[0] : output;
  return Buffer.from(files.find((file) => file.type === "chunk").code);
}

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const sizes = (code) => [kB(code.length), kB(gzipSync(code, { level: 9 }).length)];
const rows = [];
for (const { name, source } of PROGRAMS) rows.push([name, ...sizes(await withEsbuild(source)), ...sizes(await withVite(source))]);

console.log("| program | esbuild, minified | gzipped | Vite, minified | gzipped |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
const [minified, gzipped] = sizes(readFileSync(browserBuild));
console.log(`\nThe single-file \`nabla/browser\` build (dist/nabla.browser.js): ${minified}, ${gzipped} gzipped.`);

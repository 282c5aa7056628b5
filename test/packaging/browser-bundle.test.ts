import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectErrors, launchBrowser, serveFiles, type StaticServer } from "../support/browser";

// packages/nabla/dist/nabla.browser.js, the single-file build `nabla/browser` points at, loaded by
// a page the way its README shows: a module script, a static server, no bundler. `pnpm test`
// builds first; run `pnpm build` before running this file on its own.

const bundlePath = fileURLToPath(new URL("../../packages/nabla/dist/nabla.browser.js", import.meta.url));

// XOR, which no linear model fits, learnt by a small MLP with Adam; then a product big enough for
// the WebAssembly matmul the bundle embeds
const PAGE = `<!doctype html>
<title>nabla in the browser</title>
<script type="module">
  import * as nb from "./nabla.browser.js";

  nb.manualSeed(0);
  const x = nb.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
  const y = nb.tensor([0, 1, 1, 0], { dtype: "int32" });
  const model = new nb.nn.Sequential(new nb.nn.Linear(2, 8), new nb.nn.Tanh(), new nb.nn.Linear(8, 2));
  const optimizer = new nb.optim.Adam(model.parameters(), { lr: 0.05 });
  const losses = [];
  for (let step = 0; step < 200; step++) {
    optimizer.zeroGrad();
    const loss = nb.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    losses.push(loss.item());
  }
  const predictions = nb.noGrad(() => model.eval().forward(x).argmax(1)).toArray();
  const product = nb.ones([256, 300]).matmul(nb.full([300, 128], 0.5)).sum().item();
  window.result = { firstLoss: losses[0], lastLoss: losses.at(-1), predictions, product, repr: String(model) };
</script>`;

interface PageResult {
  firstLoss: number;
  lastLoss: number;
  predictions: number[];
  product: number;
  repr: string;
}

describe("the single-file browser build", () => {
  let server: StaticServer;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(bundlePath)) {
      expect.fail("packages/nabla/dist/nabla.browser.js is missing: run `pnpm build` (the root `pnpm test` builds before testing)");
    }
    server = await serveFiles({ "/": PAGE, "/nabla.browser.js": readFileSync(bundlePath) });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("imports nothing: no bare specifiers, no node: modules", async () => {
    const { metafile } = await build({
      entryPoints: [bundlePath],
      bundle: true,
      write: false,
      metafile: true,
      external: ["*"],
      logLevel: "silent",
    });
    const imports = Object.values(metafile.inputs).flatMap((input) => input.imports.map((entry) => entry.path));
    expect(imports).toEqual([]);
  });

  it("loads in a page without a bundler and trains an MLP on XOR", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);
    await page.goto(server.url);
    try {
      await page.waitForFunction("window.result !== undefined", null, { timeout: 30_000 });
    } catch {
      expect.fail(`the page never finished; its errors: ${JSON.stringify(errors)}`);
    }
    const result = (await page.evaluate("window.result")) as PageResult;

    expect(result.firstLoss).toBeGreaterThan(0.5); // about ln 2 = 0.69: no better than a coin
    expect(result.lastLoss).toBeLessThan(result.firstLoss / 20);
    expect(result.predictions).toEqual([0, 1, 1, 0]);
    expect(result.product).toBe(256 * 128 * 300 * 0.5);
    // class names survive minification
    expect(result.repr.split("\n")[1]).toBe("  (0): Linear(in_features=2, out_features=8, bias=True)");
    expect(errors).toEqual([]);
    await page.close();
  });
});

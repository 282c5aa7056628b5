import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { PNG } from "pngjs";
import { build, createServer, type PreviewServer, preview, type ViteDevServer } from "vite";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { collectErrors, launchBrowser } from "../support/browser";

const playgroundConfig = fileURLToPath(new URL("../../playground/vite.config.ts", import.meta.url));

/** How many different colours a PNG has: a blank or single-colour page has a handful. */
function distinctColours(png: Buffer): number {
  const { data } = PNG.sync.read(png);
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  return colours.size;
}

/** The 1, 2 and 5 times a power of ten that a log axis puts its ticks on (its finer ticks aside). */
const isLogTick = (tick: number) => /^[125]e/.test(tick.toExponential());

describe("playground in headless Chromium", () => {
  let server: ViteDevServer;
  let built: PreviewServer;
  let browser: Browser | undefined;
  /** The dev server, on the TypeScript sources. */
  let url: string;
  /** The output of `vite build`, served as a static site. */
  let builtUrl: string;
  const outDir = mkdtempSync(path.join(tmpdir(), "nabla-playground-"));

  beforeAll(async () => {
    server = await createServer({ configFile: playgroundConfig, logLevel: "error", server: { host: "127.0.0.1", port: 0 } });
    await server.listen();
    url = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}/`;
    await build({ configFile: playgroundConfig, logLevel: "error", build: { outDir, emptyOutDir: true } });
    built = await preview({ configFile: playgroundConfig, logLevel: "error", build: { outDir }, preview: { host: "127.0.0.1", port: 0 } });
    builtUrl = `http://127.0.0.1:${(built.httpServer.address() as AddressInfo).port}/`;
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await built?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  /**
   * A page in a Chromium of its own (the bundled one runs as a single process, which ends with its
   * last page), and the errors the page logs.
   */
  async function openPage(): Promise<{ page: Page; errors: string[] }> {
    browser = await launchBrowser();
    const page = await browser.newPage();
    return { page, errors: collectErrors(page) };
  }

  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });

  it("trains an MLP on spirals past 90% accuracy, draws it, and logs no errors", async () => {
    const { page, errors } = await openPage();

    await page.goto(url);
    await page.selectOption("#dataset", "spirals");
    await page.click("#start");
    // runs in the page (the page exposes the accuracy as a number in data-accuracy)
    await page.waitForFunction('Number(document.querySelector("#accuracy").dataset.accuracy) > 0.9', null, { timeout: 40_000 });
    // the graph of a training step is drawn with Graphviz compiled to WebAssembly
    await page.waitForSelector("#graph svg g.node", { timeout: 10_000 });
    await page.click("#start"); // pause, so the picture holds still

    const accuracy = Number(await page.getAttribute("#accuracy", "data-accuracy"));
    expect(accuracy).toBeGreaterThan(0.9);
    expect(Number(await page.textContent("#steps"))).toBeGreaterThan(0);
    expect(await page.locator("#graph svg g.node").count()).toBeGreaterThan(10);
    const graph = await page.textContent("#graph svg");
    expect(graph).toContain("parameter 0.weight");
    // the loss node has the name of the function that made it
    expect(graph).toMatch(/op\d+ · crossEntropy → loss/);
    expect(graph).not.toContain("ClassIndices");

    // the loss chart is on a log scale: ticks on 1, 2 and 5 times powers of ten, from below the
    // smallest loss to above the first
    const chart = page.locator("#loss-chart");
    expect(await chart.getAttribute("data-y-scale")).toBe("log");
    const ticks = (await chart.getAttribute("data-y-ticks"))!.split(",").map(Number);
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.filter((tick) => !isLogTick(tick))).toEqual([]);
    expect(ticks.at(-1)! / ticks[0]!).toBeGreaterThanOrEqual(5);

    // the heatmap shows a decision boundary (many shades), and the page as a whole is not blank
    expect(distinctColours(await page.locator("#heatmap").screenshot())).toBeGreaterThan(100);
    expect(distinctColours(await page.screenshot({ fullPage: true }))).toBeGreaterThan(500);
    expect(errors).toEqual([]);
  });

  it("makemore: the transformer learns names below the bigram's loss, samples them and draws its attention (vite build output)", async () => {
    const { page, errors } = await openPage();

    // ?steps=100: the page trains 100 steps, evaluates and samples, then pauses by itself
    await page.goto(`${builtUrl}makemore.html?steps=100`);
    expect(await page.inputValue("#model")).toBe("transformer");
    await page.click("#start");
    await page.waitForFunction('document.querySelector("#test-loss").dataset.loss !== undefined', null, { timeout: 75_000 });
    expect(await page.textContent("#steps")).toBe("100");
    expect(await page.textContent("#start")).toBe("Start");

    // the bigram's test loss is about 2.45 nats per character; from ln 27 ≈ 3.3 the transformer
    // passes it within 100 steps
    const testLoss = Number(await page.getAttribute("#test-loss", "data-loss"));
    expect(testLoss).toBeLessThan(2.45);
    expect(Number(await page.textContent("#train-loss"))).toBeLessThan(2.45);
    const chart = page.locator("#loss-chart");
    expect(await chart.getAttribute("data-y-scale")).toBe("log");
    expect((await chart.getAttribute("data-y-ticks"))!.split(",").map(Number)).toEqual(expect.arrayContaining([2, 3]));

    const samples = await page.locator("#samples li").allTextContents();
    expect(samples).toHaveLength(10);
    for (const word of samples) expect(word).toMatch(/^[a-z]+$|^\(empty\)$/);

    // the attention map of layer 1, head 1 for a sampled name: rows and columns are its tokens
    const name = (await page.locator("#attention-name option:checked").textContent())!;
    expect(samples).toContain(name);
    const map = page.locator("#attention-map");
    expect(await map.getAttribute("data-labels")).toBe([".", ...name].join(" "));
    const head1 = await map.screenshot();
    expect(distinctColours(head1)).toBeGreaterThan(20);
    await page.selectOption("#attention-layer", "1");
    await page.selectOption("#attention-head", "2");
    expect((await map.screenshot()).equals(head1), "another head, another picture").toBe(false);

    // the MLP has no attention to draw
    await page.selectOption("#model", "mlp");
    expect(await map.isVisible()).toBe(false);
    expect(await page.isVisible("#no-attention")).toBe(true);
    expect(errors).toEqual([]);
  }, 90_000);
});

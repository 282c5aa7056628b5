import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { PNG } from "pngjs";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectErrors, launchBrowser } from "../support/browser";

const playgroundConfig = fileURLToPath(new URL("../../playground/vite.config.ts", import.meta.url));

/** How many different colours a PNG has: a blank or single-colour page has a handful. */
function distinctColours(png: Buffer): number {
  const { data } = PNG.sync.read(png);
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 4) colours.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  return colours.size;
}

describe("playground in headless Chromium", () => {
  let server: ViteDevServer;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    server = await createServer({ configFile: playgroundConfig, logLevel: "error", server: { host: "127.0.0.1", port: 0 } });
    await server.listen();
    const { port } = server.httpServer!.address() as AddressInfo;
    url = `http://127.0.0.1:${port}/`;
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("trains an MLP on spirals past 90% accuracy, draws it, and logs no errors", async () => {
    const page = await browser.newPage();
    const errors = collectErrors(page);

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
    expect(await page.textContent("#graph svg")).toContain("parameter 0.weight");

    // the heatmap shows a decision boundary (many shades), and the page as a whole is not blank
    expect(distinctColours(await page.locator("#heatmap").screenshot())).toBeGreaterThan(100);
    expect(distinctColours(await page.screenshot({ fullPage: true }))).toBeGreaterThan(500);
    expect(errors).toEqual([]);
    await page.close();
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium } from "playwright-core";
import { PNG } from "pngjs";
import { createServer, type ViteDevServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Debian's Chromium (.ci/run installs it), started as the machine allows: headless, no sandbox
// (CI runs as root), no GPU, and nothing that reaches for the network.
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
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
  let context: BrowserContext;
  let userDataDir: string;
  let url: string;

  beforeAll(async () => {
    server = await createServer({ configFile: playgroundConfig, logLevel: "error", server: { host: "127.0.0.1", port: 0 } });
    await server.listen();
    const { port } = server.httpServer!.address() as AddressInfo;
    url = `http://127.0.0.1:${port}/`;
    userDataDir = mkdtempSync(path.join(tmpdir(), "nabla-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it("trains an MLP on spirals past 90% accuracy, draws it, and logs no errors", async () => {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));

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

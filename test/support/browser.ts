/**
 * Headless Chromium for the browser tests, and a static server for the pages they load.
 *
 * The Chromium is the one the npm package @sparticuz/chromium ships compressed inside itself, so
 * `pnpm install` is all a fresh machine needs. It is unpacked on first use into
 * `<tmpdir>/nabla-chromium-<version>/` (about 220 MB, a few seconds) and reused after. Set
 * CHROMIUM_PATH to run another Chromium instead.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import sparticuz from "@sparticuz/chromium";
import { type Browser, chromium, type Page } from "playwright-core";

export interface LaunchOptions {
  /**
   * Expose WebGPU (`navigator.gpu`). Without a GPU the adapter is SwiftShader's, on the CPU.
   * WebGPU exists only in secure contexts: serve the page from 127.0.0.1 (see `serveFiles`).
   */
  webgpu?: boolean;
  /** More Chromium flags. */
  args?: string[];
}

// nothing in the tests reaches for the network
const QUIET_FLAGS = ["--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** Starts headless Chromium; close it with `browser.close()`. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  const custom = process.env.CHROMIUM_PATH;
  const args = custom
    ? // no sandbox: CI runs as root
      ["--no-sandbox", ...(options.webgpu ? [] : ["--disable-gpu"]), ...QUIET_FLAGS]
    : // the package's flags: headless shell, SwiftShader for WebGL and WebGPU, no sandbox
      [...sparticuz.args, ...QUIET_FLAGS];
  if (options.webgpu) args.push("--enable-unsafe-webgpu");
  args.push(...(options.args ?? []));
  const executablePath = custom || (await bundledChromium());
  return chromium.launch({ executablePath, args, headless: true });
}

const packageEntry = createRequire(import.meta.url).resolve("@sparticuz/chromium");
const packageVersion: string = JSON.parse(readFileSync(path.join(path.dirname(packageEntry), "../package.json"), "utf8")).version;

/** The path of the package's Chromium, unpacked on first use. */
async function bundledChromium(): Promise<string> {
  const home = path.join(tmpdir(), `nabla-chromium-${packageVersion}`);
  const executable = path.join(home, "chromium");
  if (existsSync(executable)) return executable;
  // The package unpacks into the temporary directory it reads from TMPDIR, and treats a file that
  // exists as complete. So it unpacks, in a child process, into a fresh directory, which is then
  // renamed into place: test files starting in parallel never run a half-written binary.
  const staging = mkdtempSync(path.join(tmpdir(), "nabla-chromium-unpacking-"));
  try {
    const script = `import chromium from ${JSON.stringify(pathToFileURL(packageEntry).href)}; await chromium.executablePath();`;
    await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], { env: { ...process.env, TMPDIR: staging } });
    renameSync(staging, home);
  } catch (error) {
    if (!existsSync(executable)) throw error; // else another process unpacked it first
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return executable;
}

/** The errors `page` logs to its console or throws from now on, collected as they come. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

export interface StaticServer {
  /** The server's root, `http://127.0.0.1:<port>/`. */
  url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript" };

/** Serves `files` (URL path → contents, e.g. `{ "/": html, "/app.js": code }`) on 127.0.0.1. */
export async function serveFiles(files: Record<string, string | Buffer>): Promise<StaticServer> {
  const server = createServer((request, response) => {
    const urlPath = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    const body = files[urlPath];
    if (body === undefined) {
      response.writeHead(404).end();
      return;
    }
    const type = CONTENT_TYPES[path.extname(urlPath)] ?? "text/html";
    response.writeHead(200, { "content-type": `${type}; charset=utf-8` }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

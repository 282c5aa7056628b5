import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchBrowser, serveFiles, type StaticServer } from "../support/browser";

// The browser the tests launch (test/support/browser.ts) offers WebGPU when asked: a WebGPU
// backend can be tested headless, on SwiftShader where the machine has no GPU.

// The page defines multiplyAdd(a, b): out[i] = a[i] * b[i] + 1 by a WGSL compute shader, read back
// to the CPU; null where there is no adapter.
const PAGE = `<!doctype html>
<title>WebGPU</title>
<script type="module">
  const SHADER = \`
    @group(0) @binding(0) var<storage, read> a: array<f32>;
    @group(0) @binding(1) var<storage, read> b: array<f32>;
    @group(0) @binding(2) var<storage, read_write> out: array<f32>;
    @compute @workgroup_size(64)
    fn main(@builtin(global_invocation_id) id: vec3<u32>) {
      if (id.x < arrayLength(&out)) { out[id.x] = a[id.x] * b[id.x] + 1.0; }
    }\`;

  window.multiplyAdd = async (a, b) => {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const device = await adapter.requestDevice();
    const bytes = a.length * 4;
    const input = (values) => {
      const buffer = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buffer, 0, new Float32Array(values));
      return buffer;
    };
    const out = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const readback = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const module = device.createShaderModule({ code: SHADER });
    const pipeline = device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
    const bindings = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [input(a), input(b), out].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindings);
    pass.dispatchWorkgroups(Math.ceil(a.length / 64));
    pass.end();
    encoder.copyBufferToBuffer(out, 0, readback, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    return { adapter: adapter.info.architecture, out: Array.from(new Float32Array(readback.getMappedRange())) };
  };
</script>`;

type GpuResult = { adapter: string; out: number[] } | null;
type PageGlobals = { multiplyAdd(a: number[], b: number[]): Promise<GpuResult> };

describe("headless Chromium with WebGPU", () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    server = await serveFiles({ "/": PAGE });
    browser = await launchBrowser({ webgpu: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("gives an adapter, and a WGSL compute shader computes what the CPU does", async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    // 1000 is not a multiple of the workgroup size: the bounds check in the shader matters
    const a = Array.from({ length: 1000 }, (_, i) => i / 8 - 40);
    const b = Array.from({ length: 1000 }, (_, i) => (i % 7) - 3);
    const result = await page.evaluate(({ a, b }) => (globalThis as unknown as PageGlobals).multiplyAdd(a, b), { a, b });
    expect(result, "navigator.gpu.requestAdapter() gave no adapter").not.toBeNull();
    // the bundled Chromium's adapter runs on the CPU, so these tests need no GPU
    if (!process.env.CHROMIUM_PATH) expect(result!.adapter).toBe("swiftshader");
    // exact in float32: multiples of 1/8 times small integers
    expect(result!.out).toEqual(a.map((x, i) => x * b[i]! + 1));
    await page.close();
  });

  it("has no WebGPU adapter unless asked", async () => {
    const plain = await launchBrowser();
    try {
      const page = await plain.newPage();
      await page.goto(server.url);
      expect(await page.evaluate(({ a, b }) => (globalThis as unknown as PageGlobals).multiplyAdd(a, b), { a: [1], b: [2] })).toBeNull();
    } finally {
      await plain.close();
    }
  });
});

describe("launchBrowser", () => {
  it("runs the Chromium CHROMIUM_PATH names instead of the bundled one", async () => {
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = "/nonexistent/chromium";
    try {
      await expect(launchBrowser()).rejects.toThrow("/nonexistent/chromium");
    } finally {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    }
  });
});

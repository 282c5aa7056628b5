import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Tensor, tensor } from "@nabla/tensor";
import { saveSafetensors } from "@nabla/nn";
import { loadFile, saveFile } from "@nabla/nn/node";
import { nablaError } from "../support/errors";

let directory: string;
beforeEach(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "nabla-safetensors-"));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(directory, { recursive: true, force: true });
});

const weights = () => ({
  "0.weight": tensor([
    [1, 2],
    [3, 4],
  ]),
  "0.bias": tensor([0.5, -0.5]),
});

describe("saveFile / loadFile", () => {
  it("writes exactly saveSafetensors' bytes and reads them back", () => {
    const file = path.join(directory, "model.safetensors");
    saveFile(file, weights(), { format: "pt" });
    expect(Buffer.from(fs.readFileSync(file)).equals(Buffer.from(saveSafetensors(weights(), { format: "pt" })))).toBe(true);
    const { tensors, metadata } = loadFile(file);
    expect(metadata).toEqual({ format: "pt" });
    expect(tensors["0.weight"]!.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(fs.readdirSync(directory)).toEqual(["model.safetensors"]); // no temporary file left behind
  });

  it("replaces an existing file", () => {
    const file = path.join(directory, "model.safetensors");
    fs.writeFileSync(file, "old contents");
    saveFile(file, { x: tensor([7]) });
    expect(loadFile(file).tensors.x!.toArray()).toEqual([7]);
    expect(fs.readdirSync(directory)).toEqual(["model.safetensors"]);
  });

  it("leaves the previous file intact and no temporary file when writing fails midway", () => {
    const file = path.join(directory, "model.safetensors");
    saveFile(file, weights());
    const before = fs.readFileSync(file);
    vi.spyOn(fs, "writeSync").mockImplementation(() => {
      throw new Error("ENOSPC: no space left on device");
    });
    const error = nablaError(() => saveFile(file, { x: tensor([1, 2, 3]) }));
    expect(error.message).toBe(`saveFile: cannot write ${file}: ENOSPC: no space left on device`);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(fs.readdirSync(directory)).toEqual(["model.safetensors"]);
  });

  it("rejects bad tensors before touching the disk", () => {
    const file = path.join(directory, "model.safetensors");
    const error = nablaError(() => saveFile(file, { x: "not a tensor" as unknown as Tensor }));
    expect(error.op).toBe("saveSafetensors");
    expect(fs.readdirSync(directory)).toEqual([]);
  });

  it("names the path when the directory does not exist", () => {
    const file = path.join(directory, "missing", "model.safetensors");
    expect(nablaError(() => saveFile(file, weights())).message).toMatch(new RegExp(`^saveFile: cannot write ${file}: ENOENT`));
  });

  it("names the file when reading fails or the content is invalid", () => {
    const missing = path.join(directory, "nope.safetensors");
    expect(nablaError(() => loadFile(missing)).message).toMatch(new RegExp(`^loadFile: cannot read ${missing}: ENOENT`));
    const corrupt = path.join(directory, "corrupt.safetensors");
    fs.writeFileSync(corrupt, new Uint8Array([1, 2, 3]));
    const error = nablaError(() => loadFile(corrupt));
    expect(error.op).toBe("loadFile");
    expect(error.message).toBe(`loadFile: ${corrupt}: the data is 3 bytes long, too short for the 8-byte header length`);
  });
});

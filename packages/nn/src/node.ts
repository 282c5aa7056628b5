/**
 * `@nabla/nn/node`: file helpers for Node. Everything else in @nabla/nn runs in browsers too;
 * only this entry point touches the file system.
 *
 * @module @nabla/nn/node
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { NablaError, type Tensor } from "@nabla/tensor/functional";
import { checkOptions } from "@nabla/tensor/internal";
import { readCsv, type CsvData, type ReadCsvOptions } from "./data/csv";
import { loadSafetensors, saveSafetensors, type SafetensorsContents } from "./io/safetensors";

/**
 * Writes tensors to a safetensors file atomically: the bytes go to a temporary file in the same
 * directory, are flushed to disk (fsync), and the temporary file is then renamed over `filePath`.
 * A crash or a failed write therefore leaves either the previous file or the complete new one,
 * never a truncated checkpoint. The directory must exist. The bytes are `saveSafetensors`'s, so
 * PyTorch reads the file with `safetensors.torch.load_file`; a failed write throws a NablaError
 * naming the file.
 *
 * @example
 * ```ts nocheck
 * const model = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 3));
 * saveFile("model.safetensors", model.stateDict(), { format: "pt" });
 * model.loadStateDict(loadFile("model.safetensors").tensors); // → { missingKeys: [], unexpectedKeys: [] }
 * saveFile("no/such/dir/model.safetensors", model.stateDict()); // throws saveFile: cannot write no/such/dir/model.safetensors: ENOENT…
 * ```
 */
export function saveFile(filePath: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const op = "saveFile";
  checkPath(op, filePath);
  const bytes = saveSafetensors(tensors, metadata); // serialise first: bad input never touches the disk
  const directory = path.dirname(filePath);
  const temporary = path.join(directory, `.${path.basename(filePath)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const fd = fs.openSync(temporary, "wx");
    try {
      for (let written = 0; written < bytes.length; ) written += fs.writeSync(fd, bytes, written);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, filePath);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new NablaError(op, `cannot write ${filePath}: ${(error as Error).message}`);
  }
  syncDirectory(directory);
}

/**
 * Reads a safetensors file (see `loadSafetensors`, whose checks and dtypes apply); errors name
 * the file.
 *
 * @example
 * ```ts nocheck
 * const { tensors, metadata } = loadFile("model.safetensors"); // as written by saveFile
 * metadata;                         // → { format: "pt" }
 * tensors["0.weight"]!.shape;       // → [8, 4]
 * loadFile("missing.safetensors");  // throws loadFile: cannot read missing.safetensors: ENOENT…
 * ```
 */
export function loadFile(filePath: string): SafetensorsContents {
  const op = "loadFile";
  checkPath(op, filePath);
  const bytes = readBytes(op, filePath);
  try {
    return loadSafetensors(bytes);
  } catch (error) {
    throw withFileName(op, filePath, error);
  }
}

/**
 * Reads a CSV file as UTF-8 and parses it with `readCsv` (same options and result); errors name
 * the file, line and column. A relative path is relative to the working directory.
 *
 * @example
 * ```ts
 * const iris = readCsvFile("examples/data/iris.csv", { label: "species" });
 * iris.features.shape;   // → [150, 4]
 * iris.featureNames;     // → ["sepal_length", "sepal_width", "petal_length", "petal_width"]
 * iris.classNames;       // → ["setosa", "versicolor", "virginica"]
 * readCsvFile("no/such/file.csv"); // throws readCsvFile: cannot read no/such/file.csv: …
 * ```
 */
export function readCsvFile(filePath: string, options: ReadCsvOptions = {}): CsvData {
  const op = "readCsvFile";
  checkPath(op, filePath);
  checkOptions(op, options);
  const text = new TextDecoder("utf-8").decode(readBytes(op, filePath));
  try {
    return readCsv(text, options);
  } catch (error) {
    throw withFileName(op, filePath, error);
  }
}

function checkPath(op: string, filePath: unknown): void {
  if (typeof filePath !== "string" || filePath === "") throw new NablaError(op, `expected a file path, got ${JSON.stringify(filePath)}`);
}

function readBytes(op: string, filePath: string): Uint8Array {
  try {
    return fs.readFileSync(filePath);
  } catch (error) {
    throw new NablaError(op, `cannot read ${filePath}: ${(error as Error).message}`);
  }
}

/** Re-raises a parser's NablaError with the file name in front of its detail. */
function withFileName(op: string, filePath: string, error: unknown): unknown {
  if (!(error instanceof NablaError)) return error;
  const detail = error.message.slice(error.op.length + 2); // the message is `${op}: ${detail}`
  return new NablaError(op, `${filePath}: ${detail}`);
}

/** Makes the rename itself durable; some platforms (Windows) cannot open a directory, which is fine. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(directory, "r");
    fs.fsyncSync(fd);
  } catch {
    // best effort: the file's own data is already on disk
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCsvFile } from "@nabla/nn/node";
import { nablaError } from "../support/errors";

let directory: string;
beforeAll(() => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "nabla-csv-"));
});
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, text);
  return file;
}

const errorMessage = (run: () => unknown): string => nablaError(run, "readCsvFile").message;

describe("readCsvFile", () => {
  it("reads a UTF-8 file with the options of readCsv", () => {
    const file = write("pets.csv", "größe,kind\n1.5,Katze\n2,Hund\n");
    const { features, labels, featureNames, classNames } = readCsvFile(file, { label: "kind" });
    expect(features.toArray()).toEqual([[1.5], [2]]);
    expect(featureNames).toEqual(["größe"]);
    expect(classNames).toEqual(["Hund", "Katze"]);
    expect(labels!.toArray()).toEqual([1, 0]);
  });

  it("puts the file name in front of the line and column of a bad cell", () => {
    const file = write("bad.csv", "a,b,y\n1,2,k\n3,x,k\n");
    expect(errorMessage(() => readCsvFile(file))).toBe(`readCsvFile: ${file}: line 3, column "b": "x" is not a finite number`);
    const ragged = write("ragged.csv", "a,b,y\n1,2\n");
    expect(errorMessage(() => readCsvFile(ragged))).toBe(
      `readCsvFile: ${ragged}: line 2 has 2 fields, but the header has 3 columns (missing column "y")`,
    );
    expect(errorMessage(() => readCsvFile(ragged, { label: "kind" }))).toMatch(
      /^readCsvFile: .*ragged\.csv: label column "kind" not found/,
    );
  });

  it("names a file it cannot read", () => {
    const missing = path.join(directory, "missing.csv");
    expect(errorMessage(() => readCsvFile(missing))).toMatch(new RegExp(`^readCsvFile: cannot read ${missing}: ENOENT`));
  });
});

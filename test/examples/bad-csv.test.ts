import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type ExpectStatic, afterAll, describe, it } from "vitest";
import { runExample, temporaryDirectory } from "./cli";

const temp = temporaryDirectory("nabla-bad-csv-");
afterAll(temp.remove);

/**
 * Trains on `csv` and expects a failure: non-zero exit, one error line naming the file and the
 * other `expected` parts, nothing on stdout about training, and no output folder.
 */
async function expectRejected(expect: ExpectStatic, name: string, csv: string, args: string[], expected: string[]): Promise<void> {
  const file = path.join(temp.dir, name);
  writeFileSync(file, csv);
  const out = path.join(temp.dir, `${name}-out`);
  const run = await runExample("train", ["--data", file, "--out", out, ...args]);
  expect(run.code).not.toBe(0);
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr).toMatch(/^error: /);
  expect(run.stderr).toContain(file);
  for (const part of expected) expect(run.stderr).toContain(part);
  expect(run.stdout).toBe("");
  expect(existsSync(out)).toBe(false);
}

// Concurrent: each case is one short-lived process, mostly start-up time.
describe.concurrent("a bad CSV stops the trainer before anything is written", () => {
  it("a ragged row: names the line and the missing column", async ({ expect }) => {
    await expectRejected(
      expect,
      "ragged.csv",
      "a,b,label\n1,2,x\n3,4,y\n5,6\n7,8,x\n",
      [],
      ["line 4 has 2 fields, but the header has 3 columns", 'missing column "label"'],
    );
  });

  it("a row with too many fields", async ({ expect }) => {
    await expectRejected(expect, "long.csv", "a,b,label\n1,2,x\n3,4,y,9\n", [], ["line 3 has 4 fields, but the header has 3 columns"]);
  });

  it("a non-numeric feature cell: names the line, the column and the cell", async ({ expect }) => {
    await expectRejected(
      expect,
      "text-cell.csv",
      "a,b,label\n1,2,x\n3,four,y\n",
      [],
      ['line 3, column "b"', '"four" is not a finite number'],
    );
  });

  it("an empty feature cell", async ({ expect }) => {
    await expectRejected(expect, "empty-cell.csv", "a,b,label\n1,2,x\n,4,y\n", [], ['line 3, column "a"', "empty"]);
  });

  it("an unknown label column: names it and lists the columns", async ({ expect }) => {
    await expectRejected(
      expect,
      "no-species.csv",
      "a,b,label\n1,2,x\n3,4,y\n",
      ["--label", "species"],
      ['label column "species" not found', '"a", "b", "label"'],
    );
  });

  it("a single class: names the label column and the class", async ({ expect }) => {
    await expectRejected(
      expect,
      "one-class.csv",
      "a,b,label\n1,2,x\n3,4,x\n5,6,x\n",
      [],
      ['column "label" holds a single class, "x", in all 3 rows', "at least two classes"],
    );
  });

  it("a missing file", async ({ expect }) => {
    const out = path.join(temp.dir, "missing-out");
    const run = await runExample("train", ["--data", path.join(temp.dir, "nope.csv"), "--out", out]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`cannot read ${path.join(temp.dir, "nope.csv")}`);
    expect(existsSync(out)).toBe(false);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NablaError } from "@nabla/tensor";
import { readCsv, type CsvData } from "@nabla/nn";
import { attempt, describeError, fuzzParameters, wellFormedProblems } from "../support/fuzz-checks";

// readCsv on generated CSV text (quoting, line endings, byte-order mark, blank lines, numeric and
// named labels) checked against what the text says, then on that text mutated character by
// character, truncated and given hostile cells: every outcome is a correct parse or a NablaError,
// and a parse never yields a non-finite float32 feature or a label outside its classes.

/** A generous bound on parsing a few kilobytes: a hang or a blow-up fails it. */
const PARSE_LIMIT_MS = 1000;

interface CsvCase {
  featureNames: string[];
  labelName: string;
  labelNamed: boolean;
  rows: { features: { value: number; text: string }[]; label: string }[];
  lineEnd: "\n" | "\r\n" | "\r";
  bom: boolean;
  trailingNewline: boolean;
  blankLineAfter: number | null;
}

/** A number as a CSV cell in one of the forms readCsv accepts, maybe with spaces around. */
const numberCellArb = fc
  .record({
    value: fc.oneof(
      fc.integer({ min: -999, max: 999 }),
      fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(0.5, 1e-7, 3e38, -0),
    ),
    form: fc.constantFrom("plain", "exponent", "plus", "spaces"),
  })
  .map(({ value, form }) => {
    const text =
      form === "exponent"
        ? value.toExponential()
        : form === "plus" && value >= 0
          ? `+${value}`
          : form === "spaces"
            ? ` ${value}\t`
            : String(value);
    return { value: Number(text), text };
  });

/** A header or label cell: plain, or needing quotes (a comma, a quote, a line break). */
const nameArb = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,5}$/), fc.constantFrom("a,b", 'say "hi"', "two\nlines", "größe"));
const quote = (cell: string) => (/[",\r\n]/.test(cell) || cell !== cell.trim() ? `"${cell.replaceAll('"', '""')}"` : cell);

const csvCaseArb: fc.Arbitrary<CsvCase> = fc
  .record({
    names: fc.uniqueArray(nameArb, { minLength: 2, maxLength: 5 }),
    rowCount: fc.integer({ min: 1, max: 6 }),
    numericLabels: fc.boolean(),
    labelNamed: fc.boolean(),
    lineEnd: fc.constantFrom<CsvCase["lineEnd"]>("\n", "\r\n", "\r"),
    bom: fc.boolean(),
    trailingNewline: fc.boolean(),
    blankLineAfter: fc.option(fc.nat(6), { nil: null }),
  })
  .chain(({ names, rowCount, numericLabels, ...rest }) => {
    const label = numericLabels ? fc.constantFrom("0", "1", "2", "07", "7.0", "-1") : fc.constantFrom("setosa", "versicolor", "b,c", "x y");
    const row = fc.record({ features: fc.array(numberCellArb, { minLength: names.length - 1, maxLength: names.length - 1 }), label });
    return fc
      .array(row, { minLength: rowCount, maxLength: rowCount })
      .map((rows) => ({ ...rest, featureNames: names.slice(0, -1), labelName: names.at(-1)!, rows }));
  });

/** `x,label` and one row `1,a`: where every run starts (a float32 overflow in its first cell). */
const SMALL_CASE: CsvCase = {
  featureNames: ["x"],
  labelName: "label",
  labelNamed: false,
  rows: [{ features: [{ value: 1, text: "1" }], label: "a" }],
  lineEnd: "\n",
  bom: false,
  trailingNewline: true,
  blankLineAfter: null,
};

function csvText(c: CsvCase): string {
  const lines = [
    [...c.featureNames, c.labelName].map(quote).join(","),
    ...c.rows.map((r) => [...r.features.map((f) => f.text), quote(r.label)].join(",")),
  ];
  if (c.blankLineAfter !== null) lines.splice(Math.min(c.blankLineAfter, lines.length - 1) + 1, 0, "");
  return (c.bom ? "\ufeff" : "") + lines.join(c.lineEnd) + (c.trailingNewline ? c.lineEnd : "");
}

/** Everything a parse promises: shapes that fit, finite float32 features, labels inside the classes. */
function parseProblems(data: CsvData): string[] {
  const problems = [...wellFormedProblems(data.features, "features")];
  const [rows, cols] = data.features.shape;
  if (data.features.dtype !== "float32" || data.features.ndim !== 2 || cols !== data.featureNames.length)
    problems.push(`features are ${data.features.dtype} [${data.features.shape.join(", ")}] for ${data.featureNames.length} feature names`);
  const bad = Array.from(data.features.data()).findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) problems.push(`feature ${bad} is ${data.features.data()[bad]} (every feature must be a finite number)`);
  if (new Set(data.featureNames).size !== data.featureNames.length) problems.push("feature names repeat");
  if (data.labels !== null) {
    problems.push(...wellFormedProblems(data.labels, "labels"));
    if (data.labels.dtype !== "int32" || data.labels.shape.length !== 1 || data.labels.shape[0] !== rows)
      problems.push(`labels are ${data.labels.dtype} [${data.labels.shape.join(", ")}] for ${rows} rows`);
    const outside = Array.from(data.labels.data()).findIndex((v) => v < 0 || v >= data.classNames.length);
    if (outside >= 0) problems.push(`label ${outside} is ${data.labels.data()[outside]}, outside ${data.classNames.length} classes`);
  }
  return problems;
}

function expectParsesOrRefuses(text: string, options?: Parameters<typeof readCsv>[1]): CsvData | null {
  const started = performance.now();
  const outcome = attempt(() => readCsv(text, options));
  const elapsed = performance.now() - started;
  expect(elapsed, `readCsv took ${elapsed.toFixed(0)} ms for ${text.length} characters`).toBeLessThan(PARSE_LIMIT_MS);
  if (!outcome.ok) {
    if (!(outcome.error instanceof NablaError)) expect.fail(`readCsv threw ${describeError(outcome.error)}`);
    return null;
  }
  const problems = parseProblems(outcome.value);
  if (problems.length > 0) expect.fail(problems.join("\n"));
  return outcome.value;
}

describe("readCsv on generated text", () => {
  it("reads the features, names and labels the text holds", () => {
    fc.assert(
      fc.property(csvCaseArb, (c) => {
        const data = expectParsesOrRefuses(csvText(c), c.labelNamed ? { label: c.labelName } : undefined);
        expect(data, "a valid file is read").not.toBeNull();
        expect(data!.featureNames).toEqual(c.featureNames);
        expect(Array.from(data!.features.data())).toEqual(c.rows.flatMap((r) => r.features.map((f) => Math.fround(f.value))));
        // numeric labels are classes by value, sorted numerically; others sorted as strings
        const numeric = c.rows.every((r) => !Number.isNaN(Number(r.label)) && r.label.trim() !== "");
        const keys = c.rows.map((r) => (numeric ? String(Number(r.label)) : r.label));
        const classes = [...new Set(keys)].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
        expect(data!.classNames).toEqual(classes);
        expect(Array.from(data!.labels!.data())).toEqual(keys.map((k) => classes.indexOf(k)));
      }),
      fuzzParameters(100),
    );
  });
});

const ALPHABET = [",", '"', "\n", "\r", " ", "\t", "1", "e", "-", "+", ".", "x", "\ufeff", "\u0000", "\ud800", "9"];
const HOSTILE_CELLS = [
  "1e39",
  "-1e39",
  "3.5e38",
  "1e400",
  "NaN",
  "Infinity",
  "0x10",
  "1_000",
  "1e",
  ".",
  "",
  "--1",
  "1..2",
  " ",
  '"',
  '""',
  '"a""',
  "9".repeat(400),
  `${"1".repeat(40)}e-30`,
];

type TextEdit =
  | { kind: "replace" | "insert"; at: number; text: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "truncate"; at: number }
  | { kind: "cell"; at: number; cell: string }
  | { kind: "duplicate line"; at: number };

const editArb: fc.Arbitrary<TextEdit> = fc.oneof(
  fc.record({ kind: fc.constantFrom("replace" as const, "insert" as const), at: fc.nat(), text: fc.constantFrom(...ALPHABET) }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("cell" as const), at: fc.nat(), cell: fc.constantFrom(...HOSTILE_CELLS) }),
  fc.record({ kind: fc.constant("duplicate line" as const), at: fc.nat() }),
);

function applyEdit(text: string, edit: TextEdit): string {
  const at = text.length === 0 ? 0 : edit.at % (text.length + 1);
  switch (edit.kind) {
    case "replace":
      return text.slice(0, at) + edit.text + text.slice(at + 1);
    case "insert":
      return text.slice(0, at) + edit.text + text.slice(at);
    case "delete":
      return text.slice(0, at) + text.slice(at + edit.length);
    case "truncate":
      return text.slice(0, at);
    case "duplicate line": {
      const lines = text.split("\n");
      const i = edit.at % lines.length;
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
    case "cell": {
      // the cell around `at`, between separators (a comma or a line break)
      let start = at;
      while (start > 0 && !",\r\n".includes(text[start - 1]!)) start--;
      let end = at;
      while (end < text.length && !",\r\n".includes(text[end]!)) end++;
      return text.slice(0, start) + edit.cell + text.slice(end);
    }
  }
}

describe("readCsv on hostile text", () => {
  it("mutated, truncated text and hostile cells give a correct parse or a NablaError", () => {
    fc.assert(
      fc.property(
        csvCaseArb,
        fc.array(editArb, { minLength: 1, maxLength: 4 }),
        fc.option(fc.constantFrom<string | null>("label", "", "a,b", null), { nil: undefined }),
        (c, edits, label) => {
          const text = edits.reduce(applyEdit, csvText(c));
          expectParsesOrRefuses(text, label === undefined ? undefined : { label });
        },
      ),
      {
        ...fuzzParameters<[CsvCase, TextEdit[], string | null | undefined]>(300),
        examples: [[SMALL_CASE, [{ kind: "cell", at: 8, cell: "1e39" }], undefined]],
      },
    );
  });

  it("long lines, many columns and long quoted fields parse in time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 2000 }), fc.constantFrom(",", "\n", '"', "1,"), (n, piece) => {
        expectParsesOrRefuses(`a,b\n1,${piece.repeat(n)}\n`);
        expectParsesOrRefuses(`${Array.from({ length: n }, (_, i) => `c${i}`).join(",")}\n${"1,".repeat(n - 1)}x\n`);
        expectParsesOrRefuses(`a,b\n1,"${"x\n".repeat(n)}"\n`);
      }),
      fuzzParameters(10),
    );
  });
});

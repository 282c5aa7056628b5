import { NablaError, type Tensor, tensor } from "@nabla/tensor/functional";
import { checkBoolean, checkOptions } from "@nabla/tensor/internal";

/** Options of `readCsv` and `readCsvFile`: which column holds the labels. */
export interface ReadCsvOptions {
  /**
   * The label column's name. Default: the last column. `null` means the file has no label
   * column: every column is a feature and `labels` is null.
   */
  label?: string | null;
  /**
   * With a named `label`, a file without that column is read as unlabelled (`labels` null) instead
   * of being an error: for data that may or may not carry its labels, such as a prediction input.
   */
  optionalLabel?: boolean;
}

/** What `readCsv` returns: the feature matrix, the class labels and the names of both. */
export interface CsvData {
  /** float32 `[rows, featureNames.length]`. */
  features: Tensor;
  /** int32 `[rows]`: the index of each row's class in `classNames`; null without a label column. */
  labels: Tensor | null;
  /** The feature columns' names, in file order (the label column left out). */
  featureNames: string[];
  /** The label column's name (the last column by default); null when there is none. */
  labelColumn: string | null;
  /** The distinct labels, in the order their indices follow (empty without a label column). */
  classNames: string[];
}

const OP = "readCsv";

/**
 * Parses CSV text with a header row into a float32 feature matrix and int32 class labels.
 *
 * Format: RFC 4180 (comma-separated; fields may be quoted, with `""` for a quote inside and commas
 * or line breaks allowed within quotes), lines ending in LF, CRLF or CR, an optional trailing line
 * break, and a leading byte-order mark ignored. Blank lines are skipped. Header names and cells
 * are trimmed of surrounding whitespace. Every feature cell must be a decimal number finite in float32.
 *
 * Labels: the class names are the label column's distinct values, sorted, and each row's label is
 * the index of its value. When every label cell is a number, they are sorted numerically and
 * named by their shortest form (`"07"` and `"7.0"` are both class `"7"`), so integer labels
 * 0…k-1 keep their values; otherwise they are sorted as strings (`"setosa" < "versicolor"`).
 *
 * Errors name the line in the text (1-based, counting every line break, the header being line 1)
 * and the column: ragged rows, empty or non-numeric feature cells, empty labels, bad quoting, an
 * unknown label column (listing the columns), no rows, duplicate or empty column names.
 *
 * @example
 * ```ts
 * const data = readCsv("sepal,petal,species\n5.1,1.4,setosa\n6.3,6.0,virginica\n", { label: "species" });
 * data.features;      // → [[5.1, 1.4], [6.3, 6.0]]
 * data.labels;        // → [0, 1]
 * data.classNames;    // → ["setosa", "virginica"]
 * data.featureNames;  // → ["sepal", "petal"]
 * readCsv("a,b\n1,2\n", { label: null }).labels; // → null
 * readCsv("a,b\n1,x\n", { label: null });        // throws readCsv: line 2, column "b": "x" is not a finite number
 * ```
 */
export function readCsv(text: string, options: ReadCsvOptions = {}): CsvData {
  if (typeof text !== "string") throw new NablaError(OP, `expected the CSV text as a string, got ${typeof text}`);
  const { label, optionalLabel = false } = checkOptions(OP, options);
  checkBoolean(OP, "optionalLabel", optionalLabel);
  if (label !== undefined && label !== null && typeof label !== "string") {
    throw new NablaError(OP, `label must be a column name or null, got ${typeof label}`);
  }
  const records = parseRecords(text);
  const header = records[0];
  if (header === undefined) throw new NablaError(OP, "the text is empty (expected a header row)");
  const columns = checkHeader(header);
  const rows = records.slice(1);
  if (rows.length === 0) throw new NablaError(OP, `no data rows after the header (line ${header.line})`);

  const labelColumn = label === null ? -1 : label === undefined ? columns.length - 1 : columns.indexOf(label.trim());
  if (label !== null && label !== undefined && labelColumn < 0 && !optionalLabel) {
    throw new NablaError(
      OP,
      `label column ${JSON.stringify(label)} not found; the columns are ${columns.map((c) => JSON.stringify(c)).join(", ")}`,
    );
  }
  const featureColumns = columns.map((_, c) => c).filter((c) => c !== labelColumn);
  if (featureColumns.length === 0) {
    throw new NablaError(OP, `no feature columns: the only column, ${JSON.stringify(columns[0])}, is the label column`);
  }

  const features = new Float32Array(rows.length * featureColumns.length);
  const labelCells: string[] = [];
  rows.forEach((record, r) => {
    checkFieldCount(record, columns);
    featureColumns.forEach((c, f) => {
      features[r * featureColumns.length + f] = parseFeature(record.fields[c]!, record.line, columns[c]!);
    });
    if (labelColumn >= 0) {
      const cell = record.fields[labelColumn]!.trim();
      if (cell === "") throw new NablaError(OP, `line ${record.line}, column ${JSON.stringify(columns[labelColumn])}: the label is empty`);
      labelCells.push(cell);
    }
  });

  const featureNames = featureColumns.map((c) => columns[c]!);
  const featureTensor = tensor(features, { shape: [rows.length, featureColumns.length] });
  if (labelColumn < 0) return { features: featureTensor, labels: null, featureNames, labelColumn: null, classNames: [] };
  const { labels, classNames } = encodeLabels(labelCells);
  return { features: featureTensor, labels: tensor(labels), featureNames, labelColumn: columns[labelColumn]!, classNames };
}

interface CsvRecord {
  /** The 1-based line on which the record starts. */
  line: number;
  fields: string[];
}

function checkHeader(header: CsvRecord): string[] {
  const columns = header.fields.map((name) => name.trim());
  const seen = new Map<string, number>();
  columns.forEach((name, c) => {
    if (name === "") throw new NablaError(OP, `line ${header.line}: column ${c + 1} of the header has an empty name`);
    const first = seen.get(name);
    if (first !== undefined) {
      throw new NablaError(
        OP,
        `line ${header.line}: column name ${JSON.stringify(name)} appears twice (columns ${first + 1} and ${c + 1})`,
      );
    }
    seen.set(name, c);
  });
  return columns;
}

function checkFieldCount(record: CsvRecord, columns: string[]): void {
  const count = record.fields.length;
  if (count === columns.length) return;
  const detail =
    count < columns.length
      ? `missing column ${JSON.stringify(columns[count])}`
      : `${count - columns.length} field(s) after the last column ${JSON.stringify(columns[columns.length - 1])}`;
  throw new NablaError(OP, `line ${record.line} has ${count} fields, but the header has ${columns.length} columns (${detail})`);
}

// A plain decimal number: optional sign, digits with an optional fraction, optional exponent.
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function parseNumber(cell: string): number | undefined {
  if (!DECIMAL.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

function parseFeature(cell: string, line: number, column: string): number {
  const trimmed = cell.trim();
  const where = `line ${line}, column ${JSON.stringify(column)}`;
  if (trimmed === "") throw new NablaError(OP, `${where}: the cell is empty (a feature needs a number)`);
  const value = parseNumber(trimmed);
  if (value === undefined) throw new NablaError(OP, `${where}: ${JSON.stringify(trimmed)} is not a finite number`);
  // features are stored as float32, where a value past ±3.4028235e38 would become ±Infinity
  if (!Number.isFinite(Math.fround(value)))
    throw new NablaError(OP, `${where}: ${JSON.stringify(trimmed)} is too large for float32 (at most ±3.4028235e38)`);
  return value;
}

function encodeLabels(cells: string[]): { labels: Int32Array; classNames: string[] } {
  const numbers = cells.map(parseNumber);
  const numeric = numbers.every((value) => value !== undefined);
  // Numeric labels are keyed by their value, so "7", "07" and "7.0" are one class named "7".
  const keys = numeric ? numbers.map((value) => String(value)) : cells;
  const distinct = [...new Set(keys)];
  if (numeric) distinct.sort((a, b) => Number(a) - Number(b));
  else distinct.sort();
  const indexOf = new Map(distinct.map((name, i) => [name, i]));
  return { labels: Int32Array.from(keys, (key) => indexOf.get(key)!), classNames: distinct };
}

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;

/** Splits CSV text into records (RFC 4180), skipping blank lines and a leading byte-order mark. */
function parseRecords(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const end = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (pos < end) {
    const record: CsvRecord = { line, fields: [] };
    let quotedAny = false;
    for (;;) {
      const fieldNumber = record.fields.length + 1;
      let p = skipSpaces(text, pos);
      let value: string;
      if (p < end && text.charCodeAt(p) === QUOTE) {
        quotedAny = true;
        const openedOn = line;
        const parts: string[] = [];
        let start = p + 1;
        for (;;) {
          const close = text.indexOf('"', start);
          if (close < 0) throw new NablaError(OP, `line ${openedOn}, field ${fieldNumber}: the quoted field opened here is never closed`);
          parts.push(text.slice(start, close));
          if (text.charCodeAt(close + 1) !== QUOTE) {
            p = close + 1;
            break;
          }
          parts.push('"'); // "" inside quotes is one quote
          start = close + 2;
        }
        value = parts.join("");
        line += countLineBreaks(value);
        p = skipSpaces(text, p);
        if (p < end && !isFieldEnd(text.charCodeAt(p))) {
          throw new NablaError(OP, `line ${line}, field ${fieldNumber}: unexpected ${JSON.stringify(text[p])} after a closing quote`);
        }
      } else {
        p = pos;
        while (p < end && !isFieldEnd(text.charCodeAt(p))) {
          if (text.charCodeAt(p) === QUOTE) {
            throw new NablaError(
              OP,
              `line ${line}, field ${fieldNumber}: a quote inside an unquoted field (quote the whole field and double the quote)`,
            );
          }
          p++;
        }
        value = text.slice(pos, p);
      }
      record.fields.push(value);
      if (p < end && text.charCodeAt(p) === COMMA) {
        pos = p + 1;
        continue;
      }
      pos = skipLineBreak(text, p);
      if (pos > p) line++;
      break;
    }
    const blank = !quotedAny && record.fields.length === 1 && record.fields[0]!.trim() === "";
    if (!blank) records.push(record);
  }
  return records;
}

function isFieldEnd(code: number): boolean {
  return code === COMMA || code === LF || code === CR;
}

function skipSpaces(text: string, pos: number): number {
  while (pos < text.length && (text[pos] === " " || text[pos] === "\t")) pos++;
  return pos;
}

/** Steps over one line break (CRLF, LF or CR) at `pos`, if there is one. */
function skipLineBreak(text: string, pos: number): number {
  const code = text.charCodeAt(pos);
  if (code === CR) return text.charCodeAt(pos + 1) === LF ? pos + 2 : pos + 1;
  if (code === LF) return pos + 1;
  return pos;
}

function countLineBreaks(value: string): number {
  let count = 0;
  for (let pos = 0; pos < value.length; ) {
    const next = skipLineBreak(value, pos);
    if (next > pos) {
      count++;
      pos = next;
    } else pos++;
  }
  return count;
}

import { describe, expect, it } from "vitest";
import { readCsv } from "@nabla/nn";
import { nablaError } from "../support/errors";

const csvError = (text: string, options?: Parameters<typeof readCsv>[1]): string =>
  nablaError(() => readCsv(text, options), "readCsv").message;

const IRIS = `sepal_length,sepal_width,petal_length,petal_width,species
5.1,3.5,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.3,3.3,6.0,2.5,virginica
4.9,3.0,1.4,0.2,setosa
`;

describe("readCsv", () => {
  it("reads features as float32 and maps text labels to indices in sorted order of the names", () => {
    const { features, labels, featureNames, classNames } = readCsv(IRIS);
    expect(features.dtype).toBe("float32");
    expect(features.shape).toEqual([4, 4]);
    expect(Array.from(features.data())).toEqual(
      Array.from(new Float32Array([5.1, 3.5, 1.4, 0.2, 7.0, 3.2, 4.7, 1.4, 6.3, 3.3, 6.0, 2.5, 4.9, 3.0, 1.4, 0.2])),
    );
    expect(featureNames).toEqual(["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    expect(classNames).toEqual(["setosa", "versicolor", "virginica"]);
    expect(labels!.dtype).toBe("int32");
    expect(labels!.toArray()).toEqual([0, 1, 2, 0]);
  });

  it("sorts class names, not first appearances", () => {
    const { labels, classNames } = readCsv("x,animal\n1,zebra\n2,ant\n3,zebra\n4,Moose\n");
    expect(classNames).toEqual(["Moose", "ant", "zebra"]);
    expect(labels!.toArray()).toEqual([2, 1, 2, 0]);
  });

  it("keeps numeric labels' values as indices when they are 0…k-1, sorting numerically and naming by value", () => {
    const digits = readCsv("p0,p1,label\n0,1,9\n1,0,10\n2,2,0\n3,3,2\n");
    expect(digits.classNames).toEqual(["0", "2", "9", "10"]);
    expect(digits.labels!.toArray()).toEqual([2, 3, 0, 1]);
    const dense = readCsv("a,label\n1,2\n2,0\n3,1\n4,2\n");
    expect(dense.labels!.toArray()).toEqual([2, 0, 1, 2]);
    expect(dense.classNames).toEqual(["0", "1", "2"]);
    const spelled = readCsv("a,label\n1, 07\n2,7.0\n3,-1\n");
    expect(spelled.classNames).toEqual(["-1", "7"]);
    expect(spelled.labels!.toArray()).toEqual([1, 1, 0]);
  });

  it("uses the named label column wherever it is, and keeps the others as features in order", () => {
    const { features, labels, featureNames, classNames } = readCsv("kind,a,b\ncat,1,2\ndog,3,4\n", { label: "kind" });
    expect(featureNames).toEqual(["a", "b"]);
    expect(features.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(classNames).toEqual(["cat", "dog"]);
    expect(labels!.toArray()).toEqual([0, 1]);
  });

  it("names the label column it used: the last one by default, the named one, or null", () => {
    expect(readCsv("a,b,y\n1,2,x\n").labelColumn).toBe("y");
    expect(readCsv("kind,a\ncat,1\n", { label: " kind " }).labelColumn).toBe("kind");
    expect(readCsv("a,b\n1,2\n", { label: null }).labelColumn).toBeNull();
  });

  it("reads a file without the named label column as unlabelled with optionalLabel", () => {
    const present = readCsv("a,species\n1,setosa\n", { label: "species", optionalLabel: true });
    expect(present.labels!.toArray()).toEqual([0]);
    expect(present.featureNames).toEqual(["a"]);
    const absent = readCsv("a,b\n1,2\n", { label: "species", optionalLabel: true });
    expect(absent.labels).toBeNull();
    expect(absent.labelColumn).toBeNull();
    expect(absent.featureNames).toEqual(["a", "b"]);
    expect(() => readCsv("a,b\n1,2\n", { label: "species" })).toThrow('readCsv: label column "species" not found');
  });

  it("reads every column as a feature with label: null", () => {
    const { features, labels, featureNames, classNames } = readCsv("a,b\n1,2\n3,4\n", { label: null });
    expect(featureNames).toEqual(["a", "b"]);
    expect(features.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(labels).toBeNull();
    expect(classNames).toEqual([]);
  });

  it("handles CRLF and CR line ends, a missing final newline, blank lines and a byte-order mark", () => {
    const expected = readCsv("a,b,c\n1,2,x\n3,4,y\n");
    for (const text of [
      "a,b,c\r\n1,2,x\r\n3,4,y\r\n",
      "a,b,c\r1,2,x\r3,4,y",
      "\uFEFFa,b,c\n1,2,x\n\n3,4,y",
      "a,b,c\n\n1,2,x\r\n   \n3,4,y\n\n",
    ]) {
      const result = readCsv(text);
      expect(result.features.toArray(), JSON.stringify(text)).toEqual(expected.features.toArray());
      expect(result.labels!.toArray()).toEqual(expected.labels!.toArray());
      expect(result.featureNames).toEqual(["a", "b"]);
    }
  });

  it("parses RFC 4180 quoting: commas, quotes and line breaks inside quoted fields", () => {
    const text = 'size,"weight, kg",name\n1,"2.5","Smith, ""Jr."""\n" 3 ",4,"two\nlines"\n';
    const { features, featureNames, classNames, labels } = readCsv(text);
    expect(featureNames).toEqual(["size", "weight, kg"]);
    expect(features.toArray()).toEqual([
      [1, 2.5],
      [3, 4],
    ]);
    expect(classNames).toEqual(['Smith, "Jr."', "two\nlines"]);
    expect(labels!.toArray()).toEqual([0, 1]);
  });

  it("accepts whitespace around numbers, signs, exponents and leading dots", () => {
    const { features } = readCsv("a,b,c,y\n  1.5 ,\t-2e3, .25 ,k\n+7,1E-2,-.5,k\n");
    expect(Array.from(features.data())).toEqual(Array.from(new Float32Array([1.5, -2000, 0.25, 7, 0.01, -0.5])));
  });

  it("trims header names so labels can be found by their plain name", () => {
    const { featureNames, classNames } = readCsv(" a , b ,  label \n1,2,x\n", { label: "label" });
    expect(featureNames).toEqual(["a", "b"]);
    expect(classNames).toEqual(["x"]);
  });
});

describe("readCsv errors name the line and column", () => {
  it("rejects ragged rows", () => {
    expect(csvError("a,b,c\n1,2,x\n3,4\n")).toBe('readCsv: line 3 has 2 fields, but the header has 3 columns (missing column "c")');
    expect(csvError("a,b,c\n1,2,x,9,9\n")).toBe(
      'readCsv: line 2 has 5 fields, but the header has 3 columns (2 field(s) after the last column "c")',
    );
  });

  it("counts lines as in the file: CRLF once, blank lines and line breaks inside quotes included", () => {
    expect(csvError('a,b,c\r\n\r\n1,2,"x\r\ny"\r\n3,oops,z\r\n')).toBe('readCsv: line 5, column "b": "oops" is not a finite number');
  });

  it("rejects non-numeric and empty feature cells", () => {
    expect(csvError("a,b,y\n1,2,k\n1,abc,k\n")).toBe('readCsv: line 3, column "b": "abc" is not a finite number');
    expect(csvError("a,b,y\n1, ,k\n")).toBe('readCsv: line 2, column "b": the cell is empty (a feature needs a number)');
    expect(csvError("a,b,y\n1,NaN,k\n")).toMatch(/line 2, column "b": "NaN" is not a finite number/);
    expect(csvError("a,b,y\n1,1e999,k\n")).toMatch(/line 2, column "b": "1e999" is not a finite number/);
    expect(csvError("a,b,y\n0x10,1,k\n")).toMatch(/line 2, column "a": "0x10" is not a finite number/);
  });

  it("rejects an empty label", () => {
    expect(csvError("a,y\n1,k\n2,\n")).toBe('readCsv: line 3, column "y": the label is empty');
  });

  it("lists the columns when the label column is unknown", () => {
    expect(csvError(IRIS, { label: "class" })).toBe(
      'readCsv: label column "class" not found; the columns are "sepal_length", "sepal_width", "petal_length", "petal_width", "species"',
    );
  });

  it("rejects empty files, a header with no rows, duplicate or empty column names, and no feature columns", () => {
    expect(csvError("")).toBe("readCsv: the text is empty (expected a header row)");
    expect(csvError("\n\r\n  \n")).toBe("readCsv: the text is empty (expected a header row)");
    expect(csvError("a,b,y\n")).toBe("readCsv: no data rows after the header (line 1)");
    expect(csvError("a,b,a\n1,2,3\n")).toBe('readCsv: line 1: column name "a" appears twice (columns 1 and 3)');
    expect(csvError("a,,y\n1,2,3\n")).toBe("readCsv: line 1: column 2 of the header has an empty name");
    expect(csvError("label\n1\n2\n")).toBe('readCsv: no feature columns: the only column, "label", is the label column');
  });

  it("rejects bad quoting", () => {
    expect(csvError('a,b\n1,"open\n2,3\n')).toBe("readCsv: line 2, field 2: the quoted field opened here is never closed");
    expect(csvError('a,b\n1,"x"y\n')).toBe('readCsv: line 2, field 2: unexpected "y" after a closing quote');
    expect(csvError('a,b\n1,x"y\n')).toBe(
      "readCsv: line 2, field 2: a quote inside an unquoted field (quote the whole field and double the quote)",
    );
  });

  it("rejects options of the wrong type", () => {
    expect(csvError("a,b\n1,2\n", { label: 3 as unknown as string })).toBe("readCsv: label must be a column name or null, got number");
  });
});

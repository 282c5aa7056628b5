import { NablaError, Tensor } from "@nabla/tensor";

/**
 * The assertions behind the `// →` and `// throws` annotations of documentation examples (see
 * readme-examples.test.ts for the convention). The generated example files import this module and
 * call `check` / `checkThrows`; both throw an Error naming the markdown file and line on mismatch.
 */

/** A parsed expected value: numbers carry the tolerance their written digits imply. */
export type Expected =
  | { kind: "number"; value: number; tolerance: number }
  | { kind: "exact"; value: string | boolean | null }
  | { kind: "array"; items: Expected[] }
  | { kind: "object"; fields: [string, Expected][] };

// float32 keeps about 7 significant digits: a value written to more digits than that (as PyTorch
// prints float32 through numpy) still matches the float32 result
const RELATIVE_TOLERANCE = 1e-6;

/**
 * Parses the literal after `// →`: numbers (`0.6590`, `-1e-17`, `NaN`, `Infinity`), strings in
 * double quotes, `true`/`false`/`null`, arrays, and objects with plain or quoted keys.
 */
export function parseExpected(text: string): Expected {
  let pos = 0;
  const fail = (what: string): never => {
    throw new Error(`cannot read the expected value ${JSON.stringify(text)}: ${what} at column ${pos + 1}`);
  };
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const value = (): Expected => {
    skip();
    const rest = text.slice(pos);
    if (rest.startsWith("[")) {
      pos++;
      const items: Expected[] = [];
      skip();
      if (text[pos] === "]") {
        pos++;
        return { kind: "array", items };
      }
      for (;;) {
        items.push(value());
        skip();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "]") {
          pos++;
          return { kind: "array", items };
        } else fail("expected , or ]");
      }
    }
    if (rest.startsWith("{")) {
      pos++;
      const fields: [string, Expected][] = [];
      skip();
      if (text[pos] === "}") {
        pos++;
        return { kind: "object", fields };
      }
      for (;;) {
        skip();
        const key = /^(?:"(?:[^"\\]|\\.)*"|[A-Za-z_$][\w$]*)/.exec(text.slice(pos))?.[0] ?? fail("expected a key");
        pos += key.length;
        skip();
        if (text[pos] !== ":") fail("expected :");
        pos++;
        fields.push([key.startsWith('"') ? (JSON.parse(key) as string) : key, value()]);
        skip();
        if (text[pos] === ",") pos++;
        else if (text[pos] === "}") {
          pos++;
          return { kind: "object", fields };
        } else fail("expected , or }");
      }
    }
    const string = /^"(?:[^"\\]|\\.)*"/.exec(rest);
    if (string) {
      pos += string[0].length;
      return { kind: "exact", value: JSON.parse(string[0]) as string };
    }
    const word = /^(true|false|null)\b/.exec(rest);
    if (word) {
      pos += word[0].length;
      return { kind: "exact", value: word[1] === "null" ? null : word[1] === "true" };
    }
    const special = /^(-?)(NaN|Infinity)\b/.exec(rest);
    if (special) {
      pos += special[0].length;
      const magnitude = special[2] === "NaN" ? NaN : Infinity;
      return { kind: "number", value: special[1] ? -magnitude : magnitude, tolerance: 0 };
    }
    const number = /^-?(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?/i.exec(rest);
    if (number) {
      pos += number[0].length;
      const fractionDigits = number[2]?.length ?? 0;
      const exponent = Number(number[3] ?? 0);
      // written with a point or an exponent: good to half a unit of the last digit shown
      const approximate = number[2] !== undefined || number[3] !== undefined;
      return { kind: "number", value: Number(number[0]), tolerance: approximate ? 0.5 / 10 ** (fractionDigits - exponent) : 0 };
    }
    return fail("expected a value");
  };
  const parsed = value();
  skip();
  if (pos !== text.length) fail("unexpected text after the value");
  return parsed;
}

/** Where `actual` differs from `expected` (a path and a description), or null when it matches. */
export function mismatch(actual: unknown, expected: Expected, path = "value"): string | null {
  if (actual instanceof Tensor) return mismatch(actual.toArray(), expected, path);
  if (ArrayBuffer.isView(actual)) return mismatch(Array.from(actual as unknown as ArrayLike<number>), expected, path);
  switch (expected.kind) {
    case "number": {
      if (typeof actual !== "number") return `${path} is ${describe(actual)}, expected a number`;
      const want = expected.value;
      if (Number.isNaN(want)) return Number.isNaN(actual) ? null : `${path} is ${actual}, expected NaN`;
      if (!Number.isFinite(want)) return actual === want ? null : `${path} is ${actual}, expected ${want}`;
      const allowed = expected.tolerance + RELATIVE_TOLERANCE * Math.abs(want);
      return Math.abs(actual - want) <= allowed ? null : `${path} is ${actual}, expected ${want} (± ${allowed.toExponential(1)})`;
    }
    case "exact":
      return Object.is(actual, expected.value) ? null : `${path} is ${describe(actual)}, expected ${JSON.stringify(expected.value)}`;
    case "array": {
      if (!Array.isArray(actual)) return `${path} is ${describe(actual)}, expected an array`;
      if (actual.length !== expected.items.length) return `${path} has ${actual.length} elements, expected ${expected.items.length}`;
      for (let i = 0; i < actual.length; i++) {
        const problem = mismatch(actual[i], expected.items[i]!, `${path}[${i}]`);
        if (problem) return problem;
      }
      return null;
    }
    case "object": {
      if (actual === null || typeof actual !== "object") return `${path} is ${describe(actual)}, expected an object`;
      for (const [key, value] of expected.fields) {
        const problem = mismatch((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
        if (problem) return problem;
      }
      return null;
    }
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** `expr; // → expected`: throws when the value does not match. */
export function check(actual: unknown, expectedText: string, location: string): void {
  const problem = mismatch(actual, parseExpected(expectedText));
  if (problem) throw new Error(`${location}: ${problem}`);
}

/**
 * `stmt; // throws message`: `run` must throw a NablaError with exactly that message, or one that
 * starts with it when the annotation ends in `…`.
 */
export function checkThrows(run: () => unknown, expectedMessage: string, location: string): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof NablaError)) throw new Error(`${location}: expected a NablaError, got ${String(error)}`);
    const prefix = expectedMessage.endsWith("…");
    const want = prefix ? expectedMessage.slice(0, -1) : expectedMessage;
    if (prefix ? error.message.startsWith(want) : error.message === want) return;
    throw new Error(`${location}: the NablaError says\n  ${error.message}\nexpected${prefix ? " a message starting with" : ""}\n  ${want}`);
  }
  throw new Error(`${location}: expected a NablaError (${expectedMessage}), but nothing was thrown`);
}

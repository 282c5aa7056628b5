import { NablaError } from "@nabla/tensor";

/**
 * The wrong-typed values every public entry point is called with, one argument at a time: each
 * call must either work or throw a NablaError, never a TypeError or RangeError from deep inside.
 */
export const BAD_VALUES: readonly (readonly [string, unknown])[] = [
  ["null", null],
  ["true", true],
  ["{}", {}],
  ['"x"', "x"],
  ["NaN", NaN],
];

/** One entry point: how to call it, and a fresh list of valid arguments (every optional one included). */
export interface ScanCase {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: any entry point, called with deliberately wrong arguments
  call: (...args: any[]) => unknown;
  args: () => unknown[];
}

/** The exported functions of `module` not named in `table` nor in `skip`: each export needs a scan row. */
export function unscannedFunctions(module: object, table: Record<string, unknown>, skip: ReadonlySet<string> = new Set()): string[] {
  return Object.entries(module)
    .filter(([name, value]) => typeof value === "function" && !skip.has(name) && !(name in table))
    .map(([name]) => name);
}

/** One case per row of `table`: the function of that name in `module`, with the row's valid arguments. */
export function functionCases(module: object, table: Record<string, () => unknown[]>): ScanCase[] {
  const functions = module as Record<string, (...args: unknown[]) => unknown>;
  return Object.entries(table).map(([name, args]) => ({ name, call: functions[name]!, args }));
}

/**
 * Calls each case with every bad value in every argument position and returns a line for each call
 * that threw something other than a NablaError (empty when all is well).
 */
export function scanArguments(cases: readonly ScanCase[]): string[] {
  const failures: string[] = [];
  for (const { name, call, args } of cases) {
    // the valid call itself must work, or the scan would test nothing
    try {
      call(...args());
    } catch (error) {
      failures.push(`${name}(valid arguments) threw ${describeError(error)}`);
      continue;
    }
    const count = args().length;
    for (let position = 0; position < count; position++) {
      for (const [label, bad] of BAD_VALUES) {
        const given = args();
        given[position] = bad;
        try {
          call(...given);
        } catch (error) {
          if (!(error instanceof NablaError)) failures.push(`${name} argument ${position} = ${label}: ${describeError(error)}`);
        }
      }
    }
  }
  return failures;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.constructor.name}: ${error.message.split("\n")[0]}` : String(error);
}

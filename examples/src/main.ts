import pc from "picocolors";
import { NablaError } from "@nabla/tensor";

/**
 * Runs a command-line program: bad input (a NablaError, which names the file, line and column or
 * the value at fault) and file-system failures (a folder that cannot be written) are reported in
 * one line without a stack trace; anything else is a bug and keeps its stack. Either way the exit
 * code is 1.
 */
export function runMain(program: () => void): void {
  // A reader that stops early (`pnpm predict … | head`) closes the pipe: stop quietly, as Unix tools do.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  try {
    program();
  } catch (error) {
    if (error instanceof NablaError || isSystemError(error)) console.error(`${pc.red("error:")} ${error.message}`);
    else console.error(error);
    process.exitCode = 1;
  }
}

/** Node's errors from the operating system (ENOENT, EACCES, …) carry a string `code`. */
function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return (
    error instanceof Error &&
    typeof (error as NodeJS.ErrnoException).code === "string" &&
    typeof (error as NodeJS.ErrnoException).syscall === "string"
  );
}

/**
 * The program's arguments. `pnpm train -- --epochs 5` (the npm habit) hands the script a leading
 * "--", which would end option parsing before it starts; it is dropped.
 */
export function userArguments(argv = process.argv.slice(2)): string[] {
  return argv[0] === "--" ? argv.slice(1) : argv;
}

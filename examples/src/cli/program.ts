import { readFileSync } from "node:fs";
import { Command } from "commander";

/** The examples package's version, which moves in step with the nabla packages'. */
export const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/**
 * A commander program with what every example command shares: `-V, --version`, the help after a
 * bad flag, and no stray arguments.
 */
export function exampleProgram(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .version(VERSION, "-V, --version", "print the version and exit")
    .showHelpAfterError()
    .allowExcessArguments(false);
}

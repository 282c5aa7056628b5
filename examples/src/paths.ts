import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root folder (this file is `examples/src/paths.ts`). */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** The data set `pnpm train` uses when no `--data` is given. */
export const defaultDataPath = path.join(repoRoot, "examples", "data", "digits.csv");

/**
 * Resolves a path the user typed. pnpm runs package scripts from the package folder (`examples/`),
 * but sets INIT_CWD to the folder the command was typed in, so `pnpm train --data my.csv` in the
 * repo root means `<root>/my.csv`, as the user expects.
 */
export function resolveUserPath(userPath: string): string {
  return path.resolve(process.env.INIT_CWD ?? process.cwd(), userPath);
}

/**
 * `runs/<timestamp>` under the repo root, e.g. `runs/2024-05-01T12-30-05`, with `-2`, `-3`, …
 * appended when two runs start within the same second.
 */
export function defaultRunDirectory(now: Date): string {
  const stamp = now.toISOString().slice(0, 19).replaceAll(":", "-");
  const base = path.join(repoRoot, "runs", stamp);
  let candidate = base;
  for (let n = 2; existsSync(candidate); n++) candidate = `${base}-${n}`;
  return candidate;
}

/** A path as short as it can be for printing: relative to where the user is, when it lies below it. */
export function displayPath(absolutePath: string): string {
  const relative = path.relative(process.env.INIT_CWD ?? process.cwd(), absolutePath);
  return relative === "" ? "." : relative.startsWith("..") || path.isAbsolute(relative) ? absolutePath : relative;
}

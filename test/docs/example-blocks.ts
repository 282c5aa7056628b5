/**
 * The machinery shared by the tests that run documentation examples (readme-examples.test.ts for
 * the markdown, api-docs.test.ts for the `@example` blocks of the doc comments): finding the
 * ```ts blocks, turning their `// →` and `// throws` annotations into calls of doc-check.ts,
 * writing the generated modules, and type-checking them. The convention itself is described in
 * test/README.md and at the top of readme-examples.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A fenced block's code lines; `line` is where the first one is (1-based) in `file`. */
export interface DocBlock {
  file: string;
  line: number;
  lines: string[];
}

/** The fenced ```ts blocks of a markdown text (not `ts nocheck`), and how many fences it has in all. */
export function extractBlocks(file: string, markdown: string, firstLine = 1): { blocks: DocBlock[]; fences: number } {
  const blocks: DocBlock[] = [];
  let fences = 0;
  let open: { fence: string; checked: boolean; start: number; body: string[] } | null = null;
  markdown.split("\n").forEach((text, i) => {
    if (open === null) {
      const opening = /^\s*(`{3,}|~{3,})\s*([^\s`]*)(.*)$/.exec(text);
      if (!opening) return;
      fences++;
      const language = opening[2]!.toLowerCase();
      const checked = (language === "ts" || language === "typescript") && !/\bnocheck\b/.test(opening[3]!);
      open = { fence: opening[1]!, checked, start: firstLine + i + 1, body: [] };
      return;
    }
    const closing = new RegExp(`^\\s*${open.fence[0] === "`" ? "`" : "~"}{${open.fence.length},}\\s*$`);
    if (closing.test(text)) {
      if (open.checked) blocks.push({ file, line: open.start, lines: open.body });
      open = null;
      return;
    }
    open.body.push(text);
  });
  if (open !== null) throw new Error(`${file}: a code fence is never closed`);
  return { blocks, fences };
}

const VALUE_COMMENT = /\/\/\s*(?:\[|\{|-?\d|"|true\b|false\b|NaN\b|-?Infinity\b)/;

/**
 * The block's lines with the annotations turned into checks (calls on `__doc`, the doc-check
 * module), each naming `${block.file}:${line}`; every other line stays as it was, so line i of
 * the result is line i of the block.
 */
export function rewriteBlock(block: DocBlock): string[] {
  return block.lines.map((text, i) => {
    const where = `${block.file}:${block.line + i}`;
    const location = JSON.stringify(where);
    const arrow = text.lastIndexOf("// →");
    const throws = text.lastIndexOf("// throws ");
    if (arrow < 0 && throws < 0) {
      if (VALUE_COMMENT.test(text)) throw new Error(`${where}: a value in a comment without →, so it would not be checked: ${text.trim()}`);
      return text;
    }
    const at = Math.max(arrow, throws);
    const code = text.slice(0, at).trimEnd().replace(/;$/, "");
    const indent = /^\s*/.exec(code)![0];
    const statement = code.trim();
    if (statement === "") throw new Error(`${where}: an annotation needs a statement on its own line`);
    if (throws > arrow) {
      const message = JSON.stringify(text.slice(throws + "// throws ".length).trim());
      return `${indent}__doc.checkThrows(() => { ${statement}; }, ${message}, ${location});`;
    }
    const expected = JSON.stringify(text.slice(arrow + "// →".length).trim());
    const declared = /^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=/.exec(statement);
    if (declared) return `${code}; __doc.check(${declared[1]}, ${expected}, ${location});`;
    return `${indent}__doc.check((${statement}), ${expected}, ${location});`;
  });
}

/** Where generated modules go (ignored by git): one folder per test, `${GENERATED}<test>/`. */
export const GENERATED = fileURLToPath(new URL("./.generated/", import.meta.url));

/** How a module generated into a folder of GENERATED imports doc-check.ts, as `__doc`. */
export const DOC_CHECK_IMPORT = 'import * as __doc from "../../doc-check";';

/**
 * Writes a module into `directory` and returns its path. A file that already holds the same text
 * is left alone, so `vitest` in watch mode does not see a change and run the test again.
 */
export function writeGenerated(directory: string, name: string, source: string): string {
  mkdirSync(directory, { recursive: true });
  const path = `${directory}${name.replace(/[^\w-]/g, "_")}.ts`;
  if (!existsSync(path) || readFileSync(path, "utf8") !== source) writeFileSync(path, source);
  return path;
}

/** Removes the files of `directory` that are not in `keep` (those of blocks that have since moved or gone). */
export function pruneGenerated(directory: string, keep: readonly string[]): void {
  const current = new Set(keep);
  for (const name of readdirSync(directory)) if (!current.has(`${directory}${name}`)) rmSync(`${directory}${name}`, { recursive: true });
}

/** The repository's compiler options (tsconfig.json), as a reader's editor applies them. */
export function repositoryOptions(): ts.CompilerOptions {
  const { config } = ts.readConfigFile(`${ROOT}tsconfig.json`, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options;
}

/** A diagnostic of a generated file, at its 0-based line. */
export interface FileDiagnostic {
  path: string;
  line: number;
  code: number;
  message: string;
}

/**
 * Type-checks the generated `paths` (vitest strips types without checking them: a misspelt option
 * would pass unnoticed). Only their own diagnostics are returned: the packages have `pnpm typecheck`.
 * `oldProgram` lends the source files it already parsed.
 */
export function typeCheck(paths: readonly string[], options: ts.CompilerOptions, oldProgram?: ts.Program): FileDiagnostic[] {
  const program = ts.createProgram(paths, { ...options, noEmit: true }, undefined, oldProgram);
  return paths.flatMap((path) => {
    const source = program.getSourceFile(path)!;
    return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)].map((diagnostic) => ({
      path,
      line: source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line,
      code: diagnostic.code,
      message: ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"),
    }));
  });
}

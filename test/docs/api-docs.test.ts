/**
 * The API reference as a user's editor shows it: read from the built declaration files of the
 * published packages (`packages/<dir>/dist/*.d.ts` of every package.json that is not private, each
 * public entry point of its `exports` except `./internal`; `pnpm test` builds them first).
 *
 * - Every export (values and types), and every public member of every exported class, has a doc
 *   comment; every overload of a function or method has its own.
 * - Every function (a callable const counts) and class, and every `Tensor` method, has an
 *   `@example`: one fenced ```ts block, in the convention of test/README.md. The block does not
 *   import: every export of the packages is in scope by name (except `var`, a reserved word).
 * - Every example runs, and the values it states (`// →`, `// throws`) are checked. The examples
 *   of a package are batched into one generated module (`.generated/api/`), one function per
 *   example, and type-checked against the declaration files.
 *
 * A symbol that several packages export (an umbrella package re-exporting the others) is checked
 * once, where it is declared: its doc comment is the original's.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import {
  DOC_CHECK_IMPORT,
  extractBlocks,
  GENERATED,
  pruneGenerated,
  repositoryOptions,
  rewriteBlock,
  ROOT,
  typeCheck,
  writeGenerated,
} from "./example-blocks";

const OUT = `${GENERATED}api/`;

interface Manifest {
  name: string;
  private?: boolean;
  types?: string;
  exports?: Record<string, { import?: { types?: string }; types?: string }>;
  dependencies?: Record<string, string>;
}

/** One public entry point: `import … from specifier` resolves to the declaration file `dts`. */
interface EntryPoint {
  packageName: string;
  dir: string;
  specifier: string;
  dts: string;
  /** The source the declaration file is built from, as typedoc.json lists it. */
  source: string;
}

/** The packages that are published, each after the workspace packages it depends on. */
function publishedPackages(): { dir: string; manifest: Manifest }[] {
  const all = readdirSync(`${ROOT}packages`)
    .sort()
    .flatMap((dir) => {
      try {
        return [{ dir, manifest: JSON.parse(readFileSync(`${ROOT}packages/${dir}/package.json`, "utf8")) as Manifest }];
      } catch {
        return [];
      }
    })
    .filter(({ manifest }) => !manifest.private);
  const ordered: typeof all = [];
  while (ordered.length < all.length) {
    const next = all.find(
      (p) =>
        !ordered.includes(p) && all.every((q) => q === p || ordered.includes(q) || !(q.manifest.name in (p.manifest.dependencies ?? {}))),
    );
    if (next === undefined) throw new Error("the workspace packages depend on each other in a cycle");
    ordered.push(next);
  }
  return ordered;
}

const INTERNAL_SUBPATH = "./internal";

function entryPoints(): EntryPoint[] {
  return publishedPackages().flatMap(({ dir, manifest }) => {
    const exports = manifest.exports ?? { ".": { types: manifest.types } };
    return Object.entries(exports)
      .filter(([subpath]) => subpath !== INTERNAL_SUBPATH)
      .map(([subpath, conditions]) => {
        const types = conditions.import?.types ?? conditions.types;
        if (types === undefined) throw new Error(`packages/${dir}/package.json: exports["${subpath}"] names no types`);
        const file = types.replace(/^\.\//, "");
        return {
          packageName: manifest.name,
          dir,
          specifier: manifest.name + subpath.slice(1),
          dts: `${ROOT}packages/${dir}/${file}`,
          source: `packages/${dir}/${file.replace(/^dist\//, "src/").replace(/\.d\.ts$/, ".ts")}`,
        };
      });
  });
}

// an entry point that shares its declaration file with another (`nabla/browser`) adds nothing
const ENTRIES = entryPoints().filter((e, i, all) => all.findIndex((other) => other.dts === e.dts) === i);
// the examples and the packages' own imports resolve to the declaration files, not the sources
const OPTIONS: ts.CompilerOptions = {
  ...repositoryOptions(),
  paths: Object.fromEntries(ENTRIES.map((e) => [e.specifier, [e.dts]])),
  types: [], // an example runs in browsers too: no Node globals (and no @types/node to load)
  noEmit: true,
};
const PROGRAM = ts.createProgram(
  ENTRIES.map((e) => e.dts),
  OPTIONS,
);
const checker = PROGRAM.getTypeChecker();

type Kind = "function" | "class" | "method" | "property" | "value" | "type";

interface ApiItem {
  /** As a user writes it: `tensor`, `Tensor.matmul`, `optim.SGD`, `optim.SGD.step`. */
  name: string;
  kind: Kind;
  /** The package whose declaration file declares it. */
  packageName: string;
  /** What is missing: "a doc comment", "an @example", "a doc comment on every overload". */
  missing: string[];
  examples: string[];
}

/** The package a declaration file belongs to. */
function packageOf(node: ts.Node): string {
  const file = node.getSourceFile().fileName;
  return ENTRIES.find((e) => file.startsWith(`${ROOT}packages/${e.dir}/`))?.packageName ?? file;
}

/**
 * The symbol an export stands for: through re-exports, and through the `declare const init_ones_:
 * typeof ones_` and `type index_Adam = Adam` by which the bundled declarations spell a namespace's
 * members (`init.ones_`, `optim.Adam`): undocumented, named `<namespace>_<name>`.
 */
function resolve(symbol: ts.Symbol): ts.Symbol {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const declarations = target.declarations ?? [];
  const spelledAs = declarations.map((d) => {
    if (hasOwnComment(d)) return undefined;
    if (ts.isVariableDeclaration(d) && d.type && ts.isTypeQueryNode(d.type)) return d.type.exprName;
    if (ts.isTypeAliasDeclaration(d) && ts.isTypeReferenceNode(d.type)) return d.type.typeName;
    return undefined;
  });
  const first = spelledAs[0];
  if (first === undefined || !target.name.endsWith(`_${first.getText()}`)) return target;
  if (spelledAs.some((name) => name === undefined || name.getText() !== first.getText())) return target;
  const spelled = checker.getSymbolAtLocation(first);
  return spelled && spelled !== target ? resolve(spelled) : target;
}

/**
 * One symbol per declaration. The checker gives `@nabla/tensor`'s `Tensor` a symbol of its own, the
 * class merged with the op methods' module augmentations (`declare module "@nabla/tensor"`), while
 * `@nabla/tensor/functional` re-exports the class as declared: one export, reached first (and
 * documented, methods included) through the main entry.
 */
const SYMBOL_OF_DECLARATION = new Map<ts.Declaration, ts.Symbol>();
function canonical(symbol: ts.Symbol): ts.Symbol {
  const declaration = symbol.declarations?.[0];
  if (declaration === undefined) return symbol;
  const known = SYMBOL_OF_DECLARATION.get(declaration);
  if (known !== undefined) return known;
  SYMBOL_OF_DECLARATION.set(declaration, symbol);
  return symbol;
}

const SIGNATURE_KINDS = new Set([ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.MethodDeclaration, ts.SyntaxKind.MethodSignature]);

function hasOwnComment(declaration: ts.Node): boolean {
  return ts.getJSDocCommentsAndTags(declaration).some((doc) => ts.isJSDoc(doc) && ts.getTextOfJSDocComment(doc.comment)?.trim());
}

function describeSymbol(symbol: ts.Symbol, name: string, kind: Kind, needsExample: boolean): ApiItem {
  const declarations = symbol.declarations ?? [];
  const missing: string[] = [];
  if (ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() === "") missing.push("a doc comment");
  else {
    const overloads = declarations.filter((d) => SIGNATURE_KINDS.has(d.kind));
    if (overloads.length > 1 && !overloads.every(hasOwnComment)) missing.push("a doc comment on every overload");
  }
  const examples = symbol
    .getJsDocTags(checker)
    .filter((tag) => tag.name === "example")
    .map((tag) => ts.displayPartsToString(tag.text));
  if (needsExample && examples.length === 0) missing.push("an @example");
  return { name, kind, packageName: packageOf(declarations[0]!), missing, examples };
}

function isPublic(member: ts.Symbol): boolean {
  if (member.name.startsWith("#") || member.name === "prototype") return false;
  return !(member.declarations ?? []).some((d) => ts.getCombinedModifierFlags(d as ts.Declaration) & ts.ModifierFlags.Private);
}

/** The class's own public members (instance and static; inherited ones are documented where they are declared). */
function membersOf(cls: ts.Symbol): ts.Symbol[] {
  const own = new Set<ts.Node>(cls.declarations);
  const declaration = cls.declarations!.find(ts.isClassDeclaration)!;
  const instance = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(cls));
  const statics = checker.getPropertiesOfType(checker.getTypeOfSymbolAtLocation(cls, declaration));
  return [...instance, ...statics].filter((m) => isPublic(m) && (m.declarations ?? []).some((d) => own.has(d.parent)));
}

const ITEMS: ApiItem[] = [];
/** Every name the examples have in scope, with the entry point to import it from. */
const SCOPE = new Map<string, { entry: EntryPoint; symbol: ts.Symbol; isValue: boolean }>();
const SCOPE_CLASHES: string[] = [];

{
  const seen = new Set<ts.Symbol>();
  const visit = (entry: EntryPoint, moduleSymbol: ts.Symbol, prefix: string) => {
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = canonical(resolve(exported));
      const name = `${prefix}${exported.name}`;
      if (prefix === "") {
        const inScope = SCOPE.get(exported.name);
        if (inScope === undefined) SCOPE.set(exported.name, { entry, symbol, isValue: (symbol.flags & ts.SymbolFlags.Value) !== 0 });
        else if (inScope.symbol !== symbol)
          SCOPE_CLASHES.push(`${exported.name}: exported by ${inScope.entry.specifier} and by ${entry.specifier}`);
      }
      if (seen.has(symbol)) continue;
      seen.add(symbol);
      if (symbol.flags & (ts.SymbolFlags.ValueModule | ts.SymbolFlags.NamespaceModule)) {
        visit(entry, symbol, `${name}.`);
      } else if (symbol.flags & ts.SymbolFlags.Class) {
        ITEMS.push(describeSymbol(symbol, name, "class", true));
        const isTensor = name === "Tensor";
        for (const member of membersOf(symbol)) {
          const isMethod = (member.flags & ts.SymbolFlags.Method) !== 0;
          ITEMS.push(describeSymbol(member, `${name}.${member.name}`, isMethod ? "method" : "property", isTensor && isMethod));
        }
      } else if (symbol.flags & ts.SymbolFlags.Function) {
        ITEMS.push(describeSymbol(symbol, name, "function", true));
      } else if (symbol.flags & ts.SymbolFlags.Variable) {
        const callable = checker.getTypeOfSymbol(symbol).getCallSignatures().length > 0;
        ITEMS.push(describeSymbol(symbol, name, callable ? "function" : "value", callable));
      } else {
        ITEMS.push(describeSymbol(symbol, name, "type", false));
      }
    }
  };
  for (const entry of ENTRIES) {
    const source = PROGRAM.getSourceFile(entry.dts);
    if (source === undefined) continue; // reported by the test on the built files
    visit(entry, checker.getSymbolAtLocation(source)!, "");
  }
}

// ---- the examples, batched into one module per package ----

interface Example {
  item: ApiItem;
  /** The function of the generated module that runs it. */
  fn: string;
  /** Its lines in the generated module (0-based, end exclusive), to place type errors. */
  from: number;
  to: number;
}

interface ExampleProblem {
  item: ApiItem;
  problem: Error;
}

const RESERVED = new Set(["var", "let", "const", "delete", "in", "new", "typeof", "void", "default", "function", "class"]);

/**
 * Line 0 of every generated module: doc-check and every name of the packages, imported from
 * `from(entry)`: the package name for the type check (which resolves it to the declaration
 * files), the source file for running (as every test runs on the sources, with no need for an
 * alias per package).
 */
function prelude(from: (entry: EntryPoint) => string): string {
  const byEntry = new Map<EntryPoint, string[]>();
  for (const [name, { entry, isValue }] of SCOPE) {
    if (RESERVED.has(name)) continue;
    byEntry.set(entry, [...(byEntry.get(entry) ?? []), isValue ? name : `type ${name}`]);
  }
  const imports = [...byEntry].map(([entry, names]) => `import { ${names.join(", ")} } from "${from(entry)}";`);
  return [DOC_CHECK_IMPORT, ...imports].join(" ");
}

/** Diagnostics of the prelude that only say an import is unused. */
const UNUSED_IMPORT_CODES = new Set([6133, 6192, 6196]);

const examples: Example[] = [];
const exampleProblems: ExampleProblem[] = [];
/** Per package: the generated module that runs its examples, and its twin that is type-checked. */
const modules = new Map<string, { run: string; types: string }>();

/** The first syntax error in `code`, at its 0-based line, or null. */
function syntaxError(code: string): { line: number; message: string } | null {
  const diagnostic = ts.transpileModule(code, { reportDiagnostics: true, fileName: "example.ts" }).diagnostics?.[0];
  if (diagnostic === undefined) return null;
  const line = diagnostic.file ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line : 0;
  return { line, message: ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n") };
}

for (const packageName of new Set(ITEMS.map((i) => i.packageName))) {
  // one function per example, after line 0 (the prelude)
  let candidates: { item: ApiItem; label: string; fn: string; code: string[] }[] = [];
  for (const item of ITEMS.filter((i) => i.packageName === packageName)) {
    item.examples.forEach((text, n) => {
      const label = `${item.name} @example${item.examples.length > 1 ? ` ${n + 1}` : ""}`;
      try {
        const { blocks, fences } = extractBlocks(label, text, 0);
        if (fences !== 1) throw new Error(`${label}: an @example holds one fenced \`\`\`ts block, this one has ${fences}`);
        if (blocks.length === 0) return; // ```ts nocheck: not run
        const fn = `example${candidates.length}`;
        candidates.push({ item, label, fn, code: [`export async function ${fn}() {`, ...rewriteBlock(blocks[0]!), "}"] });
      } catch (problem) {
        exampleProblems.push({ item, problem: problem as Error });
      }
    });
  }
  // an example with a syntax error fails on its own and leaves the module, which then loads
  for (;;) {
    const body = candidates.flatMap((c) => c.code);
    const error = syntaxError(body.join("\n"));
    if (error === null) break;
    let start = 0;
    const faulty =
      candidates.find((c) => {
        start += c.code.length;
        return start > error.line;
      }) ?? candidates[candidates.length - 1]!;
    exampleProblems.push({ item: faulty.item, problem: new Error(`${faulty.label}: ${error.message}`) });
    candidates = candidates.filter((c) => c !== faulty);
  }
  let line = 1;
  for (const { item, fn, code } of candidates) {
    examples.push({ item, fn, from: line, to: line + code.length });
    line += code.length;
  }
  const body = `${candidates.flatMap((c) => c.code).join("\n")}\n`;
  modules.set(packageName, {
    run: writeGenerated(OUT, packageName, `${prelude((e) => `${ROOT}${e.source}`)}\n${body}`),
    types: writeGenerated(OUT, `${packageName}.types`, `${prelude((e) => e.specifier)}\n${body}`),
  });
}
pruneGenerated(
  OUT,
  [...modules.values()].flatMap((m) => [m.run, m.types]),
);

let typeErrors: string[] | undefined;

/** The type errors of a package's examples (one program checks every package's, on first use). */
function typeErrorsOf(packageName: string): string[] {
  typeErrors ??= typeCheck(
    [...modules.values()].map((m) => m.types),
    OPTIONS,
    PROGRAM,
  )
    .filter((d) => !(d.line === 0 && UNUSED_IMPORT_CODES.has(d.code)))
    .map((d) => {
      const name = [...modules].find(([, m]) => m.types === d.path)![0];
      const example = examples.find((e) => e.item.packageName === name && d.line >= e.from && d.line < e.to);
      return `${name} ${example ? `${example.item.name} @example, line ${d.line - example.from}` : `${d.path}:${d.line + 1}`}: ${d.message}`;
    });
  return typeErrors.filter((error) => error.startsWith(`${packageName} `));
}

// ---- the tests ----

describe("the built declaration files", () => {
  it("exist for every public entry point, and are newer than the sources", () => {
    const problems: string[] = [];
    for (const dir of new Set(ENTRIES.map((e) => e.dir))) {
      const built = ENTRIES.filter((e) => e.dir === dir).map((e) => e.dts);
      const missing = built.filter((file) => PROGRAM.getSourceFile(file) === undefined);
      if (missing.length > 0) {
        problems.push(`${missing.map((f) => f.slice(ROOT.length)).join(", ")} missing: run \`pnpm build\``);
        continue;
      }
      const newestSource = Math.max(
        ...readdirSync(`${ROOT}packages/${dir}/src`, { recursive: true, encoding: "utf8" }).map(
          (f) => statSync(`${ROOT}packages/${dir}/src/${f}`).mtimeMs,
        ),
      );
      if (Math.min(...built.map((f) => statSync(f).mtimeMs)) < newestSource)
        problems.push(`packages/${dir}/dist is older than its src/: run \`pnpm build\``);
    }
    expect(problems).toEqual([]);
  });

  it("are all documented by typedoc.json (`pnpm run docs`)", () => {
    const { config } = ts.parseConfigFileTextToJson("typedoc.json", readFileSync(`${ROOT}typedoc.json`, "utf8"));
    expect([...(config.entryPoints as string[])].sort()).toEqual(ENTRIES.map((e) => e.source).sort());
  });

  it("give every export of the packages its own name, so the examples can have them all in scope", () => {
    expect(SCOPE_CLASHES).toEqual([]);
  });
});

for (const packageName of new Set(ITEMS.map((i) => i.packageName))) {
  describe(packageName, () => {
    const items = ITEMS.filter((i) => i.packageName === packageName);

    it("documents every export and public class member; functions, classes and Tensor methods have an @example", () => {
      expect(items.length).toBeGreaterThan(0);
      const undocumented = items.filter((i) => i.missing.length > 0).map((i) => `${i.name} (${i.kind}): needs ${i.missing.join(" and ")}`);
      expect(undocumented).toEqual([]);
    });

    it("gives @examples that type-check against the declaration files", () => {
      expect(typeErrorsOf(packageName)).toEqual([]);
    });

    for (const { item, problem } of exampleProblems.filter((p) => p.item.packageName === packageName)) {
      it(`${item.name}: its @example follows the convention`, () => {
        throw problem;
      });
    }

    const runnable = examples.filter((e) => e.item.packageName === packageName);
    if (runnable.length === 0) return;
    let loaded: Promise<Record<string, () => Promise<void>>> | undefined;
    for (const { item, fn } of runnable) {
      it(`${item.name}: its @example runs and gives the values it states`, async () => {
        loaded ??= import(/* @vite-ignore */ modules.get(packageName)!.run);
        await (await loaded)[fn]!();
      });
    }
  });
}

import { fileURLToPath } from "node:url";
import ts from "typescript";

// a path, not a URL's pathname: a checkout under a folder with a space would give `%20`
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The files that declare and install the op methods (module augmentations of Tensor), and the entries that import them. */
const METHOD_MODULES = /^packages\/(tensor\/src\/methods\/[^/]+|ops\/src\/methods|[^/]+\/src\/index)\.ts$/;

/** The libraries' sources (not the benchmarks, which program against the API as users do). */
const LIBRARY_SOURCES = /^packages\/(tensor|ops|nn)\/src\//;

/** A use of an op method or getter on a tensor (`x.add(y)`, `x.T`), at its place in the sources. */
export interface MethodCall {
  /** `packages/ops/src/norm.ts:42` */
  at: string;
  /** `x.add` */
  call: string;
}

/**
 * Every use in packages/{tensor,ops,nn}/src of a Tensor method or getter that an op module installs (declared in a
 * `declare module "@nabla/tensor"` augmentation: `src/methods/` of @nabla/tensor, `methods.ts` of
 * @nabla/ops), outside those modules and the package entries. The type checker resolves each call,
 * so a method of another class with the same name (`Module.to`, `Map.set`) is not counted.
 */
export function opMethodCalls(): MethodCall[] {
  const relative = (file: string) => file.slice(ROOT.length);
  const { config } = ts.readConfigFile(`${ROOT}tsconfig.json`, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  const files = parsed.fileNames.filter((file) => LIBRARY_SOURCES.test(relative(file)));
  const program = ts.createProgram(files, { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const calls: MethodCall[] = [];
  for (const source of program.getSourceFiles()) {
    const path = relative(source.fileName);
    if (!LIBRARY_SOURCES.test(path) || METHOD_MODULES.test(path)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node)) {
        const declarations = checker.getSymbolAtLocation(node.name)?.declarations ?? [];
        if (declarations.some((d) => METHOD_MODULES.test(relative(d.getSourceFile().fileName)))) {
          const { line } = source.getLineAndCharacterOfPosition(node.name.getStart());
          calls.push({ at: `${path}:${line + 1}`, call: `${node.expression.getText().slice(-30)}.${node.name.text}` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return calls;
}

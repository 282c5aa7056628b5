import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

// The built packages, as a user gets them: each is loaded from a workspace package that depends
// on it (examples/, whose node_modules links them) by a separate Node process, once through ESM
// `import` and once through CJS `require`, must resolve into dist/, and must compute. `pnpm test`
// builds first; run `pnpm build` before running this file on its own.

const root = fileURLToPath(new URL("../../", import.meta.url));
const consumer = fileURLToPath(new URL("../../examples/", import.meta.url));

const PACKAGES = ["tensor", "ops", "nn", "nabla"] as const;
type PackageName = (typeof PACKAGES)[number];

/** What each package's dist must contain; a missing file fails with the fix in the message. */
function distFile(name: PackageName, file: string): string {
  const path = `${root}packages/${name}/dist/${file}`;
  if (!existsSync(path)) {
    expect.fail(`packages/${name}/dist/${file} is missing: run \`pnpm build\` (the root \`pnpm test\` builds before testing)`);
  }
  return path;
}

/** Runs a script in a fresh Node process with examples/ as the working directory; returns its JSON output. */
function runNode(kind: "esm" | "cjs", script: string): Record<string, unknown> {
  const args = kind === "esm" ? ["--input-type=module", "-e", script] : ["-e", script];
  let output: string;
  try {
    output = execFileSync(process.execPath, args, { cwd: consumer, encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    return expect.fail(`node (${kind}) failed:\n${stderr ?? String(error)}`);
  }
  return JSON.parse(output.trim().split("\n").pop()!) as Record<string, unknown>;
}

/**
 * The body each package runs, given `tensor`, `ops`, `nn` and `nabla` bound to the loaded modules,
 * `nodeIo` to the package's node entry (nn and nabla) and `where(specifier)` giving the resolved
 * file. It prints one JSON line.
 */
const CHECKS: Record<PackageName, string> = {
  tensor: `
    const x = tensor.tensor([1, 2, 3], { requiresGrad: true });
    const y = x.add(tensor.tensor([10, 20, 30])).mul(x).sum(); // Σ (x + c) x, so dy/dx = 2x + c
    y.backward();
    out = { resolved: where("@nabla/tensor"), value: y.item(), grad: x.grad.toArray(), isTensor: y instanceof tensor.Tensor };`,
  ops: `
    const s = ops.softmax(tensor.tensor([2.0, 1.0, 0.1]));
    out = { resolved: where("@nabla/ops"), value: Array.from(s.data()), isTensor: s instanceof tensor.Tensor };`,
  nn: `
    tensor.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const y = model.forward(tensor.ones([5, 3]));
    y.square().sum().backward();
    out = {
      resolved: where("@nabla/nn"),
      resolvedNode: where("@nabla/nn/node"),
      shape: y.shape,
      isTensor: y instanceof tensor.Tensor,
      parameters: model.parameters().length,
      grads: model.parameters().every((p) => p.grad !== null && p.grad.shape.join() === p.shape.join()),
      saveFile: typeof nodeIo.saveFile,
    };`,
  nabla: `
    nabla.manualSeed(0);
    const model = new nabla.nn.Sequential(new nabla.nn.Linear(3, 8), new nabla.nn.ReLU(), new nabla.nn.Linear(8, 2));
    for (const p of model.parameters().slice(2)) nabla.init.zeros_(p); // the last layer starts at zero
    const optimizer = new nabla.optim.Adam(model.parameters(), { lr: 0.05 });
    const x = nabla.randn([16, 3]);
    const y = x.sum(1).gt(0).to("int32");
    const losses = [];
    for (let step = 0; step < 50; step++) {
      optimizer.zeroGrad();
      const loss = nabla.crossEntropy(model.forward(x), y);
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    out = {
      resolved: where("nabla"),
      resolvedNode: where("nabla/node"),
      resolvedFunctional: where("nabla/functional"),
      value: Array.from(nabla.softmax(nabla.tensor([2.0, 1.0, 0.1])).data()),
      // the same classes as the @nabla packages': one Tensor, whichever package made it
      isTensor: model.forward(x) instanceof tensor.Tensor && nabla.Tensor === tensor.Tensor && nabla.nn.Linear === nn.Linear,
      firstLoss: losses[0],
      lastLoss: losses.at(-1),
      saveFile: typeof nodeIo.saveFile,
    };`,
};

const NODE_ENTRY: Partial<Record<PackageName, string>> = { nn: "@nabla/nn/node", nabla: "nabla/node" };

function esmScript(name: PackageName): string {
  return `
    const tensor = await import("@nabla/tensor");
    const ops = await import("@nabla/ops");
    const nn = await import("@nabla/nn");
    const nabla = ${name === "nabla" ? 'await import("nabla")' : "{}"};
    const nodeIo = ${NODE_ENTRY[name] ? `await import("${NODE_ENTRY[name]}")` : "{}"};
    const where = (specifier) => new URL(import.meta.resolve(specifier)).pathname;
    let out;
    ${CHECKS[name]}
    console.log(JSON.stringify(out));`;
}

function cjsScript(name: PackageName): string {
  return `
    const tensor = require("@nabla/tensor");
    const ops = require("@nabla/ops");
    const nn = require("@nabla/nn");
    const nabla = ${name === "nabla" ? 'require("nabla")' : "{}"};
    const nodeIo = ${NODE_ENTRY[name] ? `require("${NODE_ENTRY[name]}")` : "{}"};
    const where = (specifier) => require.resolve(specifier);
    let out;
    ${CHECKS[name]}
    console.log(JSON.stringify(out));`;
}

/** A program using nabla's namespaces as values and as types; the line marked @ts-expect-error must fail. */
const NABLA_CONSUMER = `
  import { crossEntropy, init, nn, optim, softmax, tensor, type Tensor } from "nabla";
  import { saveFile } from "nabla/node";
  const model: nn.Module = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
  init.zeros_(model.parameters()[1]!);
  const optimizer: optim.Adam = new optim.Adam(model.parameters(), { lr: 0.1 });
  const probabilities: Tensor = softmax(tensor([1, 2]));
  crossEntropy(model.forward(tensor([[1, 2]])), tensor([0], { dtype: "int32" })).backward();
  optimizer.step();
  saveFile("model.safetensors", { probabilities });
  // @ts-expect-error: the declarations are real types, not any
  tensor("not numbers");
`;

/** Type-checks one in-memory file as a Node project beside it would; returns its errors and the .d.ts files it read. */
function typeCheck(fileName: string, source: string): { errors: string[]; declarationFiles: string[] } {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile } = host;
  host.fileExists = (name) => name === fileName || fileExists(name);
  host.readFile = (name) => (name === fileName ? source : readFile(name));
  const program = ts.createProgram([fileName], options, host);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  const declarationFiles = program
    .getSourceFiles()
    .map((file) => file.fileName)
    .filter((name) => name.includes("/packages/"));
  return { errors, declarationFiles };
}

const SOFTMAX = [0.6590011388859679, 0.2424329707047139, 0.09856589040931818];

describe("the built packages", () => {
  it.each(PACKAGES)("packages/%s has ESM, CJS and both type declarations in dist/", (name) => {
    for (const file of ["index.js", "index.cjs", "index.d.ts", "index.d.cts"]) distFile(name, file);
    const manifest = JSON.parse(readFileSync(`${root}packages/${name}/package.json`, "utf8"));
    expect(manifest.exports["."].import).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(manifest.exports["."].require).toEqual({ types: "./dist/index.d.cts", default: "./dist/index.cjs" });
  });

  it("each declaration file exports the package's main names", () => {
    const declares = (name: PackageName, file: string, symbol: string) =>
      new RegExp(`export\\s*\\{[^}]*\\b${symbol}\\b[^}]*\\}|export\\s+(declare\\s+)?(class|function|const)\\s+${symbol}\\b`).test(
        readFileSync(distFile(name, file), "utf8"),
      );
    for (const file of ["index.d.ts", "index.d.cts"]) {
      expect(declares("tensor", file, "Tensor"), `tensor ${file} exports Tensor`).toBe(true);
      expect(declares("tensor", file, "tensor"), `tensor ${file} exports tensor`).toBe(true);
      expect(declares("ops", file, "softmax"), `ops ${file} exports softmax`).toBe(true);
      expect(declares("nn", file, "Linear"), `nn ${file} exports Linear`).toBe(true);
    }
  });

  it.each(["mts", "cts"])("nabla's declarations type a consumer's .%s file, as import or as require resolves them", (extension) => {
    const declarations = extension === "mts" ? "index.d.ts" : "index.d.cts";
    distFile("nabla", declarations);
    const { errors, declarationFiles } = typeCheck(`${consumer}uses-nabla.${extension}`, NABLA_CONSUMER);
    expect(errors).toEqual([]);
    expect(declarationFiles).toContain(`${root}packages/nabla/dist/${declarations}`);
  });

  describe.each(["esm", "cjs"] as const)("loaded through %s from a dependent package", (kind) => {
    const ext = kind === "esm" ? ".js" : ".cjs";
    const script = kind === "esm" ? esmScript : cjsScript;

    it("@nabla/tensor adds, multiplies and backpropagates", () => {
      distFile("tensor", `index${ext}`);
      const out = runNode(kind, script("tensor"));
      expect(out.resolved).toMatch(new RegExp(`packages/tensor/dist/index\\${ext}$`));
      expect(out.value).toBe(154);
      expect(out.grad).toEqual([12, 24, 36]);
      expect(out.isTensor).toBe(true);
    });

    it("@nabla/ops computes softmax([2, 1, 0.1])", () => {
      distFile("ops", `index${ext}`);
      const out = runNode(kind, script("ops"));
      expect(out.resolved).toMatch(new RegExp(`packages/ops/dist/index\\${ext}$`));
      (out.value as number[]).forEach((v, i) => {
        expect(v).toBeCloseTo(SOFTMAX[i]!, 6);
      });
      // ops and the script share one @nabla/tensor: its results are instances of the same class
      expect(out.isTensor).toBe(true);
    });

    it("@nabla/nn trains a step of a small MLP, and its node entry loads", () => {
      distFile("nn", `index${ext}`);
      distFile("nn", `node${ext}`);
      const out = runNode(kind, script("nn"));
      expect(out.resolved).toMatch(new RegExp(`packages/nn/dist/index\\${ext}$`));
      expect(out.resolvedNode).toMatch(new RegExp(`packages/nn/dist/node\\${ext}$`));
      expect(out.shape).toEqual([5, 2]);
      expect(out.isTensor).toBe(true);
      expect(out.parameters).toBe(4);
      expect(out.grads).toBe(true);
      expect(out.saveFile).toBe("function");
    });

    it("nabla re-exports all three: softmax, a model trained by Adam, and the node entry", () => {
      distFile("nabla", `index${ext}`);
      distFile("nabla", `node${ext}`);
      const out = runNode(kind, script("nabla"));
      expect(out.resolved).toMatch(new RegExp(`packages/nabla/dist/index\\${ext}$`));
      expect(out.resolvedNode).toMatch(new RegExp(`packages/nabla/dist/node\\${ext}$`));
      expect(out.resolvedFunctional).toMatch(new RegExp(`packages/nabla/dist/functional\\${ext}$`));
      (out.value as number[]).forEach((v, i) => {
        expect(v).toBeCloseTo(SOFTMAX[i]!, 6);
      });
      expect(out.isTensor).toBe(true);
      expect(out.firstLoss).toBeCloseTo(Math.log(2), 6); // a zero last layer predicts 1/2 for each class
      expect(out.lastLoss).toBeLessThan(0.3);
      expect(out.saveFile).toBe("function");
    });
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runModuleScript } from "../support/node-script";

// A program can load @nabla/tensor twice: through `import` (dist/index.js) and through `require`
// (dist/index.cjs), or as two installed versions. Each case runs in a fresh Node process on the
// built packages; `pnpm test` builds first, run `pnpm build` before running this file on its own.

const root = fileURLToPath(new URL("../../", import.meta.url));
const dist = (file: string) => `${root}packages/${file}`;

/** What every script starts with: both builds of @nabla/tensor, and @nabla/ops and @nabla/nn in both forms. */
const PRELUDE = `
  import { createRequire } from "node:module";
  import { pathToFileURL } from "node:url";
  const require = createRequire(${JSON.stringify(root)});
  const load = (file) => import(pathToFileURL(${JSON.stringify(root)} + "packages/" + file).href);
  const esm = await load("tensor/dist/index.js");
  const cjs = require(${JSON.stringify(dist("tensor/dist/index.cjs"))});
  const ops = await load("ops/dist/index.js");
  const opsCjs = require(${JSON.stringify(dist("ops/dist/index.cjs"))});
  const nn = await load("nn/dist/index.js");
  /** What a call throws, as JSON (null when it returns). */
  const errorOf = (fn) => {
    try { fn(); return null; } catch (e) { return { name: e.name, op: e.op, message: e.message, isNablaError: e instanceof esm.NablaError }; }
  };
  let out;
`;

function run(body: string): Record<string, unknown> {
  for (const file of [
    "tensor/dist/index.js",
    "tensor/dist/index.cjs",
    "ops/dist/index.js",
    "ops/dist/index.cjs",
    "nn/dist/index.js",
    "nabla/dist/functional.js",
  ]) {
    if (!existsSync(dist(file)))
      expect.fail(`packages/${file} is missing: run \`pnpm build\` (the root \`pnpm test\` builds before testing)`);
  }
  return runModuleScript(`${PRELUDE}\n${body}\nconsole.log(JSON.stringify(out));`, root);
}

describe("the main and functional entries of one build", () => {
  it.each(["js", "cjs"])("share one Tensor class (dist/*.%s): a tensor made through either has the methods", (ext) => {
    const loadBoth =
      ext === "js"
        ? `const [main, functional] = [esm, await load("tensor/dist/functional.js")]; const opsFunctional = await load("ops/dist/functional.js");
           const [nabla, nablaFunctional] = [await load("nabla/dist/index.js"), await load("nabla/dist/functional.js")];`
        : `const [main, functional] = [cjs, require(${JSON.stringify(dist("tensor/dist/functional.cjs"))})];
           const opsFunctional = require(${JSON.stringify(dist("ops/dist/functional.cjs"))});
           const [nabla, nablaFunctional] = [require(${JSON.stringify(dist("nabla/dist/index.cjs"))}), require(${JSON.stringify(dist("nabla/dist/functional.cjs"))})];`;
    const out = run(`${loadBoth}
      const x = functional.tensor([1, 2]);
      out = {
        oneClass: main.Tensor === functional.Tensor && main.add === functional.add,
        instanceOf: x instanceof main.Tensor,
        add: x.add(main.tensor([3, 4])).toArray(),
        softmax: opsFunctional.softmax === (${ext === "js" ? "ops" : "opsCjs"}).softmax && typeof x.softmax === "function",
        // nabla/functional: the functional entries of both, flat, and no nn (which installs the methods)
        nabla: nablaFunctional.Tensor === main.Tensor && nablaFunctional.add === main.add && nablaFunctional.softmax === opsFunctional.softmax
          && nabla.Tensor === main.Tensor && nablaFunctional.tensor([1, 2]) instanceof nabla.Tensor,
        namespaces: ["nn", "init", "optim", "utils"].map((name) => [name in nabla, name in nablaFunctional]),
      };`);
    expect(out).toEqual({
      oneClass: true,
      instanceOf: true,
      add: [4, 6],
      softmax: true,
      nabla: true,
      namespaces: Array(4).fill([true, false]),
    });
  });
});

describe("the ESM and CJS builds of one version loaded together", () => {
  it("take each other's tensors: instanceof, isTensor and the ops of either build accept them", () => {
    const out = run(`
      const fromCjs = cjs.tensor([2.0, 1.0, 0.1]);
      const fromEsm = esm.tensor([2.0, 1.0, 0.1]);
      out = {
        classes: esm.Tensor !== cjs.Tensor,
        instanceOf: [fromCjs instanceof esm.Tensor, fromEsm instanceof cjs.Tensor],
        isTensor: [esm.isTensor(fromCjs), cjs.isTensor(fromEsm), esm.isTensor([1, 2]), esm.isTensor({ shape: [3] })],
        softmax: Array.from(ops.softmax(fromCjs).data()),
        softmaxCjs: Array.from(opsCjs.softmax(fromEsm).data()),
        sum: esm.add(fromCjs, fromEsm).sum().item(),
        error: errorOf(() => esm.matmul(cjs.ones([2, 3]), esm.ones([4, 5]))),
        errorFromCjs: errorOf(() => cjs.ones([2]).add(cjs.ones([3]))),
      };`);
    expect(out.classes).toBe(true); // two copies really are loaded
    expect(out.instanceOf).toEqual([true, true]);
    expect(out.isTensor).toEqual([true, true, false, false]);
    const softmax = [0.6590011388859679, 0.2424329707047139, 0.09856589040931818];
    (out.softmax as number[]).forEach((v, i) => {
      expect(v).toBeCloseTo(softmax[i]!, 6);
    });
    expect(out.softmaxCjs).toEqual(out.softmax);
    expect(out.sum).toBeCloseTo(6.2, 5);
    expect(out.error).toMatchObject({ op: "matmul", isNablaError: true });
    // an error thrown by the CJS build is an instance of the ESM build's NablaError
    expect(out.errorFromCjs).toMatchObject({ name: "NablaError", op: "add", isNablaError: true });
  });

  it("backpropagate through a graph whose nodes come from both builds, to the same gradients as one build", () => {
    const out = run(`
      const data = {
        a: [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]],
        b: [[1.1, 0.4, -0.3], [0.2, -2.0, 0.9]],
        w: [[0.3, -0.8, 1.7], [-1.1, 0.6, 0.25]], // a random cotangent: the sum of a softmax has no gradient
      };
      // leaves from A and B; c is a node of B over a leaf of A, d and the softmax are nodes over it,
      // and the loss is reduced (and its backward started) by B
      function graph(A, B, softmax) {
        const a = A.tensor(data.a, { dtype: "float64", requiresGrad: true });
        const b = B.tensor(data.b, { dtype: "float64", requiresGrad: true });
        const c = B.mul(a, b);
        const d = A.exp(c).add(a);
        const loss = B.sum(softmax(d).mul(B.tensor(data.w, { dtype: "float64" })));
        loss.backward();
        return { loss: loss.item(), a: a.grad.toArray(), b: b.grad.toArray(), mixed: c.gradFn.constructor !== d.gradFn.constructor };
      }
      out = {
        single: graph(esm, esm, ops.softmax),
        esmLeavesCjsLoss: graph(esm, cjs, ops.softmax),
        cjsLeavesEsmLoss: graph(cjs, esm, opsCjs.softmax),
      };`);
    const single = out.single as Record<string, unknown>;
    expect(single.mixed).toBe(false);
    for (const mixed of [out.esmLeavesCjsLoss, out.cjsLeavesEsmLoss] as Record<string, unknown>[]) {
      expect(mixed.mixed).toBe(true); // the graph really holds nodes of both builds
      expect(mixed.loss).toBe(single.loss);
      expect(mixed.a).toEqual(single.a);
      expect(mixed.b).toEqual(single.b);
    }
  });

  it("share grad mode and anomaly mode: noGrad in one build stops the other recording", () => {
    const out = run(`
      const x = cjs.tensor([1, 2], { requiresGrad: true });
      out = {
        inNoGrad: esm.noGrad(() => ({ enabled: cjs.isGradEnabled(), records: cjs.mul(x, 2).requiresGrad, recordsEsm: esm.mul(x, 2).requiresGrad })),
        enableInside: cjs.noGrad(() => esm.enableGrad(() => cjs.mul(x, 2).requiresGrad)),
        after: [esm.isGradEnabled(), cjs.isGradEnabled(), cjs.mul(x, 2).requiresGrad],
        anomaly: errorOf(() => esm.detectAnomaly(() => cjs.log(cjs.tensor([-1])))),
      };`);
    expect(out.inNoGrad).toEqual({ enabled: false, records: false, recordsEsm: false });
    expect(out.enableInside).toBe(true);
    expect(out.after).toEqual([true, true, true]);
    expect(out.anomaly).toMatchObject({ op: "log", isNablaError: true });
    expect((out.anomaly as { message: string }).message).toContain("produced NaN in forward");
  });

  it("share the random generator: manualSeed in one build seeds the other", () => {
    const out = run(`
      esm.manualSeed(7);
      const mixed = [...esm.rand([3]).toArray(), ...cjs.rand([3]).toArray(), ...esm.randn([2]).toArray()];
      cjs.manualSeed(7);
      const single = [...esm.rand([6]).toArray(), ...esm.randn([2]).toArray()];
      out = { mixed, single };`);
    expect(out.mixed).toEqual(out.single);
  });

  it("share the kernel preference: setKernelPreference through one build is what the other reads", () => {
    // every copy dispatches its primitives on the one preference (sharedAcrossCopies), so the
    // kernels that run do not depend on which build an op came from
    const out = run(`
      const seen = [];
      for (const [set, value] of [[cjs, "js"], [esm, "wasm"], [cjs, "auto"]]) {
        set.setKernelPreference(value);
        seen.push([esm.getKernelPreference(), cjs.getKernelPreference()]);
      }
      out = seen;`);
    expect(out).toEqual([
      ["js", "js"],
      ["wasm", "wasm"],
      ["auto", "auto"],
    ]);
  });

  it("keep a gradient seed made by the other build out of .grad (backward tells its own storages by a shared count)", () => {
    // Without one storage count for both builds, the CJS build's storages would look newer than
    // the backward pass of the ESM build, which would then store the caller's seed itself as
    // x.grad and add the second pass into it.
    const out = run(`
      for (let i = 0; i < 1000; i++) cjs.zeros([1]);
      const x = esm.tensor([1, 2, 3], { requiresGrad: true });
      const seed = cjs.ones([3]);
      esm.add(x, 1).backward(seed);
      esm.add(x, 1).backward(seed);
      out = { seed: seed.toArray(), grad: x.grad.toArray() };`);
    expect(out).toEqual({ seed: [1, 1, 1], grad: [2, 2, 2] });
  });
});

describe("two versions of @nabla/tensor loaded together", () => {
  // The CJS build (its entries and shared chunks) copied with another version in its version
  // constant, as a build of 0.2.0 has.
  let folder: string;
  let other: string;
  const version = JSON.parse(readFileSync(dist("tensor/package.json"), "utf8")).version as string;
  const otherVersion = "99.0.0";

  beforeAll(() => {
    const literal = `var version = ${JSON.stringify(version)};`;
    folder = mkdtempSync(join(tmpdir(), "nabla-tensor-other-"));
    other = join(folder, "index.cjs");
    let copies = 0;
    for (const file of readdirSync(dist("tensor/dist")).filter((name) => name.endsWith(".cjs"))) {
      const source = readFileSync(dist(`tensor/dist/${file}`), "utf8");
      copies += source.split(literal).length - 1;
      writeFileSync(join(folder, file), source.replace(literal, `var version = ${JSON.stringify(otherVersion)};`));
    }
    if (copies !== 1) expect.fail(`packages/tensor/dist/*.cjs should hold \`${literal}\` exactly once, found ${copies}`);
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const twoCopies = (here: string, given: string) =>
    `two copies of @nabla/tensor are loaded (${here} here, ${given} in the tensor given) and cannot share tensors; make every package resolve one copy`;

  it("refuse each other's tensors with an error naming the op, the two versions and the fix", () => {
    const out = run(`
      const other = require(${JSON.stringify(other)});
      const t = other.tensor([1, 2]);
      out = {
        versions: [esm.version, other.version],
        softmax: errorOf(() => ops.softmax(t)),
        add: errorOf(() => esm.add(esm.tensor([1, 2]), t)),
        method: errorOf(() => t.add(esm.tensor([1, 2]))),
        matmul: errorOf(() => esm.matmul(esm.ones([2, 2]), other.ones([2, 2]))),
        Linear: errorOf(() => new nn.Linear(2, 1).forward(other.ones([1, 2]))),
        instanceOf: errorOf(() => t instanceof esm.Tensor),
        isTensor: errorOf(() => esm.isTensor(t)),
      };`);
    expect(out.versions).toEqual([version, otherVersion]);
    for (const op of ["softmax", "add", "matmul", "Linear", "instanceof Tensor", "isTensor"]) {
      const key = { "instanceof Tensor": "instanceOf" }[op] ?? op;
      const error = out[key] as { op: string; message: string; isNablaError: boolean };
      expect(error, op).toMatchObject({ name: "NablaError", op, isNablaError: true });
      expect(error.message, op).toContain(`${op}: ${twoCopies(version, otherVersion)}`);
      expect(error.message, op).toContain("`npm ls @nabla/tensor` lists them and `npm dedupe` (or `pnpm dedupe`) merges them");
    }
    // the other copy refuses ours the same way, from its side
    expect(out.method).toMatchObject({ op: "add", isNablaError: true });
    expect((out.method as { message: string }).message).toContain(`add: ${twoCopies(otherVersion, version)}`);
  });

  it("each work on their own, with their own grad mode", () => {
    const out = run(`
      const other = require(${JSON.stringify(other)});
      const x = other.tensor([1, 2, 3], { requiresGrad: true });
      x.mul(x).sum().backward();
      out = { grad: x.grad.toArray(), modes: other.noGrad(() => [other.isGradEnabled(), esm.isGradEnabled()]) };`);
    expect(out).toEqual({ grad: [2, 4, 6], modes: [false, true] });
  });
});

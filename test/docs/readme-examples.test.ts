/**
 * Runs every TypeScript example in the documentation, so no README shows code that fails or a
 * value the code does not give.
 *
 * Which blocks: every fenced block whose info string is `ts` (or `typescript`) in the files of
 * DOC_FILES. A block that is deliberately not runnable (a fragment) says so with `ts nocheck`.
 * Each block is a module of its own: it imports what it uses from `@nabla/*` (the vitest aliases
 * resolve them to the sources) and runs with the repository root as its working directory.
 *
 * How a block states values, checked here (the comment is what a reader sees):
 *
 *     softmax(tensor([2.0, 1.0, 0.1])); // → [0.65900114, 0.24243297, 0.09856589]
 *     const y = x.sum();                // → 6          (a declaration checks the declared name)
 *     matmul(a, b);                     // throws matmul: cannot multiply [2, 3] by [4, 5] (inner sizes 3 and 4 differ)
 *
 * - `// → value` ends a one-line statement: an expression, or `const`/`let` of one name. The value
 *   is a literal: numbers, `NaN`, `Infinity`, "strings", true/false/null, arrays, objects.
 * - A Tensor is compared through `toArray()` (a 0-d tensor is a number).
 * - A number written with a point or an exponent matches within half a unit of its last digit
 *   (`0.6590` means [0.65895, 0.65905]); one written without is exact. Both allow a relative 1e-6
 *   on top, for float32 rounding.
 * - An object matches on the keys it lists only: `// → { ok: true }` for a gradcheck report.
 * - `// throws message` asserts a NablaError with exactly that message; a trailing `…` makes the
 *   text a prefix of the message.
 * - A comment that starts with a value (`// [1, 2]`, `// 0.5`) but has no `→` is an error: values
 *   in comments are checked, or they are not written as values (`// e.g. [2, 0, 2, 2]`).
 *
 * The rewritten blocks go to `test/docs/.generated/readme/` (ignored by git), one file per block, with
 * the block's lines on the same line numbers, so a stack trace points at the markdown line. They
 * are also type-checked with the repository's compiler options (unused names included), since
 * running them strips the types unchecked.
 */
import { readFileSync } from "node:fs";
import { tensor } from "@nabla/tensor";
import { describe, expect, it } from "vitest";
import { check, checkThrows, mismatch, parseExpected } from "./doc-check";
import {
  DOC_CHECK_IMPORT,
  type DocBlock,
  extractBlocks,
  GENERATED,
  pruneGenerated,
  repositoryOptions,
  rewriteBlock,
  ROOT,
  typeCheck,
  writeGenerated,
} from "./example-blocks";

const OUT = `${GENERATED}readme/`;

const DOC_FILES = [
  "README.md",
  "packages/tensor/README.md",
  "packages/ops/README.md",
  "packages/nn/README.md",
  "packages/nabla/README.md",
  "examples/README.md",
  "docs/learn-backprop.md",
];

/** The block as a module: the import goes on the first line, so every line keeps its number. */
function blockModule(block: DocBlock): string {
  const lines = rewriteBlock(block);
  lines[0] = `${DOC_CHECK_IMPORT} ${lines[0] ?? ""}`;
  return `${lines.join("\n")}\n`;
}

const blocksByFile = DOC_FILES.map((file) => ({ file, blocks: extractBlocks(file, readFileSync(`${ROOT}${file}`, "utf8")).blocks }));

// Every block is written out before any test runs, so the type check below sees them all; a block
// that cannot be rewritten fails its own test.
const generated = blocksByFile.flatMap(({ blocks }) =>
  blocks.map((block) => {
    try {
      return { block, path: writeGenerated(OUT, `${block.file}_L${block.line}`, blockModule(block)), problem: null };
    } catch (problem) {
      return { block, path: null, problem: problem as Error };
    }
  }),
);
const CONVENTION_FILES = ["convention_wrong_value", "convention_throws"];
pruneGenerated(OUT, [...generated.flatMap((g) => (g.path ? [g.path] : [])), ...CONVENTION_FILES.map((name) => `${OUT}${name}.ts`)]);

for (const { file, blocks } of blocksByFile.filter((f) => f.blocks.length > 0)) {
  describe(file, () => {
    for (const { block, path, problem } of generated.filter((g) => blocks.includes(g.block))) {
      it(`the example at line ${block.line} runs and gives the values it states`, async () => {
        if (problem) throw problem;
        await import(/* @vite-ignore */ path!);
      });
    }
  });
}

describe("the documentation", () => {
  it("has examples in every package README and the guide, and states values in them", () => {
    const count = (file: string) => blocksByFile.find((f) => f.file === file)!.blocks.length;
    for (const file of [
      "README.md",
      "packages/tensor/README.md",
      "packages/ops/README.md",
      "packages/nn/README.md",
      "packages/nabla/README.md",
      "docs/learn-backprop.md",
    ]) {
      expect(count(file), file).toBeGreaterThan(0);
    }
    const annotations = blocksByFile
      .flatMap((f) => f.blocks)
      .flatMap((b) => b.lines)
      .filter((l) => l.includes("// →") || l.includes("// throws "));
    expect(annotations.length).toBeGreaterThan(50);
  });

  it("type-checks with the repository's compiler options, as a reader's editor would", () => {
    const files = generated.flatMap(({ block, path }) => (path ? [{ block, path }] : []));
    const errors = typeCheck(
      files.map((f) => f.path),
      repositoryOptions(),
    ).map(({ path, line, message }) => {
      const { block } = files.find((f) => f.path === path)!;
      return `${block.file}:${block.line + line}: ${message}`;
    });
    expect(errors).toEqual([]);
  });
});

describe("the annotation convention", () => {
  it("reads literals, with the tolerance of the digits written", () => {
    expect(parseExpected("[0.6590, -1e-3, 12, NaN, -Infinity]")).toEqual({
      kind: "array",
      items: [
        { kind: "number", value: 0.659, tolerance: 0.5e-4 },
        { kind: "number", value: -1e-3, tolerance: 0.5e-3 },
        { kind: "number", value: 12, tolerance: 0 },
        { kind: "number", value: NaN, tolerance: 0 },
        { kind: "number", value: -Infinity, tolerance: 0 },
      ],
    });
    expect(parseExpected('{ ok: true, "name": "x", worst: null }')).toEqual({
      kind: "object",
      fields: [
        ["ok", { kind: "exact", value: true }],
        ["name", { kind: "exact", value: "x" }],
        ["worst", { kind: "exact", value: null }],
      ],
    });
    expect(() => parseExpected("[1, 2")).toThrow(/expected , or \]/);
    expect(() => parseExpected("x.grad")).toThrow(/expected a value/);
  });

  it("matches tensors, numbers, arrays and objects, and reports where they differ", () => {
    const s = tensor([0.6590011, 0.242433]);
    expect(mismatch(s, parseExpected("[0.6590, 0.2424]"))).toBeNull();
    expect(mismatch(s, parseExpected("[0.6591, 0.2424]"))).toMatch(/^value\[0\] is 0\.659001/);
    expect(mismatch(s, parseExpected("[0.6590]"))).toBe("value has 2 elements, expected 1");
    expect(mismatch(3.0000001, parseExpected("3"))).toBeNull(); // float32 rounding
    expect(mismatch(3.01, parseExpected("3"))).toMatch(/is 3\.01, expected 3/);
    expect(mismatch(NaN, parseExpected("NaN"))).toBeNull();
    expect(mismatch(0, parseExpected("NaN"))).toMatch(/expected NaN/);
    expect(mismatch({ ok: false, worst: null }, parseExpected("{ ok: true }"))).toBe("value.ok is false, expected true");
    expect(mismatch({ ok: true, extra: 1 }, parseExpected("{ ok: true }"))).toBeNull();
    expect(mismatch("float64", parseExpected('"float32"'))).toMatch(/expected "float32"/);
    expect(mismatch(tensor(true), parseExpected("true"))).toBeNull();
  });

  it("checkThrows wants a NablaError with the message written", () => {
    const throwing = () => tensor([1, 2]).matmul(tensor([1, 2, 3]));
    const message = "matmul: cannot multiply [2] by [3] (inner sizes 2 and 3 differ)";
    expect(() => checkThrows(throwing, message, "here")).not.toThrow();
    expect(() => checkThrows(throwing, "matmul: cannot multiply…", "here")).not.toThrow();
    expect(() => checkThrows(throwing, "matmul: something else", "here")).toThrow(/^here: the NablaError says/);
    expect(() => checkThrows(() => 1, message, "here")).toThrow(/nothing was thrown/);
    expect(() =>
      checkThrows(
        () => {
          throw new TypeError("no");
        },
        message,
        "here",
      ),
    ).toThrow(/expected a NablaError/);
    expect(() => check(1, "2", "README.md:3")).toThrow(/^README\.md:3: value is 1, expected 2 \(± 2\.0e-6\)$/);
  });

  it("a block whose stated value is wrong fails, and names the markdown line", async () => {
    const block: DocBlock = {
      file: "FAKE.md",
      line: 10,
      lines: ['import { tensor } from "@nabla/tensor";', "const x = tensor([1, 2]);", "x.sum(); // → 3", "x.mul(2); // → [2, 5]"],
    };
    const path = writeGenerated(OUT, CONVENTION_FILES[0]!, blockModule(block));
    await expect(import(/* @vite-ignore */ path)).rejects.toThrow("FAKE.md:13: value[1] is 4, expected 5");
  });

  it("a declaration checks the declared name, and throws checks the error", async () => {
    const block: DocBlock = {
      file: "FAKE.md",
      line: 1,
      lines: [
        'import { tensor } from "@nabla/tensor";',
        "const y = tensor([1, 2]).sum(); // → 3",
        "y.add(1); // → 4",
        "tensor([1, 2]).matmul(tensor([1])); // throws matmul: cannot multiply [2] by [1] (inner sizes 2 and 1 differ)",
        "tensor([1, 2]).sum(); // throws matmul…",
      ],
    };
    const path = writeGenerated(OUT, CONVENTION_FILES[1]!, blockModule(block));
    await expect(import(/* @vite-ignore */ path)).rejects.toThrow("FAKE.md:5: expected a NablaError (matmul…), but nothing was thrown");
  });

  it("refuses a value in a comment that is not checked", () => {
    const block: DocBlock = { file: "FAKE.md", line: 1, lines: ["x.sum(); // [1, 2]"] };
    expect(() => rewriteBlock(block)).toThrow("FAKE.md:1: a value in a comment without →, so it would not be checked: x.sum(); // [1, 2]");
  });
});

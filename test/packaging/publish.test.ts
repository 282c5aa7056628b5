import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Every package under packages/ that is not private, packed with `pnpm pack` as `pnpm publish`
// would, then checked as a user gets it: its metadata, its files, its dependency ranges, and what
// @arethetypeswrong/cli and publint (strict) say about the tarball. Packing needs dist/: `pnpm test`
// builds first; run `pnpm build` before running this file on its own.

const root = fileURLToPath(new URL("../../", import.meta.url));
const packagesDir = join(root, "packages");

/** The package.json fields these tests read by name; the others stay unknown. */
interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  [field: string]: unknown;
}
const readManifest = (path: string): Manifest => JSON.parse(readFileSync(path, "utf8")) as Manifest;

/** Every workspace package under packages/, by name. */
const workspace = new Map(
  readdirSync(packagesDir)
    .filter((dir) => existsSync(join(packagesDir, dir, "package.json")))
    .map((dir) => {
      const manifest = readManifest(join(packagesDir, dir, "package.json"));
      return [manifest.name as string, { dir, manifest }] as const;
    }),
);
const published = [...workspace.values()].filter(({ manifest }) => manifest.private !== true).map(({ dir }) => dir);

interface Packed {
  tarball: string;
  /** Paths inside the tarball, relative to its package/ folder. */
  files: string[];
  /** The package.json inside the tarball. */
  manifest: Manifest;
  /** What @arethetypeswrong/cli printed when it found problems; null when it found none. */
  attwProblems: string | null;
}

const run = promisify(execFile);
const packed = new Map<string, Packed>();
let scratch: string;

/** Packs packages/<dir> into the scratch folder, unpacks it there and runs attw on the tarball. */
async function packAndCheck(dir: string): Promise<Packed> {
  const { stdout } = await run("pnpm", ["pack", "--json", "--pack-destination", scratch], { cwd: join(packagesDir, dir) });
  const { filename, files } = JSON.parse(stdout.slice(stdout.indexOf("{"))) as { filename: string; files: { path: string }[] };
  const unpacked = join(scratch, dir);
  mkdirSync(unpacked);
  await run("tar", ["-xzf", filename, "-C", unpacked]);
  let attwProblems: string | null = null;
  try {
    // nabla/browser is an ES module for pages that load it without a bundler: it has no CommonJS
    // or node10 form by design, so attw's resolution checks do not apply to it
    const exclude = existsSync(join(packagesDir, dir, "dist/nabla.browser.js")) ? ["--exclude-entrypoints", "browser"] : [];
    await run(join(root, "node_modules/.bin/attw"), [
      filename,
      "--format",
      "ascii",
      "--no-color",
      "--no-emoji",
      "--no-definitely-typed",
      ...exclude,
    ]);
  } catch (error) {
    const { stdout: out, stderr } = error as { stdout?: string; stderr?: string };
    attwProblems = `${out ?? ""}${stderr ?? ""}` || String(error);
  }
  return {
    tarball: filename,
    files: files.map((file) => file.path),
    manifest: readManifest(join(unpacked, "package", "package.json")),
    attwProblems,
  };
}

// the packages are packed and checked side by side: attw spends most of its time loading TypeScript
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "nabla-pack-"));
  const results = await Promise.all(published.map(packAndCheck));
  published.forEach((dir, i) => {
    packed.set(dir, results[i]!);
  });
}, 120_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The packed package, failing with the fix when dist/ was not built. */
function pack(dir: string): Packed {
  const result = packed.get(dir)!;
  if (!result.files.some((file) => file.startsWith("dist/")))
    expect.fail(`packages/${dir} packed without dist/: run \`pnpm build\` (the root \`pnpm test\` builds before testing)`);
  return result;
}

/** Every string in a package.json value (the targets of `exports`, however nested). */
function targets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(targets);
}

/** Whether `version` is in the caret range `range` (`^A.B.C`), as npm reads it; other forms are refused. */
function inCaretRange(range: string, version: string): boolean {
  const bounds = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range)?.slice(1).map(Number);
  const [x, y, z] = version.split("-")[0]!.split(".").map(Number) as [number, number, number];
  if (!bounds) return false;
  const [a, b, c] = bounds as [number, number, number];
  const atLeast = x !== a ? x > a : y !== b ? y > b : z >= c;
  // the leftmost non-zero part is fixed: ^1.2.3 is <2.0.0, ^0.2.3 is <0.3.0, ^0.0.3 is 0.0.3 only
  const sameLeading = a > 0 ? x === a : b > 0 ? x === 0 && y === b : x === 0 && y === 0 && z === c;
  return atLeast && sameLeading;
}

describe.each(published)("packages/%s packed for publishing", (dir) => {
  const source = workspace.get(readManifest(join(packagesDir, dir, "package.json")).name)!.manifest;

  it("carries the metadata a registry page and an installer need", () => {
    const { manifest } = pack(dir);
    expect(typeof manifest.description === "string" && manifest.description.length > 0, "description").toBe(true);
    expect(Array.isArray(manifest.keywords) && manifest.keywords.length > 0, "keywords").toBe(true);
    expect(manifest.license).toBe("MIT");
    expect(manifest.repository).toEqual({ type: "git", url: "git+https://github.com/nabla-ts/nabla.git", directory: `packages/${dir}` });
    expect(manifest.homepage).toBe(`https://github.com/nabla-ts/nabla/tree/main/packages/${dir}#readme`);
    expect(manifest.engines).toEqual({ node: ">=20" });
    expect(typeof manifest.sideEffects, "sideEffects").not.toBe("undefined");
    expect(manifest.publishConfig).toEqual({ access: "public" });
  });

  it("holds dist/, README.md, CHANGELOG.md, LICENSE and every file its entry points name", () => {
    const { files, manifest } = pack(dir);
    for (const file of ["package.json", "README.md", "CHANGELOG.md", "LICENSE"]) expect(files, file).toContain(file);
    expect(
      files.filter((file) => !/^(dist\/|[^/]+\/package\.json$|[^/]+$)/.test(file)),
      "sources or configs packed",
    ).toEqual([]);
    expect(
      files.filter((file) => !file.includes("/") && !["package.json", "README.md", "CHANGELOG.md", "LICENSE"].includes(file)),
      "stray top-level files",
    ).toEqual([]);
    expect(readFileSync(join(scratch, dir, "package", "LICENSE"), "utf8"), "the repository's LICENSE").toBe(
      readFileSync(join(root, "LICENSE"), "utf8"),
    );
    // the package's own entry points, and those of stub package.json files for old resolvers (nn/node)
    const manifests = files.filter((file) => file === "package.json" || file.endsWith("/package.json"));
    for (const file of manifests) {
      const entry = file === "package.json" ? manifest : readManifest(join(scratch, dir, "package", file));
      for (const target of targets([entry.main, entry.module, entry.types, entry.exports])) {
        expect(files, `${file} names ${target}`).toContain(posix.normalize(posix.join(dirname(file), target)));
      }
    }
  });

  it("keeps no workspace: range, declares every @nabla package its build imports, and its peers admit their current versions", () => {
    const { files, manifest } = pack(dir);
    expect(JSON.stringify(manifest), "a workspace: range left in the packed package.json").not.toContain("workspace:");
    const declared = { ...manifest.dependencies, ...manifest.peerDependencies } as Record<string, string>;
    for (const file of files.filter((name) => /^dist\/.*\.c?js$/.test(name))) {
      const code = readFileSync(join(scratch, dir, "package", file), "utf8");
      for (const [, imported] of code.matchAll(/(?:from\s*|import\s*\(\s*|require\s*\(\s*)["'](@nabla\/[\w-]+)/g)) {
        expect(declared, `${file} imports ${imported}`).toHaveProperty([imported!]);
      }
    }
    for (const [name, range] of Object.entries((manifest.peerDependencies ?? {}) as Record<string, string>)) {
      const peer = workspace.get(name);
      if (!peer) continue;
      // @nabla/ops 0.2.0 with a peer range of ^0.1.0 would refuse @nabla/tensor 0.2.0: update the
      // range in packages/*/package.json when a release moves past it
      expect(
        inCaretRange(range, peer.manifest.version),
        `the peer range ${range} on ${name} admits its version ${peer.manifest.version}`,
      ).toBe(true);
      expect(source.devDependencies?.[name], `${name} is also a workspace:* devDependency, so the workspace links it`).toBe("workspace:*");
    }
    // one core per project: a @nabla/* library takes the @nabla packages it builds on as peers,
    // so a project never nests a second copy of them
    if (manifest.name.startsWith("@nabla/")) {
      expect(
        Object.keys(manifest.dependencies ?? {}).filter((name) => workspace.has(name)),
        "@nabla dependencies that should be peers",
      ).toEqual([]);
    }
  });

  it("has types that resolve in every module mode (@arethetypeswrong/cli)", () => {
    const { attwProblems } = pack(dir);
    if (attwProblems !== null) expect.fail(`attw found problems in ${source.name}:\n${attwProblems}`);
  });

  it("passes publint --strict", async () => {
    const bytes = readFileSync(pack(dir).tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      strict: true,
    });
    expect(messages.map((message) => `${message.type}: ${formatMessage(message, pkg, { color: false })}`)).toEqual([]);
  });
});

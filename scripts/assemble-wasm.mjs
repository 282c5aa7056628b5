// Assembles the WebAssembly text kernels (*.wat) in the directories given as arguments into
// TypeScript modules that hold the binaries as base64 (*-binary.ts beside them), so the packages
// need no .wasm files and no assembler at run time. Each kernel is assembled as written, then has
// its helpers inlined by Binaryen (see inlineHelpers), importing a plain memory; where nabla's heap
// is a shared memory, @nabla/tensor's importSharedMemory (backends/cpu/wasm/wasm-api.ts) sets the
// shared bit of that import at run time, and this script checks that the result is byte for byte
// the shared build's. Run after editing a .wat file: pnpm build:wasm. With --check first, nothing
// is written: the run fails if any *-binary.ts differs from what its .wat gives.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import binaryen from "binaryen";
import initWabt from "wabt";

const root = fileURLToPath(new URL("../", import.meta.url));
const check = process.argv[2] === "--check";
const kernelDirs = process.argv.slice(check ? 3 : 2);
if (kernelDirs.length === 0) throw new Error("usage: node scripts/assemble-wasm.mjs [--check] <directory with .wat files>…");
const stale = [];
const wabt = await initWabt();
const MEMORY_IMPORT = /\(import "env" "memory" \(memory (\d+) (\d+)\)\)/;

function assemble(file, source, features) {
  const module = wabt.parseWat(file, source, features);
  try {
    module.validate(features);
    return inlineHelpers(file, module.toBinary({ canonicalize_lebs: true }).buffer);
  } finally {
    module.destroy();
  }
}

// V8 (TurboFan in Node 20) inlines no WebAssembly function into another: a helper called in a loop
// costs a call per iteration, and the caller's values live across the call are spilled to the
// stack and reloaded. So every function but the exported ones is inlined into its callers, whatever
// its size, and the only calls left are to imports. A function called with constant arguments (as
// elementwise.wat calls its loops, one copy per op) is then simplified for them: the passes after
// "inlining" propagate those constants, drop the branches they decide, and the locals and blocks
// left unused. They compute nothing in floating point (precompute folds only expressions whose
// operands are all constants: here the integer ones passed), so the results are the .wat's own.
const FEATURES =
  binaryen.Features.MutableGlobals |
  binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SignExt |
  binaryen.Features.SIMD128 |
  binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt |
  binaryen.Features.Atomics;
const PASSES = ["inlining", "precompute-propagate", "remove-unused-brs", "vacuum", "simplify-locals", "coalesce-locals", "vacuum"];
binaryen.setAlwaysInlineMaxSize(2 ** 32 - 1);

function inlineHelpers(file, bytes) {
  const module = binaryen.readBinary(bytes);
  try {
    module.setFeatures(FEATURES);
    module.runPasses(PASSES);
    if (!module.validate()) throw new Error(`${file}: Binaryen gave an invalid module`);
    const calls = internalCalls(module);
    if (calls.length > 0) throw new Error(`${file}: not inlined: ${calls.join(", ")}`);
    return module.emitBinary();
  } finally {
    module.dispose();
  }
}

/** The calls a module makes to functions of its own (left uninlined), by name. */
function internalCalls(module) {
  const imported = new Set();
  for (let i = 0; i < module.getNumFunctions(); i++) {
    const info = binaryen.getFunctionInfo(module.getFunctionByIndex(i));
    if (info.module !== "") imported.add(info.name);
  }
  return [...module.emitText().matchAll(/\(call \$([^\s)]+)/g)].map((match) => match[1]).filter((name) => !imported.has(name));
}

function base64Constant(name, bytes) {
  const lines =
    Buffer.from(bytes)
      .toString("base64")
      .match(/.{1,100}/g) ?? [];
  return `export const ${name} =\n${lines.map((line) => `  "${line}"`).join(" +\n")};\n`;
}

for (const kernelsDir of kernelDirs.map((dir) => join(root, dir))) {
  for (const file of readdirSync(kernelsDir).filter((name) => name.endsWith(".wat"))) {
    const source = readFileSync(join(kernelsDir, file), "utf8");
    if (!MEMORY_IMPORT.test(source)) throw new Error(`${file}: expected an (import "env" "memory" (memory min max))`);
    const name = basename(file, ".wat");
    const prefix = name.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
    const plain = assemble(file, source, { simd: true });
    const shared = assemble(file, source.replace(MEMORY_IMPORT, '(import "env" "memory" (memory $1 $2 shared))'), {
      simd: true,
      threads: true,
    });
    // the shared build must differ in one byte only, the memory import's limits flag (0x01 → 0x03)
    const differing = Array.from(plain.keys()).filter((i) => plain[i] !== shared[i]);
    if (shared.length !== plain.length || differing.length !== 1 || plain[differing[0]] !== 0x01 || shared[differing[0]] !== 0x03) {
      throw new Error(`${file}: the shared-memory build differs from the plain one by more than the memory import's shared bit`);
    }
    const text =
      `// Generated by scripts/assemble-wasm.mjs from ${file}; do not edit.\n\n` +
      `/** ${file} (${plain.length} bytes), importing a plain memory (see importSharedMemory for a shared one). */\n` +
      base64Constant(`${prefix}_WASM_BASE64`, plain);
    const target = join(kernelsDir, `${name}-binary.ts`);
    if (check) {
      if (readFileSync(target, "utf8") !== text) stale.push(target);
    } else {
      writeFileSync(target, text);
      console.log(`${file} → ${name}-binary.ts (${plain.length} bytes)`);
    }
  }
}
if (stale.length > 0) {
  console.error(`out of date (run pnpm build:wasm): ${stale.join(", ")}`);
  process.exit(1);
}

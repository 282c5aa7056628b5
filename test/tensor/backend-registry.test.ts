import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { neg, tensor } from "@nabla/tensor";
import type { TypedArray } from "../../packages/tensor/src/dtype";
import type { BackendDefinition, View } from "../../packages/tensor/src/backends/backend";
import { cpuDefinition } from "../../packages/tensor/src/backends/cpu";
import type { UnaryOp } from "../../packages/tensor/src/backends/primitives";
import { type KernelAlternative, registerKernel, registeredKernels } from "../../packages/tensor/src/backends/registry";
import { isContiguousLayout } from "../../packages/tensor/src/layout";
import { withKernels } from "../support/kernels";

// The registry: every backend has a reference kernel for every primitive, and alternatives
// registered beside them run only where their declarations (dtype, size, layout) and the kernel
// preference allow.

describe("backend definitions", () => {
  it("must have a kernel for every primitive (a type error otherwise)", () => {
    const { matmul: _missing, ...withoutMatmul } = cpuDefinition.kernels;
    const incomplete: BackendDefinition<TypedArray> = {
      ...cpuDefinition,
      // @ts-expect-error matmul is missing from the kernels
      kernels: withoutMatmul,
    };
    expect(Object.keys(incomplete.kernels)).not.toContain("matmul");
  });

  it("register the WebAssembly kernels of the CPU beside the reference kernels", () => {
    expect(registeredKernels("cpu", "binary")).toEqual(["binaryF32InHeap", "reluBackwardF32Simd", "geluBackwardF32Simd", "binaryF32Simd"]);
    expect(registeredKernels("cpu", "unary")).toEqual(["unaryF32InHeap", "reluStridedF32Simd", "unaryF32Simd"]);
    expect(registeredKernels("cpu", "copy")).toEqual(["copyStridedF32Simd"]);
    expect(registeredKernels("cpu", "reduce")).toEqual(["sumF32InHeap", "sumSimd"]);
    expect(registeredKernels("cpu", "matmul")).toEqual(["matmulSimd"]);
    expect(registeredKernels("cpu", "softmax")).toEqual(["softmaxRowsF32Simd"]);
    expect(registeredKernels("cpu", "softmaxBackward")).toEqual(["softmaxVjpRowsF32Simd"]);
    expect(registeredKernels("cpu", "crossEntropy")).toEqual(["crossEntropyF32Simd"]);
    expect(registeredKernels("cpu", "crossEntropyBackward")).toEqual([]);
    expect(registeredKernels("cpu", "layerNorm")).toEqual(["layerNormF32Simd"]);
    expect(registeredKernels("cpu", "layerNormBackward")).toEqual(["layerNormBackwardF32Simd"]);
    expect(registeredKernels("cpu", "optimizerUpdate")).toEqual(["updateF32Simd"]);
    expect(registeredKernels("cpu", "im2col")).toEqual(["im2colF32Simd"]);
    expect(registeredKernels("cpu", "col2im")).toEqual(["col2imF32Simd"]);
    expect(registeredKernels("cpu", "maxPool")).toEqual(["maxPool2x2F32Simd"]);
    expect(registeredKernels("cpu", "conv2d")).toEqual(["conv2dF32Simd"]);
    expect(registeredKernels("cpu", "conv2dWeightGrad")).toEqual(["conv2dWeightGradF32Simd"]);
    expect(registeredKernels("cpu", "conv2dInputGrad")).toEqual(["conv2dInputGradF32Simd"]);
    expect(registeredKernels("cpu", "gather")).toEqual([]);
  });
});

describe("the choice between a reference kernel and a registered alternative", () => {
  const ran: string[] = [];
  let removals: (() => void)[] = [];
  afterEach(() => {
    for (const remove of removals) remove();
    removals = [];
    ran.length = 0;
  });

  /** A float64 neg for contiguous inputs from 100 elements, recording its calls; `gives` null declines at run time. */
  function registerNeg(name: string, gives: "result" | "null" = "result"): void {
    const alternative: KernelAlternative<"unary", TypedArray> = {
      name,
      dtypes: ["float64"],
      minElements: 100,
      dtype: (_op: UnaryOp, _x: View<TypedArray>, dtype) => dtype,
      size: (_op: UnaryOp, x: View<TypedArray>) => x.shape.reduce((a, b) => a * b, 1),
      accepts: (op: UnaryOp, x: View<TypedArray>) => op === "neg" && isContiguousLayout(x),
      run(_op: UnaryOp, x: View<TypedArray>) {
        ran.push(name);
        if (gives === "null") return null;
        return Float64Array.from(x.buffer.subarray(x.offset), (v) => -v);
      },
    };
    removals.push(registerKernel("cpu", "unary", alternative));
  }

  const values = (n: number, dtype: "float32" | "float64" = "float64") =>
    tensor(
      Array.from({ length: n }, (_, i) => i),
      { dtype },
    );

  it("follows the preference: never under js, from its size on under auto, at any size under wasm", () => {
    registerNeg("negTest");
    const large = values(200);
    const small = values(50);
    withKernels("js", () => neg(large));
    expect(ran).toEqual([]);
    withKernels("auto", () => neg(small));
    expect(ran).toEqual([]);
    const result = withKernels("auto", () => neg(large));
    expect(ran).toEqual(["negTest"]);
    expect(result.data()[199]).toBe(-199);
    withKernels("wasm", () => neg(small));
    expect(ran).toEqual(["negTest", "negTest"]);
  });

  it("runs the reference kernel where the alternative declines the dtype or the layout", () => {
    registerNeg("negTest");
    withKernels("wasm", () => {
      expect(neg(values(200, "float32")).data()[3]).toBe(-3);
      // a transposed view is not contiguous
      expect(neg(values(200).reshape([10, 20]).T).toArray()).toEqual(
        Array.from({ length: 20 }, (_, j) => Array.from({ length: 10 }, (_, i) => -(i * 20 + j))),
      );
    });
    expect(ran).toEqual([]);
  });

  it("falls back to the next kernel, then the reference, when an alternative cannot run after all", () => {
    registerNeg("negFirst");
    registerNeg("negDeclining", "null");
    expect(registeredKernels("cpu", "unary")).toEqual(["negDeclining", "negFirst", "unaryF32InHeap", "reluStridedF32Simd", "unaryF32Simd"]);
    expect(withKernels("wasm", () => neg(values(5))).toArray()).toEqual([-0, -1, -2, -3, -4]);
    expect(ran).toEqual(["negDeclining", "negFirst"]);
    removals.pop()!();
    removals.pop()!();
    ran.length = 0;
    registerNeg("negDeclining", "null");
    expect(withKernels("wasm", () => neg(values(5))).toArray()).toEqual([-0, -1, -2, -3, -4]);
    expect(ran).toEqual(["negDeclining"]);
  });

  it("removes a registered alternative again", () => {
    registerNeg("negTest");
    removals.pop()!();
    expect(registeredKernels("cpu", "unary")).toEqual(["unaryF32InHeap", "reluStridedF32Simd", "unaryF32Simd"]);
    withKernels("wasm", () => neg(values(200)));
    expect(ran).toEqual([]);
  });
});

describe("no buffer bytes outside the backends", () => {
  const packages = fileURLToPath(new URL("../../packages/", import.meta.url));
  /** Every TypeScript source of the packages, relative to packages/, outside packages/tensor/src/backends/. */
  const sources = readdirSync(packages, { recursive: true, encoding: "utf8" })
    .map((file) => file.replaceAll("\\", "/"))
    .filter((file) => /^[^/]+\/src\/.*\.ts$/.test(file) && !file.startsWith("tensor/src/backends/"));
  // the host array behind a buffer (Storage.data, Backend.hostArray) and choosing kernels outside
  // the registry's dispatch (asking the kernel preference, or kernel modules of their own)
  const FORBIDDEN = [
    /\bstorage\.data\b/,
    /\.data\s*\.\s*(?:set|subarray|fill)\(/,
    /\bhostArray\b/,
    /\buseWasmKernel\b/,
    /\blazyWasmKernels\b/,
  ];

  it("finds the sources of @nabla/tensor, @nabla/ops and @nabla/nn", () => {
    for (const file of ["tensor/src/tensor.ts", "ops/src/softmax.ts", "ops/src/cross-entropy.ts", "nn/src/optim/adam.ts"]) {
      expect(sources).toContain(file);
    }
  });

  it("no source above the backends reads or writes a buffer's elements or picks its own kernels", () => {
    const offending = sources.flatMap((file) =>
      readFileSync(`${packages}${file}`, "utf8")
        .split("\n")
        .flatMap((line, i) => (FORBIDDEN.some((pattern) => pattern.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offending).toEqual([]);
  });
});

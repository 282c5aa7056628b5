import { describe, expect, it } from "vitest";
import * as nabla from "@nabla/tensor";
import { Tensor, tensor } from "@nabla/tensor";
import { type ScanCase, functionCases, scanArguments, unscannedFunctions } from "../support/argument-scan";

// Every exported function and every Tensor method, called with null, true, {}, "x" and NaN in each
// argument position in turn: it must work or throw a NablaError, never a TypeError or RangeError.

const x = () =>
  tensor([
    [1, 2],
    [3, 4],
  ]);
const v = () => tensor([1, 2]);
const index = () =>
  tensor(
    [
      [0, 1],
      [1, 0],
    ],
    { dtype: "int32" },
  );
const leaf = () => tensor([1, 2], { requiresGrad: true });
const f = (t: Tensor) => t.mul(t).sum();

const FUNCTIONS: Record<string, () => unknown[]> = {
  tensor: () => [[1, 2], { dtype: "float32", requiresGrad: false, shape: [2], device: "cpu" }],
  zeros: () => [[2], { dtype: "float32" }],
  ones: () => [[2], { dtype: "float32" }],
  full: () => [[2], 3, { dtype: "float32" }],
  zerosLike: () => [v(), { dtype: "float32" }],
  onesLike: () => [v(), { dtype: "float32" }],
  arange: () => [0, 3, 1, { dtype: "float32" }],
  linspace: () => [0, 1, 3, { dtype: "float32" }],
  eye: () => [2, 3, { dtype: "float32" }],
  rand: () => [[2], { dtype: "float32" }],
  randn: () => [[2], { dtype: "float32" }],
  randint: () => [0, 5, [2], { dtype: "int32" }],
  randperm: () => [4, { dtype: "int32" }],
  manualSeed: () => [0],
  setDefaultDevice: () => ["cpu"],
  getDefaultDevice: () => [],
  neg: () => [v()],
  exp: () => [v()],
  log: () => [v()],
  sqrt: () => [v()],
  abs: () => [v()],
  sign: () => [v()],
  tanh: () => [v()],
  sigmoid: () => [v()],
  relu: () => [v()],
  sin: () => [v()],
  cos: () => [v()],
  erf: () => [v()],
  clamp: () => [v(), 0, 1],
  add: () => [v(), v()],
  sub: () => [v(), v()],
  mul: () => [v(), v()],
  div: () => [v(), v()],
  pow: () => [v(), v()],
  maximum: () => [v(), v()],
  minimum: () => [v(), v()],
  eq: () => [v(), v()],
  ne: () => [v(), v()],
  lt: () => [v(), v()],
  le: () => [v(), v()],
  gt: () => [v(), v()],
  ge: () => [v(), v()],
  where: () => [v().gt(1), v(), v()],
  sum: () => [x(), 0, false],
  max: () => [x(), 0, false],
  min: () => [x(), 0, false],
  argmax: () => [x(), 0, false],
  argmin: () => [x(), 0, false],
  square: () => [v()],
  mean: () => [x(), 0, false],
  var: () => [x(), 0, false, 1],
  std: () => [x(), 0, false, 1],
  reshape: () => [x(), [4]],
  view: () => [x(), [4]],
  transpose: () => [x(), 0, 1],
  permute: () => [x(), [1, 0]],
  squeeze: () => [x(), 0],
  unsqueeze: () => [x(), 0],
  expand: () => [v(), [2, 2]],
  broadcastTo: () => [v(), [2, 2]],
  flatten: () => [x(), 0, -1],
  slice: () => [x(), 0, 0, 2, 1],
  select: () => [x(), 0, 1],
  narrow: () => [x(), 0, 0, 1],
  asStrided: () => [x(), [2], [1], 0],
  contiguous: () => [x()],
  clone: () => [x()],
  to: () => [x(), "float64"],
  sumTo: () => [x(), [1, 2]],
  matmul: () => [x(), x()],
  gather: () => [x(), 1, index()],
  indexSelect: () => [x(), 0, tensor([1], { dtype: "int32" })],
  scatterAdd: () => [x(), 1, index(), x()],
  cat: () => [[x(), x()], 0],
  stack: () => [[x(), x()], 0],
  split: () => [x(), 1, 0],
  pad: () => [x(), [1, 0], { mode: "reflect", value: 0 }],
  oneHot: () => [tensor([0, 2], { dtype: "int32" }), 3],
  add_: () => [x(), 1],
  sub_: () => [x(), 1],
  mul_: () => [x(), 2],
  div_: () => [x(), 2],
  zero_: () => [x()],
  fill_: () => [x(), 1],
  copy_: () => [x(), x()],
  defineOp: () => [{ name: "scanIdentity", forward: (_ctx: unknown, t: Tensor) => t.clone(), backward: (_ctx: unknown, g: Tensor) => [g] }],
  registeredOps: () => [],
  noGrad: () => [() => 1],
  enableGrad: () => [() => 1],
  isGradEnabled: () => [],
  setKernelPreference: () => ["auto"],
  getKernelPreference: () => [],
  detectAnomaly: () => [() => 1],
  autogradGrad: () => {
    const p = leaf();
    return [f(p), [p], { retainGraph: false, createGraph: false, allowUnused: false }];
  },
  grad: () => [f, { argnums: 0 }],
  valueAndGrad: () => [f, { argnums: 0 }],
  vjp: () => [(t: Tensor) => t.mul(2), [v()], v()],
  jvp: () => [(t: Tensor) => t.mul(2), [v()], [v()]],
  jacobian: () => [(t: Tensor) => t.mul(2), v()],
  hessian: () => [f, v()],
  gradcheck: () => [f, [tensor([1, 2], { dtype: "float64" })], { eps: 1e-6, atol: 1e-5, rtol: 1e-3, throwOnFailure: false }],
  gradgradcheck: () => [f, [tensor([1, 2], { dtype: "float64" })], { eps: 1e-6, atol: 1e-5, rtol: 1e-3, throwOnFailure: false }],
  toDot: () => [f(leaf()), { values: false, grads: false, maxElements: 4 }],
  traceBackward: () => [f(leaf()), {}],
  formatShape: () => [[2, 3]],
  broadcastShapes: () => ["op", [2, 1], [3]],
  normalizeDim: () => ["op", 1, 2],
  normalizeDims: () => ["op", [0, 1], 2],
  promoteTypes: () => ["float32", "int32"],
  resultType: () => [[v(), 1]],
  isTensor: () => [v(), "op"],
};

// Not entry points for arguments: classes covered below, and the WebAssembly helpers exported for
// @nabla/ops and @nabla/nn (internal plumbing, not user API).
const NOT_SCANNED = new Set([
  "Tensor",
  "Storage",
  "NablaError",
  "Generator",
  "BackwardTrace",
  "lazyWasmKernels",
  "growWasmMemory",
  "float32RegionBytes",
]);

const METHODS: Record<string, () => unknown[]> = {
  isContiguous: () => [],
  retainGrad: () => [],
  registerHook: () => [() => undefined],
  backward: () => [undefined, { retainGraph: false }],
  detach: () => [],
  data: () => [],
  toArray: () => [],
  item: () => [],
  dataAsync: () => [],
  toArrayAsync: () => [],
  itemAsync: () => [],
  toString: () => [],
  reshape: () => [[4]],
  view: () => [[4]],
  transpose: () => [0, 1],
  permute: () => [[1, 0]],
  squeeze: () => [0],
  unsqueeze: () => [0],
  expand: () => [[2, 2, 2]],
  broadcastTo: () => [[2, 2, 2]],
  flatten: () => [0, -1],
  slice: () => [0, 0, 2, 1],
  select: () => [0, 1],
  narrow: () => [0, 0, 1],
  asStrided: () => [[2], [1], 0],
  contiguous: () => [],
  clone: () => [],
  to: () => ["float64"],
  add: () => [1],
  sub: () => [1],
  mul: () => [1],
  div: () => [1],
  pow: () => [2],
  maximum: () => [1],
  minimum: () => [1],
  neg: () => [],
  exp: () => [],
  log: () => [],
  sqrt: () => [],
  abs: () => [],
  tanh: () => [],
  sigmoid: () => [],
  relu: () => [],
  sin: () => [],
  cos: () => [],
  erf: () => [],
  sign: () => [],
  square: () => [],
  clamp: () => [0, 1],
  eq: () => [1],
  ne: () => [1],
  lt: () => [1],
  le: () => [1],
  gt: () => [1],
  ge: () => [1],
  where: () => [x().gt(1), 0],
  sum: () => [0, false],
  mean: () => [0, false],
  max: () => [0, false],
  min: () => [0, false],
  argmax: () => [0, false],
  argmin: () => [0, false],
  var: () => [0, false, 1],
  std: () => [0, false, 1],
  matmul: () => [x()],
  gather: () => [1, index()],
  indexSelect: () => [0, tensor([1], { dtype: "int32" })],
  scatterAdd: () => [1, index(), x()],
  oneHot: () => [3],
  split: () => [1, 0],
  pad: () => [[1, 0], { mode: "replicate", value: 0 }],
  add_: () => [1],
  sub_: () => [1],
  mul_: () => [2],
  div_: () => [2],
  zero_: () => [],
  fill_: () => [1],
  copy_: () => [x()],
};
// Methods whose receiver is not a plain float [2, 2] tensor.
const RECEIVER: Record<string, () => Tensor> = {
  item: () => tensor(1),
  itemAsync: () => tensor(1),
  oneHot: () => tensor([0, 2], { dtype: "int32" }),
  retainGrad: () => leaf().mul(2),
  registerHook: () => leaf(),
  backward: () => leaf().mul(2).sum(),
};
// Internal plumbing (marked @internal): called by ops with values they made themselves.
const INTERNAL_METHODS = new Set(["constructor", "alias", "withLayout", "attachGradFn", "rebase", "syncHistory"]);

describe("wrong-typed arguments throw NablaError", () => {
  it("every exported function has a scan row", () => {
    expect(unscannedFunctions(nabla, FUNCTIONS, NOT_SCANNED)).toEqual([]);
  });

  it("every Tensor method has a scan row", () => {
    const methods = Object.getOwnPropertyNames(Tensor.prototype).filter((name) => {
      const descriptor = Object.getOwnPropertyDescriptor(Tensor.prototype, name)!;
      return typeof descriptor.value === "function" && !INTERNAL_METHODS.has(name);
    });
    expect(methods.filter((name) => !(name in METHODS))).toEqual([]);
  });

  it("exported functions", () => {
    expect(scanArguments(functionCases(nabla, FUNCTIONS))).toEqual([]);
  });

  it("Tensor methods", () => {
    const cases: ScanCase[] = Object.entries(METHODS).map(([name, args]) => ({
      name: `Tensor.${name}`,
      call: (...a: unknown[]) => {
        const receiver = (RECEIVER[name] ?? x)();
        return (receiver as unknown as Record<string, (...b: unknown[]) => unknown>)[name]!(...a);
      },
      args,
    }));
    expect(scanArguments(cases)).toEqual([]);
  });
});

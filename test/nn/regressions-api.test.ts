import { describe, expect, it } from "vitest";
import { Tensor, tensor, zeros } from "@nabla/tensor";
import { Linear, loadSafetensors, optim, readCsv } from "@nabla/nn";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";

// Defects found by fuzzing the public API of @nabla/nn, each pinned by name.

const param = (values: number[], grad: number[]) => {
  const p = tensor(values, { requiresGrad: true });
  p.grad = tensor(grad);
  return p;
};
const snapshot = (params: Tensor[]) => params.map((p) => Array.from(p.data()));
/** An optimizer's per-parameter state as plain values, to compare before and after. */
const stateValues = (optimizer: { stateDict(): { state: Record<number, Record<string, unknown>> } }) =>
  Object.values(optimizer.stateDict().state).map((fields) =>
    Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value instanceof Tensor ? Array.from(value.data()) : value])),
  );

describe("an optimizer step checks every parameter, gradient and state before it changes any", () => {
  it("a [1] gradient on a [3] parameter is refused on assignment, so SGD cannot broadcast it", () => {
    const p = tensor([1, 2, 3], { requiresGrad: true });
    nablaError(() => (p.grad = tensor([10])), "grad");
    new optim.SGD([p], { lr: 1 }).step(); // no gradient: nothing moves
    expect(Array.from(p.data())).toEqual([1, 2, 3]);
  });

  it.each([
    ["SGD", (ps: Tensor[]) => new optim.SGD([{ params: [ps[0]!] }, { params: [ps[1]!] }], { lr: 0.1, momentum: 0.9 })],
    ["Adam", (ps: Tensor[]) => new optim.Adam([{ params: [ps[0]!] }, { params: [ps[1]!] }], { lr: 0.1 })],
    ["AdamW", (ps: Tensor[]) => new optim.AdamW([{ params: [ps[0]!] }, { params: [ps[1]!] }], { lr: 0.1 })],
  ] as const)(
    "%s: a second group made invalid after construction fails the step with the first parameter and every counter unchanged",
    (name, make) => {
      const params = [param([1, 2], [0.5, 0.5]), param([3, 4], [1, 1])];
      const optimizer = make(params);
      optimizer.step();
      const before = snapshot(params);
      const state = stateValues(optimizer);
      (optimizer.paramGroups[1] as { lr: unknown }).lr = null;
      expect(nablaError(() => optimizer.step(), name).message).toBe(`${name}: invalid learning rate null (expected lr ≥ 0)`);
      expect(snapshot(params)).toEqual(before);
      optimizer.paramGroups[1]!.lr = 0.1;
      expect(stateValues(optimizer)).toEqual(state);
    },
  );

  it("SGD state loaded into Adam is refused by name (stepping it threw a TypeError)", () => {
    const sgd = new optim.SGD([param([1, 2], [1, 1])], { lr: 0.1, momentum: 0.9 });
    sgd.step();
    const p = param([1, 2], [1, 1]);
    const adam = new optim.Adam([p], { lr: 0.1 });
    const error = nablaError(() => adam.loadStateDict(sgd.stateDict() as never), "Adam.loadStateDict");
    expect(error.message).toContain(
      "has field(s) momentumBuffer, which Adam does not keep (its state holds step, expAvg, expAvgSq, maxExpAvgSq)",
    );
    adam.step(); // the refused load left Adam as it was: a first step from fresh state
    expect(adam.stateDict().state[0]!.step).toBe(1);
  });

  it("Adam state loaded into SGD with momentum is refused by name", () => {
    const adam = new optim.Adam([param([1, 2], [1, 1])], { lr: 0.1 });
    adam.step();
    const sgd = new optim.SGD([param([1, 2], [1, 1])], { lr: 0.1, momentum: 0.9 });
    expect(nablaError(() => sgd.loadStateDict(adam.stateDict() as never), "SGD.loadStateDict").message).toContain(
      "has field(s) step, expAvg, expAvgSq",
    );
  });

  it("a state whose step count is not a non-negative integer is refused", () => {
    const adam = new optim.Adam([param([1, 2], [1, 1])], { lr: 0.1 });
    adam.step();
    const saved = adam.stateDict();
    saved.state[0]!.step = -1;
    nablaError(() => adam.loadStateDict(saved), "Adam.loadStateDict");
  });
});

describe("optimizer and scheduler options of the wrong type are refused", () => {
  const p = () => [tensor([1, 2], { requiresGrad: true })];
  it.each([
    [
      "SGD lr null (it did nothing)",
      () => new optim.SGD(p(), { lr: null as never }),
      "SGD",
      "SGD: invalid learning rate null (expected lr ≥ 0)",
    ],
    ["SGD without lr", () => new optim.SGD(p(), {} as never), "SGD", "SGD: invalid learning rate undefined (expected lr ≥ 0)"],
    [
      "SGD momentum as a string",
      () => new optim.SGD(p(), { lr: 0.1, momentum: "0.9" as never }),
      "SGD",
      'SGD: invalid momentum "0.9" (expected momentum ≥ 0)',
    ],
    [
      "SGD nesterov as a number",
      () => new optim.SGD(p(), { lr: 0.1, momentum: 0.9, nesterov: 1 as never }),
      "SGD",
      "SGD: invalid nesterov 1 (expected true or false)",
    ],
    ["SGD options null", () => new optim.SGD(p(), null as never), "SGD", "SGD: options must be an object, got null"],
    ["Adam lr null", () => new optim.Adam(p(), { lr: null as never }), "Adam", "Adam: invalid learning rate null (expected lr ≥ 0)"],
    [
      "Adam a null beta",
      () => new optim.Adam(p(), { betas: [null, 0.999] as never }),
      "Adam",
      "Adam: invalid beta null at index 0 (expected 0 ≤ beta < 1)",
    ],
    ["Adam eps null", () => new optim.Adam(p(), { eps: null as never }), "Adam", "Adam: invalid eps null (expected eps ≥ 0)"],
    [
      "AdamW amsgrad as a string",
      () => new optim.AdamW(p(), { amsgrad: "yes" as never }),
      "AdamW",
      'AdamW: invalid amsgrad "yes" (expected true or false)',
    ],
    [
      "a group's lr null",
      () => new optim.SGD([{ params: p(), lr: null as never }], { lr: 0.1 }),
      "SGD",
      "SGD: invalid learning rate null (expected lr ≥ 0)",
    ],
    [
      "params null",
      () => new optim.Adam(null as never),
      "Adam",
      "Adam: params must be an iterable of Tensors or parameter groups, got null",
    ],
    [
      "StepLR gamma null",
      () => new optim.StepLR(new optim.SGD(p(), { lr: 0.1 }), { stepSize: 1, gamma: null as never }),
      "StepLR",
      "StepLR: gamma must be a finite number, got null",
    ],
    [
      "StepLR options null",
      () => new optim.StepLR(new optim.SGD(p(), { lr: 0.1 }), null as never),
      "StepLR",
      "StepLR: options must be an object, got null",
    ],
    [
      "CosineAnnealingLR etaMin a string",
      () => new optim.CosineAnnealingLR(new optim.SGD(p(), { lr: 0.1 }), { tMax: 2, etaMin: "0" as never }),
      "CosineAnnealingLR",
      'CosineAnnealingLR: etaMin must be a finite number, got "0"',
    ],
  ] as const)("%s", (_name, make, op, message) => {
    expect(nablaError(make, op).message).toBe(message);
  });

  it("a scheduler state with a bad stepSize or tMax is refused before anything is restored", () => {
    const scheduler = new optim.StepLR(new optim.SGD(p(), { lr: 0.1 }), { stepSize: 2 });
    const saved = { ...scheduler.stateDict(), lastEpoch: 5, stepSize: null as never };
    expect(nablaError(() => scheduler.loadStateDict(saved), "StepLR.loadStateDict").message).toBe(
      "StepLR.loadStateDict: stepSize must be a positive integer, got null",
    );
    expect(scheduler.lastEpoch).toBe(0);
    const cosine = new optim.CosineAnnealingLR(new optim.SGD(p(), { lr: 0.1 }), { tMax: 2 });
    nablaError(() => cosine.loadStateDict({ ...cosine.stateDict(), tMax: 0 }), "CosineAnnealingLR.loadStateDict");
  });
});

describe("Linear with no input features returns the bias, as PyTorch", () => {
  interface Case {
    inputShape: number[];
    output: number[];
    cotangent: number[];
    biasGrad: number[];
  }
  const { bias, cases } = loadFixture<{ linearZeroFeatures: { bias: number[]; cases: Case[] } }>("regressions_api.json").linearZeroFeatures;
  it.each(cases)("input $inputShape", ({ inputShape, output, cotangent, biasGrad }) => {
    const layer = new Linear(0, 3, { dtype: "float64" });
    layer.bias!.grad = null;
    layer.bias!.detach().copy_(tensor(bias, { dtype: "float64" }));
    const out = layer.forward(zeros(inputShape, { dtype: "float64" }));
    expect(out.toArray()).toEqual(output);
    out.backward(tensor(cotangent, { dtype: "float64" }));
    expect(layer.bias!.grad!.toArray()).toEqual(biasGrad);
    expect(layer.weight.grad!.shape).toEqual([3, 0]);
  });
});

describe("readCsv refuses a feature float32 cannot hold", () => {
  it("1e39 is refused with line and column (it became Infinity)", () => {
    expect(nablaError(() => readCsv("a,b\n1e39,0"), "readCsv").message).toBe(
      'readCsv: line 2, column "a": "1e39" is too large for float32 (at most ±3.4028235e38)',
    );
    expect(nablaError(() => readCsv("a,b\n1,0\n-4e38,1"), "readCsv").message).toContain('line 3, column "a"');
    expect(readCsv("a,b\n3.4e38,0").features.data()[0]).toBe(Math.fround(3.4e38));
  });
});

describe("safetensors headers too deep or of too many dims are refused before they are walked", () => {
  const file = (header: string) => {
    const json = new TextEncoder().encode(header);
    const bytes = new Uint8Array(8 + json.length);
    new DataView(bytes.buffer).setUint32(0, json.length, true);
    bytes.set(json, 8);
    return bytes;
  };

  it("a shape nested 50,000 deep (it overflowed the stack in the error path)", () => {
    const header = `{"w":{"dtype":"F32","shape":${"[".repeat(50_000)}${"]".repeat(50_000)},"data_offsets":[0,0]}}`;
    expect(nablaError(() => loadSafetensors(file(header)), "loadSafetensors").message).toBe(
      "loadSafetensors: the header nests more than 128 levels deep (the format's limit)",
    );
  });

  it("129 levels are refused, 128 read on (brackets inside strings do not count)", () => {
    const nested = (depth: number) => `{"__metadata__":{"k":"${"[".repeat(500)}"},"x":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
    nablaError(() => loadSafetensors(file(nested(129))), "loadSafetensors");
    expect(nablaError(() => loadSafetensors(file(nested(128))), "loadSafetensors").message).not.toContain("levels deep");
  });

  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])(
    "dtype %j is refused as unknown (it passed the check, as a key of every object)",
    (dtype) => {
      const bytes = new Uint8Array([...file(`{"w":{"dtype":${JSON.stringify(dtype)},"shape":[1],"data_offsets":[0,4]}}`), 0, 0, 128, 63]);
      expect(nablaError(() => loadSafetensors(bytes), "loadSafetensors").message).toBe(
        `loadSafetensors: tensor "w" has unknown dtype ${JSON.stringify(dtype)}`,
      );
    },
  );

  it("a tensor of a million dims (it loaded, then overflowed in toArray/toString)", () => {
    const header = `{"w":{"dtype":"F32","shape":[${new Array(1e6).fill(1).join(",")}],"data_offsets":[0,4]}}`;
    const bytes = new Uint8Array([...file(header), 0, 0, 128, 63]);
    expect(nablaError(() => loadSafetensors(bytes), "loadSafetensors").message).toBe(
      'loadSafetensors: tensor "w" has 1000000 dims; nabla tensors have at most 64',
    );
  });
});

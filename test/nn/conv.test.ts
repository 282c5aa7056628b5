import { describe, expect, it } from "vitest";
import { manualSeed, randn, type Tensor } from "@nabla/tensor";
import * as nn from "@nabla/nn";
import { CONV_LAYERS } from "../support/conv-layers";
import { nablaError } from "../support/errors";
import { loadFixture, loadFixtureBytes } from "../support/fixtures";
import { expectClose, fromFlat } from "../support/reference";

// The conv and pool layers against PyTorch (test/fixtures/gen_conv.py): a PyTorch state dict saved
// as safetensors loads into each layer, which then gives PyTorch's float32 output; reprs match
// PyTorch's character for character.

interface ModuleCase {
  name: string;
  kind: keyof typeof CONV_LAYERS;
  args: unknown[];
  options: Record<string, unknown>;
  stateKeys: string[];
  input: { shape: number[]; values: number[] };
  outputShape: number[];
  output: number[];
  repr: string;
}

interface ReprCase {
  kind: keyof typeof CONV_LAYERS;
  args: unknown[];
  options: Record<string, unknown>;
  repr: string;
}

const fixture = loadFixture<{ file: string; cases: ModuleCase[]; reprs: ReprCase[] }>("conv_modules.json");
const bytes = loadFixtureBytes(`safetensors/${fixture.file}`);
const state = nn.loadSafetensors(bytes).tensors;

function build(kind: keyof typeof CONV_LAYERS, args: unknown[], options: Record<string, unknown>): nn.Module {
  const Layer = CONV_LAYERS[kind] as unknown as new (...a: unknown[]) => nn.Module;
  return Object.keys(options).length > 0 ? new Layer(...args, options) : new Layer(...args);
}

describe("conv and pool layers load PyTorch's state dicts and give its outputs", () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const layer = build(c.kind, c.args, c.options);
    expect(Object.keys(layer.stateDict())).toEqual(c.stateKeys);
    const prefix = `${c.name}.`;
    const own = Object.fromEntries(
      Object.entries(state)
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, t]): [string, Tensor] => [key.slice(prefix.length), t]),
    );
    expect(layer.loadStateDict(own)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const y = layer.forward(fromFlat(c.input.values, c.input.shape, "float32"));
    expect(y.shape).toEqual(c.outputShape);
    expectClose(y.data(), c.output, { rtol: 1e-5, atol: 1e-5 }, c.name);
    expect(layer.toString()).toBe(c.repr);
  });
});

describe("reprs match PyTorch's", () => {
  it.each(fixture.reprs.map((c) => [c.repr, c] as const))("%s", (_repr, c) => {
    expect(build(c.kind, c.args, c.options).toString()).toBe(c.repr);
  });
});

describe("PyTorch's default initialisation", () => {
  it.each([
    ["Conv2d", () => new nn.Conv2d(6, 8, [3, 5], { groups: 2 }), 3 * 15, [8, 3, 3, 5]],
    ["Conv1d", () => new nn.Conv1d(4, 40, 7), 4 * 7, [40, 4, 7]],
    ["ConvTranspose2d", () => new nn.ConvTranspose2d(6, 8, 3, { groups: 2 }), 4 * 9, [6, 4, 3, 3]],
  ] as const)("%s: weight and bias uniform in ±1/√fanIn", (_name, make, fanIn, shape) => {
    manualSeed(3);
    const layer = make() as nn.Conv2d;
    const bound = 1 / Math.sqrt(fanIn);
    expect(layer.weight.shape).toEqual(shape);
    for (const p of [layer.weight, layer.bias!]) {
      expect(p.requiresGrad).toBe(true);
      expect(p.abs().max().item()).toBeLessThanOrEqual(bound);
    }
    // a kaiming_uniform_ with a = √5 spreads over the whole range: max |w| is close to the bound
    expect(layer.weight.abs().max().item()).toBeGreaterThan(0.9 * bound);
    expect(layer.weight.std().item()).toBeCloseTo(bound / Math.sqrt(3), 1);
  });

  it("bias: false registers no bias", () => {
    const layer = new nn.Conv2d(2, 3, 3, { bias: false });
    expect(layer.bias).toBeNull();
    expect(Object.keys(layer.stateDict())).toEqual(["weight"]);
  });
});

describe("conv layers check their arguments", () => {
  it.each([
    [
      "channels not divisible by groups",
      () => new nn.Conv2d(4, 6, 3, { groups: 4 }),
      "Conv2d: inChannels 4 and outChannels 6 must both be divisible by groups 4",
    ],
    [
      '"same" with a stride',
      () => new nn.Conv1d(2, 2, 3, { padding: "same", stride: 2 }),
      'Conv1d: padding "same" needs stride 1, got stride (2,)',
    ],
    [
      "an unknown padding mode",
      () => new nn.Conv2d(2, 2, 3, { paddingMode: "wrap" as never }),
      'Conv2d: paddingMode must be one of "zeros", "reflect", "replicate", "circular", got "wrap"',
    ],
    ["a kernel of size 0", () => new nn.Conv2d(2, 2, [3, 0]), "Conv2d: kernelSize must be a positive integer or 2 of them, got [3, 0]"],
    [
      "input channels that differ",
      () => new nn.Conv2d(3, 2, 3).forward(randn([1, 2, 5, 5])),
      "conv2d: weight [2, 3, 3, 3] with 1 group(s) expects 3 input channels, got input [1, 2, 5, 5] with 2",
    ],
  ])("%s", (_name, call, message) => {
    expect(nablaError(call).message).toBe(message);
  });
});

describe("a small CNN trains end to end", () => {
  it("conv, pool, flatten, linear: the loss falls", () => {
    manualSeed(0);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Conv2d(4, 4, 3, { padding: "same", paddingMode: "reflect" }),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
      new nn.Linear(4, 1),
    );
    const x = randn([8, 1, 6, 6]);
    const y = x.mean([1, 2, 3]).unsqueeze(1).mul(6);
    const optimizer = new nn.optim.Adam(model.parameters(), { lr: 0.05 });
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      optimizer.zeroGrad();
      const loss = model.forward(x).sub(y).square().mean();
      loss.backward();
      optimizer.step();
      losses.push(loss.item() as number);
    }
    expect(losses[29]!).toBeLessThan(losses[0]! / 2);
  });
});

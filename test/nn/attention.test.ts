import { describe, expect, it } from "vitest";
import { type NestedArray, type Tensor, manualSeed, ones, randn, tensor, zeros } from "@nabla/tensor";
import {
  LayerNorm,
  Linear,
  type Module,
  MultiheadAttention,
  type MultiheadAttentionOptions,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
  loadSafetensors,
} from "@nabla/nn";
import { nablaError } from "../support/errors";
import { loadFixture, loadFixtureBytes } from "../support/fixtures";
import { expectClose } from "../support/reference";

// nn.MultiheadAttention, nn.TransformerEncoderLayer and nn.TransformerEncoder against PyTorch
// (test/fixtures/gen_attention.py, float64, eval mode): state dicts saved by PyTorch as safetensors
// load with loadStateDict and give PyTorch's outputs, attention weights, and input and parameter
// gradients for random cotangents.

interface ModuleCase {
  label: string;
  file: string;
  stateDictKeys: string[];
  inputs: NestedArray[];
  output: NestedArray;
  weights: NestedArray | null;
  cotangent: NestedArray;
  weightsCotangent: NestedArray | null;
  inputGrads: NestedArray[];
  paramGrads: Record<string, NestedArray>;
}

interface MhaCase extends ModuleCase {
  embedDim: number;
  numHeads: number;
  options: MultiheadAttentionOptions;
  selfAttention?: boolean;
  keyPaddingMask?: NestedArray;
  attnMask?: NestedArray;
  averageAttnWeights?: boolean;
  needWeights?: boolean;
  isCausal?: boolean;
}

interface LayerCase extends ModuleCase {
  options: TransformerEncoderLayerOptions;
  isCausal: boolean;
  srcMask: NestedArray | null;
  srcKeyPaddingMask: NestedArray | null;
}

const fixture = loadFixture<{
  multiheadAttention: MhaCase[];
  encoderLayer: LayerCase[];
  encoder: ModuleCase & { srcKeyPaddingMask: NestedArray };
  reprs: Record<string, string>;
}>("nn_attention.json");

// float64 throughout; sums over a few dozen products in different orders
const TOLERANCE = { rtol: 1e-9, atol: 1e-11 };
const f64 = (values: NestedArray, requiresGrad = false) => tensor(values, { dtype: "float64", requiresGrad });
const flat = (values: NestedArray) => [...f64(values).data()];
const close = (actual: Tensor | null, expected: NestedArray, label: string) => {
  expect(actual, label).not.toBe(null);
  expectClose(actual!.data(), flat(expected), TOLERANCE, label);
};
/** A fixture mask: bool when it holds booleans, else float64. */
const mask = (values: NestedArray | null | undefined) => {
  if (values === null || values === undefined) return null;
  return typeof (values as unknown[]).flat(3)[0] === "boolean" ? tensor(values, { dtype: "bool" }) : f64(values);
};

function loadInto(module: Module<unknown>, c: ModuleCase): void {
  const bytes = loadFixtureBytes(`safetensors/${c.file}`);
  expect(Object.keys(module.stateDict())).toEqual(c.stateDictKeys);
  expect(module.loadStateDict(loadSafetensors(bytes).tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
  module.eval();
}

/** Backpropagates the case's cotangents and compares every input and parameter gradient. */
function checkGradients(module: Module<unknown>, c: ModuleCase, inputs: Tensor[], output: Tensor, weights: Tensor | null): void {
  let loss = output.mul(f64(c.cotangent)).sum();
  if (weights !== null) loss = loss.add(weights.mul(f64(c.weightsCotangent!)).sum());
  loss.backward();
  for (const [i, input] of inputs.entries()) close(input.grad, c.inputGrads[i]!, `input ${i} grad`);
  for (const [name, parameter] of module.namedParameters()) close(parameter.grad, c.paramGrads[name]!, `${name} grad`);
  expect(module.namedParameters().map(([name]) => name)).toEqual(Object.keys(c.paramGrads));
}

describe("MultiheadAttention against PyTorch (float64)", () => {
  it.each(fixture.multiheadAttention.map((c) => [c.label, c] as const))("%s", (_label, c) => {
    const module = new MultiheadAttention(c.embedDim, c.numHeads, { ...c.options, dtype: "float64" });
    loadInto(module, c);
    const inputs = c.inputs.map((values) => f64(values, true));
    const [query, key, value] = c.selfAttention
      ? [inputs[0]!, inputs[0]!, inputs[0]!]
      : inputs.length === 2
        ? [inputs[0]!, inputs[1]!, inputs[1]!]
        : inputs;
    const [output, weights] = module.forward(query!, key!, value!, {
      keyPaddingMask: mask(c.keyPaddingMask),
      attnMask: mask(c.attnMask),
      averageAttnWeights: c.averageAttnWeights ?? true,
      needWeights: c.needWeights ?? true,
      isCausal: c.isCausal ?? false,
    });
    close(output, c.output, "output");
    if (c.weights === null) expect(weights).toBe(null);
    else close(weights, c.weights, "weights");
    checkGradients(module, c, inputs, output, weights);
  });

  it("has PyTorch's parameters and initialisation: Xavier uniform projections, zero biases", () => {
    manualSeed(0);
    const module = new MultiheadAttention(16, 4);
    expect(module.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ["in_proj_weight", [48, 16]],
      ["in_proj_bias", [48]],
      ["out_proj.weight", [16, 16]],
      ["out_proj.bias", [16]],
    ]);
    const bound = Math.sqrt(6 / (48 + 16));
    expect(module.in_proj_weight!.abs().max().item()).toBeLessThanOrEqual(bound);
    expect(module.in_proj_weight!.abs().max().item()).toBeGreaterThan(0.9 * bound);
    expect(module.in_proj_bias!.abs().max().item()).toBe(0);
    expect(module.out_proj.bias!.abs().max().item()).toBe(0);
    // out_proj keeps Linear's init, U(−1/√16, 1/√16)
    expect(module.out_proj.weight.abs().max().item()).toBeLessThanOrEqual(0.25);
    const separate = new MultiheadAttention(6, 2, { kdim: 3, vdim: 5, bias: false });
    expect(separate.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ["q_proj_weight", [6, 6]],
      ["k_proj_weight", [6, 3]],
      ["v_proj_weight", [6, 5]],
      ["out_proj.weight", [6, 6]],
    ]);
    expect(separate.k_proj_weight!.abs().max().item()).toBeLessThanOrEqual(Math.sqrt(6 / (6 + 3)));
  });

  it("gives the same output with and without weights, and drops attention weights only in training", () => {
    manualSeed(1);
    const module = new MultiheadAttention(8, 2, { dropout: 0.5, batchFirst: true });
    const x = randn([2, 5, 8]);
    module.eval();
    const [withWeights] = module.forward(x, x, x, { isCausal: true });
    const [without] = module.forward(x, x, x, { isCausal: true, needWeights: false });
    expectClose(without.data(), [...withWeights.data()], { rtol: 1e-5, atol: 1e-6 }, "needWeights");
    module.train();
    const [, dropped] = module.forward(x, x, x);
    // the weights returned are the ones applied: some zeroed, the rest scaled by 2
    expect([...dropped!.data()].some((w) => w === 0)).toBe(true);
  });

  it("refuses bad sizes and masks with exact messages", () => {
    const op = "MultiheadAttention";
    const message = (fn: () => unknown) => nablaError(fn, op).message;
    expect(message(() => new MultiheadAttention(10, 3))).toBe("MultiheadAttention: embedDim 10 must be divisible by numHeads 3");
    expect(message(() => new MultiheadAttention(4, 2, { dropout: 2 }))).toBe(
      "MultiheadAttention: dropout must be a probability in [0, 1], got 2",
    );
    const module = new MultiheadAttention(4, 2);
    const x = zeros([3, 2, 4]);
    expect(message(() => module.forward(zeros([3, 2, 5]), x, x))).toBe(
      "MultiheadAttention: expected query [L, N, 4] (embedDim 4), got [3, 2, 5]",
    );
    expect(message(() => module.forward(x, zeros([3, 2, 3]), x))).toBe(
      "MultiheadAttention: expected key [S, N, 4] (kdim 4), got [3, 2, 3]",
    );
    expect(message(() => module.forward(x, x, zeros([4, 2, 4])))).toBe(
      "MultiheadAttention: key [3, 2, 4] and value [4, 2, 4] must agree on their leading dims (S and N)",
    );
    expect(message(() => module.forward(x, zeros([3, 4]), zeros([3, 4])))).toBe(
      "MultiheadAttention: query, key and value must all be batched (3-D) or all unbatched (2-D), got query [3, 2, 4], key [3, 4] and value [3, 4]",
    );
    expect(message(() => module.forward(x, zeros([5, 3, 4]), zeros([5, 3, 4])))).toBe(
      "MultiheadAttention: query [3, 2, 4] and key [5, 3, 4] have different batch sizes",
    );
    expect(message(() => module.forward(x, x, x, { attnMask: zeros([3, 4], { dtype: "bool" }) }))).toBe(
      "MultiheadAttention: attnMask must be [L, S] = [3, 3] or [N·numHeads, L, S] = [4, 3, 3], got [3, 4]",
    );
    expect(message(() => module.forward(x, x, x, { keyPaddingMask: zeros([3, 2], { dtype: "bool" }) }))).toBe(
      "MultiheadAttention: keyPaddingMask must be [N, S] = [2, 3], got [3, 2]",
    );
    expect(message(() => module.forward(x, x, x, { keyPaddingMask: zeros([2, 3], { dtype: "int32" }) }))).toBe(
      "MultiheadAttention: keyPaddingMask must be bool or float32 (the module's dtype), got int32",
    );
    expect(message(() => module.forward(x.to("float64"), x, x))).toBe(
      'MultiheadAttention: query dtype float64 differs from the module\'s float32 (convert with .to("float32"))',
    );
  });
});

describe("TransformerEncoderLayer against PyTorch (float64, eval mode)", () => {
  it.each(fixture.encoderLayer.map((c) => [c.label, c] as const))("%s", (_label, c) => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, ...c.options, dtype: "float64" });
    loadInto(layer, c);
    const src = f64(c.inputs[0]!, true);
    const output = layer.forward(src, {
      srcMask: c.isCausal ? null : mask(c.srcMask),
      srcKeyPaddingMask: mask(c.srcKeyPaddingMask),
      isCausal: c.isCausal,
    });
    close(output, c.output, "output");
    checkGradients(layer, c, [src], output, null);
  });

  it("refuses an unknown activation", () => {
    expect(nablaError(() => new TransformerEncoderLayer(4, 2, { activation: "tanh" as "relu" }), "TransformerEncoderLayer").message).toBe(
      'TransformerEncoderLayer: activation must be "relu" or "gelu", got "tanh"',
    );
  });
});

describe("TransformerEncoder against PyTorch (float64, eval mode)", () => {
  it("two layers and a final LayerNorm, with a key padding mask", () => {
    const c = fixture.encoder;
    const encoder = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dtype: "float64" }), 2, {
      norm: new LayerNorm(8, { dtype: "float64" }),
    });
    loadInto(encoder, c);
    const src = f64(c.inputs[0]!, true);
    const output = encoder.forward(src, { srcKeyPaddingMask: mask(c.srcKeyPaddingMask) });
    close(output, c.output, "output");
    checkGradients(encoder, c, [src], output, null);
  });

  it("holds independent copies of the layer, as PyTorch's _get_clones", () => {
    manualSeed(2);
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8 }).eval();
    const encoder = new TransformerEncoder(layer, 2);
    const [first, second] = [...encoder.layers];
    expect(first!.training).toBe(false);
    expect(first!.linear1.weight).not.toBe(second!.linear1.weight);
    expect(first!.linear1.weight.sub(layer.linear1.weight).abs().max().item()).toBe(0);
    expect(first!.self_attn.in_proj_weight!.sub(layer.self_attn.in_proj_weight!).abs().max().item()).toBe(0);
    first!.linear1.weight.requiresGrad = false;
    first!.linear1.weight.add_(1);
    expect(second!.linear1.weight.sub(layer.linear1.weight).abs().max().item()).toBe(0);
    expect(encoder.parameters().length).toBe(2 * layer.parameters().length);
  });
});

describe("reprs", () => {
  it("print as PyTorch's", () => {
    expect(new MultiheadAttention(8, 2).toString()).toBe(fixture.reprs.mha);
    expect(new MultiheadAttention(8, 2, { kdim: 3, vdim: 5, bias: false }).toString()).toBe(fixture.reprs.mhaKdim);
    expect(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0.2 }).toString()).toBe(fixture.reprs.layer);
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    expect(new TransformerEncoder(layer, 2, { norm: new LayerNorm(8) }).toString()).toBe(fixture.reprs.encoder);
    expect(new TransformerEncoder(new TransformerEncoderLayer(4, 1, { dimFeedforward: 8 }), 1).toString()).toBe(
      fixture.reprs.encoderNoNorm,
    );
    expect(new Linear(2, 2).toString()).toBe("Linear(in_features=2, out_features=2, bias=True)");
  });
});

it("unbatched inputs give the batched results without N", () => {
  manualSeed(4);
  const module = new MultiheadAttention(4, 2).eval();
  const x = randn([3, 4]);
  const [batched, batchedWeights] = module.forward(x.unsqueeze(1), x.unsqueeze(1), x.unsqueeze(1), {
    keyPaddingMask: tensor([[false, true, false]]),
  });
  const [unbatched, weights] = module.forward(x, x, x, { keyPaddingMask: tensor([false, true, false]) });
  expectClose(unbatched.data(), [...batched.squeeze(1).data()], { rtol: 1e-6, atol: 1e-7 }, "output");
  expectClose(weights!.data(), [...batchedWeights!.squeeze(0).data()], { rtol: 1e-6, atol: 1e-7 }, "weights");
  expect(weights!.select(1, 1).toArray()).toEqual(zeros([3]).toArray());
  expect(ones([1]).shape).toEqual([1]);
});

import { describe, expect, it } from "vitest";
import { loadFile } from "@nabla/nn/node";
import { manualSeed, type Tensor, tensor } from "@nabla/tensor";
import { MODEL_TYPES, type ModelType, createModel, languageModelLoss, parameterCount } from "../../examples/src/makemore/models";
import type { Transformer } from "../../examples/src/makemore/models/transformer";
import { fixturePath, loadFixture } from "../support/fixtures";

type Nested = number | Nested[];
interface Reference {
  params: Record<ModelType, number>;
  tiny: {
    config: { vocab_size: number; block_size: number; n_layer: number; n_head: number; n_embd: number; n_embd2: number };
    X: number[][];
    Y: number[][];
    models: Record<ModelType, { logits: Nested; loss: number; grads: Record<string, Nested> }>;
  };
}
const reference = loadFixture<Reference>("makemore_reference.json");
/** Per layer, the transformer's attention weights [B, nHead, T, T] for reference.tiny.X (gen_makemore_attention.py). */
const referenceAttention = loadFixture<{ attention: Nested[] }>("makemore_attention.json").attention;
const fixtureFile = (type: ModelType) => fixturePath(`makemore/${type}.safetensors`);

function maxDifference(actual: Nested, expected: Nested): number {
  if (typeof actual === "number" || typeof expected === "number") return Math.abs((actual as number) - (expected as number));
  expect(actual.length).toBe(expected.length);
  return Math.max(0, ...actual.map((item, i) => maxDifference(item, expected[i]!)));
}

describe("makemore models", () => {
  it("have makemore's parameter counts at the defaults on names.txt (the transformer 204,544)", () => {
    const config = { vocabSize: 27, blockSize: 16, nLayer: 4, nHead: 4, nEmbd: 64, nEmbd2: 64 };
    const counts = Object.fromEntries(MODEL_TYPES.map((type) => [type, parameterCount(createModel(type, config))]));
    expect(counts).toEqual(reference.params);
    expect(counts.transformer).toBe(204_544);
  });

  const { config, X, Y } = reference.tiny;
  const tinyConfig = {
    vocabSize: config.vocab_size,
    blockSize: config.block_size,
    nLayer: config.n_layer,
    nHead: config.n_head,
    nEmbd: config.n_embd,
    nEmbd2: config.n_embd2,
  };
  it.each(MODEL_TYPES)("%s loads PyTorch's state dict and gives its logits, loss and gradients", (type) => {
    manualSeed(0);
    const model = createModel(type, tinyConfig);
    const { tensors } = loadFile(fixtureFile(type));
    expect(model.loadStateDict(tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const expected = reference.tiny.models[type];
    const logits = model.forward(tensor(X, { dtype: "int32" }));
    expect(maxDifference(logits.toArray() as Nested, expected.logits)).toBeLessThan(1e-5);
    const loss = languageModelLoss(logits, tensor(Y, { dtype: "int32" }));
    expect(loss.item()).toBeCloseTo(expected.loss, 5);
    loss.backward();
    const grads = model.namedParameters();
    expect(grads.map(([name]) => name)).toEqual(Object.keys(expected.grads));
    for (const [name, p] of grads) {
      expect(maxDifference(p.grad!.toArray() as Nested, expected.grads[name]!), name).toBeLessThan(1e-5);
    }
  });

  it("the transformer hands out each layer's attention weights, as PyTorch computes them, and the same logits", () => {
    const model = createModel("transformer", tinyConfig) as Transformer;
    model.loadStateDict(loadFile(fixtureFile("transformer")).tensors);
    const idx = tensor(X, { dtype: "int32" });
    const attention: Tensor[] = [];
    const logits = model.forward(idx, attention);
    expect(attention.map((weights) => weights.shape)).toEqual([
      [3, 2, 5, 5],
      [3, 2, 5, 5],
    ]);
    attention.forEach((weights, layer) => {
      expect(maxDifference(weights.toArray() as Nested, referenceAttention[layer]!), `layer ${layer}`).toBeLessThan(1e-5);
    });
    expect(logits.toArray()).toEqual(model.forward(idx).toArray());
  });

  it("refuses a sequence longer than the block size, and a head count that does not divide nEmbd", () => {
    const model = createModel("transformer", tinyConfig);
    expect(() => model.forward(tensor([[0, 1, 2, 3, 4, 5]], { dtype: "int32" }))).toThrow(
      "Transformer: cannot read 6 tokens: the block size is 5",
    );
    expect(() => createModel("transformer", { ...tinyConfig, nHead: 3 })).toThrow("nEmbd 8 must be a multiple of nHead 3");
  });
});

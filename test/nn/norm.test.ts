import { describe, expect, it } from "vitest";
import { type NestedArray, type Tensor, manualSeed, ones, randn, tensor, zeros } from "@nabla/tensor";
import {
  BatchNorm1d,
  BatchNorm2d,
  Embedding,
  GroupNorm,
  Identity,
  LayerNorm,
  LogSoftmax,
  Module,
  Softmax,
  Unflatten,
  loadSafetensors,
} from "@nabla/nn";
import { nablaError } from "../support/errors";
import { loadFixture, loadFixtureBytes } from "../support/fixtures";
import { expectClose } from "../support/reference";

// The normalisation and embedding modules against PyTorch (test/fixtures/gen_norm.py): a trained
// model's state_dict, BatchNorm buffers included, loads from safetensors and gives PyTorch's outputs
// and buffer updates in train and eval mode; momentum null averages the batches; reprs.

interface NormFixture {
  normNet: {
    stateDictKeys: string[];
    input: number[][];
    trainOutput: NestedArray;
    buffersAfterTrain: Record<string, NestedArray>;
    evalOutput: NestedArray;
  };
  momentumNone: { batches: number[][][]; runningMean: number[][]; runningVar: number[][]; numBatchesTracked: number };
  reprs: Record<string, string>;
  bn1StateDictKeys: string[];
}

const fixture = loadFixture<NormFixture>("nn_norm.json");
const flat = (values: NestedArray): number[] => (Array.isArray(values) ? values.flatMap(flat) : [values as number]);
const FLOAT32 = { rtol: 1e-4, atol: 1e-5 };

/** The same model as `NormNet` in test/fixtures/gen_norm.py. */
class NormNet extends Module {
  emb = new Embedding(10, 6, { paddingIdx: 0 });
  bn1 = new BatchNorm1d(6);
  ln = new LayerNorm(6);
  gn = new GroupNorm(2, 6);
  bn2 = new BatchNorm2d(6, { momentum: null });
  bn3 = new BatchNorm1d(6, { affine: false, momentum: 0.3 });
  bn4 = new BatchNorm1d(6, { trackRunningStats: false });

  forward(idx: Tensor): Tensor {
    let h = this.emb.forward(idx); // [N, L, 6]
    h = this.bn1.forward(h.transpose(1, 2)); // [N, 6, L]
    h = this.ln.forward(h.transpose(1, 2)); // [N, L, 6]
    h = this.gn.forward(h.transpose(1, 2)); // [N, 6, L]
    h = this.bn2.forward(h.unsqueeze(3)).squeeze(3);
    h = this.bn3.forward(h);
    return this.bn4.forward(h);
  }
}

describe("a PyTorch state_dict with BatchNorm buffers", () => {
  const bytes = loadFixtureBytes("safetensors/norm_net.safetensors");

  it("has PyTorch's keys in PyTorch's order", () => {
    expect(Object.keys(new NormNet().stateDict())).toEqual(fixture.normNet.stateDictKeys);
    expect(Object.keys(new BatchNorm1d(2).stateDict())).toEqual(fixture.bn1StateDictKeys);
  });

  it("loads from safetensors (num_batches_tracked I64 as int32) and gives PyTorch's outputs in train and eval mode", () => {
    const { tensors } = loadSafetensors(bytes);
    expect(tensors["bn1.num_batches_tracked"]!.dtype).toBe("int32");
    const model = new NormNet();
    expect(model.loadStateDict(tensors)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(model.bn1.num_batches_tracked!.item()).toBe(3);
    const input = tensor(fixture.normNet.input, { dtype: "int32" });

    expectClose(model.train().forward(input).data(), flat(fixture.normNet.trainOutput), FLOAT32, "train output");
    const state = model.stateDict();
    for (const [name, expected] of Object.entries(fixture.normNet.buffersAfterTrain)) {
      expectClose(state[name]!.data(), flat(expected), FLOAT32, name);
    }
    expectClose(model.eval().forward(input).data(), flat(fixture.normNet.evalOutput), FLOAT32, "eval output");
    // eval mode leaves the buffers alone
    expect(model.bn1.num_batches_tracked!.item()).toBe(4);
  });
});

describe("BatchNorm1d", () => {
  it("with momentum null keeps the cumulative average of the batches' statistics", () => {
    const layer = new BatchNorm1d(3, { momentum: null, dtype: "float64" });
    fixture.momentumNone.batches.forEach((batch, i) => {
      layer.forward(tensor(batch, { dtype: "float64" }));
      expectClose(layer.running_mean!.data(), fixture.momentumNone.runningMean[i]!, { rtol: 1e-12, atol: 1e-12 }, `mean ${i}`);
      expectClose(layer.running_var!.data(), fixture.momentumNone.runningVar[i]!, { rtol: 1e-12, atol: 1e-12 }, `var ${i}`);
    });
    expect(layer.num_batches_tracked!.item()).toBe(fixture.momentumNone.numBatchesTracked);
  });

  it("switches between batch statistics (train) and running statistics (eval)", () => {
    const layer = new BatchNorm1d(2);
    const x = tensor([
      [1, 10],
      [3, 30],
    ]);
    const trained = layer.forward(x).toArray();
    expect(layer.num_batches_tracked!.item()).toBe(1);
    const evaluated = layer.eval().forward(x);
    expect(evaluated.toArray()).not.toEqual(trained);
    // eval: (x − running_mean) / √(running_var + eps)
    expectClose(
      evaluated.data(),
      [
        (1 - 0.2) / Math.sqrt(1.1 + 1e-5),
        (10 - 2) / Math.sqrt(20.9 + 1e-5),
        (3 - 0.2) / Math.sqrt(1.1 + 1e-5),
        (30 - 2) / Math.sqrt(20.9 + 1e-5),
      ],
      FLOAT32,
    );
    expect(layer.num_batches_tracked!.item()).toBe(1);
  });

  it("without running statistics uses the batch's in eval mode too, and has no buffers", () => {
    const layer = new BatchNorm1d(2, { trackRunningStats: false, affine: false });
    expect(layer.buffers()).toEqual([]);
    expect(layer.parameters()).toEqual([]);
    const x = randn([5, 2]);
    expect(layer.eval().forward(x).toArray()).toEqual(layer.train().forward(x).toArray());
  });

  it("refuses inputs of the wrong rank, channel count or dtype, leaving its buffers unchanged", () => {
    const layer = new BatchNorm1d(3);
    expect(nablaError(() => layer.forward(zeros([4, 2]))).message).toBe(
      "BatchNorm1d: expected input of shape (N, 3) or (N, 3, L), got [4, 2]",
    );
    expect(nablaError(() => new BatchNorm2d(3).forward(zeros([4, 3, 2]))).message).toBe(
      "BatchNorm2d: expected input of shape (N, 3, H, W), got [4, 3, 2]",
    );
    expect(nablaError(() => layer.forward(zeros([4, 3], { dtype: "float64" }))).message).toBe(
      'BatchNorm1d: input dtype float64 differs from the module\'s float32 (convert with .to("float32"))',
    );
    expect(nablaError(() => layer.forward(zeros([1, 3]))).message).toBe(
      "batchNorm: expected more than 1 value per channel when training, got input of shape [1, 3]",
    );
    expect(layer.num_batches_tracked!.item()).toBe(0);
  });
});

describe("LayerNorm, GroupNorm, Embedding", () => {
  it("initialise as PyTorch: ones and zeros; N(0, 1) with the padding row zeroed", () => {
    const norm = new LayerNorm([2, 3]);
    expect(norm.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ["weight", [2, 3]],
      ["bias", [2, 3]],
    ]);
    expect(norm.weight!.toArray()).toEqual(ones([2, 3]).toArray());
    expect(new LayerNorm(4, { bias: false }).bias).toBeNull();
    expect(new GroupNorm(2, 4).bias!.toArray()).toEqual([0, 0, 0, 0]);
    manualSeed(1);
    const table = new Embedding(2000, 2, { paddingIdx: -2 });
    expect(table.paddingIdx).toBe(1998);
    expect(table.weight.select(0, 1998).toArray()).toEqual([0, 0]);
    const values = [...table.weight.data()];
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.1);
  });

  it("give no gradient to the padding row", () => {
    const table = new Embedding(4, 2, { paddingIdx: 1 });
    table
      .forward(tensor([1, 2, 1, 3], { dtype: "int32" }))
      .mul(randn([4, 2]))
      .sum()
      .backward();
    expect(table.weight.grad!.select(0, 1).toArray()).toEqual([0, 0]);
    expect(table.weight.grad!.select(0, 0).toArray()).toEqual([0, 0]);
    expect(table.weight.grad!.select(0, 2).toArray()).not.toEqual([0, 0]);
  });

  it("refuse bad constructor arguments", () => {
    expect(nablaError(() => new GroupNorm(4, 6)).message).toBe("GroupNorm: numChannels 6 must be divisible by numGroups 4");
    expect(nablaError(() => new Embedding(3, 2, { paddingIdx: 3 })).message).toBe(
      "Embedding: paddingIdx 3 must be within numEmbeddings (3)",
    );
    expect(nablaError(() => new GroupNorm(2, 4).forward(zeros([2, 6]))).message).toBe(
      "GroupNorm: expected input of shape (N, 4, *), got [2, 6]",
    );
  });
});

describe("Identity, Softmax, LogSoftmax, Unflatten", () => {
  it("compute what their functions do", () => {
    const x = randn([2, 6]);
    expect(new Identity(3, { anything: true }).forward(x)).toBe(x);
    expectClose(new Softmax(0).forward(x).sum(0).data(), [1, 1, 1, 1, 1, 1], FLOAT32);
    expectClose(new LogSoftmax().forward(x).exp().data(), [...x.softmax(-1).data()], FLOAT32);
    expect(new Unflatten(1, [3, -1]).forward(x).shape).toEqual([2, 3, 2]);
    expect(new Unflatten(1, [3, -1]).forward(x).flatten(1).toArray()).toEqual(x.toArray());
    expect(nablaError(() => new Unflatten(1, [-1, -1])).message).toBe(
      "Unflatten: sizes must be a non-empty list of sizes with at most one -1, got [-1, -1]",
    );
    expect(nablaError(() => new Unflatten(1, [4, -1]).forward(x)).message).toBe(
      "Unflatten: sizes [4, -1] do not fill dim 1 of input [2, 6] (size 6)",
    );
  });
});

describe("reprs", () => {
  it("print as PyTorch's", () => {
    const modules: Record<string, Module> = {
      bn1: new BatchNorm1d(4),
      bn1Options: new BatchNorm1d(4, { eps: 1e-3, momentum: null, affine: false, trackRunningStats: false }),
      bn2: new BatchNorm2d(3, { momentum: 0.05 }),
      ln: new LayerNorm(4),
      ln2: new LayerNorm([2, 3], { eps: 1e-6, elementwiseAffine: false }),
      gn: new GroupNorm(2, 4),
      gnOptions: new GroupNorm(1, 3, { eps: 0.001, affine: false }),
      emb: new Embedding(10, 3),
      embPadding: new Embedding(10, 3, { paddingIdx: -1 }),
      identity: new Identity(),
      softmax: new Softmax(1),
      logSoftmax: new LogSoftmax(-1),
      unflatten: new Unflatten(1, [2, 5]),
      unflatten1: new Unflatten(-1, [6]),
    };
    expect(Object.fromEntries(Object.entries(modules).map(([name, module]) => [name, module.toString()]))).toEqual(fixture.reprs);
  });
});

import { describe, expect, it } from "vitest";
import { type NestedArray, type Tensor, formatShape, gradgradcheck, manualSeed, ones, randn, tensor, zeros } from "@nabla/tensor";
import { batchNorm, dropout, embedding, groupNorm, layerNorm } from "@nabla/ops";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";
import { TOLERANCE, expectClose } from "../support/reference";

// layerNorm, batchNorm, groupNorm and embedding against PyTorch's F.layer_norm, F.batch_norm,
// F.group_norm and F.embedding (test/fixtures/gen_norm.py, float64): outputs, the gradients of a
// random cotangent, and the running statistics batchNorm updates in place.

type Nested = NestedArray;

interface Affine {
  input: Nested;
  weight: Nested | null;
  bias: Nested | null;
  output: Nested;
  cotangent: Nested;
  inputGrad: Nested;
  weightGrad: Nested | null;
  biasGrad: Nested | null;
}
interface LayerNormCase extends Affine {
  normalizedShape: number[];
}
interface BatchNormCase extends Affine {
  runningMean: number[];
  runningVar: number[];
  training: boolean;
  momentum: number;
  runningMeanAfter: number[];
  runningVarAfter: number[];
}
interface GroupNormCase extends Affine {
  numGroups: number;
}
interface EmbeddingCase {
  input: Nested;
  weight: Nested;
  paddingIdx: number | null;
  output: Nested;
  cotangent: Nested;
  weightGrad: Nested;
}

const fixture = loadFixture<{
  layerNorm: LayerNormCase[];
  batchNorm: BatchNormCase[];
  groupNorm: GroupNormCase[];
  groupNormRefused: { shape: number[]; numGroups: number; refused: boolean }[];
  embedding: EmbeddingCase[];
}>("ops_norm.json");

const f64 = (values: Nested, requiresGrad = false) => tensor(values, { dtype: "float64", requiresGrad });
const optional = (values: Nested | null) => (values === null ? null : f64(values, true));
const flat = (values: Nested): number[] => (Array.isArray(values) ? values.flatMap(flat) : [values as number]);

/** Runs `call` on the case's input, weight and bias; checks the output and every gradient. */
function checkAffine(c: Affine, call: (input: Tensor, weight: Tensor | null, bias: Tensor | null) => Tensor): void {
  const input = f64(c.input, true);
  const weight = optional(c.weight);
  const bias = optional(c.bias);
  const output = call(input, weight, bias);
  expectClose(output.data(), flat(c.output), TOLERANCE.float64, "output");
  output.backward(f64(c.cotangent));
  expectClose(input.grad!.data(), flat(c.inputGrad), { rtol: 1e-9, atol: 1e-10 }, "input grad");
  if (weight !== null) expectClose(weight.grad!.data(), flat(c.weightGrad!), { rtol: 1e-9, atol: 1e-10 }, "weight grad");
  if (bias !== null) expectClose(bias.grad!.data(), flat(c.biasGrad!), { rtol: 1e-9, atol: 1e-10 }, "bias grad");
}

describe("layerNorm", () => {
  it.each(fixture.layerNorm.map((c, i) => [i, c] as const))("matches F.layer_norm, case %i", (_, c) => {
    checkAffine(c, (input, weight, bias) => layerNorm(input, c.normalizedShape, { weight, bias }));
  });

  it("agrees with the composite of mean, var and sqrt, and with itself on strided views", () => {
    const base = randn([6, 4, 5], { dtype: "float64" });
    const x = base.permute([2, 0, 1]).slice(1, 0, 6, 2); // [5, 3, 4], not contiguous
    const composite = x.sub(x.mean([1, 2], true)).div(x.var([1, 2], true, 0).add(1e-5).sqrt());
    expectClose(layerNorm(x, [3, 4]).data(), [...composite.data()], TOLERANCE.float64, "strided");
  });

  it("in float32 (the fused kernels; storage in the heap) agrees with float64, on contiguous rows, rows inside wider ones and transposed rows", () => {
    manualSeed(11);
    const values = Float32Array.from(randn([2, 64, 100]).mul(3).add(5).data());
    // made from a typed array of 12,800 float32 values, base32 lives in the heap
    const base32 = tensor(values, { shape: [2, 64, 100] });
    const base64 = tensor(Float64Array.from(values), { shape: [2, 64, 100] });
    const views: [string, (t: Tensor) => Tensor][] = [
      ["contiguous", (t) => t],
      ["rows of 90 inside rows of 100", (t) => t.narrow(2, 0, 90)],
      ["transposed", (t) => t.transpose(1, 2)],
    ];
    for (const [label, view] of views) {
      const n = view(base64).shape[2]!;
      const [w, b, g] = [randn([n]), randn([n]), randn(view(base64).shape)];
      const gradients = (x: Tensor, dtype: "float32" | "float64") => {
        const leaf = view(x).detach();
        leaf.requiresGrad = true;
        const [weight, bias] = [w.to(dtype), b.to(dtype)].map((p) => {
          const parameter = p.detach();
          parameter.requiresGrad = true;
          return parameter;
        }) as [Tensor, Tensor];
        const y = layerNorm(leaf, [n], { weight, bias });
        y.backward(g.to(dtype));
        return [y, leaf.grad!, weight.grad!, bias.grad!].map((t) => [...t.to("float64").data()]);
      };
      const expected = gradients(base64, "float64");
      const actual = gradients(base32, "float32");
      ["output", "input grad", "weight grad", "bias grad"].forEach((what, k) => {
        // the weight's and bias's gradients sum 128 rows
        const tolerance = k < 2 ? { rtol: 1e-5, atol: 1e-5 } : { rtol: 1e-5, atol: 1e-4 };
        expectClose(actual[k]!, expected[k]!, tolerance, `${label}: ${what}`);
      });
    }
  });

  it("has second derivatives (gradgradcheck through the hand-written backward)", () => {
    const x = randn([3, 4], { dtype: "float64", requiresGrad: true });
    const w = randn([4], { dtype: "float64", requiresGrad: true });
    expect(gradgradcheck((a: Tensor, b: Tensor) => layerNorm(a, 4, { weight: b }), [x, w]).ok).toBe(true);
  });

  it("refuses a normalizedShape that is not the input's tail, and mis-shaped parameters", () => {
    expect(nablaError(() => layerNorm(zeros([2, 3, 4]), [3])).message).toBe(
      "layerNorm: expected input of shape [*, 3] (normalizedShape [3]), got [2, 3, 4]",
    );
    expect(nablaError(() => layerNorm(zeros([4]), [2, 4])).message).toBe(
      "layerNorm: expected input of shape [*, 2, 4] (normalizedShape [2, 4]), got [4]",
    );
    expect(nablaError(() => layerNorm(zeros([2, 4]), [])).message).toBe(
      "layerNorm: normalizedShape must be a size or a non-empty list of sizes, got []",
    );
    expect(nablaError(() => layerNorm(zeros([2, 4]), 4, { weight: ones([2]) })).message).toBe(
      "layerNorm: weight must have shape [4] (normalizedShape [4]), got [2]",
    );
    expect(nablaError(() => layerNorm(zeros([2, 4]), 4, { bias: ones([4], { dtype: "float64" }) })).message).toBe(
      "layerNorm: bias dtype float64 must match the input's float32",
    );
    expect(nablaError(() => layerNorm(zeros([2, 4], { dtype: "int32" }), 4)).message).toBe(
      "layerNorm: expected a float32 or float64 input, got int32 of shape [2, 4]",
    );
    expect(nablaError(() => layerNorm(zeros([2, 4]), 4, { eps: -1 })).message).toBe("layerNorm: eps must be a finite number ≥ 0, got -1");
  });
});

describe("batchNorm", () => {
  it.each(fixture.batchNorm.map((c, i) => [i, c] as const))("matches F.batch_norm with its running statistics, case %i", (_, c) => {
    const runningMean = f64(c.runningMean);
    const runningVar = f64(c.runningVar);
    checkAffine(c, (input, weight, bias) =>
      batchNorm(input, runningMean, runningVar, { weight, bias, training: c.training, momentum: c.momentum }),
    );
    expectClose(runningMean.data(), c.runningMeanAfter, TOLERANCE.float64, "running mean");
    expectClose(runningVar.data(), c.runningVarAfter, TOLERANCE.float64, "running var");
  });

  it("updates the running statistics in place, off the graph, bumping their versions", () => {
    const runningMean = zeros([2]);
    const runningVar = ones([2]);
    const before = runningMean.storage.version;
    const x = tensor(
      [
        [1, 10],
        [3, 30],
      ],
      { requiresGrad: true },
    );
    batchNorm(x, runningMean, runningVar, { training: true })
      .mul(tensor([1, 2]))
      .sum()
      .backward();
    expect(runningMean.storage.version).toBeGreaterThan(before);
    expect(runningMean.requiresGrad).toBe(false);
    expect(runningMean.toArray()).toEqual([0.20000000298023224, 2]);
    // the unbiased variance: (1, 3) has var 2, so 0.9·1 + 0.1·2
    expect((runningVar.toArray() as number[])[0]).toBeCloseTo(1.1, 6);
    expect(x.grad).not.toBeNull();
  });

  it("in training without running statistics normalises with the batch's alone", () => {
    const x = tensor([[1], [3]]);
    expect(batchNorm(x, null, null, { training: true }).toArray()).toEqual(
      batchNorm(x, zeros([1]), ones([1]), { training: true }).toArray(),
    );
  });

  it("leaves the running statistics alone for an empty batch, as PyTorch", () => {
    const runningMean = ones([3]);
    expect(batchNorm(zeros([0, 3]), runningMean, ones([3]), { training: true }).shape).toEqual([0, 3]);
    expect(runningMean.toArray()).toEqual([1, 1, 1]);
  });

  it("refuses running statistics of the wrong size and one value per channel in training", () => {
    expect(nablaError(() => batchNorm(zeros([4, 3]), zeros([2]), ones([3]))).message).toBe(
      "batchNorm: runningMean must have shape [3] (one value per channel of input [4, 3]), got [2]",
    );
    expect(nablaError(() => batchNorm(zeros([4, 3, 2]), zeros([3]), ones([3, 1]))).message).toBe(
      "batchNorm: runningVar must have shape [3] (one value per channel of input [4, 3, 2]), got [3, 1]",
    );
    expect(nablaError(() => batchNorm(zeros([4, 3]), zeros([3], { dtype: "float64" }), ones([3]))).message).toBe(
      "batchNorm: runningMean dtype float64 must match the input's float32",
    );
    expect(nablaError(() => batchNorm(zeros([1, 3]), zeros([3]), ones([3]), { training: true })).message).toBe(
      "batchNorm: expected more than 1 value per channel when training, got input of shape [1, 3]",
    );
    expect(nablaError(() => batchNorm(zeros([4, 3]), null, null)).message).toBe(
      "batchNorm: runningMean and runningVar are required when not training (training: false)",
    );
    expect(nablaError(() => batchNorm(zeros([3]), null, null, { training: true })).message).toBe(
      "batchNorm: expected an input of shape (N, C, *), got [3]",
    );
    expect(nablaError(() => batchNorm(zeros([4, 3]), zeros([3]), ones([3]), { weight: ones([4]) })).message).toBe(
      "batchNorm: weight must have shape [3] (one value per channel of input [4, 3]), got [4]",
    );
  });

  it("leaves the running statistics unchanged when it throws", () => {
    const runningMean = zeros([3]);
    nablaError(() => batchNorm(zeros([4, 3]), runningMean, ones([3]), { training: true, weight: ones([2]) }));
    expect(runningMean.storage.version).toBe(0);
  });
});

describe("groupNorm", () => {
  it.each(fixture.groupNorm.map((c, i) => [i, c] as const))("matches F.group_norm, case %i", (_, c) => {
    checkAffine(c, (input, weight, bias) => groupNorm(input, c.numGroups, { weight, bias }));
  });

  it("refuses channels that the groups do not divide", () => {
    expect(nablaError(() => groupNorm(zeros([2, 6, 4]), 4)).message).toBe(
      "groupNorm: the 6 channels of input [2, 6, 4] cannot be split into 4 groups (6 is not divisible by 4)",
    );
    expect(nablaError(() => groupNorm(zeros([2, 6]), 0)).message).toBe("groupNorm: numGroups must be a positive integer, got 0");
    expect(nablaError(() => groupNorm(zeros([6]), 2)).message).toBe("groupNorm: expected an input of shape (N, C, *), got [6]");
  });

  it.each(fixture.groupNormRefused.map((c) => [formatShape(c.shape), c.numGroups, c] as const))(
    "refuses input %s with %i groups where F.group_norm does",
    (_shape, _groups, c) => {
      const call = () => groupNorm(zeros(c.shape, { dtype: "float64" }), c.numGroups);
      if (c.refused) {
        expect(nablaError(call).message).toBe(
          `groupNorm: expected more than 1 value per group, got input ${formatShape(c.shape)} with ${c.numGroups} groups (one sample, one value per group)`,
        );
      } else {
        expect(call().shape).toEqual(c.shape);
      }
    },
  );
});

describe("embedding", () => {
  it.each(fixture.embedding.map((c, i) => [i, c] as const))("matches F.embedding, case %i", (_, c) => {
    const weight = f64(c.weight, true);
    const input = tensor(c.input, { dtype: "int32" });
    const options = c.paddingIdx === null ? {} : { paddingIdx: c.paddingIdx };
    const output = embedding(input, weight, options);
    expect(output.shape).toEqual([...input.shape, 3]);
    expect(output.toArray()).toEqual(c.output);
    output.backward(f64(c.cotangent));
    expectClose(weight.grad!.data(), flat(c.weightGrad), TOLERANCE.float64, "weight grad");
  });

  it("names an index out of range, and where it is", () => {
    const weight = zeros([5, 2]);
    expect(
      nablaError(() =>
        embedding(
          tensor(
            [
              [0, 1, 2],
              [3, 7, 4],
            ],
            { dtype: "int32" },
          ),
          weight,
        ),
      ).message,
    ).toBe("embedding: index 7 at position [1, 1] of input [2, 3] is out of range for a weight of 5 rows");
    expect(nablaError(() => embedding(tensor(-1, { dtype: "int32" }), weight)).message).toBe(
      "embedding: index -1 at position [] of input [] is out of range for a weight of 5 rows",
    );
    expect(nablaError(() => embedding(tensor([0, 1]), weight)).message).toBe(
      "embedding: input must be an int32 tensor of indices, got float32 of shape [2]",
    );
    expect(nablaError(() => embedding(tensor([0], { dtype: "int32" }), zeros([5]))).message).toBe(
      "embedding: weight must be a 2-D float32 or float64 tensor [V, D], got float32 of shape [5]",
    );
    expect(nablaError(() => embedding(tensor([0], { dtype: "int32" }), weight, { paddingIdx: 5 })).message).toBe(
      "embedding: paddingIdx 5 is out of range for a weight of 5 rows",
    );
  });
});

describe("dropout", () => {
  it("zeroes about p of the elements and scales the rest by 1/(1 − p)", () => {
    const output = [...dropout(ones([4000], { dtype: "float64" }), 0.25).data()];
    expect(output.every((v) => v === 0 || v === 1 / 0.75)).toBe(true);
    const dropped = output.filter((v) => v === 0).length / output.length;
    expect(Math.abs(dropped - 0.25)).toBeLessThan(0.03);
  });

  it("returns its input outside training and for p = 0; refuses p outside [0, 1]", () => {
    const x = ones([3]);
    expect(dropout(x, 0.5, false)).toBe(x);
    expect(dropout(x, 0)).toBe(x);
    expect(nablaError(() => dropout(x, -0.5)).message).toBe("dropout: p must be a probability in [0, 1], got -0.5");
    expect(nablaError(() => dropout(x, Number.NaN)).message).toBe("dropout: p must be a probability in [0, 1], got NaN");
  });
});

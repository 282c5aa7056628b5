import { batchNorm, crossEntropy, dropout, embedding, groupNorm, layerNorm, logSoftmax, logsumexp, nllLoss, softmax } from "@nabla/ops";
import { manualSeed, ones, randn, tensor, zeros } from "@nabla/tensor";
import { describe, expect, it } from "vitest";

// Importing @nabla/ops gives every tensor the methods of its ops (API.md: `x.softmax(-1)`).

describe("Tensor methods added by @nabla/ops", () => {
  const x = randn([3, 4], { requiresGrad: true });
  const target = tensor([0, 3, 1], { dtype: "int32" });

  it("give what the functions give, with the same arguments", () => {
    expect(x.softmax(0).toArray()).toEqual(softmax(x, 0).toArray());
    expect(x.softmax().toArray()).toEqual(softmax(x).toArray());
    expect(x.logSoftmax(1).toArray()).toEqual(logSoftmax(x, 1).toArray());
    expect(x.logsumexp([0, 1], true).toArray()).toEqual(logsumexp(x, [0, 1], true).toArray());
    expect(x.crossEntropy(target, { labelSmoothing: 0.1 }).item()).toBe(crossEntropy(x, target, { labelSmoothing: 0.1 }).item());
    expect(x.logSoftmax().nllLoss(target, { reduction: "sum" }).item()).toBe(nllLoss(logSoftmax(x), target, { reduction: "sum" }).item());
    expect(x.layerNorm(4, { eps: 1e-3 }).toArray()).toEqual(layerNorm(x, 4, { eps: 1e-3 }).toArray());
    expect(x.batchNorm(zeros([4]), ones([4])).toArray()).toEqual(batchNorm(x, zeros([4]), ones([4])).toArray());
    expect(x.groupNorm(2).toArray()).toEqual(groupNorm(x, 2).toArray());
    expect(target.embedding(x.T, { paddingIdx: 1 }).toArray()).toEqual(embedding(target, x.T, { paddingIdx: 1 }).toArray());
    manualSeed(3);
    const dropped = x.dropout(0.3).toArray();
    manualSeed(3);
    expect(dropped).toEqual(dropout(x, 0.3).toArray());
  });

  it("record the same graph as the functions", () => {
    expect(x.softmax().gradFn?.name).toBe("softmax");
    x.crossEntropy(target).backward();
    const viaMethod = x.grad!.toArray();
    x.grad = null;
    crossEntropy(x, target).backward();
    expect(viaMethod).toEqual(x.grad!.toArray());
  });

  it("are not enumerable, like the class's own methods", () => {
    expect(Object.keys(Object.getPrototypeOf(x))).not.toContain("softmax");
    expect(typeof x.softmax).toBe("function");
  });

  it("name the op in their errors", () => {
    expect(() => tensor([1, 2], { dtype: "int32" }).softmax()).toThrow(/^softmax: /);
  });
});

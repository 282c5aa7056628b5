import { describe, expect, it, vi } from "vitest";
import { type NestedArray, type Tensor, gradgradcheck, manualSeed, ones, randn, tensor, zeros } from "@nabla/tensor";
import { attentionWeights, scaledDotProductAttention, softmax } from "@nabla/ops";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";
import { TOLERANCE, expectClose } from "../support/reference";

// scaledDotProductAttention against PyTorch 2's definition of F.scaled_dot_product_attention,
// evaluated by torch in float64 (test/fixtures/gen_attention.py; Debian's torch 1.13 predates the
// function): outputs and the gradients of a random cotangent for query, key, value and float masks.

interface SdpaCase {
  query: NestedArray;
  key: NestedArray;
  value: NestedArray;
  maskKind: "none" | "bool" | "boolBatched" | "float" | "causal";
  mask: NestedArray | null;
  scale: number | null;
  output: NestedArray;
  cotangent: NestedArray;
  queryGrad: NestedArray;
  keyGrad: NestedArray;
  valueGrad: NestedArray;
  maskGrad: NestedArray | null;
}

const fixture = loadFixture<{ sdpa: SdpaCase[]; fullyMasked: Omit<SdpaCase, "maskKind" | "scale" | "maskGrad"> }>("ops_attention.json");

const f64 = (values: NestedArray, requiresGrad = false) => tensor(values, { dtype: "float64", requiresGrad });
const flat = (values: NestedArray) => [...f64(values).data()];
const close = (actual: Tensor | null, expected: NestedArray, label: string) =>
  expectClose(actual!.data(), flat(expected), TOLERANCE.float64, label);

describe("scaledDotProductAttention against PyTorch (float64)", () => {
  it.each(
    fixture.sdpa.map(
      (c, i) => [`${i}: ${c.maskKind}, scale ${c.scale ?? "1/√E"}, query ${JSON.stringify(f64(c.query).shape)}`, c] as const,
    ),
  )("%s", (_label, c) => {
    const [q, k, v] = [f64(c.query, true), f64(c.key, true), f64(c.value, true)];
    const mask = c.mask === null ? null : c.maskKind === "float" ? f64(c.mask, true) : tensor(c.mask, { dtype: "bool" });
    const out = scaledDotProductAttention(q, k, v, { attnMask: mask, isCausal: c.maskKind === "causal", scale: c.scale });
    expect(out.gradFn?.name).toBe("scaledDotProductAttention");
    close(out, c.output, "output");
    out.backward(f64(c.cotangent));
    close(q.grad, c.queryGrad, "query grad");
    close(k.grad, c.keyGrad, "key grad");
    close(v.grad, c.valueGrad, "value grad");
    if (c.maskGrad !== null) close(mask!.grad, c.maskGrad, "mask grad");
  });

  it("gives a query whose keys are all masked output 0 and gradient 0 (PyTorch ≥ 2.5; 1.13's kernel gave NaN)", () => {
    const c = fixture.fullyMasked;
    const [q, k, v] = [f64(c.query, true), f64(c.key, true), f64(c.value, true)];
    const out = scaledDotProductAttention(q, k, v, { attnMask: tensor(c.mask!, { dtype: "bool" }) });
    close(out, c.output, "output");
    expect(out.select(0, 1).toArray()).toEqual([0, 0]);
    out.backward(f64(c.cotangent));
    close(q.grad, c.queryGrad, "query grad");
    expect(q.grad!.select(0, 1).toArray()).toEqual([0, 0, 0, 0]);
    close(k.grad, c.keyGrad, "key grad");
    close(v.grad, c.valueGrad, "value grad");
  });
});

describe("scaledDotProductAttention", () => {
  it("has finite second derivatives when a query's keys are all masked", () => {
    const q = tensor([[[-3], [-3]]], { dtype: "float64" });
    const k = tensor([[[0.3], [0.7]]], { dtype: "float64" });
    const v = tensor([[[0.5], [-0.2]]], { dtype: "float64" });
    const secondRowMasked = tensor([true, true, false, false], { shape: [2, 2], dtype: "bool" });
    const firstRowMasked = tensor([false, false, true, false], { shape: [2, 2], dtype: "bool" });
    for (const attnMask of [secondRowMasked, firstRowMasked]) {
      const report = gradgradcheck((a, b, c) => scaledDotProductAttention(a, b, c, { attnMask }), [q, k, v]);
      expect(report.ok, JSON.stringify(report.worst)).toBe(true);
    }
  });

  it("reads nothing back to the host for any mask, forward or backward, fully masked rows included", () => {
    const o = { dtype: "float64" as const, requiresGrad: true };
    const [q, k, v] = [randn([2, 3, 4], o), randn([2, 5, 4], o), randn([2, 5, 2], o)];
    const secondRowMasked = tensor([
      [true, false, true, true, false],
      [false, false, false, false, false],
      [true, true, true, true, true],
    ]);
    const masks = [{}, { isCausal: true }, { attnMask: secondRowMasked }, { attnMask: randn([3, 5], o) }];
    const readSync = vi.spyOn(q.storage.backend, "readSync");
    try {
      for (const options of masks) {
        scaledDotProductAttention(q, k, v, options).backward(ones([2, 3, 2], { dtype: "float64" }));
        attentionWeights(q, k, options).backward(ones([2, 3, 5], { dtype: "float64" }));
      }
      expect(readSync).not.toHaveBeenCalled();
    } finally {
      readSync.mockRestore();
    }
    expect(attentionWeights(q, k, { attnMask: secondRowMasked }).select(1, 1).toArray()).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
  });

  it("equals the composite softmax(Q Kᵀ·scale + mask) V, and its weights are attentionWeights'", () => {
    const q = randn([2, 3, 4, 5], { dtype: "float64" });
    const k = randn([2, 3, 6, 5], { dtype: "float64" });
    const v = randn([2, 3, 6, 2], { dtype: "float64" });
    const mask = randn([4, 6], { dtype: "float64" });
    const composite = softmax(q.matmul(k.mT).mul(0.5).add(mask)).matmul(v);
    expectClose(
      scaledDotProductAttention(q, k, v, { attnMask: mask, scale: 0.5 }).data(),
      [...composite.data()],
      TOLERANCE.float64,
      "sdpa",
    );
    expectClose(
      attentionWeights(q, k, { attnMask: mask, scale: 0.5 }).matmul(v).data(),
      [...composite.data()],
      TOLERANCE.float64,
      "weights",
    );
  });

  it("keeps only the inputs and the attention weights for backward", () => {
    const q = randn([2, 4, 3], { requiresGrad: true });
    const out = scaledDotProductAttention(q, randn([2, 5, 3]), randn([2, 5, 2]));
    const { ctx } = out.gradFn as unknown as { ctx: { saved: readonly Tensor[]; keep: Tensor | null } };
    // query, key, value and the weights [2, 4, 5]: no scores, no exponentials, no dropout mask
    expect(ctx.saved.map((t) => t.shape)).toEqual([
      [2, 4, 3],
      [2, 5, 3],
      [2, 5, 2],
      [2, 4, 5],
    ]);
    expect(ctx.keep).toBe(null);
    out.backward(ones([2, 4, 2]));
    expect(q.grad!.shape).toEqual([2, 4, 3]);
  });

  it("has second derivatives through its backward (gradgradcheck), with a float mask, causal and dropout-free", () => {
    const o = { dtype: "float64" as const, requiresGrad: true };
    const [q, k, v, m] = [randn([2, 3, 2], o), randn([2, 4, 2], o), randn([1, 4, 3], o), randn([3, 4], o)];
    expect(gradgradcheck((a, b, c, d) => scaledDotProductAttention(a, b, c, { attnMask: d, scale: 0.8 }), [q, k, v, m]).ok).toBe(true);
    expect(gradgradcheck((a, b, c) => scaledDotProductAttention(a, b, c, { isCausal: true }), [q, k, v]).ok).toBe(true);
  });

  it("drops attention weights with probability dropoutP, reproducibly under manualSeed, scaling the rest", () => {
    const q = zeros([1, 8, 2]);
    const v = ones([1, 8, 1]);
    manualSeed(3);
    const a = scaledDotProductAttention(q, zeros([1, 8, 2]), v, { dropoutP: 0.5 });
    manualSeed(3);
    const b = scaledDotProductAttention(q, zeros([1, 8, 2]), v, { dropoutP: 0.5 });
    expect(a.toArray()).toEqual(b.toArray());
    // uniform weights 1/8, each kept as 2/8 or dropped: every output is a multiple of 1/4
    const values = [...a.data()];
    expect(values.every((x) => Math.abs(x * 4 - Math.round(x * 4)) < 1e-6)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(1);
    expect(scaledDotProductAttention(q, zeros([1, 8, 2]), v, { dropoutP: 1 }).toArray()).toEqual(zeros([1, 8, 1]).toArray());
  });

  it("aligns the causal mask top-left when L ≠ S, as PyTorch", () => {
    const w = attentionWeights(zeros([2, 1]), zeros([3, 1]), { isCausal: true });
    expect(w.toArray()).toEqual([
      [1, 0, 0],
      [0.5, 0.5, 0],
    ]);
  });

  it("is a Tensor method", () => {
    const q = randn([3, 4]);
    const k = randn([5, 4]);
    const v = randn([5, 2]);
    expect(q.scaledDotProductAttention(k, v).toArray()).toEqual(scaledDotProductAttention(q, k, v).toArray());
    expect(q.attentionWeights(k, { isCausal: true }).toArray()).toEqual(attentionWeights(q, k, { isCausal: true }).toArray());
  });

  it("refuses mismatched sizes, dtypes and masks with exact messages", () => {
    const op = "scaledDotProductAttention";
    const q = zeros([2, 3, 4]);
    const k = zeros([2, 5, 4]);
    const v = zeros([2, 5, 6]);
    const message = (fn: () => unknown) => nablaError(fn, op).message;
    expect(message(() => scaledDotProductAttention(q, zeros([2, 5, 3]), v))).toBe(
      "scaledDotProductAttention: expected query [..., L, E] and key [..., S, E] with the same E, got query [2, 3, 4] and key [2, 5, 3]",
    );
    expect(message(() => scaledDotProductAttention(q, k, zeros([2, 4, 6])))).toBe(
      "scaledDotProductAttention: expected key [..., S, E] and value [..., S, Ev] with the same S, got key [2, 5, 4] and value [2, 4, 6]",
    );
    expect(message(() => scaledDotProductAttention(q, zeros([3, 5, 4]), v))).toBe(
      "scaledDotProductAttention: the batch dims of query, key and value do not broadcast: [2, 3, 4], [3, 5, 4], [2, 5, 6]",
    );
    expect(message(() => scaledDotProductAttention(q, k, v, { attnMask: ones([3, 4], { dtype: "bool" }) }))).toBe(
      "scaledDotProductAttention: attnMask [3, 4] does not broadcast to the attention weights [2, 3, 5] ([..., 3, 5])",
    );
    expect(message(() => scaledDotProductAttention(q, k, v, { attnMask: zeros([3, 5], { dtype: "int32" }) }))).toBe(
      "scaledDotProductAttention: attnMask must be bool or the query's dtype float32, got int32 of shape [3, 5]",
    );
    expect(message(() => scaledDotProductAttention(q, k, v, { attnMask: zeros([3, 5]), isCausal: true }))).toBe(
      "scaledDotProductAttention: isCausal cannot be combined with attnMask [3, 5] (the causal mask is built from L and S)",
    );
    expect(message(() => scaledDotProductAttention(q, k.to("float64"), v))).toBe(
      "scaledDotProductAttention: query, key and value must share a dtype, got float32, float64, float32",
    );
    expect(message(() => scaledDotProductAttention(zeros([4]), k, v))).toBe(
      "scaledDotProductAttention: query must have at least 2 dims [..., L, E], got [4]",
    );
    expect(message(() => scaledDotProductAttention(q.to("int32"), k, v))).toBe(
      "scaledDotProductAttention: expected a float32 or float64 query, got int32 of shape [2, 3, 4]",
    );
    expect(message(() => scaledDotProductAttention(q, k, v, { dropoutP: 1.5 }))).toBe(
      "scaledDotProductAttention: dropoutP must be a probability in [0, 1], got 1.5",
    );
    expect(nablaError(() => attentionWeights(q, zeros([2, 5, 3])), "attentionWeights").message).toBe(
      "attentionWeights: expected query [..., L, E] and key [..., S, E] with the same E, got query [2, 3, 4] and key [2, 5, 3]",
    );
  });
});

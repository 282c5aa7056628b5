/**
 * `pnpm lesson:attention`: scaled dot-product attention softmax(Q Kᵀ/√d + M) V, its backward
 * written by hand in five lines of tensor ops, and that backward checked three ways: against
 * autodiff of the composite, against `scaledDotProductAttention` from @nabla/ops, and by gradcheck;
 * without a mask and with a causal one.
 */
import { defineOp, type GradcheckResult, gradcheck, ones, type Tensor, tensor, traceBackward, where } from "@nabla/tensor";
import { scaledDotProductAttention } from "@nabla/ops";
import { runLessonIfMain } from "./run-lesson";

// three queries and three keys of dimension d = 4 (so √d = 2), values of dimension 2
const QUERY = [
  [0.5, -1.0, 0.3, 0.8],
  [1.2, 0.4, -0.7, 0.1],
  [-0.3, 0.9, 0.6, -1.1],
];
const KEY = [
  [0.7, 0.2, -0.5, 1.0],
  [-0.6, 1.1, 0.4, 0.3],
  [0.2, -0.8, 0.9, -0.4],
];
const VALUE = [
  [1.0, -0.5],
  [0.3, 0.8],
  [-1.2, 0.6],
];
/** The gradient Ō arriving at the output, from whatever the output feeds. */
const COTANGENT = [
  [0.4, -1.0],
  [1.5, 0.2],
  [-0.7, 0.9],
];

function matrix(values: number[][]): Tensor {
  return tensor(values, { dtype: "float64" });
}

function leaf(values: number[][]): Tensor {
  return tensor(values, { dtype: "float64", requiresGrad: true });
}

/** M of a causal mask: 0 where key j ≤ query i, −∞ above the diagonal, so query i sees keys 0…i. */
export function causalMask(L: number, S: number): Tensor {
  return where(ones([L, S]).tril().gt(0), 0, -Infinity).to("float64");
}

/** P = softmax(Q Kᵀ/√d + M) row by row, and O = P V, from primitives: what autodiff sees. */
function compositeAttention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): { p: Tensor; o: Tensor } {
  let scores = q.matmul(k.mT).div(Math.sqrt(q.shape[1]!));
  if (mask !== null) scores = scores.add(mask);
  const e = scores.sub(scores.max(-1, true)).exp();
  const p = e.div(e.sum(-1, true));
  return { p, o: p.matmul(v) };
}

export interface AttentionGradients {
  query: Tensor;
  key: Tensor;
  value: Tensor;
}

/**
 * The backward of O = P V, P = softmax(S), S = Q Kᵀ/√d + M, from P and the incoming gradient Ō:
 * one line per forward step, read backwards. M is a constant and gets none.
 */
export function attentionBackward(q: Tensor, k: Tensor, v: Tensor, p: Tensor, gradOut: Tensor): AttentionGradients {
  const scale = 1 / Math.sqrt(q.shape[1]!);
  const gradValue = p.mT.matmul(gradOut); // O = P V: V̄ = Pᵀ Ō
  const gradWeights = gradOut.matmul(v.mT); // and P̄ = Ō Vᵀ
  // softmax's vector-Jacobian product, row by row: S̄ = P ⊙ (P̄ − rowsum(P̄ ⊙ P))
  const gradScores = p.mul(gradWeights.sub(gradWeights.mul(p).sum(-1, true)));
  const gradQuery = gradScores.matmul(k).mul(scale); // S = Q Kᵀ/√d: Q̄ = S̄ K/√d
  const gradKey = gradScores.mT.matmul(q).mul(scale); // and K̄ = S̄ᵀ Q/√d
  return { query: gradQuery, key: gradKey, value: gradValue };
}

/** Attention as one op whose backward is `attentionBackward`, so gradcheck can test it. */
export const attentionByHand = defineOp({
  name: "attentionByHand",
  formula: {
    forward: "O = P V,  P = softmax(Q Kᵀ/√d + M)",
    backward: "V̄ = Pᵀ Ō,  P̄ = Ō Vᵀ,  S̄ = P ⊙ (P̄ − rowsum(P̄ ⊙ P)),  Q̄ = S̄ K/√d,  K̄ = S̄ᵀ Q/√d",
  },
  forward(ctx, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null): Tensor {
    const { p, o } = compositeAttention(q, k, v, mask);
    ctx.save(q, k, v, p);
    return o;
  },
  backward(ctx, gradOut) {
    const [q, k, v, p] = ctx.saved as [Tensor, Tensor, Tensor, Tensor];
    const grads = attentionBackward(q, k, v, p, gradOut);
    return [grads.query, grads.key, grads.value, null].slice(0, ctx.needsInputGrad.length);
  },
});

export interface AttentionCaseResult {
  name: "none" | "causal";
  mask: number[][];
  weights: number[][];
  output: number[][];
  /** The hand-written backward, autodiff of the composite, and scaledDotProductAttention's. */
  hand: Record<keyof AttentionGradients, number[][]>;
  composite: Record<keyof AttentionGradients, number[][]>;
  library: Record<keyof AttentionGradients, number[][]>;
  /** Largest |hand − other| over the output and each gradient. */
  compositeDifference: Record<"output" | keyof AttentionGradients, number>;
  libraryDifference: Record<"output" | keyof AttentionGradients, number>;
  /** Backward steps through the composite (one per primitive) and through scaledDotProductAttention (one). */
  compositeSteps: number;
  librarySteps: number;
  /** gradcheck (float64 central differences) of the hand-written backward and of scaledDotProductAttention. */
  handGradcheck: GradcheckResult;
  libraryGradcheck: GradcheckResult;
}

export interface AttentionLessonResult {
  query: number[][];
  key: number[][];
  value: number[][];
  cotangent: number[][];
  cases: AttentionCaseResult[];
}

const rows = (t: Tensor) => t.toArray() as number[][];

function largestDifference(a: Tensor, b: Tensor): number {
  return a.sub(b).abs().max().item() as number;
}

function gradientsOf(q: Tensor, k: Tensor, v: Tensor): AttentionGradients {
  return { query: q.grad!, key: k.grad!, value: v.grad! };
}

function attentionCase(name: "none" | "causal"): AttentionCaseResult {
  const mask = name === "causal" ? causalMask(QUERY.length, KEY.length) : null;
  const gradOut = matrix(COTANGENT);
  const [q, k, v] = [matrix(QUERY), matrix(KEY), matrix(VALUE)];
  const { p, o } = compositeAttention(q, k, v, mask);
  const hand = attentionBackward(q, k, v, p, gradOut);

  const composite = [leaf(QUERY), leaf(KEY), leaf(VALUE)] as const;
  const compositeOutput = compositeAttention(...composite, mask).o;
  const compositeTrace = traceBackward(compositeOutput, { gradient: gradOut });
  const library = [leaf(QUERY), leaf(KEY), leaf(VALUE)] as const;
  const libraryOutput = scaledDotProductAttention(...library, { isCausal: name === "causal" });
  const libraryTrace = traceBackward(libraryOutput, { gradient: gradOut });

  const differences = (output: Tensor, grads: AttentionGradients) => ({
    output: largestDifference(o, output),
    query: largestDifference(hand.query, grads.query),
    key: largestDifference(hand.key, grads.key),
    value: largestDifference(hand.value, grads.value),
  });
  const arrays = (grads: AttentionGradients) => ({ query: rows(grads.query), key: rows(grads.key), value: rows(grads.value) });
  const compositeGrads = gradientsOf(...composite);
  const libraryGrads = gradientsOf(...library);
  return {
    name,
    mask: mask === null ? QUERY.map(() => KEY.map(() => 0)) : rows(mask),
    weights: rows(p),
    output: rows(o),
    hand: arrays(hand),
    composite: arrays(compositeGrads),
    library: arrays(libraryGrads),
    compositeDifference: differences(compositeOutput, compositeGrads),
    libraryDifference: differences(libraryOutput, libraryGrads),
    compositeSteps: compositeTrace.steps.length,
    librarySteps: libraryTrace.steps.length,
    handGradcheck: gradcheck((a, b, c) => attentionByHand(a, b, c, mask), [q, k, v]),
    libraryGradcheck: gradcheck((a, b, c) => scaledDotProductAttention(a, b, c, { isCausal: name === "causal" }), [q, k, v]),
  };
}

export function attentionLesson(): AttentionLessonResult {
  return { query: QUERY, key: KEY, value: VALUE, cotangent: COTANGENT, cases: [attentionCase("none"), attentionCase("causal")] };
}

const cell = (v: number) => (v === -Infinity ? "-∞" : v.toFixed(4)).padStart(7);
const show = (m: number[][], indent = "  ") => m.map((row) => `${indent}[${row.map(cell).join(", ")}]`).join("\n");

function describeCase(r: AttentionCaseResult): void {
  console.log(`M = ${r.name === "causal" ? "causal: 0 where key j ≤ query i, −∞ above the diagonal" : "0 (no mask)"}`);
  if (r.name === "causal") console.log(show(r.mask));
  console.log(`P = softmax(Q Kᵀ/√d + M), each row sums to 1:\n${show(r.weights)}`);
  console.log(`O = P V:\n${show(r.output)}`);
  console.log("The hand-written backward for Ō:");
  console.log(`  Q̄ = S̄ K/√d\n${show(r.hand.query, "    ")}`);
  console.log(`  K̄ = S̄ᵀ Q/√d\n${show(r.hand.key, "    ")}`);
  console.log(`  V̄ = Pᵀ Ō\n${show(r.hand.value, "    ")}`);
  const line = (d: AttentionCaseResult["compositeDifference"]) =>
    `O ${d.output.toExponential(1)}, Q̄ ${d.query.toExponential(1)}, K̄ ${d.key.toExponential(1)}, V̄ ${d.value.toExponential(1)}`;
  console.log("  largest difference from the hand-written backward:");
  console.log(`    autodiff of the composite (${r.compositeSteps} backward steps)   ${line(r.compositeDifference)}`);
  console.log(`    scaledDotProductAttention (${r.librarySteps} backward step)     ${line(r.libraryDifference)}`);
  const verdict = (g: GradcheckResult) => `ok: ${g.ok}, max abs error ${g.maxAbsError.toExponential(2)}`;
  console.log("  gradcheck against float64 central differences:");
  console.log(`    hand-written backward       ${verdict(r.handGradcheck)}`);
  console.log(`    scaledDotProductAttention   ${verdict(r.libraryGradcheck)}`);
}

runLessonIfMain(import.meta.url, () => {
  const r = attentionLesson();
  console.log(
    "Scaled dot-product attention: each query i scores every key j by the dot product q_i · k_j,\n" +
      "divided by √d (d the key dimension) so the scores do not grow with d and push the softmax\n" +
      "into saturation; the mask M adds −∞ where a query may not look; a softmax over the keys turns\n" +
      "the scores into weights, and the output is the weighted sum of the values:\n\n" +
      "  S = Q Kᵀ/√d + M,   P = softmax(S) by rows,   O = P V\n\n" +
      "Backward reads the three steps in reverse, given the gradient Ō arriving at O:\n" +
      "  V̄ = Pᵀ Ō,   P̄ = Ō Vᵀ                     (O = P V is a product of matrices)\n" +
      "  S̄ = P ⊙ (P̄ − rowsum(P̄ ⊙ P))             (softmax's vector-Jacobian product, per row)\n" +
      "  Q̄ = S̄ K/√d,   K̄ = S̄ᵀ Q/√d              (S = Q Kᵀ/√d; the constant M gets no gradient)\n" +
      "Only P needs keeping from the forward pass, never exp(S) or the shifted scores.\n",
  );
  console.log(`Q (3 queries, d = 4, so √d = 2):\n${show(r.query)}\nK (3 keys):\n${show(r.key)}\nV (3 values):\n${show(r.value)}`);
  console.log(`Ō:\n${show(r.cotangent)}\n`);

  const [none, causal] = r.cases as [AttentionCaseResult, AttentionCaseResult];
  describeCase(none);
  console.log();
  describeCase(causal);
  console.log(
    "\nWith the causal mask the weights above the diagonal are exactly 0 (exp(−∞) = 0), so S̄ = P ⊙ (…)\n" +
      "is 0 there too: no gradient reaches a masked score. Query 0 sees key 0 alone, with weight 1\n" +
      "whatever its score, so Q̄ row 0 is 0; query 2 sees every key and gets what it got unmasked.",
  );
});

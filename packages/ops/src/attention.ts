import {
  add,
  broadcastShapes,
  defineOp,
  eq,
  expand,
  formatShape,
  ge,
  isGradEnabled,
  matmul,
  max,
  mul,
  NablaError,
  type OpContext,
  rand,
  sumTo,
  Tensor,
  to,
  transpose,
  where,
} from "@nabla/tensor/functional";
import { checkBoolean, checkNumber, checkOptions, checkTensor } from "@nabla/tensor/internal";
import { checkFloatTensor, checkProbability } from "./args";
import { softmax, softmaxBackward } from "./softmax";

/** The options of `scaledDotProductAttention`, as PyTorch's `F.scaled_dot_product_attention` keywords. */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcasts to the attention weights `[..., L, S]`: a bool mask marks the positions that take
   * part (false → −∞ before the softmax); a float mask (the query's dtype) is added to the scores.
   */
  attnMask?: Tensor | null;
  /** The probability of zeroing an attention weight (default 0: no dropout). */
  dropoutP?: number;
  /** Query i attends to keys 0…i only (top-left aligned, as PyTorch); refused together with `attnMask`. */
  isCausal?: boolean;
  /** Multiplies the scores Q Kᵀ (default 1/√E). */
  scale?: number | null;
}

/** The options of `attentionWeights`: `scaledDotProductAttention`'s, without dropout. */
export type AttentionWeightsOptions = Omit<ScaledDotProductAttentionOptions, "dropoutP">;

function checkFloat(op: string, name: string, value: unknown): Tensor {
  const t = checkFloatTensor(op, name, value);
  if (t.ndim < 2) {
    const dims = name === "query" ? "L, E" : name === "key" ? "S, E" : "S, Ev";
    throw new NablaError(op, `${name} must have at least 2 dims [..., ${dims}], got ${formatShape(t.shape)}`);
  }
  return t;
}

/** What the checked arguments of an attention call come to. */
interface AttentionCall {
  /** The batch dims of query, key, value and mask, broadcast together. */
  batch: number[];
  /** The additive mask (0 / −∞ for a bool or causal mask), or null. */
  bias: Tensor | null;
  /**
   * Whether the mask may hide every key from a query (a bool or float one may; a causal one never
   * does, as every query sees key 0), so that the softmax must give such rows 0.
   */
  guardRows: boolean;
  scale: number;
}

/**
 * Checks how query and key (and value, when given), already checked one by one, fit together, and
 * the options; turns a bool or causal mask into the float bias the scores are shifted by.
 */
function checkAttention(op: string, query: Tensor, key: Tensor, value: Tensor | null, options: AttentionWeightsOptions): AttentionCall {
  const { attnMask = null, isCausal = false, scale = null } = checkOptions(op, options);
  checkBoolean(op, "isCausal", isCausal);
  if (scale !== null) checkNumber(op, "scale", scale);
  if (attnMask !== null) checkTensor(op, "attnMask", attnMask);
  const tensors = value === null ? [query, key] : [query, key, value];
  if (tensors.some((t) => t.dtype !== query.dtype)) {
    throw new NablaError(
      op,
      `query, key${value === null ? "" : " and value"} must share a dtype, got ${tensors.map((t) => t.dtype).join(", ")}`,
    );
  }
  const [L, E] = query.shape.slice(-2) as [number, number];
  const [S, keyE] = key.shape.slice(-2) as [number, number];
  if (keyE !== E) {
    throw new NablaError(
      op,
      `expected query [..., L, E] and key [..., S, E] with the same E, got query ${formatShape(query.shape)} and key ${formatShape(key.shape)}`,
    );
  }
  if (value !== null && value.shape[value.ndim - 2] !== S) {
    throw new NablaError(
      op,
      `expected key [..., S, E] and value [..., S, Ev] with the same S, got key ${formatShape(key.shape)} and value ${formatShape(value.shape)}`,
    );
  }
  const batchOf = (t: Tensor) => t.shape.slice(0, -2);
  let batch: number[];
  try {
    batch = broadcastShapes(op, ...tensors.map(batchOf));
  } catch {
    const names = value === null ? "query and key" : "query, key and value";
    throw new NablaError(op, `the batch dims of ${names} do not broadcast: ${tensors.map((t) => formatShape(t.shape)).join(", ")}`);
  }
  if (isCausal && attnMask !== null) {
    throw new NablaError(
      op,
      `isCausal cannot be combined with attnMask ${formatShape(attnMask.shape)} (the causal mask is built from L and S)`,
    );
  }
  let bias: Tensor | null = null;
  if (attnMask !== null) {
    const expected = `[..., ${L}, ${S}]`;
    if (attnMask.dtype !== "bool" && attnMask.dtype !== query.dtype) {
      throw new NablaError(
        op,
        `attnMask must be bool or the query's dtype ${query.dtype}, got ${attnMask.dtype} of shape ${formatShape(attnMask.shape)}`,
      );
    }
    let full: number[] | null;
    try {
      full = broadcastShapes(op, [...batch, L, S], attnMask.shape);
    } catch {
      full = null;
    }
    if (full === null || full[full.length - 2] !== L || full[full.length - 1] !== S) {
      throw new NablaError(
        op,
        `attnMask ${formatShape(attnMask.shape)} does not broadcast to the attention weights ${formatShape([...batch, L, S])} (${expected})`,
      );
    }
    batch = full.slice(0, -2);
    // a bool mask marks the positions that take part: the others get −∞
    bias = attnMask.dtype === "bool" ? to(where(attnMask, 0, -Infinity), query.dtype) : attnMask;
  } else if (isCausal) {
    bias = causalBias(L, S, query.dtype as "float32" | "float64");
  }
  return { batch, bias, guardRows: attnMask !== null, scale: scale ?? 1 / Math.sqrt(E) };
}

/** `[L, S]`: 0 where key j ≤ query i (top-left aligned, as PyTorch's `is_causal`), −∞ above. */
function causalBias(L: number, S: number, dtype: "float32" | "float64"): Tensor {
  const data = dtype === "float32" ? new Float32Array(L * S) : new Float64Array(L * S);
  for (let i = 0; i < L; i++) data.fill(-Infinity, i * S + Math.min(i + 1, S), (i + 1) * S);
  return Tensor.fromData(data, [L, S], dtype);
}

/**
 * P = softmax(Q Kᵀ·scale + bias) over the keys, with Q and K expanded to the common batch. With
 * `guardRows`, a row whose scores are all −∞ (every key masked) gets weights 0 rather than 0/0 =
 * NaN, as PyTorch's `_safe_softmax` (since 2.5). Written in differentiable ops.
 */
function weightsOf(query: Tensor, key: Tensor, bias: Tensor | null, guardRows: boolean, scale: number, batch: readonly number[]): Tensor {
  const [L, E] = query.shape.slice(-2) as [number, number];
  const S = key.shape[key.ndim - 2]!;
  let scores = matmul(expandTo(query, [...batch, L, E]), transpose(expandTo(key, [...batch, S, E]), -2, -1));
  // with E = 0 the scores are an empty sum, 0 whatever the scale, as PyTorch (which scales Q and K
  // before their product): the default 1/√0 = ∞ would make them 0·∞ = NaN
  if (E > 0) scores = mul(scores, scale);
  if (bias !== null) scores = add(scores, bias);
  if (!guardRows || scores.numel === 0) return softmax(scores, -1);
  // every row goes through the wheres, which leave rows with a key untouched: nothing is read back
  // to ask whether any row is fully masked. The masked rows' scores are replaced by 0 before the
  // softmax too, so no NaN is computed there: softmax's backward would multiply it by the zero
  // gradient the outer where passes, giving NaN
  const masked = eq(max(scores, -1, true), -Infinity);
  return where(masked, 0, softmax(where(masked, 0, scores), -1));
}

function expandTo(t: Tensor, shape: readonly number[]): Tensor {
  return t.ndim === shape.length && t.shape.every((size, d) => size === shape[d]) ? t : expand(t, shape);
}

interface AttentionFields {
  guardRows: boolean;
  scale: number;
  batch: readonly number[];
  /** The dropout mask scaled by 1/(1 − p), or null without dropout. */
  keep: Tensor | null;
}

/**
 * O = (P ⊙ Z) V with P = softmax(Q Kᵀ·scale + M): one op whose backward keeps the attention weights
 * P (and the inputs), never the scores or any other intermediate.
 */
const attention = defineOp({
  name: "scaledDotProductAttention",
  formula: {
    forward: "O = (P ⊙ Z) V,  P = softmax(Q Kᵀ·s + M)",
    backward: "P̄ = (Ō Vᵀ) ⊙ Z,  S̄ = P ⊙ (P̄ − Σ P̄ ⊙ P),  Q̄ = S̄ K·s,  K̄ = S̄ᵀ Q·s,  V̄ = (P ⊙ Z)ᵀ Ō,  M̄ = S̄",
  },
  forward(
    ctx: OpContext<AttentionFields>,
    query: Tensor,
    key: Tensor,
    value: Tensor,
    bias: Tensor | null,
    guardRows: boolean,
    scale: number,
    dropoutP: number,
    batch: readonly number[],
  ): Tensor {
    const weights = weightsOf(query, key, bias, guardRows, scale, batch);
    ctx.guardRows = guardRows;
    ctx.scale = scale;
    ctx.batch = batch;
    ctx.keep = dropoutP > 0 ? keepMask(weights, dropoutP) : null;
    ctx.save(query, key, value, weights, ...(bias === null ? [] : [bias]));
    const [S, Ev] = value.shape.slice(-2) as [number, number];
    const attended = ctx.keep === null ? weights : mul(weights, ctx.keep);
    return matmul(attended, expandTo(value, [...batch, S, Ev]));
  },
  backward(ctx, gradOut) {
    const [query, key, value, savedWeights, bias = null] = ctx.saved as [Tensor, Tensor, Tensor, Tensor, Tensor?];
    const { guardRows, scale, batch, keep } = ctx;
    const [needsQuery, needsKey, needsValue, needsBias] = ctx.needsInputGrad;
    // under createGraph P must be a function of Q, K and M for the second derivative: recompute it
    const weights = isGradEnabled() ? weightsOf(query, key, bias, guardRows, scale, batch) : savedWeights;
    const [L, E] = query.shape.slice(-2) as [number, number];
    const [S, Ev] = value.shape.slice(-2) as [number, number];
    const valueFull = expandTo(value, [...batch, S, Ev]);
    const attended = keep === null ? weights : mul(weights, keep);
    const gradValue = needsValue ? sumTo(matmul(transpose(attended, -2, -1), gradOut), value.shape) : null;
    let gradQuery: Tensor | null = null;
    let gradKey: Tensor | null = null;
    let gradBias: Tensor | null = null;
    if (needsQuery || needsKey || needsBias) {
      const gradAttended = matmul(gradOut, transpose(valueFull, -2, -1));
      // the softmax VJP: J = diag(p) − p pᵀ per row, so S̄ = P ⊙ (P̄ − Σ P̄ ⊙ P)
      const gradScores = softmaxBackward(weights, keep === null ? gradAttended : mul(gradAttended, keep), -1);
      if (needsQuery) gradQuery = sumTo(mul(matmul(gradScores, expandTo(key, [...batch, S, E])), scale), query.shape);
      if (needsKey) gradKey = sumTo(mul(matmul(transpose(gradScores, -2, -1), expandTo(query, [...batch, L, E])), scale), key.shape);
      if (needsBias && bias !== null) gradBias = sumTo(gradScores, bias.shape);
    }
    return [gradQuery, gradKey, gradValue, gradBias].slice(0, ctx.needsInputGrad.length);
  },
});

/** Dropout's mask for `weights`: 1/(1 − p) where kept (probability 1 − p), 0 where dropped. */
function keepMask(weights: Tensor, p: number): Tensor {
  if (p === 1) return mul(weights, 0); // everything dropped; 1/(1 − p) would be infinite
  return mul(to(ge(rand(weights.shape, { dtype: weights.dtype }), p), weights.dtype), 1 / (1 - p));
}

/**
 * Scaled dot-product attention, as PyTorch 2's `F.scaled_dot_product_attention`:
 * `softmax(Q Kᵀ · scale + mask) V` for query `[..., L, E]`, key `[..., S, E]` and value
 * `[..., S, Ev]`, giving `[..., L, Ev]`; the batch dims broadcast (heads are one more batch dim).
 * - `attnMask` broadcasts to `[..., L, S]`: a bool mask marks the positions that take part (false
 *   becomes −∞), a float mask is added to the scores (and gets a gradient);
 * - `isCausal`: query i sees keys 0…i (top-left aligned), refused together with `attnMask`;
 * - `scale` defaults to 1/√E; `dropoutP` zeroes attention weights with that probability (scaling
 *   the rest by 1/(1 − p)) whenever it is above 0, from the global generator (`manualSeed`).
 *
 * A query whose keys are all masked gets weights 0, so its output is 0 (PyTorch ≥ 2.5). One op:
 * its backward keeps the attention weights, not every intermediate. Mismatched E, S, dtypes or mask
 * shapes are NablaErrors.
 *
 * @example
 * ```ts
 * const q = tensor([[1, 0], [0, 1]]);
 * const k = tensor([[1, 0], [0, 1]]);
 * const v = tensor([[1, 2], [3, 4]]);
 * scaledDotProductAttention(q, k, v, { scale: 0 });             // → [[2, 3], [2, 3]]
 * scaledDotProductAttention(q, k, v, { isCausal: true });       // → [[1, 2], [2.3395, 3.3395]]
 * scaledDotProductAttention(q, k, v, { attnMask: tensor([[false, true], [true, true]]) }).select(0, 0); // → [3, 4]
 * scaledDotProductAttention(randn([2, 4, 5, 8]), randn([2, 4, 6, 8]), randn([2, 4, 6, 3])).shape; // → [2, 4, 5, 3]
 * scaledDotProductAttention(q, zeros([2, 3]), v); // throws scaledDotProductAttention: expected query [..., L, E] and key [..., S, E] with the same E, got query [2, 2] and key [2, 3]
 * ```
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const op = "scaledDotProductAttention";
  checkFloat(op, "query", query);
  checkFloat(op, "key", key);
  checkFloat(op, "value", value);
  const { batch, bias, guardRows, scale } = checkAttention(op, query, key, value, options);
  const dropoutP = checkProbability(op, "dropoutP", options.dropoutP ?? 0);
  return attention(query, key, value, bias, guardRows, scale, dropoutP, batch);
}

/**
 * The attention weights `softmax(Q Kᵀ · scale + mask)` over the keys, `[..., L, S]`, with the
 * masks, scale and broadcasting of `scaledDotProductAttention` (a fully masked row gives 0s):
 * what `MultiheadAttention` returns as its weights. Composed of differentiable ops.
 *
 * @example
 * ```ts
 * attentionWeights(tensor([[1, 0], [0, 1]]), tensor([[1, 0], [0, 1]]), { scale: 0 });     // → [[0.5, 0.5], [0.5, 0.5]]
 * attentionWeights(tensor([[0], [0]]), tensor([[0], [0]]), { isCausal: true });           // → [[1, 0], [0.5, 0.5]]
 * attentionWeights(tensor([[0]]), tensor([[0], [0]]), { attnMask: tensor([[false, false]]) }); // → [[0, 0]]
 * ```
 */
export function attentionWeights(query: Tensor, key: Tensor, options: AttentionWeightsOptions = {}): Tensor {
  const op = "attentionWeights";
  checkFloat(op, "query", query);
  checkFloat(op, "key", key);
  const { batch, bias, guardRows, scale } = checkAttention(op, query, key, null, options);
  return weightsOf(query, key, bias, guardRows, scale, batch);
}

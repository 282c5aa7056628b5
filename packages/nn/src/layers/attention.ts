import {
  add,
  formatShape,
  full,
  matmul,
  mean,
  NablaError,
  narrow,
  noGrad,
  permute,
  reshape,
  squeeze,
  type Tensor,
  to,
  triu,
  unsqueeze,
  where,
  zero_,
  zeros,
} from "@nabla/tensor/functional";
import { attentionWeights, dropout, scaledDotProductAttention } from "@nabla/ops/functional";
import { checkBoolean, checkInteger, checkOptions, checkTensor } from "@nabla/tensor/internal";
import { xavierUniform_ } from "../init";
import { Module } from "../module";
import { Linear, linear } from "./linear";
import { type FloatDType, checkDType, checkDropout, checkModuleTensor } from "./checks";

/** Options of `MultiheadAttention`, as PyTorch's keywords (camelCase). */
export interface MultiheadAttentionOptions {
  /** The probability of dropping an attention weight in training (default 0). */
  dropout?: number;
  /** Learn the biases of the input and output projections (default true). */
  bias?: boolean;
  /** Inputs and outputs are `(N, L, E)` rather than `(L, N, E)` (default false). */
  batchFirst?: boolean;
  /** The size of each key's features (default `embedDim`). */
  kdim?: number | null;
  /** The size of each value's features (default `embedDim`). */
  vdim?: number | null;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: FloatDType;
}

/** Options of `MultiheadAttention.forward`, as PyTorch's keywords (camelCase). */
export interface MultiheadAttentionForwardOptions {
  /** `(N, S)`, or `(S)` unbatched: a bool mask marks the keys NOT to attend (true), a float mask is added. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true); false returns `[output, null]`. */
  needWeights?: boolean;
  /** `(L, S)` or `(N·numHeads, L, S)`: a bool mask marks the positions NOT to attend (true), a float mask is added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true), else one set per head. */
  averageAttnWeights?: boolean;
  /** Query i attends to keys 0…i; with an `attnMask` as well, the mask is taken to be that causal mask, as PyTorch. */
  isCausal?: boolean;
}

/** The output projection's class, named as PyTorch names it, so reprs match. */
class NonDynamicallyQuantizableLinear extends Linear {}

/**
 * Multi-head attention, as PyTorch's `nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0,
 * bias=True, kdim=None, vdim=None, batch_first=False)`: the query, key and value are projected to
 * `embedDim` features, split into `numHeads` heads of `embedDim / numHeads` features, attended with
 * `scaledDotProductAttention` (all heads at once, as one batch dim), joined and projected again.
 *
 * Parameters, with PyTorch's names, layouts and initialisation: `in_proj_weight` `[3E, E]` (the
 * query, key and value projections stacked; Xavier uniform), or `q_proj_weight` `[E, E]`,
 * `k_proj_weight` `[E, kdim]` and `v_proj_weight` `[E, vdim]` when kdim or vdim differ from E;
 * `in_proj_bias` `[3E]` (zeros); and the child `out_proj`, a Linear `E → E` whose bias starts at 0.
 * So a PyTorch state dict, saved as safetensors, loads with `loadStateDict`.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const attention = new MultiheadAttention(8, 2, { batchFirst: true });
 * const x = randn([3, 5, 8]);
 * const [output, weights] = attention.forward(x, x, x);
 * output.shape;   // → [3, 5, 8]
 * weights!.shape; // → [3, 5, 5]
 * (weights!.sum(-1).sub(1).abs().max().item() as number) < 1e-6; // → true
 * Object.keys(attention.stateDict()); // → ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
 * new MultiheadAttention(10, 3); // throws MultiheadAttention: embedDim 10 must be divisible by numHeads 3
 * ```
 */
export class MultiheadAttention extends Module<[Tensor, Tensor | null]> {
  /** The size E of the queries' features, and of the output's. */
  readonly embedDim: number;
  /** The number of heads. */
  readonly numHeads: number;
  /** The probability of dropping an attention weight in training. */
  readonly dropout: number;
  /** Whether inputs and outputs are `(N, L, E)`. */
  readonly batchFirst: boolean;
  /** The size of the keys' features. */
  readonly kdim: number;
  /** The size of the values' features. */
  readonly vdim: number;
  /** `embedDim / numHeads`, each head's features. */
  readonly headDim: number;
  /** The stacked query, key and value projections `[3E, E]`, or null when kdim or vdim differ from E. */
  in_proj_weight: Tensor | null;
  /** The query projection `[E, E]` when kdim or vdim differ from E, else null. */
  q_proj_weight: Tensor | null;
  /** The key projection `[E, kdim]` when kdim or vdim differ from E, else null. */
  k_proj_weight: Tensor | null;
  /** The value projection `[E, vdim]` when kdim or vdim differ from E, else null. */
  v_proj_weight: Tensor | null;
  /** The stacked biases of the three projections `[3E]`, or null with `{ bias: false }`. */
  in_proj_bias: Tensor | null;
  /** The output projection, `E → E`. */
  out_proj: Linear;
  private readonly dtype: FloatDType;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const op = "MultiheadAttention";
    this.embedDim = checkInteger(op, "embedDim", embedDim, { min: 1 });
    this.numHeads = checkInteger(op, "numHeads", numHeads, { min: 1 });
    if (embedDim % numHeads !== 0) throw new NablaError(op, `embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    const { dropout: p = 0, bias = true, batchFirst = false, kdim = null, vdim = null, dtype = "float32" } = checkOptions(op, options);
    this.dropout = checkDropout(op, p);
    checkBoolean(op, "bias", bias);
    this.batchFirst = checkBoolean(op, "batchFirst", batchFirst);
    this.kdim = kdim === null ? embedDim : checkInteger(op, "kdim", kdim, { min: 1 });
    this.vdim = vdim === null ? embedDim : checkInteger(op, "vdim", vdim, { min: 1 });
    this.dtype = checkDType(op, dtype);
    const E = embedDim;
    const stacked = this.kdim === E && this.vdim === E;
    const weight = (rows: number, columns: number) => zeros([rows, columns], { dtype });
    this.q_proj_weight = this.registerParameter("q_proj_weight", stacked ? null : weight(E, E));
    this.k_proj_weight = this.registerParameter("k_proj_weight", stacked ? null : weight(E, this.kdim));
    this.v_proj_weight = this.registerParameter("v_proj_weight", stacked ? null : weight(E, this.vdim));
    this.in_proj_weight = this.registerParameter("in_proj_weight", stacked ? weight(3 * E, E) : null);
    this.in_proj_bias = this.registerParameter("in_proj_bias", bias ? zeros([3 * E], { dtype }) : null);
    this.out_proj = new NonDynamicallyQuantizableLinear(E, E, { bias, dtype });
    // PyTorch's _reset_parameters
    for (const w of [this.in_proj_weight, this.q_proj_weight, this.k_proj_weight, this.v_proj_weight]) if (w !== null) xavierUniform_(w);
    if (this.out_proj.bias !== null) noGrad(() => zero_(this.out_proj.bias!));
  }

  /**
   * Attends `query` to `key`/`value`: `(L, N, E)`, `(S, N, kdim)` and `(S, N, vdim)` (or
   * `(N, L, E)`, … with `batchFirst`; `(L, E)`, … unbatched). Returns `[output, weights]`: the
   * output shaped like the query, and the attention weights `(N, L, S)` averaged over the heads
   * (`(N, numHeads, L, S)` with `averageAttnWeights: false`; no N unbatched), or null with
   * `needWeights: false`. The masks follow PyTorch's `nn.MultiheadAttention`: a bool mask marks the
   * positions that may NOT be attended (the opposite of `scaledDotProductAttention`'s), a float mask
   * is added to the scores; a query with every key masked gets output `out_proj(0)`, weights 0.
   * Dropout acts on the weights in training only, and the weights returned are the ones applied.
   *
   * @example
   * ```ts
   * const attention = new MultiheadAttention(4, 2);
   * const x = randn([3, 4]); // unbatched: (L, E)
   * const [, weights] = attention.forward(x, x, x, { attnMask: tensor([[false, true, true], [false, false, true], [false, false, false]]) });
   * weights!.mul(tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]])).sum().item(); // → 0
   * attention.forward(x, x, x, { needWeights: false })[1]; // → null
   * attention.forward(x, randn([3, 5]), x); // throws MultiheadAttention: expected key [S, 4] (kdim 4), got [3, 5]
   * ```
   */
  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = "MultiheadAttention";
    for (const [name, t] of [
      ["query", query],
      ["key", key],
      ["value", value],
    ] as const) {
      checkModuleTensor(op, name, t, this.dtype);
    }
    const {
      keyPaddingMask = null,
      needWeights = true,
      attnMask = null,
      averageAttnWeights = true,
      isCausal = false,
    } = checkOptions(op, options);
    checkBoolean(op, "needWeights", needWeights);
    checkBoolean(op, "averageAttnWeights", averageAttnWeights);
    checkBoolean(op, "isCausal", isCausal);
    const batched = this.checkShapes(query, key, value);
    const [N, L, S] = batched
      ? this.batchFirst
        ? [query.shape[0]!, query.shape[1]!, key.shape[1]!]
        : [query.shape[1]!, query.shape[0]!, key.shape[0]!]
      : [1, query.shape[0]!, key.shape[0]!];
    const mask = this.combinedMask(attnMask, keyPaddingMask, isCausal, batched, N, L, S);
    const [q, k, v] = this.project(query, key, value, batched);
    const dropoutP = this.training ? this.dropout : 0;
    // a causal mask alone goes to the op as isCausal; merged with others it is part of `mask`
    const causal = isCausal && attnMask === null && keyPaddingMask === null;
    let attended: Tensor;
    let weights: Tensor | null = null;
    if (needWeights) {
      weights = attentionWeights(q, k, { attnMask: mask, isCausal: causal });
      if (dropoutP > 0) weights = dropout(weights, dropoutP);
      attended = matmul(weights, v);
      if (averageAttnWeights) weights = mean(weights, 1);
      if (!batched) weights = squeeze(weights, 0);
    } else {
      attended = scaledDotProductAttention(q, k, v, { attnMask: mask, isCausal: causal, dropoutP });
    }
    // [N, H, L, hd] → the query's layout, heads joined, then the output projection
    const order = !batched || this.batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3];
    const joined = reshape(permute(attended, order), batched ? [...query.shape.slice(0, 2), this.embedDim] : [L, this.embedDim]);
    return [this.out_proj.forward(joined), weights];
  }

  /** Checks the ranks and sizes of query, key and value; returns whether they are batched. */
  private checkShapes(query: Tensor, key: Tensor, value: Tensor): boolean {
    const op = "MultiheadAttention";
    const layout = this.batchFirst ? "(N, L, E)" : "(L, N, E)";
    if (query.ndim !== 2 && query.ndim !== 3) {
      throw new NablaError(op, `expected query of shape (L, E) unbatched or ${layout} batched, got ${formatShape(query.shape)}`);
    }
    if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
      throw new NablaError(
        op,
        `query, key and value must all be batched (3-D) or all unbatched (2-D), got query ${formatShape(query.shape)}, key ${formatShape(key.shape)} and value ${formatShape(value.shape)}`,
      );
    }
    const batched = query.ndim === 3;
    const lead = batched ? (this.batchFirst ? "N, S, " : "S, N, ") : "S, ";
    for (const [name, t, size, what] of [
      ["query", query, this.embedDim, "embedDim"],
      ["key", key, this.kdim, "kdim"],
      ["value", value, this.vdim, "vdim"],
    ] as const) {
      if (t.shape[t.ndim - 1] !== size) {
        const dims = name === "query" ? lead.replace("S", "L") : lead;
        throw new NablaError(op, `expected ${name} [${dims}${size}] (${what} ${size}), got ${formatShape(t.shape)}`);
      }
    }
    const sequence = batched && !this.batchFirst ? 0 : batched ? 1 : 0;
    if (key.shape[sequence] !== value.shape[sequence] || (batched && key.shape[1 - sequence] !== value.shape[1 - sequence])) {
      throw new NablaError(
        op,
        `key ${formatShape(key.shape)} and value ${formatShape(value.shape)} must agree on their leading dims (S and N)`,
      );
    }
    if (batched && query.shape[1 - sequence] !== key.shape[1 - sequence]) {
      throw new NablaError(op, `query ${formatShape(query.shape)} and key ${formatShape(key.shape)} have different batch sizes`);
    }
    return batched;
  }

  /** The three projections, split into heads: `[N, H, L, hd]`, `[N, H, S, hd]`, `[N, H, S, hd]`. */
  private project(query: Tensor, key: Tensor, value: Tensor, batched: boolean): [Tensor, Tensor, Tensor] {
    const E = this.embedDim;
    const H = this.numHeads;
    const hd = this.headDim;
    // (L, N, ·), (N, L, ·) or unbatched (L, ·) → [N, H, L, hd], after splitting the features into [H, hd]
    const toHeads = (t: Tensor) => {
      const split = reshape(t, [...t.shape.slice(0, -1), H, hd]);
      if (!batched) return unsqueeze(permute(split, [1, 0, 2]), 0);
      return permute(split, this.batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
    };
    const bias = this.in_proj_bias;
    const part = (i: number) => (bias === null ? null : narrow(bias, 0, i * E, E));
    if (this.in_proj_weight !== null && query === key && key === value) {
      // self-attention: one projection [.., 3E], cut into q, k and v
      const qkv = linear(query, this.in_proj_weight, bias);
      return [0, 1, 2].map((i) => toHeads(narrow(qkv, -1, i * E, E))) as [Tensor, Tensor, Tensor];
    }
    const weights =
      this.in_proj_weight !== null
        ? [0, 1, 2].map((i) => narrow(this.in_proj_weight!, 0, i * E, E))
        : [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!];
    return [query, key, value].map((t, i) => toHeads(linear(t, weights[i]!, part(i)))) as [Tensor, Tensor, Tensor];
  }

  /**
   * The attention mask and key padding mask as one float mask that broadcasts to `[N, H, L, S]`
   * (bool true → −∞), merged with the causal mask when there is more than one; null when none.
   */
  private combinedMask(
    attnMask: Tensor | null,
    keyPaddingMask: Tensor | null,
    isCausal: boolean,
    batched: boolean,
    N: number,
    L: number,
    S: number,
  ): Tensor | null {
    const op = "MultiheadAttention";
    const H = this.numHeads;
    const masks: Tensor[] = [];
    if (attnMask !== null) {
      this.checkMaskDtype("attnMask", attnMask);
      const heads = batched ? [N * H, L, S] : [H, L, S];
      if (attnMask.ndim === 2 && attnMask.shape[0] === L && attnMask.shape[1] === S) masks.push(this.additive(attnMask));
      else if (attnMask.ndim === 3 && attnMask.shape.every((size, d) => size === heads[d])) {
        masks.push(reshape(this.additive(attnMask), [N, H, L, S]));
      } else {
        throw new NablaError(
          op,
          `attnMask must be [L, S] = ${formatShape([L, S])} or [${batched ? "N·numHeads" : "numHeads"}, L, S] = ${formatShape(heads)}, got ${formatShape(attnMask.shape)}`,
        );
      }
    }
    if (keyPaddingMask !== null) {
      this.checkMaskDtype("keyPaddingMask", keyPaddingMask);
      const expected = batched ? [N, S] : [S];
      if (keyPaddingMask.ndim !== expected.length || keyPaddingMask.shape.some((size, d) => size !== expected[d])) {
        throw new NablaError(
          op,
          `keyPaddingMask must be ${batched ? "[N, S]" : "[S]"} = ${formatShape(expected)}, got ${formatShape(keyPaddingMask.shape)}`,
        );
      }
      masks.push(reshape(this.additive(keyPaddingMask), [N, 1, 1, S]));
    }
    if (isCausal && attnMask === null && keyPaddingMask !== null) {
      // key j ≤ query i takes part (top-left aligned); the rest gets −∞
      masks.push(triu(full([L, S], -Infinity, { dtype: this.dtype }), 1));
    }
    return masks.length === 0 ? null : masks.reduce((sum, mask) => add(sum, mask));
  }

  private checkMaskDtype(name: string, mask: unknown): void {
    const t = checkTensor("MultiheadAttention", name, mask);
    if (t.dtype !== "bool" && t.dtype !== this.dtype) {
      throw new NablaError("MultiheadAttention", `${name} must be bool or ${this.dtype} (the module's dtype), got ${t.dtype}`);
    }
  }

  /** A bool mask (true: not attended) as 0 / −∞ in the module's dtype; a float mask as it is. */
  private additive(mask: Tensor): Tensor {
    return mask.dtype === "bool" ? to(where(mask, -Infinity, 0), this.dtype) : mask;
  }
}

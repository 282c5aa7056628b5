import type { ParameterInit, TransformerConfig } from "./tasks";

/**
 * Input data shared by every library in a run: each workload draws its arrays from a seeded
 * stream, so nabla and each peer see the same numbers.
 */

/** mulberry32: a small, fast 32-bit generator; good enough for benchmark inputs. */
export class InputStream {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(length: number, low = -1, high = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = low + (high - low) * this.next();
    return out;
  }

  /** Standard normal values (Box–Muller). */
  normal(length: number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(1 - this.next()));
      const angle = 2 * Math.PI * this.next();
      out[i] = radius * Math.cos(angle);
      if (i + 1 < length) out[i + 1] = radius * Math.sin(angle);
    }
    return out;
  }

  /** Integers in [0, high). */
  integers(length: number, high: number): Int32Array {
    const out = new Int32Array(length);
    for (let i = 0; i < length; i++) out[i] = Math.floor(this.next() * high);
    return out;
  }

  /** A uniformly random ordering of 0 … n−1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }
}

/** Weights and bias of one dense layer, stored as nabla and PyTorch do: weight [out, in]. */
export interface DenseInit {
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** PyTorch's default Linear init, U(−1/√in, 1/√in) for weight and bias, from a seeded stream. */
export function denseInit(stream: InputStream, inFeatures: number, outFeatures: number): DenseInit {
  const bound = 1 / Math.sqrt(inFeatures);
  return {
    inFeatures,
    outFeatures,
    weight: stream.uniform(outFeatures * inFeatures, -bound, bound),
    bias: stream.uniform(outFeatures, -bound, bound),
  };
}

/** weight [out, in] as [in, out]: the layout TF.js and jax users keep dense kernels in. */
export function transposed(init: DenseInit): Float32Array {
  return transposeMatrix(init.weight, init.outFeatures, init.inFeatures);
}

/** A row-major [rows, cols] matrix as row-major [cols, rows]. */
export function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}

/**
 * makemore's transformer parameters, initialised as PyTorch's modules do (Embedding N(0, 1), Linear
 * U(−1/√in, 1/√in), LayerNorm weight 1 and bias 0), under makemore's names and in its order.
 */
export function transformerInit(stream: InputStream, config: TransformerConfig): Map<string, ParameterInit> {
  const { vocabSize, blockSize, nLayer, nEmbd } = config;
  const params = new Map<string, ParameterInit>();
  const linear = (name: string, inFeatures: number, outFeatures: number, bias = true) => {
    const init = denseInit(stream, inFeatures, outFeatures);
    params.set(`${name}.weight`, { shape: [outFeatures, inFeatures], data: init.weight });
    if (bias) params.set(`${name}.bias`, { shape: [outFeatures], data: init.bias });
  };
  const layerNorm = (name: string) => {
    params.set(`${name}.weight`, { shape: [nEmbd], data: new Float32Array(nEmbd).fill(1) });
    params.set(`${name}.bias`, { shape: [nEmbd], data: new Float32Array(nEmbd) });
  };
  params.set("transformer.wte.weight", { shape: [vocabSize, nEmbd], data: stream.normal(vocabSize * nEmbd) });
  params.set("transformer.wpe.weight", { shape: [blockSize, nEmbd], data: stream.normal(blockSize * nEmbd) });
  for (let i = 0; i < nLayer; i++) {
    const block = `transformer.h.${i}`;
    layerNorm(`${block}.ln_1`);
    linear(`${block}.attn.c_attn`, nEmbd, 3 * nEmbd);
    linear(`${block}.attn.c_proj`, nEmbd, nEmbd);
    layerNorm(`${block}.ln_2`);
    linear(`${block}.mlp.c_fc`, nEmbd, 4 * nEmbd);
    linear(`${block}.mlp.c_proj`, 4 * nEmbd, nEmbd);
  }
  layerNorm("transformer.ln_f");
  linear("lm_head", nEmbd, vocabSize, false);
  return params;
}

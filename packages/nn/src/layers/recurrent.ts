import { cat, formatShape, NablaError, select, squeeze, stack, type Tensor, transpose, unsqueeze, zeros } from "@nabla/tensor/functional";
import { dropout as dropoutOp } from "@nabla/ops/functional";
import { checkBoolean, checkInteger, checkOptions, describeValue } from "@nabla/tensor/internal";
import { Module } from "../module";
import { pythonBool, pythonFloat } from "../repr";
import { linear } from "./linear";
import {
  GATES,
  type RNNNonlinearity,
  type RecurrentMode,
  type StepWeights,
  checkNonlinearity,
  recurrentParameter,
  recurrentStep,
} from "./recurrent-cells";
import { type FloatDType, checkDType, checkDropout, checkModuleTensor } from "./checks";

/** Options of `GRU`, as PyTorch's keywords (camelCase). */
export interface GRUOptions {
  /** The number of stacked layers, each reading the previous one's output (default 1). */
  numLayers?: number;
  /** Learn the biases `bias_ih_l{k}` and `bias_hh_l{k}` (default true). */
  bias?: boolean;
  /** Inputs and outputs `[N, L, *]` instead of `[L, N, *]` (default false; the states stay `[layers, N, H]`). */
  batchFirst?: boolean;
  /** The dropout probability on each layer's output but the last, in training (default 0). */
  dropout?: number;
  /** Also run each layer backwards in time and concatenate both directions' features (default false). */
  bidirectional?: boolean;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: FloatDType;
}

/** Options of `RNN`: `GRU`'s and the nonlinearity. */
export interface RNNOptions extends GRUOptions {
  /** `"tanh"` (default) or `"relu"`. */
  nonlinearity?: RNNNonlinearity;
}

/** Options of `LSTM`: `GRU`'s and the projection size. */
export interface LSTMOptions extends GRUOptions {
  /** When positive, h is projected to this size by `weight_hr_l{k}` `[projSize, hiddenSize]` (default 0: none). */
  projSize?: number;
}

/**
 * What RNN, LSTM and GRU share, as PyTorch's `RNNBase`: for each layer k and direction (suffix
 * `_reverse` for the backward one), in PyTorch's order, `weight_ih_l{k}` `[G·H, in]` (in = inputSize
 * for layer 0, D·H for the others, D·projSize with a projection), `weight_hh_l{k}` `[G·H, H]` (or
 * `[G·H, projSize]`), `bias_ih_l{k}`, `bias_hh_l{k}` `[G·H]` and LSTM's `weight_hr_l{k}`, all from
 * U(−1/√H, 1/√H). The forward projects a layer's whole input with one matmul per direction and
 * loops over time only for the hidden state.
 */
abstract class RecurrentLayer<State> extends Module<[Tensor, State]> {
  /** The size of each input's features. */
  readonly inputSize: number;
  /** The size of the hidden state. */
  readonly hiddenSize: number;
  /** The number of stacked layers. */
  readonly numLayers: number;
  /** Whether the biases are learned. */
  readonly bias: boolean;
  /** Whether inputs and outputs are `[N, L, *]`. */
  readonly batchFirst: boolean;
  /** The dropout probability between layers, in training. */
  readonly dropout: number;
  /** Whether each layer also runs backwards in time. */
  readonly bidirectional: boolean;
  /** LSTM's projection size, 0 for none. */
  readonly projSize: number;
  /** Layer 0's input weights `[G·H, inputSize]`; every parameter is a field of its PyTorch name (`weight_hh_l1_reverse`). */
  declare weight_ih_l0: Tensor;
  /** Layer 0's hidden weights `[G·H, H]`. */
  declare weight_hh_l0: Tensor;
  /** Layer 0's input bias `[G·H]`, absent without bias. */
  declare bias_ih_l0?: Tensor;
  /** Layer 0's hidden bias `[G·H]`, absent without bias. */
  declare bias_hh_l0?: Tensor;
  /** The parameters' dtype, which inputs and states must share. */
  protected readonly dtype: FloatDType;
  /** The recurrence each layer runs. */
  protected readonly mode: RecurrentMode;
  // [layer][direction]: the names of that direction's parameters, read from their fields on each forward
  private readonly weightNames: { ih: string; hh: string; bih: string; bhh: string; hr: string }[][] = [];

  constructor(mode: RecurrentMode, inputSize: number, hiddenSize: number, options: LSTMOptions) {
    super();
    const op = this.constructor.name;
    this.mode = mode;
    this.inputSize = checkInteger(op, "inputSize", inputSize, { min: 0 });
    this.hiddenSize = checkInteger(op, "hiddenSize", hiddenSize, { min: 1 });
    const { numLayers = 1, bias = true, batchFirst = false, dropout = 0, bidirectional = false, projSize = 0, dtype = "float32" } = options;
    this.numLayers = checkInteger(op, "numLayers", numLayers, { min: 1 });
    this.bias = checkBoolean(op, "bias", bias);
    this.batchFirst = checkBoolean(op, "batchFirst", batchFirst);
    this.dropout = checkDropout(op, dropout);
    this.bidirectional = checkBoolean(op, "bidirectional", bidirectional);
    this.projSize = checkInteger(op, "projSize", projSize, { min: 0 });
    if (projSize >= hiddenSize && projSize > 0) {
      throw new NablaError(op, `projSize must be smaller than hiddenSize, got projSize ${projSize} and hiddenSize ${hiddenSize}`);
    }
    this.dtype = checkDType(op, dtype);

    const rows = GATES[mode] * hiddenSize;
    const outSize = projSize > 0 ? projSize : hiddenSize;
    const directions = bidirectional ? 2 : 1;
    const param = (name: string, shape: number[] | null) =>
      this.registerParameter(name, shape === null ? null : recurrentParameter(shape, hiddenSize, dtype));
    for (let layer = 0; layer < numLayers; layer++) {
      const layerInput = layer === 0 ? inputSize : outSize * directions;
      const names = [];
      for (let direction = 0; direction < directions; direction++) {
        const suffix = `_l${layer}${direction === 1 ? "_reverse" : ""}`;
        const n = {
          ih: `weight_ih${suffix}`,
          hh: `weight_hh${suffix}`,
          bih: `bias_ih${suffix}`,
          bhh: `bias_hh${suffix}`,
          hr: `weight_hr${suffix}`,
        };
        param(n.ih, [rows, layerInput]);
        param(n.hh, [rows, outSize]);
        // PyTorch registers no bias parameters at all without bias, and no weight_hr without a projection
        if (bias) {
          param(n.bih, [rows]);
          param(n.bhh, [rows]);
        }
        if (projSize > 0) param(n.hr, [projSize, hiddenSize]);
        names.push(n);
      }
      this.weightNames.push(names);
    }
  }

  /** The state's tensors (`[h0]`, LSTM `[h0, c0]`) as given to `forward`, before checking. */
  protected abstract stateTensors(hx: unknown): unknown[];
  /** The state's names for messages (`hx`, LSTM `hx[0]`, `hx[1]`). */
  protected abstract readonly stateNames: readonly string[];
  /** The final state (`h_n`, LSTM `[h_n, c_n]`) from its tensors. */
  protected abstract finalState(tensors: Tensor[]): State;

  /**
   * The sequence's outputs `[L, N, D·H]` (`[N, L, D·H]` with `batchFirst`, `[L, D·H]` unbatched) and
   * the final state of every layer and direction `[numLayers·D, N, H]` (`[numLayers·D, H]` unbatched).
   */
  forward(input: Tensor, hx?: State | null): [Tensor, State] {
    const op = this.constructor.name;
    const x = checkModuleTensor(op, "input", input, this.dtype);
    const unbatched = x.ndim === 2;
    if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== this.inputSize || x.shape[this.batchFirst && !unbatched ? 1 : 0] === 0) {
      const batched = this.batchFirst ? `[N, L, ${this.inputSize}]` : `[L, N, ${this.inputSize}]`;
      throw new NablaError(op, `expected input of shape ${batched} or [L, ${this.inputSize}] with L > 0, got ${formatShape(x.shape)}`);
    }
    // time-major [L, N, in] throughout
    const sequence = unbatched ? unsqueeze(x, 1) : this.batchFirst ? transpose(x, 0, 1) : x;
    const batch = sequence.shape[1]!;
    const directions = this.bidirectional ? 2 : 1;
    const states = this.initialStates(hx, batch, unbatched);

    let layerInput = sequence;
    const finals: Tensor[][] = states.map(() => []);
    this.weightNames.forEach((names, layer) => {
      if (layer > 0) layerInput = dropoutOp(layerInput, this.dropout, this.training);
      const outputs = names.map((n, direction) => {
        const index = layer * directions + direction;
        const [output, final] = this.runDirection(
          layerInput,
          n,
          direction === 1,
          states.map((s) => s[index]!),
        );
        for (const [i, t] of final.entries()) finals[i]!.push(t);
        return output;
      });
      layerInput = outputs.length === 1 ? outputs[0]! : cat(outputs, 2);
    });

    const output = unbatched ? squeeze(layerInput, 1) : this.batchFirst ? transpose(layerInput, 0, 1) : layerInput;
    return [output, this.finalState(finals.map((f) => (unbatched ? squeeze(stack(f), 1) : stack(f))))];
  }

  /** One layer in one direction: the input's projection in one matmul, then the recurrence step by step. */
  private runDirection(
    sequence: Tensor,
    names: { ih: string; hh: string; bih: string; bhh: string; hr: string },
    reverse: boolean,
    initial: Tensor[],
  ): [Tensor, Tensor[]] {
    const fields = this as unknown as Record<string, Tensor | null | undefined>;
    const projected = linear(sequence, fields[names.ih]!, this.bias ? fields[names.bih]! : null);
    const weights: StepWeights = {
      weightHh: fields[names.hh]!,
      biasHh: this.bias ? fields[names.bhh]! : null,
      weightHr: this.projSize > 0 ? fields[names.hr]! : null,
    };
    const steps = sequence.shape[0]!;
    const outputs: Tensor[] = new Array(steps);
    let state = initial;
    for (let i = 0; i < steps; i++) {
      const t = reverse ? steps - 1 - i : i;
      state = recurrentStep(this.mode, select(projected, 0, t), state, weights);
      outputs[t] = state[0]!;
    }
    return [stack(outputs), state];
  }

  /** For each state tensor, its `[N, H]` slice per layer and direction: the given ones, checked, or zeros. */
  private initialStates(hx: unknown, batch: number, unbatched: boolean): Tensor[][] {
    const op = this.constructor.name;
    const count = this.numLayers * (this.bidirectional ? 2 : 1);
    const given = hx === undefined || hx === null ? null : this.stateTensors(hx);
    return this.stateNames.map((name, i) => {
      // h is projSize wide with a projection; c stays hiddenSize
      const size = i === 0 && this.projSize > 0 ? this.projSize : this.hiddenSize;
      if (given === null) return Array.from({ length: count }, () => zeros([batch, size], { dtype: this.dtype }));
      const t = checkModuleTensor(op, name, given[i], this.dtype);
      const expected = unbatched ? [count, size] : [count, batch, size];
      if (t.ndim !== expected.length || t.shape.some((s, k) => s !== expected[k])) {
        throw new NablaError(op, `expected ${name} of shape ${formatShape(expected)}, got ${formatShape(t.shape)}`);
      }
      const batched = unbatched ? unsqueeze(t, 1) : t;
      return Array.from({ length: count }, (_, k) => select(batched, 0, k));
    });
  }

  /** PyTorch's RNNBase repr: the sizes, then each option that differs from its default. */
  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pythonBool(false)}`;
    if (this.batchFirst) s += `, batch_first=${pythonBool(true)}`;
    if (this.dropout !== 0) s += `, dropout=${pythonFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pythonBool(true)}`;
    return s;
  }
}

/** The single-tensor state of RNN and GRU. */
abstract class HiddenStateLayer extends RecurrentLayer<Tensor> {
  /** The state's name in messages. */
  protected readonly stateNames = ["hx"] as const;

  protected stateTensors(hx: unknown): unknown[] {
    return [hx];
  }

  protected finalState(tensors: Tensor[]): Tensor {
    return tensors[0]!;
  }
}

/**
 * A multi-layer Elman RNN, as PyTorch's `nn.RNN(input_size, hidden_size, num_layers=1,
 * nonlinearity='tanh', bias=True, batch_first=False, dropout=0, bidirectional=False)`: each layer
 * computes h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh). `forward(input, hx?)` takes `[L, N,
 * inputSize]` (`[N, L, inputSize]` with `batchFirst`, or unbatched `[L, inputSize]`) and an initial
 * state `[numLayers·D, N, hiddenSize]` (zeros when absent; D = 2 when bidirectional) and returns
 * `[output, h_n]`: the last layer's h at every step (both directions concatenated) and every
 * layer's final h. Parameters `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, … (and
 * `…_reverse`) have PyTorch's names, order, layouts and init, so a PyTorch state dict loads as it is.
 *
 * @example
 * ```ts
 * const rnn = new RNN(3, 4, { numLayers: 2 });
 * const [output, h] = rnn.forward(randn([5, 2, 3]));
 * [output.shape, h.shape]; // → [[5, 2, 4], [2, 2, 4]]
 * Object.keys(rnn.stateDict()).slice(0, 4); // → ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
 * rnn.toString();          // → "RNN(3, 4, num_layers=2)"
 * new RNN(3, 4, { nonlinearity: "sigmoid" as never }); // throws RNN: nonlinearity must be "tanh" or "relu", got "sigmoid"
 * ```
 */
export class RNN extends HiddenStateLayer {
  /** `"tanh"` or `"relu"`. */
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const { nonlinearity = "tanh", ...rest } = checkOptions("RNN", options);
    checkNonlinearity("RNN", nonlinearity);
    if ("projSize" in rest) throw new NablaError("RNN", "projSize is an option of LSTM only");
    super(nonlinearity === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, rest);
    this.nonlinearity = nonlinearity;
  }
}

/**
 * A multi-layer GRU, as PyTorch's `nn.GRU(input_size, hidden_size, num_layers=1, bias=True,
 * batch_first=False, dropout=0, bidirectional=False)`: each layer runs `GRUCell`'s recurrence (gates
 * r, z, n stacked in that order) over the sequence. Inputs, states, outputs and parameters as `RNN`.
 *
 * @example
 * ```ts
 * const gru = new GRU(3, 4, { batchFirst: true, bidirectional: true });
 * const [output, h] = gru.forward(randn([2, 5, 3]));
 * [output.shape, h.shape];      // → [[2, 5, 8], [2, 2, 4]]
 * gru.stateDict().weight_hh_l0_reverse!.shape; // → [12, 4]
 * gru.toString();               // → "GRU(3, 4, batch_first=True, bidirectional=True)"
 * gru.forward(randn([2, 5, 4])); // throws GRU: expected input of shape [N, L, 3] or [L, 3] with L > 0, got [2, 5, 4]
 * ```
 */
export class GRU extends HiddenStateLayer {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    checkOptions("GRU", options);
    if ("projSize" in options) throw new NablaError("GRU", "projSize is an option of LSTM only");
    super("GRU", inputSize, hiddenSize, options);
  }
}

/**
 * A multi-layer LSTM, as PyTorch's `nn.LSTM(input_size, hidden_size, num_layers=1, bias=True,
 * batch_first=False, dropout=0, bidirectional=False, proj_size=0)`: each layer runs `LSTMCell`'s
 * recurrence (gates i, f, g, o). `forward(input, [h0, c0]?)` returns `[output, [h_n, c_n]]`, the
 * states `[numLayers·D, N, H]`. With `projSize` > 0, h is projected by `weight_hr_l{k}` `[projSize,
 * H]` at every step, so h, the output's features and `weight_hh` use projSize, as PyTorch.
 *
 * @example
 * ```ts
 * const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.5 });
 * const [output, [h, c]] = lstm.eval().forward(randn([5, 2, 3]));
 * [output.shape, h.shape, c.shape]; // → [[5, 2, 4], [2, 2, 4], [2, 2, 4]]
 * lstm.toString();                  // → "LSTM(3, 4, num_layers=2, dropout=0.5)"
 * const projected = new LSTM(3, 4, { projSize: 2 });
 * projected.forward(randn([5, 3]))[0].shape; // → [5, 2]
 * new LSTM(3, 4, { dropout: 2 });   // throws LSTM: dropout must be a probability in [0, 1], got 2
 * ```
 */
export class LSTM extends RecurrentLayer<[Tensor, Tensor]> {
  /** The states' names in messages. */
  protected readonly stateNames = ["hx[0]", "hx[1]"] as const;

  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    checkOptions("LSTM", options);
    super("LSTM", inputSize, hiddenSize, options);
  }

  protected stateTensors(hx: unknown): unknown[] {
    if (!Array.isArray(hx) || hx.length !== 2)
      throw new NablaError("LSTM", `hx must be a pair [h0, c0] of tensors, got ${describeValue(hx)}`);
    return hx;
  }

  protected finalState(tensors: Tensor[]): [Tensor, Tensor] {
    return [tensors[0]!, tensors[1]!];
  }
}

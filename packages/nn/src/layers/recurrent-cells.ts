import {
  add,
  formatShape,
  mul,
  NablaError,
  narrow,
  relu,
  sigmoid,
  squeeze,
  sub,
  tanh,
  type Tensor,
  unsqueeze,
  zeros,
} from "@nabla/tensor/functional";
import { checkBoolean, checkInteger, checkOptions, describeValue } from "@nabla/tensor/internal";
import { uniform_ } from "../init";
import { Module } from "../module";
import { pythonBool } from "../repr";
import { linear } from "./linear";
import { type FloatDType, checkDType, checkModuleTensor } from "./checks";

/** The nonlinearity of a plain (Elman) RNN. */
export type RNNNonlinearity = "tanh" | "relu";

/** What the recurrences share: the kind of unit, which fixes the number of stacked gates. */
export type RecurrentMode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** How many blocks of `hiddenSize` rows `weight_ih` and `weight_hh` stack: LSTM i, f, g, o; GRU r, z, n. */
export const GATES: Record<RecurrentMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** One direction of one layer's weights, as the recurrence reads them. */
export interface StepWeights {
  weightHh: Tensor;
  biasHh: Tensor | null;
  /** LSTM's projection `weight_hr` `[projSize, hiddenSize]`, or null. */
  weightHr: Tensor | null;
}

/**
 * One time step of the recurrence, given the input's projection `gi = x W_ihᵀ + b_ih` `[N, G·H]`
 * (computed for all steps at once by the layers) and the state (`[h]`, LSTM `[h, c]`), as PyTorch:
 *   RNN:  h' = act(gi + h W_hhᵀ + b_hh)
 *   LSTM: [i f g o] = gi + h W_hhᵀ + b_hh;  c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g);  h' = σ(o) ⊙ tanh(c') (· W_hrᵀ)
 *   GRU:  [r z] = σ(gi_rz + gh_rz);  n = tanh(gi_n + r ⊙ gh_n) with gh = h W_hhᵀ + b_hh;  h' = n + z ⊙ (h − n)
 */
export function recurrentStep(mode: RecurrentMode, gi: Tensor, state: readonly Tensor[], weights: StepWeights): Tensor[] {
  const h = state[0]!;
  const gh = linear(h, weights.weightHh, weights.biasHh);
  if (mode === "RNN_TANH") return [tanh(add(gi, gh))];
  if (mode === "RNN_RELU") return [relu(add(gi, gh))];
  const size = gh.shape[1]! / GATES[mode];
  if (mode === "GRU") {
    // r and z in one sigmoid: fewer ops per step, which is what a short sequence of small batches pays for
    const rz = sigmoid(add(narrow(gi, 1, 0, 2 * size), narrow(gh, 1, 0, 2 * size)));
    const n = tanh(add(narrow(gi, 1, 2 * size, size), mul(narrow(rz, 1, 0, size), narrow(gh, 1, 2 * size, size))));
    // (1 − z) ⊙ n + z ⊙ h, with one multiply
    return [add(n, mul(narrow(rz, 1, size, size), sub(h, n)))];
  }
  const gates = add(gi, gh);
  // σ over all four blocks (g's is unused) costs less than three separate calls
  const sigmoids = sigmoid(gates);
  const c = add(mul(narrow(sigmoids, 1, size, size), state[1]!), mul(narrow(sigmoids, 1, 0, size), tanh(narrow(gates, 1, 2 * size, size))));
  const hidden = mul(narrow(sigmoids, 1, 3 * size, size), tanh(c));
  return [weights.weightHr === null ? hidden : linear(hidden, weights.weightHr), c];
}

/** The nonlinearity option, checked. */
export function checkNonlinearity(op: string, nonlinearity: unknown): RNNNonlinearity {
  if (nonlinearity !== "tanh" && nonlinearity !== "relu")
    throw new NablaError(op, `nonlinearity must be "tanh" or "relu", got ${describeValue(nonlinearity)}`);
  return nonlinearity;
}

/** A parameter of `shape` drawn from U(−1/√hiddenSize, 1/√hiddenSize), PyTorch's init of every recurrent weight and bias. */
export function recurrentParameter(shape: number[], hiddenSize: number, dtype: FloatDType): Tensor {
  const bound = 1 / Math.sqrt(hiddenSize);
  return uniform_(zeros(shape, { dtype }), -bound, bound);
}

/** Options of `RNNCell`, as PyTorch's keywords. */
export interface RNNCellOptions {
  /** Learn the biases `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** `"tanh"` (default) or `"relu"`. */
  nonlinearity?: RNNNonlinearity;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: FloatDType;
}

/** Options of `LSTMCell` and `GRUCell`, as PyTorch's keywords. */
export interface RecurrentCellOptions {
  /** Learn the biases `bias_ih` and `bias_hh` (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32); inputs must have the same dtype. */
  dtype?: FloatDType;
}

/**
 * What the three cells share, as PyTorch's `RNNCellBase`: `weight_ih` `[G·H, inputSize]`,
 * `weight_hh` `[G·H, H]`, `bias_ih` and `bias_hh` `[G·H]`, all from U(−1/√H, 1/√H), and the
 * shape checks of one step on a batch `[N, inputSize]` or a single input `[inputSize]`.
 */
abstract class RecurrentCell<Output> extends Module<Output> {
  /** The size of each input. */
  readonly inputSize: number;
  /** The size of the hidden state. */
  readonly hiddenSize: number;
  /** Whether the biases are learned. */
  readonly bias: boolean;
  /** The input weights `[G·hiddenSize, inputSize]`, gates stacked. */
  weight_ih: Tensor;
  /** The hidden weights `[G·hiddenSize, hiddenSize]`, gates stacked. */
  weight_hh: Tensor;
  /** The input bias `[G·hiddenSize]`, or null without bias. */
  bias_ih: Tensor | null;
  /** The hidden bias `[G·hiddenSize]`, or null without bias. */
  bias_hh: Tensor | null;
  /** The parameters' dtype, which inputs and states must share. */
  protected readonly dtype: FloatDType;
  /** The recurrence the cell runs. */
  protected abstract readonly mode: RecurrentMode;

  constructor(op: string, gates: number, inputSize: number, hiddenSize: number, options: RNNCellOptions) {
    super();
    this.inputSize = checkInteger(op, "inputSize", inputSize, { min: 0 });
    this.hiddenSize = checkInteger(op, "hiddenSize", hiddenSize, { min: 1 });
    const { bias = true, dtype = "float32" } = options;
    this.bias = checkBoolean(op, "bias", bias);
    this.dtype = checkDType(op, dtype);
    const rows = gates * hiddenSize;
    this.weight_ih = this.registerParameter("weight_ih", recurrentParameter([rows, inputSize], hiddenSize, dtype));
    this.weight_hh = this.registerParameter("weight_hh", recurrentParameter([rows, hiddenSize], hiddenSize, dtype));
    this.bias_ih = this.registerParameter("bias_ih", bias ? recurrentParameter([rows], hiddenSize, dtype) : null);
    this.bias_hh = this.registerParameter("bias_hh", bias ? recurrentParameter([rows], hiddenSize, dtype) : null);
  }

  /** The input as a batch `[N, inputSize]`, and whether it was a single `[inputSize]`. */
  protected batchedInput(input: unknown): [Tensor, boolean] {
    const op = this.constructor.name;
    const x = checkModuleTensor(op, "input", input, this.dtype);
    if ((x.ndim !== 1 && x.ndim !== 2) || x.shape[x.ndim - 1] !== this.inputSize) {
      throw new NablaError(op, `expected input of shape [N, ${this.inputSize}] or [${this.inputSize}], got ${formatShape(x.shape)}`);
    }
    return x.ndim === 1 ? [unsqueeze(x, 0), true] : [x, false];
  }

  /** A state tensor (`hx`, `cx`) for a batch of `batch`, zeros when absent, batched like the input. */
  protected batchedState(name: string, value: unknown, batch: number, unbatched: boolean): Tensor {
    if (value === undefined || value === null) return zeros([batch, this.hiddenSize], { dtype: this.dtype });
    const op = this.constructor.name;
    const t = checkModuleTensor(op, name, value, this.dtype);
    const expected = unbatched ? [this.hiddenSize] : [batch, this.hiddenSize];
    if (t.ndim !== expected.length || t.shape.some((size, i) => size !== expected[i])) {
      throw new NablaError(op, `expected ${name} of shape ${formatShape(expected)}, got ${formatShape(t.shape)}`);
    }
    return unbatched ? unsqueeze(t, 0) : t;
  }

  /** One step from the batched input and state. */
  protected step(x: Tensor, state: Tensor[]): Tensor[] {
    const gi = linear(x, this.weight_ih, this.bias_ih);
    return recurrentStep(this.mode, gi, state, { weightHh: this.weight_hh, biasHh: this.bias_hh, weightHr: null });
  }

  /** `inputSize, hiddenSize` and `bias=False` when without bias, as PyTorch prints a cell. */
  override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? "" : `, bias=${pythonBool(false)}`}`;
  }
}

/**
 * One step of an Elman RNN, as PyTorch's `nn.RNNCell(input_size, hidden_size, bias=True,
 * nonlinearity='tanh')`: h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) with act tanh or relu. `forward(input, hx?)`
 * takes a batch `[N, inputSize]` (hx `[N, hiddenSize]`) or one input `[inputSize]` (hx
 * `[hiddenSize]`); hx defaults to zeros. Parameters `weight_ih`, `weight_hh`, `bias_ih`,
 * `bias_hh` have PyTorch's names and layouts and are drawn from U(−1/√hiddenSize, 1/√hiddenSize).
 *
 * @example
 * ```ts
 * const cell = new RNNCell(3, 2);
 * cell.forward(randn([4, 3])).shape;                  // → [4, 2]
 * cell.forward(randn([3]), zeros([2])).shape;          // → [2]
 * Object.keys(cell.stateDict());                       // → ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
 * new RNNCell(3, 2, { nonlinearity: "relu" }).toString(); // → "RNNCell(3, 2, nonlinearity=relu)"
 * cell.forward(randn([4, 5]));                         // throws RNNCell: expected input of shape [N, 3] or [3], got [4, 5]
 * ```
 */
export class RNNCell extends RecurrentCell<Tensor> {
  /** `"tanh"` or `"relu"`. */
  readonly nonlinearity: RNNNonlinearity;
  /** The recurrence this cell runs (`RNN_TANH` or `RNN_RELU`). */
  protected readonly mode: RecurrentMode;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const { nonlinearity = "tanh" } = checkOptions("RNNCell", options);
    checkNonlinearity("RNNCell", nonlinearity);
    super("RNNCell", 1, inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
    this.mode = nonlinearity === "tanh" ? "RNN_TANH" : "RNN_RELU";
  }

  /** The next hidden state `[N, hiddenSize]` (`[hiddenSize]` for an unbatched input). */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, unbatched] = this.batchedInput(input);
    const [h] = this.step(x, [this.batchedState("hx", hx, x.shape[0]!, unbatched)]) as [Tensor];
    return unbatched ? squeeze(h, 0) : h;
  }

  /** As the other cells, with `nonlinearity=relu` when not tanh, as PyTorch prints an RNNCell. */
  override extraRepr(): string {
    return `${super.extraRepr()}${this.nonlinearity === "tanh" ? "" : `, nonlinearity=${this.nonlinearity}`}`;
  }
}

/**
 * One step of an LSTM, as PyTorch's `nn.LSTMCell(input_size, hidden_size, bias=True)`: the gates
 * i, f, g, o (stacked in that order in `weight_ih` `[4·H, inputSize]`, `weight_hh` `[4·H, H]` and
 * the biases) give c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g) and h' = σ(o) ⊙ tanh(c'). `forward(input, [hx, cx]?)`
 * returns `[h', c']`; the state defaults to zeros and is batched like the input (`[N, H]` or `[H]`).
 *
 * @example
 * ```ts
 * const cell = new LSTMCell(3, 2);
 * const [h, c] = cell.forward(randn([4, 3]));
 * [h.shape, c.shape];          // → [[4, 2], [4, 2]]
 * cell.weight_ih.shape;        // → [8, 3]
 * cell.forward(randn([3]), [zeros([2]), zeros([2])])[0].shape; // → [2]
 * cell.toString();             // → "LSTMCell(3, 2)"
 * ```
 */
export class LSTMCell extends RecurrentCell<[Tensor, Tensor]> {
  /** The recurrence this cell runs. */
  protected readonly mode = "LSTM";

  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions = {}) {
    checkOptions("LSTMCell", options);
    super("LSTMCell", 4, inputSize, hiddenSize, options);
  }

  /** The next `[h, c]`, each `[N, hiddenSize]` (`[hiddenSize]` for an unbatched input). */
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, Tensor] {
    const [x, unbatched] = this.batchedInput(input);
    if (hx !== undefined && hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new NablaError("LSTMCell", `hx must be a pair [h, c] of tensors, got ${describeValue(hx)}`);
    }
    const batch = x.shape[0]!;
    const state = [this.batchedState("hx[0]", hx?.[0], batch, unbatched), this.batchedState("hx[1]", hx?.[1], batch, unbatched)];
    const [h, c] = this.step(x, state) as [Tensor, Tensor];
    return unbatched ? [squeeze(h, 0), squeeze(c, 0)] : [h, c];
  }
}

/**
 * One step of a GRU, as PyTorch's `nn.GRUCell(input_size, hidden_size, bias=True)`: with the gates r,
 * z, n stacked in that order, r = σ(W_ir x + b_ir + W_hr h + b_hr), z likewise, n = tanh(W_in x +
 * b_in + r ⊙ (W_hn h + b_hn)) and h' = (1 − z) ⊙ n + z ⊙ h. `forward(input, hx?)` as `RNNCell`'s.
 *
 * @example
 * ```ts
 * const cell = new GRUCell(3, 2, { bias: false });
 * cell.forward(randn([4, 3])).shape;  // → [4, 2]
 * cell.weight_hh.shape;               // → [6, 2]
 * cell.bias_ih;                       // → null
 * cell.toString();                    // → "GRUCell(3, 2, bias=False)"
 * cell.forward(randn([4, 3]), zeros([3, 2])); // throws GRUCell: expected hx of shape [4, 2], got [3, 2]
 * ```
 */
export class GRUCell extends RecurrentCell<Tensor> {
  /** The recurrence this cell runs. */
  protected readonly mode = "GRU";

  constructor(inputSize: number, hiddenSize: number, options: RecurrentCellOptions = {}) {
    checkOptions("GRUCell", options);
    super("GRUCell", 3, inputSize, hiddenSize, options);
  }

  /** The next hidden state `[N, hiddenSize]` (`[hiddenSize]` for an unbatched input). */
  forward(input: Tensor, hx?: Tensor | null): Tensor {
    const [x, unbatched] = this.batchedInput(input);
    const [h] = this.step(x, [this.batchedState("hx", hx, x.shape[0]!, unbatched)]) as [Tensor];
    return unbatched ? squeeze(h, 0) : h;
  }
}

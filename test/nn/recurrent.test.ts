import { describe, expect, it } from "vitest";
import { type Tensor, gradcheck, manualSeed, ones, randn, zeros } from "@nabla/tensor";
import { GRU, GRUCell, LSTM, LSTMCell, type Module, RNN, RNNCell, loadSafetensors } from "@nabla/nn";
import { nablaError } from "../support/errors";
import { loadFixture, loadFixtureBytes } from "../support/fixtures";
import { expectClose } from "../support/reference";

// The recurrent layers and cells against PyTorch (test/fixtures/gen_recurrent.py): each case's
// state_dict loads with loadStateDict and gives PyTorch's outputs, final states and the gradients of
// the input, the initial state and every parameter for random cotangents; reprs, parameter order,
// float64 gradchecks of the cells, dropout between layers, and the errors.

interface RecurrentCase {
  kind: "RNN" | "LSTM" | "GRU" | "RNNCell" | "LSTMCell" | "GRUCell";
  nonlinearity?: "tanh" | "relu";
  num_layers?: number;
  bidirectional?: boolean;
  batch_first?: boolean;
  proj_size?: number;
  bias: boolean;
  given: boolean;
  unbatched: boolean;
  outputs: string[];
  stateDictKeys: string[];
}

interface RecurrentFixture {
  sizes: { inputSize: number; hiddenSize: number };
  cases: RecurrentCase[];
  reprs: Record<string, string>;
  lstmParameterShapes: [string, number[]][];
}

const fixture = loadFixture<RecurrentFixture>("nn_recurrent.json");
const { tensors } = loadSafetensors(loadFixtureBytes("safetensors/recurrent.safetensors"));
/** A stored tensor of case `index`, as float64 (the file holds F32 values that PyTorch computed with in float64). */
const stored = (index: number, name: string): Tensor => {
  const t = tensors[`${index}.${name}`];
  if (t === undefined) throw new Error(`no tensor ${index}.${name} in recurrent.safetensors`);
  return t.to("float64");
};
// the references are float64 results rounded to float32
const TOLERANCE = { rtol: 1e-5, atol: 1e-6 };

type AnyRecurrent = Module<unknown> & { forward(input: Tensor, hx?: unknown): unknown };

function build(c: RecurrentCase): AnyRecurrent {
  const { inputSize, hiddenSize } = fixture.sizes;
  const base = { bias: c.bias, dtype: "float64" as const };
  const layer = {
    ...base,
    numLayers: c.num_layers,
    bidirectional: c.bidirectional,
    batchFirst: c.batch_first,
  };
  switch (c.kind) {
    case "RNN":
      return new RNN(inputSize, hiddenSize, { ...layer, nonlinearity: c.nonlinearity ?? "tanh" });
    case "LSTM":
      return new LSTM(inputSize, hiddenSize, { ...layer, projSize: c.proj_size ?? 0 });
    case "GRU":
      return new GRU(inputSize, hiddenSize, layer);
    case "RNNCell":
      return new RNNCell(inputSize, hiddenSize, { ...base, nonlinearity: c.nonlinearity ?? "tanh" });
    case "LSTMCell":
      return new LSTMCell(inputSize, hiddenSize, base);
    case "GRUCell":
      return new GRUCell(inputSize, hiddenSize, base);
  }
}

const describeCase = (c: RecurrentCase) =>
  [
    c.kind,
    c.nonlinearity,
    c.num_layers !== undefined && `${c.num_layers} layer(s)`,
    c.bidirectional && "bidirectional",
    c.batch_first && "batchFirst",
    c.proj_size !== undefined && `projSize ${c.proj_size}`,
    !c.bias && "no bias",
    c.given ? "given state" : "zero state",
    c.unbatched && "unbatched",
  ]
    .filter(Boolean)
    .join(", ");

describe("recurrent layers and cells against PyTorch", () => {
  const lstm = (kind: string) => kind === "LSTM" || kind === "LSTMCell";

  it.each(fixture.cases.map((c, index) => [describeCase(c), index, c] as const))("%s", (_name, index, c) => {
    const module = build(c);
    expect(Object.keys(module.stateDict())).toEqual(c.stateDictKeys);
    const stateDict = Object.fromEntries(c.stateDictKeys.map((key) => [key, stored(index, `param.${key}`)]));
    expect(module.loadStateDict(stateDict)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    module.eval();

    const input = stored(index, "input");
    input.requiresGrad = true;
    const initial = c.given ? (lstm(c.kind) ? ["h0", "c0"] : ["h0"]).map((name) => stored(index, name)) : [];
    for (const t of initial) t.requiresGrad = true;
    const hx = c.given ? (lstm(c.kind) ? initial : initial[0]) : undefined;
    const result = module.forward(input, hx);

    // layers: [output, h_n] or [output, [h_n, c_n]]; cells: h or [h, c]
    const outputs = (Array.isArray(result) ? result.flat() : [result]) as Tensor[];
    expect(outputs.length).toBe(c.outputs.length);
    let loss: Tensor | null = null;
    c.outputs.forEach((name, i) => {
      const expected = stored(index, name);
      expect(outputs[i]!.shape, name).toEqual(expected.shape);
      expectClose(outputs[i]!.data(), [...expected.data()], TOLERANCE, name);
      const term = outputs[i]!.mul(stored(index, `cotangent.${name}`)).sum();
      loss = loss === null ? term : loss.add(term);
    });
    loss!.backward();

    expectClose(input.grad!.data(), [...stored(index, "grad.input").data()], TOLERANCE, "input gradient");
    initial.forEach((t, i) => {
      const name = ["h0", "c0"][i]!;
      expectClose(t.grad!.data(), [...stored(index, `grad.${name}`).data()], TOLERANCE, `${name} gradient`);
    });
    for (const [name, p] of module.namedParameters()) {
      expectClose(p.grad!.data(), [...stored(index, `grad.${name}`).data()], TOLERANCE, `${name} gradient`);
    }
  });

  it("covers every kind, layer count, direction and option", () => {
    const kinds = new Set(fixture.cases.map((c) => `${c.kind}${c.nonlinearity ?? ""}`));
    expect([...kinds].sort()).toEqual(["GRU", "GRUCell", "LSTM", "LSTMCell", "RNNCell", "RNNCellrelu", "RNN", "RNNrelu"].sort());
    const layers = fixture.cases.filter((c) => c.num_layers !== undefined);
    for (const key of ["num_layers", "bidirectional", "batch_first", "bias", "given", "unbatched"] as const) {
      expect(new Set(layers.map((c) => c[key])).size, key).toBe(2);
    }
  });
});

describe("parameters and reprs", () => {
  it("registers PyTorch's parameters in PyTorch's order and shapes, projections included", () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true, projSize: 2 });
    expect(lstm.namedParameters().map(([name, p]) => [name, p.shape])).toEqual(fixture.lstmParameterShapes);
  });

  it("initialises every parameter from U(−1/√hiddenSize, 1/√hiddenSize)", () => {
    manualSeed(3);
    for (const module of [new GRU(5, 16, { numLayers: 2 }), new LSTMCell(5, 16), new RNN(5, 16, { bidirectional: true })]) {
      for (const [name, p] of module.namedParameters()) {
        const values = [...p.data()];
        expect(Math.max(...values.map(Math.abs)), name).toBeLessThanOrEqual(0.25);
        // spread over the range, not collapsed near 0
        expect(Math.max(...values) - Math.min(...values), name).toBeGreaterThan(0.3);
      }
    }
  });

  it("prints as PyTorch", () => {
    const reprs: Record<string, Module<unknown>> = {
      gru: new GRU(64, 64, { numLayers: 2, batchFirst: true }),
      rnnRelu: new RNN(3, 4, { nonlinearity: "relu" }),
      rnnOptions: new RNN(3, 4, { bias: false, dropout: 0.25, bidirectional: true, numLayers: 2 }),
      lstmProj: new LSTM(3, 4, { projSize: 2, dropout: 1 }),
      rnnCell: new RNNCell(3, 4),
      rnnCellRelu: new RNNCell(3, 4, { bias: false, nonlinearity: "relu" }),
      lstmCell: new LSTMCell(3, 4),
      gruCell: new GRUCell(3, 4, { bias: false }),
    };
    for (const [name, module] of Object.entries(reprs)) expect(module.toString(), name).toBe(fixture.reprs[name]);
  });
});

describe("gradcheck in float64", () => {
  // module-level checks of the recurrences (their ops have op-table rows of their own)
  it.each([
    ["RNNCell", () => new RNNCell(3, 2, { dtype: "float64" })],
    ["GRUCell", () => new GRUCell(3, 2, { dtype: "float64" })],
  ] as const)("%s: of the input and hx", (_name, make) => {
    manualSeed(1);
    const cell = make();
    const x = randn([2, 3], { dtype: "float64" });
    const h = randn([2, 2], { dtype: "float64" });
    expect(gradcheck((xi: Tensor, hi: Tensor) => cell.forward(xi, hi), [x, h]).ok).toBe(true);
  });

  it("LSTMCell: of the input, h and c", () => {
    manualSeed(2);
    const cell = new LSTMCell(3, 2, { dtype: "float64" });
    const inputs = [randn([2, 3], { dtype: "float64" }), randn([2, 2], { dtype: "float64" }), randn([2, 2], { dtype: "float64" })];
    const f = (x: Tensor, h: Tensor, c: Tensor) => {
      const [h1, c1] = cell.forward(x, [h, c]);
      return h1.mul(2).add(c1); // both outputs, unequally weighted
    };
    expect(gradcheck(f, inputs).ok).toBe(true);
  });

  it("a bidirectional two-layer GRU: of the input and h0", () => {
    manualSeed(4);
    const gru = new GRU(2, 2, { numLayers: 2, bidirectional: true, dtype: "float64" });
    const f = (x: Tensor, h: Tensor) => {
      const [output, hn] = gru.forward(x, h);
      return output.sum(2).add(hn.sum(0).sum(1).mul(0.5));
    };
    expect(gradcheck(f, [randn([3, 1, 2], { dtype: "float64" }), randn([4, 1, 2], { dtype: "float64" })]).ok).toBe(true);
  });
});

describe("dropout between layers", () => {
  it("drops in training only, with masks from the global generator", () => {
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.5 });
    const x = randn([5, 2, 3]);
    manualSeed(9);
    const first = lstm.forward(x)[0].toArray();
    manualSeed(9);
    expect(lstm.forward(x)[0].toArray()).toEqual(first);
    manualSeed(10);
    expect(lstm.forward(x)[0].toArray()).not.toEqual(first);
    lstm.eval();
    const evaluated = lstm.forward(x)[0].toArray();
    expect(lstm.forward(x)[0].toArray()).toEqual(evaluated);
    expect(evaluated).not.toEqual(first);
    // dropout 1 zeroes the second layer's input: its outputs depend on the biases only
    const gru = new GRU(3, 4, { numLayers: 2, dropout: 1 });
    const [a] = gru.forward(randn([2, 1, 3]));
    const [b] = gru.forward(randn([2, 1, 3]));
    expect(a.toArray()).toEqual(b.toArray());
  });

  it("is not applied after the last layer", () => {
    const gru = new GRU(3, 4, { numLayers: 1, dropout: 1 });
    const x = randn([2, 1, 3]);
    expect(gru.forward(x)[0].toArray()).toEqual(gru.eval().forward(x)[0].toArray());
  });
});

describe("errors", () => {
  it("input of the wrong rank or feature size", () => {
    const gru = new GRU(3, 4);
    expect(nablaError(() => gru.forward(zeros([2, 3, 4, 3]))).message).toBe(
      "GRU: expected input of shape [L, N, 3] or [L, 3] with L > 0, got [2, 3, 4, 3]",
    );
    expect(nablaError(() => new LSTM(3, 4, { batchFirst: true }).forward(zeros([2, 5, 2]))).message).toBe(
      "LSTM: expected input of shape [N, L, 3] or [L, 3] with L > 0, got [2, 5, 2]",
    );
    expect(nablaError(() => new RNN(3, 4).forward(zeros([0, 3]))).message).toBe(
      "RNN: expected input of shape [L, N, 3] or [L, 3] with L > 0, got [0, 3]",
    );
    expect(nablaError(() => new GRUCell(3, 4).forward(zeros([2, 2, 3]))).message).toBe(
      "GRUCell: expected input of shape [N, 3] or [3], got [2, 2, 3]",
    );
    expect(nablaError(() => gru.forward(zeros([2, 1, 3], { dtype: "float64" }))).message).toBe(
      'GRU: input dtype float64 differs from the module\'s float32 (convert with .to("float32"))',
    );
  });

  it("hx of the wrong shape", () => {
    expect(nablaError(() => new GRU(3, 4, { numLayers: 2 }).forward(zeros([5, 2, 3]), zeros([1, 2, 4]))).message).toBe(
      "GRU: expected hx of shape [2, 2, 4], got [1, 2, 4]",
    );
    expect(nablaError(() => new RNN(3, 4, { bidirectional: true }).forward(zeros([5, 3]), zeros([2, 1, 4]))).message).toBe(
      "RNN: expected hx of shape [2, 4], got [2, 1, 4]",
    );
    expect(nablaError(() => new LSTM(3, 4).forward(zeros([5, 2, 3]), [zeros([1, 2, 4]), zeros([1, 2, 3])])).message).toBe(
      "LSTM: expected hx[1] of shape [1, 2, 4], got [1, 2, 3]",
    );
    expect(nablaError(() => new LSTM(3, 4, { projSize: 2 }).forward(zeros([5, 2, 3]), [zeros([1, 2, 4]), zeros([1, 2, 4])])).message).toBe(
      "LSTM: expected hx[0] of shape [1, 2, 2], got [1, 2, 4]",
    );
    expect(nablaError(() => new LSTM(3, 4).forward(zeros([5, 2, 3]), zeros([1, 2, 4]) as never)).message).toBe(
      "LSTM: hx must be a pair [h0, c0] of tensors, got a float32 Tensor of shape [1, 2, 4]",
    );
    expect(nablaError(() => new RNNCell(3, 4).forward(zeros([3]), zeros([1, 4]))).message).toBe(
      "RNNCell: expected hx of shape [4], got [1, 4]",
    );
    expect(nablaError(() => new LSTMCell(3, 4).forward(zeros([2, 3]), [zeros([2, 4]), ones([4])])).message).toBe(
      "LSTMCell: expected hx[1] of shape [2, 4], got [4]",
    );
  });

  it("bad constructor options", () => {
    expect(nablaError(() => new GRU(3, 4, { numLayers: 0 })).message).toBe("GRU: numLayers must be a positive integer, got 0");
    expect(nablaError(() => new LSTM(3, 4, { dropout: -0.1 })).message).toBe("LSTM: dropout must be a probability in [0, 1], got -0.1");
    expect(nablaError(() => new RNN(3, 4, { dropout: 1.5 })).message).toBe("RNN: dropout must be a probability in [0, 1], got 1.5");
    expect(nablaError(() => new RNN(3, 4, { nonlinearity: "gelu" as never })).message).toBe(
      'RNN: nonlinearity must be "tanh" or "relu", got "gelu"',
    );
    expect(nablaError(() => new RNNCell(3, 4, { nonlinearity: "sigmoid" as never })).message).toBe(
      'RNNCell: nonlinearity must be "tanh" or "relu", got "sigmoid"',
    );
    expect(nablaError(() => new LSTM(3, 4, { projSize: 4 })).message).toBe(
      "LSTM: projSize must be smaller than hiddenSize, got projSize 4 and hiddenSize 4",
    );
    expect(nablaError(() => new GRU(3, 4, { projSize: 2 } as never)).message).toBe("GRU: projSize is an option of LSTM only");
    expect(nablaError(() => new GRUCell(3, 0)).message).toBe("GRUCell: hiddenSize must be a positive integer, got 0");
  });
});

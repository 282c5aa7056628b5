import { describe, expect, it } from "vitest";
import { type Tensor, manualSeed, noGrad, randn, tensor, zeros } from "@nabla/tensor";
import { Linear, Module, ReLU, Sequential, Tanh } from "@nabla/nn";
import { nablaError } from "../support/errors";

/** A model whose fields are assigned out of alphabetical order, with an own parameter and nesting. */
class Encoder extends Module {
  scale: Tensor;
  second = new Linear(4, 2);
  first = new Linear(3, 4);
  act = new Tanh();

  constructor() {
    super();
    this.scale = this.registerParameter("scale", zeros([2]));
  }

  forward(x: Tensor): Tensor {
    return this.second.forward(this.act.forward(this.first.forward(x))).mul(this.scale);
  }
}

class Model extends Module {
  encoder = new Encoder();
  head = new Sequential(new Linear(2, 2), new ReLU(), new Linear(2, 1, { bias: false }));

  forward(x: Tensor): Tensor {
    return this.head.forward(this.encoder.forward(x));
  }
}

const MODEL_NAMES = [
  "encoder.scale",
  "encoder.second.weight",
  "encoder.second.bias",
  "encoder.first.weight",
  "encoder.first.bias",
  "head.0.weight",
  "head.0.bias",
  "head.2.weight",
];

function values(t: Tensor): number[] {
  return Array.from(t.data());
}

describe("registration", () => {
  it("names parameters with dots: own first, then children in assignment order", () => {
    const model = new Model();
    expect(model.namedParameters().map(([name]) => name)).toEqual(MODEL_NAMES);
    expect(model.parameters()).toEqual(model.namedParameters().map(([, p]) => p));
    expect(model.parameters()[1]).toBe(model.encoder.second.weight);
    expect(model.parameters().every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
  });

  it("lists direct children only, in assignment order", () => {
    const model = new Model();
    expect(model.namedChildren().map(([name]) => name)).toEqual(["encoder", "head"]);
    expect(model.encoder.children()).toEqual([model.encoder.second, model.encoder.first, model.encoder.act]);
    expect(model.head.namedChildren().map(([name]) => name)).toEqual(["0", "1", "2"]);
    expect(model.namedModules().map(([name]) => name)).toEqual([
      "",
      "encoder",
      "encoder.second",
      "encoder.first",
      "encoder.act",
      "head",
      "head.0",
      "head.1",
      "head.2",
    ]);
  });

  it("names nested Sequential parameters as PyTorch does", () => {
    const model = new Sequential(new Linear(3, 4), new ReLU(), new Sequential(new Linear(4, 2), new Tanh()));
    expect(model.namedParameters().map(([name]) => name)).toEqual(["0.weight", "0.bias", "2.0.weight", "2.0.bias"]);
    expect(model.length).toBe(3);
    expect(model.at(-1)).toBe(model.layers[2]);
    expect(nablaError(() => model.at(3)).message).toBe("Sequential.at: index 3 is out of range for 3 modules");
  });

  it("lists a shared parameter once, and the state dict under each name", () => {
    class Tied extends Module {
      encode = new Linear(3, 3, { bias: false });
      decode = this.encode;
      forward(x: Tensor): Tensor {
        return this.decode.forward(this.encode.forward(x));
      }
    }
    const tied = new Tied();
    expect(tied.namedParameters().map(([name]) => name)).toEqual(["encode.weight"]);
    expect(tied.children()).toEqual([tied.encode]);
    expect(Object.keys(tied.stateDict())).toEqual(["encode.weight", "decode.weight"]);
  });

  it("reads parameters from their fields, so reassignment replaces them", () => {
    const layer = new Linear(2, 2);
    const replacement = tensor(
      [
        [1, 0],
        [0, 1],
      ],
      { requiresGrad: true },
    );
    layer.weight = replacement;
    layer.bias = null;
    expect(layer.namedParameters()).toEqual([["weight", replacement]]);
    expect(new Linear(2, 3, { bias: false }).namedParameters().map(([name]) => name)).toEqual(["weight"]);
  });

  it("rejects bad parameters", () => {
    class Bad extends Module {
      constructor(register: (module: Bad) => void) {
        super();
        register(this);
      }
      add(name: string, t: Tensor | null) {
        return this.registerParameter(name, t);
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const int = tensor([1, 2], { dtype: "int32" });
    const nonLeaf = tensor([1.5], { requiresGrad: true }).mul(2);
    expect(nablaError(() => new Bad((m) => m.add("a.b", zeros([1])))).message).toBe(
      'registerParameter: invalid parameter name "a.b" (expected a non-empty name without ".")',
    );
    expect(nablaError(() => new Bad((m) => m.add("", zeros([1])))).message).toBe(
      'registerParameter: invalid parameter name "" (expected a non-empty name without ".")',
    );
    expect(
      nablaError(
        () =>
          new Bad((m) => {
            m.add("w", zeros([1]));
            m.add("w", zeros([1]));
          }),
      ).message,
    ).toBe('registerParameter: parameter "w" is already registered');
    expect(nablaError(() => new Bad((m) => m.add("w", int))).message).toBe(
      'registerParameter: parameter "w" has dtype int32 (expected float32 or float64)',
    );
    expect(nablaError(() => new Bad((m) => m.add("w", nonLeaf))).message).toBe(
      'registerParameter: parameter "w" must be a leaf tensor (detach it first)',
    );
    expect(new Bad((m) => m.add("w", null)).parameters()).toEqual([]);
  });
});

describe("modes and gradients", () => {
  it("train() and eval() reach every descendant and return the module", () => {
    const model = new Model();
    expect(model.training).toBe(true);
    expect(model.eval()).toBe(model);
    expect(model.namedModules().every(([, m]) => !m.training)).toBe(true);
    model.train();
    expect(model.namedModules().every(([, m]) => m.training)).toBe(true);
    model.head.train(false);
    expect([model.training, model.head.training, model.head.at(0).training, model.encoder.training]).toEqual([true, false, false, true]);
  });

  it("zeroGrad sets every gradient to null", () => {
    manualSeed(0);
    const model = new Model();
    noGrad(() => model.encoder.scale.fill_(1));
    model
      .forward(randn([5, 3]))
      .sum()
      .backward();
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    model.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
  });
});

describe("stateDict", () => {
  it("holds every parameter by name, in order, detached and sharing storage", () => {
    const model = new Model();
    const state = model.stateDict();
    expect(Object.keys(state)).toEqual(MODEL_NAMES);
    const weight = state["head.0.weight"]!;
    expect(weight.requiresGrad).toBe(false);
    expect(weight.shape).toEqual([2, 2]);
    noGrad(() => model.head.at(0).parameters()[0]!.fill_(7));
    expect(values(weight)).toEqual([7, 7, 7, 7]);
  });

  it("round-trips into another model in place, keeping the parameter objects", () => {
    manualSeed(1);
    const source = new Model();
    const target = new Model();
    const targetParams = target.parameters();
    expect(values(targetParams[1]!)).not.toEqual(values(source.parameters()[1]!));

    expect(target.loadStateDict(source.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(target.parameters()).toEqual(targetParams);
    target.parameters().forEach((p, i) => {
      expect(p).toBe(targetParams[i]);
      expect(values(p)).toEqual(values(source.parameters()[i]!));
      expect(p.requiresGrad).toBe(true);
    });
    // a copy, not shared storage
    noGrad(() => source.encoder.first.weight.fill_(3));
    expect(values(target.encoder.first.weight)).not.toContain(3);
  });

  it("casts values to each parameter's dtype", () => {
    const layer = new Linear(2, 1);
    layer.loadStateDict({ weight: tensor([[0.5, 0.25]], { dtype: "float64" }), bias: tensor([2], { dtype: "float64" }) });
    expect(layer.weight.dtype).toBe("float32");
    expect(values(layer.weight)).toEqual([0.5, 0.25]);
    expect(values(layer.bias!)).toEqual([2]);
  });
});

describe("loadStateDict errors", () => {
  const model = () => new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 2));
  const state = () => model().stateDict();

  it("names missing keys", () => {
    const { "2.bias": _dropped, ...partial } = state();
    expect(nablaError(() => model().loadStateDict(partial)).message).toBe('loadStateDict: missing keys ["2.bias"]');
  });

  it("names unexpected keys", () => {
    const extra = { ...state(), "3.weight": zeros([1]) };
    expect(nablaError(() => model().loadStateDict(extra)).message).toBe('loadStateDict: unexpected keys ["3.weight"]');
  });

  it("names shape mismatches, even when not strict", () => {
    const wrong = { ...state(), "0.weight": zeros([4, 4]) };
    const message = 'loadStateDict: size mismatch for "0.weight": the model has [4, 3], the state dict [4, 4]';
    expect(nablaError(() => model().loadStateDict(wrong)).message).toBe(message);
    expect(nablaError(() => model().loadStateDict(wrong, { strict: false })).message).toBe(message);
  });

  it("reports every problem at once and copies nothing", () => {
    const target = model();
    const before = target.parameters().map(values);
    const { "0.bias": _dropped, ...partial } = state();
    const bad = { ...partial, "0.weight": zeros([3, 4]), extra: zeros([1]), "2.weight": zeros([2, 4]) };
    expect(nablaError(() => target.loadStateDict(bad)).message).toBe(
      'loadStateDict: missing keys ["0.bias"]; unexpected keys ["extra"]; size mismatch for "0.weight": the model has [4, 3], the state dict [3, 4]',
    );
    expect(target.parameters().map(values)).toEqual(before);
  });

  it("rejects values that are not tensors", () => {
    const bad = { ...state(), "0.bias": [1, 2, 3, 4] as unknown as Tensor };
    expect(nablaError(() => model().loadStateDict(bad)).message).toBe('loadStateDict: "0.bias" is not a Tensor');
  });

  it("with strict: false loads what matches and reports the rest", () => {
    const source = model();
    const target = model();
    const { "2.bias": _dropped, ...partial } = source.stateDict();
    const result = target.loadStateDict({ ...partial, extra: zeros([1]) }, { strict: false });
    expect(result).toEqual({ missingKeys: ["2.bias"], unexpectedKeys: ["extra"] });
    expect(values(target.at(0).parameters()[0]!)).toEqual(values(source.at(0).parameters()[0]!));
    expect(values(target.at(2).parameters()[1]!)).not.toEqual(values(source.at(2).parameters()[1]!));
  });
});

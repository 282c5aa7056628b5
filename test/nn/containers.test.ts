import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { type Tensor, ones, tensor, zeros } from "@nabla/tensor";
import { Dropout, Flatten, GELU, Linear, Module, ModuleDict, ModuleList, ReLU, Sequential, Sigmoid, Tanh, optim } from "@nabla/nn";
import { nablaError } from "../support/errors";
import { loadFixture } from "../support/fixtures";

interface ReprFixture {
  reprs: Record<string, string>;
  net: { stateDictKeys: string[]; parameterNames: string[]; bufferNames: string[]; moduleNames: string[] };
}

const fixture = loadFixture<ReprFixture>("nn_repr.json");

/** The same model as `Net` in test/fixtures/gen_nn.py. */
class Net extends Module {
  scale: Tensor;
  mean: Tensor;
  scratch: Tensor;
  encoder = new Sequential(new Flatten(), new Linear(6, 3), new GELU({ approximate: "tanh" }));
  blocks = new ModuleList([new Linear(3, 3), new Dropout(0.1), new Linear(3, 3, { bias: false })]);
  heads = new ModuleDict({ cls: new Linear(3, 2), act: new Tanh() });
  out = new Sequential();

  constructor() {
    super();
    this.scale = this.registerParameter("scale", ones([3]));
    this.mean = this.registerBuffer("mean", zeros([3]));
    this.scratch = this.registerBuffer("scratch", zeros([3]), { persistent: false });
  }

  forward(x: Tensor): Tensor {
    let h = this.encoder.forward(x).sub(this.mean).mul(this.scale);
    for (const block of this.blocks) h = block.forward(h);
    return this.heads.get("act").forward(this.heads.get("cls").forward(h));
  }
}

/** A module with buffers only: a persistent float one, a persistent int32 one and a scratch one. */
class Stats extends Module {
  running: Tensor;
  count: Tensor;
  scratch: Tensor | null;

  constructor() {
    super();
    this.running = this.registerBuffer("running", zeros([2]));
    this.count = this.registerBuffer("count", zeros([], { dtype: "int32" }));
    this.scratch = this.registerBuffer("scratch", zeros([2]), { persistent: false });
  }

  forward(x: Tensor): Tensor {
    return x.sub(this.running);
  }
}

describe("toString prints the module tree as PyTorch's repr", () => {
  const models: Record<string, () => Module> = {
    mlp: () => new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3)),
    layers: () =>
      new Sequential(
        new Flatten(),
        new Flatten(0, 2),
        new Linear(6, 5),
        new Tanh(),
        new Linear(5, 4, { bias: false }),
        new GELU(),
        new GELU({ approximate: "tanh" }),
        new Dropout(),
        new Dropout(0),
        new Dropout(1),
        new Dropout(1e-5),
        new Dropout(0.25),
        new Sigmoid(),
      ),
    nested: () =>
      new Sequential(
        new Sequential(new Linear(2, 2), new ReLU()),
        new ModuleList([new Linear(2, 2), new Dropout(0.1)]),
        new ModuleDict({ b: new Tanh(), a: new Linear(2, 1) }),
      ),
    net: () => new Net(),
    empty: () => new Sequential(),
    emptyList: () => new ModuleList(),
    linear: () => new Linear(3, 2),
  };

  it("covers every fixture model", () => {
    expect(Object.keys(models).sort()).toEqual(Object.keys(fixture.reprs).sort());
  });

  it.each(Object.keys(models))("%s", (name) => {
    expect(models[name]!().toString()).toBe(fixture.reprs[name]);
    expect(String(models[name]!())).toBe(fixture.reprs[name]);
  });

  it("is what Node's inspect shows", () => {
    expect(inspect(new Net())).toBe(fixture.reprs.net);
    expect(inspect({ model: new Linear(3, 2) })).toBe("{ model: Linear(in_features=3, out_features=2, bias=True) }");
  });

  it("puts a one-line extraRepr inside the parentheses and a multi-line one on indented lines", () => {
    class Custom extends Module {
      child = new ReLU();
      constructor(private readonly lines: string) {
        super();
      }
      override extraRepr(): string {
        return this.lines;
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(new Custom("a=1").toString()).toBe("Custom(\n  a=1\n  (child): ReLU()\n)");
    expect(new Custom("a=1\nb=2").toString()).toBe("Custom(\n  a=1\n  b=2\n  (child): ReLU()\n)");
  });
});

describe("buffers", () => {
  it("names, order and state dict match PyTorch (parameters, then buffers, then children)", () => {
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(fixture.net.stateDictKeys);
    expect(net.namedParameters().map(([name]) => name)).toEqual(fixture.net.parameterNames);
    expect(net.namedBuffers().map(([name]) => name)).toEqual(fixture.net.bufferNames);
    expect(net.namedModules().map(([name]) => name)).toEqual(fixture.net.moduleNames);
    expect(net.buffers()).toEqual([net.mean, net.scratch]);
  });

  it("are found through children with dotted names, non-persistent ones too, null ones skipped", () => {
    const model = new Sequential(new Linear(2, 2), new Stats());
    expect(model.namedBuffers().map(([name]) => name)).toEqual(["1.running", "1.count", "1.scratch"]);
    expect(Object.keys(model.stateDict())).toEqual(["0.weight", "0.bias", "1.running", "1.count"]);
    (model.at(1) as Stats).scratch = null;
    expect(model.namedBuffers().map(([name]) => name)).toEqual(["1.running", "1.count"]);
  });

  it("keep their dtype, do not require grad and are not parameters", () => {
    const stats = new Stats();
    expect(stats.count.dtype).toBe("int32");
    expect(stats.running.requiresGrad).toBe(false);
    expect(stats.parameters()).toEqual([]);
  });

  it("a shared buffer is listed once by namedBuffers and under both names in the state dict", () => {
    const stats = new Stats();
    const model = new Sequential(stats, stats);
    expect(model.namedBuffers().map(([name]) => name)).toEqual(["0.running", "0.count", "0.scratch"]);
    expect(Object.keys(model.stateDict())).toEqual(["0.running", "0.count", "1.running", "1.count"]);
  });

  it("a field assigned a new tensor replaces the buffer", () => {
    const stats = new Stats();
    stats.running = tensor([5, 6]);
    expect(stats.stateDict().running!.toArray()).toEqual([5, 6]);
  });

  it("loadStateDict copies persistent buffers in place, casting to their dtype, and never the others", () => {
    const stats = new Stats();
    const running = stats.running;
    const result = stats.loadStateDict({ running: tensor([1, 2]), count: tensor(7) });
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(stats.running).toBe(running);
    expect(stats.running.toArray()).toEqual([1, 2]);
    expect(stats.count.dtype).toBe("int32");
    expect(stats.count.item()).toBe(7);
    expect(stats.scratch!.toArray()).toEqual([0, 0]);
  });

  it("strict loading reports missing and unexpected buffers and size mismatches", () => {
    const stats = new Stats();
    expect(nablaError(() => stats.loadStateDict({ running: zeros([2]) })).message).toBe('loadStateDict: missing keys ["count"]');
    expect(nablaError(() => stats.loadStateDict({ running: zeros([2]), count: zeros([]), scratch: zeros([2]) })).message).toBe(
      'loadStateDict: unexpected keys ["scratch"]',
    );
    expect(nablaError(() => stats.loadStateDict({ running: zeros([3]), count: zeros([]) })).message).toBe(
      'loadStateDict: size mismatch for "running": the model has [2], the state dict [3]',
    );
    expect(stats.loadStateDict({ running: ones([2]) }, { strict: false })).toEqual({ missingKeys: ["count"], unexpectedKeys: [] });
    expect(stats.running.toArray()).toEqual([1, 1]);
  });

  it("a round trip through another model carries the buffers", () => {
    const source = new Net();
    source.mean.fill_(3);
    const copy = new Net();
    copy.loadStateDict(source.stateDict());
    expect(copy.mean.toArray()).toEqual([3, 3, 3]);
  });

  it("registerBuffer refuses bad names, values and options", () => {
    class Bad extends Module {
      constructor(register: (self: Bad) => void) {
        super();
        register(this);
      }
      reg(name: string, value: unknown, options?: unknown): void {
        this.registerBuffer(name, value as Tensor, options as never);
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    const err = (register: (self: Bad) => void) => nablaError(() => new Bad(register), "registerBuffer").message;
    expect(err((m) => m.reg("a.b", zeros([1])))).toBe('registerBuffer: invalid buffer name "a.b" (expected a non-empty name without ".")');
    expect(err((m) => m.reg("", zeros([1])))).toBe('registerBuffer: invalid buffer name "" (expected a non-empty name without ".")');
    expect(err((m) => m.reg("x", [1, 2]))).toBe('registerBuffer: buffer "x" must be a Tensor or null, got [1, 2]');
    expect(err((m) => m.reg("x", zeros([1]), { persistent: "yes" }))).toMatch(/^registerBuffer: persistent/);
    expect(
      err((m) => {
        m.reg("x", zeros([1]));
        m.reg("x", zeros([1]));
      }),
    ).toBe('registerBuffer: buffer "x" is already registered');
  });

  it("a name cannot be both a parameter and a buffer", () => {
    class Both extends Module {
      w = this.registerParameter("w", zeros([1]));
      constructor() {
        super();
        this.registerBuffer("w", zeros([1]));
      }
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(nablaError(() => new Both()).message).toBe('registerBuffer: buffer "w" is already registered as a parameter');
  });
});

describe("ModuleList", () => {
  it("registers its modules as children 0, 1, … seen by parameters(), stateDict() and optimizers", () => {
    const list = new ModuleList([new Linear(2, 3), new ReLU()]);
    list.append(new Linear(3, 1));
    expect(list.length).toBe(3);
    expect(list.namedChildren().map(([name]) => name)).toEqual(["0", "1", "2"]);
    expect(Object.keys(list.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    const optimizer = new optim.SGD(list.parameters(), { lr: 0.1 });
    expect(optimizer.paramGroups[0]!.params.length).toBe(4);
  });

  it("at, iteration, extend and insert (Python's clamping)", () => {
    const relu = new ReLU();
    const tanh = new Tanh();
    const sigmoid = new Sigmoid();
    const list = new ModuleList<Module>().extend([relu]);
    list.insert(-5, tanh); // before everything
    list.insert(10, sigmoid); // at the end
    expect([...list]).toEqual([tanh, relu, sigmoid]);
    expect(list.at(0)).toBe(tanh);
    expect(list.at(-1)).toBe(sigmoid);
    list.insert(-1, new Dropout());
    expect([...list].map(String)).toEqual(["Tanh()", "ReLU()", "Dropout(p=0.5, inplace=False)", "Sigmoid()"]);
  });

  it("a ModuleList of ModuleLists nests its names", () => {
    class Model extends Module {
      layers = new ModuleList([new ModuleList([new Linear(1, 1)])]);
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(Object.keys(new Model().stateDict())).toEqual(["layers.0.0.weight", "layers.0.0.bias"]);
  });

  it("refuses what is not a Module, an out-of-range index and forward", () => {
    expect(nablaError(() => new ModuleList([new ReLU(), 3 as never])).message).toBe("ModuleList: module 1 must be a Module, got 3");
    expect(nablaError(() => new ModuleList(5 as never)).message).toBe(
      "ModuleList: modules must be an array (or iterable) of modules, got 5",
    );
    const list = new ModuleList([new ReLU()]);
    expect(nablaError(() => list.extend([new Tanh(), null as never])).message).toBe("ModuleList: module 1 must be a Module, got null");
    expect(list.length).toBe(1);
    expect(nablaError(() => list.append({} as never)).message).toBe("ModuleList.append: module must be a Module, got an object");
    expect(nablaError(() => list.at(1)).message).toBe("ModuleList.at: index 1 is out of range for 1 modules");
    expect(nablaError(() => list.at(0.5)).message).toBe("ModuleList.at: index 0.5 is out of range for 1 modules");
    expect(nablaError(() => list.insert(0.5, new ReLU())).message).toBe("ModuleList.insert: index must be an integer, got 0.5");
    expect(nablaError(() => list.forward(zeros([1])), "ModuleList.forward")).toBeDefined();
  });
});

describe("ModuleDict", () => {
  it("registers its modules under their keys, in insertion order", () => {
    const dict = new ModuleDict({ b: new Linear(2, 1), a: new ReLU() });
    dict.set("c", new Linear(1, 1, { bias: false }));
    expect(dict.keys()).toEqual(["b", "a", "c"]);
    expect(dict.size).toBe(3);
    expect(Object.keys(dict.stateDict())).toEqual(["b.weight", "b.bias", "c.weight"]);
  });

  it("set replaces in place; get, has, delete, values, entries and iteration", () => {
    const relu = new ReLU();
    const tanh = new Tanh();
    const dict = new ModuleDict<Module>({ x: relu, y: new Sigmoid() });
    dict.set("x", tanh);
    expect(dict.keys()).toEqual(["x", "y"]);
    expect(dict.get("x")).toBe(tanh);
    expect(dict.has("y")).toBe(true);
    expect(dict.delete("y")).toBe(true);
    expect(dict.delete("y")).toBe(false);
    expect(dict.has("y")).toBe(false);
    expect(dict.values()).toEqual([tanh]);
    expect(dict.entries()).toEqual([["x", tanh]]);
    expect([...dict]).toEqual([["x", tanh]]);
  });

  it("refuses bad keys, non-modules, missing keys and forward", () => {
    expect(nablaError(() => new ModuleDict({ "a.b": new ReLU() })).message).toBe(
      'ModuleDict.set: invalid key "a.b" (expected a non-empty string without ".")',
    );
    expect(nablaError(() => new ModuleDict({ a: 1 as never })).message).toBe('ModuleDict.set: module "a" must be a Module, got 1');
    expect(nablaError(() => new ModuleDict([new ReLU()] as never)).message).toMatch(/^ModuleDict: expected an object/);
    const dict = new ModuleDict({ a: new ReLU() });
    expect(nablaError(() => dict.set("", new ReLU())).message).toMatch(/^ModuleDict.set: invalid key ""/);
    expect(nablaError(() => dict.get("b")).message).toBe('ModuleDict.get: no module under the key "b" (keys: "a")');
    expect(nablaError(() => dict.forward(zeros([1])), "ModuleDict.forward")).toBeDefined();
  });
});

describe("plain arrays and objects of modules are refused", () => {
  class WithArray extends Module {
    layers: unknown = [new Linear(2, 2), new ReLU()];
    forward(x: Tensor): Tensor {
      return x;
    }
  }

  it("an array of modules points at ModuleList", () => {
    const message =
      'WithArray: field "layers" holds an array of modules, which registers none of them: use a ModuleList (this.layers = new ModuleList([...]))';
    const model = new WithArray();
    expect(nablaError(() => model.parameters()).message).toBe(message);
    expect(nablaError(() => model.stateDict()).message).toBe(message);
    expect(nablaError(() => model.train()).message).toBe(message);
    expect(nablaError(() => model.toString()).message).toBe(message);
    // inside a container too
    expect(nablaError(() => new Sequential(model).parameters()).message).toBe(message);
  });

  it("an object of modules points at ModuleDict", () => {
    const model = new WithArray();
    model.layers = { a: new Linear(2, 2) };
    expect(nablaError(() => model.namedModules()).message).toBe(
      'WithArray: field "layers" holds an object of modules, which registers none of them: use a ModuleDict (this.layers = new ModuleDict({...}))',
    );
  });

  it("arrays and objects without modules are fine", () => {
    const model = new WithArray();
    model.layers = [1, 2];
    expect(model.parameters()).toEqual([]);
    model.layers = { sizes: [1, 2], name: "x" };
    expect(model.parameters()).toEqual([]);
    model.layers = new ModuleList([new Linear(2, 2)]);
    expect(Object.keys(model.stateDict())).toEqual(["layers.0.weight", "layers.0.bias"]);
  });
});

describe("apply", () => {
  it("calls fn on every sub-module, children first, then this; returns this", () => {
    const inner = new Sequential(new Linear(2, 2), new ReLU());
    const model = new Sequential(inner, new Tanh());
    const seen: Module[] = [];
    expect(model.apply((m) => seen.push(m))).toBe(model);
    expect(seen).toEqual([inner.at(0), inner.at(1), inner, model.at(1), model]);
  });

  it("initialises weights", () => {
    const model = new Net();
    model.apply((m) => {
      if (m instanceof Linear) m.weight.detach().fill_(0.5);
    });
    expect((model.blocks.at(2) as Linear).weight.toArray()).toEqual([
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ]);
  });

  it("refuses a non-function", () => {
    expect(nablaError(() => new ReLU().apply(3 as never)).message).toBe("apply: fn must be a function, got 3");
  });
});

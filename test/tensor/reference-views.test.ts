import { describe, expect, it } from "vitest";
import { arange, type Tensor } from "@nabla/tensor";
import { loadFixture } from "../support/fixtures";
import { PASSES, expectClose, fromFlat } from "./reference";

// View chains against PyTorch: after every step the layout (shape, strides, storage offset,
// contiguity) PyTorch reports, the values, and whether the step copied; then the base's gradient
// through the whole chain.

interface ViewStep {
  op: string;
  // biome-ignore lint/suspicious/noExplicitAny: the fixture's arguments, each read as the parameter type of the op that takes it
  args: any[];
}

interface StepResult {
  shape: number[];
  strides: number[];
  offset: number;
  contiguous: boolean;
  values: number[];
  copied: boolean;
}

interface Chain {
  name: string;
  base: number[];
  steps: ViewStep[];
  results: StepResult[];
  cotangent: number[];
  grad: number[];
}

const { chains } = loadFixture<{ chains: Chain[] }>("tensor_views.json");

/** The nabla call for a fixture step (slice's omitted bounds arrive as null). */
function applyStep(t: Tensor, { op, args }: ViewStep): Tensor {
  switch (op) {
    case "reshape":
      return t.reshape(args[0]);
    case "view":
      return t.view(args[0]);
    case "permute":
      return t.permute(args[0]);
    case "transpose":
      return t.transpose(args[0], args[1]);
    case "T":
      return t.T;
    case "mT":
      return t.mT;
    case "squeeze":
      return args.length === 0 ? t.squeeze() : t.squeeze(args[0]);
    case "unsqueeze":
      return t.unsqueeze(args[0]);
    case "expand":
      return t.expand(args[0]);
    case "flatten":
      return t.flatten(...(args as [number?, number?]));
    case "slice":
      return t.slice(args[0], args[1] ?? undefined, args[2] ?? undefined, args[3] ?? 1);
    case "select":
      return t.select(args[0], args[1]);
    case "narrow":
      return t.narrow(args[0], args[1], args[2]);
    case "asStrided":
      return t.asStrided(args[0], args[1], args[2]);
    default:
      throw new Error(`fixture step ${op} has no nabla counterpart`);
  }
}

function describeStep({ op, args }: ViewStep): string {
  return `${op}(${args.map((a) => JSON.stringify(a)).join(", ")})`;
}

describe("view chains against PyTorch", () => {
  it("covers every view op", () => {
    const ops = new Set(chains.flatMap((c) => c.steps.map((s) => s.op)));
    for (const op of [
      "reshape",
      "view",
      "permute",
      "transpose",
      "T",
      "mT",
      "squeeze",
      "unsqueeze",
      "expand",
      "flatten",
      "slice",
      "select",
      "narrow",
      "asStrided",
    ]) {
      expect(ops, op).toContain(op);
    }
  });

  it.each(chains.map((c) => [c.name, c] as const))("%s: layout, values and copies step by step", (_name, chain) => {
    const base = arange(chain.base.reduce((n, size) => n * size, 1)).reshape(chain.base);
    let t = base;
    chain.steps.forEach((step, i) => {
      const expected = chain.results[i]!;
      const label = `step ${i} ${describeStep(step)}`;
      const out = applyStep(t, step);
      expect(out.shape, `${label}: shape`).toEqual(expected.shape);
      expect(out.strides, `${label}: strides`).toEqual(expected.strides);
      expect(out.offset, `${label}: offset`).toBe(expected.offset);
      expect(out.isContiguous(), `${label}: isContiguous`).toBe(expected.contiguous);
      expect(Array.from(out.data()), `${label}: values`).toEqual(expected.values);
      expect(out.storage !== t.storage, `${label}: copied`).toBe(expected.copied);
      t = out;
    });
  });

  it.each(chains.map((c) => [c.name, c] as const))("%s: gradient of the base through the chain", (_name, chain) => {
    const numel = chain.base.reduce((n, size) => n * size, 1);
    for (const { dtype, tolerance } of PASSES) {
      const base = fromFlat(
        Array.from({ length: numel }, (_, i) => i),
        chain.base,
        dtype,
        true,
      );
      const out = chain.steps.reduce(applyStep, base);
      out.backward(fromFlat(chain.cotangent, out.shape, dtype));
      expect(base.grad!.shape).toEqual(chain.base);
      expectClose(base.grad!.data(), chain.grad, tolerance, `${dtype} grad`);
    }
  });
});

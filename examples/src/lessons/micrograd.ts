/**
 * `pnpm lesson:micrograd`: micrograd's README expression, rebuilt with 0-d float64 tensors. It
 * prints g and its gradients with respect to a and b, the backward pass step by step, and writes
 * the graph, with every value and gradient, as Graphviz DOT and SVG.
 */
import { add, type BackwardTrace, div, mul, type Tensor, tensor, toDot, traceBackward } from "@nabla/tensor";
import { runLessonIfMain, writeGraphPicture } from "./run-lesson";

/** A scalar input, as micrograd's `Value(x)`: a 0-d float64 tensor that requires grad. */
function value(x: number): Tensor {
  return tensor(x, { dtype: "float64", requiresGrad: true });
}

/**
 * The expression from micrograd's README, one line for each of its lines. micrograd rebinds
 * `c += …`; here every result keeps its own name (c1, c2, c3), so the picture can label it.
 */
export function microgradExpression(): Record<string, Tensor> {
  const a = value(-4.0);
  const b = value(2.0);
  const c1 = a.add(b); //                                c = a + b
  const d1 = a.mul(b).add(b.pow(3)); //                  d = a * b + b**3
  const c2 = c1.add(c1.add(1)); //                       c += c + 1
  const c3 = c2.add(add(1, c2).add(a.neg())); //         c += 1 + c + (-a)
  const d2 = d1.add(d1.mul(2).add(b.add(a).relu())); //  d += d * 2 + (b + a).relu()
  const d3 = d2.add(mul(3, d2).add(b.sub(a).relu())); // d += 3 * d + (b - a).relu()
  const e = c3.sub(d3); //                               e = c - d
  const f = e.pow(2); //                                 f = e**2
  const g1 = f.div(2.0); //                              g = f / 2.0
  const g = g1.add(div(10.0, f)); //                     g += 10.0 / f
  return { a, b, c1, d1, c2, c3, d2, d3, e, f, g1, g };
}

export interface MicrogradResult {
  g: number;
  gradA: number;
  gradB: number;
  trace: BackwardTrace;
  /** The graph with values and gradients, in Graphviz DOT. */
  dot: string;
}

/** Builds the expression, runs backward through it (traced) and draws its graph. */
export function microgradLesson(): MicrogradResult {
  const names = microgradExpression();
  const { a, b, g } = names as { a: Tensor; b: Tensor; g: Tensor };
  const trace = traceBackward(g, { names });
  return {
    g: g.item() as number,
    gradA: a.grad!.item() as number,
    gradB: b.grad!.item() as number,
    trace,
    dot: toDot(g, { values: true, grads: true, names, trace }),
  };
}

runLessonIfMain(import.meta.url, async (outDir) => {
  const { g, gradA, gradB, trace, dot } = microgradLesson();
  console.log("micrograd's README expression, rebuilt with 0-d float64 tensors:\n");
  console.log(`  g     = ${g.toFixed(4)}`); //     micrograd prints 24.7041
  console.log(`  ∂g/∂a = ${gradA.toFixed(4)}`); // 138.8338
  console.log(`  ∂g/∂b = ${gradB.toFixed(4)}`); // 645.5773
  console.log(
    "\nBackward visits every op once, outputs before inputs. Each step reads the gradient of its\n" +
      "output (ȳ) and applies the op's backward formula to send a gradient to each input; where\n" +
      "a tensor feeds several ops (a, b, c1, …) the gradients it receives add up.\n",
  );
  console.log(trace.format());
  console.log();
  await writeGraphPicture(outDir, "micrograd", dot);
});

/**
 * `pnpm lesson:softmax`: softmax's Jacobian for [2.0, 1.0, 0.1], why its hand-written backward
 * never builds it, three ways to the same gradient, and the overflow a naive softmax hits on
 * [1000, 1001, 1002].
 */
import { type BackwardTrace, registeredOps, type Tensor, tensor, toDot, traceBackward } from "@nabla/tensor";
import { softmax, softmaxBackward, softmaxJacobian } from "@nabla/ops";
import { runLessonIfMain, writeGraphPicture } from "./run-lesson";

function vector(values: number[]): Tensor {
  return tensor(values, { dtype: "float64" });
}

function numbers(t: Tensor): number[] {
  return Array.from(t.data());
}

/** exp(x − max x) / Σ exp(x − max x), built from primitives: what autodiff sees without softmax. */
function compositeSoftmax(x: Tensor): Tensor {
  const shifted = x.sub(x.max());
  return shifted.exp().div(shifted.exp().sum());
}

/** exp(x) / Σ exp(x), as the formula is first written: exp(1000) is already Infinity. */
function naiveSoftmax(x: Tensor): Tensor {
  return x.exp().div(x.exp().sum());
}

export interface SoftmaxLessonResult {
  x: number[];
  s: number[];
  /** J[i][j] = ∂s_i/∂x_j = diag(s) − s sᵀ. */
  jacobian: number[][];
  cotangent: number[];
  /** s ⊙ (g − Σ g ⊙ s): softmax's backward. */
  vjp: number[];
  /** J with the cotangent, Jᵀg, from the full matrix. */
  jacobianTimesCotangent: number[];
  /** Autodiff through exp, sub, max, sum and div. */
  compositeGradient: number[];
  /** Backward steps for softmax (one: its own rule) and for the composite (one per primitive). */
  softmaxSteps: number;
  compositeSteps: number;
  /** The two backward graphs with values and gradients, in Graphviz DOT. */
  softmaxDot: string;
  compositeDot: string;
  large: number[];
  naive: number[];
  stable: number[];
}

export function softmaxLesson(): SoftmaxLessonResult {
  const values = [2.0, 1.0, 0.1];
  const x = vector(values);
  const s = softmax(x);
  const jacobian = softmaxJacobian(x);
  const g = vector([1.0, -2.0, 0.5]);

  const vjp = softmaxBackward(s, g);
  const jacobianTimesCotangent = jacobian.mT.matmul(g);
  const xForComposite = vector(values);
  xForComposite.requiresGrad = true;
  const composite = compositeSoftmax(xForComposite);
  const compositeTrace = traceBackward(composite, { gradient: g });
  const xForSoftmax = vector(values);
  xForSoftmax.requiresGrad = true;
  const softmaxOutput = softmax(xForSoftmax);
  const softmaxTrace = traceBackward(softmaxOutput, { gradient: g });
  const picture = (output: Tensor, x: Tensor, trace: BackwardTrace) =>
    toDot(output, { values: true, grads: true, names: { x, s: output }, trace });

  const large = vector([1000, 1001, 1002]);
  return {
    x: values,
    s: numbers(s),
    jacobian: jacobian.toArray() as number[][],
    cotangent: numbers(g),
    vjp: numbers(vjp),
    jacobianTimesCotangent: numbers(jacobianTimesCotangent),
    compositeGradient: numbers(xForComposite.grad!),
    softmaxSteps: softmaxTrace.steps.length,
    compositeSteps: compositeTrace.steps.length,
    softmaxDot: picture(softmaxOutput, xForSoftmax, softmaxTrace),
    compositeDot: picture(composite, xForComposite, compositeTrace),
    large: numbers(large),
    naive: numbers(naiveSoftmax(large)),
    stable: numbers(softmax(large)),
  };
}

const show = (values: number[]) => `[${values.map((v) => (Number.isNaN(v) ? "NaN" : v.toFixed(4).padStart(7))).join(", ")}]`;

function largestDifference(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

runLessonIfMain(import.meta.url, async (outDir) => {
  const r = softmaxLesson();
  const formula = registeredOps().get("softmax")!.formula!;
  console.log(`softmax, forward:  ${formula.forward}`);
  console.log(`softmax, backward: ${formula.backward}\n`);
  console.log(`x = ${show(r.x)}`);
  console.log(`s = softmax(x) = ${show(r.s)}   (sums to 1)\n`);

  console.log("Its Jacobian J[i][j] = ∂s_i/∂x_j = s_i (δ_ij − s_j), that is J = diag(s) − s sᵀ:");
  for (const row of r.jacobian) console.log(`  ${show(row)}`);
  console.log(
    "J is symmetric and each row sums to 0 (adding a constant to every x leaves s unchanged).\n\n" +
      "Why the backward never builds J: backward only needs the vector-Jacobian product Jᵀg, and\n" +
      "  Jᵀg = (diag(s) − s sᵀ) g = s ⊙ g − s (sᵀg) = s ⊙ (g − Σ g ⊙ s),\n" +
      "two passes over n numbers. J itself has n² entries: for a 50,000-word vocabulary that is\n" +
      "2.5 billion numbers (10 GB in float32) for every row of a batch.\n",
  );

  console.log(`Three ways to the gradient for the cotangent g = ${show(r.cotangent)}:`);
  console.log(`  hand-written VJP  s ⊙ (g − Σ g ⊙ s)       ${show(r.vjp)}`);
  console.log(`  full Jacobian     Jᵀg                     ${show(r.jacobianTimesCotangent)}`);
  console.log(`  autodiff of exp(x − max x) / Σ exp(…)     ${show(r.compositeGradient)}`);
  const disagreement = Math.max(largestDifference(r.vjp, r.jacobianTimesCotangent), largestDifference(r.vjp, r.compositeGradient));
  console.log(`  largest difference between them: ${disagreement.toExponential(1)}`);
  console.log(
    `Backward through softmax takes ${r.softmaxSteps} step (its own rule); through the composite it takes ` +
      `${r.compositeSteps} (one per primitive op).`,
  );
  await writeGraphPicture(outDir, "softmax-op", r.softmaxDot);
  await writeGraphPicture(outDir, "softmax-composite", r.compositeDot);
  console.log();

  console.log(`Large logits x = ${show(r.large)}:`);
  console.log(`  naive   exp(x) / Σ exp(x)                   ${show(r.naive)}   exp(1000) = ${Math.exp(1000)}, and ∞/∞ is NaN`);
  console.log(`  softmax exp(x − max x) / Σ exp(x − max x)   ${show(r.stable)}   every exponent ≤ 0: softmax([−2, −1, 0])`);
});

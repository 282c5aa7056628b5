/**
 * `pnpm lesson:gradcheck`: a custom op whose backward is deliberately wrong, caught by gradcheck,
 * which compares it entry by entry with central finite differences and reports the worst element;
 * then the corrected op, which passes.
 */
import { defineOp, type GradcheckResult, gradcheck, NablaError, type Tensor, tensor } from "@nabla/tensor";
import { runLessonIfMain } from "./run-lesson";

/** x³ with a classic slip in its backward: the power rule applied as 3x instead of 3x². */
export const cubeWithWrongBackward = defineOp({
  name: "cubeWithWrongBackward",
  formula: { forward: "y = x³", backward: "x̄ = 3 ȳ ⊙ x   (wrong on purpose: d(x³)/dx = 3x²)" },
  forward(ctx, x: Tensor) {
    ctx.save(x);
    return x.mul(x).mul(x);
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [gradOut.mul(x).mul(3)];
  },
});

/** x³ with the right backward. */
export const cube = defineOp({
  name: "cube",
  formula: { forward: "y = x³", backward: "x̄ = 3 ȳ ⊙ x²" },
  forward(ctx, x: Tensor) {
    ctx.save(x);
    return x.mul(x).mul(x);
  },
  backward(ctx, gradOut) {
    const [x] = ctx.saved as [Tensor];
    return [gradOut.mul(x.square()).mul(3)];
  },
});

export interface GradcheckLessonResult {
  x: number[];
  broken: GradcheckResult;
  /** The NablaError message gradcheck throws for the broken op with `throwOnFailure: true`. */
  brokenMessage: string;
  fixed: GradcheckResult;
}

export function gradcheckLesson(): GradcheckLessonResult {
  const values = [0.5, -1.5, 2.0, 3.0];
  // gradcheck wants float64 inputs: central differences with ε = 1e-6 need the precision
  const x = tensor(values, { dtype: "float64" });
  const broken = gradcheck(cubeWithWrongBackward, [x]);
  let brokenMessage = "";
  try {
    gradcheck(cubeWithWrongBackward, [x], { throwOnFailure: true });
  } catch (error) {
    if (!(error instanceof NablaError)) throw error;
    brokenMessage = error.message;
  }
  return { x: values, broken, brokenMessage, fixed: gradcheck(cube, [x]) };
}

function describe(result: GradcheckResult): string {
  return `ok: ${result.ok}, max abs error ${result.maxAbsError.toExponential(2)}, max rel error ${result.maxRelError.toExponential(2)}`;
}

runLessonIfMain(import.meta.url, () => {
  const { x, broken, brokenMessage, fixed } = gradcheckLesson();
  console.log(`x = [${x.join(", ")}] (float64)\n`);
  console.log("cubeWithWrongBackward: forward y = x³, backward x̄ = 3 ȳ ⊙ x (a slip: it should be 3 ȳ ⊙ x²)");
  console.log(
    "gradcheck builds the Jacobian twice: analytically, one backward per output element, and\n" +
      "numerically, (f(x + ε) − f(x − ε)) / 2ε per input element; an entry fails when\n" +
      "|analytic − numeric| > atol + rtol·|numeric| (atol 1e-5, rtol 1e-3).\n",
  );
  console.log(`  ${describe(broken)}`);
  const worst = broken.worst!;
  console.log(
    `  worst element: input ${worst.input}, element ${worst.index} (x = ${x[worst.index]}), output element ${worst.outputIndex}: ` +
      `analytic ${worst.analytic}, numeric ${worst.numeric.toFixed(6)}`,
  );
  console.log(`  with { throwOnFailure: true } it throws:\n    ${brokenMessage}\n`);
  console.log("cube: the same op with backward x̄ = 3 ȳ ⊙ x²");
  console.log(`  ${describe(fixed)}`);
});

import { isTensor } from "../copies";
import { randn, zeros, zerosLike } from "../creation";
import { isFloating } from "../dtype";
import { checkBoolean, checkFunction, checkInteger, checkNumber, checkOptions, checkTensor } from "../args";
import { NablaError, describeValue } from "../errors";
import { hasInternalOverlap } from "../layout";
import { cat } from "../ops/indexing";
import { Generator } from "../random";
import { formatShape, shapesEqual } from "../shape";
import { getElement, setElement } from "../elements";
import type { Tensor } from "../tensor";
import { runBackward } from "./engine";
import { autogradGrad } from "./functional";
import { enableGrad, noGrad } from "./grad-mode";
import { clone, reshape, to } from "../ops/movement";

/** Options of `gradcheck` (and `gradgradcheck`). */
export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, times |numeric| (default 1e-3). */
  rtol?: number;
  /** Throw a NablaError describing the worst element instead of returning ok: false. */
  throwOnFailure?: boolean;
}

/** The Jacobian entry of a gradcheck that came closest to (or furthest past) the tolerance. */
export interface GradcheckWorst {
  /** Which argument of f. */
  input: number;
  /** Flat (row-major) index of the element within that input. */
  index: number;
  /** The same element as a multi-index. */
  position: number[];
  /** Flat index of the output element whose derivative disagreed. */
  outputIndex: number;
  /** The entry from backward. */
  analytic: number;
  /** The entry from finite differences. */
  numeric: number;
}

/** What `gradcheck` and `gradgradcheck` report. */
export interface GradcheckResult {
  /** Whether every entry is within tolerance. */
  ok: boolean;
  /** The largest |analytic − numeric| over the entries. */
  maxAbsError: number;
  /** The largest |analytic − numeric| / |numeric| over the entries. */
  maxRelError: number;
  /** The entry that came closest to (or furthest past) the tolerance; null when there is nothing to compare. */
  worst: GradcheckWorst | null;
  /** True when float32 inputs were checked through float64 copies. */
  upcast: boolean;
}

type Fn = (...inputs: Tensor[]) => Tensor;

/** The inputs argument as a list: one tensor, or an array of tensors. */
function checkedInputs(op: string, inputs: unknown): Tensor[] {
  const given = isTensor(inputs, op) ? [inputs] : Array.isArray(inputs) ? [...inputs] : null;
  if (given === null) throw new NablaError(op, `inputs must be a Tensor or an array of Tensors, got ${describeValue(inputs)}`);
  given.forEach((t, i) => {
    checkTensor(op, `input ${i}`, t);
  });
  return given;
}

function checkTolerances(op: string, eps: unknown, atol: unknown, rtol: unknown, throwOnFailure: unknown): void {
  checkNumber(op, "eps", eps, { finite: true });
  if ((eps as number) <= 0) throw new NablaError(op, `eps must be positive, got ${describeValue(eps)}`);
  checkNumber(op, "atol", atol, { finite: true });
  checkNumber(op, "rtol", rtol, { finite: true });
  checkBoolean(op, "throwOnFailure", throwOnFailure);
}

function unravel(index: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    position[d] = index % shape[d]!;
    index = Math.floor(index / shape[d]!);
  }
  return position;
}

/** Storage positions of a layout's elements in row-major order. */
function positionsOf(t: Tensor): number[] {
  const positions: number[] = [];
  for (let i = 0; i < t.numel; i++) {
    const position = unravel(i, t.shape);
    positions.push(position.reduce((p, idx, d) => p + idx * t.strides[d]!, t.offset));
  }
  return positions;
}

/**
 * Compares the analytic Jacobian (one backward per output element) with central finite differences
 * `(f(x + ε) − f(x − ε)) / 2ε`, entry by entry with PyTorch's rule |a − n| ≤ atol + rtol·|n|, as
 * PyTorch's `gradcheck`. Differentiates the floating inputs that require grad (all floating inputs
 * when none does); float32 inputs are checked through float64 copies (`upcast: true` in the
 * report). Returns a report (or throws with `throwOnFailure`).
 *
 * @example
 * ```ts
 * const x = randn([3], { dtype: "float64" });
 * gradcheck((x) => x.tanh().mul(x), [x]); // → { ok: true, upcast: false }
 * const wrong = defineOp({
 *   name: "squareWithWrongGradient",
 *   forward: (_ctx, x: Tensor) => x.square(),
 *   backward: (_ctx, gradOut) => [gradOut],
 * });
 * gradcheck(wrong, [x]).ok; // → false
 * ```
 */
export function gradcheck(f: Fn, inputs: Tensor | readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, throwOnFailure = false } = checkOptions("gradcheck", options);
  checkFunction("gradcheck", "f", f);
  checkTolerances("gradcheck", eps, atol, rtol, throwOnFailure);
  const given = checkedInputs("gradcheck", inputs);
  const anyRequires = given.some((t) => t.requiresGrad);
  let upcast = false;
  const differentiated: boolean[] = [];
  const working = given.map((t, i) => {
    const chosen = isFloating(t.dtype) && (!anyRequires || t.requiresGrad);
    differentiated.push(chosen);
    if (!chosen) return t.detach();
    if (t.dtype === "float32") upcast = true;
    if (t.dtype === "float64" && hasInternalOverlap(t)) {
      throw new NablaError(
        "gradcheck",
        `input ${i} has elements sharing memory (strides [${t.strides.join(", ")}]): pass a tensor without overlap and apply the view inside f`,
      );
    }
    const copy = t.dtype === "float64" ? t.detach() : noGrad(() => to(t, "float64"));
    copy.requiresGrad = true;
    return copy;
  });

  const evaluate = (): Tensor => {
    const out = f(...working);
    if (!isTensor(out, "gradcheck") || !isFloating(out.dtype)) {
      throw new NablaError(
        "gradcheck",
        `f must return a floating-point tensor, got ${isTensor(out, "gradcheck") ? out.dtype : typeof out}`,
      );
    }
    return out;
  };

  // analytic Jacobian, row by row: J[j, :] = vjp with the j-th unit cotangent
  const out = enableGrad(evaluate);
  const outCount = out.numel;
  const analytic: Float64Array[] = working.map((t) => new Float64Array(outCount * t.numel));
  const targets = working.filter((_, i) => differentiated[i]);
  if (out.requiresGrad) {
    for (let j = 0; j < outCount; j++) {
      const seed = zeros(out.shape, { dtype: out.dtype });
      setElement(seed, j, 1);
      const grads = runBackward([out], [seed], { retainGraph: true, capture: targets });
      let k = 0;
      working.forEach((t, i) => {
        if (!differentiated[i]) return;
        const g = grads[k++];
        if (g) analytic[i]!.set(to(g, "float64").data(), j * t.numel);
      });
    }
  }

  // numeric Jacobian, column by column
  let maxAbsError = 0;
  let maxRelError = 0;
  let worst: GradcheckWorst | null = null;
  let worstRatio = -1;
  let ok = true;
  noGrad(() => {
    working.forEach((t, i) => {
      if (!differentiated[i]) return;
      positionsOf(t).forEach((position, k) => {
        const original = getElement(t, position);
        setElement(t, position, original + eps);
        const plus = to(evaluate(), "float64").data();
        setElement(t, position, original - eps);
        const minus = to(evaluate(), "float64").data();
        setElement(t, position, original);
        for (let j = 0; j < outCount; j++) {
          const numeric = (plus[j]! - minus[j]!) / (2 * eps);
          const a = analytic[i]![j * t.numel + k]!;
          const error = Math.abs(a - numeric);
          const allowed = atol + rtol * Math.abs(numeric);
          const bothNaN = Number.isNaN(a) && Number.isNaN(numeric);
          const failed = !bothNaN && !(error <= allowed);
          if (!bothNaN) {
            maxAbsError = Math.max(maxAbsError, Number.isNaN(error) ? Infinity : error);
            maxRelError = Math.max(maxRelError, numeric === 0 ? (error === 0 ? 0 : Infinity) : error / Math.abs(numeric));
          }
          const ratio = Number.isNaN(error) ? Infinity : error / allowed;
          if (failed) ok = false;
          if (ratio > worstRatio) {
            worstRatio = ratio;
            worst = { input: i, index: k, position: unravel(k, t.shape), outputIndex: j, analytic: a, numeric };
          }
        }
      });
    });
  });

  const result: GradcheckResult = { ok, maxAbsError, maxRelError, worst, upcast };
  if (!ok && throwOnFailure) throw new NablaError("gradcheck", describeFailure(result, atol, rtol));
  return result;
}

function describeFailure(result: GradcheckResult, atol: number, rtol: number): string {
  const w = result.worst!;
  return (
    `analytic and numeric gradients differ for input ${w.input} at element ${w.index} [${w.position.join(", ")}] ` +
    `(output element ${w.outputIndex}): analytic ${w.analytic}, numeric ${w.numeric} ` +
    `(max abs error ${result.maxAbsError}, max rel error ${result.maxRelError}; tolerance atol ${atol} + rtol ${rtol}·|numeric|)` +
    (result.upcast ? "; float32 inputs were checked through float64 copies" : "")
  );
}

/** Options of `gradgradcheck`: those of `gradcheck`, and the cotangent of f's output. */
export interface GradgradcheckOptions extends GradcheckOptions {
  /** The cotangent v of f's output in the checked map; a seeded standard normal draw by default. */
  gradOutputs?: Tensor | null;
  /** Seed of the private generator that draws the default gradOutputs (the global stream is untouched). */
  seed?: number;
}

/**
 * Checks second derivatives as PyTorch's `gradgradcheck` does: gradcheck of the map
 * (inputs, v) → ∂⟨f(inputs), v⟩/∂inputs, i.e. the backward pass itself. Its analytic Jacobian
 * differentiates the recorded backward (createGraph); the numeric one perturbs the inputs and v.
 * The default v is random (seeded), never ones: with ones a rule whose errors sum to zero would
 * pass. In the report, `worst.input` counts f's inputs and then v (index `inputs.length`), and
 * `worst.outputIndex` is a flat index into the first-order gradients of the differentiated
 * inputs, flattened and concatenated in order.
 *
 * @example
 * ```ts
 * gradgradcheck((x) => x.tanh().mul(x), [randn([3], { dtype: "float64" })]).ok; // → true
 * ```
 */
export function gradgradcheck(f: Fn, inputs: Tensor | readonly Tensor[], options: GradgradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, throwOnFailure = false, seed = 0 } = checkOptions("gradgradcheck", options);
  checkFunction("gradgradcheck", "f", f);
  checkTolerances("gradgradcheck", eps, atol, rtol, throwOnFailure);
  checkInteger("gradgradcheck", "seed", seed);
  const given = checkedInputs("gradgradcheck", inputs);
  const anyRequires = given.some((t) => t.requiresGrad);
  const differentiated = given.map((t) => isFloating(t.dtype) && (!anyRequires || t.requiresGrad));
  if (!differentiated.includes(true)) throw new NablaError("gradgradcheck", "needs at least one floating-point input to differentiate");
  const upcast = given.some((t, i) => differentiated[i] && t.dtype === "float32");
  const working = given.map((t, i) => {
    if (!differentiated[i]) return t.detach();
    if (t.dtype === "float64" && hasInternalOverlap(t)) {
      throw new NablaError(
        "gradgradcheck",
        `input ${i} has elements sharing memory (strides ${formatShape(t.strides)}): pass a tensor without overlap and apply the view inside f`,
      );
    }
    const copy = t.dtype === "float64" ? t.detach() : noGrad(() => to(t, "float64"));
    copy.requiresGrad = true;
    return copy;
  });

  const out = enableGrad(() => f(...working));
  if (!isTensor(out, "gradgradcheck") || !isFloating(out.dtype)) {
    throw new NablaError(
      "gradgradcheck",
      `f must return a floating-point tensor, got ${isTensor(out, "gradgradcheck") ? out.dtype : typeof out}`,
    );
  }
  let v: Tensor;
  if (options.gradOutputs === undefined || options.gradOutputs === null) {
    v = randn(out.shape, { dtype: "float64", generator: new Generator(seed) });
  } else {
    if (!isTensor(options.gradOutputs, "gradgradcheck") || !shapesEqual(options.gradOutputs.shape, out.shape)) {
      throw new NablaError(
        "gradgradcheck",
        `gradOutputs must be a tensor of f's output shape ${formatShape(out.shape)}, got ${isTensor(options.gradOutputs, "gradgradcheck") ? `shape ${formatShape(options.gradOutputs.shape)}` : typeof options.gradOutputs}`,
      );
    }
    v = noGrad(() => clone(to(options.gradOutputs as Tensor, "float64")));
  }
  v.requiresGrad = true;

  // the backward pass as a function of (inputs, v): the first-order gradients, flattened and joined
  const count = given.length;
  const gradientSizes = working.filter((_, i) => differentiated[i]).map((t) => t.numel);
  const totalGradientSize = gradientSizes.reduce((a, b) => a + b, 0);
  const backwardPass = (...args: Tensor[]): Tensor =>
    enableGrad(() => {
      const targets = args.slice(0, count).filter((_, i) => differentiated[i]);
      const output = f(...args.slice(0, count));
      // f constant in its inputs: the backward pass is identically zero
      if (!output.requiresGrad) return zeros([totalGradientSize], { dtype: "float64" });
      const grads = autogradGrad(output, targets, { gradOutputs: to(args[count]!, output.dtype), createGraph: true, allowUnused: true });
      return cat(grads.map((g, k) => reshape(to(g ?? zerosLike(targets[k]!), "float64"), [-1])));
    });

  const result = gradcheck(backwardPass, [...working, v], { eps, atol, rtol });
  const report: GradcheckResult = { ...result, upcast };
  if (!report.ok && throwOnFailure)
    throw new NablaError("gradgradcheck", describeSecondOrderFailure(report, count, differentiated, gradientSizes, atol, rtol));
  return report;
}

function describeSecondOrderFailure(
  result: GradcheckResult,
  count: number,
  differentiated: readonly boolean[],
  gradientSizes: readonly number[],
  atol: number,
  rtol: number,
): string {
  const w = result.worst!;
  // which first-order gradient (and which element of it) the flat output index falls in
  const inputsWithGradients = differentiated.flatMap((d, i) => (d ? [i] : []));
  let k = 0;
  let element = w.outputIndex;
  while (k < gradientSizes.length - 1 && element >= gradientSizes[k]!) element -= gradientSizes[k++]!;
  const perturbed = w.input === count ? "gradOutputs" : `input ${w.input}`;
  return (
    `second derivatives differ: the derivative of element ${element} of input ${inputsWithGradients[k]}'s gradient ` +
    `with respect to ${perturbed} at element ${w.index} [${w.position.join(", ")}] is ${w.analytic} analytically but ${w.numeric} numerically ` +
    `(max abs error ${result.maxAbsError}, max rel error ${result.maxRelError}; tolerance atol ${atol} + rtol ${rtol}·|numeric|)` +
    (result.upcast ? "; float32 inputs were checked through float64 copies" : "")
  );
}

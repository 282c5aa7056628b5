import { isTensor } from "../copies";
import { full, zeros, zerosLike } from "../creation";
import { isFloating } from "../dtype";
import { checkBoolean, checkFunction, checkOptions } from "../args";
import { NablaError } from "../errors";
import { stack } from "../ops/indexing";
import { reshape, to, view } from "../ops/movement";
import { formatShape, shapesEqual } from "../shape";
import { setElement } from "../elements";
import { Tensor } from "../tensor";
import type { Node } from "./define-op";
import { runBackward } from "./engine";
import { enableGrad, isGradEnabled } from "./grad-mode";

/** Options of `autogradGrad`. */
export interface AutogradGradOptions {
  /** The vectors in the vector-Jacobian products, one per output (default 1 for scalar outputs). */
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null;
  /** Keep the graph for another backward (defaults to createGraph). */
  retainGraph?: boolean;
  /** Record the backward pass itself, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
}

function asList(op: string, value: Tensor | readonly Tensor[], what: string): Tensor[] {
  const list = isTensor(value, op) ? [value] : Array.isArray(value) ? [...value] : null;
  if (list === null)
    throw new NablaError(op, `${what}s must be a tensor or an array of tensors, got ${value === null ? "null" : typeof value}`);
  list.forEach((t, i) => {
    if (!isTensor(t, op)) throw new NablaError(op, `${what} ${i} is not a tensor`);
  });
  return list;
}

/**
 * Gradients of `outputs` with respect to `inputs`, returned instead of accumulated into `.grad`
 * (PyTorch's `torch.autograd.grad`). With `createGraph` the results are differentiable. Only the
 * part of the graph between the outputs and the inputs runs; an input the outputs do not depend on
 * throws, or gives null with `allowUnused`.
 *
 * @example
 * ```ts
 * const x = tensor([1, 2], { requiresGrad: true });
 * const [dy] = autogradGrad(x.pow(3).sum(), [x], { createGraph: true });
 * dy;     // → [3, 12]
 * const [d2y] = autogradGrad(dy!.sum(), [x]);
 * d2y;    // → [6, 12]
 * x.grad; // → null
 * ```
 */
export function autogradGrad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options: AutogradGradOptions = {},
): (Tensor | null)[] {
  const outs = asList("autogradGrad", outputs, "output");
  const ins = asList("autogradGrad", inputs, "input");
  const { createGraph = false, allowUnused = false } = checkOptions("autogradGrad", options);
  checkBoolean("autogradGrad", "createGraph", createGraph);
  checkBoolean("autogradGrad", "allowUnused", allowUnused);
  if (options.retainGraph !== undefined) checkBoolean("autogradGrad", "retainGraph", options.retainGraph);
  const retainGraph = options.retainGraph ?? createGraph;
  for (const t of [...outs, ...ins]) t.syncHistory("autogradGrad");
  ins.forEach((t, i) => {
    if (!t.requiresGrad) throw new NablaError("autogradGrad", `input ${i} (shape ${formatShape(t.shape)}) does not require grad`);
  });
  const given =
    options.gradOutputs === undefined || options.gradOutputs === null
      ? []
      : isTensor(options.gradOutputs, "autogradGrad")
        ? [options.gradOutputs]
        : [...options.gradOutputs];
  if (given.length > 0 && given.length !== outs.length) {
    throw new NablaError("autogradGrad", `got ${given.length} gradOutputs for ${outs.length} outputs`);
  }
  const roots: Tensor[] = [];
  const seeds: Tensor[] = [];
  outs.forEach((out, i) => {
    if (!out.requiresGrad) throw new NablaError("autogradGrad", `output ${i} does not require grad and has no gradFn`);
    let seed = given[i] ?? null;
    if (seed === null) {
      if (out.numel !== 1)
        throw new NablaError(
          "autogradGrad",
          `output ${i} has shape ${formatShape(out.shape)}: gradOutputs is needed for non-scalar outputs`,
        );
      seed = full(out.shape, 1, { dtype: out.dtype });
    } else if (!isTensor(seed, "autogradGrad")) {
      throw new NablaError("autogradGrad", `gradOutputs ${i} is not a tensor`);
    } else if (!shapesEqual(seed.shape, out.shape)) {
      throw new NablaError(
        "autogradGrad",
        `gradOutputs ${i} has shape ${formatShape(seed.shape)} but output ${i} has shape ${formatShape(out.shape)}`,
      );
    }
    roots.push(out);
    seeds.push(seed);
  });
  const grads = runBackward(roots, seeds, { retainGraph, createGraph, capture: ins });
  grads.forEach((g, i) => {
    if (g === null && !allowUnused) {
      throw new NablaError(
        "autogradGrad",
        `input ${i} (shape ${formatShape(ins[i]!.shape)}) was not used in the graph of the outputs; pass { allowUnused: true } to get null for it`,
      );
    }
  });
  return grads;
}

// ---- functional transforms ----
//
// Each transform calls f on fresh differentiable copies of the primals, with grad mode on, and
// differentiates the result with autogradGrad. A primal that is already part of a graph (an outer
// transform's input, or any tensor that requires grad) is copied by a view that stays connected
// to that graph, and when f's result reaches a graph other than the transform's own copies, the
// gradients are computed with createGraph: that is what makes grad(grad(f)), jacobian(grad(f))
// and hessian work, to any depth. Otherwise the results carry no graph.

/** The differentiable stand-ins for some of f's arguments. */
interface StandIns {
  /** f's arguments, with the differentiated ones replaced by their stand-ins. */
  args: unknown[];
  /** The stand-ins, in `argnums` order. */
  inputs: Tensor[];
  /** Whether the caller had grad mode on (no graph is built for a caller inside noGrad). */
  gradMode: boolean;
}

function standIns(op: string, primals: readonly unknown[], argnums: readonly number[]): StandIns {
  const args = [...primals];
  const inputs = argnums.map((argnum) => {
    if (!Number.isInteger(argnum) || argnum < 0 || argnum >= primals.length) {
      throw new NablaError(op, `argnums ${argnum} is out of range for a call with ${primals.length} arguments`);
    }
    const primal = primals[argnum];
    if (!isTensor(primal, op)) {
      throw new NablaError(op, `argument ${argnum} must be a tensor to be differentiated, got ${primal === null ? "null" : typeof primal}`);
    }
    if (!isFloating(primal.dtype)) {
      throw new NablaError(
        op,
        `argument ${argnum} has dtype ${primal.dtype} (shape ${formatShape(primal.shape)}); only float32 and float64 tensors can be differentiated`,
      );
    }
    const input = primal.requiresGrad && isGradEnabled() ? enableGrad(() => view(primal, primal.shape)) : primal.detach();
    input.requiresGrad = true;
    args[argnum] = input;
    return input;
  });
  return { args, inputs, gradMode: isGradEnabled() };
}

/** f's outputs as a list, and whether f returned a single tensor rather than an array. */
interface Called {
  outs: Tensor[];
  single: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: f takes the caller's primals; parameters are contravariant, so unknown[] would refuse (x: Tensor) => …
function callWith(op: string, f: (...args: any[]) => unknown, traced: StandIns): Called {
  if (typeof f !== "function") throw new NablaError(op, `expected a function, got ${typeof f}`);
  const result = enableGrad(() => f(...traced.args));
  const outs = isTensor(result, op) ? [result] : Array.isArray(result) ? (result as unknown[]) : null;
  if (outs === null || outs.length === 0 || outs.some((t) => !isTensor(t, op))) {
    throw new NablaError(
      op,
      `f must return a tensor${op === "vjp" || op === "jvp" ? " or a non-empty array of tensors" : ""}, got ${describe(result)}`,
    );
  }
  (outs as Tensor[]).forEach((out, i) => {
    if (!isFloating(out.dtype))
      throw new NablaError(op, `f's output ${i} has dtype ${out.dtype}; only floating-point outputs can be differentiated`);
  });
  return { outs: outs as Tensor[], single: isTensor(result, op) };
}

function describe(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor of shape ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length} values`;
  return value === null ? "null" : typeof value;
}

/**
 * Whether the graph behind `outs` reaches a tensor that requires grad other than the
 * transform's own stand-ins (an outer transform's input, a closed-over parameter): then the
 * gradients must be differentiable for whoever differentiates next.
 */
function reachesOuterGraph(outs: readonly Tensor[], own: readonly Tensor[]): boolean {
  const ownSet = new Set(own);
  const seen = new Set<Node>();
  const stackOfNodes: Node[] = [];
  for (const out of outs) {
    if (out.gradFn) stackOfNodes.push(out.gradFn);
    else if (out.requiresGrad && !ownSet.has(out)) return true;
  }
  while (stackOfNodes.length > 0) {
    const node = stackOfNodes.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    for (const edge of node.inputs) {
      if (!edge) continue;
      if (edge.node) stackOfNodes.push(edge.node);
      else if (!ownSet.has(edge.leaf!)) return true;
    }
  }
  return false;
}

function needsGraph(traced: StandIns, outs: readonly Tensor[]): boolean {
  return traced.gradMode && reachesOuterGraph(outs, traced.inputs);
}

/** Vector-Jacobian products of `outs` for the stand-ins; zeros where an input is unused. */
function pullBack(
  outs: readonly Tensor[],
  cotangents: readonly Tensor[],
  inputs: readonly Tensor[],
  createGraph: boolean,
  retainGraph = createGraph,
): Tensor[] {
  const live = outs.map((out, i) => [out, cotangents[i]!] as const).filter(([out]) => out.requiresGrad);
  const grads =
    live.length === 0
      ? inputs.map(() => null)
      : autogradGrad(
          live.map(([out]) => out),
          inputs,
          { gradOutputs: live.map(([, c]) => c), createGraph, retainGraph, allowUnused: true },
        );
  return grads.map((g, i) => g ?? zerosLike(inputs[i]!));
}

function checkCotangent(op: string, what: string, given: unknown, like: Tensor, index: number): Tensor {
  if (!isTensor(given, op)) throw new NablaError(op, `${what} ${index} must be a tensor, got ${describe(given)}`);
  if (!shapesEqual(given.shape, like.shape)) {
    throw new NablaError(op, `${what} ${index} has shape ${formatShape(given.shape)} but must match shape ${formatShape(like.shape)}`);
  }
  return given.dtype === like.dtype ? given : to(given, like.dtype);
}

function scalarOutput(op: string, out: Tensor): Tensor {
  if (out.numel !== 1) {
    throw new NablaError(
      op,
      `f must return a single-element tensor to be differentiated, got shape ${formatShape(out.shape)} (use vjp or jacobian for other outputs)`,
    );
  }
  return out;
}

type Argnums = number | readonly number[];

function argnumList(op: string, argnums: unknown): number[] {
  if (typeof argnums === "number") return [argnums];
  if (Array.isArray(argnums) && argnums.length > 0 && argnums.every((a) => typeof a === "number")) return [...argnums];
  throw new NablaError(op, `argnums must be a number or a non-empty array of numbers, got ${describe(argnums)}`);
}

// biome-ignore lint/suspicious/noExplicitAny: as callWith's f
function gradAndValue(op: string, f: (...args: any[]) => Tensor, argnums: Argnums, primals: unknown[]): { value: Tensor; grads: Tensor[] } {
  const traced = standIns(op, primals, argnumList(op, argnums));
  const { outs, single } = callWith(op, f, traced);
  if (!single) throw new NablaError(op, `f must return a tensor, got an array of ${outs.length}`);
  const out = scalarOutput(op, outs[0]!);
  const createGraph = needsGraph(traced, [out]);
  const grads = pullBack([out], [full(out.shape, 1, { dtype: out.dtype })], traced.inputs, createGraph);
  return { value: createGraph ? out : out.detach(), grads };
}

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions<A extends Argnums = number> {
  /** Which arguments to differentiate: a number gives one gradient, an array gives a list. */
  argnums?: A;
}

/**
 * The gradient of a function with a single-element output, as a function (JAX's `grad`):
 * `grad(f)(x)` is ∂f/∂x, shaped like x. `argnums` picks the argument (default 0); a list gives one
 * gradient per listed argument. Arguments need no `requiresGrad`; other arguments pass through
 * unchanged. Composes with itself and the other transforms (`grad(grad(f))`).
 *
 * @example
 * ```ts
 * const df = grad((x: Tensor) => x.pow(3).sum());
 * df(tensor([1, 2])); // → [3, 12]
 * const d2f = grad((x: Tensor) => df(x).sum());
 * d2f(tensor([1, 2])); // → [6, 12]
 * ```
 */
export function grad<A extends unknown[]>(f: (...args: A) => Tensor, options?: GradOptions<number>): (...args: A) => Tensor;
/**
 * `grad` with a list of `argnums`: the function returns one gradient per listed argument.
 *
 * @example
 * ```ts
 * const f = (a: Tensor, b: Tensor) => a.mul(b).sum();
 * const [da, db] = grad(f, { argnums: [0, 1] })(tensor([1, 2]), tensor([3, 4]));
 * da; // → [3, 4]
 * db; // → [1, 2]
 * ```
 */
export function grad<A extends unknown[]>(f: (...args: A) => Tensor, options: GradOptions<readonly number[]>): (...args: A) => Tensor[];
export function grad<A extends unknown[]>(
  f: (...args: A) => Tensor,
  options: GradOptions<Argnums> = {},
): (...args: A) => Tensor | Tensor[] {
  checkFunction("grad", "f", f);
  const argnums = checkOptions("grad", options).argnums ?? 0;
  argnumList("grad", argnums);
  return (...args: A) => {
    const { grads } = gradAndValue("grad", f, argnums, args);
    return typeof argnums === "number" ? grads[0]! : grads;
  };
}

/**
 * Like `grad`, but the function returns `{ value, grad }`: f's output and its gradient, from one
 * forward pass (JAX's `value_and_grad`).
 *
 * @example
 * ```ts
 * const f = valueAndGrad((w: Tensor) => w.square().sum());
 * const { value, grad: g } = f(tensor([1, 2]));
 * value; // → 5
 * g;     // → [2, 4]
 * ```
 */
export function valueAndGrad<A extends unknown[]>(
  f: (...args: A) => Tensor,
  options?: GradOptions<number>,
): (...args: A) => { value: Tensor; grad: Tensor };
/**
 * `valueAndGrad` with a list of `argnums`: `grad` is one gradient per listed argument.
 *
 * @example
 * ```ts
 * const f = valueAndGrad((a: Tensor, b: Tensor) => a.mul(b).sum(), { argnums: [0, 1] });
 * f(tensor([1, 2]), tensor([3, 4])).grad; // → [[3, 4], [1, 2]]
 * ```
 */
export function valueAndGrad<A extends unknown[]>(
  f: (...args: A) => Tensor,
  options: GradOptions<readonly number[]>,
): (...args: A) => { value: Tensor; grad: Tensor[] };
export function valueAndGrad<A extends unknown[]>(
  f: (...args: A) => Tensor,
  options: GradOptions<Argnums> = {},
): (...args: A) => { value: Tensor; grad: Tensor | Tensor[] } {
  checkFunction("valueAndGrad", "f", f);
  const argnums = checkOptions("valueAndGrad", options).argnums ?? 0;
  argnumList("valueAndGrad", argnums);
  return (...args: A) => {
    const { value, grads } = gradAndValue("valueAndGrad", f, argnums, args);
    return { value, grad: typeof argnums === "number" ? grads[0]! : grads };
  };
}

type Outputs = Tensor | Tensor[];

function primalList(op: string, primals: unknown): Tensor[] {
  return asList(op, primals as Tensor | Tensor[], "primal");
}

/**
 * The vector-Jacobian product of f at `primals` (PyTorch's `torch.func.vjp`, JAX's `vjp`):
 * `{ out: f(...primals), grads }` with `grads[i] = J_iᵀ · cotangent` (shaped like primal i).
 * `cotangent` is shaped like f's output (an array of them when f returns an array); it may be
 * omitted for a single-element output.
 *
 * @example
 * ```ts
 * const { out, grads } = vjp((x: Tensor) => x.sin(), [tensor([0, 1])], ones([2]));
 * out;      // → [0, 0.84147098]
 * grads[0]; // → [1, 0.54030231]
 * ```
 */
export function vjp<O extends Outputs>(
  f: (...primals: Tensor[]) => O,
  primals: Tensor | readonly Tensor[],
  cotangent?: O,
): { out: O; grads: Tensor[] } {
  const list = primalList("vjp", primals);
  const traced = standIns(
    "vjp",
    list,
    list.map((_, i) => i),
  );
  const { outs, single } = callWith("vjp", f, traced);
  const given = cotangent === undefined ? undefined : single ? [cotangent] : Array.isArray(cotangent) ? (cotangent as unknown[]) : null;
  if (given === null)
    throw new NablaError(
      "vjp",
      `f returned ${outs.length} outputs, so the cotangent must be an array of ${outs.length} tensors, got ${describe(cotangent)}`,
    );
  if (given !== undefined && given.length !== outs.length) {
    throw new NablaError("vjp", `got ${given.length} cotangents for ${outs.length} outputs`);
  }
  const cotangents = outs.map((out, i) => {
    if (given !== undefined) return checkCotangent("vjp", "cotangent", given[i], out, i);
    if (out.numel !== 1)
      throw new NablaError(
        "vjp",
        `output ${i} has shape ${formatShape(out.shape)}: a cotangent is needed for outputs with more than one element`,
      );
    return full(out.shape, 1, { dtype: out.dtype });
  });
  const createGraph = needsGraph(traced, [...outs, ...cotangents]);
  const grads = pullBack(outs, cotangents, traced.inputs, createGraph);
  const shown = outs.map((out) => (createGraph ? out : out.detach()));
  return { out: (single ? shown[0] : shown) as O, grads };
}

/**
 * The Jacobian-vector product of f at `primals` along `tangents` (one per primal, same shapes),
 * as JAX's `jvp`: `{ out: f(...primals), tangent: Σ_i J_i · tangents[i] }`, shaped like f's output.
 *
 * Computed by the double-vjp construction, not by forward-mode rules: with a dummy cotangent
 * u, g(u) = Jᵀu is linear in u, so J·t = ∂⟨g(u), t⟩/∂u. That is two reverse sweeps, and it works
 * for every op because every backward rule is written in differentiable tensor ops.
 *
 * @example
 * ```ts
 * const { out, tangent } = jvp((x: Tensor) => x.square(), [tensor([3])], [tensor([1])]);
 * out;     // → [9]
 * tangent; // → [6]
 * ```
 */
export function jvp<O extends Outputs>(
  f: (...primals: Tensor[]) => O,
  primals: Tensor | readonly Tensor[],
  tangents: Tensor | readonly Tensor[],
): { out: O; tangent: O } {
  const list = primalList("jvp", primals);
  const tangentList = asList("jvp", tangents, "tangent");
  if (tangentList.length !== list.length) throw new NablaError("jvp", `got ${tangentList.length} tangents for ${list.length} primals`);
  const checkedTangents = tangentList.map((t, i) => checkCotangent("jvp", "tangent", t, list[i]!, i));
  const traced = standIns(
    "jvp",
    list,
    list.map((_, i) => i),
  );
  const { outs, single } = callWith("jvp", f, traced);
  const createGraph = needsGraph(traced, [...outs, ...checkedTangents]);
  // g(u) = Jᵀu for dummy cotangents u (zeros: the value is irrelevant, g is linear in u)
  const dummies = outs.map((out) => {
    const u = zeros(out.shape, { dtype: out.dtype });
    u.requiresGrad = true;
    return u;
  });
  const pulled = pullBack(outs, dummies, traced.inputs, true);
  // J·t = ∂⟨g(u), t⟩/∂u; an input gradient that does not depend on u contributes nothing
  const live = pulled.map((g, i) => [g, checkedTangents[i]!] as const).filter(([g]) => g.requiresGrad);
  const pushed =
    live.length === 0
      ? dummies.map(() => null)
      : enableGrad(() =>
          autogradGrad(
            live.map(([g]) => g),
            dummies,
            { gradOutputs: live.map(([, t]) => t), createGraph, retainGraph: createGraph, allowUnused: true },
          ),
        );
  const tangentOuts = pushed.map((t, i) => t ?? zerosLike(outs[i]!));
  const shown = outs.map((out) => (createGraph ? out : out.detach()));
  return single ? { out: shown[0] as O, tangent: tangentOuts[0] as O } : { out: shown as O, tangent: tangentOuts as O };
}

/**
 * The Jacobian of f at x, shaped `[...out.shape, ...x.shape]` (PyTorch's
 * `torch.autograd.functional.jacobian` layout): entry [i…, j…] is ∂out[i…]/∂x[j…]. With an array
 * of primals (f called with them spread) it returns one Jacobian per primal. Built row by row from
 * vector-Jacobian products (reverse mode), one backward pass per output element.
 *
 * @example
 * ```ts
 * jacobian((x: Tensor) => x.square(), tensor([1, 2])); // → [[2, 0], [0, 4]]
 * jacobian((x: Tensor) => x.sum(), tensor([1, 2]));    // → [1, 1]
 * ```
 */
export function jacobian(f: (x: Tensor) => Tensor, x: Tensor): Tensor;
/**
 * `jacobian` at several primals (f is called with them spread): one Jacobian per primal, each
 * shaped `[...out.shape, ...x_i.shape]`.
 *
 * @example
 * ```ts
 * const [ja, jb] = jacobian((a: Tensor, b: Tensor) => a.mul(b), [tensor([1, 2]), tensor([3, 4])]);
 * ja; // → [[3, 0], [0, 4]]
 * jb; // → [[1, 0], [0, 2]]
 * ```
 */
export function jacobian(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[]): Tensor[];
export function jacobian(f: (...xs: Tensor[]) => Tensor, x: Tensor | readonly Tensor[]): Tensor | Tensor[] {
  const list = primalList("jacobian", x);
  const traced = standIns(
    "jacobian",
    list,
    list.map((_, i) => i),
  );
  const { outs, single } = callWith("jacobian", f, traced);
  if (!single) throw new NablaError("jacobian", `f must return one tensor, got an array of ${outs.length}`);
  const out = outs[0]!;
  const createGraph = needsGraph(traced, [out]);
  const rows: Tensor[][] = traced.inputs.map(() => []);
  for (let j = 0; j < out.numel; j++) {
    const unit = zeros([out.numel], { dtype: out.dtype });
    setElement(unit, j, 1);
    const isLast = j === out.numel - 1;
    const grads = pullBack([out], [reshape(unit, out.shape)], traced.inputs, createGraph, createGraph || !isLast);
    grads.forEach((g, i) => {
      rows[i]!.push(g);
    });
  }
  const jacobians = traced.inputs.map((input, i) => {
    const shape = [...out.shape, ...input.shape];
    return out.numel === 0 ? zeros(shape, { dtype: input.dtype }) : reshape(stack(rows[i]!), shape);
  });
  return isTensor(x, "jacobian") ? jacobians[0]! : jacobians;
}

/**
 * The Hessian of a function with a single-element output: the Jacobian of its gradient, shaped
 * `[...x.shape, ...x.shape]` (PyTorch's `torch.autograd.functional.hessian`). With an array of
 * primals it returns the blocks `H[i][j] = ∂²f / ∂x_i ∂x_j`, each shaped
 * `[...x_i.shape, ...x_j.shape]`.
 *
 * @example
 * ```ts
 * hessian((x: Tensor) => x.pow(3).sum(), tensor([1, 2])); // → [[6, 0], [0, 12]]
 * ```
 */
export function hessian(f: (x: Tensor) => Tensor, x: Tensor): Tensor;
/**
 * `hessian` at several primals: the blocks `H[i][j] = ∂²f / ∂x_i ∂x_j`, each shaped
 * `[...x_i.shape, ...x_j.shape]`.
 *
 * @example
 * ```ts
 * const h = hessian((a: Tensor, b: Tensor) => a.square().mul(b.square()).sum(), [tensor([1]), tensor([2])]);
 * h[0]![0]; // → [[8]]
 * h[0]![1]; // → [[8]]
 * h[1]![1]; // → [[2]]
 * ```
 */
export function hessian(f: (...xs: Tensor[]) => Tensor, xs: readonly Tensor[]): Tensor[][];
export function hessian(f: (...xs: Tensor[]) => Tensor, x: Tensor | readonly Tensor[]): Tensor | Tensor[][] {
  if (isTensor(x, "hessian")) return jacobian(grad(f as (x: Tensor) => Tensor), x);
  const list = primalList("hessian", x);
  return list.map((_, i) => jacobian(grad(f, { argnums: i }), list));
}

// Calling public functions with random well-typed and wrong-typed arguments (test/fuzz/api-*.test.ts).
//
// A row describes one function: how to draw a well-typed argument list (often one that fits, so
// the call gets past validation into the kernels) and how to call it. `callCaseArb` then replaces,
// inserts or drops arguments with hostile values now and then, and `callProblems` runs the call
// and lists everything that went wrong:
//   - it threw something other than a NablaError;
//   - it threw and left some argument tensor changed (storage, version, layout, grad);
//   - it returned, was not in place, and changed an argument anyway;
//   - a tensor it returned (or an argument after the call) is not well formed;
//   - backward through a result with a gradFn threw something other than a NablaError, or gave a
//     gradient whose shape or dtype is not its input's.

import fc from "fast-check";
import { describe, it } from "vitest";
import { Tensor, autogradGrad, full } from "@nabla/tensor";
import {
  HOSTILE_VALUES,
  READABLE_NUMEL,
  attempt,
  fuzzParameters,
  fuzzTimeout,
  changesSince,
  describeError,
  notNablaError,
  snapshotTensors,
  tensorsIn,
  wellFormedProblems,
} from "./fuzz-checks";
import { anyTensorSpecArb, buildTensor, type TensorSpec } from "./fuzz-tensors";

/**
 * An argument built fresh for each call (a tensor, a module, an optimizer), from a description that
 * fast-check draws, shrinks and prints.
 */
export class BuiltArg<D = unknown> {
  constructor(
    readonly kind: string,
    readonly description: D,
    readonly build: (description: D) => unknown,
  ) {}

  [fc.toStringMethod](): string {
    return `${this.kind}(${fc.stringify(this.description)})`;
  }
}

export const builtArg = <D>(kind: string, description: fc.Arbitrary<D>, build: (description: D) => unknown): fc.Arbitrary<BuiltArg<D>> =>
  description.map((d) => new BuiltArg(kind, d, build));

/** A tensor argument, built from its spec (a view of a bigger base, maybe requiring grad). */
export const tensorArg = (spec: fc.Arbitrary<TensorSpec>): fc.Arbitrary<BuiltArg<TensorSpec>> => builtArg("TensorArg", spec, buildTensor);

/** Replaces every BuiltArg (also inside arrays and plain objects) by what it builds. */
export function realize(value: unknown): unknown {
  if (value instanceof BuiltArg) return value.build(value.description);
  if (Array.isArray(value)) return value.map(realize);
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, realize(v)]));
  }
  return value;
}

export interface Row {
  name: string;
  /** Well-typed argument lists; BuiltArgs are built for each call. */
  args: fc.Arbitrary<unknown[]>;
  /** Argument lists of the right types but values no call can take (huge sizes, say), for the hostile property. */
  hostileArgs?: fc.Arbitrary<unknown[]>;
  // biome-ignore lint/suspicious/noExplicitAny: any public function, called with deliberately wrong arguments
  call: (...args: any[]) => unknown;
  /** Also call it as a method of its first argument: `x[method](...rest)`. */
  method?: string;
  /** In place: a call that returns may change its first argument. */
  writes?: boolean;
  /** The first argument is the receiver of a method (`x.item()`): it stays a tensor. */
  receiver?: boolean;
  /** Runs before the call and its snapshot (assigning .grad, say); a NablaError here ends the case. */
  // biome-ignore lint/suspicious/noExplicitAny: as call
  prepare?: (...args: any[]) => void;
  /** Problems with a returned value, beyond being well formed (args as built for the call). */
  // biome-ignore lint/suspicious/noExplicitAny: as call
  expect?: (result: any, args: any[]) => string[];
}

export interface CallCase {
  args: unknown[];
  viaMethod: boolean;
  /** Which cotangent backward gets, when the result has a gradFn. */
  cotangent: "ones" | "wrong shape" | "wrong dtype" | "number";
}

/** A hostile argument: a value of a JS type nabla never takes, or a random tensor where it does not fit. */
export const hostileArgArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 1, arbitrary: tensorArg(anyTensorSpecArb({ shape: { maxRank: 3, maxNumel: 12 } })) },
  { weight: 1, arbitrary: fc.array(tensorArg(anyTensorSpecArb({ shape: { maxRank: 2, maxNumel: 6 } })), { maxLength: 2 }) },
);

type Edit = { kind: "replace" | "insert"; at: number; value: unknown } | { kind: "drop" };

function applyEdits(args: readonly unknown[], edits: readonly Edit[], receiver: boolean): unknown[] {
  if (receiver) return [args[0], ...applyEdits(args.slice(1), edits, false)];
  const result = [...args];
  for (const edit of edits) {
    if (edit.kind === "drop") result.pop();
    else if (edit.kind === "replace" && result.length > 0) result[edit.at % result.length] = edit.value;
    else result.splice(edit.at % (result.length + 1), 0, edit.value);
  }
  return result;
}

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("replace" as const), at: fc.nat(7), value: hostileArgArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: fc.nat(7), value: hostileArgArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: "drop" as const }) },
);

/**
 * Calls of a row: its well-typed argument lists as drawn, or (hostile) with one or two arguments
 * replaced by, or joined by, hostile values, or the last one dropped, or the row's own hostile lists.
 */
export function callCaseArb(row: Row, hostile: boolean): fc.Arbitrary<CallCase> {
  const edited = fc
    .tuple(row.args, fc.array(editArb, { minLength: 1, maxLength: 2 }))
    .map(([a, edits]) => applyEdits(a, edits, row.receiver ?? false));
  const args = !hostile ? row.args : row.hostileArgs ? fc.oneof(edited, row.hostileArgs) : edited;
  return fc.record({
    args,
    viaMethod: row.method === undefined ? fc.constant(false) : fc.boolean(),
    cotangent: fc.constantFrom("ones" as const, "ones" as const, "wrong shape" as const, "wrong dtype" as const, "number" as const),
  });
}

/** The leaves behind the argument tensors that require grad (a view's base, or the tensor itself). */
function leavesOf(tensors: readonly Tensor[]): Tensor[] {
  const leaves = new Set<Tensor>();
  for (const t of tensors) {
    const root = t.base ?? t;
    if (root.requiresGrad && root.isLeaf) leaves.add(root);
  }
  return [...leaves];
}

function cotangentFor(result: Tensor, kind: CallCase["cotangent"]): Tensor | number {
  if (kind === "number") return 1;
  if (kind === "wrong dtype") return full(result.shape, 1, { dtype: "int32" });
  if (kind === "wrong shape") return full([...result.shape, 2], 1, { dtype: result.dtype });
  return full(result.shape, 1, { dtype: result.dtype });
}

/** Backward through `result` to the argument leaves: only NablaErrors, and gradients shaped and typed as their inputs. */
function backwardProblems(result: Tensor, leaves: Tensor[], kind: CallCase["cotangent"]): string[] {
  // (a cotangent for a huge view, an expand to sizes no storage could hold, cannot be made)
  if (result.gradFn === null || leaves.length === 0 || result.numel > READABLE_NUMEL) return [];
  const seed = cotangentFor(result, kind);
  const grads = attempt(() =>
    autogradGrad(result, leaves, { gradOutputs: seed instanceof Tensor ? [seed] : undefined, allowUnused: true }),
  );
  if (!grads.ok) {
    // a number needs a scalar output; a wrong cotangent must be refused
    return notNablaError(grads.error, `backward with a ${kind} cotangent`);
  }
  // as PyTorch, a cotangent of another dtype is converted, one of another shape refused
  if (kind === "wrong shape")
    return [
      `backward accepted a cotangent of shape [${(seed as Tensor).shape.join(", ")}] for a ${result.dtype} [${result.shape.join(", ")}] output`,
    ];
  const problems: string[] = [];
  grads.value.forEach((g, i) => {
    if (g === null) return;
    const leaf = leaves[i]!;
    problems.push(...wellFormedProblems(g, `gradient ${i}`));
    if (g.dtype !== leaf.dtype || g.shape.length !== leaf.shape.length || g.shape.some((s, d) => s !== leaf.shape[d])) {
      problems.push(`gradient ${i} is ${g.dtype} [${g.shape.join(", ")}] for an input of ${leaf.dtype} [${leaf.shape.join(", ")}]`);
    }
  });
  return problems;
}

/** Runs one call and lists every problem with it (empty: all is well). */
export function callProblems(row: Row, callCase: CallCase): string[] {
  const args = callCase.args.map(realize);
  const viaMethod =
    callCase.viaMethod && args[0] instanceof Tensor && typeof (args[0] as unknown as Record<string, unknown>)[row.method!] === "function";
  const label = viaMethod ? `x.${row.method}(…)` : `${row.name}(…)`;
  if (row.prepare) {
    const prepared = attempt(() => row.prepare!(...args));
    if (!prepared.ok) return notNablaError(prepared.error, `preparing ${label}`);
  }
  const tensors = tensorsIn(args);
  const snapshot = snapshotTensors(tensors);
  const receiver = args[0] as Record<string, (...rest: unknown[]) => unknown>;
  const outcome = attempt(() => (viaMethod ? receiver[row.method!]!(...args.slice(1)) : row.call(...args)));
  if (!outcome.ok)
    return [
      ...notNablaError(outcome.error, label),
      ...changesSince(snapshot, "argument").map((p) => `${label} threw ${describeError(outcome.error)} and ${p}`),
    ];
  const problems: string[] = [];
  if (!row.writes) problems.push(...changesSince(snapshot, "argument").map((p) => `${label} returned, but ${p}`));
  const results = tensorsIn([outcome.value]);
  for (const [i, t] of results.entries()) problems.push(...wellFormedProblems(t, `${label} result ${i}`));
  for (const [i, t] of tensors.entries()) problems.push(...wellFormedProblems(t, `argument ${i} after ${label}`));
  const result = outcome.value;
  if (problems.length === 0 && row.expect) problems.push(...row.expect(result, args).map((p) => `${label}: ${p}`));
  if (problems.length === 0 && result instanceof Tensor) problems.push(...backwardProblems(result, leavesOf(tensors), callCase.cotangent));
  return problems;
}

/** The fast-check predicate of a row: throws with every problem listed. */
export function checkCall(row: Row) {
  return (callCase: CallCase): void => {
    const problems = callProblems(row, callCase);
    if (problems.length > 0) throw new Error(problems.join("\n"));
  };
}

/** The two properties of every row, one test each: well-typed calls, and hostile ones. */
export function describeRows(title: string, rows: readonly Row[], runs: number): void {
  describe(`${title} with random well-typed arguments`, () => {
    it.each(rows.map((row) => [row.name, row] as const))(
      "%s",
      (_name, row) => {
        fc.assert(fc.property(callCaseArb(row, false), checkCall(row)), fuzzParameters(runs));
      },
      fuzzTimeout(),
    );
  });
  describe(`${title} with hostile arguments`, () => {
    it.each(rows.map((row) => [row.name, row] as const))(
      "%s",
      (_name, row) => {
        fc.assert(fc.property(callCaseArb(row, true), checkCall(row)), fuzzParameters(runs));
      },
      fuzzTimeout(),
    );
  });
}

import { isTensor } from "../copies";
import { arange } from "../creation";
import { resultType } from "../dtype";
import { NablaError, describeValue } from "../errors";
import { formatShape, numelOf } from "../shape";
import { Tensor } from "../tensor";
import { eq, where } from "./compare";
import { matmul } from "./linalg";
import { expand, permute, reshape, to } from "./movement";
import { sum } from "./reduce";

// einsum is a composite: each operand's repeated subscripts become a diagonal (where + sum),
// subscripts no other operand or the output needs are summed away, and the operands are then
// contracted left to right, each pair as one batched matmul after a permute and reshape:
// [batch, kept by the left, contracted] · [batch, contracted, kept by the right]. The full
// broadcast product of the operands is never built.

/** An operand with one subscript per dim; ellipsis dims are the subscripts "0", "1", … */
interface Term {
  x: Tensor;
  labels: string[];
}

/** Splits one side's subscripts into letters and "..." (null when there is no ellipsis). */
function parseSubscripts(fail: (why: string) => never, text: string, what: string): { before: string[]; after: string[] | null } {
  const parts = text.split("...");
  if (parts.length > 2) fail(`${what} has more than one ellipsis`);
  const letters = parts.map((part) => {
    for (const c of part) if (!/[a-zA-Z]/.test(c)) fail(`${what} has the character "${c}"; subscripts are letters and "..."`);
    return [...part];
  });
  return { before: letters[0]!, after: parts.length === 2 ? letters[1]! : null };
}

/** The labels of every dim of an operand whose ellipsis covers `ellipsisDims` dims of `rank` in all. */
function ellipsisLabels(ellipsisDims: number, rank: number): string[] {
  return Array.from({ length: ellipsisDims }, (_, j) => String(rank - ellipsisDims + j));
}

/** x reduced to the diagonal of its dims a and b (same size), which is removed. */
function diagonal(x: Tensor, a: number, b: number): Tensor {
  const n = x.shape[a]!;
  const along = (d: number) =>
    reshape(
      arange(0, n, 1, { dtype: "int32" }),
      x.shape.map((_, k) => (k === d ? n : 1)),
    );
  // where, not a product with an identity matrix: an off-diagonal Infinity times 0 would be NaN
  return sum(where(eq(along(a), along(b)), x, Tensor.fromNumber(0, x.dtype)), b);
}

/** Contracts two terms, keeping the subscripts in `keep` (needed by the output or a later operand). */
function contract(a: Term, b: Term, keep: Set<string>, sizes: Map<string, number>): Term {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const contracted = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const leftOnly = a.labels.filter((l) => !inB.has(l));
  const rightOnly = b.labels.filter((l) => !inA.has(l));
  const size = (labels: string[]) => numelOf(labels.map((l) => sizes.get(l)!));
  // shared subscripts of size 1 in one operand are broadcast (expand) to the other's size
  const arrange = (t: Term, order: string[], shape: number[]) => {
    const moved = permute(
      t.x,
      order.map((l) => t.labels.indexOf(l)),
    );
    return reshape(
      expand(
        moved,
        order.map((l) => sizes.get(l)!),
      ),
      shape,
    );
  };
  const left = arrange(a, [...batch, ...leftOnly, ...contracted], [size(batch), size(leftOnly), size(contracted)]);
  const right = arrange(b, [...batch, ...contracted, ...rightOnly], [size(batch), size(contracted), size(rightOnly)]);
  const labels = [...batch, ...leftOnly, ...rightOnly];
  return {
    x: reshape(
      matmul(left, right),
      labels.map((l) => sizes.get(l)!),
    ),
    labels,
  };
}

/** Sums away the subscripts of a term that are not in `keep`. */
function sumUnkept(t: Term, keep: Set<string>): Term {
  const dims = t.labels.flatMap((l, d) => (keep.has(l) ? [] : [d]));
  if (dims.length === 0) return t;
  return { x: sum(t.x, dims), labels: t.labels.filter((l) => keep.has(l)) };
}

/**
 * Einstein summation (PyTorch's `einsum`): `equation` names each operand's dims with letters,
 * separated by commas, then optionally `->` and the output's letters. Letters shared by operands
 * multiply, letters missing from the output are summed over; a letter repeated within an operand
 * takes its diagonal. Without `->`, the output holds the letters that appear once, in alphabetical
 * order (capitals first). `...` stands for the remaining dims, broadcast across operands, and
 * comes first in an implicit output. Size-1 dims broadcast. Each contraction is one matmul.
 * Differentiable.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);
 * const b = tensor([[5, 6], [7, 8]]);
 * einsum("ij,jk->ik", a, b); // → [[19, 22], [43, 50]]
 * einsum("ii", a);           // → 5
 * einsum("ii->i", a);        // → [1, 4]
 * einsum("ij->ji", a);       // → [[1, 3], [2, 4]]
 * einsum("i,j->ij", tensor([1, 2]), tensor([3, 4])); // → [[3, 4], [6, 8]]
 * einsum("...ij,...jk", a, b); // → [[19, 22], [43, 50]]
 * einsum("ij,jk", a, zeros([3, 2])); // throws einsum: subscript j has size 2 in operand 0 and 3 in operand 1 ("ij,jk" with shapes [2, 2] and [3, 2])
 * ```
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== "string") throw new NablaError("einsum", `equation must be a string, got ${describeValue(equation)}`);
  operands.forEach((x, i) => {
    if (!isTensor(x, "einsum")) throw new NablaError("einsum", `operand ${i} must be a tensor, got ${describeValue(x)}`);
  });
  const shapes = operands.map((x) => formatShape(x.shape)).join(" and ");
  const fail = (why: string): never => {
    throw new NablaError("einsum", `${why} ("${equation}" with ${operands.length === 0 ? "no operands" : `shapes ${shapes}`})`);
  };
  const text = equation.replace(/\s+/g, "");
  const sides = text.split("->");
  if (sides.length > 2) fail(`the equation has more than one "->"`);
  const inputs = sides[0]!.split(",");
  if (inputs.length !== operands.length)
    fail(`the equation has ${inputs.length} operand subscripts but ${operands.length} operands were given`);
  if (operands.some((x) => x.dtype === "bool")) fail("bool operands are not supported");
  const dtype = resultType(operands);

  // one subscript per dim; ellipsis dims are labelled by their place counted from the right, so they broadcast
  const parsed = inputs.map((term, i) => parseSubscripts(fail, term, `operand ${i}'s subscripts "${term}"`));
  let ellipsisRank = 0;
  const terms: Term[] = parsed.map(({ before, after }, i) => {
    const x = operands[i]!;
    const letters = before.length + (after?.length ?? 0);
    if (after === null && letters !== x.ndim) fail(`operand ${i} has ${x.ndim} dims but ${letters} subscripts`);
    if (letters > x.ndim) fail(`operand ${i} has ${x.ndim} dims but ${letters} subscripts besides its ellipsis`);
    const covered = x.ndim - letters;
    ellipsisRank = Math.max(ellipsisRank, covered);
    return { x: x.dtype === dtype ? x : to(x, dtype), labels: [...before, ...(after === null ? [] : [`…${covered}`]), ...(after ?? [])] };
  });
  for (const t of terms) {
    const at = t.labels.findIndex((l) => l.startsWith("…"));
    if (at >= 0) t.labels.splice(at, 1, ...ellipsisLabels(Number(t.labels[at]!.slice(1)), ellipsisRank));
  }

  const sizes = new Map<string, number>();
  const seenIn = new Map<string, number>();
  terms.forEach((t, i) => {
    t.labels.forEach((l, d) => {
      const size = t.x.shape[d]!;
      const known = sizes.get(l);
      if (known === undefined || known === 1) {
        sizes.set(l, size);
        seenIn.set(l, i);
      } else if (size !== known && size !== 1) {
        if (seenIn.get(l) === i) fail(`subscript ${l} repeats in operand ${i} with sizes ${known} and ${size}`);
        const name = /\d/.test(l) ? "the ellipsis" : `subscript ${l}`;
        fail(`${name} has size ${known} in operand ${seenIn.get(l)} and ${size} in operand ${i}`);
      }
    });
  });

  // the output's subscripts
  const counts = new Map<string, number>();
  for (const t of terms) for (const l of t.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const ellipsisOut = ellipsisLabels(ellipsisRank, ellipsisRank);
  let output: string[];
  if (sides.length === 2) {
    const { before, after } = parseSubscripts(fail, sides[1]!, `the output subscripts "${sides[1]}"`);
    output = [...before, ...(after === null ? [] : ellipsisOut), ...(after ?? [])];
    const letters = [...before, ...(after ?? [])];
    letters.forEach((l, k) => {
      if (!counts.has(l)) fail(`output subscript ${l} appears in no operand`);
      if (letters.indexOf(l) !== k) fail(`output subscript ${l} appears more than once`);
    });
  } else {
    const once = [...counts.keys()].filter((l) => !/\d/.test(l) && counts.get(l) === 1).sort();
    output = [...ellipsisOut, ...once];
  }

  // diagonals of repeated subscripts, then subscripts only this operand has and the output does not
  const prepared = terms.map((t, i) => {
    let { x, labels } = t;
    for (let b = labels.length - 1; b >= 0; b--) {
      const a = labels.indexOf(labels[b]!);
      if (a === b) continue;
      if (x.shape[a] !== x.shape[b]) fail(`subscript ${labels[a]} repeats in operand ${i} with sizes ${x.shape[a]} and ${x.shape[b]}`);
      x = diagonal(x, a, b);
      labels = labels.filter((_, d) => d !== b);
    }
    return { x, labels };
  });
  const outputSet = new Set(output);
  let current = sumUnkept(prepared[0]!, new Set([...output, ...prepared.slice(1).flatMap((t) => t.labels)]));
  for (let k = 1; k < prepared.length; k++) {
    const later = new Set([...output, ...prepared.slice(k + 1).flatMap((t) => t.labels)]);
    const next = sumUnkept(prepared[k]!, new Set([...later, ...current.labels]));
    current = contract(sumUnkept(current, new Set([...later, ...next.labels])), next, later, sizes);
  }
  current = sumUnkept(current, outputSet);
  // output subscripts of size 1 here but larger in the equation (a broadcast single operand) keep the size they have
  return permute(
    current.x,
    output.map((l) => current.labels.indexOf(l)),
  );
}

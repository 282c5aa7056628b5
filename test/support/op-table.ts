// The op table: one or more rows per differentiable op of @nabla/tensor, each calling the op
// through the public API. test/tensor/op-table.test.ts runs float64 gradcheck over every row
// (and over the @nabla/ops rows of op-table-ops.ts), with random shapes, values and strided views.

import {
  cat,
  cumprod,
  cumsum,
  einsum,
  elu,
  gelu,
  indexSelect,
  leakyRelu,
  maskedFill,
  matmul,
  maximum,
  minimum,
  norm,
  pad,
  pow,
  prod,
  silu,
  softplus,
  stack,
  tensor,
  where,
  type IndexEntry,
  type PadOptions,
  type Tensor,
} from "@nabla/tensor";

export interface OpRow {
  name: string; // the defineOp name this row covers
  covers?: string[]; // extra defineOp names exercised by this row
  arity: number; // number of float64 tensor inputs
  domains?: ("any" | "positive" | "nonzero" | "unit")[]; // per input value domain
  minRank?: number;
  maxRank?: number;
  sameShape?: boolean; // all inputs share one shape (else the row's call handles shapes)
  call: (inputs: Tensor[], shape: number[]) => Tensor;
  atol?: number;
  rtol?: number;
}

// Every input of a row arrives with the shape the property drew, as a strided (possibly
// broadcast, stride-0) view. Rows that need other shapes cut them with views (narrow, select,
// mT), which are differentiable and so checked along the way.

/**
 * Arguments such as dims, keepdim and index values come from a small generator seeded by the
 * shape (and a per-row salt): they change from run to run with the shape fast-check draws, stay
 * fixed across the many calls one gradcheck makes, and a failing run's seed reproduces them.
 */
export function rowChoices(shape: readonly number[], salt = 0) {
  let state =
    shape.reduce((h, size) => Math.imul(h ^ (size + 1), 0x9e3779b1), 0x85ebca6b ^ Math.imul(salt + 1, 0xc2b2ae35) ^ shape.length) >>> 0;
  const next = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    int,
    bool: () => next() < 0.5,
    /** A dim of an ndim-dim tensor, negative half the time. */
    dim: (ndim: number) => {
      const d = int(0, Math.max(ndim, 1) - 1);
      return next() < 0.5 ? d - Math.max(ndim, 1) : d;
    },
    /** A non-empty random subset of the dims (all of them for a 0-d tensor: [0] is accepted). */
    dims: (ndim: number) => {
      const all = [...Array(Math.max(ndim, 1)).keys()];
      const chosen = all.filter(() => next() < 0.5);
      return chosen.length > 0 ? chosen : [int(0, all.length - 1)];
    },
    permutation: (ndim: number) => {
      const dims = [...Array(ndim).keys()];
      for (let i = ndim - 1; i > 0; i--) {
        const j = int(0, i);
        [dims[i], dims[j]] = [dims[j]!, dims[i]!];
      }
      return dims;
    },
  };
}

/** Reduction arguments: all dims, one dim or a list, with keepdim either way. */
function reductionArgs(shape: readonly number[], salt: number): { dim: number | number[] | undefined; keepdim: boolean } {
  const pick = rowChoices(shape, salt);
  const form = pick.int(0, 2);
  const dim = form === 0 ? undefined : form === 1 ? pick.dim(shape.length) : pick.dims(shape.length);
  return { dim, keepdim: pick.bool() };
}

/**
 * var/std of x joined with −x along dim 0, over random dims that always include dim 0: every
 * reduced group holds at least two elements (one alone has no sample variance: NaN).
 */
function statisticOverPairs(x: Tensor, salt: number, statistic: (y: Tensor, dims: number[], keepdim: boolean) => Tensor): Tensor {
  const y = cat([x.unsqueeze(0), x.neg().unsqueeze(0)], 0);
  const { dim, keepdim } = reductionArgs(y.shape, salt);
  const dims = dim === undefined ? y.shape.map((_, d) => d) : typeof dim === "number" ? [dim] : dim;
  const withFirst = dims.some((d) => d === 0 || d === -y.ndim) ? dims : [0, ...dims];
  return statistic(y, withFirst, keepdim);
}

/** A fixed int32 index tensor of `indexShape` with values in [0, limit), repeats included. */
function indexTensor(indexShape: readonly number[], limit: number, salt: number): Tensor {
  const pick = rowChoices(indexShape, salt);
  const count = indexShape.reduce((n, size) => n * size, 1);
  return tensor(
    Int32Array.from({ length: count }, () => pick.int(0, limit - 1)),
    { shape: [...indexShape] },
  );
}

/**
 * A random advanced index for a tensor of `shape` (rank ≥ 1): entries for the first 1…ndim dims,
 * each null or an int32 tensor (negative values included, repeats allowed) whose shapes broadcast.
 */
function advancedIndex(shape: readonly number[], salt: number): IndexEntry[] {
  const pick = rowChoices(shape, salt);
  const count = pick.int(1, shape.length);
  const indexShape = [pick.int(1, 3), pick.int(1, 2)].slice(0, pick.int(1, 2));
  const entries: IndexEntry[] = shape.slice(0, count).map((size, d) => {
    if (d > 0 && pick.bool()) return null;
    // one entry of size 1 in a dim broadcasts against the others
    const own = indexShape.map((s) => (pick.int(0, 3) === 0 ? 1 : s));
    const values = indexTensor(own, 2 * size, salt + d + 1).sub(size);
    return values;
  });
  return entries;
}

/**
 * A constant that makes the elements of a reduced group distinct, so that var/std of an input
 * broadcast along the reduced dims (all copies equal, variance 0, where √ has no derivative) stays
 * away from 0.
 */
function spread(shape: readonly number[]): Tensor {
  const count = shape.reduce((n, size) => n * size, 1);
  return tensor(
    Float64Array.from({ length: count }, (_, i) => 0.37 * i),
    { shape: [...shape] },
  );
}

/** A fixed bool tensor shaped as x, true at about one element in `oneIn`. */
function maskLike(x: Tensor, pick: ReturnType<typeof rowChoices>, oneIn: number): Tensor {
  return tensor(
    Uint8Array.from({ length: x.numel }, () => (pick.int(1, oneIn) === 1 ? 1 : 0)),
    { shape: [...x.shape], dtype: "bool" },
  );
}

const unary = (name: string, call: (x: Tensor) => Tensor, extra: Partial<OpRow> = {}): OpRow => ({
  name,
  arity: 1,
  call: ([x]) => call(x!),
  ...extra,
});
const binary = (name: string, call: (a: Tensor, b: Tensor) => Tensor, extra: Partial<OpRow> = {}): OpRow => ({
  name,
  arity: 2,
  sameShape: true,
  call: ([a, b]) => call(a!, b!),
  ...extra,
});

export const tensorRows: OpRow[] = [
  // ---- movement (views) ----
  { name: "reshape", arity: 1, call: ([x], shape) => x!.reshape([...shape].reverse()) },
  { name: "reshape", arity: 1, call: ([x]) => x!.flatten() },
  { name: "reshape", arity: 1, minRank: 2, call: ([x], shape) => x!.flatten(rowChoices(shape, 1).int(0, 1), -1) },
  // unsqueeze, squeeze and view are reshapes of the layout
  { name: "reshape", arity: 1, call: ([x], shape) => x!.unsqueeze(rowChoices(shape, 2).dim(shape.length + 1)).squeeze() },
  { name: "reshape", covers: ["clone"], arity: 1, call: ([x]) => x!.contiguous().view([-1]) },
  { name: "permute", arity: 1, call: ([x], shape) => x!.permute(rowChoices(shape, 3).permutation(shape.length)) },
  {
    name: "permute",
    arity: 1,
    minRank: 1,
    call: ([x], shape) => x!.transpose(0, -1).transpose(rowChoices(shape, 4).dim(shape.length), -1),
  },
  { name: "permute", arity: 1, call: ([x]) => x!.T },
  { name: "permute", arity: 1, minRank: 2, call: ([x]) => x!.mT },
  { name: "expand", covers: ["reshape"], arity: 1, maxRank: 3, call: ([x], shape) => x!.unsqueeze(0).expand([2, ...shape]) },
  {
    // expand every size-1 dim to 2 (-1 keeps the others): the gradient sums over the copies
    name: "expand",
    arity: 1,
    maxRank: 3,
    call: ([x], shape) => x!.expand(shape.map((size) => (size === 1 ? 2 : -1))),
  },
  { name: "expand", arity: 1, maxRank: 3, call: ([x], shape) => x!.broadcastTo([3, ...shape]) },
  {
    name: "slice",
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 5);
      const d = pick.dim(shape.length);
      const size = x!.shape[d < 0 ? d + shape.length : d]!;
      return x!.slice(d, pick.int(-size, size - 1), pick.bool() ? undefined : pick.int(-size, size), pick.int(1, 3));
    },
  },
  {
    name: "slice",
    covers: ["reshape"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 6);
      const d = pick.dim(shape.length);
      return x!.select(d, pick.int(0, x!.shape.at(d)! - 1));
    },
  },
  {
    name: "slice",
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 7);
      const d = pick.int(0, shape.length - 1);
      const start = pick.int(0, shape[d]! - 1);
      return x!.narrow(d, start, pick.int(1, shape[d]! - start));
    },
  },
  {
    // overlapping windows along the last dim: storage positions read twice get two gradients
    name: "asStrided",
    arity: 1,
    minRank: 1,
    call: ([x]) => {
      const n = x!.shape.at(-1)!;
      const width = Math.min(2, n);
      const s = x!.strides.at(-1)!;
      return x!.asStrided([...x!.shape.slice(0, -1), n - width + 1, width], [...x!.strides.slice(0, -1), s, s], x!.offset);
    },
  },
  {
    // the input's own positions in reversed dim order, every other row skipped
    name: "asStrided",
    arity: 1,
    call: ([x]) => {
      const shape = [...x!.shape].reverse().map((size, i) => (i === 0 ? Math.ceil(size / 2) : size));
      const strides = [...x!.strides].reverse().map((stride, i) => (i === 0 ? 2 * stride : stride));
      return x!.asStrided(shape, strides, x!.offset);
    },
  },
  unary("clone", (x) => x.clone()),
  // float32 rounding of x ± ε limits the finite difference to ~6e-8 / 2e-6 = 0.03 on (0, 1)
  unary("cast", (x) => x.to("float32").to("float64"), { domains: ["unit"], atol: 0.05 }),

  // ---- elementwise ----
  binary("add", (a, b) => a.add(b)),
  binary("sub", (a, b) => a.sub(b)),
  binary("mul", (a, b) => a.mul(b)),
  binary("div", (a, b) => a.div(b), { domains: ["any", "nonzero"] }),
  binary("pow", (a, b) => a.pow(b), { domains: ["positive", "any"] }),
  binary("maximum", (a, b) => maximum(a, b)),
  binary("minimum", (a, b) => minimum(a, b)),
  // broadcasting: a size-1 last dim, a missing leading dim, and JS numbers
  { name: "add", covers: ["expand", "slice"], arity: 2, minRank: 1, call: ([a, b]) => a!.add(b!.narrow(-1, 0, 1)) },
  { name: "sub", covers: ["expand", "slice"], arity: 2, minRank: 1, call: ([a, b]) => b!.select(0, 0).sub(a!) },
  { name: "mul", covers: ["expand", "slice"], arity: 2, minRank: 1, call: ([a, b]) => a!.mul(b!.narrow(0, 0, 1)) },
  {
    name: "div",
    covers: ["expand", "slice"],
    arity: 2,
    minRank: 1,
    domains: ["nonzero", "nonzero"],
    call: ([a, b]) => a!.narrow(-1, 0, 1).div(b!),
  },
  { name: "maximum", covers: ["expand", "slice"], arity: 2, minRank: 1, call: ([a, b]) => maximum(a!.select(0, 0), b!) },
  { name: "minimum", covers: ["expand", "slice"], arity: 2, minRank: 1, call: ([a, b]) => minimum(a!, b!.narrow(0, 0, 1)) },
  unary("add", (x) => x.add(1.5).mul(-0.5)),
  unary("sub", (x) => x.sub(0.25).add(x.neg().sub(2)), { covers: ["neg"] }),
  unary("div", (x) => x.div(2.5).add(x.mul(3).div(x.add(4))), { domains: ["positive"] }),
  unary("div", (x) => pow(x, -1).add(tensor(1.5, { dtype: "float64" }).div(x)), { domains: ["nonzero"], covers: ["pow"] }),
  unary("pow", (x) => x.pow(3).add(x.pow(2))),
  unary("pow", (x) => pow(2, x).add(x.pow(0.5)), { domains: ["positive"] }),
  unary("maximum", (x) => x.maximum(0.2 / 256).add(minimum(-0.5, x))),
  unary("neg", (x) => x.neg()),
  unary("exp", (x) => x.exp()),
  unary("log", (x) => x.log(), { domains: ["positive"] }),
  unary("sqrt", (x) => x.sqrt(), { domains: ["positive"] }),
  unary("abs", (x) => x.abs()),
  unary("sign", (x) => x.sign().mul(x)),
  // their backward ops (here and relu's) are checked by the gradgradcheck of the same rows
  unary("tanh", (x) => x.tanh(), { covers: ["tanhBackward"] }),
  unary("sigmoid", (x) => x.sigmoid(), { covers: ["sigmoidBackward"] }),
  unary("relu", (x) => x.relu(), { covers: ["reluBackward"] }),
  unary("sin", (x) => x.sin()),
  unary("cos", (x) => x.cos()),
  unary("erf", (x) => x.erf()),
  unary("mul", (x) => x.square()),
  unary("clamp", (x) => x.clamp(-0.5, 1)),
  unary("clamp", (x) => x.clamp(0.25)),
  unary("clamp", (x) => x.clamp(null, -1)),
  // the grid keeps values ≥ 1/2048 from integers and halves, so rounding ops see no jumps
  unary("floor", (x) => x.floor().add(x), { covers: ["add"] }),
  unary("ceil", (x) => x.ceil().mul(x), { covers: ["mul"] }),
  unary("round", (x) => x.round().add(x.mul(x)), { covers: ["add", "mul"] }),
  unary("trunc", (x) => x.trunc().mul(x), { covers: ["mul"] }),
  unary("reciprocal", (x) => x.reciprocal(), { domains: ["nonzero"] }),
  unary("rsqrt", (x) => x.rsqrt(), { domains: ["positive"] }),
  unary("log1p", (x) => x.log1p(), { domains: ["positive"] }),
  unary("log1p", (x) => x.mul(0.3).log1p(), { covers: ["mul"] }), // 1 + 0.3x > 0.1 on [-3, 3)
  unary("expm1", (x) => x.expm1()),
  // activations composed of where, exp, …: the grid keeps them off their kink at 0
  unary("where", (x) => leakyRelu(x), { covers: ["mul"] }),
  unary("where", (x) => leakyRelu(x, -1.5), { covers: ["mul"] }),
  unary("where", (x) => elu(x, 0.5), { covers: ["expm1", "mul"] }),
  unary("mul", (x) => silu(x), { covers: ["sigmoid"] }),
  // gelu's backward op is checked by the gradgradcheck of these rows, its composite backward too
  unary("gelu", (x) => gelu(x), { covers: ["geluBackward"] }),
  unary("gelu", (x) => gelu(x, { approximate: "tanh" }), { covers: ["geluBackward"] }),
  unary("log1p", (x) => softplus(x), { covers: ["where", "exp", "div", "mul"] }),
  // β·x crosses the threshold inside [-3, 3): both branches are checked
  unary("where", (x) => softplus(x, { beta: 2, threshold: 1.5 }), { covers: ["log1p", "exp", "div", "mul"] }),
  {
    name: "where",
    arity: 2,
    sameShape: true,
    call: ([x, v], shape) => {
      const mask = maskLike(x!, rowChoices(shape, 40), 2);
      // a 0-d tensor value receives the gradient of every filled position
      return maskedFill(x!, mask, v!.flatten().narrow(0, 0, 1).squeeze().mul(1));
    },
  },
  unary("where", (x) => x.maskedFill(x.gt(0.5), -1)),
  {
    name: "where",
    covers: ["expand"],
    arity: 3,
    sameShape: true,
    call: ([c, a, b]) => where(c!.gt(0), a!, b!),
  },
  { name: "where", covers: ["expand", "slice"], arity: 2, minRank: 1, call: ([a, b]) => where(a!.lt(b!), a!.mul(b!), b!.narrow(-1, 0, 1)) },
  { name: "where", covers: ["expand"], arity: 1, call: ([x]) => x!.where(x!.gt(0.5), 0.5) },

  // ---- reductions ----
  {
    name: "sum",
    arity: 1,
    call: ([x], shape) => {
      const { dim, keepdim } = reductionArgs(shape, 10);
      return x!.sum(dim, keepdim);
    },
  },
  { name: "sum", arity: 1, call: ([x]) => x!.sum() },
  {
    name: "max",
    arity: 1,
    call: ([x], shape) => {
      const { dim, keepdim } = reductionArgs(shape, 11);
      return x!.max(dim, keepdim);
    },
  },
  {
    name: "min",
    arity: 1,
    call: ([x], shape) => {
      const { dim, keepdim } = reductionArgs(shape, 12);
      return x!.min(dim, keepdim);
    },
  },
  { name: "max", covers: ["min"], arity: 1, call: ([x]) => x!.max().sub(x!.min()) },
  {
    name: "sum",
    covers: ["div"],
    arity: 1,
    call: ([x], shape) => {
      const { dim, keepdim } = reductionArgs(shape, 13);
      return x!.mean(dim, keepdim);
    },
  },
  {
    // var = Σ (x − mean)² / (n − correction)
    name: "sum",
    covers: ["sub", "mul", "div", "cat", "reshape", "neg"],
    arity: 1,
    call: ([x], shape) => statisticOverPairs(x!, 14, (y, dims, keepdim) => y.var(dims, keepdim, rowChoices(shape, 15).int(0, 1))),
  },
  {
    name: "sqrt",
    covers: ["sum", "sub", "mul", "div", "add", "cat", "reshape", "neg"],
    arity: 1,
    call: ([x]) => statisticOverPairs(x!, 16, (y, dims, keepdim) => y.add(spread(y.shape)).std(dims, keepdim)),
  },

  {
    name: "prod",
    arity: 1,
    call: ([x], shape) => {
      const { dim, keepdim } = reductionArgs(shape, 17);
      return prod(x!, dim, keepdim);
    },
    covers: ["cumprod", "cat", "reshape", "permute", "slice"],
  },
  {
    // the grid has no zeros: put some in (x − x at chosen positions), so the product of the others is
    // checked where a zero factor makes division useless
    name: "prod",
    covers: ["cumprod", "cat", "reshape", "permute", "slice", "where"],
    arity: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 18);
      return prod(where(maskLike(x!, pick, 4), x!.mul(0), x!), pick.bool() ? undefined : pick.dim(shape.length));
    },
  },
  ...([2, 1, 3, 0.5, -1, Infinity, -Infinity] as const).map(
    (p, i): OpRow => ({
      name: "norm",
      covers: ["where", "sign", "pow", "abs"],
      arity: 1,
      call: ([x], shape) => {
        const { dim, keepdim } = reductionArgs(shape, 50 + i);
        return norm(x!, p, dim, keepdim);
      },
    }),
  ),
  // ---- scans ----
  { name: "cumsum", arity: 1, call: ([x], shape) => cumsum(x!, rowChoices(shape, 60).dim(shape.length)) },
  { name: "cumprod", arity: 1, call: ([x], shape) => cumprod(x!, rowChoices(shape, 61).dim(shape.length)), covers: ["cumsum"] },
  {
    // zeros in x: cumprod's gradient through the products of the others
    name: "cumprod",
    covers: ["where", "cumsum"],
    arity: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 62);
      return cumprod(where(maskLike(x!, pick, 3), x!.mul(0), x!), pick.dim(shape.length));
    },
  },

  // ---- linear algebra ----
  { name: "matmul", covers: ["permute"], arity: 2, minRank: 2, maxRank: 2, call: ([a, b]) => a!.matmul(b!.mT) },
  // batched with broadcasting: b has one batch dim fewer
  {
    name: "matmul",
    covers: ["permute", "slice", "expand"],
    arity: 2,
    minRank: 3,
    maxRank: 4,
    call: ([a, b]) => a!.matmul(b!.select(0, 0).mT),
  },
  {
    name: "matmul",
    covers: ["permute", "slice", "expand"],
    arity: 2,
    minRank: 3,
    maxRank: 3,
    call: ([a, b]) => matmul(a!.narrow(0, 0, 1), b!.mT),
  },
  // 1-D promotion: vector·vector, vector·matrix, matrix·vector, batch·vector
  { name: "matmul", covers: ["reshape"], arity: 2, minRank: 1, maxRank: 1, call: ([a, b]) => a!.matmul(b!) },
  { name: "matmul", covers: ["reshape", "slice"], arity: 2, minRank: 2, maxRank: 2, call: ([a, b]) => a!.select(0, 0).matmul(b!.mT) },
  {
    name: "matmul",
    covers: ["reshape", "slice"],
    arity: 2,
    minRank: 2,
    maxRank: 3,
    call: ([a, b]) => a!.matmul(b!.flatten().narrow(0, 0, a!.shape.at(-1)!)),
  },

  // ---- indexing ----
  {
    name: "gather",
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 20);
      const d = pick.dim(shape.length);
      const dim = d < 0 ? d + shape.length : d;
      // the index may be smaller than x outside dim, and longer along it (repeats)
      const indexShape = shape.map((size, k) => (k === dim ? pick.int(1, 4) : pick.int(1, size)));
      return x!.gather(d, indexTensor(indexShape, shape[dim]!, 21));
    },
  },
  {
    name: "gather",
    covers: ["expand", "reshape"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const d = rowChoices(shape, 22).dim(shape.length);
      const size = x!.shape.at(d)!;
      return indexSelect(x!, d, indexTensor([rowChoices(shape, 23).int(1, 4)], size, 24));
    },
  },
  {
    name: "scatterAdd",
    covers: ["slice"],
    arity: 2,
    sameShape: true,
    minRank: 1,
    call: ([x, src], shape) => {
      const pick = rowChoices(shape, 25);
      const d = pick.dim(shape.length);
      const dim = d < 0 ? d + shape.length : d;
      const indexShape = shape.map((size) => pick.int(1, size));
      // src cut to the index's shape: with a larger src the backward cannot give src's shape (as in PyTorch)
      const srcPart = indexShape.reduce((t, size, k) => t.narrow(k, 0, size), src!);
      return x!.scatterAdd(d, indexTensor(indexShape, shape[dim]!, 26), srcPart);
    },
  },
  {
    name: "cat",
    covers: ["slice"],
    arity: 3,
    minRank: 1,
    call: ([a, b, c], shape) => {
      const d = rowChoices(shape, 30).dim(shape.length);
      return cat([a!, b!.narrow(d, 0, 1), c!], d);
    },
  },
  { name: "cat", arity: 2, sameShape: true, minRank: 1, call: ([a, b], shape) => cat([a!, b!], rowChoices(shape, 31).dim(shape.length)) },
  {
    name: "cat",
    covers: ["reshape"],
    arity: 2,
    sameShape: true,
    call: ([a, b], shape) => stack([a!, b!], rowChoices(shape, 32).dim(shape.length + 1)),
  },
  {
    // split gives views; joining them in reverse order checks every chunk's gradient
    name: "slice",
    covers: ["cat"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 33);
      const d = pick.dim(shape.length);
      return cat(x!.split(pick.int(1, 2), d).reverse(), d);
    },
  },

  {
    // pad: random pairs (negative ones crop) in a random mode, within what each mode allows
    name: "gather",
    covers: ["cat", "slice", "expand", "reshape"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 34);
      const modes = ["constant", "reflect", "replicate", "circular"] as const;
      const mode = shape.length >= 2 ? modes[pick.int(0, 3)]! : "constant";
      const pairs = pick.int(1, mode === "constant" ? shape.length : Math.min(3, shape.length - 1));
      const amounts = Array.from({ length: pairs }, (_, k) => {
        const size = shape[shape.length - 1 - k]!;
        const before = pick.int(mode === "constant" ? -1 : 0, mode === "reflect" ? size - 1 : mode === "circular" ? size : 2);
        // never crop more than the dim holds, nor wrap around what circular keeps
        const kept = size - Math.max(-before, 0);
        const after = pick.int(
          mode === "reflect" ? 0 : -Math.min(1, kept - Math.max(before, 0)),
          mode === "reflect" ? size - 1 : mode === "circular" ? Math.min(size, kept) : 2,
        );
        return [before, after];
      }).flat();
      const options: PadOptions = mode === "constant" ? { value: 0.5 } : { mode };
      return pad(x!, amounts, options);
    },
  },
  // ---- ordering, advanced indexing, structure (composites of the ops above, and flip) ----
  {
    // sort's values are a gather through the sorting permutation (inputs are distinct: no ties)
    name: "gather",
    arity: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 40);
      return x!.sort(pick.dim(shape.length), { descending: pick.bool() }).values;
    },
  },
  {
    name: "gather",
    covers: ["slice"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 41);
      const d = pick.dim(shape.length);
      return x!.topk(pick.int(0, x!.shape.at(d)!), d, { largest: pick.bool() }).values;
    },
  },
  {
    // index: the indexed dims merged (permute, reshape) and picked with indexSelect
    name: "gather",
    covers: ["permute", "reshape", "expand"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => x!.index(advancedIndex(shape, 42)),
  },
  {
    name: "gather",
    covers: ["reshape", "expand"],
    arity: 1,
    minRank: 1,
    call: ([x]) => x!.index([null, x!.gt(0.1).select(0, 0)].slice(x!.ndim > 1 ? 0 : 1)),
  },
  { name: "gather", covers: ["reshape", "expand"], arity: 1, call: ([x]) => x!.maskedSelect(x!.lt(0.25)) },
  {
    name: "gather",
    covers: ["reshape", "expand"],
    arity: 1,
    call: ([x], shape) => x!.take(indexTensor([rowChoices(shape, 43).int(1, 5)], 2 * x!.numel, 44).sub(x!.numel)),
  },
  {
    // indexPut_ with accumulate on a copy: a scatter-add of values taken from another input
    name: "scatterAdd",
    covers: ["clone", "gather", "permute", "reshape", "expand", "where"],
    arity: 2,
    sameShape: true,
    minRank: 1,
    call: ([x, v], shape) => {
      const indices = advancedIndex(shape, 45);
      return x!.clone().indexPut_(indices, v!.index(indices).mul(2), { accumulate: true });
    },
  },
  {
    // without accumulate: the last of repeated positions wins, and only it receives a gradient
    name: "where",
    covers: ["clone", "gather", "permute", "reshape", "expand"],
    arity: 2,
    sameShape: true,
    minRank: 1,
    call: ([x, v], shape) => {
      const indices = advancedIndex(shape, 46);
      return x!.clone().indexPut_(indices, v!.index(indices).sum());
    },
  },
  { name: "where", arity: 1, minRank: 2, call: ([x], shape) => x!.tril(rowChoices(shape, 47).int(-2, 2)) },
  { name: "where", arity: 1, minRank: 2, call: ([x], shape) => x!.triu(rowChoices(shape, 48).int(-2, 2)) },
  { name: "flip", arity: 1, call: ([x], shape) => x!.flip(rowChoices(shape, 49).dims(shape.length).slice(0, Math.max(shape.length, 0))) },
  {
    name: "cat",
    covers: ["slice", "reshape"],
    arity: 1,
    minRank: 1,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 50);
      return pick.bool() ? x!.roll(pick.int(-5, 5)) : x!.roll([pick.int(-3, 3)], [pick.dim(shape.length)]);
    },
  },
  {
    name: "expand",
    covers: ["reshape"],
    arity: 1,
    maxRank: 2,
    call: ([x], shape) => {
      const pick = rowChoices(shape, 51);
      const sizes = [...shape.map(() => pick.int(1, 2)), ...(pick.bool() ? [2] : [])].reverse();
      return pick.bool() ? x!.repeat(sizes) : x!.tile(sizes.slice(0, pick.int(0, sizes.length)));
    },
  },
  // einsum: contractions as matmul, diagonals as where + sum, sums of unshared subscripts
  {
    name: "matmul",
    covers: ["permute", "reshape", "expand"],
    arity: 2,
    sameShape: true,
    minRank: 2,
    maxRank: 2,
    call: ([a, b]) => einsum("ij,kj->ik", a!, b!),
  },
  {
    name: "matmul",
    covers: ["permute", "reshape", "expand", "sum"],
    arity: 2,
    sameShape: true,
    minRank: 1,
    call: ([a, b]) => einsum("...i,...i", a!, b!),
  },
  {
    name: "matmul",
    covers: ["permute", "reshape", "expand"],
    arity: 2,
    sameShape: true,
    minRank: 1,
    maxRank: 1,
    call: ([a, b]) => einsum("i,j", a!, b!),
  },
  {
    name: "matmul",
    covers: ["permute", "reshape", "expand", "sum"],
    arity: 3,
    sameShape: true,
    minRank: 2,
    maxRank: 2,
    call: ([a, b, c]) => einsum("ij,kj,kl->il", a!, b!, c!),
  },
  {
    name: "where",
    covers: ["sum", "slice", "permute"],
    arity: 1,
    minRank: 2,
    maxRank: 3,
    call: ([x]) => {
      const n = Math.min(x!.shape.at(-1)!, x!.shape.at(-2)!);
      const square = x!.narrow(-1, 0, n).narrow(-2, 0, n);
      return x!.ndim === 2 ? einsum("ii->i", square).add(einsum("ii", square)) : einsum("bii->ib", square);
    },
  },
];

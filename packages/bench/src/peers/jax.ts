import { availableParallelism } from "node:os";
import { type Backend, type Case, type DigitsTask, type MlpStepTask, type Task, type TransformerStepTask, WorkloadSkipped } from "../tasks";
import { transposed, transposeMatrix } from "../inputs";

type Jax = typeof import("@jax-js/jax");
type JaxArray = import("@jax-js/jax").Array;
type JsTree = import("@jax-js/jax").tree.JsTree<JaxArray>;

let loaded: Promise<Jax> | undefined;

/**
 * jax-js reads `navigator` while it starts, which Node 20 does not define; its wasm backend then
 * runs on one thread (it spawns workers only where a global `Worker` exists, i.e. in browsers).
 */
function loadJax(): Promise<Jax> {
  loaded ??= (async () => {
    const global = globalThis as { navigator?: unknown };
    global.navigator ??= { hardwareConcurrency: availableParallelism(), userAgent: `Node.js/${process.versions.node}` };
    const jax = await import("@jax-js/jax");
    const devices = await jax.init("wasm");
    if (!devices.includes("wasm")) throw new Error(`jax-js started without its wasm device (got ${devices.join(", ") || "none"})`);
    jax.defaultDevice("wasm");
    return jax;
  })();
  return loaded;
}

/**
 * jax-js on its wasm device, written as its README shows: functions of arrays compiled with `jit`,
 * gradients from `grad`/`valueAndGrad`/`vjp`, and `.ref` wherever an array is used more than once
 * (every call takes ownership of its arguments).
 */
export async function loadJaxJs(): Promise<Backend> {
  const jax = await loadJax();
  return { prepare: async (task) => prepare(jax, task) };
}

/** The longest op chain the eager W7 runs (the quick size); see the opChain case. */
const MAX_EAGER_CHAIN = 300;

function prepare(jax: Jax, task: Task): Case {
  const { numpy: np, nn, jit } = jax;
  switch (task.kind) {
    case "matmul": {
      const { n } = task;
      const a = np.array(task.a).reshape([n, n]);
      const b = np.array(task.b).reshape([n, n]);
      const product = jit(
        task.transposeA ? (x: JaxArray, y: JaxArray) => np.matmul(x.transpose(), y) : (x: JaxArray, y: JaxArray) => np.matmul(x, y),
      );
      return {
        run: async () => (await product(a.ref, b.ref).blockUntilReady()).dispose(),
        dispose: () => {
          product.dispose();
          jax.tree.dispose([a, b]);
        },
      };
    }
    case "softmax": {
      const f = (logits: JaxArray) => nn.softmax(logits, -1);
      const shape = [task.rows, task.cols];
      return vjpCase(jax, f, [np.array(task.x).reshape(shape)], np.array(task.cotangent).reshape(shape));
    }
    case "crossEntropy": {
      const { rows, classes } = task;
      const logits = np.array(task.logits).reshape([rows, classes]);
      const targets = np.array(task.targets, { dtype: np.int32 });
      const meanCrossEntropy = (x: JaxArray, t: JaxArray) => np.sum(nn.logSoftmax(x, -1).mul(nn.oneHot(t, classes))).mul(-1 / rows);
      const lossAndGrad = jit(jax.valueAndGrad(meanCrossEntropy));
      return {
        run: async () => jax.tree.dispose(await jax.blockUntilReady(lossAndGrad(logits.ref, targets.ref))),
        dispose: () => {
          lossAndGrad.dispose();
          jax.tree.dispose([logits, targets]);
        },
      };
    }
    case "mlpStep":
      return mlpStep(jax, task);
    case "broadcast": {
      const { n } = task;
      const a = np.array(task.a).reshape([n, n]);
      const b = np.array(task.b);
      const c = np.array(task.c).reshape([n, 1]);
      const f = jit((x: JaxArray, y: JaxArray, z: JaxArray) => x.mul(y).add(z));
      return {
        run: async () => (await f(a.ref, b.ref, c.ref).blockUntilReady()).dispose(),
        dispose: () => {
          f.dispose();
          jax.tree.dispose([a, b, c]);
        },
      };
    }
    case "sumAxis": {
      const x = np.array(task.x).reshape([task.n, task.n]);
      const f = jit((input: JaxArray) => np.sum(input, task.axis));
      return {
        run: async () => (await f(x.ref).blockUntilReady()).dispose(),
        dispose: () => {
          f.dispose();
          x.dispose();
        },
      };
    }
    case "opChain": {
      // Eager, as the workload is about per-op cost. jax-js 0.1.25 cannot run the full chain either
      // way: eager grad costs grow with the chain (≈ 3 ms per op at 300 ops, 33 ms per op at 3,000),
      // and jit overflows the call stack simplifying the fused expression at 1,000 ops.
      if (task.ops > MAX_EAGER_CHAIN) {
        throw new WorkloadSkipped(
          `not run: eager grad takes ≈ 33 ms per op at 3,000 ops and grows with the chain; jit overflows the stack at 1,000 ops (runs with --quick, ${MAX_EAGER_CHAIN} ops)`,
        );
      }
      const x = np.array(task.x);
      const b = np.array(task.b);
      const chainGrad = jax.grad((input: JaxArray) => {
        let y = input;
        for (let i = 0; i < task.ops; i++) {
          const step = i % 3;
          y = step === 0 ? y.add(b.ref) : step === 1 ? y.mul(0.5) : np.tanh(y);
        }
        return np.sum(y);
      });
      return {
        run: async () => (await chainGrad(x.ref).blockUntilReady()).dispose(),
        dispose: () => jax.tree.dispose([x, b]),
      };
    }
    case "digits":
      return digits(jax, task);
    case "conv2d": {
      const { batch, inChannels, outChannels, size, kernel } = task;
      const half = (kernel - 1) / 2;
      const f = (input: JaxArray, w: JaxArray, b: JaxArray) =>
        jax.lax
          .convGeneralDilated(
            input,
            w,
            [1, 1],
            [
              [half, half],
              [half, half],
            ],
          )
          .add(b.reshape([1, outChannels, 1, 1]));
      return vjpCase(
        jax,
        f,
        [
          np.array(task.x).reshape([batch, inChannels, size, size]),
          np.array(task.weight).reshape([outChannels, inChannels, kernel, kernel]),
          np.array(task.bias),
        ],
        np.array(task.cotangent).reshape([batch, outChannels, size, size]),
      );
    }
    case "layerNorm": {
      const f = (input: JaxArray, w: JaxArray, b: JaxArray) => layerNorm(jax, input, w, b);
      return vjpCase(
        jax,
        f,
        [np.array(task.x).reshape([task.rows, task.cols]), np.array(task.weight), np.array(task.bias)],
        np.array(task.cotangent).reshape([task.rows, task.cols]),
      );
    }
    case "transformerStep":
      return transformerStep(jax, task);
  }
}

/** jax-js has no layer norm op: nn.standardize (mean and variance over the last axis, eps 1e-5), scaled and shifted. */
function layerNorm(jax: Jax, x: JaxArray, weight: JaxArray, bias: JaxArray): JaxArray {
  return jax.nn.standardize(x, -1, { epsilon: 1e-5 }).mul(weight).add(bias);
}

/** A jitted forward and backward of `f` at `inputs` under a fixed `cotangent`. */
function vjpCase(jax: Jax, f: (...inputs: JaxArray[]) => JaxArray, inputs: JaxArray[], cotangent: JaxArray): Case {
  const forwardBackward = jax.jit((xs: JaxArray[], g: JaxArray) => {
    const [y, pullback] = jax.vjp(f, xs);
    const grads = pullback(g);
    pullback.dispose();
    return [y, ...grads];
  });
  return {
    run: async () => {
      const outputs = forwardBackward(
        inputs.map((x) => x.ref),
        cotangent.ref,
      );
      jax.tree.dispose(await jax.blockUntilReady(outputs));
    },
    dispose: () => {
      forwardBackward.dispose();
      jax.tree.dispose([...inputs, cotangent]);
    },
  };
}

type Params = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray };

function initialParams(jax: Jax, [first, second]: MlpStepTask["layers"]): Params {
  const np = jax.numpy;
  return {
    w1: np.array(transposed(first)).reshape([first.inFeatures, first.outFeatures]),
    b1: np.array(first.bias),
    w2: np.array(transposed(second)).reshape([second.inFeatures, second.outFeatures]),
    b2: np.array(second.bias),
  };
}

function logitsOf(jax: Jax, p: Params, x: JaxArray): JaxArray {
  const { numpy: np, nn } = jax;
  const hidden = nn.relu(np.matmul(x, p.w1).add(p.b1));
  return np.matmul(hidden, p.w2).add(p.b2);
}

/** Mean cross-entropy of the MLP's logits against int class targets. */
function mlpLoss(jax: Jax, classes: number) {
  const { numpy: np, nn } = jax;
  return (p: Params, x: JaxArray, t: JaxArray): JaxArray => {
    const rows = x.shape[0]!;
    return np.sum(nn.logSoftmax(logitsOf(jax, p, x), -1).mul(nn.oneHot(t, classes))).mul(-1 / rows);
  };
}

function mlpStep(jax: Jax, task: MlpStepTask): Case {
  const np = jax.numpy;
  const classes = task.layers[1].outFeatures;
  const lossAndGrad = jax.valueAndGrad(mlpLoss(jax, classes));
  const step = jax.jit((p: Params, x: JaxArray, t: JaxArray) => {
    const [loss, grads] = lossAndGrad(jax.tree.ref(p), x, t);
    const updated = jax.tree.map((param: JaxArray, g: JaxArray) => param.sub(g.mul(task.lr)), p, grads) as Params;
    return [loss, updated] as [JaxArray, Params];
  });
  let params = initialParams(jax, task.layers);
  const x = np.array(task.x).reshape([task.batch, task.layers[0].inFeatures]);
  const targets = np.array(task.targets, { dtype: np.int32 });
  return {
    run: async () => {
      const [loss, updated] = step(params, x.ref, targets.ref);
      params = updated;
      (await loss.blockUntilReady()).dispose();
    },
    dispose: () => {
      step.dispose();
      jax.tree.dispose([params, x, targets]);
    },
  };
}

/** Adam's first and second moment estimates, one per parameter of the tree `P`. */
type Moments<P> = { m: P; v: P };

/** Adam's constants; `decay` below 1 is AdamW's decoupled weight decay, 1 − lr · weightDecay. */
type AdamHyper = { beta1: number; beta2: number; eps: number; decay: number };

function zeroMoments<P extends JsTree>(jax: Jax, params: P): Moments<P> {
  const zeros = () => jax.tree.map((p: JaxArray) => jax.numpy.zerosLike(p.ref), params) as P;
  return { m: zeros(), v: zeros() };
}

/**
 * One Adam (or AdamW) update of the tree `p` under its gradient `g`, for use inside a jitted step;
 * written out, as jax-js has no optax. The bias corrections come in as 0-d arrays (stepSize =
 * lr / (1 − β₁ᵗ), correction2 = √(1 − β₂ᵗ)), so one compiled step serves every step count.
 * Takes ownership of every argument.
 */
function adamUpdate<P extends JsTree>(
  jax: Jax,
  p: P,
  state: Moments<P>,
  g: P,
  stepSize: JaxArray,
  correction2: JaxArray,
  { beta1, beta2, eps, decay }: AdamHyper,
): [P, Moments<P>] {
  const { numpy: np, tree } = jax;
  const gRef = tree.ref(g);
  const m = tree.map((mi: JaxArray, gi: JaxArray) => mi.mul(beta1).add(gi.mul(1 - beta1)), state.m, g) as P;
  const v = tree.map((vi: JaxArray, gi: JaxArray) => vi.mul(beta2).add(np.square(gi).mul(1 - beta2)), state.v, gRef) as P;
  const stepTree = tree.map((_: JaxArray) => stepSize.ref, p) as P;
  const correctionTree = tree.map((_: JaxArray) => correction2.ref, p) as P;
  const updated = tree.map(
    (pi: JaxArray, mi: JaxArray, vi: JaxArray, si: JaxArray, ci: JaxArray) =>
      (decay === 1 ? pi : pi.mul(decay)).sub(mi.mul(si).div(np.sqrt(vi).div(ci).add(eps))),
    p,
    tree.ref(m),
    tree.ref(v),
    stepTree,
    correctionTree,
  ) as P;
  stepSize.dispose();
  correction2.dispose();
  return [updated, { m, v }];
}

/** adamUpdate's bias corrections at step `t` (counted from 1), as the 0-d arrays it takes. */
function biasCorrections(jax: Jax, lr: number, { beta1, beta2 }: AdamHyper, t: number): [JaxArray, JaxArray] {
  return [jax.numpy.array(lr / (1 - beta1 ** t)), jax.numpy.array(Math.sqrt(1 - beta2 ** t))];
}

type AdamState = Moments<Params>;

function digits(jax: Jax, task: DigitsTask): Case {
  const { numpy: np, tree } = jax;
  const { featureCount, batchSize, lr } = task;
  const hyper: AdamHyper = { beta1: 0.9, beta2: 0.999, eps: 1e-8, decay: 1 };
  const lossAndGrad = jax.valueAndGrad(mlpLoss(jax, task.classes));
  const adamStep = jax.jit((p: Params, state: AdamState, x: JaxArray, t: JaxArray, stepSize: JaxArray, correction2: JaxArray) => {
    const [loss, g] = lossAndGrad(tree.ref(p), x, t);
    return [loss, ...adamUpdate(jax, p, state, g, stepSize, correction2, hyper)] as [JaxArray, Params, AdamState];
  });
  const trainFeatures = task.train.features;
  const trainLabels = task.train.labels;
  let params = initialParams(jax, task.layers);
  return {
    run: async () => {
      tree.dispose(params);
      params = initialParams(jax, task.layers);
      let state = zeroMoments(jax, params);
      let t = 0;
      for (const order of task.orders) {
        for (let start = 0; start < order.length; start += batchSize) {
          const rows = order.subarray(start, start + batchSize);
          const xb = new Float32Array(rows.length * featureCount);
          const yb = new Int32Array(rows.length);
          rows.forEach((row, r) => {
            xb.set(trainFeatures.subarray(row * featureCount, (row + 1) * featureCount), r * featureCount);
            yb[r] = trainLabels[row]!;
          });
          t += 1;
          const [loss, updated, nextState] = adamStep(
            params,
            state,
            np.array(xb).reshape([rows.length, featureCount]),
            np.array(yb, { dtype: np.int32 }),
            ...biasCorrections(jax, lr, hyper, t),
          );
          params = updated;
          state = nextState;
          // jax-js queues work lazily; its README asks iterative code to wait regularly so the
          // queue of pending operations stays short
          (await loss.blockUntilReady()).dispose();
        }
      }
      await jax.blockUntilReady(params);
      tree.dispose(state);
    },
    accuracy: () => {
      const logits = logitsOf(jax, tree.ref(params), np.array(task.test.features).reshape([task.test.rows, featureCount]));
      const predicted = np.argmax(logits, 1).dataSync();
      let correct = 0;
      for (let i = 0; i < task.test.rows; i++) if (predicted[i] === task.test.labels[i]) correct++;
      return correct / task.test.rows;
    },
    dispose: () => {
      adamStep.dispose();
      tree.dispose(params);
    },
  };
}

type Dense = { kernel: JaxArray; bias: JaxArray };
type Norm = { scale: JaxArray; bias: JaxArray };
type GptBlock = { ln1: Norm; attn: Dense; proj: Dense; ln2: Norm; fc: Dense; out: Dense };
type GptParams = { wte: JaxArray; wpe: JaxArray; blocks: GptBlock[]; lnF: Norm; head: JaxArray };

/** The shared initial weights as a params tree, Linear kernels [in, out] as Flax keeps them. */
function gptParams(jax: Jax, task: TransformerStepTask): GptParams {
  const np = jax.numpy;
  const array = (name: string) => {
    const { data, shape } = task.params.get(name)!;
    return np.array(data).reshape(shape);
  };
  const kernel = (name: string) => {
    const { data, shape } = task.params.get(`${name}.weight`)!;
    const [out, inFeatures] = shape as [number, number];
    return np.array(transposeMatrix(data, out, inFeatures)).reshape([inFeatures, out]);
  };
  const dense = (name: string): Dense => ({ kernel: kernel(name), bias: array(`${name}.bias`) });
  const norm = (name: string): Norm => ({ scale: array(`${name}.weight`), bias: array(`${name}.bias`) });
  return {
    wte: array("transformer.wte.weight"),
    wpe: array("transformer.wpe.weight"),
    blocks: Array.from({ length: task.config.nLayer }, (_, i) => {
      const block = `transformer.h.${i}`;
      return {
        ln1: norm(`${block}.ln_1`),
        attn: dense(`${block}.attn.c_attn`),
        proj: dense(`${block}.attn.c_proj`),
        ln2: norm(`${block}.ln_2`),
        fc: dense(`${block}.mlp.c_fc`),
        out: dense(`${block}.mlp.c_proj`),
      };
    }),
    lnF: norm("transformer.ln_f"),
    head: kernel("lm_head"),
  };
}

/**
 * makemore's transformer as a loss over a params tree: embeddings by `np.take`, layer norm as
 * `nn.standardize` scaled and shifted, GELU in its tanh form, then the mean cross-entropy against
 * the targets. Attention is written out with matmul and a causal `np.where`: nn.dotProductAttention
 * goes through np.einsum, whose parser calls iterator helpers (`matchAll(…).map`) that Node 20 lacks.
 */
function gptLoss(jax: Jax, task: TransformerStepTask) {
  const { numpy: np, nn } = jax;
  const { batch } = task;
  const { vocabSize, blockSize: t, nHead, nEmbd } = task.config;
  const dense = (x: JaxArray, d: Dense) => np.matmul(x, d.kernel).add(d.bias);
  const norm = (x: JaxArray, n: Norm) => layerNorm(jax, x, n.scale, n.bias);
  const headSize = nEmbd / nHead;
  // [batch, t, nEmbd] → [batch, nHead, t, headSize], or with `keys` [batch, nHead, headSize, t]
  const heads = (z: JaxArray, keys = false) => z.reshape([batch, t, nHead, headSize]).transpose(keys ? [0, 2, 3, 1] : [0, 2, 1, 3]);
  const attention = (q: JaxArray, k: JaxArray, v: JaxArray) => {
    const scores = np.matmul(heads(q), heads(k, true)).mul(1 / Math.sqrt(headSize));
    const causal = np.where(np.tri(t, t, 0, { dtype: np.bool }), scores, -Infinity);
    return np.matmul(nn.softmax(causal, -1), heads(v)).transpose([0, 2, 1, 3]).reshape([batch, t, nEmbd]);
  };
  return (p: GptParams, idx: JaxArray, targets: JaxArray): JaxArray => {
    let x = np.take(p.wte, idx, 0).add(p.wpe); // [batch, t, nEmbd]
    for (const block of p.blocks) {
      const [q, k, v] = np.split(dense(norm(x.ref, block.ln1), block.attn), 3, -1) as [JaxArray, JaxArray, JaxArray];
      const y = attention(q, k, v);
      x = x.add(dense(y, block.proj));
      x = x.ref.add(dense(nn.gelu(dense(norm(x, block.ln2), block.fc), { approximate: true }), block.out));
    }
    const logits = np.matmul(norm(x, p.lnF), p.head);
    return np.sum(nn.logSoftmax(logits, -1).mul(nn.oneHot(targets, vocabSize))).mul(-1 / (batch * t));
  };
}

/** The whole AdamW step (loss, grad, update) under one `jit`. */
function transformerStep(jax: Jax, task: TransformerStepTask): Case {
  const { numpy: np, tree } = jax;
  const { lr, eps, weightDecay } = task;
  const [beta1, beta2] = task.betas;
  const hyper: AdamHyper = { beta1, beta2, eps, decay: 1 - lr * weightDecay };
  const lossAndGrad = jax.valueAndGrad(gptLoss(jax, task));
  const step = jax.jit(
    (p: GptParams, state: Moments<GptParams>, idx: JaxArray, targets: JaxArray, stepSize: JaxArray, correction2: JaxArray) => {
      const [loss, g] = lossAndGrad(tree.ref(p), idx, targets);
      return [loss, ...adamUpdate(jax, p, state, g, stepSize, correction2, hyper)] as [JaxArray, GptParams, Moments<GptParams>];
    },
  );
  const shape = [task.batch, task.config.blockSize];
  const idx = np.array(task.idx, { dtype: np.int32 }).reshape(shape);
  const targets = np.array(task.targets, { dtype: np.int32 }).reshape(shape);
  let params = gptParams(jax, task);
  let state = zeroMoments(jax, params);
  let t = 0;
  return {
    run: async () => {
      t += 1;
      const [loss, updated, nextState] = step(params, state, idx.ref, targets.ref, ...biasCorrections(jax, lr, hyper, t));
      params = updated;
      state = nextState;
      await jax.blockUntilReady([params, state]);
      loss.dispose();
    },
    dispose: () => {
      step.dispose();
      tree.dispose([params, state, idx, targets]);
    },
  };
}

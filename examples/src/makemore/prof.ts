import { manualSeed, randint } from "@nabla/tensor";
import { optim } from "@nabla/nn";
import { createModel, MODEL_TYPES, languageModelLoss } from "./models/index";
manualSeed(0);
for (const type of MODEL_TYPES) {
  const m = createModel(type, { blockSize: 16, vocabSize: 27, nLayer: 4, nEmbd: 64, nEmbd2: 64, nHead: 4 });
  const opt = new optim.AdamW(m.parameters(), { lr: 5e-4, betas: [0.9, 0.99] });
  let f = 0,
    b = 0,
    o = 0;
  const N = 30;
  for (let i = 0; i < N + 5; i++) {
    const X = randint(0, 27, [32, 16], { dtype: "int32" });
    const t0 = performance.now();
    const loss = languageModelLoss(m.forward(X), X);
    const t1 = performance.now();
    opt.zeroGrad();
    loss.backward();
    const t2 = performance.now();
    opt.step();
    loss.item();
    const t3 = performance.now();
    if (i >= 5) {
      f += t1 - t0;
      b += t2 - t1;
      o += t3 - t2;
    }
  }
  console.log(type, "fwd", (f / N).toFixed(2), "bwd", (b / N).toFixed(2), "opt", (o / N).toFixed(2));
}

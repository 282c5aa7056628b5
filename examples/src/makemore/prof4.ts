import { manualSeed, randint } from "@nabla/tensor";
import { optim } from "@nabla/nn";
import { createModel, languageModelLoss } from "./models/index";
manualSeed(0);
const type = (process.argv[2] ?? "transformer") as "transformer";
const m = createModel(type, { blockSize: 16, vocabSize: 27, nLayer: 4, nEmbd: 64, nEmbd2: 64, nHead: 4 });
const opt = new optim.AdamW(m.parameters(), { lr: 5e-4, betas: [0.9, 0.99] });
const t = performance.now();
for (let i = 0; i < 20; i++) {
  const X = randint(0, 27, [32, 16], { dtype: "int32" });
  const loss = languageModelLoss(m.forward(X), X);
  opt.zeroGrad();
  loss.backward();
  opt.step();
  loss.item();
}
console.log(type, ((performance.now() - t) / 20).toFixed(1), "ms/step");

import { manualSeed, randn, gelu, ones, matmul } from "@nabla/tensor";
import { softmax, layerNorm } from "@nabla/ops";
import { Linear } from "@nabla/nn";
manualSeed(0);
const bench = (name: string, fn: () => unknown) => {
  for (let i = 0; i < 3; i++) fn();
  const t = performance.now();
  for (let i = 0; i < 20; i++) fn();
  console.log(name, ((performance.now() - t) / 20).toFixed(3));
};
const x = randn([32, 16, 64]);
const l = new Linear(64, 192);
const l4 = new Linear(64, 256);
const h = randn([32, 16, 256]);
const q = randn([32, 4, 16, 16]);
const mask = ones([16, 16]).tril().view([1, 1, 16, 16]).eq(0);
bench("linear 64->192", () => l.forward(x));
bench("linear 64->256", () => l4.forward(x));
bench("matmul qk", () => matmul(q, q.transpose(-2, -1)));
bench("maskedFill", () => q.maskedFill(mask, -Infinity));
bench("softmax", () => softmax(q, -1));
bench("layerNorm", () => layerNorm(x, [64]));
bench("gelu", () => gelu(h, { approximate: "tanh" }));
bench("transpose contig", () => q.transpose(1, 2).contiguous());
bench("add", () => x.add(x));
const xg = randn([32, 16, 64], { requiresGrad: true });
bench("linear fwd+bwd", () => {
  const y = l.forward(xg);
  y.backward(y);
});
bench("gelu fwd+bwd", () => {
  const a = randn([32, 16, 256], { requiresGrad: true });
  const y = gelu(a, { approximate: "tanh" });
  y.backward(y);
});

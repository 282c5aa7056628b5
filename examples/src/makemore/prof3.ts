import { randn } from "@nabla/tensor";
const bench = (name: string, fn: () => unknown) => {
  for (let i = 0; i < 3; i++) fn();
  const t = performance.now();
  for (let i = 0; i < 20; i++) fn();
  console.log(name, ((performance.now() - t) / 20).toFixed(3));
};
const h = randn([32, 16, 256]);
bench("tanh", () => h.tanh());
bench("mul scalar", () => h.mul(0.5));
bench("mul", () => h.mul(h));
bench("add scalar", () => h.add(1));
bench("sigmoid", () => h.sigmoid());
bench("exp", () => h.exp());

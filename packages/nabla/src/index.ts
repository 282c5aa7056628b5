/**
 * `nabla`: the one package to install. Everything of `@nabla/tensor` and `@nabla/ops` is a flat
 * export (`tensor`, `add`, `softmax`, `crossEntropy`, …); `@nabla/nn` is the namespace `nn`
 * (`new nn.Linear(2, 3)`), and its own namespaces `init`, `optim` and `utils` are exports here too.
 * A name exported by both @nabla/tensor and @nabla/ops would make `export *` ambiguous; the type
 * check of this file fails on one (TS2308), so a clash cannot slip through unnoticed.
 *
 * @module nabla
 */
export * from "@nabla/tensor";
export * from "@nabla/ops";
export { nn, init, optim, utils } from "./namespaces";

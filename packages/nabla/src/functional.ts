/**
 * `nabla/functional`: everything of `@nabla/tensor/functional` and `@nabla/ops/functional`, flat
 * (`tensor`, `add`, `matmul`, `softmax`, `crossEntropy`, …), without the op methods on `Tensor`: the
 * ops are called as functions (`add(x, y)`, not `x.add(y)`), so a bundler keeps only the ops a
 * program imports. Importing `nabla` anywhere in the program installs the methods.
 *
 * `nn`, `init`, `optim` and `utils` are not here: `@nabla/nn` imports the main entries of
 * `@nabla/tensor` and `@nabla/ops`, which install every method, so a program that uses them imports
 * them from `nabla` and bundles every op.
 *
 * @module nabla/functional
 */
export * from "@nabla/tensor/functional";
export * from "@nabla/ops/functional";

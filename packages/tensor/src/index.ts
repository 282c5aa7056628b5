/**
 * Strided n-dimensional arrays whose views share storage, reverse-mode autodiff with higher-order
 * gradients, functional transforms (`grad`, `vjp`, `jacobian`, …) and `gradcheck`.
 *
 * @module @nabla/tensor
 */
export * from "./functional";
// gives tensors a method for every op whose first argument is a tensor (`x.add(y)`); without them,
// `@nabla/tensor/functional` lets a bundler drop the ops a program never imports
import "./methods";

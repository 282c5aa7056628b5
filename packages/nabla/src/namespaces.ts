// `nabla`'s namespaces, which src/index.ts re-exports, in a module of their own (see tsup.config.ts).
export * as nn from "@nabla/nn";
export { init, optim, utils } from "@nabla/nn";

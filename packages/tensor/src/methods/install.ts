import { Tensor } from "../tensor";

// The ops are functions that take a Tensor, so the Tensor class cannot import them without a
// cycle; the modules beside this one give it its op methods instead, each for one op family.
// Each declares its methods on Tensor by module augmentation (the JSDoc lives there) and installs
// them with these helpers, as @nabla/ops adds x.softmax().

/** Puts `methods` on Tensor.prototype, non-enumerable as a class's own methods are. */
export function installMethods<K extends keyof Tensor>(methods: Pick<Tensor, K> & ThisType<Tensor>): void {
  for (const [name, value] of Object.entries(methods)) {
    Object.defineProperty(Tensor.prototype, name, { value, writable: true, configurable: true });
  }
}

/** Puts read-only accessors on Tensor.prototype, as a class's getters are. */
export function installGetters<K extends keyof Tensor>(getters: { [P in K]: (this: Tensor) => Tensor[P] }): void {
  for (const [name, get] of Object.entries<(this: Tensor) => unknown>(getters)) {
    Object.defineProperty(Tensor.prototype, name, { get, configurable: true });
  }
}

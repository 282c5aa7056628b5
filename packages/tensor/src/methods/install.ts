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

/** The op a method delegates to: the method's parameters, after the tensor itself. */
type OpOf<M> = M extends (...args: infer A) => infer R ? (x: Tensor, ...args: A) => R : never;

/** Puts ops on Tensor.prototype as methods of the same name: `x.name(...args)` is `op(x, ...args)`. */
export function installOps<K extends keyof Tensor>(ops: { [P in K]: OpOf<Tensor[P]> }): void {
  for (const [name, op] of Object.entries<(x: Tensor, ...args: unknown[]) => unknown>(ops)) {
    const method = function (this: Tensor, ...args: unknown[]) {
      return op(this, ...args);
    };
    Object.defineProperty(Tensor.prototype, name, { value: method, writable: true, configurable: true });
  }
}

/** Puts read-only accessors on Tensor.prototype, as a class's getters are. */
export function installGetters<K extends keyof Tensor>(getters: { [P in K]: (this: Tensor) => Tensor[P] }): void {
  for (const [name, get] of Object.entries<(this: Tensor) => unknown>(getters)) {
    Object.defineProperty(Tensor.prototype, name, { get, configurable: true });
  }
}

import type { Device } from "../device";
import type { DType, TypedArray } from "../dtype";
import type { Layout } from "../layout";
import type { Primitives } from "./primitives";

declare const bufferBrand: unique symbol;

/**
 * A backend's handle to one buffer of elements. Opaque above the backends: a GPU buffer is not
 * host memory, so nothing outside `backends/` reads or writes through it.
 */
export interface BackendBuffer {
  readonly [bufferBrand]: true;
}

/** A strided view of a buffer: what every primitive reads and writes. A Tensor is one. */
export interface View<B = BackendBuffer> extends Layout {
  readonly buffer: B;
}

/**
 * What a backend implements, over its own buffer type `B` (the CPU's is a typed array or heap storage):
 * buffers, readback, and a reference kernel for every primitive. `kernels` is typed
 * `{ [P in Primitive]: … }`, so a backend that misses a primitive does not compile.
 */
export interface BackendDefinition<B> {
  readonly device: Device;
  /** A zeroed buffer of `size` elements of `dtype`; `op` names the caller in allocation errors. */
  allocate(dtype: DType, size: number, op?: string): B;
  /** A buffer holding `data`. A host backend may adopt the array itself: the caller gives it up. */
  upload(data: TypedArray): B;
  /** The number of elements a buffer holds. */
  sizeOf(buffer: B): number;
  /** The elements a view reaches, in row-major order, as a new contiguous array of `dtype`. */
  readSync(view: View<B>, dtype: DType): TypedArray;
  /** `readSync` as a promise: the form every device has. */
  read(view: View<B>, dtype: DType): Promise<TypedArray>;
  /** The host array behind a buffer, on a backend whose buffers are host memory (the CPU). */
  hostArray?(buffer: B): TypedArray;
  /** The reference kernel of every primitive. */
  readonly kernels: { readonly [P in keyof Primitives<B>]: Primitives<B>[P] };
}

/**
 * A registered backend as ops see it: buffers are opaque, and `run.<primitive>(…)` runs the
 * kernel the registry chose (see registry.ts).
 */
export interface Backend {
  readonly device: Device;
  allocate(dtype: DType, size: number, op?: string): BackendBuffer;
  upload(data: TypedArray): BackendBuffer;
  sizeOf(buffer: BackendBuffer): number;
  /** Throws a NablaError naming `read` on a device that cannot read back synchronously. */
  readSync(view: View, dtype: DType): TypedArray;
  read(view: View, dtype: DType): Promise<TypedArray>;
  hostArray?(buffer: BackendBuffer): TypedArray;
  readonly run: Primitives;
}

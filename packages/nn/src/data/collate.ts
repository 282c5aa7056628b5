import { NablaError, type Tensor, formatShape, isTensor, stack, tensor } from "@nabla/tensor/functional";
import { describeValue } from "@nabla/tensor/internal";

/**
 * A source of samples, as PyTorch's map-style `Dataset`: `length` samples, sample `i` from `get(i)`.
 * `TensorDataset` is one; any object of this shape works with `DataLoader`.
 */
export interface Dataset<T = unknown> {
  /** The number of samples. */
  readonly length: number;
  /** Sample `index`, for 0 ≤ index < length. */
  get(index: number): T;
}

/**
 * What `defaultCollate` makes of a batch of samples of type `T`: tensors, numbers and booleans become
 * one tensor, strings a list, and arrays and plain objects are collated field by field.
 */
export type Collated<T> = T extends Tensor | number | boolean
  ? Tensor
  : T extends string
    ? string[]
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Collated<T[K]> }
      : T extends object
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : never;

/**
 * Puts a list of samples together into a batch, as PyTorch's `default_collate`: tensors of one shape
 * are stacked along a new first dim (dtypes promote as in `stack`); numbers become a tensor, int32
 * when every one is an integer that int32 holds, else float32 (JavaScript cannot tell `1` from `1.0`,
 * so this stands for PyTorch's int64 for ints and float64 for floats, in nabla's default dtypes: give
 * tensors to choose the dtype); booleans become a bool tensor; strings stay a list of strings; arrays
 * (tuples of fields) of one length and plain objects with the same keys are collated field by field.
 * Anything else, mixed kinds, or tensors of different shapes throw, naming the sample and the field.
 *
 * @example
 * ```ts
 * defaultCollate([tensor([1, 2]), tensor([3, 4])]);         // → [[1, 2], [3, 4]]
 * defaultCollate([1, 2, 3]).dtype;                          // → "int32"
 * defaultCollate([0.5, 2]).dtype;                           // → "float32"
 * defaultCollate([[tensor([1, 2]), 0], [tensor([3, 4]), 1]])[1]; // → [0, 1]
 * const batch = defaultCollate([{ id: "a", v: true }, { id: "b", v: false }]);
 * batch.id;                                                 // → ["a", "b"]
 * batch.v;                                                  // → [true, false]
 * defaultCollate([tensor([1]), tensor([1, 2])]); // throws defaultCollate: sample 1 has shape [2], sample 0 has shape [1]
 * ```
 */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  if (!Array.isArray(samples) || samples.length === 0) {
    throw new NablaError("defaultCollate", `expected a non-empty array of samples, got ${describeValue(samples)}`);
  }
  return collate("defaultCollate", samples, (i) => `sample ${i}`, "") as Collated<T>;
}

/**
 * The collation behind `defaultCollate`; `sample(i)` names the i-th sample in messages (the
 * DataLoader gives its index in the dataset) and `field` the path inside it.
 */
export function collate(op: string, samples: readonly unknown[], sample: (i: number) => string, field: string): unknown {
  const first = samples[0];
  const at = (i: number) => `${sample(i)}${field === "" ? "" : ` (field ${field})`}`;
  const refuse = (i: number, expected: string): never => {
    throw new NablaError(op, `${at(i)} is ${describeValue(samples[i])}, expected ${expected} like ${sample(0)}`);
  };
  // numbers, booleans and strings: every sample of the first one's type
  const refuseOtherTypes = (expected: string) => {
    const i = samples.findIndex((s) => typeof s !== typeof first);
    if (i !== -1) refuse(i, expected);
  };
  if (isTensor(first, op)) {
    samples.forEach((s, i) => {
      if (!isTensor(s, op)) refuse(i, "a tensor");
      const t = s as Tensor;
      if (t.ndim !== first.ndim || t.shape.some((size, k) => size !== first.shape[k])) {
        throw new NablaError(op, `${at(i)} has shape ${formatShape(t.shape)}, ${sample(0)} has shape ${formatShape(first.shape)}`);
      }
    });
    return stack(samples as Tensor[]);
  }
  if (typeof first === "number") {
    refuseOtherTypes("a number");
    const numbers = samples as number[];
    const integers = numbers.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31);
    return tensor(numbers, { dtype: integers ? "int32" : "float32" });
  }
  if (typeof first === "boolean") {
    refuseOtherTypes("a boolean");
    return tensor(samples as boolean[], { dtype: "bool" });
  }
  if (typeof first === "string") {
    refuseOtherTypes("a string");
    return [...samples];
  }
  const sub = (key: string | number) => (field === "" ? String(key) : `${field}.${key}`);
  if (Array.isArray(first)) {
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== first.length) refuse(i, `an array of ${first.length} fields`);
    });
    return first.map((_, k) =>
      collate(
        op,
        samples.map((s) => (s as unknown[])[k]),
        sample,
        sub(k),
      ),
    );
  }
  if (isPlainObject(first)) {
    const keys = Object.keys(first);
    samples.forEach((s, i) => {
      if (!isPlainObject(s) || Object.keys(s).length !== keys.length || !keys.every((key) => key in s)) {
        refuse(i, `an object with the keys ${keys.join(", ")}`);
      }
    });
    return Object.fromEntries(
      keys.map((key) => [
        key,
        collate(
          op,
          samples.map((s) => (s as Record<string, unknown>)[key]),
          sample,
          sub(key),
        ),
      ]),
    );
  }
  throw new NablaError(
    op,
    `cannot collate ${at(0)}: ${describeValue(first)} (expected tensors, numbers, booleans, strings, arrays or objects of them)`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

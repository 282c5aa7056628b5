import { checkBoolean, checkInteger, checkNumber, checkOptions, checkTensor } from "./args";
import {
  type DType,
  type TypedArray,
  allocate,
  assertDType,
  checkAllocation,
  checkValueFits,
  dtypeOfArray,
  integerRange,
  isFloating,
  storedValue,
  toBool,
} from "./dtype";
import { type Device, assertDevice } from "./device";
import { NablaError, describeValue } from "./errors";
import { Generator, defaultGenerator, normalFill, uniformFill } from "./random";
import { type Shape, checkRank, checkShape, formatShape, numelOf } from "./shape";
import { type NestedArray, Tensor } from "./tensor";
import { to } from "./ops/movement";

/** Options of the creation functions. */
export interface TensorOptions {
  /** The element type; each function says its default (float32 for most). */
  dtype?: DType;
  /** Make the new tensor a leaf that requires grad (floating dtypes only). */
  requiresGrad?: boolean;
  /** Where the new tensor lives; `getDefaultDevice()` (the CPU) when left out. Only `"cpu"` is available. */
  device?: Device;
}

/** Options of the random creation functions: those of `TensorOptions`, and a generator. */
export interface RandomOptions extends TensorOptions {
  /** Draw from this generator instead of the default one that `manualSeed` resets. */
  generator?: Generator;
}

/**
 * A creation function's options, checked in the name of the function called (`op`): an object
 * whose requiresGrad is a boolean and generator a Generator (`dtypeOption` checks the dtype).
 */
function creationOptions<O extends RandomOptions>(op: string, options: O | undefined): O | undefined {
  const checked = checkOptions(op, options);
  if (checked.requiresGrad !== undefined) checkBoolean(op, "requiresGrad", checked.requiresGrad);
  if (checked.device !== undefined) assertDevice(op, checked.device);
  if (checked.generator !== undefined && !(checked.generator instanceof Generator)) {
    throw new NablaError(op, `generator must be a Generator, got ${describeValue(checked.generator)}`);
  }
  return options;
}

function dtypeOption(op: string, options: TensorOptions | undefined, fallback: DType): DType {
  return options?.dtype === undefined ? fallback : assertDType(op, options.dtype);
}

function finish(op: string, t: Tensor, options: TensorOptions | undefined): Tensor {
  if (options?.requiresGrad) {
    if (!isFloating(t.dtype)) throw new NablaError(op, `only floating-point tensors can require gradients, got dtype ${t.dtype}`);
    t.requiresGrad = true;
  }
  return t;
}

/**
 * Makes a tensor from nested arrays or a typed array (always copied), as PyTorch's `tensor`.
 * Numbers default to float32 (PyTorch's default dtype) and booleans to bool; a typed array keeps
 * its dtype (a Uint8Array needs `dtype: "bool"`). `shape` fills another shape with the elements in
 * row-major order. Ragged arrays and values that are not numbers or booleans throw.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * x.shape;                                                   // → [2, 2]
 * x.dtype;                                                   // → "float32"
 * tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] }); // → [[1, 2], [3, 4]]
 * tensor(3);                                                 // → 3
 * tensor([[1, 2], [3]]); // throws tensor: ragged nested array: expected 2 elements at [1], got 1 (inferred shape [2, 2])
 * ```
 */
export function tensor(data: NestedArray | TypedArray, options?: TensorOptions & { shape?: Shape }): Tensor {
  creationOptions("tensor", options);
  if (ArrayBuffer.isView(data)) return fromTypedArray(data as TypedArray, options);
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    checkRank("tensor", shape.length); // also ends the walk down an array that contains itself
    probe = probe[0] as NestedArray;
  }
  const flat: (number | boolean)[] = [];
  let sawNumber = false;
  // iterative walk so deep or large nested arrays cannot overflow the stack
  const stack: [NestedArray, number, string][] = [[data, 0, ""]];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop()!;
    if (depth === shape.length) {
      if (typeof value === "number") sawNumber = true;
      else if (typeof value !== "boolean") {
        throw new NablaError(
          "tensor",
          `expected a number or boolean at ${path || "the top level"}, got ${Array.isArray(value) ? "an array" : typeof value} (nested data of shape ${formatShape(shape)})`,
        );
      }
      flat.push(value);
      continue;
    }
    if (!Array.isArray(value) || value.length !== shape[depth]) {
      throw new NablaError(
        "tensor",
        `ragged nested array: expected ${shape[depth]} elements at ${path || "the top level"}, got ${Array.isArray(value) ? value.length : "a scalar"} (inferred shape ${formatShape(shape)})`,
      );
    }
    for (let i = value.length - 1; i >= 0; i--) stack.push([value[i]!, depth + 1, `${path}[${i}]`]);
  }
  // with a shape option the elements, in row-major order, fill that shape instead (as a reshape)
  let finalShape: number[] = shape;
  if (options?.shape !== undefined) {
    finalShape = checkShape("tensor", options.shape);
    if (numelOf(finalShape) !== flat.length) {
      throw new NablaError(
        "tensor",
        `shape ${formatShape(finalShape)} needs ${numelOf(finalShape)} elements, but the data (shape ${formatShape(shape)}) has ${flat.length}`,
      );
    }
  }
  const dtype = dtypeOption("tensor", options, sawNumber || flat.length === 0 ? "float32" : "bool");
  const values = allocate(dtype, flat.length, "tensor");
  if (dtype === "int32") for (const v of flat) checkValueFits("tensor", Number(v), dtype);
  for (let i = 0; i < flat.length; i++) values[i] = storedValue(dtype, flat[i]!);
  return finish("tensor", Tensor.fromData(values, finalShape, dtype), options);
}

function fromTypedArray(data: TypedArray, options?: TensorOptions & { shape?: Shape }): Tensor {
  if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array)) {
    throw new NablaError(
      "tensor",
      `unsupported typed array ${(data as ArrayBufferView).constructor.name} (expected Float32Array, Float64Array, Int32Array or Uint8Array)`,
    );
  }
  const own = dtypeOfArray(data);
  if (data instanceof Uint8Array && options?.dtype !== "bool") {
    throw new NablaError("tensor", 'a Uint8Array needs { dtype: "bool" }');
  }
  const dtype = dtypeOption("tensor", options, own);
  const shape = options?.shape === undefined ? [data.length] : checkShape("tensor", options.shape);
  if (numelOf(shape) !== data.length) {
    throw new NablaError("tensor", `shape ${formatShape(shape)} needs ${numelOf(shape)} elements, but the typed array has ${data.length}`);
  }
  const values = allocate(dtype, data.length, "tensor");
  if (dtype === "int32" && own !== "int32") for (const v of data) checkValueFits("tensor", v, dtype);
  if (dtype === "bool") for (let i = 0; i < data.length; i++) values[i] = toBool(data[i]!);
  else values.set(data);
  return finish("tensor", Tensor.fromData(values, shape, dtype), options);
}

/** A tensor of `shape` filled with `value`, made in the name of `op` (the creation function called). */
function filled(op: string, shape: Shape, value: number | boolean, options: TensorOptions | undefined): Tensor {
  creationOptions(op, options);
  const checked = checkShape(op, shape);
  if (typeof value !== "number" && typeof value !== "boolean")
    throw new NablaError(op, `value must be a number or a boolean, got ${describeValue(value)}`);
  const dtype = dtypeOption(op, options, typeof value === "boolean" ? "bool" : "float32");
  if (typeof value === "number") checkValueFits(op, value, dtype);
  const data = allocate(dtype, numelOf(checked), op);
  const stored = storedValue(dtype, value);
  if (stored !== 0) data.fill(stored);
  return finish(op, Tensor.fromData(data, checked, dtype), options);
}

/**
 * A tensor of `shape` filled with `value`: float32 unless `options.dtype` is given, bool for a
 * boolean value (PyTorch's `full`).
 *
 * @example
 * ```ts
 * full([2, 2], 7);  // → [[7, 7], [7, 7]]
 * full([2], true);  // → [true, true]
 * ```
 */
export function full(shape: Shape, value: number | boolean, options?: TensorOptions): Tensor {
  return filled("full", shape, value, options);
}

/**
 * A tensor of `shape` filled with 0: float32 unless `options.dtype` says otherwise (PyTorch's
 * `zeros`).
 *
 * @example
 * ```ts
 * zeros([2, 3]).shape;                      // → [2, 3]
 * zeros([2], { dtype: "int32" });           // → [0, 0]
 * zeros([2], { requiresGrad: true }).isLeaf; // → true
 * ```
 */
export function zeros(shape: Shape, options?: TensorOptions): Tensor {
  return filled("zeros", shape, 0, options);
}

/**
 * A tensor of `shape` filled with 1: float32 unless `options.dtype` says otherwise (PyTorch's
 * `ones`).
 *
 * @example
 * ```ts
 * ones([2, 2]); // → [[1, 1], [1, 1]]
 * ```
 */
export function ones(shape: Shape, options?: TensorOptions): Tensor {
  return filled("ones", shape, 1, options);
}

/**
 * Zeros of `t`'s shape and dtype (options may override the dtype), as PyTorch's `zeros_like`.
 *
 * @example
 * ```ts
 * const t = tensor([[1, 2]], { dtype: "float64" });
 * zerosLike(t);       // → [[0, 0]]
 * zerosLike(t).dtype; // → "float64"
 * ```
 */
export function zerosLike(t: Tensor, options?: TensorOptions): Tensor {
  checkTensor("zerosLike", "input", t);
  return filled("zerosLike", t.shape, 0, { ...creationOptions("zerosLike", options), dtype: options?.dtype ?? t.dtype });
}

/**
 * Ones of `t`'s shape and dtype (options may override the dtype), as PyTorch's `ones_like`.
 *
 * @example
 * ```ts
 * onesLike(arange(3)); // → [1, 1, 1]
 * ```
 */
export function onesLike(t: Tensor, options?: TensorOptions): Tensor {
  checkTensor("onesLike", "input", t);
  return filled("onesLike", t.shape, 1, { ...creationOptions("onesLike", options), dtype: options?.dtype ?? t.dtype });
}

/**
 * The integers 0, 1, …, end − 1 as int32 (PyTorch's `arange(end)`; int32 where PyTorch gives int64).
 *
 * @example
 * ```ts
 * arange(4);       // → [0, 1, 2, 3]
 * arange(4).dtype; // → "int32"
 * ```
 */
export function arange(end: number): Tensor;
/**
 * Evenly spaced values in [start, end) with `step` (default 1; negative counts down), as PyTorch's
 * `arange`. Integer arguments give int32 (where PyTorch gives int64), others float32, unless
 * `options.dtype` says otherwise.
 *
 * @example
 * ```ts
 * arange(1, 4);         // → [1, 2, 3]
 * arange(0, 1, 0.25);   // → [0, 0.25, 0.5, 0.75]
 * arange(3, 0, -1);     // → [3, 2, 1]
 * ```
 */
export function arange(start: number, end: number, step?: number, options?: TensorOptions): Tensor;
export function arange(a: number, b?: number, step = 1, options?: TensorOptions): Tensor {
  creationOptions("arange", options);
  const [start, end] = b === undefined ? [0, a] : [a, b];
  for (const [name, v] of [
    ["start", start],
    ["end", end],
    ["step", step],
  ] as const)
    checkNumber("arange", name, v, { finite: true });
  if (step === 0) throw new NablaError("arange", "step must be non-zero");
  if ((end - start) * step < 0) throw new NablaError("arange", `the range ${start} to ${end} cannot be walked with step ${step}`);
  const allIntegers = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = dtypeOption("arange", options, allIntegers ? "int32" : "float32");
  const count = Math.max(0, Math.ceil((end - start) / step));
  checkAllocation("arange", dtype, count);
  // the values grow monotonically, so the first and last tell whether all fit
  if (count > 0) for (const v of [start, start + (count - 1) * step]) checkValueFits("arange", v, dtype);
  const data = allocate(dtype, count, "arange");
  for (let i = 0; i < count; i++) data[i] = storedValue(dtype, start + i * step);
  return finish("arange", Tensor.fromData(data, [count], dtype), options);
}

/**
 * `steps` evenly spaced values from `start` to `end`, both included (float32 unless
 * `options.dtype` says otherwise), as PyTorch's `linspace`.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5); // → [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, end: number, steps: number, options?: TensorOptions): Tensor {
  creationOptions("linspace", options);
  checkNumber("linspace", "start", start);
  checkNumber("linspace", "end", end);
  checkInteger("linspace", "steps", steps, { min: 0 });
  const dtype = dtypeOption("linspace", options, "float32");
  const data = allocate(dtype, steps, "linspace");
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // fill symmetrically from both ends, as PyTorch does, so the last value is exactly `end`;
  // a single step is `start` (PyTorch)
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) data[i] = storedValue(dtype, i < half || steps === 1 ? start + step * i : end - step * (steps - 1 - i));
  return finish("linspace", Tensor.fromData(data, [steps], dtype), options);
}

/**
 * The n×m identity matrix (m defaults to n): ones on the diagonal, float32 unless `options.dtype`
 * says otherwise (PyTorch's `eye`).
 *
 * @example
 * ```ts
 * eye(2);    // → [[1, 0], [0, 1]]
 * eye(2, 3); // → [[1, 0, 0], [0, 1, 0]]
 * ```
 */
export function eye(n: number, m: number = n, options?: TensorOptions): Tensor {
  checkInteger("eye", "n", n, { min: 0 });
  checkInteger("eye", "m", m, { min: 0 });
  const out = filled("eye", [n, m], 0, options);
  out.storage.backend.run.fill(out.withLayout({ shape: [Math.min(n, m)], strides: [m + 1], offset: 0 }), 1);
  return out;
}

function randomTensor(
  op: string,
  shape: Shape,
  options: RandomOptions | undefined,
  fill: (data: TypedArray, generator: Generator) => void,
): Tensor {
  creationOptions(op, options);
  const checked = checkShape(op, shape);
  const dtype = dtypeOption(op, options, "float32");
  const data = allocate(dtype, numelOf(checked), op);
  fill(data, options?.generator ?? defaultGenerator);
  return finish(op, Tensor.fromData(data, checked, dtype), options);
}

/**
 * Uniform samples in [0, 1), float32 or float64 (PyTorch's `rand`), from the default generator
 * (`manualSeed`) or `options.generator`: the same seed gives PyTorch's values bit for bit
 * (`Generator.nextFloat32` / `nextFloat64` per element).
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const a = rand([2, 3]);
 * a.shape; // → [2, 3]
 * manualSeed(0);
 * rand([2, 3]).eq(a).sum(); // → 6
 * rand([2], { generator: new Generator(7) }).eq(rand([2], { generator: new Generator(7) })); // → [true, true]
 * ```
 */
export function rand(shape: Shape, options?: RandomOptions): Tensor {
  if (options?.dtype && !isFloating(options.dtype)) throw new NablaError("rand", `needs a floating dtype, got ${options.dtype}`);
  return randomTensor("rand", shape, options, (data, g) => uniformFill(data as Float32Array | Float64Array, 0, 1, g));
}

/**
 * Standard normal samples (mean 0, standard deviation 1) by Box–Muller, float32 or float64
 * (PyTorch's `randn`), from the default generator (`manualSeed`) or `options.generator`. The draws
 * are PyTorch's for the same seed (16 elements or more: uniforms, then Box–Muller in blocks of 16;
 * fewer: cached pairs, as `Generator.nextNormal`); the values match PyTorch's to the last few bits,
 * as JavaScript's log, sin and cos are not C's (nor, for float32, PyTorch's AVX2 ones).
 *
 * @example
 * ```ts
 * manualSeed(0);
 * const x = randn([10000]);
 * x.mean().abs().lt(0.05);       // → true
 * x.std().sub(1).abs().lt(0.05); // → true
 * ```
 */
export function randn(shape: Shape, options?: RandomOptions): Tensor {
  if (options?.dtype && !isFloating(options.dtype)) throw new NablaError("randn", `needs a floating dtype, got ${options.dtype}`);
  return randomTensor("randn", shape, options, (data, g) => normalFill(data as Float32Array | Float64Array, 0, 1, g, true));
}

/**
 * Uniform integers in [low, high), int32 unless `options.dtype` says otherwise (PyTorch's
 * `randint`; int32 where PyTorch gives int64). Every value of the range must be one the dtype
 * holds exactly (int32: −2³¹ to 2³¹ − 1; float32: ±2²⁴; float64: ±2⁵³), as PyTorch checks `from`
 * and `to − 1` against the dtype; for wider ranges ask for float64. The values are PyTorch's for
 * the same seed: one 32-bit draw modulo the range (a 64-bit one in float64 when the range is 2³² or
 * more), so, as in PyTorch, a range that does not divide 2³² is slightly biased towards its low values.
 *
 * @example
 * ```ts
 * const dice = randint(1, 7, [1000]);
 * dice.min(); // → 1
 * dice.max(); // → 6
 * ```
 */
export function randint(low: number, high: number, shape: Shape, options?: RandomOptions): Tensor {
  creationOptions("randint", options);
  checkInteger("randint", "low", low);
  checkInteger("randint", "high", high);
  if (high <= low) throw new NablaError("randint", `needs low < high, got low ${low} and high ${high}`);
  const dtype = dtypeOption("randint", options, "int32");
  const { min, max } = integerRange(dtype);
  if (low < min || high - 1 > max) {
    throw new NablaError("randint", `the range [${low}, ${high}) does not fit ${dtype}, which holds the integers ${min} to ${max} exactly`);
  }
  // PyTorch's random_(low, high): one 32-bit draw modulo the range, or a 64-bit one in a float64
  // (PyTorch: int64, float or double) tensor when the range is 2³² or more, in BigInt as the range
  // may pass 2⁵³
  const range = high - low;
  if (range < 4294967296 || dtype !== "float64") {
    return randomTensor("randint", shape, { ...options, dtype }, (data, g) => {
      for (let i = 0; i < data.length; i++) data[i] = low + (g.nextUint32() % range);
    });
  }
  const [base, bigRange] = [BigInt(low), BigInt(high) - BigInt(low)];
  return randomTensor("randint", shape, { ...options, dtype }, (data, g) => {
    for (let i = 0; i < data.length; i++) data[i] = Number(base + (((BigInt(g.nextUint32()) << 32n) | BigInt(g.nextUint32())) % bigRange));
  });
}

/**
 * A random permutation of 0, …, n − 1 (int32), by Fisher–Yates over the default generator or
 * `options.generator`: PyTorch's `randperm` bit for bit (torch 1.13's CPU algorithm: position i
 * swaps with i + one 32-bit draw modulo n − i).
 *
 * @example
 * ```ts
 * const p = randperm(5);
 * p.dtype; // → "int32"
 * p.sum(); // → 10
 * ```
 */
export function randperm(n: number, options?: RandomOptions): Tensor {
  creationOptions("randperm", options);
  checkInteger("randperm", "n", n, { min: 0 });
  const dtype = dtypeOption("randperm", options, "int32");
  checkAllocation("randperm", dtype, n);
  if (n - 1 > integerRange(dtype).max)
    throw new NablaError(
      "randperm",
      `n = ${n} is too large for ${dtype}, which holds the integers up to ${integerRange(dtype).max} exactly`,
    );
  const generator = options?.generator ?? defaultGenerator;
  const data = allocate("int32", n, "randperm") as Int32Array;
  for (let i = 0; i < n; i++) data[i] = i;
  // torch 1.13's CPU randperm: position i swaps with i + (one 32-bit draw modulo n − i)
  for (let i = 0; i < n - 1; i++) {
    const j = i + (generator.nextUint32() % (n - i));
    const t = data[i]!;
    data[i] = data[j]!;
    data[j] = t;
  }
  const out = Tensor.fromData(data, [n], "int32");
  return finish("randperm", dtype === "int32" ? out : to(out, dtype), options);
}

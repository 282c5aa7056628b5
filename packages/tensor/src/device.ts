import { NablaError, describeValue } from "./errors";

/**
 * Where a tensor's data lives: `"cpu"` (JS and WebAssembly kernels on host memory), or `"webgpu"`,
 * which is planned and not available yet.
 */
export type Device = "cpu" | "webgpu";

export const DEVICES: readonly Device[] = ["cpu", "webgpu"];

/** The devices this build can put tensors on. */
const AVAILABLE: readonly Device[] = ["cpu"];

export function isDevice(value: unknown): value is Device {
  return typeof value === "string" && (DEVICES as readonly string[]).includes(value);
}

/** `value` as a device tensors can be put on now, or a NablaError naming `op`. */
export function assertDevice(op: string, value: unknown): Device {
  if (!isDevice(value)) throw new NablaError(op, `unknown device ${describeValue(value)} (expected one of ${DEVICES.join(", ")})`);
  if (!AVAILABLE.includes(value)) {
    throw new NablaError(op, `device "${value}" is not available yet (available: ${AVAILABLE.join(", ")})`);
  }
  return value;
}

let defaultDevice: Device = "cpu";

/**
 * Chooses the device new tensors are created on (PyTorch's `torch.set_default_device`). Only
 * `"cpu"` is available today: any other device throws.
 *
 * @example
 * ```ts
 * setDefaultDevice("cpu");
 * getDefaultDevice();         // → "cpu"
 * setDefaultDevice("webgpu"); // throws setDefaultDevice: device "webgpu" is not available yet (available: cpu)
 * ```
 */
export function setDefaultDevice(device: Device): void {
  defaultDevice = assertDevice("setDefaultDevice", device);
}

/**
 * The device new tensors are created on: `"cpu"` unless `setDefaultDevice` chose another.
 *
 * @example
 * ```ts
 * getDefaultDevice();         // → "cpu"
 * tensor([1, 2]).device;      // → "cpu"
 * ```
 */
export function getDefaultDevice(): Device {
  return defaultDevice;
}

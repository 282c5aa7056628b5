import { afterEach, describe, expect, it } from "vitest";
import { getDefaultDevice, NablaError, ones, randn, setDefaultDevice, tensor, to, zeros, type Device, type DType } from "@nabla/tensor";
import { nablaError } from "../support/errors";

afterEach(() => setDefaultDevice("cpu"));

describe("devices", () => {
  it("puts every tensor on the CPU, the only device available", () => {
    expect(tensor([1, 2]).device).toBe("cpu");
    expect(zeros([2, 3]).T.device).toBe("cpu");
    expect(tensor([1, 2], { requiresGrad: true }).mul(2).device).toBe("cpu");
    expect(getDefaultDevice()).toBe("cpu");
  });

  it("to(device) returns the tensor itself when it is already there, as PyTorch", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    expect(x.to("cpu")).toBe(x);
    expect(to(x, "cpu")).toBe(x);
    // the tensor itself: the graph is not cut
    x.to("cpu").sum().backward();
    expect(x.grad!.toArray()).toEqual([1, 1]);
  });

  it("to(dtype) still casts: a device string moves, a dtype string casts", () => {
    const x = tensor([1.5, -2.5]);
    expect(x.to("int32").toArray()).toEqual([1, -2]);
    expect(x.to("float64").dtype).toBe("float64");
  });

  it("refuses webgpu until it is available, naming the op", () => {
    const x = tensor([1, 2]);
    expect(nablaError(() => x.to("webgpu"), "to").message).toBe('to: device "webgpu" is not available yet (available: cpu)');
    expect(nablaError(() => setDefaultDevice("webgpu"), "setDefaultDevice").message).toBe(
      'setDefaultDevice: device "webgpu" is not available yet (available: cpu)',
    );
    expect(getDefaultDevice(), "the failed call changes nothing").toBe("cpu");
    expect(nablaError(() => ones([2], { device: "webgpu" }), "ones").message).toBe(
      'ones: device "webgpu" is not available yet (available: cpu)',
    );
  });

  it("refuses an unknown device or dtype with the valid choices", () => {
    expect(nablaError(() => setDefaultDevice("cuda" as Device)).message).toBe(
      'setDefaultDevice: unknown device "cuda" (expected one of cpu, webgpu)',
    );
    expect(nablaError(() => tensor([1]).to("gpu" as DType)).message).toBe(
      'to: unknown dtype "gpu" (expected one of float32, float64, int32, bool), nor a device (cpu, webgpu)',
    );
    expect(nablaError(() => zeros([3], { device: 0 as unknown as Device })).message).toBe(
      "zeros: unknown device 0 (expected one of cpu, webgpu)",
    );
  });

  it('accepts device: "cpu" in the creation options', () => {
    expect(tensor([1, 2], { device: "cpu" }).toArray()).toEqual([1, 2]);
    expect(randn([2], { device: "cpu" }).device).toBe("cpu");
    setDefaultDevice("cpu");
    expect(zeros([1], { device: getDefaultDevice() }).device).toBe("cpu");
  });
});

describe("async readback", () => {
  const x = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { dtype: "float64" },
  );

  it("gives what the synchronous forms give", async () => {
    const promise = x.T.dataAsync();
    expect(promise).toBeInstanceOf(Promise);
    const data = await promise;
    expect(data).toBeInstanceOf(Float64Array);
    expect(Array.from(data)).toEqual([1, 3, 2, 4]);
    expect(await x.toArrayAsync()).toEqual(x.toArray());
    expect(await x.sum().itemAsync()).toBe(10);
    expect(await tensor([1, -1]).gt(0).toArrayAsync()).toEqual([true, false]);
    expect(await tensor(true).itemAsync()).toBe(true);
    expect(await tensor([1, -1]).gt(0).dataAsync()).toBeInstanceOf(Uint8Array);
  });

  it("rejects with the error the synchronous form throws", async () => {
    const error = await x.itemAsync().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NablaError);
    expect((error as NablaError).message).toBe("item: only one-element tensors can be converted to a number, got shape [2, 2]");
  });
});

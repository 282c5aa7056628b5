import { allocate, type TypedArray } from "../../dtype";
import type { BackendDefinition } from "../backend";
import { registerBackend } from "../registry";
import { binary, clamp, compare, fillStrided, inRange, selectWhere, toContiguous, unary, write } from "./elementwise";
import { gatherAlong, scatterAddAlong } from "./indexing";
import { matmulBatched } from "./matmul";
import { argReduce, reduceAxes } from "./reduce";
import { registerWasmKernels } from "./wasm-kernels";
import { col2im, im2col, maxPool } from "./windows";

/**
 * The CPU backend: a buffer is the typed array itself (bool as 0/1 bytes), and every primitive has
 * its JS reference kernel here. The WebAssembly SIMD kernels are registered beside them
 * (wasm-kernels.ts); the registry chooses.
 */
export const cpuDefinition: BackendDefinition<TypedArray> = {
  device: "cpu",
  allocate,
  upload: (data) => data,
  sizeOf: (buffer) => buffer.length,
  readSync: toContiguous,
  read: async (view, dtype) => toContiguous(view, dtype),
  hostArray: (buffer) => buffer,
  kernels: {
    unary,
    binary,
    compare,
    where: selectWhere,
    clamp,
    inRange,
    copy: toContiguous,
    write,
    fill: fillStrided,
    reduce: reduceAxes,
    argReduce,
    matmul: matmulBatched,
    gather: gatherAlong,
    scatterAdd: scatterAddAlong,
    im2col,
    col2im,
    maxPool,
  },
};

export const cpu = registerBackend(cpuDefinition);
registerWasmKernels();

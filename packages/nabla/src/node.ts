/** `nabla/node`: the file helpers of `@nabla/nn/node` (safetensors files, CSV files); Node only. */
export * from "@nabla/nn/node";

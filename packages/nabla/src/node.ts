/**
 * `nabla/node`: the file helpers of `@nabla/nn/node` (safetensors files, CSV files); Node only.
 *
 * @module nabla/node
 */
export * from "@nabla/nn/node";

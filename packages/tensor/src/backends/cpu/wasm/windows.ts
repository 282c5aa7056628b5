import { type Layout, storageExtent } from "../../../layout";
import { numelOf } from "../../../shape";
import type { WindowGeometry } from "../../primitives";
import type { Strided } from "../iterate";
import { tapRanges } from "../windows";
import type { HeapBlock } from "./heap";
import { float32RegionBytes, lazyWasmKernels } from "./wasm-api";
import { WINDOWS_WASM_BASE64 } from "./windows-binary";

// The drivers of windows.wat, registered beside the JS window kernels (cpu/windows.ts): each
// copies its float32 operand into one scratch block (the whole span of storage its view reaches,
// one copy however it is strided), runs the kernel there and copies the results out. A scratch
// block the heap cannot give means the JS kernel runs.

/** Pointers and strides are byte offsets and byte steps in the heap's memory. */
interface WindowKernels {
  im2colF32(
    x: number,
    sN: number,
    sC: number,
    sH: number,
    sW: number,
    batch: number,
    kh: number,
    kw: number,
    oh: number,
    ow: number,
    sh: number,
    sw: number,
    taps: number,
    out: number,
    first: number,
    count: number,
  ): void;
  im2colPlanesF32(
    x: number,
    sN: number,
    sC: number,
    batch: number,
    taps: number,
    positions: number,
    shifts: number,
    masks: number,
    out: number,
    first: number,
    count: number,
  ): void;
  col2imPlanesF32(
    cols: number,
    sN: number,
    sR: number,
    nFirst: number,
    nCount: number,
    rFirst: number,
    rCount: number,
    channels: number,
    taps: number,
    positions: number,
    planeBytes: number,
    shifts: number,
    masks: number,
    out: number,
  ): void;
  col2imF32(
    cols: number,
    sN: number,
    sR: number,
    sL: number,
    nFirst: number,
    nCount: number,
    rFirst: number,
    rCount: number,
    channels: number,
    kh: number,
    kw: number,
    ow: number,
    sh: number,
    sw: number,
    height: number,
    width: number,
    taps: number,
    out: number,
  ): void;
  maxPool2x2F32(
    x: number,
    sN: number,
    sC: number,
    sH: number,
    batch: number,
    channels: number,
    oh: number,
    ow: number,
    width: number,
    values: number,
    indices: number,
  ): void;
}

const simdKernels = lazyWasmKernels<WindowKernels>(WINDOWS_WASM_BASE64);

/**
 * Values per block of im2col's output or col2im's input: a block written or read by the kernel
 * is still in cache when it is copied.
 */
const BLOCK_ELEMENTS = 65536;

/** Extra bytes after an operand copied into scratch: the pooling kernel reads up to seven values past a run. */
const READ_SLACK_BYTES = 32;

/**
 * The tap table of windows.wat for `geometry` over planes of `height` × `width`: per row tap and
 * then per column tap, its shift and its windows [lo, hi), clamped to the windows there are.
 */
function tapTable(geometry: WindowGeometry, height: number, width: number): Int32Array {
  const ranges = [...tapRanges(geometry, 0, height), ...tapRanges(geometry, 1, width)];
  const table = new Int32Array(ranges.length * 3);
  ranges.forEach(({ shift, lo, hi }, t) => {
    const windows = geometry.out[t < geometry.kernel[0] ? 0 : 1];
    table.set([shift, Math.min(lo, windows), Math.min(hi, windows)], 3 * t);
  });
  return table;
}

/** Whether windows step 1 and are as many along a row as the plane is wide: the planes kernels' case. */
const samePlanes = (geometry: WindowGeometry, width: number) =>
  geometry.stride[0] === 1 && geometry.stride[1] === 1 && geometry.out[1] === width;

/**
 * Whether an operand of `elements` values spanning `span` values of storage is copied whole: not
 * when it reaches sparsely over a much larger storage (more than four times its values, and more
 * than 65,536 of them), where the JS kernel, which reads only the values it uses, is left to run.
 */
const copiesSpan = (span: number, elements: number): boolean => span <= 4 * elements || span <= 65536;

/** Where an operand lies in its typed array: the span of storage its layout reaches. */
export interface Span {
  first: number;
  length: number;
}

/** The span of storage `layout` reaches, or null where it is too sparse to copy whole (see copiesSpan). */
export function spanOf(layout: Layout): Span | null {
  const extent = storageExtent(layout);
  if (extent === null) return null;
  const length = extent.max - extent.min + 1;
  return copiesSpan(length, numelOf(layout.shape)) ? { first: extent.min, length } : null;
}

/**
 * Copies `span` of the operand's float32 values into the scratch block at byte `at` and returns
 * the byte offset of the operand's element 0 (its `offset`) there.
 */
export function copyIn(x: Strided, span: Span, scratch: HeapBlock, at: number): number {
  const data = x.data as Float32Array;
  scratch.f32().set(data.subarray(span.first, span.first + span.length), at / 4);
  return scratch.ptr + at + (x.offset - span.first) * 4;
}

/**
 * The tables of im2colPlanesF32 and col2imPlanesF32 (see windows.wat) for planes of `height` rows
 * of `width` values: each tap's shift in bytes, then each tap's mask over the outH·outW windows in
 * whole vectors, and the values the kernels reach before a plane's first and past its last.
 */
function planeTables(geometry: WindowGeometry, height: number, width: number): PlaneTables {
  // kept per geometry: a model's layers ask for the same few at every step
  const key = `${geometry.kernel} ${geometry.stride} ${geometry.padding} ${geometry.dilation} ${geometry.out} ${height} ${width}`;
  let tables = planeTablesMade.get(key);
  if (tables === undefined) {
    if (planeTablesMade.size >= PLANE_TABLES_KEPT) planeTablesMade.clear();
    tables = makePlaneTables(geometry, height, width);
    planeTablesMade.set(key, tables);
  }
  return tables;
}

/** The tap tables of windows.wat's planes kernels, and how far they reach beside a plane. */
interface PlaneTables {
  table: Int32Array;
  before: number;
  after: number;
}

/** How many geometries' plane tables are kept (each a few KiB for small planes). */
const PLANE_TABLES_KEPT = 16;
const planeTablesMade = new Map<string, PlaneTables>();

function makePlaneTables(geometry: WindowGeometry, height: number, width: number): PlaneTables {
  const rows = tapRanges(geometry, 0, height);
  const cols = tapRanges(geometry, 1, width);
  const [oh, ow] = geometry.out;
  const taps = rows.length * cols.length;
  const stride = Math.ceil((oh * ow) / 4) * 4;
  const table = new Int32Array(taps + taps * stride);
  let [before, after] = [0, 0];
  for (const [p, row] of rows.entries()) {
    for (const [q, col] of cols.entries()) {
      const tap = p * cols.length + q;
      const shift = row.shift * width + col.shift;
      table[tap] = shift * 4;
      [before, after] = [Math.max(before, -shift), Math.max(after, shift + stride)];
      const mask = taps + tap * stride;
      for (let i = row.lo; i < row.hi; i++) table.fill(-1, mask + i * ow + col.lo, mask + i * ow + col.hi);
    }
  }
  return { table, before, after };
}

/**
 * im2col of float32 x [N, C, H, W] into `out` [C·kH·kW, N, outH·outW] (see cpu/windows.ts): into
 * a typed array a block of tap rows at a time (each block copied out while in cache), or straight
 * into a heap block (float32RegionBytes of the columns: the kernels write whole vectors). False,
 * having written nothing, without WebAssembly SIMD, for an x spanning sparsely over a much larger
 * storage (see copiesSpan) or without room in the heap for x and a block.
 */
export function im2colSimd(x: Strided, geometry: WindowGeometry, out: Float32Array | HeapBlock): boolean {
  const kernels = simdKernels();
  const span = spanOf(x);
  if (kernels === null || span === null || !(x.data instanceof Float32Array)) return false;
  const [batch, channels, height, width] = x.shape as [number, number, number, number];
  const [sN, sC, sH, sW] = x.strides as [number, number, number, number];
  const [kh, kw] = geometry.kernel;
  const [oh, ow] = geometry.out;
  const positions = oh * ow;
  const rowLength = batch * positions;
  const rows = channels * kh * kw;
  const inHeap = !(out instanceof Float32Array);
  const block = inHeap ? rows : Math.max(1, Math.floor(BLOCK_ELEMENTS / rowLength));
  // windows stepping 1 as wide as x's rows, which lie one after the other: each tap's columns are
  // the plane moved
  const planes = samePlanes(geometry, width) && sW === 1 && sH === width ? planeTables(geometry, height, width) : null;
  const table = planes?.table ?? tapTable(geometry, height, width);
  // the kernels read whole vectors from before x's first element and past its last: by the
  // largest shift either way (and a plane), or (a window row of adjacent taps is read from column
  // shift on) before its input row's start by the padding and past its end
  const shifts = tapRanges(geometry, 1, width).map(({ shift }) => shift);
  const before = planes?.before ?? Math.max(0, -Math.min(...shifts));
  const after = planes?.after ?? Math.max(0, Math.max(...shifts) + 4 * Math.ceil(ow / 4) - width);
  // scratch: [tables | x, with room either side | a block of the output, unless it goes to the heap]
  const xAt = float32RegionBytes(table.length) + float32RegionBytes(before);
  const outAt = xAt + float32RegionBytes(span.length + after);
  const scratch = kernels.heap.allocate(outAt + (inHeap ? 0 : float32RegionBytes(Math.min(block, rows) * rowLength)));
  if (scratch === null) return false;
  try {
    new Int32Array(scratch.f32().buffer, scratch.ptr, table.length).set(table);
    const base = copyIn(x, span, scratch, xAt);
    for (let r = 0; r < rows; r += block) {
      const count = Math.min(block, rows - r);
      const at = inHeap ? out.ptr : scratch.ptr + outAt;
      if (planes === null) {
        kernels.exports.im2colF32(
          base,
          sN * 4,
          sC * 4,
          sH * 4,
          sW * 4,
          batch,
          kh,
          kw,
          oh,
          ow,
          ...geometry.stride,
          scratch.ptr,
          at,
          r,
          count,
        );
      } else {
        const masks = scratch.ptr + kh * kw * 4;
        kernels.exports.im2colPlanesF32(base, sN * 4, sC * 4, batch, kh * kw, positions, scratch.ptr, masks, at, r, count);
      }
      if (!inHeap) out.set(scratch.f32().subarray(outAt / 4, outAt / 4 + count * rowLength), r * rowLength);
    }
  } finally {
    scratch.free();
  }
  return true;
}

/**
 * col2im of float32 columns [N, C·kH·kW, outH·outW] into `out` [N, C, H, W] (zeroed; see
 * cpu/windows.ts), the columns read a block at a time along whichever of their first two dims
 * steps further in storage. False, having written nothing, without WebAssembly SIMD, for a block
 * spanning sparsely over a much larger storage (see copiesSpan) or without room in the heap for
 * the output and a block.
 */
export function col2imSimd(columns: Strided, geometry: WindowGeometry, size: readonly [number, number], out: Float32Array): boolean {
  const kernels = simdKernels();
  if (kernels === null || out.length === 0 || !(columns.data instanceof Float32Array)) return false;
  const [batch, rows, length] = columns.shape as [number, number, number];
  const [sN, sR, sL] = columns.strides as [number, number, number];
  const [height, width] = size;
  const [kh, kw] = geometry.kernel;
  const alongRows = Math.abs(sR) >= Math.abs(sN);
  const [dim, extent, other] = alongRows ? [1, rows, batch] : [0, batch, rows];
  const block = Math.min(extent, Math.max(1, Math.floor(BLOCK_ELEMENTS / (other * length))));
  // each block's span is the first's, moved
  const blockShape = alongRows ? [batch, block, length] : [block, rows, length];
  const blockSpan = spanOf({ shape: blockShape, strides: columns.strides, offset: columns.offset });
  if (blockSpan === null) return false;
  // windows stepping 1 as wide as the planes, adjacent in the columns: each tap's columns are
  // added into the plane moved
  const planes = samePlanes(geometry, width) && sL === 1 ? planeTables(geometry, height, width) : null;
  const table = planes?.table ?? tapTable(geometry, height, width);
  // scratch: [tables | the output, with room either side for the planes kernel | a block of the columns]
  const outAt = float32RegionBytes(table.length) + float32RegionBytes(planes?.before ?? 0);
  const colsAt = outAt + float32RegionBytes(out.length + (planes?.after ?? 0));
  const scratch = kernels.heap.allocate(colsAt + float32RegionBytes(blockSpan.length));
  if (scratch === null) return false;
  try {
    const heap = scratch.f32();
    new Int32Array(heap.buffer, scratch.ptr, table.length).set(table);
    heap.fill(0, outAt / 4, outAt / 4 + out.length);
    const step = columns.strides[dim]!;
    const channels = rows / (kh * kw);
    for (let first = 0; first < extent; first += block) {
      const count = Math.min(block, extent - first);
      const offset = columns.offset + first * step;
      const base = copyIn({ ...columns, offset }, { first: blockSpan.first + first * step, length: blockSpan.length }, scratch, colsAt);
      const [nFirst, nCount, rFirst, rCount] = alongRows ? [0, batch, first, count] : [first, count, 0, rows];
      const at = scratch.ptr + outAt;
      if (planes === null) {
        const [sh, sw] = geometry.stride;
        kernels.exports.col2imF32(
          base,
          sN * 4,
          sR * 4,
          sL * 4,
          nFirst,
          nCount,
          rFirst,
          rCount,
          channels,
          kh,
          kw,
          geometry.out[1],
          sh,
          sw,
          height,
          width,
          scratch.ptr,
          at,
        );
      } else {
        const masks = scratch.ptr + kh * kw * 4;
        kernels.exports.col2imPlanesF32(
          base,
          sN * 4,
          sR * 4,
          nFirst,
          nCount,
          rFirst,
          rCount,
          channels,
          kh * kw,
          length,
          height * width * 4,
          scratch.ptr,
          masks,
          at,
        );
      }
    }
    out.set(scratch.f32().subarray(outAt / 4, outAt / 4 + out.length));
  } finally {
    scratch.free();
  }
  return true;
}

/**
 * Max pooling of float32 x [N, C, H, W] over 2 × 2 windows stepping 2 (see isPairPool in
 * cpu/windows.ts; adjacent values along its rows) into `values` and `indices` [N, C, outH, outW].
 * False, having written nothing, without WebAssembly SIMD, for an x spanning sparsely over a much
 * larger storage (see copiesSpan) or without room in the heap for x and the results.
 */
export function maxPool2x2Simd(x: Strided, geometry: WindowGeometry, values: Float32Array, indices: Int32Array): boolean {
  const kernels = simdKernels();
  const span = spanOf(x);
  if (kernels === null || span === null || !(x.data instanceof Float32Array) || x.strides[3] !== 1) return false;
  const [batch, channels, , width] = x.shape as [number, number, number, number];
  const [sN, sC, sH] = x.strides as [number, number, number];
  // scratch: [x | values | indices]
  const valuesAt = float32RegionBytes(span.length) + READ_SLACK_BYTES;
  const indicesAt = valuesAt + float32RegionBytes(values.length);
  const scratch = kernels.heap.allocate(indicesAt + float32RegionBytes(values.length));
  if (scratch === null) return false;
  try {
    const base = copyIn(x, span, scratch, 0);
    const [oh, ow] = geometry.out;
    kernels.exports.maxPool2x2F32(
      base,
      sN * 4,
      sC * 4,
      sH * 4,
      batch,
      channels,
      oh,
      ow,
      width,
      scratch.ptr + valuesAt,
      scratch.ptr + indicesAt,
    );
    const heap = scratch.f32();
    values.set(heap.subarray(valuesAt / 4, valuesAt / 4 + values.length));
    indices.set(new Int32Array(heap.buffer, scratch.ptr + indicesAt, indices.length));
  } finally {
    scratch.free();
  }
  return true;
}

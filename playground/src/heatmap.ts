import type { Tensor } from "@nabla/tensor";
import { pointsTensor } from "./trainer";

/** The view of the plane: [−EXTENT, EXTENT]² in data coordinates. */
const EXTENT = 1.2;
/** Probability cells per side of the heatmap. */
const CELLS = 60;

// class 0 orange, class 1 blue, as in most 2-D classifier demos
const CLASS_COLOURS: [number, number, number][] = [
  [245, 146, 56],
  [52, 120, 200],
];

/** The centres of the heatmap cells, row by row from the top, as a float32 [CELLS², 2] tensor. */
export function heatmapGrid(): Tensor {
  const points = new Float32Array(CELLS * CELLS * 2);
  for (let row = 0; row < CELLS; row++) {
    for (let col = 0; col < CELLS; col++) {
      const i = row * CELLS + col;
      points[2 * i] = -EXTENT + ((col + 0.5) / CELLS) * 2 * EXTENT;
      points[2 * i + 1] = EXTENT - ((row + 0.5) / CELLS) * 2 * EXTENT;
    }
  }
  return pointsTensor(points);
}

function mix(p: number): [number, number, number] {
  // pale near p = 0.5 (undecided), saturated where the model is sure
  const [a, b] = CLASS_COLOURS as [[number, number, number], [number, number, number]];
  const confidence = Math.abs(p - 0.5) * 2;
  const base = p > 0.5 ? b : a;
  return base.map((c) => Math.round(255 + (c - 255) * (0.25 + 0.5 * confidence))) as [number, number, number];
}

/**
 * Paints P(class 1) over the plane (the decision boundary is where the colour turns) and the
 * data points on top, coloured by their label.
 */
export function drawHeatmap(canvas: HTMLCanvasElement, probabilities: Float32Array, points: Float32Array, labels: Int32Array): void {
  const context = canvas.getContext("2d")!;
  const { width, height } = canvas;
  const image = context.createImageData(CELLS, CELLS);
  for (let i = 0; i < CELLS * CELLS; i++) {
    const [r, g, b] = mix(probabilities[i]!);
    image.data.set([r, g, b, 255], 4 * i);
  }
  // draw the small image scaled up, smoothed, for a soft boundary
  const cells = document.createElement("canvas");
  cells.width = CELLS;
  cells.height = CELLS;
  cells.getContext("2d")!.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = true;
  context.drawImage(cells, 0, 0, width, height);

  for (let i = 0; i < labels.length; i++) {
    const x = ((points[2 * i]! + EXTENT) / (2 * EXTENT)) * width;
    const y = ((EXTENT - points[2 * i + 1]!) / (2 * EXTENT)) * height;
    const [r, g, b] = CLASS_COLOURS[labels[i]!]!;
    context.beginPath();
    context.arc(x, y, 4, 0, 2 * Math.PI);
    context.fillStyle = `rgb(${r}, ${g}, ${b})`;
    context.fill();
    context.lineWidth = 1;
    context.strokeStyle = "white";
    context.stroke();
  }
}

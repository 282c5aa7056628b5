const LABEL_SPACE = 28;
const MASKED = "#eceef1";

/** White at weight 0 to dark blue at 1. */
function shade(weight: number): string {
  const w = Math.min(1, Math.max(0, weight));
  const [r, g, b] = [255 + (23 - 255) * w, 255 + (76 - 255) * w, 255 + (150 - 255) * w].map(Math.round) as [number, number, number];
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * Draws attention weights `weights` (T × T, row-major: row = query position, column = key
 * position) as a heatmap, each row and column labelled with its token. Cells a query may not see
 * (keys after it, under the causal mask) are grey; the others go from white (0) to blue (1), with
 * the weight written in the cell when there is room. The canvas keeps the labels in
 * `data-labels`.
 */
export function drawAttentionMap(canvas: HTMLCanvasElement, weights: ArrayLike<number>, labels: readonly string[]): void {
  const context = canvas.getContext("2d")!;
  const { width, height } = canvas;
  const t = labels.length;
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  canvas.dataset.labels = labels.join(" ");
  if (t === 0) return;
  const cell = Math.floor(Math.min(width - LABEL_SPACE, height - LABEL_SPACE) / t);
  const left = LABEL_SPACE;
  const top = LABEL_SPACE;

  context.textAlign = "center";
  context.textBaseline = "middle";
  for (let query = 0; query < t; query++) {
    for (let key = 0; key < t; key++) {
      const weight = weights[query * t + key]!;
      const x = left + key * cell;
      const y = top + query * cell;
      context.fillStyle = key > query ? MASKED : shade(weight);
      context.fillRect(x, y, cell - 1, cell - 1);
      if (key <= query && cell >= 26) {
        context.font = `${Math.min(11, Math.floor(cell / 3))}px sans-serif`;
        context.fillStyle = weight > 0.5 ? "#ffffff" : "#333333";
        context.fillText(weight.toFixed(2).replace(/^0/, ""), x + cell / 2, y + cell / 2);
      }
    }
  }
  context.font = "13px monospace";
  context.fillStyle = "#222222";
  labels.forEach((label, i) => {
    context.fillText(label, left + i * cell + cell / 2, top / 2); // the keys, along the top
    context.fillText(label, left / 2, top + i * cell + cell / 2); // the queries, down the side
  });
}

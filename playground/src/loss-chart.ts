/** Draws the loss per step as a line, scaled from 0 to the largest loss, first to last step. */
export function drawLossChart(canvas: HTMLCanvasElement, losses: readonly number[]): void {
  const context = canvas.getContext("2d")!;
  const { width, height } = canvas;
  const margin = { left: 44, right: 10, top: 10, bottom: 22 };
  context.clearRect(0, 0, width, height);
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, width, height);
  context.strokeStyle = "#999999";
  context.lineWidth = 1;
  context.beginPath();
  context.moveTo(margin.left, margin.top);
  context.lineTo(margin.left, height - margin.bottom);
  context.lineTo(width - margin.right, height - margin.bottom);
  context.stroke();
  context.fillStyle = "#555555";
  context.font = "11px sans-serif";
  context.fillText("loss", 6, margin.top + 10);
  if (losses.length === 0) return;

  const top = Math.max(...losses);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  context.fillText(top.toFixed(2), 6, margin.top + 24);
  context.fillText("0", 30, height - margin.bottom);
  context.fillText("step 1", margin.left, height - 6);
  const last = `step ${losses.length}`;
  context.fillText(last, width - margin.right - context.measureText(last).width, height - 6);
  context.strokeStyle = "#c0392b";
  context.lineWidth = 2;
  context.beginPath();
  losses.forEach((loss, i) => {
    const x = margin.left + (losses.length === 1 ? 0 : (i / (losses.length - 1)) * plotWidth);
    const y = margin.top + plotHeight * (1 - loss / top);
    if (i === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
}

import pc from "picocolors";

const MAX_LABEL_CHARS = 14;

function shortLabel(name: string): string {
  return name.length <= MAX_LABEL_CHARS ? name : `${name.slice(0, MAX_LABEL_CHARS - 1)}…`;
}

/**
 * A confusion matrix as terminal text: true classes down the side, predictions across, correct
 * counts in green, mistakes in red, zeros dimmed (colours only where the terminal supports them).
 *
 * ```
 *              predicted →
 *   true ↓       setosa  versicolor  virginica
 *   setosa           10           0          0
 * ```
 */
export function renderConfusionMatrix(classNames: string[], matrix: number[][]): string {
  const labels = classNames.map(shortLabel);
  const rowLabelWidth = Math.max(6, ...labels.map((label) => label.length));
  const cellWidth = Math.max(...labels.map((label) => label.length), ...matrix.flat().map((count) => String(count).length), 3);
  const gap = "  ";
  const lines = [
    `${" ".repeat(rowLabelWidth + 2 + gap.length)}${pc.dim("predicted →")}`,
    `  ${pc.dim("true ↓".padEnd(rowLabelWidth))}${gap}${labels.map((label) => pc.bold(label.padStart(cellWidth))).join(gap)}`,
  ];
  matrix.forEach((row, actual) => {
    const cells = row.map((count, predicted) => {
      const text = String(count).padStart(cellWidth);
      if (actual === predicted) return pc.green(text);
      return count === 0 ? pc.dim(text) : pc.red(text);
    });
    lines.push(`  ${pc.bold(labels[actual]!.padEnd(rowLabelWidth))}${gap}${cells.join(gap)}`);
  });
  return lines.join("\n");
}

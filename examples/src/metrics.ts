/** One row of metrics.json: how the model did after an epoch (losses are mean cross-entropies). */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
}

/**
 * `matrix[actual][predicted]` counts the rows of class `actual` predicted as `predicted`
 * (scikit-learn's convention: rows are the truth, columns the predictions).
 */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < actual.length; i++) matrix[actual[i]!]![predicted[i]!]!++;
  return matrix;
}

/** The share of rows on the diagonal. */
export function accuracyOf(matrix: number[][]): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    correct += row[i]!;
    for (const count of row) total += count;
  });
  return total === 0 ? 0 : correct / total;
}

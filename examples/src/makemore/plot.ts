import { lineChart, trainTestSeries } from "../plots/line-chart";
import type { Evaluation } from "./optimize";

/** loss.svg: the train and test loss of each evaluation, over the step it was made at. */
export function lossChart(evaluations: Evaluation[]): string {
  return lineChart({
    title: "Loss",
    xLabel: "Step",
    yLabel: "Mean cross-entropy per character",
    includeZero: true,
    formatX: (x) => String(evaluations[x - 1]?.step ?? ""),
    series: trainTestSeries(
      evaluations.map((e) => e.trainLoss),
      evaluations.map((e) => e.testLoss),
    ),
  });
}

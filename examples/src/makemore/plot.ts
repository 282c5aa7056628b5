import { lineChart } from "../plots/line-chart";
import type { Evaluation } from "./train";

/** loss.svg: the train and test loss of each evaluation, over the step it was made at. */
export function lossChart(evaluations: Evaluation[]): string {
  return lineChart({
    title: "Loss",
    xLabel: "Step",
    yLabel: "Mean cross-entropy per character",
    includeZero: true,
    formatX: (x) => String(evaluations[x - 1]?.step ?? ""),
    series: [
      { name: "train", color: "#1f77b4", values: evaluations.map((e) => e.trainLoss) },
      { name: "test", color: "#d62728", values: evaluations.map((e) => e.testLoss), dashed: true },
    ],
  });
}

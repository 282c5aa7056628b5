import { NablaError, type Tensor } from "@nabla/tensor";
import { trainTestSplit } from "@nabla/nn";
import { readCsvFile } from "@nabla/nn/node";
import { Standardizer } from "./standardizer";

/** A labelled CSV file, read and checked. */
export interface LabelledData {
  /** float32 `[rows, features]`. */
  features: Tensor;
  /** int32 `[rows]`, indices into `classNames`. */
  labels: Tensor;
  featureNames: string[];
  classNames: string[];
  labelColumn: string;
}

/**
 * Reads a CSV file for classification. Every problem is a NablaError naming the file and, where
 * there is one, the line and column (the parser reports ragged rows, non-numeric cells and an unknown
 * label column; this adds the checks a classifier needs).
 */
export function readLabelledCsv(filePath: string, label: string | undefined): LabelledData {
  const data = readCsvFile(filePath, label === undefined ? {} : { label });
  const rows = data.features.shape[0]!;
  const { labelColumn } = data;
  if (data.labels === null || labelColumn === null) throw new NablaError("readLabelledCsv", `${filePath}: no label column`);
  if (data.classNames.length < 2) {
    throw new NablaError(
      "readLabelledCsv",
      `${filePath}: column ${JSON.stringify(labelColumn)} holds a single class, ${JSON.stringify(data.classNames[0])}, in all ${rows} rows; a classifier needs at least two classes`,
    );
  }
  const classSizes = new Map<number, number>();
  for (const label of data.labels.data()) classSizes.set(label, (classSizes.get(label) ?? 0) + 1);
  if (Math.max(...classSizes.values()) < 2) {
    // The stratified split keeps a class's only row for training, so no row would be left to test on.
    throw new NablaError("readLabelledCsv", `${filePath}: every class has a single row; a test set needs a class with at least two rows`);
  }
  return { features: data.features, labels: data.labels, featureNames: data.featureNames, classNames: data.classNames, labelColumn };
}

/** The training and test parts of a data set, standardised with the training part's statistics. */
export interface PreparedSplit {
  trainFeatures: Tensor;
  trainLabels: Tensor;
  testFeatures: Tensor;
  testLabels: Tensor;
  standardizer: Standardizer;
}

/** The rows (int32 indices) of the 80/20 split, stratified by `labels` (`[rows]`), that `seed` gives. */
export function splitRows(labels: Tensor, seed: number): { train: Tensor; test: Tensor } {
  return trainTestSplit(labels.shape[0]!, { testFraction: 0.2, seed, stratify: labels });
}

/**
 * Splits the rows 80/20, keeping each class's share on both sides (stratified), and standardises the
 * features with the mean and standard deviation of the training rows only, so nothing about the
 * test rows leaks into training.
 */
export function splitAndStandardize(data: LabelledData, seed: number): PreparedSplit {
  const { train, test } = splitRows(data.labels, seed);
  const rawTrain = data.features.indexSelect(0, train);
  const standardizer = Standardizer.fit(rawTrain);
  return {
    trainFeatures: standardizer.transform(rawTrain),
    trainLabels: data.labels.indexSelect(0, train),
    testFeatures: standardizer.transform(data.features.indexSelect(0, test)),
    testLabels: data.labels.indexSelect(0, test),
    standardizer,
  };
}

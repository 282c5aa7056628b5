import { Option } from "commander";
import { defaultDataPath, defaultRunDirectory, displayPath, resolveUserPath } from "../paths";
import { type ImageShape, MODEL_TYPES, type ModelType } from "../model";
import { OPTIMIZERS, type OptimizerName } from "../training";
import { imageShape, layerSizes, nonNegativeInteger, positiveInteger, positiveNumber } from "./arguments";
import { exampleProgram } from "./program";

/**
 * The learning rate each optimizer gets when `--lr` is not given. SGD (with momentum 0.9) needs a
 * larger step than the adaptive methods, whose steps are already normalised per parameter.
 */
export const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 0.01, adam: 1e-3, adamw: 1e-3 };

/** Everything a training run needs, with paths already absolute. */
export interface TrainOptions {
  dataPath: string;
  /** The label column; undefined means the CSV's last column. */
  label: string | undefined;
  model: ModelType;
  /** The MLP's hidden layer widths (unused by the CNN). */
  hidden: number[];
  /** Given exactly when `model` is "cnn". */
  imageShape: ImageShape | undefined;
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  seed: number;
  outDir: string;
}

export const TRAIN_DEFAULTS = {
  model: "mlp" as ModelType,
  hidden: [128, 64],
  epochs: 30,
  batchSize: 64,
  optimizer: "adam" as OptimizerName,
  seed: 0,
};

/**
 * Parses `train`'s command line. `--help`, `--version` and bad flags make commander print and exit
 * (code 0 for help and version, 1 for errors) before anything is read or written.
 */
export function parseTrainOptions(argv: string[], now = new Date()): TrainOptions {
  const program = exampleProgram(
    "pnpm train",
    "Train a classifier (a multi-layer perceptron, or a small convolutional network on images) on a CSV file and write the model, metrics and plots.",
  )
    .option("--data <csv>", "CSV file with a header row: numeric feature columns and a label column", displayPath(defaultDataPath))
    .option("--label <column>", "name of the label column (default: the last column)")
    .addOption(
      new Option(
        "--model <type>",
        "mlp (a multi-layer perceptron) or cnn (two blocks of 3×3 convolution, ReLU and 2×2 max-pool, with 16 and 32 channels, then a linear layer)",
      )
        .choices(MODEL_TYPES)
        .default(TRAIN_DEFAULTS.model),
    )
    .addOption(
      new Option("--hidden <sizes>", 'mlp: hidden layer sizes, comma-separated ("none" for a linear classifier)')
        .argParser(layerSizes)
        .default(TRAIN_DEFAULTS.hidden, TRAIN_DEFAULTS.hidden.join(",")),
    )
    .option(
      "--image-shape <C,H,W>",
      "cnn (required): channels, height and width of the image each row holds, its features in (C, H, W) order",
      imageShape,
    )
    .option("-e, --epochs <n>", "passes over the training data", positiveInteger, TRAIN_DEFAULTS.epochs)
    .option("-b, --batch-size <n>", "rows per optimisation step", positiveInteger, TRAIN_DEFAULTS.batchSize)
    .option(
      "-l, --lr <rate>",
      `learning rate (default: ${OPTIMIZERS.map((name) => `${DEFAULT_LR[name]} for ${name}`).join(", ")})`,
      positiveNumber,
    )
    .addOption(
      new Option("--optimizer <name>", "sgd (momentum 0.9), adam, or adamw (weight decay 0.01)")
        .choices(OPTIMIZERS)
        .default(TRAIN_DEFAULTS.optimizer),
    )
    .option("--seed <n>", "seed for the split, the initial weights and the shuffling", nonNegativeInteger, TRAIN_DEFAULTS.seed)
    .option("-o, --out <dir>", "folder for the run's files (default: runs/<UTC timestamp> in the repository)")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  pnpm train",
        "  pnpm train --data examples/data/iris.csv --label species --epochs 100",
        "  pnpm train --model cnn --image-shape 1,8,8",
        "  pnpm train --hidden 256 --optimizer sgd --lr 0.05 --out runs/sgd",
        "  pnpm train -e 50 -b 32 -l 3e-4 -o runs/small-steps",
      ].join("\n"),
    )
    .parse(argv, { from: "user" });

  const options = program.opts<{
    data: string;
    label?: string;
    model: ModelType;
    hidden: number[];
    imageShape?: ImageShape;
    epochs: number;
    batchSize: number;
    lr?: number;
    optimizer: OptimizerName;
    seed: number;
    out?: string;
  }>();
  if (options.model === "cnn" && options.imageShape === undefined) {
    program.error(
      "error: --model cnn needs --image-shape C,H,W, the channels, height and width of each image (1,8,8 for the bundled digits)",
    );
  }
  if (options.model === "mlp" && options.imageShape !== undefined) {
    program.error("error: --image-shape is for --model cnn; the mlp reads each row's features as one flat vector");
  }
  if (options.model === "cnn" && program.getOptionValueSource("hidden") !== "default") {
    program.error("error: --hidden sets the mlp's hidden layers; --model cnn has its own (see --help)");
  }
  return {
    dataPath: resolveUserPath(options.data),
    label: options.label,
    model: options.model,
    hidden: options.hidden,
    imageShape: options.imageShape,
    epochs: options.epochs,
    batchSize: options.batchSize,
    lr: options.lr ?? DEFAULT_LR[options.optimizer],
    optimizer: options.optimizer,
    seed: options.seed,
    outDir: options.out === undefined ? defaultRunDirectory(now) : resolveUserPath(options.out),
  };
}

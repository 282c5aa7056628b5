import { NablaError, type Tensor } from "@nabla/tensor";
import { Conv2d, Flatten, Linear, MaxPool2d, type Module, ReLU, Sequential } from "@nabla/nn";

export const MODEL_TYPES = ["mlp", "cnn"] as const;
export type ModelType = (typeof MODEL_TYPES)[number];

/** `[channels, height, width]` of one image. */
export type ImageShape = [number, number, number];

/** A multi-layer perceptron, as saved in a checkpoint's config.json. */
export interface MlpArchitecture {
  type: "mlp";
  inFeatures: number;
  /** Widths of the hidden layers, in order; empty for a linear classifier. */
  hidden: number[];
  activation: "relu";
  /** One logit per class. */
  outFeatures: number;
}

/** A small convolutional network, as saved in a checkpoint's config.json. */
export interface CnnArchitecture {
  type: "cnn";
  /** Each row's features, in order, are one image laid out as PyTorch's `(C, H, W)`. */
  imageShape: ImageShape;
  /** Output channels of each block's convolution; a block is Conv2d → ReLU → MaxPool2d. */
  channels: number[];
  /** Each convolution's square kernel (stride 1), zero-padded by `padding` on every side. */
  kernelSize: number;
  padding: number;
  /** Each block's max-pool window, also its stride; odd sizes are floored, as in PyTorch. */
  poolSize: number;
  activation: "relu";
  /** One logit per class, from a Linear layer over the flattened last feature map. */
  outFeatures: number;
}

/** The shape of the classifier, as saved in a checkpoint's config.json. */
export type Architecture = MlpArchitecture | CnnArchitecture;

/**
 * The `--model cnn` network for images of `imageShape` and `classes` classes: two blocks of 3×3
 * convolutions (16 then 32 channels) that keep the size, each halved by a 2×2 max-pool.
 */
export function cnnArchitecture(imageShape: ImageShape, classes: number): CnnArchitecture {
  return { type: "cnn", imageShape, channels: [16, 32], kernelSize: 3, padding: 1, poolSize: 2, activation: "relu", outFeatures: classes };
}

/**
 * `[channels, height, width]` of the feature map the Linear head reads. A height or width below 1
 * means the image is too small for the blocks.
 */
export function cnnFeatureMapShape(architecture: CnnArchitecture): ImageShape {
  const { kernelSize, padding, poolSize } = architecture;
  let [channels, height, width] = architecture.imageShape;
  for (const out of architecture.channels) {
    channels = out;
    // A stride-1 convolution leaves size + 2·padding − kernel + 1; the pool floors size / window.
    height = Math.max(0, Math.floor((height + 2 * padding - kernelSize + 1) / poolSize));
    width = Math.max(0, Math.floor((width + 2 * padding - kernelSize + 1) / poolSize));
  }
  return [channels, height, width];
}

/** The feature columns the model reads: C·H·W for a CNN. */
export function inFeaturesOf(architecture: Architecture): number {
  return architecture.type === "mlp" ? architecture.inFeatures : architecture.imageShape.reduce((a, b) => a * b);
}

/** Rows of standardised features (`[rows, inFeatures]`) as the model takes them: images `[rows, C, H, W]` for a CNN. */
export function modelInput(architecture: Architecture, rows: Tensor): Tensor {
  return architecture.type === "mlp" ? rows : rows.reshape([rows.shape[0]!, ...architecture.imageShape]);
}

/** The model `architecture` describes, freshly initialised. */
export function buildModel(architecture: Architecture): Sequential {
  return architecture.type === "mlp" ? buildMlp(architecture) : buildCnn(architecture);
}

/** One line for the terminal: `an MLP 64→128→64→10`, `a CNN 1×8×8 → conv 16 → conv 32 → 32×2×2 → 10`. */
export function describeArchitecture(architecture: Architecture): string {
  if (architecture.type === "mlp") {
    return `an MLP ${[architecture.inFeatures, ...architecture.hidden, architecture.outFeatures].join("→")}`;
  }
  const blocks = architecture.channels.map((channels) => ` → conv ${channels}`).join("");
  return `a CNN ${architecture.imageShape.join("×")}${blocks} → ${cnnFeatureMapShape(architecture).join("×")} → ${architecture.outFeatures}`;
}

/**
 * Linear → ReLU → … → Linear, producing class logits. As a `Sequential`, its parameters are named
 * `0.weight`, `0.bias`, `2.weight`, … exactly as the same `torch.nn.Sequential` would name them, so a
 * checkpoint loads into PyTorch unchanged.
 *
 * @example
 * buildMlp({ type: "mlp", inFeatures: 64, hidden: [128, 64], activation: "relu", outFeatures: 10 });
 */
export function buildMlp(architecture: MlpArchitecture): Sequential {
  const widths = [architecture.inFeatures, ...architecture.hidden, architecture.outFeatures];
  const layers: Module[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    if (i > 0) layers.push(new ReLU());
    layers.push(new Linear(widths[i]!, widths[i + 1]!));
  }
  return new Sequential(...layers);
}

/**
 * (Conv2d → ReLU → MaxPool2d) per block, then Flatten → Linear, producing class logits from images
 * `[N, C, H, W]`. The parameters are named as the same `torch.nn.Sequential` names them (`0.weight`,
 * `3.weight`, …, the Linear's `7.weight` with two blocks), so a checkpoint loads into PyTorch unchanged.
 *
 * @example
 * buildCnn(cnnArchitecture([1, 8, 8], 10)); // Conv2d(1, 16, 3) … Linear(128, 10)
 */
export function buildCnn(architecture: CnnArchitecture): Sequential {
  const { kernelSize, padding, poolSize } = architecture;
  const featureMap = cnnFeatureMapShape(architecture);
  if (featureMap[1] < 1 || featureMap[2] < 1) {
    throw new NablaError(
      "buildCnn",
      `images of shape ${architecture.imageShape.join("×")} are too small: ${architecture.channels.length} blocks of a ${kernelSize}×${kernelSize} convolution (padding ${padding}) and a ${poolSize}×${poolSize} max-pool leave a ${featureMap.join("×")} feature map`,
    );
  }
  const layers: Module[] = [];
  let inChannels = architecture.imageShape[0];
  for (const outChannels of architecture.channels) {
    layers.push(new Conv2d(inChannels, outChannels, kernelSize, { padding }), new ReLU(), new MaxPool2d(poolSize));
    inChannels = outChannels;
  }
  layers.push(
    new Flatten(),
    new Linear(
      featureMap.reduce((a, b) => a * b),
      architecture.outFeatures,
    ),
  );
  return new Sequential(...layers);
}

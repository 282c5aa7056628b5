import * as nn from "@nabla/nn";

/** The convolution and pooling layers of @nabla/nn by name, for tests that build them from tables. */
export const CONV_LAYERS = {
  Conv1d: nn.Conv1d,
  Conv2d: nn.Conv2d,
  ConvTranspose1d: nn.ConvTranspose1d,
  ConvTranspose2d: nn.ConvTranspose2d,
  MaxPool1d: nn.MaxPool1d,
  MaxPool2d: nn.MaxPool2d,
  AvgPool1d: nn.AvgPool1d,
  AvgPool2d: nn.AvgPool2d,
  AdaptiveAvgPool1d: nn.AdaptiveAvgPool1d,
  AdaptiveAvgPool2d: nn.AdaptiveAvgPool2d,
};

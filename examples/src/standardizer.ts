import { NablaError, type Tensor, tensor, where } from "@nabla/tensor";

/** The statistics a checkpoint keeps, one value per feature column. */
export interface StandardizationStats {
  mean: number[];
  std: number[];
}

/**
 * Feature standardisation, z = (x − mean) / std per column, as scikit-learn's StandardScaler: the
 * population standard deviation (divided by n, not n − 1), and a constant column scaled by 1 (it
 * stays 0 after centring) instead of dividing by zero.
 */
export class Standardizer {
  /** float32 `[features]`. */
  readonly mean: Tensor;
  /** float32 `[features]`, never 0. */
  readonly std: Tensor;

  private constructor(mean: Tensor, std: Tensor) {
    this.mean = mean;
    this.std = std;
  }

  /** Measures each column of `features` (`[rows, columns]`). */
  static fit(features: Tensor): Standardizer {
    // float64, so a constant column's deviation comes out as exactly 0 (or a rounding speck
    // far below any real spread), which the threshold below turns into a scale of 1.
    const x = features.to("float64");
    const mean = x.mean(0);
    const std = x.var(0, false, 0).sqrt();
    const constant = std.le(mean.abs().maximum(1).mul(1e-12));
    return new Standardizer(mean.to("float32"), where(constant, 1, std).to("float32"));
  }

  /** Restores the statistics saved in a checkpoint's config. */
  static fromStats(stats: StandardizationStats, featureCount: number): Standardizer {
    const { mean, std } = stats;
    if (mean.length !== featureCount || std.length !== featureCount) {
      throw new NablaError("Standardizer", `expected ${featureCount} means and standard deviations, got ${mean.length} and ${std.length}`);
    }
    if (std.some((s) => !(s > 0))) throw new NablaError("Standardizer", "every standard deviation must be positive");
    return new Standardizer(tensor(Float32Array.from(mean)), tensor(Float32Array.from(std)));
  }

  transform(features: Tensor): Tensor {
    return features.sub(this.mean).div(this.std);
  }

  /** Plain numbers for JSON: each float32 value printed exactly, so `fromStats` restores the same bits. */
  toStats(): StandardizationStats {
    return { mean: Array.from(this.mean.data()), std: Array.from(this.std.data()) };
  }
}

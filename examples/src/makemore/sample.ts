import { softmax } from "@nabla/ops";
import { type Tensor, cat, multinomial, noGrad, zeros } from "@nabla/tensor";
import { type CharDataset, STOP } from "./data";
import type { LanguageModel } from "./models";

/**
 * makemore's `generate`, sampling at temperature 1: extends each row of `idx` (int32 `[B, T]`) by
 * `maxNewTokens` tokens drawn from the softmax (from the `topK` most likely only, when given),
 * feeding each back in, with the context cropped to the model's block size.
 */
export function generate(model: LanguageModel, idx: Tensor, maxNewTokens: number, topK?: number): Tensor {
  return noGrad(() => {
    let sequence = idx;
    for (let step = 0; step < maxNewTokens; step++) {
      const length = sequence.shape[1]!;
      const context = length <= model.blockSize ? sequence : sequence.narrow(1, length - model.blockSize, model.blockSize);
      let logits = model.forward(context).select(1, -1); // the last position: [B, V]
      if (topK !== undefined) {
        const k = Math.min(topK, logits.shape[1]!);
        const kth = logits.topk(k).values.narrow(1, k - 1, 1); // [B, 1]
        logits = logits.maskedFill(logits.lt(kth), -Infinity);
      }
      sequence = cat([sequence, multinomial(softmax(logits, -1), 1)], 1);
    }
    return sequence;
  });
}

export interface Samples {
  inTrain: string[];
  inTest: string[];
  new: string[];
}

/** `num` words drawn from the model, each from the start token and cut at its first end token, sorted by where they occur. */
export function sampleWords(
  model: LanguageModel,
  datasets: { train: CharDataset; test: CharDataset },
  num: number,
  topK?: number,
): Samples {
  const { train, test } = datasets;
  const start = zeros([num, 1], { dtype: "int32" });
  // the start token is there already: outputLength − 1 more
  const rows = generate(model, start, train.outputLength - 1, topK).toArray() as number[][];
  const samples: Samples = { inTrain: [], inTest: [], new: [] };
  for (const row of rows) {
    const tokens = row.slice(1);
    const end = tokens.indexOf(STOP);
    const word = train.decode(end === -1 ? tokens : tokens.slice(0, end));
    if (train.contains(word)) samples.inTrain.push(word);
    else if (test.contains(word)) samples.inTest.push(word);
    else samples.new.push(word);
  }
  return samples;
}

/** makemore's `print_samples` output. */
export function formatSamples(samples: Samples): string {
  const rule = "-".repeat(80);
  const lines = [rule];
  for (const [words, description] of [
    [samples.inTrain, "in train"],
    [samples.inTest, "in test"],
    [samples.new, "new"],
  ] as const) {
    lines.push(`${words.length} samples that are ${description}:`, ...words);
  }
  lines.push(rule);
  return lines.join("\n");
}

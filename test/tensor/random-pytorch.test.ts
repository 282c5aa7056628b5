import { describe, expect, it } from "vitest";
import { Generator, manualSeed } from "@nabla/tensor";
import { NORMAL_ULPS, expectBits, expectClose, randomFixture as fixture, replayTensorStep } from "../support/random-pytorch";

// nabla's generator is PyTorch's CPU generator (mt19937) seed for seed: every draw below was made by
// torch 1.13 (test/fixtures/gen_random.py) and is compared bit for bit, except normal samples,
// which go through log, sin and cos (compared within NORMAL_ULPS).

describe("Generator against torch.Generator", () => {
  it.each(fixture.generators.map((g) => [g.seed, g] as const))(
    "seed %s: 640 raw draws across the first refill, and the float and normal transforms",
    (seed, g) => {
      const ints = new Generator(seed);
      expect(Array.from({ length: g.uint32.length }, () => ints.nextUint32())).toEqual(g.uint32);
      const floats = new Generator(seed);
      expectBits(
        Array.from({ length: 5 }, () => floats.nextFloat32()),
        g.float32,
        "float32",
        "nextFloat32",
      );
      expectBits(
        Array.from({ length: 5 }, () => floats.nextFloat64()),
        g.float64,
        "float64",
        "nextFloat64",
      );
      expectClose(
        Array.from({ length: 5 }, () => floats.nextNormal()),
        g.normal,
        "float64",
        NORMAL_ULPS.float64,
        "nextNormal",
      );
    },
  );

  it("reseeding drops the cached normal, as torch's manual_seed", () => {
    const g = new Generator(3);
    const first = g.nextNormal();
    g.nextNormal();
    g.nextNormal(); // leaves one cached
    g.manualSeed(3);
    expect(g.nextNormal()).toBe(first);
  });
});

describe("manualSeed, then rand, randn, randint and randperm, in one stream as PyTorch", () => {
  it.each(fixture.programs.map((p) => [p.seed, p] as const))("torch.manual_seed(%s)", (seed, program) => {
    manualSeed(seed);
    for (const step of program.steps) expect(replayTensorStep(step), step.op).toBe(true);
  });
});

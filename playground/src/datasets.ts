import { Generator, type Tensor, tensor } from "@nabla/tensor";

export const DATASET_NAMES = ["spirals", "moons", "circles"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** A 2-D, two-class data set: `x` float32 [n, 2] in about [−1, 1]², `y` int32 [n] of 0/1. */
export interface Dataset {
  x: Tensor;
  y: Tensor;
}

/** One point of class `label` (0 or 1), `t` in [0, 1) running along the class's shape. */
type PointMaker = (label: number, t: number, random: Generator) => [number, number];

// Two interleaved arms, each turning 1.5 times while its radius grows from 0.1 to 1.
const spiral: PointMaker = (label, t, random) => {
  const radius = 0.1 + 0.9 * t;
  const angle = label * Math.PI + 3 * Math.PI * t + 0.15 * random.nextNormal();
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
};

// scikit-learn's make_moons, scaled into [−1, 1]²: an upper arc and a lower arc shifted right.
const moon: PointMaker = (label, t, random) => {
  const angle = Math.PI * t;
  const [x, y] = label === 0 ? [Math.cos(angle), Math.sin(angle)] : [1 - Math.cos(angle), 0.5 - Math.sin(angle)];
  return [(x - 0.5) * 0.8 + 0.08 * random.nextNormal(), (y - 0.25) * 0.8 + 0.08 * random.nextNormal()];
};

// An inner disc of class 1 inside a ring of class 0.
const circle: PointMaker = (label, _t, random) => {
  const angle = 2 * Math.PI * random.nextFloat64();
  const radius = label === 0 ? 0.7 + 0.2 * random.nextFloat64() : 0.4 * Math.sqrt(random.nextFloat64());
  return [radius * Math.cos(angle), radius * Math.sin(angle)];
};

const MAKERS: Record<DatasetName, PointMaker> = { spirals: spiral, moons: moon, circles: circle };

/** `count` points (half per class), generated from `seed` by nabla's Generator: the same every time. */
export function makeDataset(name: DatasetName, count = 200, seed = 0): Dataset {
  const random = new Generator(seed);
  const perClass = Math.floor(count / 2);
  const points = new Float32Array(perClass * 2 * 2);
  const labels = new Int32Array(perClass * 2);
  for (let label = 0; label < 2; label++) {
    for (let i = 0; i < perClass; i++) {
      const row = label * perClass + i;
      const [px, py] = MAKERS[name](label, i / perClass, random);
      points[2 * row] = px;
      points[2 * row + 1] = py;
      labels[row] = label;
    }
  }
  return { x: tensor(points, { shape: [perClass * 2, 2] }), y: tensor(labels) };
}

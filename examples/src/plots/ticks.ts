/**
 * Round tick values covering [min, max]: steps of 1, 2, 2.5 or 5 times a power of ten, chosen so that
 * about `target` ticks fit (the classic "nice numbers" rule of d3 and matplotlib's MaxNLocator).
 * The returned domain is widened to whole steps, so the first and last ticks sit on the axis ends.
 */
export function niceTicks(min: number, max: number, target = 6): { ticks: number[]; domain: [number, number]; step: number } {
  if (!(max > min)) {
    // A flat series (or a single point): give it a window of ±10% (±1 around 0) about its value.
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, target);
  }
  const rough = (max - min) / Math.max(1, target - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough)!;
  // Ticks are whole multiples of the step, printed to the step's decimals (no 0.30000000000000004).
  const decimals = Math.min(100, decimalsFor(step));
  const ticks: number[] = [];
  for (let k = Math.floor(min / step); k <= Math.ceil(max / step); k++) ticks.push(Number((k * step).toFixed(decimals)));
  return { ticks, domain: [ticks[0]!, ticks[ticks.length - 1]!], step };
}

/**
 * Ticks for a log axis covering [min, max] (0 < min < max): 1, 2 and 5 times each power of ten when
 * the values span at most two decades, else powers of ten alone (every second, third, … when more
 * than `target` would be needed). The domain is widened to the ticks just outside the values.
 */
export function logTicks(min: number, max: number, target = 8): { ticks: number[]; domain: [number, number] } {
  const lowest = Math.floor(Math.log10(min));
  const decades = Math.ceil(Math.log10(max)) - lowest;
  const mantissas = Math.log10(max / min) <= 2 ? [1, 2, 5] : [1];
  const every = Math.max(1, Math.ceil(decades / (target - 1)));
  const candidates: number[] = [];
  for (let exponent = lowest; exponent <= lowest + decades + every; exponent += every) {
    // Built from text, so 2e-3 is exactly the double nearest 0.002 and prints as "0.002".
    for (const mantissa of mantissas) candidates.push(Number(`${mantissa}e${exponent}`));
  }
  // The candidates start at or below min and end at or above max, so both ends exist.
  const first = candidates.filter((tick) => tick <= min).at(-1)!;
  const last = candidates.find((tick) => tick >= max)!;
  const ticks = candidates.filter((tick) => tick >= first && tick <= last);
  return { ticks, domain: [first, last] };
}

/** Whole-number ticks 1…n (epochs), thinned to about `target` of them. */
export function integerTicks(first: number, last: number, target = 10): number[] {
  const span = Math.max(1, last - first);
  const step = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000].find((s) => span / s <= target) ?? Math.ceil(span / target);
  const ticks = [first];
  for (let t = Math.ceil((first + 1) / step) * step; t <= last; t += step) ticks.push(t);
  if (ticks.length > 1 && ticks[1]! - first < step / 2) ticks.splice(1, 1); // keep the first tick from crowding the next
  return ticks;
}

/** Drops binary rounding noise such as 0.30000000000000004. */
function cleanFloat(value: number): number {
  return Number.parseFloat(value.toPrecision(12));
}

/** Enough decimals to tell ticks `step` apart, and no more (0.25 → 2, 5 → 0, 2.5e-7 → 8). */
export function decimalsFor(step: number): number {
  const [mantissa = "", exponent] = String(cleanFloat(step)).split("e");
  const dot = mantissa.indexOf(".");
  const mantissaDecimals = dot < 0 ? 0 : mantissa.length - dot - 1;
  return Math.max(0, mantissaDecimals - Number(exponent ?? 0));
}

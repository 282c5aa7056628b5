// Python's spelling of values, for module reprs that match PyTorch's character for character.

/** `True` / `False`. */
export function pythonBool(value: boolean): string {
  return value ? "True" : "False";
}

/** A number as Python's `repr(float)`: `0.5`, `1.0`, `1e-05`, `1.5e+16`, `nan`, `inf`. */
export function pythonFloat(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  // Python switches to scientific notation below 1e-4 and from 1e16 on
  if (value !== 0 && (exponent < -4 || exponent >= 16)) {
    return `${mantissa}e${exponent < 0 ? "-" : "+"}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  const text = Object.is(value, -0) ? "-0" : String(value);
  return text.includes(".") ? text : `${text}.0`;
}

/** A size as Python prints it: an int as itself, a tuple as `(3,)` or `(3, 2)`, null as `None`. */
export function pythonSize(value: number | null | readonly (number | null)[]): string {
  if (!Array.isArray(value)) return value === null ? "None" : String(value);
  const items = value.map((v) => (v === null ? "None" : String(v)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`;
}

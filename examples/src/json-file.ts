/**
 * JSON for files people read: indented objects, but arrays of plain values (class names, a row of
 * counts, a column's means) kept on one line.
 */
export function formatJson(value: unknown): string {
  const indented = JSON.stringify(value, null, 2);
  // An array holding no object or array; its items are separated by ",\n<indent>", which cannot occur
  // inside a JSON string (line breaks there are escaped).
  const collapsed = indented.replace(/\[\n\s*([^[\]{}]*?)\n\s*\]/g, (_match, items: string) => `[${items.replace(/,\n\s*/g, ", ")}]`);
  return `${collapsed}\n`;
}

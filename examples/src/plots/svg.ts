// A few helpers for writing SVG by hand: the plots are small, so strings are all they need.

/** Escapes text for use in XML content and in double-quoted attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`);
}

export type Attributes = Record<string, string | number | undefined>;

/**
 * One element: `element("text", { x: 10, y: 20 }, "label")` → `<text x="10" y="20">label</text>`.
 * `content` is raw markup (nested elements); pass text through `escapeXml` first or use `textElement`.
 * Attributes whose value is undefined are left out; numbers are rounded to 2 decimals.
 */
export function element(name: string, attributes: Attributes, content?: string): string {
  const attrs = Object.entries(attributes)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}="${typeof value === "number" ? round(value) : escapeXml(value)}"`)
    .join("");
  return content === undefined ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** A `<text>` element holding `text`, escaped. */
export function textElement(attributes: Attributes, text: string): string {
  return element("text", attributes, escapeXml(text));
}

/** Rounds a coordinate so the files stay short and identical from run to run. */
export function round(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Points for a `<polyline>`: "x1,y1 x2,y2 …". */
export function points(coordinates: [number, number][]): string {
  return coordinates.map(([x, y]) => `${round(x)},${round(y)}`).join(" ");
}

/**
 * A standalone SVG file: XML declaration, namespace, explicit size and viewBox (so browsers scale it),
 * an accessible `<title>`, and a white background (dark browser themes would otherwise show black
 * text on a dark page).
 */
export function svgDocument(width: number, height: number, title: string, body: string[]): string {
  const style = [
    "text { font-family: system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; fill: #222; }",
    ".title { font-size: 16px; font-weight: 600; }",
    ".axis-title { font-size: 13px; }",
    ".tick { font-size: 11px; fill: #555; }",
    ".legend { font-size: 12px; }",
  ].join("\n");
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">`,
    element("title", {}, escapeXml(title)),
    `<style>\n${style}\n</style>`,
    element("rect", { x: 0, y: 0, width, height, fill: "#ffffff" }),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** A rough width of a label in pixels, for layout (no font metrics at hand). */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

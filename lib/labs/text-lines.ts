/** Line numbers in text an instructor wrote, so every problem can say where to look. */

/** The 1-based line of a character offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < Math.min(offset, text.length); i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * The line of the first `"key":` at or after `fromOffset` (1 when absent). lab.json is small and
 * flat, so a textual search names the right line without a position-keeping JSON parser.
 */
export function keyLine(text: string, key: string, fromOffset = 0): number {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`"${escaped}"\\s*:`).exec(text.slice(fromOffset));
  return match ? lineAt(text, fromOffset + match.index) : 1;
}

/** The offset of the first `"key":` (0 when absent), to search a nested object's keys after it. */
export function keyOffset(text: string, key: string): number {
  const match = new RegExp(`"${key}"\\s*:`).exec(text);
  return match ? match.index : 0;
}

/** V8 says "… at position N" (Node 20) or "(line L column C)" (later versions); either gives the line. */
export function syntaxErrorLine(text: string, message: string): number {
  const lineColumn = /line (\d+) column \d+/.exec(message);
  if (lineColumn) return Number(lineColumn[1]);
  const position = /at position (\d+)/.exec(message);
  if (position) return lineAt(text, Number(position[1]));
  return lineAt(text, text.length); // "Unexpected end of JSON input": the end is where it broke
}

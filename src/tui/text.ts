import stringWidth from 'string-width';

// Escape sequences (CSI, OSC, single-character ESC) and other control characters in a container's output
// would move the cursor or change colours inside the UI's layout; the UI shows text only.
const CONTROL = new RegExp(
  [
    '\\u001b\\[[0-?]*[ -/]*[@-~]', // CSI: colours, cursor moves
    '\\u001b\\][^\\u0007\\u001b]*(?:\\u0007|\\u001b\\\\)', // OSC: titles, links
    '\\u001b[@-Z\\\\-_]', // other ESC sequences
    '[\\u0000-\\u0008\\u000b-\\u001f\\u007f]', // control characters (tab is handled apart)
  ].join('|'),
  'g',
);

/** Printable text of a log line: escapes removed, tabs as spaces, at most `max` characters kept. */
export function printable(text: string, max = 1000): string {
  const t = text.length > max * 2 ? text.slice(0, max * 2) : text;
  return t.replace(CONTROL, '').replace(/\t/g, '  ');
}

/** Exactly `width` columns: truncated with an ellipsis, or padded with spaces. */
export function cell(s: string, width: number): string {
  if (width <= 0) return '';
  const w = stringWidth(s);
  if (w <= width) return s + ' '.repeat(width - w);
  let out = '';
  let used = 0;
  for (const ch of s) {
    const cw = stringWidth(ch);
    if (used + cw > width - 1) break;
    out += ch;
    used += cw;
  }
  return `${out}…${' '.repeat(Math.max(0, width - 1 - used))}`;
}

// Paths as users read them: `services.web.ports[1]`.

/** A key as a message quotes it: a key of thousands of characters (fuzzed, or pasted by mistake) is cut. */
export const shownKey = (key: string, max = 60) => (key.length > max ? `${key.slice(0, max)}…` : key);

export function displayPath(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const raw of path) {
    const p = typeof raw === 'string' ? shownKey(raw) : raw;
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

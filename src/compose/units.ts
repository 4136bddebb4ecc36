// Compose value syntaxes that are not YAML types: Go durations, byte sizes, shell-like command strings.

/** Go duration (`1m30s`, `500ms`, `10s`, `1.5h`) or a bare number of seconds → milliseconds; undefined if bad. */
export function parseDuration(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '0') return 0;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/y;
  const unit: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  let i = 0;
  if (s === '') return undefined;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]!]!;
    i = re.lastIndex;
  }
  return Math.round(total);
}

/** Byte size (`512m`, `1.5G`, `1gb`, `100k`, a plain number of bytes) → bytes; undefined if bad. */
export function parseBytes(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v) : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/** Split a command string the way a POSIX shell tokenizes words (quotes and backslashes), as Compose does. */
export function shellSplit(s: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (q === "'") {
      if (c === "'") q = undefined;
      else cur += c;
      continue;
    }
    if (q === '"') {
      if (c === '"') q = undefined;
      else if (c === '\\' && '"\\$`'.includes(s[i + 1] ?? '')) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      q = c;
      has = true;
    } else if (c === '\\') {
      if (i + 1 < s.length) cur += s[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (q) return undefined;
  if (has) out.push(cur);
  return out;
}

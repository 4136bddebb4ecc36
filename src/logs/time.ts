import { badInput } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * `--since` / `--until` as Compose takes them: a Go duration relative to now ("10m", "1h30m"), an RFC 3339
 * date or date-time, or Unix seconds. Returns what the engine's logs API wants: Unix seconds, with a
 * fraction when there is one.
 */
export function engineTime(value: string, flag: string, now: number = Date.now()): string {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) {
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
    return secondsOf(now - ms);
  }
  if (/^\d{4}-\d\d-\d\d/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return secondsOf(t);
  }
  throw badInput(`${flag} ${JSON.stringify(value)} is not a time`, {
    hint: `give a duration ("10m", "1h30m"), a date-time ("2024-05-01T12:00:00Z") or Unix seconds`,
  });
}

const secondsOf = (ms: number) => (ms / 1000).toFixed(3);

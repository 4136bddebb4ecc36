import { badInput } from '../errors.js';
import { parseDuration } from '../compose/units.js';

/**
 * `--since` / `--until` as Compose takes them: a Go duration relative to now ("10m", "1h30m"), an RFC 3339
 * date or date-time, or Unix seconds. Returns what the engine's logs API wants: Unix seconds, with a
 * fraction when there is one.
 */
export function engineTime(value: string, flag: string, now: number = Date.now()): string {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  const ms = parseDuration(v);
  if (ms !== undefined) return secondsOf(now - ms);
  if (/^\d{4}-\d\d-\d\d/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return secondsOf(t);
  }
  throw badInput(`${flag} ${JSON.stringify(value)} is not a time`, {
    hint: `give a duration ("10m", "1h30m"), a date-time ("2024-05-01T12:00:00Z") or Unix seconds`,
  });
}

const secondsOf = (ms: number) => (ms / 1000).toFixed(3);

/** The engine's own words, without dockerode's HTTP preamble. */
export function engineMessage(err: unknown): string {
  const e = err as { json?: { message?: string }; message?: string };
  const m = e?.json?.message ?? e?.message ?? String(err);
  return m.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

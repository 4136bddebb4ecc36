// BERTH_TRACE=1: every engine call on stderr with its start (ms since the process began) and duration, so
// "where does the time go" (a slow `use` at load, a wait that could overlap) is answered by reading, not
// guessing. Only wraps when asked: the adapter is returned as it is otherwise.
import type { Engine } from './port.js';

export function traced(
  engine: Engine,
  write: (s: string) => unknown = (s) => process.stderr.write(s),
): Engine {
  const since = () => performance.now().toFixed(0).padStart(6);
  return new Proxy(engine, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const what = `${prop}(${args.map(brief).filter(Boolean).join(', ')})`;
        const out = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(out instanceof Promise)) return out;
        const done = (how: string) =>
          write(
            `berth-trace ${since()} ms  ${(performance.now() - t0).toFixed(0).padStart(5)} ms  ${what}${how}\n`,
          );
        return out.then(
          (v) => {
            done('');
            return v;
          },
          (err: unknown) => {
            done(` failed: ${String((err as Error)?.message ?? err).split('\n')[0]}`);
            throw err;
          },
        );
      };
    },
  });
}

/** An argument as a trace shows it: IDs shortened, specs by their name, callbacks and streams left out. */
function brief(a: unknown): string {
  if (typeof a === 'string') return /^[0-9a-f]{64}$/.test(a) ? a.slice(0, 12) : JSON.stringify(a);
  if (typeof a === 'number' || typeof a === 'boolean') return String(a);
  if (Array.isArray(a)) return JSON.stringify(a).slice(0, 80);
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    if (typeof o.name === 'string') return `{${o.kind ? `${String(o.kind)} ` : ''}${o.name}}`;
    if (typeof o.service === 'string') return `{service ${o.service}}`;
    return '';
  }
  return '';
}

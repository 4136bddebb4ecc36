// Interpolation over a whole parsed file, each error pointing at the value that holds it.
import type { BerthError } from '../errors.js';
import { InterpolationError, interpolate, type Lookup } from './interpolate.js';
import { errorAt, type Path, type SourceDoc } from './source.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Interpolate every string value of a file (keys stay as written, like Compose). */
export function interpolateTree(
  doc: SourceDoc,
  lookup: Lookup,
  warn: (w: string) => void,
  errors: BerthError[],
): unknown {
  const onUnset = (name: string) => warn(`variable ${name} is not set; using an empty string`);
  const walk = (v: unknown, p: Path): unknown => {
    if (typeof v === 'string') {
      try {
        return interpolate(v, lookup, onUnset);
      } catch (e) {
        if (e instanceof InterpolationError) {
          errors.push(errorAt(doc, p, e.message, { hint: e.hint }));
          return v;
        }
        throw e;
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, i]));
    if (isObj(v)) {
      const out: Obj = {};
      for (const [k, x] of Object.entries(v)) {
        // Inline client overlays are interpolated when their client is used, not as part of every load.
        out[k] = p.length === 1 && p[0] === 'x-berth' && k === 'clients' ? x : walk(x, [...p, k]);
      }
      return out;
    }
    return v;
  };
  return walk(doc.value, []);
}

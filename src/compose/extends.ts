// `extends:` — a service built on another one, in the same file or another file. The base's relative paths
// are made absolute against the base's own file, so they keep meaning what they meant there.
import path from 'node:path';
import type { BerthError } from '../errors.js';
import { mergeService } from './merge.js';
import { errorAt, type SourceDoc } from './source.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function resolveExtends(
  doc: SourceDoc,
  loadOther: (abs: string, from: SourceDoc, at: (string | number)[]) => SourceDoc,
  errors: BerthError[],
): void {
  const root = doc.value;
  if (!isObj(root) || !isObj(root.services)) return;
  const done = new Map<string, Obj>();
  const resolveIn = (d: SourceDoc, name: string, chain: string[]): Obj | undefined => {
    const id = `${d.file}#${name}`;
    const cached = done.get(id);
    if (cached) return cached;
    const services =
      isObj(d.value) && isObj((d.value as Obj).services) ? ((d.value as Obj).services as Obj) : {};
    const svc = services[name];
    if (!isObj(svc)) return undefined;
    if (svc.extends === undefined) return svc;
    const at = ['services', name, 'extends'];
    if (chain.includes(id)) {
      const names = [...chain, id].map((c) => c.split('#')[1]);
      errors.push(errorAt(d, at, `\`extends\` loops: ${names.join(' → ')}`, { hint: 'break the loop' }));
      return undefined;
    }
    const ext: Obj = isObj(svc.extends) ? svc.extends : { service: svc.extends };
    const baseName = String(ext.service ?? '');
    let baseDoc = d;
    if (ext.file !== undefined && ext.file !== null) {
      const abs = path.resolve(path.dirname(d.file), String(ext.file));
      try {
        baseDoc = loadOther(abs, d, [...at, 'file']);
      } catch (e) {
        errors.push(e as BerthError);
        return undefined;
      }
    }
    const base = resolveIn(baseDoc, baseName, [...chain, id]);
    if (!base) {
      if (!errors.length) {
        const known = Object.keys(
          isObj((baseDoc.value as Obj)?.services) ? ((baseDoc.value as Obj).services as Obj) : {},
        );
        errors.push(
          errorAt(
            d,
            [...at, ...(isObj(svc.extends) ? ['service'] : [])],
            `extends unknown service \`${baseName}\`${baseDoc !== d ? ` in ${baseDoc.shown}` : ''}`,
            {
              hint: known.length ? `services there: ${known.join(', ')}` : undefined,
            },
          ),
        );
      }
      return undefined;
    }
    const rebased = baseDoc === d ? base : rebase(base, path.dirname(baseDoc.file));
    const { extends: _drop, ...own } = svc;
    // Compose does not inherit depends_on/links/volumes_from through extends? It does since v2; keep all.
    const merged = mergeService(rebased, own, name, d) as Obj;
    done.set(id, merged);
    return merged;
  };
  for (const name of Object.keys(root.services as Obj)) {
    const r = resolveIn(doc, name, []);
    if (r) (root.services as Obj)[name] = r;
  }
}

const relative = (p: unknown) =>
  typeof p === 'string' && (p.startsWith('./') || p.startsWith('../') || p === '.' || p === '..');

export function rebase(svc: Obj, dir: string): Obj {
  const out: Obj = { ...svc };
  const abs = (p: string) => path.resolve(dir, p);
  if (typeof out.build === 'string') out.build = abs(out.build);
  else if (isObj(out.build)) {
    const ctx = out.build.context ?? '.';
    if (typeof ctx === 'string' && !/^[a-z]+:\/\//.test(ctx)) out.build = { ...out.build, context: abs(ctx) };
  }
  if (Array.isArray(out.volumes)) {
    out.volumes = out.volumes.map((v) => {
      if (typeof v === 'string') {
        const [src, ...rest] = v.split(':');
        return relative(src) && rest.length ? [abs(src!), ...rest].join(':') : v;
      }
      if (isObj(v) && v.type === 'bind' && relative(v.source)) return { ...v, source: abs(String(v.source)) };
      return v;
    });
  }
  if (out.env_file !== undefined) {
    const fix = (e: unknown) =>
      typeof e === 'string' ? abs(e) : isObj(e) ? { ...e, path: abs(String(e.path)) } : e;
    out.env_file = Array.isArray(out.env_file) ? out.env_file.map(fix) : fix(out.env_file);
  }
  return out;
}

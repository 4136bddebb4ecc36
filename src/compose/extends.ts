// `extends:` — a service built on another one, in the same file or another file. The base's relative paths
// are made absolute against the base's own file, so they keep meaning what they meant there.
import path from 'node:path';
import type { BerthError } from '../errors.js';
import { mergeService } from './merge.js';
import { errorAt, type SourceDoc } from './source.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

type LoadOther = (abs: string, from: SourceDoc, at: (string | number)[]) => SourceDoc;

/** Resolved services per file, shared by every file of one load, so a chain across files is walked once. */
const resolvedIn = new WeakMap<SourceDoc, Map<string, Obj | null>>();
const cacheOf = (d: SourceDoc) => {
  let m = resolvedIn.get(d);
  if (!m) {
    m = new Map();
    resolvedIn.set(d, m);
  }
  return m;
};

/**
 * Loading a base file (`extends: {file: ...}`) resolves that file's own `extends` through `loadOther`, which
 * calls back here: those files wait in a queue until the outer call is done, so a chain of files never nests
 * calls (the walk below resolves what it needs from them anyway).
 */
let active = false;
const queued: Array<[SourceDoc, LoadOther, BerthError[]]> = [];

export function resolveExtends(doc: SourceDoc, loadOther: LoadOther, errors: BerthError[]): void {
  if (active) {
    queued.push([doc, loadOther, errors]);
    return;
  }
  active = true;
  try {
    resolveDoc(doc, loadOther, errors);
    for (let next = queued.shift(); next; next = queued.shift()) resolveDoc(...next);
  } finally {
    active = false;
    queued.length = 0;
  }
}

function servicesOf(d: SourceDoc): Obj {
  return isObj(d.value) && isObj((d.value as Obj).services) ? ((d.value as Obj).services as Obj) : {};
}

function resolveDoc(doc: SourceDoc, loadOther: LoadOther, errors: BerthError[]): void {
  const root = doc.value;
  if (!isObj(root) || !isObj(root.services)) return;
  for (const name of Object.keys(root.services as Obj)) {
    const r = resolveIn(doc, name, loadOther, errors);
    if (r) (root.services as Obj)[name] = r;
  }
}

interface Link {
  d: SourceDoc;
  name: string;
  svc: Obj;
  baseDoc: SourceDoc;
  baseName: string;
}

/**
 * A service with its `extends` chain applied, or undefined when the chain is broken (the error is pushed).
 * The chain is walked down in a loop and merged back up from its base: thousands of services extending
 * each other must not overflow the call stack.
 */
function resolveIn(
  d0: SourceDoc,
  name0: string,
  loadOther: LoadOther,
  errors: BerthError[],
): Obj | undefined {
  const links: Link[] = [];
  const onChain = new Set<string>();
  let d = d0;
  let name = name0;
  let base: Obj | undefined;
  for (;;) {
    const cache = cacheOf(d);
    const known = cache.get(name);
    if (known !== undefined) {
      base = known ?? undefined;
      break;
    }
    const svc = servicesOf(d)[name];
    if (!isObj(svc)) break;
    if (svc.extends === undefined) {
      base = svc;
      break;
    }
    const at = ['services', name, 'extends'];
    const id = `${d.file}#${name}`;
    if (onChain.has(id)) {
      const from = links.findIndex((l) => l.d === d && l.name === name);
      const names = [...links.slice(from).map((l) => l.name), name];
      errors.push(errorAt(d, at, `\`extends\` loops: ${names.join(' → ')}`, { hint: 'break the loop' }));
      break;
    }
    onChain.add(id);
    const ext: Obj = isObj(svc.extends) ? svc.extends : { service: svc.extends };
    const baseName = String(ext.service ?? '');
    let baseDoc = d;
    if (ext.file !== undefined && ext.file !== null) {
      const abs = path.resolve(path.dirname(d.file), String(ext.file));
      try {
        baseDoc = loadOther(abs, d, [...at, 'file']);
      } catch (e) {
        errors.push(e as BerthError);
        // the link that failed still counts as broken for everything above it
        links.push({ d, name, svc, baseDoc: d, baseName: '' });
        base = undefined;
        break;
      }
    }
    links.push({ d, name, svc, baseDoc, baseName });
    d = baseDoc;
    name = baseName;
  }
  // Merge back up. A broken link is reported once, by the service right above it (as a missing base).
  for (let i = links.length - 1; i >= 0; i--) {
    const { d: ld, name: ln, svc, baseDoc, baseName } = links[i]!;
    if (!base) {
      if (!errors.length) {
        const known = Object.keys(servicesOf(baseDoc));
        errors.push(
          errorAt(
            ld,
            ['services', ln, 'extends', ...(isObj(svc.extends) ? ['service'] : [])],
            `extends unknown service \`${baseName}\`${baseDoc !== ld ? ` in ${baseDoc.shown}` : ''}`,
            { hint: known.length ? `services there: ${known.join(', ')}` : undefined },
          ),
        );
      }
      cacheOf(ld).set(ln, null);
      continue;
    }
    const rebased = baseDoc === ld ? base : rebase(base, path.dirname(baseDoc.file));
    const { extends: _drop, ...own } = svc;
    // Compose does not inherit depends_on/links/volumes_from through extends? It does since v2; keep all.
    base = mergeService(rebased, own, ln, ld) as Obj;
    cacheOf(ld).set(ln, base);
  }
  return base;
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

// Compose's merge rules for several files (and for `extends`): maps merge by key; environment, labels and
// the like merge by variable; volumes merge by target, ports by target/protocol (berth: an overlay that moves
// a port to another host port replaces it instead of adding a clash); command/entrypoint/healthcheck.test
// replace; other lists append without duplicates. `!reset` removes a value, `!override` replaces it whole.
import { type Path, pathKey } from './source.js';

export interface MergeTags {
  reset: Set<string>;
  override: Set<string>;
}

const NO_TAGS: MergeTags = { reset: new Set(), override: new Set() };

type Rule = 'replace' | 'kv' | 'byTarget' | 'ports' | 'append' | 'mapMerge' | 'networks';

/** The rule for a path under `services.<name>` (the service-relative part). */
function serviceRule(rel: Path): Rule | undefined {
  const p = rel.filter((x) => typeof x === 'string').join('.');
  switch (p) {
    case 'command':
    case 'entrypoint':
    case 'healthcheck.test':
      return 'replace';
    case 'environment':
    case 'labels':
    case 'annotations':
    case 'sysctls':
    case 'build.args':
    case 'build.labels':
    case 'deploy.labels':
    case 'extra_hosts':
    case 'build.extra_hosts':
    case 'build.additional_contexts':
      return 'kv';
    case 'volumes':
    case 'secrets':
    case 'configs':
    case 'devices':
      return 'byTarget';
    case 'ports':
      return 'ports';
    case 'networks':
      return 'networks';
    case 'depends_on':
      return 'mapMerge';
    default:
      return undefined;
  }
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function mergeStacks(base: unknown, over: unknown, tags: MergeTags = NO_TAGS): unknown {
  return mergeAt(base, over, [], tags);
}

/** Merge one service definition over another (used by `extends`). */
export function mergeService(base: unknown, over: unknown, name: string, tags: MergeTags = NO_TAGS): unknown {
  return mergeAt(base, over, ['services', name], tags);
}

function mergeAt(base: unknown, over: unknown, path: Path, tags: MergeTags): unknown {
  const k = pathKey(path);
  if (tags.reset.has(k)) return undefined;
  if (tags.override.has(k)) return over;
  if (over === undefined) return base;
  if (base === undefined) return stripTags(over, path, tags);
  if (over === null) return base;
  const rule = path[0] === 'services' && path.length > 2 ? serviceRule(path.slice(2)) : undefined;
  switch (rule) {
    case 'replace':
      return over;
    case 'kv': {
      const colon = path[path.length - 1] === 'extra_hosts';
      return mergeMaps(toKvMap(base, colon), toKvMap(over, colon), path, tags, true);
    }
    case 'mapMerge':
      return mergeMaps(toDepMap(base), toDepMap(over), path, tags, false);
    case 'networks':
      return mergeMaps(toNetMap(base), toNetMap(over), path, tags, false);
    case 'byTarget':
      return mergeByKey(asList(base), asList(over), mountKey);
    case 'ports':
      return mergeByKey(asList(base), asList(over), portKey);
  }
  if (isMap(base) && isMap(over)) return mergeMaps(base, over, path, tags, false);
  if (Array.isArray(base) && Array.isArray(over)) {
    const seen = new Set(base.map((v) => JSON.stringify(v)));
    return [...base, ...over.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  return over;
}

function mergeMaps(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  path: Path,
  tags: MergeTags,
  flat: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, v] of Object.entries(over)) {
    const p = [...path, key];
    const merged = flat ? (tags.reset.has(pathKey(p)) ? undefined : v) : mergeAt(base[key], v, p, tags);
    if (merged === undefined) delete out[key];
    else out[key] = merged;
  }
  return out;
}

/** A file's own value still carries `!reset` markers when nothing is below it; drop them. */
function stripTags(v: unknown, path: Path, tags: MergeTags): unknown {
  if (tags.reset.size === 0) return v;
  if (tags.reset.has(pathKey(path))) return undefined;
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const s = stripTags(x, [...path, k], tags);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return v;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v == null ? [] : [v]);

/**
 * `environment`, `labels`, ...: list `K=V` (or a bare `K`) and map forms both become a map. Only
 * `extra_hosts` also splits `host:ip`; an environment entry `A:b` is a variable named `A:b`, as in Compose.
 */
export function toKvMap(v: unknown, colon = false): Record<string, unknown> {
  if (isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const item of asList(v)) {
    const s = String(item);
    const eq = s.indexOf('=');
    const i = eq >= 0 ? eq : colon ? s.indexOf(':') : -1;
    if (i < 0) out[s] = null;
    else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

function toDepMap(v: unknown): Record<string, unknown> {
  if (isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const name of asList(v)) out[String(name)] = { condition: 'service_started' };
  return out;
}

function toNetMap(v: unknown): Record<string, unknown> {
  if (isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const name of asList(v)) out[String(name)] = null;
  return out;
}

function mergeByKey(base: unknown[], over: unknown[], key: (v: unknown) => string): unknown[] {
  const out = [...base];
  for (const v of over) {
    const k = key(v);
    const i = out.findIndex((b) => key(b) === k);
    if (i >= 0) out[i] = v;
    else out.push(v);
  }
  return out;
}

/** Volumes, secrets, configs, devices: the container-side path is the identity. */
export function mountKey(v: unknown): string {
  if (isMap(v)) return String(v.target ?? v.source ?? JSON.stringify(v));
  const s = String(v);
  const parts = s.split(':');
  if (parts.length === 1) return s;
  // SRC:TGT[:MODE] (Windows drive letters are not a concern on a Linux dev box)
  return parts[1] ?? s;
}

export function portKey(v: unknown): string {
  if (isMap(v)) return `${v.target}/${v.protocol ?? 'tcp'}`;
  const s = String(v);
  const [main, proto = 'tcp'] = s.split('/');
  const target = main!.slice(main!.lastIndexOf(':') + 1);
  return `${target}/${proto}`;
}

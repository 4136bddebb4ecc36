// Compose's merge rules for several files (and for `extends`), after compose-go's override package: maps merge
// by key; environment, labels and the like merge by variable; a string merged with a list (`env_file`, `dns`,
// `dns_search`, `tmpfs`) is a one-item list and the lists append; `extra_hosts` keeps every entry;
// volumes, secrets, configs and devices merge by container path; a logging driver changed by an override
// drops the old driver's options; command/entrypoint/healthcheck.test/ulimits replace; other lists append
// without duplicates. Ports merge by target/protocol (berth: an overlay that moves a port to another host port
// replaces it instead of adding a clash). `!reset` removes a value, `!override` replaces it whole.
// `enforceUnicity` then drops redefinitions inside one list, as compose-go does after merging.
import { type Path, pathKey } from './source.js';

export interface MergeTags {
  reset: Set<string>;
  override: Set<string>;
}

const NO_TAGS: MergeTags = { reset: new Set(), override: new Set() };

type Rule =
  | 'replace'
  | 'kv'
  | 'byTarget'
  | 'ports'
  | 'mapMerge'
  | 'networks'
  | 'sequence'
  | 'hosts'
  | 'logging'
  | 'build';

/** The rule for a path under `services.<name>` (the service-relative part). */
function serviceRule(rel: Path): Rule | undefined {
  const p = rel.filter((x) => typeof x === 'string').join('.');
  if (rel.length === 2 && rel[0] === 'ulimits') return 'replace';
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
    case 'build.additional_contexts':
      return 'kv';
    case 'extra_hosts':
    case 'build.extra_hosts':
      return 'hosts';
    case 'dns':
    case 'dns_opt':
    case 'dns_search':
    case 'tmpfs':
    case 'env_file':
      return 'sequence';
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
    case 'logging':
      return 'logging';
    case 'build':
      return 'build';
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
  const rule =
    path[0] === 'services' && path.length > 2
      ? serviceRule(path.slice(2))
      : (path[0] === 'networks' || path[0] === 'volumes') && path.length === 3 && path[2] === 'labels'
        ? 'kv'
        : undefined;
  switch (rule) {
    case 'replace':
      return over;
    case 'kv':
      return mergeMaps(toKvMap(base), toKvMap(over), path, tags, true);
    case 'mapMerge':
      return mergeMaps(toDepMap(base), toDepMap(over), path, tags, false);
    case 'networks':
      return mergeMaps(toNetMap(base), toNetMap(over), path, tags, false);
    case 'byTarget':
      return mergeByKey(asList(base), asList(over), mountKeyFor(String(path[path.length - 1])));
    case 'ports':
      return mergeByKey(asList(base), asList(over), portKey);
    case 'sequence':
      return [...asList(base), ...asList(over)];
    case 'hosts': {
      const b = hostEntries(base);
      return [...b, ...hostEntries(over).filter((h) => !b.includes(h))];
    }
    case 'logging':
      // compose-go: the options of one driver mean nothing to another, so a new driver starts afresh.
      if (
        isMap(base) &&
        isMap(over) &&
        base.driver != null &&
        over.driver != null &&
        base.driver !== over.driver
      )
        return stripTags(over, path, tags);
      break;
    case 'build': {
      const b = asBuild(base);
      const o = asBuild(over);
      if (isMap(b) && isMap(o)) return mergeMaps(b, o, path, tags, false);
      return over;
    }
  }
  if (isMap(base) && isMap(over)) return mergeMaps(base, over, path, tags, false);
  if (Array.isArray(base) && Array.isArray(over)) {
    const seen = new Set(base.map((v) => JSON.stringify(v)));
    return [...base, ...over.filter((v) => !seen.has(JSON.stringify(v)))];
  }
  return over;
}

/** `build: ./dir` is `build: { context: ./dir }`, so a short form and a long form merge key by key. */
const asBuild = (v: unknown): unknown => (typeof v === 'string' ? { context: v } : v);

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

/**
 * A file's value as the schema should see it: a key tagged `!reset` is gone, whatever value it was written
 * with (`build: !reset null` resets a key that may not be null).
 */
export function withoutResets(value: unknown, reset: Set<string>): unknown {
  return stripTags(value, [], { reset, override: new Set() });
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v == null ? [] : [v]);

/**
 * `environment`, `labels`, ...: list `K=V` (or a bare `K`) and map forms both become a map. An entry `A:b`
 * is a variable named `A:b`, as in Compose.
 */
export function toKvMap(v: unknown): Record<string, unknown> {
  if (isMap(v)) return v;
  const out: Record<string, unknown> = {};
  for (const item of asList(v)) {
    const s = String(item);
    const i = s.indexOf('=');
    if (i < 0) out[s] = null;
    else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

/** `extra_hosts` as a list of entries: a map `host: ip` (or `host: [ip, ip]`) gives one `host=ip` per address. */
function hostEntries(v: unknown): string[] {
  if (isMap(v)) return Object.entries(v).flatMap(([h, ips]) => asList(ips).map((ip) => `${h}=${String(ip)}`));
  return asList(v).map(String);
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

/** Later entries replace earlier ones with the same key, in the earlier one's place. */
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

/** Volumes and devices: the container-side path is the identity. */
export function mountKey(v: unknown): string {
  if (isMap(v)) return String(v.target ?? v.source ?? JSON.stringify(v));
  const s = String(v);
  const parts = s.split(':');
  if (parts.length === 1) return s;
  // SRC:TGT[:MODE] (Windows drive letters are not a concern on a Linux dev box)
  return parts[1] ?? s;
}

/** Secrets land in /run/secrets/NAME and configs in /NAME unless a target says otherwise (compose-go). */
function mountKeyFor(kind: string): (v: unknown) => string {
  if (kind !== 'secrets' && kind !== 'configs') return mountKey;
  const dir = kind === 'secrets' ? '/run/secrets' : '';
  return (v) =>
    isMap(v) ? (v.target != null ? String(v.target) : `${dir}/${String(v.source)}`) : `${dir}/${String(v)}`;
}

export function portKey(v: unknown): string {
  if (isMap(v)) return `${v.target}/${v.protocol ?? 'tcp'}`;
  const s = String(v);
  const [main, proto = 'tcp'] = s.split('/');
  const target = main!.slice(main!.lastIndexOf(':') + 1);
  return `${target}/${proto}`;
}

/** compose-go's indexers: the part before `=` for key/value lists, the whole entry otherwise. */
const keyValue = (v: unknown) => (typeof v === 'string' ? (v.split('=')[0] ?? v) : JSON.stringify(v));
const exact = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const envFileKey = (v: unknown) => (isMap(v) ? String(v.path) : String(v));

const UNIQUE: Record<string, (v: unknown) => string> = {
  environment: keyValue,
  labels: keyValue,
  annotations: keyValue,
  sysctls: keyValue,
  cap_add: exact,
  cap_drop: exact,
  dns: keyValue,
  dns_opt: keyValue,
  dns_search: keyValue,
  tmpfs: keyValue,
  links: exact,
  profiles: exact,
  expose: (v) => String(v),
  env_file: envFileKey,
  ports: exact,
  volumes: mountKey,
  devices: mountKey,
  secrets: mountKeyFor('secrets'),
  configs: mountKeyFor('configs'),
};

/**
 * Inside each service list that Compose indexes, a later entry with the same key replaces the earlier one in
 * its place: an exact duplicate port line is one port, two volumes at one container path are the last one.
 */
export function enforceUnicity(model: unknown): unknown {
  if (!isMap(model) || !isMap(model.services)) return model;
  const services: Record<string, unknown> = {};
  for (const [name, svc] of Object.entries(model.services)) {
    if (!isMap(svc)) {
      services[name] = svc;
      continue;
    }
    const out: Record<string, unknown> = { ...svc };
    for (const [key, index] of Object.entries(UNIQUE)) {
      const v = svc[key];
      if (Array.isArray(v)) out[key] = mergeByKey([], v, index);
    }
    if (isMap(svc.networks)) {
      out.networks = Object.fromEntries(
        Object.entries(svc.networks).map(([n, c]) => [
          n,
          isMap(c) && Array.isArray(c.aliases) ? { ...c, aliases: mergeByKey([], c.aliases, exact) } : c,
        ]),
      );
    }
    services[name] = out;
  }
  return { ...model, services };
}

/**
 * The mounts a container gets, one per container path, as Compose builds them: a later volume at a path
 * replaces an earlier one; secrets, then configs, go only where no volume (or secret) already is (the last
 * one of a kind at a path wins).
 */
export function oneMountPerTarget<M extends { target: string }>(
  volumes: M[],
  secrets: M[],
  configs: M[],
): M[] {
  const byTarget = (ms: M[]) => new Map(ms.map((m) => [m.target, m]));
  const at = byTarget(volumes);
  for (const kind of [secrets, configs])
    for (const [target, m] of byTarget(kind)) if (!at.has(target)) at.set(target, m);
  return [...at.values()];
}

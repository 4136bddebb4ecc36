// Validation of one stack file against schemas/stack.schema.json (ajv, compiled once), with every error
// mapped back to file:line:col in plain words. Compose keys berth cannot honour are named as unsupported;
// keys it can safely ignore become warnings.
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { BerthError } from '../errors.js';
import { cacheEnabled, knownValid, recordValid } from './parse-cache.js';
import { displayPath, shownKey } from './paths.js';
import { errorAt, locateIn, type Path, type SourceDoc } from './source.js';

const UNSUPPORTED: Record<string, Record<string, string>> = {
  service: Object.fromEntries(
    [
      'blkio_config',
      'cgroup',
      'cpu_count',
      'cpu_percent',
      'cpu_period',
      'cpu_quota',
      'cpu_rt_period',
      'cpu_rt_runtime',
      'credential_spec',
      'gpus',
      'isolation',
      'mem_swappiness',
      'memswap_limit',
      'oom_kill_disable',
      'oom_score_adj',
      'userns_mode',
      'volume_driver',
      'use_api_socket',
      'pull_refresh_after',
    ].map((k) => [k, '']),
  ),
  build: {
    isolation: '',
    ulimits: '',
  },
  reservations: { devices: 'GPU and device reservations need a swarm or GPU runtime' },
  network: { enable_ipv4: '' },
  'mount.bind': { recursive: '' },
  'mount.volume': { labels: '' },
};

/** Keys berth accepts and ignores, with why, reported once as a warning. */
const IGNORED: Array<{ at: (p: Path) => boolean; key: string; why: string }> = [
  { at: (p) => p.length === 0, key: 'version', why: 'the top-level `version` is obsolete and ignored' },
  { at: isService, key: 'attach', why: '`attach` is ignored: `berth logs` shows every service' },
  { at: isService, key: 'annotations', why: '`annotations` are ignored by berth' },
  ...['mode', 'placement', 'update_config', 'rollback_config', 'endpoint_mode', 'labels'].map((k) => ({
    at: (p: Path) => isService(p.slice(0, 2)) && p.length === 3 && p[2] === 'deploy',
    key: k,
    why: `\`deploy.${k}\` is a swarm setting and is ignored`,
  })),
  {
    at: (p) => p.length === 5 && p[2] === 'deploy' && p[4] === 'reservations',
    key: 'generic_resources',
    why: '`deploy.resources.reservations.generic_resources` is a swarm setting (a container has no generic resources) and is ignored',
  },
  {
    at: (p) => p.length === 5 && p[2] === 'deploy' && p[4] === 'reservations',
    key: 'cpus',
    why: '`deploy.resources.reservations.cpus` is ignored (only limits apply on one engine)',
  },
  { at: (p) => p.length === 3 && p[2] === 'build', key: 'cache_to', why: '`build.cache_to` is ignored' },
  { at: (p) => p.length === 3 && p[2] === 'build', key: 'provenance', why: '`build.provenance` is ignored' },
  { at: (p) => p.length === 3 && p[2] === 'build', key: 'sbom', why: '`build.sbom` is ignored' },
];

function isService(p: Path): boolean {
  return p.length === 2 && p[0] === 'services';
}

// Precompiled from schemas/stack.schema.json by schemas/generate.ts (no ajv compile at start-up), and required
// on first use only: loading it and compiling its one big function cost more CPU than the rest of `config -q`,
// and a document already on record as valid does not need it. The path holds from src/compose/ (sources) and
// from dist/chunks/ (the build, see scripts/build.mjs): both are two folders below the checkout.
const requireCjs = createRequire(import.meta.url);
const VALIDATOR = '../../schemas/stack-validator.gen.cjs';
let generated: ValidateFunction | undefined;
const validator = (): ValidateFunction => {
  generated ??= requireCjs(VALIDATOR) as ValidateFunction;
  return generated;
};

/** Which validator this is (a regenerated one invalidates every record of documents found valid). */
export const validatorId = (() => {
  try {
    const st = statSync(requireCjs.resolve(VALIDATOR));
    return `${st.size}-${st.mtimeMs}`;
  } catch {
    return undefined;
  }
})();

export function validateDoc(doc: SourceDoc, errors: BerthError[], warn: (w: string) => void): void {
  const value = doc.value ?? {};
  if (doc.value === null || doc.value === undefined) {
    errors.push(errorAt(doc, [], 'the file is empty', { hint: 'a stack file needs at least `services:`' }));
    return;
  }
  const print = validatorId !== undefined && cacheEnabled() ? fingerprint(value) : undefined;
  if (print === undefined || !knownValid(validatorId!, print)) {
    const validate = validator();
    if (!validate(value)) errors.push(...mapErrors(doc, validate.errors ?? []));
    else if (print !== undefined) recordValid(validatorId!, print);
  }
  collectWarnings(doc, value, [], warn);
}

/**
 * The document as the validator sees it, every value tagged with its type, so two documents share a
 * fingerprint only when they are the same to the schema (JSON alone would make `.inf` and `null` one).
 */
export function fingerprint(v: unknown): string {
  const out: string[] = [];
  const walk = (x: unknown): void => {
    if (x === null) out.push('n');
    else if (Array.isArray(x)) {
      out.push('[');
      for (const e of x) walk(e);
      out.push(']');
    } else if (typeof x === 'object') {
      out.push('{');
      for (const [k, e] of Object.entries(x as Record<string, unknown>)) {
        if (e === undefined) continue; // as absent, to the validator
        out.push(JSON.stringify(k));
        walk(e);
      }
      out.push('}');
    } else if (typeof x === 'string') out.push(JSON.stringify(x));
    else out.push(`${typeof x}:${String(x)};`);
  };
  walk(v);
  return out.join('');
}

function collectWarnings(doc: SourceDoc, v: unknown, p: Path, warn: (w: string) => void) {
  if (!v || typeof v !== 'object' || Array.isArray(v) || p.length > 5) return;
  for (const k of Object.keys(v)) {
    const rule = IGNORED.find((r) => r.key === k && r.at(p));
    if (rule) {
      const pos = locateIn(doc, [...p, k], 'key');
      warn(`${pos ? `${pos.file}:${pos.line}: ` : ''}${rule.why}`);
    }
    if (!k.startsWith('x-')) collectWarnings(doc, (v as Record<string, unknown>)[k], [...p, k], warn);
  }
}

const GENERIC = new Set(['type', 'anyOf', 'oneOf', 'enum', 'pattern', 'const']);

function toPath(instancePath: string): Path {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** "/a/b/c" → "/a/b", "/a", "" (the paths a path is under, itself excluded). */
function* ancestors(path: string): Generator<string> {
  for (let i = path.lastIndexOf('/'); i >= 0; i = path.lastIndexOf('/', i - 1)) {
    yield path.slice(0, i);
    if (i === 0) return;
  }
}

const MAX_SHOWN = 20;

function mapErrors(doc: SourceDoc, errs: ErrorObject[]): BerthError[] {
  // Keep the most specific story: a generic "wrong type"/"no branch matched" at a path is dropped when a more
  // specific error (unknown key, missing key) exists at or below it, and type errors merge into one line.
  // Paths with a specific error at or below them, and paths with a generic error strictly below them: sets,
  // so a file with thousands of errors (400 broken services) is sorted out in linear time, not pair by pair.
  const specificAtOrBelow = new Set<string>();
  const genericBelow = new Set<string>();
  for (const e of errs) {
    if (GENERIC.has(e.keyword)) for (const a of ancestors(e.instancePath)) genericBelow.add(a);
    else {
      specificAtOrBelow.add(e.instancePath);
      for (const a of ancestors(e.instancePath)) specificAtOrBelow.add(a);
    }
  }
  const kept = errs.filter((e) => {
    if (!GENERIC.has(e.keyword)) return true;
    if (specificAtOrBelow.has(e.instancePath)) return false;
    // a deeper generic error means the value had the right shape and something inside it is wrong
    return !genericBelow.has(e.instancePath);
  });
  // At one path, the error whose schema says what it expects (usually the anyOf) tells the story best.
  const rank = (e: ErrorObject) =>
    (e.keyword === 'additionalProperties' ? 0 : e.keyword === 'required' ? 1 : 2) * 10 +
    ((e.parentSchema as { expect?: string } | undefined)?.expect ? 0 : 1) +
    (e.keyword === 'anyOf' || e.keyword === 'oneOf' ? 0 : 2);
  kept.sort((a, b) => (a.instancePath === b.instancePath ? rank(a) - rank(b) : 0));
  // the types each path was expected to have, for "expected a string or a list" (one pass, not one per error)
  const typesAt = new Map<string, Array<string | string[]>>();
  for (const o of errs) {
    if (o.keyword !== 'type') continue;
    const list = typesAt.get(o.instancePath) ?? [];
    list.push((o.params as { type: string | string[] }).type);
    typesAt.set(o.instancePath, list);
  }
  const out: BerthError[] = [];
  const done = new Set<string>();
  for (const e of kept) {
    // twenty are shown; building the rest (each with its code frame) is work nobody reads
    if (out.length === MAX_SHOWN) break;
    const path = toPath(e.instancePath);
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const id = `${e.instancePath}/${key}`;
      if (done.has(id)) continue;
      done.add(id);
      out.push(unknownKey(doc, path, key, e));
      continue;
    }
    if (e.keyword === 'required') {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const id = `${e.instancePath}!${missing}`;
      if (done.has(id)) continue;
      done.add(id);
      out.push(errorAt(doc, path, `\`${missing}\` is missing`, { hint: `add \`${missing}:\` here` }));
      continue;
    }
    if (done.has(e.instancePath)) continue;
    done.add(e.instancePath);
    const expect = (e.parentSchema as { expect?: string } | undefined)?.expect;
    let what: string;
    if (e.keyword === 'enum') {
      what = `${JSON.stringify(e.data)} is not one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => String(v)).join(', ')}`;
    } else if (e.keyword === 'pattern') {
      what = `${JSON.stringify(e.data)} is not valid here; expected ${expect ?? `a value matching ${(e.params as { pattern: string }).pattern}`}`;
    } else {
      const types = typesAt.get(e.instancePath) ?? [];
      const expected =
        expect ??
        (types.length
          ? [...new Set(types.flatMap((t) => String(t).split(',')))].map(typeWord).join(' or ')
          : 'something else');
      what = `expected ${expected}, got ${describe(e.data)}`;
    }
    out.push(errorAt(doc, path, what, { hint: hintFor(path, e.data) }));
  }
  return out;
}

const COMMON_SERVICE_KEYS = new Set(
  'image build ports volumes environment env_file depends_on command entrypoint networks restart healthcheck labels expose container_name working_dir user'.split(
    ' ',
  ),
);

function hintFor(path: Path, data: unknown): string | undefined {
  if (path.length === 2 && path[0] === 'services' && COMMON_SERVICE_KEYS.has(String(path[1]))) {
    return `\`${String(path[1])}\` is read as a service name; indent it under the service it belongs to`;
  }
  if (data !== null && typeof data === 'object' && !Array.isArray(data) && path.length >= 3) {
    return 'a map is not allowed here; check the indentation, or quote the value';
  }
  return undefined;
}

function typeWord(t: string): string {
  switch (t) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
    case 'integer':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'nothing';
    default:
      return t;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === 'number' ? 'the number' : 'the value'} ${String(v)}`;
}

function contextOf(path: Path): string {
  if (path.length === 0) return 'top';
  if (isService(path)) return 'service';
  if (path.length === 3 && path[0] === 'services' && path[2] === 'build') return 'build';
  if (path.length === 5 && path[2] === 'deploy' && path[4] === 'reservations') return 'reservations';
  if (path[0] === 'services' && path[2] === 'volumes' && path.length === 4) return 'mount';
  if (path[0] === 'services' && path[2] === 'networks' && path.length === 4) return 'service.network';
  if (path[0] === 'networks' && path.length === 2) return 'network';
  if (path[0] === 'networks' && path[2] === 'ipam' && path.length === 3) return 'ipam';
  if (path[0] === 'networks' && path[2] === 'ipam' && path[3] === 'config' && path.length === 5)
    return 'ipam.config';
  if (path[0] === 'services' && path[2] === 'volumes' && path.length === 5) return `mount.${String(path[4])}`;
  return '';
}

function unknownKey(doc: SourceDoc, path: Path, key: string, e: ErrorObject): BerthError {
  const at = [...path, key];
  const ctx = contextOf(path);
  const unsupported = UNSUPPORTED[ctx];
  if (unsupported && Object.hasOwn(unsupported, key)) {
    const why = unsupported[key];
    return errorAt(
      doc,
      at,
      `berth does not support the Compose key \`${key}\` yet${why && !why.startsWith('split') ? ` (${why})` : ''}`,
      {
        kind: 'key',
        hint: `remove \`${key}\` (${displayPath(at)}) to use this file with berth${why?.startsWith('split') ? `; ${why}` : ''}`,
      },
    );
  }
  const parent = e.parentSchema as {
    properties?: Record<string, unknown>;
    patternProperties?: Record<string, unknown>;
  };
  const pp = Object.keys(parent?.patternProperties ?? {}).filter((p) => p !== '^x-');
  if (pp.length > 0 && !parent.properties) {
    const what = path[path.length - 1] === 'services' ? 'service' : 'name';
    return errorAt(doc, at, `${JSON.stringify(shownKey(key))} is not a valid ${what} name`, {
      kind: 'key',
      hint: 'use letters, digits, `.`, `_` and `-`',
    });
  }
  const known = Object.keys(parent?.properties ?? {});
  if (ctx !== 'service' && path[0] === 'services' && path.length > 2 && COMMON_SERVICE_KEYS.has(key)) {
    return errorAt(doc, at, `unknown key \`${key}\` here`, {
      kind: 'key',
      hint: `\`${key}\` is a service setting; check the indentation (it belongs directly under the service name)`,
    });
  }
  const guess = didYouMean(key, known);
  return errorAt(doc, at, `unknown key \`${shownKey(key)}\``, {
    kind: 'key',
    hint: guess
      ? `did you mean \`${guess}\`?`
      : known.length
        ? `allowed here: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''} (or an \`x-\` extension)`
        : undefined,
  });
}

export function didYouMean(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  const limit = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  for (const c of candidates) {
    // A prefix either way is a guess at any distance, and its distance is the difference in length. Any other
    // candidate further apart in length than the limit cannot be within it: skipping it keeps a 64 KiB key
    // (fuzzed input) from costing seconds of edit-distance tables.
    const apart = Math.abs(c.length - word.length);
    const prefix = c.startsWith(word) || word.startsWith(c);
    if (!prefix && apart > limit) continue;
    const d = prefix ? apart : levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (best && (bestD <= limit || best.startsWith(word) || word.startsWith(best))) return best;
  return undefined;
}

/** Edit distance counting a swap of two neighbours as one edit (typos like `imgae`). */
function levenshtein(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

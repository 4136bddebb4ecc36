// A mutation fuzzer for the loader: real stack files (fixtures/ and the shared corpus) mutated as text and as
// YAML structure, sometimes with included, extended and env files beside them, each loaded the way `berth
// config` loads it. Every case must either load or fail with a BerthError (exit 2, at a file:line) quickly,
// and load the same again from the parse cache. Deterministic: case N of seed S is always the same input.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse, stringify } from 'yaml';
import { reportError } from '../../src/cli/report.js';
import { loadStack } from '../../src/compose/index.js';
import { BerthError, BerthErrors, ExitCode } from '../../src/errors.js';
import { buildGraph, levels, startOrder } from '../../src/graph/index.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The shared corpus sits next to the checkout in CI (../shared/corpus); helpers' worktrees are one deeper. */
export function corpusDir(): string | undefined {
  for (const c of [path.resolve(repoRoot, '../shared/corpus'), path.resolve(repoRoot, '../../shared/corpus')])
    if (existsSync(path.join(c, 'awesome-compose'))) return c;
  return undefined;
}

export interface Seeds {
  stacks: string[];
  /** The stack files outside fixtures/bad. */
  good: string[];
  envs: string[];
}

function walk(dir: string, out: string[]): void {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) walk(p, out);
    else out.push(p);
  }
}

export function loadSeeds(): Seeds {
  // fixtures first, then the corpus, each sorted: the same order (so the same cases for a seed) wherever the
  // checkout is (sorting absolute paths put the corpus first in a checkout under /work/wt)
  const fixtures: string[] = [];
  walk(path.join(repoRoot, 'fixtures'), fixtures);
  const fromCorpus: string[] = [];
  const corpus = corpusDir();
  if (corpus) walk(path.join(corpus, 'awesome-compose'), fromCorpus);
  const files = [...fixtures.sort(), ...fromCorpus.sort()];
  const read = (f: string) => readFileSync(f, 'utf8');
  const small = (f: string) => statSync(f).size < 64 * 1024;
  const stacks = files.filter((f) => /\.ya?ml$/.test(f) && small(f));
  return {
    stacks: stacks.map(read),
    good: stacks.filter((f) => !f.includes(`${path.sep}bad${path.sep}`)).map(read),
    envs: files.filter((f) => /(^|\/)(\.env|[^/]*\.env)$/.test(f) && small(f)).map(read),
  };
}

/** mulberry32: tiny, fast, and the same sequence on every machine. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

/** Values that have broken parsers before: edges of numbers, ports, durations, YAML's own syntax. */
const $ = '$';
const TOKENS = [
  ':',
  '- ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '&a ',
  '*a',
  '<<: *a',
  '!reset ',
  '!override ',
  '!!str ',
  '!!binary ',
  '? ',
  '|',
  '>-',
  '"',
  "'",
  '#',
  '---',
  '...',
  '%YAML 1.1',
  '\t',
  '\\',
  '$',
  '$$',
  `${$}{`,
  `${$}{X}`,
  `${$}{X:-${$}{Y:-z}}`,
  `${$}{X:?boom}`,
  `${$}{X+y}`,
  '$X',
  '~',
  'null',
  '.inf',
  '-.inf',
  '.nan',
  '0x1F',
  '0o17',
  '1e400',
  '-0',
  '1_000',
  '65535',
  '65536',
  '-1',
  '0',
  '99999999999999999999',
  '1.5',
  'true',
  'yes',
  'on',
  'no',
  '""',
  "''",
  '[]',
  '{}',
  '1-65535:1-65535',
  '0.0.0.0:8000-8100:80-180',
  '[::1]:80:80',
  '127.0.0.1::80',
  '80/udp',
  '80/sctp',
  '80/foo',
  '1h2m3s',
  '-5s',
  '1.5m',
  '10Q',
  '1g',
  '512k',
  '0.5',
  'service:web',
  'container:x',
  'host',
  'none',
  'service_healthy',
  'service_completed_successfully',
  'CMD-SHELL',
  'NONE',
  '../',
  '/dev/zero',
  '/proc/self/environ',
  '__proto__',
  'constructor',
  'toString',
  'é',
  '😀',
  '\u202e',
  '\ufeff',
  'x'.repeat(300),
];

const SERVICE_KEYS = [
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'ports',
  'expose',
  'volumes',
  'volumes_from',
  'depends_on',
  'links',
  'networks',
  'network_mode',
  'ipc',
  'pid',
  'healthcheck',
  'restart',
  'deploy',
  'replicas',
  'profiles',
  'extends',
  'labels',
  'container_name',
  'hostname',
  'user',
  'working_dir',
  'tmpfs',
  'ulimits',
  'sysctls',
  'cap_add',
  'devices',
  'dns',
  'extra_hosts',
  'secrets',
  'configs',
  'logging',
  'stop_grace_period',
  'stop_signal',
  'init',
  'tty',
  'stdin_open',
  'privileged',
  'read_only',
  'shm_size',
  'mem_limit',
  'cpus',
  'platform',
  'pull_policy',
  'x-berth',
  'scale',
  'label_file',
  'post_start',
  'develop',
  'annotations',
];
const TOP_KEYS = [
  'services',
  'volumes',
  'networks',
  'secrets',
  'configs',
  'include',
  'name',
  'x-berth',
  'version',
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

function randomScalar(r: Rand): unknown {
  switch (int(r, 6)) {
    case 0:
      return pick(r, [0, -1, 1, 80, 65535, 65536, 1.5, 1e21, -0]);
    case 1:
      return pick(r, [true, false, null]);
    case 2:
      return pick(r, TOKENS);
    case 3:
      return `${pick(r, ['web', 'db', 'app', 'x'])}${int(r, 3)}`;
    default:
      return pick(r, [
        '8080:80',
        '80',
        'berth/busybox',
        './data:/data',
        'x=1',
        'sleep 1',
        '10s',
        'CMD',
        'true',
      ]);
  }
}

function randomValue(r: Rand, depth = 0): unknown {
  const k = depth > 3 ? 0 : int(r, 4);
  if (k === 0 || k === 1) return randomScalar(r);
  if (k === 2) return Array.from({ length: int(r, 4) }, () => randomValue(r, depth + 1));
  const o: Obj = {};
  for (let i = int(r, 4); i > 0; i--) o[String(randomScalar(r))] = randomValue(r, depth + 1);
  return o;
}

/** Every container (map or list) in a value with its path, for structural mutations. */
function containers(v: unknown, out: Array<Obj | unknown[]> = [], depth = 0): Array<Obj | unknown[]> {
  if (depth > 12) return out;
  if (Array.isArray(v) || isObj(v)) {
    out.push(v);
    for (const x of Array.isArray(v) ? v : Object.values(v)) containers(x, out, depth + 1);
  }
  return out;
}

function serviceNames(doc: unknown): string[] {
  return isObj(doc) && isObj(doc.services) ? Object.keys(doc.services) : [];
}

function mutateStructure(r: Rand, text: string, seeds: Seeds): string | undefined {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100, logLevel: 'silent' });
  } catch {
    return undefined;
  }
  if (!isObj(doc)) doc = { services: {} };
  const root = doc as Obj;
  const names = serviceNames(root);
  const svc = names.length ? ((root.services as Obj)[pick(r, names)] as unknown) : undefined;
  for (let n = 1 + int(r, 2); n > 0; n--) {
    switch (int(r, 8)) {
      case 0: {
        // replace a random value somewhere
        const c = pick(r, containers(root));
        if (Array.isArray(c)) {
          if (c.length) c[int(r, c.length)] = randomValue(r);
          else c.push(randomValue(r));
        } else {
          const keys = Object.keys(c);
          if (keys.length) c[pick(r, keys)] = randomValue(r);
        }
        break;
      }
      case 1: {
        // delete a random key or item
        const c = pick(r, containers(root));
        if (Array.isArray(c)) c.splice(int(r, c.length + 1), 1);
        else {
          const keys = Object.keys(c);
          if (keys.length) delete c[pick(r, keys)];
        }
        break;
      }
      case 2:
        if (isObj(svc)) svc[pick(r, SERVICE_KEYS)] = randomValue(r);
        break;
      case 3:
        root[pick(r, TOP_KEYS)] = randomValue(r);
        break;
      case 4: {
        // a reference to another service: edges, cycles, self-references
        if (!isObj(svc) || names.length === 0) break;
        const to = pick(r, [...names, 'nope']);
        const kind = int(r, 5);
        if (kind === 0) svc.depends_on = [...(Array.isArray(svc.depends_on) ? svc.depends_on : []), to];
        else if (kind === 1)
          svc.depends_on = {
            [to]: {
              condition: pick(r, [
                'service_started',
                'service_healthy',
                'service_completed_successfully',
                'bogus',
              ]),
              required: r() < 0.8,
            },
          };
        else if (kind === 2) svc.extends = r() < 0.5 ? to : { service: to };
        else if (kind === 3) svc.network_mode = `service:${to}`;
        else svc.volumes_from = [to];
        break;
      }
      case 5: {
        // graft a subtree of another seed
        const other = parseOr(pick(r, seeds.stacks));
        const cs = containers(other);
        if (cs.length && isObj(svc)) svc[pick(r, SERVICE_KEYS)] = pick(r, cs);
        break;
      }
      case 6: {
        // many copies of one service (size), or a chain of them (depth)
        if (!isObj(svc) || !isObj(root.services)) break;
        const n = pick(r, [10, 100, 400]);
        const chain = r() < 0.5;
        for (let i = 0; i < n; i++)
          (root.services as Obj)[`gen${i}`] = {
            ...svc,
            ...(chain && i > 0 ? { depends_on: [`gen${i - 1}`] } : {}),
          };
        break;
      }
      default:
        if (isObj(svc))
          svc.ports = [
            pick(r, TOKENS),
            pick(r, ['1-65535:1-65535', '8000-8100:8000-8100', '80', '0.0.0.0:80:80']),
          ];
    }
  }
  try {
    return stringify(root, { aliasDuplicateObjects: r() < 0.5, lineWidth: 0 });
  } catch {
    return undefined;
  }
}

function parseOr(text: string): unknown {
  try {
    return parse(text, { maxAliasCount: 100, logLevel: 'silent' });
  } catch {
    return {};
  }
}

function mutateText(r: Rand, text: string, seeds: Seeds): string {
  let lines = text.split('\n');
  for (let n = r() < 0.7 ? 1 : 2; n > 0; n--) {
    const i = int(r, lines.length);
    switch (int(r, 9)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, ...Array(1 + int(r, 3)).fill(lines[i] ?? ''));
        break;
      case 2: {
        const j = int(r, lines.length);
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        break;
      }
      case 3: {
        const l = lines[i] ?? '';
        const at = int(r, l.length + 1);
        lines[i] = `${l.slice(0, at)}${pick(r, TOKENS)}${l.slice(at)}`;
        break;
      }
      case 4: {
        const l = lines[i] ?? '';
        lines[i] = r() < 0.5 ? `  ${l}` : l.replace(/^ {1,2}/, '');
        break;
      }
      case 5: {
        // replace a scalar after `key: ` or `- `
        lines[i] = (lines[i] ?? '').replace(/(:\s+|-\s+)(\S.*)$/, (_, p: string) => `${p}${pick(r, TOKENS)}`);
        break;
      }
      case 6: {
        const l = lines[i] ?? '';
        const at = int(r, l.length + 1);
        lines[i] = l.slice(0, at) + l.slice(at + 1 + int(r, 5));
        break;
      }
      case 7: {
        const other = pick(r, seeds.stacks).split('\n');
        const from = int(r, other.length);
        lines.splice(i, 0, ...other.slice(from, from + 1 + int(r, 8)));
        break;
      }
      default:
        // an anchor bomb, a deep nest, or a long line
        lines.splice(
          i,
          0,
          pick(r, [
            `x-b: &b0 [${'x,'.repeat(9)}x]\nx-c: &b1 [${'*b0,'.repeat(9)}*b0]\nx-d: &b2 [${'*b1,'.repeat(9)}*b1]\nx-e: [${'*b2,'.repeat(9)}*b2]`,
            `x-deep: ${'['.repeat(1 + int(r, 3000))}`,
            `x-long: ${'y'.repeat(int(r, 200_000))}`,
          ]),
        );
    }
  }
  if (lines.length > 5000) lines = lines.slice(0, 5000);
  return lines.join('\n');
}

export interface Case {
  /** file name (relative to the case folder) → content; `compose.yaml` is the stack file. */
  files: Record<string, string>;
  env: Record<string, string>;
  client?: string;
}

export function makeCase(seed: number, index: number, seeds: Seeds): Case {
  const r = rng((seed * 1_000_003 + index) >>> 0);
  // mostly files that load, so mutations reach past the first check; fixtures/bad keep the error paths busy
  const base = r() < 0.75 ? pick(r, seeds.good) : pick(r, seeds.stacks);
  const mutate = (t: string) => {
    let out = t;
    for (let n = r() < 0.7 ? 1 : 2; n > 0; n--) {
      out =
        r() < 0.6 ? (mutateStructure(r, out, seeds) ?? mutateText(r, out, seeds)) : mutateText(r, out, seeds);
    }
    return out;
  };
  const files: Record<string, string> = { 'compose.yaml': mutate(base) };
  // sometimes a second file next to it, referred to in one of the ways the loader follows
  const extra = int(r, 6);
  if (extra === 0) {
    files['other.yaml'] = mutate(pick(r, seeds.stacks));
    files['compose.yaml'] =
      `include:\n  - ${pick(r, ['other.yaml', './other.yaml', 'compose.yaml', 'missing.yaml'])}\n${files['compose.yaml']}`;
  } else if (extra === 1) {
    files['base.yaml'] = mutate(pick(r, seeds.good));
    const names = serviceNames(parseOr(files['base.yaml']));
    const extends_ = { file: 'base.yaml', service: names.length ? pick(r, names) : 'nope' };
    const main = parseOr(files['compose.yaml']!);
    if (isObj(main) && isObj(main.services)) {
      // as a service of its own, or as the base of an existing one
      const own = Object.keys(main.services);
      const target = own.length && r() < 0.5 ? pick(r, own) : 'extra';
      const svc = main.services[target];
      main.services[target] = { ...(isObj(svc) ? svc : {}), extends: extends_ };
      files['compose.yaml'] = stringify(main, { lineWidth: 0 });
    } else {
      files['compose.yaml'] =
        `${files['compose.yaml']}\nx-ext:\n  extra:\n    extends: {file: base.yaml, service: ${extends_.service}}\n`;
    }
  } else if (extra === 2 && seeds.envs.length) {
    files['.env'] = mutateText(r, pick(r, seeds.envs), seeds);
  } else if (extra === 3 && seeds.envs.length) {
    files['svc.env'] = mutateText(r, pick(r, seeds.envs), seeds);
    files['compose.yaml'] = files['compose.yaml']!.replace(
      /^(\s+)image:.*$/m,
      (m, sp: string) => `${m}\n${sp}env_file: [svc.env]`,
    );
  } else if (extra === 4) {
    files['clients/acme.yaml'] = mutate(pick(r, seeds.stacks));
    files['clients/acme.env'] = 'CLIENT=acme\n';
  }
  return {
    files,
    env: { HOME: '/home/user', X: 'x', EMPTY: '' },
    client: files['clients/acme.yaml'] && r() < 0.8 ? 'acme' : undefined,
  };
}

export type Outcome =
  | { kind: 'loaded'; services: number }
  | { kind: 'refused'; message: string }
  /** Not a BerthError, a BerthError without exit 2 or without a file:line, or a different result from the cache. */
  | { kind: 'crash'; message: string };

function writeCase(dir: string, c: Case): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(c.files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
}

/** The errors a user would see, one per problem. */
const errorsOf = (e: BerthError): BerthError[] => (e instanceof BerthErrors ? e.errors : [e]);

/** Errors that are about the command line or the folder, not a line of a file: no position is expected. */
const NO_LINE = /^(no stack file in|unknown client|no such service|stack file .* (not found|is a directory))/;

function attempt(dir: string, c: Case): { outcome: Outcome; value?: unknown } {
  try {
    const stack = loadStack({
      files: [],
      cwd: dir,
      profiles: [],
      envFiles: [],
      env: c.env,
      client: c.client,
    });
    const g = buildGraph(stack);
    startOrder(g);
    levels(g);
    return { outcome: { kind: 'loaded', services: Object.keys(stack.services).length }, value: stack };
  } catch (e) {
    let shown = '';
    const code = reportError(e, (s) => {
      shown += s;
    });
    if (!(e instanceof BerthError)) return { outcome: { kind: 'crash', message: shown.trim() } };
    if (code !== ExitCode.BadInput)
      return { outcome: { kind: 'crash', message: `exit ${code}: ${shown.trim()}` } };
    const unplaced = errorsOf(e).find((one) => !one.pos && !NO_LINE.test(one.message));
    if (unplaced) return { outcome: { kind: 'crash', message: `no file:line: ${unplaced.message}` } };
    return { outcome: { kind: 'refused', message: shown.trim() } };
  }
}

/**
 * Loads a case twice: the first parse fills the parse cache, the second reads from it; both must agree.
 * `dir` is rewritten for every case.
 */
export function runCase(dir: string, c: Case): { outcome: Outcome; cpuMs: number } {
  writeCase(dir, c);
  const t0 = process.cpuUsage();
  const first = attempt(dir, c);
  const cpu = process.cpuUsage(t0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  if (first.outcome.kind === 'crash') return { outcome: first.outcome, cpuMs };
  const again = attempt(dir, c);
  const same =
    first.outcome.kind === again.outcome.kind &&
    (first.outcome.kind === 'loaded'
      ? isDeepStrictEqual(first.value, again.value)
      : (first.outcome as { message: string }).message === (again.outcome as { message: string }).message);
  if (!same) {
    const show = (o: Outcome) => (o.kind === 'loaded' ? 'loaded' : o.message.slice(0, 300));
    return {
      outcome: {
        kind: 'crash',
        message: `differs when read from the parse cache: ${show(first.outcome)} / ${show(again.outcome)}`,
      },
      cpuMs,
    };
  }
  return { outcome: first.outcome, cpuMs };
}

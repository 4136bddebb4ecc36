// The front of the pipeline: stack files on disk → one typed, validated Stack (see DESIGN.md, "Pipeline").
// load YAML with positions → interpolate → validate each file → extends → merge (+ client overlay) → normalize.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type BerthError, BerthErrors } from '../errors.js';
import { buildGraph } from '../graph/index.js';
import { FileReadError } from './bounded-read.js';
import { composeModels, composeSources } from './canonical.js';
import { loadClient } from './clients.js';
import { parseEnvFile } from './envfile.js';
import { resolveExtends } from './extends.js';
import { discoverFiles, readText, shownPath } from './files.js';
import { type IncludeEnv, resolveIncludes } from './include.js';
import { type Lookup, interpolate } from './interpolate.js';
import { interpolateTree } from './interpolate-tree.js';
import { enforceUnicity, mergeStacks, withoutResets } from './merge.js';
import { normalizeStack } from './normalize.js';
import { normalizeProjectName } from './project.js';
import { validateDoc } from './schema.js';
import { noteInput } from '../inputs/journal.js';
import { errorAt, type Path, parseSource, type SourceDoc, Sources } from './source.js';
import type { Stack } from '../model/stack.js';

export type { Service, Stack } from '../model/stack.js';

export interface LoadOptions {
  /** -f values; empty → default discovery in cwd (or --project-directory). */
  files: string[];
  cwd: string;
  projectName?: string;
  projectDirectory?: string;
  /** --profile values; COMPOSE_PROFILES from `env` is added. */
  profiles: string[];
  /** Services named on the command line (`berth up web`): their profiles are activated, as in Compose. */
  services?: string[];
  /** --env-file values; default: `.env` in the project directory. */
  envFiles: string[];
  /** Per-client overlay: clients/NAME.yaml + clients/NAME.env, or x-berth.clients.NAME. */
  client?: string;
  env: Record<string, string | undefined>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export function loadStack(opts: LoadOptions): Stack {
  const cwd = path.resolve(opts.cwd);
  const show = (abs: string) => shownPath(abs, cwd);
  const fileArgs =
    opts.files.length > 0
      ? opts.files
      : opts.env.COMPOSE_FILE
        ? opts.env.COMPOSE_FILE.split(opts.env.COMPOSE_PATH_SEPARATOR ?? path.delimiter).filter(Boolean)
        : [];
  const files =
    fileArgs.length > 0
      ? fileArgs.map((f) => path.resolve(cwd, f))
      : discoverFiles(opts.projectDirectory ? path.resolve(cwd, opts.projectDirectory) : cwd);
  const stackDir = path.dirname(files[0]!);
  const workingDir = opts.projectDirectory ? path.resolve(cwd, opts.projectDirectory) : stackDir;
  const warnings: string[] = [];
  const warned = new Set<string>();
  const warn = (w: string) => {
    if (!warned.has(w)) {
      warned.add(w);
      warnings.push(w);
    }
  };

  // Parse first: an inline client (x-berth.clients.NAME.env) feeds interpolation of the very files it is in.
  // Each document of a multi-document file is a layer of its own, merged in order as Compose does.
  const raws = files.flatMap((f) => documents(parseSource(f, show(f), readText(f, show(f)))));
  const shell: Lookup = (k) => (Object.hasOwn(opts.env, k) ? opts.env[k] : undefined);
  const dotenv = loadDotEnv(opts, cwd, workingDir, shell, show);
  const client = opts.client ? loadClient(opts.client, stackDir, raws, shell, show) : undefined;
  const own = (o: Record<string, string | undefined> | undefined, k: string) =>
    o && Object.hasOwn(o, k) ? o[k] : undefined;
  const given: Lookup = (k) => own(opts.env, k) ?? own(client?.env, k) ?? own(dotenv, k);
  const layers: SourceDoc[] = [...raws, ...(client?.overlay ? documents(client.overlay) : [])];

  // The name is settled before interpolation: Compose offers it to the files as COMPOSE_PROJECT_NAME.
  const name = stackName(opts, layers, workingDir, (k) => own(opts.env, k) ?? own(dotenv, k), given);
  const project = client ? `${name}-${normalizeProjectName(client.name, '--client')}` : name;
  const lookup: Lookup = (k) => (k === 'COMPOSE_PROJECT_NAME' ? project : given(k));

  const errors: BerthError[] = [];
  const sources = new Sources();
  const interpolated = new Map<string, SourceDoc>();
  const prepare = (doc: SourceDoc, lk: Lookup = lookup): SourceDoc => {
    doc.value = interpolateTree(doc, lk, warn, errors);
    // A key tagged `!reset` is gone, whatever it was written with: `build: !reset null` is valid.
    validateDoc({ ...doc, value: withoutResets(doc.value, doc.reset) }, errors, warn);
    return doc;
  };
  // As compose-go: an included file sees the variables of the shell and .env first, then its include's.
  const lookupOf = (env: IncludeEnv | undefined): Lookup =>
    env ? (k) => lookup(k) ?? (Object.hasOwn(env.vars, k) ? env.vars[k] : undefined) : lookup;
  const loadOther = (abs: string, from: SourceDoc, at: Path, env?: IncludeEnv): SourceDoc => {
    const cacheKey = env ? `${abs}\0${env.key}` : abs;
    const hit = interpolated.get(cacheKey);
    if (hit) return hit;
    let text: string;
    try {
      text = readText(abs, show(abs));
    } catch (e) {
      const reason = e instanceof FileReadError ? e.reason : undefined;
      throw errorAt(from, at, (e as BerthError).message, {
        hint: reason === 'missing' ? 'check the path (relative to this file)' : (e as BerthError).hint,
      });
    }
    const d = prepare(parseSource(abs, show(abs), text), lookupOf(env));
    interpolated.set(cacheKey, d);
    sources.add(d);
    // Another file's further documents are merged into its first: it is referred to as one file.
    for (const more of d.more ?? []) {
      prepare(more, lookupOf(env));
      sources.add(more);
      d.value = mergeStacks(d.value, more.value ?? {}, more);
    }
    resolveExtends(d, loadOther, errors);
    return d;
  };

  for (const doc of layers) {
    interpolated.set(doc.file, doc);
    prepare(doc);
  }
  throwIf(errors);
  const serviceLookups = new Map<string, Lookup>();
  const includeEnv = (e: Obj, from: SourceDoc, at: Path, projectDir: string, parent?: IncludeEnv) => {
    const files = e.env_file === undefined || e.env_file === null ? [] : [e.env_file].flat().map(String);
    const paths = files.map((f) => path.resolve(path.dirname(from.file), f));
    // no env_file: the .env of the included project's directory, when there is one (as compose-go)
    const dotEnv = path.join(projectDir, '.env');
    noteInput(dotEnv);
    if (paths.length === 0 && existsSync(dotEnv)) paths.push(path.join(projectDir, '.env'));
    if (paths.length === 0) return parent;
    const parentLookup = lookupOf(parent);
    const vars: Record<string, string> = {};
    for (const abs of paths) {
      let text: string;
      try {
        text = readText(abs, show(abs), 'env file');
      } catch (err) {
        throw errorAt(from, files.length ? [...at, 'env_file'] : at, (err as BerthError).message, {
          hint: 'check the path (relative to this file)',
        });
      }
      Object.assign(
        vars,
        parseEnvFile(
          text,
          show(abs),
          (k) => parentLookup(k) ?? (Object.hasOwn(vars, k) ? vars[k] : undefined),
        ),
      );
    }
    // the including file's variables win over the include's own (compose-go merges only missing keys)
    const merged = { ...vars, ...(parent?.vars ?? {}) };
    return { key: JSON.stringify(merged), vars: merged };
  };
  const applyIncludes = (doc: SourceDoc, chain: string[]) =>
    resolveIncludes(doc, chain, {
      loadOther,
      errors,
      show,
      includeEnv,
      onIncluded: (names, env) => {
        for (const n of names) if (!serviceLookups.has(n)) serviceLookups.set(n, lookupOf(env));
      },
    });
  for (const doc of layers) {
    resolveExtends(doc, loadOther, errors);
    applyIncludes(doc, [doc.file]);
    sources.add(doc);
  }
  throwIf(errors);

  let model: unknown = {};
  for (const doc of layers) model = mergeStacks(model, doc.value ?? {}, doc);
  const m = (isObj(model) ? enforceUnicity(model) : {}) as Obj;

  // As Compose: naming a service on the command line activates its profiles.
  const services = isObj(m.services) ? m.services : {};
  const targeted = (opts.services ?? []).flatMap((n) => {
    const svc = Object.hasOwn(services, n) ? services[n] : undefined;
    return isObj(svc) && Array.isArray(svc.profiles) ? svc.profiles.map(String) : [];
  });
  const profiles = [
    ...opts.profiles,
    ...(opts.env.COMPOSE_PROFILES ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    ...targeted,
  ];
  // As Compose: only the services a verb runs (and what they need) have their env files read.
  const needed = opts.services?.length ? withDependencies(services, opts.services) : undefined;
  const stack = normalizeStack(m, {
    sources,
    workingDir,
    name,
    project,
    client: client?.name,
    profiles,
    lookup,
    lookupFor: (service) => serviceLookups.get(service),
    readsEnvFiles: needed ? (service) => needed.has(service) : undefined,
    // stack files and overlays in merge order, then files pulled in by include / extends
    files: [...new Set([...layers, ...sources.docs].map((d) => d.file).filter((f) => !f.includes('#')))],
    warnings,
    show,
  });
  buildGraph(stack);
  composeModels.set(stack, m);
  composeSources.set(stack, sources);
  return stack;
}

function throwIf(errors: BerthError[]) {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new BerthErrors(errors);
}

/** A parsed file as layers: its first document, then any further ones (`---`). */
const documents = (doc: SourceDoc): SourceDoc[] => [doc, ...(doc.more ?? [])];

/**
 * -p, else COMPOSE_PROJECT_NAME (shell, then .env), else the last `name:` of the files (interpolated), else
 * the directory name.
 */
function stackName(
  opts: LoadOptions,
  layers: SourceDoc[],
  workingDir: string,
  env: Lookup,
  lookup: Lookup,
): string {
  if (opts.projectName) return normalizeProjectName(opts.projectName, '-p');
  const fromEnv = env('COMPOSE_PROJECT_NAME');
  if (fromEnv) return normalizeProjectName(fromEnv, 'COMPOSE_PROJECT_NAME');
  let named: { doc: SourceDoc; name: string } | undefined;
  for (const doc of layers) {
    const raw = isObj(doc.value) ? doc.value.name : undefined;
    // a name that is not a scalar is reported by the schema, at its line
    if (raw === undefined || raw === null || typeof raw === 'object') continue;
    try {
      const name = interpolate(String(raw), lookup, () => {});
      if (name !== '') named = { doc, name };
    } catch {
      // a bad template is reported, with its line, when the file is interpolated
    }
  }
  if (named) {
    try {
      return normalizeProjectName(named.name, 'name');
    } catch (e) {
      throw errorAt(named.doc, ['name'], (e as BerthError).message.replace(/^name: /, ''), {
        hint: (e as BerthError).hint,
      });
    }
  }
  return normalizeProjectName(path.basename(workingDir), 'the directory name', true);
}

/**
 * The named services and everything they need to run (depends_on, links, volumes_from, and
 * network_mode/ipc/pid `service:`), from the merged model.
 */
function withDependencies(services: Obj, names: string[]): Set<string> {
  const out = new Set<string>();
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v == null ? [] : [v]);
  const visit = (n: string) => {
    if (out.has(n)) return;
    out.add(n);
    const s = Object.hasOwn(services, n) ? services[n] : undefined;
    if (!isObj(s)) return;
    const deps = [
      ...(isObj(s.depends_on) ? Object.keys(s.depends_on) : list(s.depends_on).map(String)),
      ...list(s.links).map((l) => String(l).split(':')[0]!),
      ...list(s.volumes_from)
        .map(String)
        .filter((v) => !v.startsWith('container:'))
        .map((v) => v.replace(/^service:/, '').split(':')[0]!),
      ...['network_mode', 'ipc', 'pid']
        .map((k) => s[k])
        .filter((v): v is string => typeof v === 'string' && v.startsWith('service:'))
        .map((v) => v.slice('service:'.length)),
    ];
    for (const d of deps) visit(d);
  };
  for (const n of names) visit(n);
  return out;
}

function loadDotEnv(
  opts: LoadOptions,
  cwd: string,
  workingDir: string,
  shell: Lookup,
  show: (a: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (opts.envFiles.length > 0) {
    for (const f of opts.envFiles) {
      const abs = path.resolve(cwd, f);
      Object.assign(
        out,
        parseEnvFile(
          readText(abs, show(abs), 'env file'),
          show(abs),
          (k) => shell(k) ?? (Object.hasOwn(out, k) ? out[k] : undefined),
        ),
      );
    }
    return out;
  }
  const def = path.join(workingDir, '.env');
  let text: string;
  try {
    text = readText(def, show(def), 'env file');
  } catch (e) {
    // no .env is the normal case (as in Compose); one that cannot be read is still an error
    if (e instanceof FileReadError && (e.reason === 'missing' || e.reason === 'directory')) return out;
    throw e;
  }
  return parseEnvFile(text, show(def), shell);
}

export { listClients } from './clients.js';

// The front of the pipeline: stack files on disk → one typed, validated Stack (see DESIGN.md, "Pipeline").
// load YAML with positions → interpolate → validate each file → extends → merge (+ client overlay) → normalize.
import path from 'node:path';
import { type BerthError, BerthErrors } from '../errors.js';
import { buildGraph } from '../graph/index.js';
import { loadClient } from './clients.js';
import { parseEnvFile } from './envfile.js';
import { resolveExtends } from './extends.js';
import { discoverFiles, readText, shownPath } from './files.js';
import { resolveIncludes } from './include.js';
import type { Lookup } from './interpolate.js';
import { interpolateTree } from './interpolate-tree.js';
import { mergeStacks } from './merge.js';
import { normalizeStack } from './normalize.js';
import { normalizeProjectName } from './project.js';
import { validateDoc } from './schema.js';
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
  const raws = files.map((f) => parseSource(f, show(f), readText(f, show(f))));
  const shell: Lookup = (k) => (Object.hasOwn(opts.env, k) ? opts.env[k] : undefined);
  const dotenv = loadDotEnv(opts, cwd, workingDir, shell, show);
  const client = opts.client ? loadClient(opts.client, stackDir, raws, shell, show) : undefined;
  const own = (o: Record<string, string | undefined> | undefined, k: string) =>
    o && Object.hasOwn(o, k) ? o[k] : undefined;
  const lookup: Lookup = (k) => own(opts.env, k) ?? own(client?.env, k) ?? own(dotenv, k);

  const errors: BerthError[] = [];
  const sources = new Sources();
  const interpolated = new Map<string, SourceDoc>();
  const prepare = (doc: SourceDoc): SourceDoc => {
    doc.value = interpolateTree(doc, lookup, warn, errors);
    validateDoc(doc, errors, warn);
    return doc;
  };
  const loadOther = (abs: string, from: SourceDoc, at: Path): SourceDoc => {
    const hit = interpolated.get(abs);
    if (hit) return hit;
    let text: string;
    try {
      text = readText(abs, show(abs));
    } catch (e) {
      throw errorAt(from, at, (e as BerthError).message, {
        hint: 'check the path (relative to this file)',
      });
    }
    const d = prepare(parseSource(abs, show(abs), text));
    interpolated.set(abs, d);
    sources.add(d);
    resolveExtends(d, loadOther, errors);
    return d;
  };

  const layers: SourceDoc[] = [...raws];
  if (client?.overlay) layers.push(client.overlay);
  for (const doc of layers) {
    interpolated.set(doc.file, doc);
    prepare(doc);
  }
  throwIf(errors);
  const applyIncludes = (doc: SourceDoc, chain: string[]) =>
    resolveIncludes(doc, chain, { loadOther, errors, show });
  for (const doc of layers) {
    resolveExtends(doc, loadOther, errors);
    applyIncludes(doc, [doc.file]);
    sources.add(doc);
  }
  throwIf(errors);

  let model: unknown = {};
  for (const doc of layers) model = mergeStacks(model, doc.value ?? {}, doc);
  const m = isObj(model) ? model : {};

  const name = stackName(opts, m, workingDir, sources);
  const project = client ? `${name}-${normalizeProjectName(client.name, '--client')}` : name;
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
  const stack = normalizeStack(m, {
    sources,
    workingDir,
    name,
    project,
    client: client?.name,
    profiles,
    lookup,
    // stack files and overlays in merge order, then files pulled in by include / extends
    files: [...new Set([...layers, ...sources.docs].map((d) => d.file).filter((f) => !f.includes('#')))],
    warnings,
    show,
  });
  buildGraph(stack);
  return stack;
}

function throwIf(errors: BerthError[]) {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new BerthErrors(errors);
}

function stackName(opts: LoadOptions, m: Obj, workingDir: string, sources: Sources): string {
  if (opts.projectName) return normalizeProjectName(opts.projectName, '-p');
  const fromEnv = opts.env.COMPOSE_PROJECT_NAME;
  if (fromEnv) return normalizeProjectName(fromEnv, 'COMPOSE_PROJECT_NAME');
  if (m.name !== undefined && m.name !== null && String(m.name) !== '') {
    try {
      return normalizeProjectName(String(m.name), 'name');
    } catch (e) {
      throw sources.error(['name'], (e as BerthError).message.replace(/^name: /, ''), {
        hint: (e as BerthError).hint,
      });
    }
  }
  return normalizeProjectName(path.basename(workingDir), 'the directory name', true);
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
  } catch {
    return out;
  }
  return parseEnvFile(text, show(def), shell);
}

export { listClients } from './clients.js';

// The front of the pipeline: stack files on disk → one typed, validated Stack (see DESIGN.md, "Pipeline").
// load YAML with positions → interpolate → validate each file → extends → merge (+ client overlay) → normalize.
import path from 'node:path';
import { type BerthError, BerthErrors, badInput } from '../errors.js';
import { buildGraph } from '../graph/index.js';
import { parseEnvFile } from './envfile.js';
import { rebase, resolveExtends } from './extends.js';
import { clientFilesIn, discoverFiles, readText, shownPath } from './files.js';
import { InterpolationError, interpolate, type Lookup } from './interpolate.js';
import { mergeStacks } from './merge.js';
import { normalizeStack } from './normalize.js';
import { normalizeProjectName } from './project.js';
import { validateDoc } from './schema.js';
import { errorAt, type Path, parseSource, type SourceDoc, Sources } from './source.js';
import type { Stack } from './types.js';

export type { Service, Stack } from './types.js';

export interface LoadOptions {
  /** -f values; empty → default discovery in cwd (or --project-directory). */
  files: string[];
  cwd: string;
  projectName?: string;
  projectDirectory?: string;
  /** --profile values; COMPOSE_PROFILES from `env` is added. */
  profiles: string[];
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
  // `include`: each included file is a stack of its own (paths relative to its directory), merged under the
  // including file; a service defined in both is a conflict, as in Compose.
  const applyIncludes = (doc: SourceDoc, chain: string[]) => {
    const v = doc.value;
    if (!isObj(v) || v.include === undefined || v.include === null) return;
    const entries = Array.isArray(v.include) ? v.include : [v.include];
    let included: Obj = {};
    entries.forEach((entry, i) => {
      const e: Obj = isObj(entry) ? entry : { path: entry };
      const paths = Array.isArray(e.path) ? e.path : [e.path];
      for (const p of paths) {
        const abs = path.resolve(path.dirname(doc.file), String(p));
        if (chain.includes(abs)) {
          const names = [...chain, abs].map((f) => show(f));
          errors.push(
            errorAt(doc, ['include', i], `include loops: ${names.join(' → ')}`, {
              hint: 'remove one include',
            }),
          );
          continue;
        }
        let inc: SourceDoc;
        try {
          inc = loadOther(abs, doc, ['include', i]);
        } catch (err) {
          errors.push(err as BerthError);
          continue;
        }
        applyIncludes(inc, [...chain, abs]);
        const dir = e.project_directory
          ? path.resolve(path.dirname(doc.file), String(e.project_directory))
          : path.dirname(abs);
        included = mergeStacks(included, rebaseModel(inc.value, dir)) as Obj;
      }
    });
    const { include: _drop, ...own } = v;
    const theirs = isObj(included.services) ? included.services : {};
    for (const name of Object.keys(isObj(own.services) ? own.services : {})) {
      if (Object.hasOwn(theirs, name)) {
        errors.push(
          errorAt(doc, ['services', name], `service \`${name}\` is also defined in an included file`, {
            kind: 'key',
            hint: 'rename one of them, or merge files with -f instead of include',
          }),
        );
      }
    }
    doc.value = mergeStacks(included, own);
  };
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
  const profiles = [
    ...opts.profiles,
    ...(opts.env.COMPOSE_PROFILES ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
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

/** An included file's relative paths resolve against its own directory, before it joins the includer. */
function rebaseModel(value: unknown, dir: string): Obj {
  if (!isObj(value)) return {};
  const out: Obj = { ...value };
  if (isObj(value.services)) {
    out.services = Object.fromEntries(
      Object.entries(value.services).map(([k, svc]) => [k, isObj(svc) ? rebase(svc, dir) : svc]),
    );
  }
  for (const kind of ['secrets', 'configs']) {
    const defs = value[kind];
    if (!isObj(defs)) continue;
    out[kind] = Object.fromEntries(
      Object.entries(defs).map(([k, d]) => [
        k,
        isObj(d) && typeof d.file === 'string' ? { ...d, file: path.resolve(dir, d.file) } : d,
      ]),
    );
  }
  return out;
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

interface Client {
  name: string;
  env: Record<string, string>;
  overlay?: SourceDoc;
}

function inlineClients(raws: SourceDoc[]): Map<string, { doc: SourceDoc; value: Obj }> {
  const out = new Map<string, { doc: SourceDoc; value: Obj }>();
  for (const doc of raws) {
    const xb = isObj(doc.value) ? (doc.value as Obj)['x-berth'] : undefined;
    const clients = isObj(xb) ? xb.clients : undefined;
    if (isObj(clients))
      for (const [k, v] of Object.entries(clients)) out.set(k, { doc, value: isObj(v) ? v : {} });
  }
  return out;
}

function loadClient(
  name: string,
  stackDir: string,
  raws: SourceDoc[],
  shell: Lookup,
  show: (a: string) => string,
): Client {
  const inline = inlineClients(raws).get(name);
  const onDisk = clientFilesIn(stackDir);
  if (!inline && !onDisk.includes(name)) {
    const known = [...new Set([...onDisk, ...inlineClients(raws).keys()])].sort();
    throw badInput(`unknown client \`${name}\``, {
      hint: known.length
        ? `known clients: ${known.join(', ')}`
        : `no clients defined: add clients/${name}.yaml or clients/${name}.env next to the stack file, or x-berth.clients.${name}`,
    });
  }
  const env: Record<string, string> = {};
  let overlay: SourceDoc | undefined;
  if (inline) {
    const e = inline.value.env;
    if (isObj(e))
      for (const [k, v] of Object.entries(e)) env[k] = v === null || v === undefined ? '' : String(v);
    if (isObj(inline.value.overlay))
      overlay = reroot(inline.doc, ['x-berth', 'clients', name, 'overlay'], inline.value.overlay, name);
  }
  for (const ext of ['env']) {
    const f = path.join(stackDir, 'clients', `${name}.${ext}`);
    let text: string | undefined;
    try {
      text = readText(f, show(f), 'client env file');
    } catch {
      text = undefined;
    }
    if (text !== undefined)
      Object.assign(
        env,
        parseEnvFile(text, show(f), (k) => shell(k) ?? (Object.hasOwn(env, k) ? env[k] : undefined)),
      );
  }
  for (const ext of ['yaml', 'yml']) {
    const f = path.join(stackDir, 'clients', `${name}.${ext}`);
    let text: string | undefined;
    try {
      text = readText(f, show(f), 'client overlay');
    } catch {
      continue;
    }
    if (overlay) {
      throw badInput(
        `client \`${name}\` has an overlay both in ${show(f)} and in x-berth.clients.${name}.overlay`,
        {
          hint: 'keep one of the two',
        },
      );
    }
    overlay = parseSource(f, show(f), text);
    break;
  }
  return { name, env, overlay };
}

/** An inline overlay is a fragment of a bigger file: give it its own root but keep the positions. */
function reroot(doc: SourceDoc, prefix: string[], value: Obj, name: string): SourceDoc {
  const p = `${prefix.join('\0')}\0`;
  const where = new Map<string, { key?: [number, number]; value?: [number, number] }>();
  for (const [k, w] of doc.where) {
    if (k.startsWith(p)) where.set(k.slice(p.length), w);
    else if (k === prefix.join('\0')) where.set('', w);
  }
  const strip = (set: Set<string>) =>
    new Set([...set].filter((k) => k.startsWith(p)).map((k) => k.slice(p.length)));
  return {
    ...doc,
    file: `${doc.file}#${name}`,
    value: structuredClone(value),
    where,
    reset: strip(doc.reset),
    override: strip(doc.override),
  };
}

/** Interpolate every string value of a file (keys stay as written, like Compose). */
function interpolateTree(
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

export { listClients } from './clients.js';

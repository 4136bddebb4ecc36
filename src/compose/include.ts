// Top-level `include`: each included file is a stack of its own (relative paths resolve against its own
// directory), merged under the including file; a service defined in both is a conflict, as in Compose.
import path from 'node:path';
import type { BerthError } from '../errors.js';
import { rebase } from './extends.js';
import { mergeStacks } from './merge.js';
import { errorAt, type Path, type SourceDoc } from './source.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The variables an `include` entry gives its files (its `env_file`, else the `.env` of its project directory). */
export interface IncludeEnv {
  /** Distinguishes two includes of one file with different variables (the parse is cached per file and key). */
  key: string;
  vars: Record<string, string>;
}

export interface IncludeDeps {
  /** Parse, interpolate, validate and resolve `extends` of another file (cached by path and variables). */
  loadOther: (abs: string, from: SourceDoc, at: Path, env?: IncludeEnv) => SourceDoc;
  /** The variables of one include entry, on top of those of the include it is in (`parent`). */
  includeEnv?: (
    entry: Obj,
    from: SourceDoc,
    at: Path,
    projectDir: string,
    parent?: IncludeEnv,
  ) => IncludeEnv | undefined;
  /** The services an include brought in, with its variables (their env files are read with them). */
  onIncluded?: (services: string[], env: IncludeEnv) => void;
  errors: BerthError[];
  show: (abs: string) => string;
}

interface Frame {
  doc: SourceDoc;
  /** Every file path named by the entries of its `include`, with the entry's index and directory. */
  todo: Array<{ i: number; p: unknown; e: Obj }>;
  next: number;
  included: Obj;
  /** The file this frame put on the chain (undefined for the first). */
  abs?: string;
  /** The included file being resolved, merged in when its frame is done. */
  child?: { inc: SourceDoc; dir: string; env?: IncludeEnv };
  /** The variables of the include that brought this file in. */
  env?: IncludeEnv;
}

/**
 * Replaces `doc.value` by the merge of its includes and its own content. `chain` guards against loops.
 * Depth-first with an explicit stack: a long chain of files including each other must not overflow.
 */
export function resolveIncludes(doc: SourceDoc, chain: string[], deps: IncludeDeps): void {
  const { loadOther, errors, show } = deps;
  const trail = [...chain];
  const onChain = new Set(chain);
  const first = frameOf(doc);
  if (!first) return;
  const stack: Frame[] = [first];
  while (stack.length > 0) {
    const f = stack[stack.length - 1]!;
    if (f.child) {
      const services =
        isObj(f.child.inc.value) && isObj(f.child.inc.value.services) ? f.child.inc.value.services : {};
      if (f.child.env) deps.onIncluded?.(Object.keys(services), f.child.env);
      f.included = mergeStacks(f.included, rebaseModel(f.child.inc.value, f.child.dir)) as Obj;
      f.child = undefined;
    }
    const item = f.todo[f.next++];
    if (!item) {
      finish(f, errors);
      stack.pop();
      if (f.abs !== undefined) {
        trail.pop();
        onChain.delete(f.abs);
      }
      continue;
    }
    const { i, p, e } = item;
    const abs = path.resolve(path.dirname(f.doc.file), String(p));
    if (onChain.has(abs)) {
      const names = [...trail, abs].map((x) => show(x));
      errors.push(
        errorAt(f.doc, ['include', i], `include loops: ${names.join(' → ')}`, {
          hint: 'remove one include',
        }),
      );
      continue;
    }
    const dir = e.project_directory
      ? path.resolve(path.dirname(f.doc.file), String(e.project_directory))
      : path.dirname(abs);
    let inc: SourceDoc;
    let env: IncludeEnv | undefined;
    try {
      env = deps.includeEnv?.(e, f.doc, ['include', i], dir, f.env) ?? f.env;
      inc = loadOther(abs, f.doc, ['include', i], env);
    } catch (err) {
      errors.push(err as BerthError);
      continue;
    }
    f.child = { inc, dir, env };
    const sub = frameOf(inc);
    if (sub) {
      sub.env = env;
      sub.abs = abs;
      trail.push(abs);
      onChain.add(abs);
      stack.push(sub);
    }
  }
}

function frameOf(doc: SourceDoc): Frame | undefined {
  const v = doc.value;
  if (!isObj(v) || v.include === undefined || v.include === null) return undefined;
  const entries = Array.isArray(v.include) ? v.include : [v.include];
  const todo: Frame['todo'] = [];
  entries.forEach((entry, i) => {
    const e: Obj = isObj(entry) ? entry : { path: entry };
    const paths = Array.isArray(e.path) ? e.path : [e.path];
    for (const p of paths) todo.push({ i, p, e });
  });
  return { doc, todo, next: 0, included: {} };
}

/** All includes of a file are in: its own content goes on top, and a service defined twice is a conflict. */
function finish(f: Frame, errors: BerthError[]): void {
  const v = f.doc.value as Obj;
  const { include: _drop, ...own } = v;
  const theirs = isObj(f.included.services) ? f.included.services : {};
  for (const name of Object.keys(isObj(own.services) ? own.services : {})) {
    if (Object.hasOwn(theirs, name)) {
      errors.push(
        errorAt(f.doc, ['services', name], `service \`${name}\` is also defined in an included file`, {
          kind: 'key',
          hint: 'rename one of them, or merge files with -f instead of include',
        }),
      );
    }
  }
  f.doc.value = mergeStacks(f.included, own);
}

/**
 * Services whose paths are already absolute: in a chain of includes a service passes through every level
 * above its file, and rebasing it again would change nothing but cost a copy per level.
 */
const rebased = new WeakSet<object>();

/** An included file's relative paths resolve against its own directory, before it joins the includer. */
function rebaseModel(value: unknown, dir: string): Obj {
  if (!isObj(value)) return {};
  const out: Obj = { ...value };
  if (isObj(value.services)) {
    out.services = Object.fromEntries(
      Object.entries(value.services).map(([k, svc]) => {
        if (!isObj(svc) || rebased.has(svc)) return [k, svc];
        const r = rebase(svc, dir);
        rebased.add(r);
        return [k, r];
      }),
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

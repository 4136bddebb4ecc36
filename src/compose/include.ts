// Top-level `include`: each included file is a stack of its own (relative paths resolve against its own
// directory), merged under the including file; a service defined in both is a conflict, as in Compose.
import path from 'node:path';
import type { BerthError } from '../errors.js';
import { rebase } from './extends.js';
import { mergeStacks } from './merge.js';
import { errorAt, type Path, type SourceDoc } from './source.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface IncludeDeps {
  /** Parse, interpolate, validate and resolve `extends` of another file (cached by path). */
  loadOther: (abs: string, from: SourceDoc, at: Path) => SourceDoc;
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
  child?: { inc: SourceDoc; dir: string };
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
    let inc: SourceDoc;
    try {
      inc = loadOther(abs, f.doc, ['include', i]);
    } catch (err) {
      errors.push(err as BerthError);
      continue;
    }
    const dir = e.project_directory
      ? path.resolve(path.dirname(f.doc.file), String(e.project_directory))
      : path.dirname(abs);
    f.child = { inc, dir };
    const sub = frameOf(inc);
    if (sub) {
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

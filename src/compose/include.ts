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

/** Replaces `doc.value` by the merge of its includes and its own content. `chain` guards against loops. */
export function resolveIncludes(doc: SourceDoc, chain: string[], deps: IncludeDeps): void {
  const { loadOther, errors, show } = deps;
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
      resolveIncludes(inc, [...chain, abs], deps);
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

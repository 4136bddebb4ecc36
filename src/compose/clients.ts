// Per-client overlays: clients/NAME.yaml|.env next to the first stack file, or x-berth.clients.NAME inline.
import { createRequire } from 'node:module';
import path from 'node:path';
import { badInput } from '../errors.js';
import { FileReadError, readBounded } from './bounded-read.js';
import { parseEnvFile } from './envfile.js';
import { clientFilesIn, discoverFiles, readText } from './files.js';
import type { Lookup } from './interpolate.js';
import { parseSource, type SourceDoc } from './source.js';
import type { Stack } from '../model/stack.js';

export function listClients(stackDirOrStack: string | Stack): string[] {
  let files: string[];
  let dir: string;
  if (typeof stackDirOrStack === 'string') {
    dir = path.resolve(stackDirOrStack);
    try {
      files = discoverFiles(dir);
    } catch {
      files = [];
    }
  } else {
    files = stackDirOrStack.files;
    dir = path.dirname(files[0] ?? stackDirOrStack.workingDir);
  }
  const names = new Set(clientFilesIn(dir));
  for (const f of files) {
    if (path.basename(path.dirname(f)) === 'clients') continue;
    try {
      const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
      const v = parse(readBounded(f, f, 'stack file')) as {
        'x-berth'?: { clients?: Record<string, unknown> };
      } | null;
      const c = v?.['x-berth']?.clients;
      if (c && typeof c === 'object') for (const k of Object.keys(c)) names.add(k);
    } catch {
      // a broken file has no clients to list; loading it reports the error properly
    }
  }
  return [...names].sort();
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export interface Client {
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

export function loadClient(
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
    } catch (e) {
      if (!(e instanceof FileReadError && e.reason === 'missing')) throw e;
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
    } catch (e) {
      if (!(e instanceof FileReadError && e.reason === 'missing')) throw e;
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

// Names of the clients a stack knows: clients/*.yaml|*.env next to the first stack file, and x-berth.clients.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { clientFilesIn, discoverFiles } from './files.js';
import type { Stack } from './types.js';

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
      const v = parse(readFileSync(f, 'utf8')) as {
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

// Client overlays as the clients feature relies on them: project naming, variable precedence, merging, and
// errors that point into the overlay file when the problem is there.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BerthError } from '../../src/errors.js';
import { listClients, loadStack } from '../../src/compose/index.js';

const root = mkdtempSync(path.join(tmpdir(), 'berth-overlay-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function stackDir(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const load = (cwd: string, client?: string, env: Record<string, string> = {}) =>
  loadStack({ files: [], cwd, profiles: [], envFiles: [], client, env });

const base = `name: shop
services:
  web:
    image: berth/busybox:latest
    environment:
      CLIENT: \${CLIENT:-none}
      DB_NAME: \${DB_NAME:-shop}
      TIER: basic
x-berth:
  clients:
    initech:
      env:
        CLIENT: initech
`;

describe('client overlays', () => {
  const dir = stackDir('ok', {
    'berth.yaml': base,
    '.env': 'DB_NAME=from-dotenv\nCLIENT=from-dotenv\n',
    'clients/acme.env': 'CLIENT=acme\n',
    'clients/globex.env': 'CLIENT=globex\nDB_NAME=globex_db\n',
    'clients/globex.yaml': 'services:\n  web:\n    environment:\n      TIER: gold\n',
  });

  test('project <stack>-<client>, client env before .env, overlay merged over the base', () => {
    const acme = load(dir, 'acme');
    expect([acme.name, acme.client, acme.project]).toEqual(['shop', 'acme', 'shop-acme']);
    expect(acme.services.web!.environment).toMatchObject({
      CLIENT: 'acme',
      DB_NAME: 'from-dotenv',
      TIER: 'basic',
    });
    const globex = load(dir, 'globex');
    expect(globex.project).toBe('shop-globex');
    expect(globex.services.web!.environment).toMatchObject({
      CLIENT: 'globex',
      DB_NAME: 'globex_db',
      TIER: 'gold',
    });
    expect(globex.files.map((f) => path.relative(dir, f))).toEqual(['berth.yaml', 'clients/globex.yaml']);
  });

  test('the shell environment still wins over the client env', () => {
    expect(load(dir, 'acme', { CLIENT: 'shell' }).services.web!.environment.CLIENT).toBe('shell');
  });

  test('inline clients under x-berth.clients work like files', () => {
    const s = load(dir, 'initech');
    expect(s.project).toBe('shop-initech');
    expect(s.services.web!.environment.CLIENT).toBe('initech');
  });

  test('no client: the plain stack, project <stack>', () => {
    expect(load(dir).project).toBe('shop');
  });

  test('listClients knows file and inline clients', () => {
    expect(listClients(dir)).toEqual(['acme', 'globex', 'initech']);
  });
});

describe('errors in overlays point into the overlay', () => {
  test('an unknown key in clients/NAME.yaml is reported at that file and line', () => {
    const dir = stackDir('bad', {
      'berth.yaml': base,
      'clients/acme.yaml': 'services:\n  web:\n    portz:\n      - "8080:80"\n',
    });
    let err: unknown;
    try {
      load(dir, 'acme');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BerthError);
    const e = err as BerthError & { errors?: BerthError[] };
    const first = e.errors?.[0] ?? e;
    expect(first.pos?.file).toMatch(/clients[/\\]acme\.yaml$/);
    expect(first.pos?.line).toBe(3);
    expect(first.exitCode).toBe(2);
  });

  test('an unknown client names the known ones', () => {
    const dir = stackDir('unknown', { 'berth.yaml': base, 'clients/acme.env': 'CLIENT=acme\n' });
    expect(() => load(dir, 'nope')).toThrow(/unknown client/);
    try {
      load(dir, 'nope');
    } catch (e) {
      expect((e as BerthError).hint).toMatch(/acme, initech/);
    }
  });
});

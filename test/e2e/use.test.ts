// `berth use`: the active client is recorded next to the stack, the other clients are stopped (kept), and
// switching back starts the same containers with their data.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  berth,
  berthOk,
  containersOf,
  copyStack,
  httpGet,
  portInto,
  type StackCopy,
} from './clients-support.js';
import { execIn } from './helpers.js';

let shop: StackCopy;
let port: number;

beforeAll(async () => {
  shop = copyStack('clients/shop', 'use');
  // Every client of the stack publishes the same host port: the reason `use` stops the others first.
  port = await portInto(shop, 'SHOP_PORT');
});
afterAll(() => shop?.cleanup());

const catInDb = (project: string, file: string) => execIn(project, 'db', ['cat', file]);

const allIn = (m: Map<string, { state: string }>, state: string) =>
  [...m.values()].every((c) => c.state === state);

test('berth use without a name lists the known clients and says none is active', async () => {
  const r = await berthOk(['use', '--format', 'json'], shop.dir);
  const out = JSON.parse(r.stdout);
  expect(out.stack).toBe(shop.name);
  expect(out.active).toBeNull();
  expect(out.clients.map((c: { name: string }) => c.name)).toEqual(['acme', 'globex', 'initech']);
});

test('use acme, use globex, use acme: each client answers with its own settings and data, switching back is a start', async () => {
  await berthOk(['use', 'acme'], shop.dir);
  expect(await httpGet(`http://127.0.0.1:${port}/`)).toBe('client=acme db=acme_db tier=basic\n');
  const state = JSON.parse(readFileSync(path.join(shop.dir, '.berth', 'state.json'), 'utf8'));
  expect(state).toEqual({ activeClient: 'acme' });
  expect(readFileSync(path.join(shop.dir, '.berth', '.gitignore'), 'utf8')).toBe('*\n');
  const acme = await containersOf(shop.project('acme'));
  expect(acme.size).toBe(2);
  expect(allIn(acme, 'running')).toBe(true);

  // globex: its own overlay (tier=gold), its own database; acme's containers are stopped, not removed
  await berthOk(['use', 'globex'], shop.dir);
  expect(await httpGet(`http://127.0.0.1:${port}/`)).toBe('client=globex db=globex_db tier=gold\n');
  expect(await catInDb(shop.project('globex'), '/data/starts')).toBe('globex_db\n');
  const acmeStopped = await containersOf(shop.project('acme'));
  expect([...acmeStopped.values()].map((c) => c.id).sort()).toEqual(
    [...acme.values()].map((c) => c.id).sort(),
  );
  expect(allIn(acmeStopped, 'exited')).toBe(true);

  // back to acme: the same containers start again, and acme's data volume still has its first start
  const back = await berthOk(['use', 'acme'], shop.dir);
  expect(back.stderr + back.stdout).not.toMatch(/Container \S+ +(Created|Recreated)/);
  expect(await httpGet(`http://127.0.0.1:${port}/`)).toBe('client=acme db=acme_db tier=basic\n');
  const acmeAgain = await containersOf(shop.project('acme'));
  for (const [name, c] of acme) expect(acmeAgain.get(name)?.id).toBe(c.id);
  expect(allIn(acmeAgain, 'running')).toBe(true);
  expect(allIn(await containersOf(shop.project('globex')), 'exited')).toBe(true);
  expect(await catInDb(shop.project('acme'), '/data/starts')).toBe('acme_db\nacme_db\n');

  const listed = JSON.parse((await berthOk(['use', '--format', 'json'], shop.dir)).stdout);
  expect(listed.active).toBe('acme');
  expect(listed.clients).toEqual([
    expect.objectContaining({ name: 'acme', state: 'running', running: 2, total: 2, active: true }),
    expect.objectContaining({ name: 'globex', state: 'stopped', running: 0, total: 2, active: false }),
    expect.objectContaining({ name: 'initech', state: 'none', total: 0 }),
  ]);
});

test('plain verbs act on the active client; --client and BERTH_CLIENT still pick another', async () => {
  const acme = await containersOf(shop.project('acme'));
  await berthOk(['stop'], shop.dir);
  expect(allIn(await containersOf(shop.project('acme')), 'exited')).toBe(true);
  await berthOk(['up', '-d', '--wait'], shop.dir);
  const again = await containersOf(shop.project('acme'));
  for (const [name, c] of acme) expect(again.get(name)).toEqual({ id: c.id, state: 'running' });
  // no project for the stack without a client was ever made
  expect((await containersOf(shop.project())).size).toBe(0);

  // The resolved stack, without the `x-berth` extension (config prints it as written, every client's overlay
  // included, as Compose prints `x-` keys).
  const resolved = (stdout: string) => {
    const { 'x-berth': _, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
    return JSON.stringify(rest);
  };
  const viaEnv = await berthOk(['config', '--format', 'json'], shop.dir, { BERTH_CLIENT: 'initech' });
  expect(resolved(viaEnv.stdout)).toContain('initech_db');
  const viaFlag = await berthOk(['--client', 'globex', 'config', '--format', 'json'], shop.dir, {
    BERTH_CLIENT: 'initech',
  });
  expect(resolved(viaFlag.stdout)).toContain('globex_db');
  expect(resolved(viaFlag.stdout)).not.toContain('initech_db');
});

test('an unknown client is a clear error that changes nothing', async () => {
  const r = await berth(['use', 'nope'], shop.dir);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/unknown client `?nope`?/);
  expect(r.stderr).toMatch(/acme, globex, initech/);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(JSON.parse(readFileSync(path.join(shop.dir, '.berth', 'state.json'), 'utf8')).activeClient).toBe(
    'acme',
  );
  const conflict = await berth(['use', 'globex'], shop.dir, { BERTH_CLIENT: 'acme' });
  expect(conflict.code).toBe(2);
  expect(conflict.stderr).toMatch(/BERTH_CLIENT=acme/);
  expect(allIn(await containersOf(shop.project('acme')), 'running')).toBe(true);
  expect(existsSync(path.join(shop.dir, 'clients', 'nope.yaml'))).toBe(false);
});

test('use --clear forgets the active client without stopping anything', async () => {
  await berthOk(['use', '--clear'], shop.dir);
  expect(JSON.parse(readFileSync(path.join(shop.dir, '.berth', 'state.json'), 'utf8'))).toEqual({});
  expect(JSON.parse((await berthOk(['use', '--format', 'json'], shop.dir)).stdout).active).toBeNull();
  expect(allIn(await containersOf(shop.project('acme')), 'running')).toBe(true);
  const cfg = await berthOk(['config', '--format', 'json'], shop.dir);
  expect(cfg.stdout).toContain('"CLIENT": "none"');
});

// `berth ls`: every berth project on the engine, from any directory, with client and state.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { berthOk, copyStack, portInto, type StackCopy } from './clients-support.js';

let shop: StackCopy;
let port: number;

beforeAll(async () => {
  shop = copyStack('clients/shop', 'ls');
  port = await portInto(shop, 'SHOP_PORT');
  await berthOk(['use', 'acme'], shop.dir);
  await berthOk(['use', 'globex'], shop.dir);
});
afterAll(() => shop?.cleanup());

interface Row {
  name: string;
  stack: string;
  client: string | null;
  state: string;
  running: number;
  total: number;
  status: string;
  ports: string[];
  file: string | null;
  active: boolean;
}

const rowsOf = (stdout: string, stack: string) =>
  (JSON.parse(stdout) as Row[]).filter((r) => r.stack === stack).sort((a, b) => a.name.localeCompare(b.name));

test('ls --format json, from another directory, shows both clients of the stack with their states', async () => {
  const r = await berthOk(['ls', '--format', 'json'], tmpdir());
  const rows = rowsOf(r.stdout, shop.name);
  const file = path.join(shop.dir, 'berth.yaml');
  expect(rows).toEqual([
    {
      name: shop.project('acme'),
      stack: shop.name,
      client: 'acme',
      state: 'stopped',
      running: 0,
      total: 2,
      status: 'stopped 0/2',
      ports: [`127.0.0.1:${port}->80/tcp`],
      services: ['db', 'web'],
      file,
      active: false,
      url: null, // not routed: only `use A B` clients have a router URL
    },
    {
      name: shop.project('globex'),
      stack: shop.name,
      client: 'globex',
      state: 'running',
      running: 2,
      total: 2,
      status: 'running 2/2',
      ports: [`127.0.0.1:${port}->80/tcp`],
      services: ['db', 'web'],
      file,
      active: true,
      url: null,
    },
  ]);
});

test('ls in a table is readable: a header, one aligned line per project, the active client marked', async () => {
  const r = await berthOk(['ls'], tmpdir());
  const lines = r.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^PROJECT\s+STACK\s+CLIENT\s+STATE\s+PORTS\s+FILE$/);
  const acme = lines.find((l) => l.startsWith(`${shop.project('acme')} `))!;
  const globex = lines.find((l) => l.startsWith(`${shop.project('globex')} `))!;
  expect(acme).toMatch(/\sacme\s+stopped 0\/2\s/);
  expect(globex).toMatch(/\sglobex \*\s+running 2\/2\s/);
  const col = lines[0]!.indexOf('STATE');
  expect(acme.slice(col)).toMatch(/^stopped/);
  expect(globex.slice(col)).toMatch(/^running/);
  const q = await berthOk(['ls', '-q'], tmpdir());
  expect(q.stdout.split('\n')).toContain(shop.project('globex'));
});

test('a client whose containers were removed but whose data remains is listed only with --all', async () => {
  await berthOk(['--client', 'acme', 'down'], shop.dir);
  const plain = rowsOf((await berthOk(['ls', '--format', 'json'], tmpdir())).stdout, shop.name);
  expect(plain.map((r) => r.client)).toEqual(['globex']);
  const all = rowsOf((await berthOk(['ls', '--all', '--format', 'json'], tmpdir())).stdout, shop.name);
  expect(all.map((r) => [r.client, r.state])).toEqual([
    ['acme', 'down'],
    ['globex', 'running'],
  ]);
});

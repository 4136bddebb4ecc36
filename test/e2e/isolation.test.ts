// Clients of one stack never share a container, network or named volume; a host port held by one stack is a
// clear error for another, before anything is created (or, for `use`, before anything is stopped).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  berth,
  berthOk,
  containersOf,
  copyStack,
  freePort,
  httpGet,
  type StackCopy,
} from './clients-support.js';
import { docker } from './helpers.js';

let shop: StackCopy;
let blog: StackCopy;
let acmePort: number;
let globexPort: number;

beforeAll(async () => {
  shop = copyStack('clients/shop', 'iso');
  blog = copyStack('clients/blog', 'isob');
  acmePort = await freePort();
  globexPort = await freePort();
  // Two clients running side by side need two host ports: the shell environment beats the client env.
  await berthOk(['--client', 'acme', 'up', '-d', '--wait'], shop.dir, { SHOP_PORT: String(acmePort) });
  await berthOk(['--client', 'globex', 'up', '-d', '--wait'], shop.dir, { SHOP_PORT: String(globexPort) });
});
afterAll(async () => {
  await shop?.cleanup();
  await blog?.cleanup();
});

const byLabel = (project: string) => JSON.stringify({ label: [`dev.berth.project=${project}`] });

async function resourcesOf(project: string) {
  const containers = await docker.listContainers({ all: true, filters: byLabel(project) });
  const networks = await docker.listNetworks({ filters: byLabel(project) });
  const volumes = (await docker.listVolumes({ filters: byLabel(project) })).Volumes ?? [];
  const inspected = await Promise.all(containers.map((c) => docker.getContainer(c.Id).inspect()));
  return { containers, networks, volumes, inspected };
}

test('two clients of one stack share no container, network or named volume', async () => {
  const acme = await resourcesOf(shop.project('acme'));
  const globex = await resourcesOf(shop.project('globex'));
  expect(acme.containers).toHaveLength(2);
  expect(globex.containers).toHaveLength(2);
  expect(acme.networks).toHaveLength(1);
  expect(globex.networks).toHaveLength(1);
  expect(acme.volumes).toHaveLength(1);
  expect(globex.volumes).toHaveLength(1);

  const ids = (r: typeof acme) => [
    ...r.containers.map((c) => c.Id),
    ...r.networks.map((n) => n.Id),
    ...r.volumes.map((v) => v.Name),
  ];
  const shared = ids(acme).filter((id) => ids(globex).includes(id));
  expect(shared).toEqual([]);

  // What each container is actually wired to: only its own project's network and volume.
  for (const [r, other] of [
    [acme, globex],
    [globex, acme],
  ] as const) {
    const ownNets = new Set(r.networks.map((n) => n.Name));
    const otherVols = new Set(other.volumes.map((v) => v.Name));
    for (const c of r.inspected) {
      for (const net of Object.keys(c.NetworkSettings.Networks)) expect(ownNets.has(net)).toBe(true);
      for (const m of c.Mounts) if (m.Type === 'volume') expect(otherVols.has(m.Name!)).toBe(false);
    }
  }
  expect(acme.volumes[0]!.Name).toBe(`${shop.project('acme')}_data`);
  expect(globex.volumes[0]!.Name).toBe(`${shop.project('globex')}_data`);

  // and they really serve different settings at the same time
  expect(await httpGet(`http://127.0.0.1:${acmePort}/`)).toBe('client=acme db=acme_db tier=basic\n');
  expect(await httpGet(`http://127.0.0.1:${globexPort}/`)).toBe('client=globex db=globex_db tier=gold\n');
});

test('the client is recorded on every resource (dev.berth.client)', async () => {
  for (const client of ['acme', 'globex']) {
    const r = await resourcesOf(shop.project(client));
    for (const c of r.containers) expect(c.Labels['dev.berth.client']).toBe(client);
    for (const n of r.networks) expect(n.Labels?.['dev.berth.client']).toBe(client);
    for (const v of r.volumes) expect((v.Labels as Record<string, string>)['dev.berth.client']).toBe(client);
  }
});

test('a second stack wanting a host port the first holds gets an error naming the first, and nothing is created', async () => {
  const r = await berth(['up', '-d'], blog.dir, { BLOG_PORT: String(acmePort) });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain(`127.0.0.1:${acmePort}`);
  expect(r.stderr).toContain(shop.project('acme'));
  expect(r.stderr).toMatch(/berth use|--client|berth -p/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const created = await resourcesOf(blog.project());
  expect(created.containers).toEqual([]);
  expect(created.networks).toEqual([]);
  expect(created.volumes).toEqual([]);
});

test('berth use refuses a switch whose port another stack holds, before stopping anything', async () => {
  const blogPort = await freePort();
  await berthOk(['up', '-d'], blog.dir, { BLOG_PORT: String(blogPort) });
  const r = await berth(['use', 'initech'], shop.dir, { SHOP_PORT: String(blogPort) });
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`127.0.0.1:${blogPort}`);
  expect(r.stderr).toContain(`"${blog.project()}"`);
  expect(r.stderr).toMatch(/nothing was stopped or started/);
  // acme and globex still run, initech was never created, and the active client was not recorded
  for (const client of ['acme', 'globex'])
    for (const c of (await containersOf(shop.project(client))).values()) expect(c.state).toBe('running');
  expect((await containersOf(shop.project('initech'))).size).toBe(0);
  expect(existsSync(path.join(shop.dir, '.berth', 'state.json'))).toBe(false);
});

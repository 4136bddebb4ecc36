// berth on Podman (podman system service, Docker's API on its own socket): the verbs a Compose user starts with
// — up -d --wait over a dependency, a healthcheck, a named volume and a published port; ps, logs, exec; use
// between two clients; down -v — on the real engine. Every engine call here goes to podman (the project's
// DOCKER_HOST), and the first test proves it is podman answering, so nothing passes by reaching dockerd.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  berth,
  berthOk,
  containersOf,
  copyStack,
  freePort,
  httpGet,
  portInto,
  type StackCopy,
} from '../e2e/clients-support.js';
import { cleanupProject, docker, uniqueProject } from '../e2e/helpers.js';

const project = uniqueProject('podman');
let dir: string;
let port: number;
let shop: StackCopy | undefined;

const stack = (p: number) => `name: ${project}
services:
  web:
    image: berth/busybox:latest
    command: ["sh", "-c", "echo web says hello; mkdir -p /www && cat /data/starts > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports:
      - "127.0.0.1:${p}:80"
    volumes:
      - data:/data:ro
    depends_on:
      db:
        condition: service_healthy
  db:
    image: berth/busybox:latest
    init: true
    command: ["sh", "-c", "echo db is ready; echo started >> /data/starts && exec sleep 1000000"]
    volumes:
      - data:/data
    healthcheck:
      test: ["CMD", "test", "-s", "/data/starts"]
      interval: 1s
      timeout: 2s
      retries: 30
volumes:
  data:
`;

/** Everything on the engine labelled with the project: containers, networks, volumes. */
async function labelled(p: string): Promise<string[]> {
  const filters = JSON.stringify({ label: [`dev.berth.project=${p}`] });
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  const { Volumes } = await docker.listVolumes({ filters });
  return [
    ...containers.map((c) => `container ${c.Names[0]}`),
    ...networks.map((n) => `network ${n.Name}`),
    ...(Volumes ?? []).map((v) => `volume ${v.Name}`),
  ];
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'berth-podman-'));
  port = await freePort();
  writeFileSync(path.join(dir, 'berth.yaml'), stack(port));
});

afterAll(async () => {
  await cleanupProject(project);
  await shop?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

test('the engine under test is podman, on its own socket', async () => {
  expect(process.env.DOCKER_HOST).toMatch(/^unix:\/\/.*podman/);
  // podman's ping names it (its /version would, but takes seconds: it asks dpkg about conmon and runc)
  const headers = await new Promise<Record<string, unknown>>((resolve, reject) =>
    get({ socketPath: process.env.DOCKER_HOST!.slice('unix://'.length), path: '/_ping' }, (res) => {
      res.resume();
      resolve(res.headers);
    }).on('error', reject),
  );
  expect(headers['libpod-api-version']).toMatch(/^4\./);
  expect(String((await docker.ping()) ?? '')).toBe('OK');
});

test('up -d --wait, ps --format json, logs, exec and down -v on podman', async () => {
  // the dependency waits for the healthcheck, which podman without systemd only runs because berth asks it to
  const up = await berthOk(['up', '-d', '--wait'], dir);
  expect(up.stderr + up.stdout).toMatch(/db-1\s+Healthy/);
  expect(await httpGet(`http://127.0.0.1:${port}/`)).toBe('started\n');

  const rows = JSON.parse(
    `[${(await berthOk(['ps', '--format', 'json'], dir)).stdout.trim().split('\n').join(',')}]`,
  );
  expect(rows.map((r: { Service: string }) => r.Service).sort()).toEqual(['db', 'web']);
  for (const r of rows) expect(r.State).toBe('running');
  const db = rows.find((r: { Service: string }) => r.Service === 'db');
  expect(db.Health).toBe('healthy');
  expect(db.Status).toMatch(/\(healthy\)$/);
  const web = rows.find((r: { Service: string }) => r.Service === 'web');
  expect(web.Publishers).toEqual([
    { URL: '127.0.0.1', TargetPort: 80, PublishedPort: port, Protocol: 'tcp' },
  ]);

  const logs = await berthOk(['logs', '--no-color'], dir);
  expect(logs.stdout).toMatch(/^db\s+\| db is ready$/m);
  expect(logs.stdout).toMatch(/^web\s+\| web says hello$/m);

  const exec = await berth(['exec', '-T', 'db', 'sh', '-c', 'cat /data/starts; exit 3'], dir);
  expect(exec.stdout).toBe('started\n');
  expect(exec.code).toBe(3);

  // a second up changes nothing: podman answers the same observed state berth planned from
  const again = await berthOk(['up', '-d', '--wait'], dir);
  expect(again.stderr + again.stdout).not.toMatch(/Created|Recreated/);

  await berthOk(['down', '-v'], dir);
  expect(await labelled(project)).toEqual([]);
});

test('use switches between two clients on podman: the other is stopped and kept, switching back starts it', async () => {
  shop = copyStack('clients/shop', 'podman');
  const shopPort = await portInto(shop, 'SHOP_PORT');
  await berthOk(['use', 'acme'], shop.dir);
  expect(await httpGet(`http://127.0.0.1:${shopPort}/`)).toBe('client=acme db=acme_db tier=basic\n');
  const acme = await containersOf(shop.project('acme'));
  expect(acme.size).toBe(2);

  await berthOk(['use', 'globex'], shop.dir);
  expect(await httpGet(`http://127.0.0.1:${shopPort}/`)).toBe('client=globex db=globex_db tier=gold\n');
  const stopped = await containersOf(shop.project('acme'));
  expect([...stopped.values()].map((c) => c.state)).toEqual(['exited', 'exited']);

  await berthOk(['use', 'acme'], shop.dir);
  expect(await httpGet(`http://127.0.0.1:${shopPort}/`)).toBe('client=acme db=acme_db tier=basic\n');
  const back = await containersOf(shop.project('acme'));
  for (const [name, c] of acme) expect(back.get(name)).toEqual({ id: c.id, state: 'running' });

  for (const client of ['acme', 'globex']) await berthOk(['--client', client, 'down', '-v'], shop.dir);
  expect(await labelled(shop.project('acme'))).toEqual([]);
  expect(await labelled(shop.project('globex'))).toEqual([]);
});

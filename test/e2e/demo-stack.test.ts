import { execFile } from 'node:child_process';
import { utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';

// The demo stack end to end, as `npm run demo` brings it up (berth up when it exists, else the docker CLI),
// under its own project name and port so it never meets the user's own `demo`.
const run = promisify(execFile);
const project = uniqueProject('demo');
let url = '';
let env: NodeJS.ProcessEnv = {};

type Visit = { client: string; db: number; store: number; served_by: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function visit(): Promise<Visit> {
  const res = await fetch(`${url}/api/visit`);
  expect(res.status).toBe(200);
  return (await res.json()) as Visit;
}

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  env = { ...process.env, BERTH_DEMO_PROJECT: project, BERTH_DEMO_PORT: String(port) };
  const t0 = Date.now();
  const { stdout } = await run('bash', ['scripts/demo.sh', 'up', '--no-setup'], { env, timeout: 120_000 });
  console.log(`demo stack answered ${Date.now() - t0}ms after demo.sh started\n${stdout}`);
});

afterAll(async () => {
  await run('bash', ['scripts/demo.sh', 'down', '-v', '--no-setup'], { env, timeout: 60_000 }).catch(
    () => {},
  );
  await cleanupProject(project);
});

test('GET /api/visit goes lb → nginx → app → db + store: both counters grow and the replicas alternate', async () => {
  const first = await visit();
  expect(first.client).toBe('default');
  const seen = new Set<string>();
  let last = first;
  for (let i = 0; i < 30; i++) {
    const v = await visit();
    expect(v.db).toBe(last.db + 1);
    expect(v.store).toBe(last.store + 1);
    // nginx round-robins over the replicas it resolved at start: one request each, in turn.
    expect(v.served_by).not.toBe(last.served_by);
    seen.add(v.served_by);
    last = v;
  }
  expect(seen.size).toBe(2);
  const apps = await docker.listContainers({
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=app'] }),
  });
  expect(apps.map((c) => c.Id.slice(0, 12)).sort()).toEqual([...seen].sort());
});

test('nginx serves the static page and the banner, and the app logs one line per request', async () => {
  const page = await fetch(`${url}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<title>berth demo</title>');
  const banner = await fetch(`${url}/banner`);
  expect((await banner.text()).trim()).toBe('berth demo');
  expect(banner.headers.get('x-banner')).toBe('berth demo');

  const { served_by } = await visit();
  const logs = (
    await docker.getContainer(served_by).logs({ stdout: true, stderr: true, tail: 50 })
  ).toString();
  expect(logs).toMatch(/GET \/api\/visit 200 [\d.]+ms/);
});

test('touching the bind-mounted source restarts the app replicas, which keep serving', async () => {
  const now = new Date();
  utimesSync('fixtures/demo/app/app.py', now, now);
  const apps = await docker.listContainers({
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=app'] }),
  });
  const deadline = Date.now() + 10_000;
  for (const c of apps) {
    for (;;) {
      const logs = (await docker.getContainer(c.Id).logs({ stdout: true, stderr: true })).toString();
      if (logs.includes('source changed, restarting')) break;
      if (Date.now() > deadline) throw new Error(`${c.Names[0]} did not reload:\n${logs}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  let ok = false;
  for (let i = 0; i < 50 && !ok; i++) {
    ok = (await fetch(`${url}/api/visit`).catch(() => null))?.status === 200;
    if (!ok) await new Promise((r) => setTimeout(r, 100));
  }
  expect(ok).toBe(true);
});

test('recreating the app restarts nginx (depends_on restart: true), which then alternates over the new replicas', async () => {
  const appFilter = JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=app'] });
  const before = (await docker.listContainers({ filters: appFilter })).map((c) => c.Id.slice(0, 12));
  await run(
    'node',
    [
      'bin/berth.js',
      '-f',
      'fixtures/demo/berth.yaml',
      '-p',
      project,
      'up',
      '-d',
      '--wait',
      '--force-recreate',
      'app',
    ],
    { env, timeout: 120_000 },
  );
  const after = (await docker.listContainers({ filters: appFilter })).map((c) => c.Id.slice(0, 12)).sort();
  expect(after).toHaveLength(2);
  expect(after.some((id) => before.includes(id))).toBe(false);
  // nginx's first requests after its restart may race its own start-up: wait for one answer, then check turns.
  let last: Visit | undefined;
  for (let i = 0; i < 100 && !last; i++) {
    const res = await fetch(`${url}/api/visit`).catch(() => null);
    if (res?.status === 200) last = (await res.json()) as Visit;
    else await new Promise((r) => setTimeout(r, 100));
  }
  expect(last).toBeDefined();
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const v = await visit();
    expect(v.served_by).not.toBe(last?.served_by);
    seen.add(v.served_by);
    last = v;
  }
  expect([...seen].sort()).toEqual(after);
});

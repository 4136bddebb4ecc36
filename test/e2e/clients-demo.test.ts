// The demo stack (lb → nginx → app ×2 → db + store) with its clients acme and globex, on one copy of
// fixtures/demo under a unique stack name and port, through three stories in turn. Each starts from where the
// last one left the clients, so the demo's twelve containers are created once, not once per story:
// - switching: each client answers with its own app setting, banner and database; switching back is a start
//   of the same containers and the counts continue;
// - data snapshots: acme's visits are saved, more are made, `restore` puts the count back where the snapshot
//   was; globex's data is untouched; the snapshot survives `down -v` and restores into a fresh client;
// - the router: `berth use acme globex` serves both at once at their own host names; a request loop to acme
//   sees no failure while globex stops and starts (the router reloads under it); `berth use acme` puts acme
//   back on its own port and the router goes. Also measures the router's overhead against acme's own port.
import { execFile } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  containersOf,
  copyStack,
  freePort,
  httpGet,
  portInto,
  ROOT,
  type StackCopy,
} from './clients-support.js';
import { docker, execIn } from './helpers.js';

let demo: StackCopy;
let base: string;
let demoPort: number;
let env: Record<string, string>;
let routerPort: number;
let routerProject: string;

beforeAll(async () => {
  demo = copyStack('demo', 'cdemo');
  routerProject = `${demo.name}-router`;
  demoPort = await portInto(demo, 'BERTH_DEMO_PORT');
  base = `http://127.0.0.1:${demoPort}`;
  routerPort = await freePort();
  env = { BERTH_ROUTER_PORT: String(routerPort), BERTH_ROUTER_PROJECT: routerProject };
});

const snapshotVolumes = async () =>
  (
    (
      await docker.listVolumes({
        filters: JSON.stringify({ label: ['dev.berth.data-snapshot', `dev.berth.stack=${demo.name}`] }),
      })
    ).Volumes ?? []
  ).map((v) => v.Name);

afterAll(async () => {
  if (!demo) return;
  try {
    // The snapshot volumes carry no project label on purpose (down -v must not match them): remove ours here.
    for (const name of await snapshotVolumes())
      await docker
        .getVolume(name)
        .remove()
        .catch(() => {});
  } finally {
    await demo.cleanup([routerProject]);
  }
});

/**
 * `berth ARGS` in the copy, which must succeed. Its own time limit, not clients-support's 170 s: two demo
 * clients starting on a shared machine at load 40+ take longer (the health waits), and a killed run says nothing.
 */
function berthOk(args: string[]): Promise<{ stdout: string; stderr: string; ms: number }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  delete childEnv.BERTH_CLIENT;
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'bin/berth.js'), ...args],
      { cwd: demo.dir, env: childEnv, maxBuffer: 16 * 1024 * 1024, timeout: 1_200_000 },
      (err, stdout, stderr) =>
        err
          ? reject(
              new Error(`berth ${args.join(' ')} failed (${err.code ?? err.signal})\n${stdout}\n${stderr}`),
            )
          : resolve({ stdout, stderr, ms: Date.now() - t0 }),
    );
  });
}

interface Visit {
  client: string;
  db: number;
  store: number;
}

/**
 * One counted visit on the client's own port. Right after a restore the app's pooled database connections
 * are stale: the app drops a broken one and reconnects on the next request, answering `{error}` meanwhile, so
 * retry until it counts.
 */
async function visitOwn(): Promise<Visit> {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const left = deadline - Date.now();
    // one attempt may take haproxy's whole 30 s (it answers 504 itself by then): never abandon a visit the app
    // may still count
    const v = JSON.parse(await httpGet(`${base}/api/visit`, Math.max(left, 1000), 45_000)) as Visit & {
      error?: string;
    };
    if (!v.error) return v;
    if (left <= 0) throw new Error(`/api/visit kept failing: ${v.error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('use acme → acme; use globex → globex with a fresh database; use acme → same containers, counts continue', async () => {
  await berthOk(['use', 'acme']);
  expect(await visitOwn()).toMatchObject({ client: 'acme', db: 1, store: 1 });
  expect(await visitOwn()).toMatchObject({ client: 'acme', db: 2, store: 2 });
  expect((await httpGet(`${base}/banner`)).trim()).toBe('Acme Corp - berth demo');
  const acme = await containersOf(demo.project('acme'));
  expect(acme.size).toBe(6);

  await berthOk(['use', 'globex']);
  expect(await visitOwn()).toMatchObject({ client: 'globex', db: 1, store: 1 });
  expect((await httpGet(`${base}/banner`)).trim()).toBe('Globex Corporation - berth demo');
  for (const c of (await containersOf(demo.project('acme'))).values()) expect(c.state).toBe('exited');

  const back = await berthOk(['use', 'acme']);
  console.log(`switch back to acme (berth use acme, globex running): ${(back.ms / 1000).toFixed(2)} s`);
  expect(back.stderr + back.stdout).not.toMatch(/Container \S+ +(Created|Recreated)/);
  const again = await containersOf(demo.project('acme'));
  for (const [name, c] of acme) expect(again.get(name)).toEqual({ id: c.id, state: 'running' });
  expect(await visitOwn()).toMatchObject({ client: 'acme', db: 3, store: 3 });
  for (const c of (await containersOf(demo.project('globex'))).values()) expect(c.state).toBe('exited');

  const ls = JSON.parse((await berthOk(['ls', '--format', 'json'])).stdout) as Array<{
    stack: string;
    client: string;
    state: string;
    total: number;
  }>;
  expect(
    ls
      .filter((r) => r.stack === demo.name)
      .map((r) => [r.client, r.state, r.total])
      .sort(),
  ).toEqual([
    ['acme', 'running', 6],
    ['globex', 'stopped', 6],
  ]);
}, 1_500_000);

const acme = (args: string[]) => berthOk(['--client', 'acme', ...args]);

test('snapshot --data, more visits, restore → the count continues from the snapshot; survives down -v', async () => {
  // globex (its store only) holds data that must not move
  const globex = demo.project('globex');
  await berthOk(['--client', 'globex', 'up', '-d', '--wait', 'store']);
  expect(await execIn(globex, 'store', ['redis-cli', 'set', 'visits', '41'])).toMatch(/OK/);
  await berthOk(['--client', 'globex', 'stop']);

  // acme runs (the story above left it so): its counts go on from there
  const first = await visitOwn();
  expect(first.client).toBe('acme');
  const at = (k: number) => ({ client: 'acme', db: first.db + k, store: first.store + k });
  expect(await visitOwn()).toMatchObject(at(1));

  const snap = await acme(['snapshot', '--data', '--tag', 'before']);
  console.log(`snapshot --data of the demo (acme): ${(snap.ms / 1000).toFixed(2)} s`);
  expect(snap.stdout.trim().split('\n').at(-1)).toBe('before'); // after the stop/start progress lines
  // db and store were stopped for the copy and are healthy again: the next visit counts on
  expect(await visitOwn()).toMatchObject(at(2));
  expect(await visitOwn()).toMatchObject(at(3));

  const list = JSON.parse(
    (await acme(['snapshot', '--data', '--list', '--format', 'json'])).stdout,
  ) as Array<{
    tag: string;
    client: string;
    volumes: Record<string, string>;
    sizeBytes: number;
  }>;
  expect(list).toHaveLength(1);
  expect(list[0]).toMatchObject({ tag: 'before', client: 'acme' });
  expect(Object.keys(list[0]!.volumes).sort()).toEqual(['dbdata', 'storedata']);
  expect(list[0]!.sizeBytes).toBeGreaterThan(1_000_000); // a PostgreSQL cluster is tens of MB
  // a tag is taken once per client
  const again = await acme(['snapshot', '--data', '--tag', 'before']).catch((e: Error) => e);
  expect(String(again)).toMatch(/already has a data snapshot before/);

  const restore = await acme(['restore', 'before']);
  console.log(
    `restore of the demo (acme, db + store stopped, restored, healthy): ${(restore.ms / 1000).toFixed(2)} s`,
  );
  expect(restore.stderr).toMatch(/restored into .*acme/);
  expect(await visitOwn()).toMatchObject(at(2));

  // globex's data is untouched
  await berthOk(['--client', 'globex', 'start', 'store']);
  expect((await execIn(globex, 'store', ['redis-cli', 'get', 'visits'])).trim()).toMatch(/41$/);
  await berthOk(['--client', 'globex', 'stop']);

  // down -v removes acme's volumes but never the snapshot; a fresh acme restored from it counts on from it
  await acme(['down', '-v']);
  expect((await snapshotVolumes()).sort()).toEqual(Object.values(list[0]!.volumes).sort());
  await acme(['restore', 'before']);
  await acme(['up', '-d']);
  expect(await visitOwn()).toMatchObject(at(2));

  await acme(['snapshot', '--data', '--rm', 'before']);
  expect(await snapshotVolumes()).toEqual([]);
}, 1_500_000);

interface Answer {
  status: number;
  body: string;
  ms: number;
}

/** One request on a fresh connection (as curl makes it), to 127.0.0.1 with the given Host header. */
function get(port: number, host: string, path = '/api/visit'): Promise<Answer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { Host: `${host}:${port}`, Connection: 'close' },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0 }));
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', (err) => resolve({ status: 0, body: String(err), ms: performance.now() - t0 }));
  });
}

const visit = (a: Answer) => JSON.parse(a.body) as { client: string; db: number; store: number };

/** Poll until the host answers 200 from the given client (a client that just started may 503 briefly). */
async function answered(port: number, host: string, client: string, deadlineMs = 120_000): Promise<Answer> {
  const t0 = Date.now();
  let last: Answer | undefined;
  while (Date.now() - t0 < deadlineMs) {
    last = await get(port, host);
    if (last.status === 200 && visit(last).client === client) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${host} did not answer as ${client}: ${last?.status} ${last?.body}`);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function latencies(port: number, host: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = await get(port, host);
    if (a.status !== 200) throw new Error(`${host}: ${a.status} ${a.body}`);
    out.push(a.ms);
  }
  return out;
}

const routerContainers = async () =>
  docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`dev.berth.project=${routerProject}`] }),
  });

test('both answer at once at their own host names, survive each other stopping, and acme goes back alone', async () => {
  const acmeHost = `acme.${demo.name}.localhost`;
  const globexHost = `globex.${demo.name}.localhost`;
  const t0 = Date.now();
  const used = await berthOk(['use', 'acme', 'globex']);
  console.log(
    `berth use acme globex (acme running, globex stopped): ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  expect(used.stdout.split('\n')).toEqual(
    expect.arrayContaining([`http://${acmeHost}:${routerPort}/`, `http://${globexHost}:${routerPort}/`]),
  );

  // both at once, each its own client and counts
  const [a1, g1] = await Promise.all([
    answered(routerPort, acmeHost, 'acme'),
    answered(routerPort, globexHost, 'globex'),
  ]);
  const a2 = await answered(routerPort, acmeHost, 'acme');
  expect(visit(a2).db).toBe(visit(a1).db + 1);
  const g2 = await answered(routerPort, globexHost, 'globex');
  expect(visit(g2).db).toBe(visit(g1).db + 1);
  // a host the router does not serve says so
  const none = await get(routerPort, `nobody.${demo.name}.localhost`);
  expect(none.status).toBe(404);
  expect(none.body).toContain(acmeHost);

  const ls = JSON.parse((await berthOk(['ls', '--format', 'json'])).stdout) as Array<{
    name: string;
    url: string | null;
    ports: string[];
  }>;
  const row = (client: string) => ls.find((r) => r.name === demo.project(client));
  expect(row('acme')).toMatchObject({ url: `http://${acmeHost}:${routerPort}`, ports: [] });
  expect(row('globex')).toMatchObject({ url: `http://${globexHost}:${routerPort}`, ports: [] });

  // a request loop to acme while globex stops and starts: the router reloads under it each time
  let stop = false;
  const loop = (async () => {
    const answers: Answer[] = [];
    while (!stop) answers.push(await get(routerPort, acmeHost));
    return answers;
  })();
  let answers: Answer[];
  try {
    await berthOk(['--client', 'globex', 'stop']);
    const gone = await get(routerPort, globexHost);
    expect(gone.status).toBe(404); // the router no longer serves it
    // `start` (not `use acme globex`): a `use` also waits for acme's health, and on the loaded shared engine
    // health checks time out while acme serves the loop (seen: every service "unhealthy", lb answering 200).
    await berthOk(['--client', 'globex', 'start']);
    await answered(routerPort, globexHost, 'globex');
  } finally {
    stop = true;
    answers = await loop;
  }
  const failed = answers.filter((a) => a.status !== 200 || visit(a).client !== 'acme');
  console.log(`acme loop during globex stop + start: ${answers.length} requests, ${failed.length} failed`);
  expect(failed.map((a) => `${a.status} ${a.body.slice(0, 120)}`)).toEqual([]);
  expect(answers.length).toBeGreaterThan(10);

  // the router's overhead: the same requests through the router, then on acme's own port
  const routed = await latencies(routerPort, acmeHost, 200);

  await berthOk(['use', 'acme']);
  const own = await answered(demoPort, '127.0.0.1', 'acme');
  expect(visit(own).db).toBeGreaterThan(visit(a2).db); // the same acme data, on its own port again
  expect(await routerContainers()).toEqual([]);
  const direct = await latencies(demoPort, '127.0.0.1', 200);
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(
    `/api/visit p50/p99: through the router ${ms(quantile(routed, 0.5))} / ${ms(quantile(routed, 0.99))}; ` +
      `own port ${ms(quantile(direct, 0.5))} / ${ms(quantile(direct, 0.99))} (200 requests each, a new connection each)`,
  );
  const states = await berthOk(['ls', '--format', 'json']);
  const after = JSON.parse(states.stdout) as Array<{ name: string; state: string; url: string | null }>;
  expect(after.find((r) => r.name === demo.project('globex'))?.state).toBe('stopped');
  expect(after.find((r) => r.name === demo.project('acme'))?.url).toBeNull();
}, 1_500_000);

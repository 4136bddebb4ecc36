// The demo stack (lb → nginx → app ×2 → db + store) end to end, brought up once, as `npm run demo` brings it up
// (scripts/demo.sh: berth up when it exists, else the docker CLI), under its own project name and port so it
// never meets the user's own `demo`. The tests run in order on that one stack, each leaving it running: a no-op
// `up`, requests through every hop, `logs -f`, `berth ui` in a real terminal, a source reload, an app recreate
// that restarts nginx, and last the data story (db recreate, `down` + `up`, `down -v`). One bring-up instead of
// one per file: each costs six containers with health checks, the bulk of what the e2e suite spends.
import { execFile, execFileSync } from 'node:child_process';
import { utimesSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { sleep, terminal } from './terminal.js';
import { collect, engineContainers, freePort, ok, parseJsonLines, ROOT, stackCli } from './up-cli.js';

const run = promisify(execFile);
const project = uniqueProject('demo');
const other = uniqueProject('demo-other');
const file = path.join(ROOT, 'fixtures/demo/berth.yaml');
const SERVICES = ['lb', 'nginx', 'app', 'db', 'store'];
let port = 0;
let url = '';
let env: NodeJS.ProcessEnv = {};
let cli: ReturnType<typeof stackCli>;
let demoOut = '';
const term = terminal(project, 20_000);

type Visit = { client: string; db: number; store: number; served_by: string };

async function visit(): Promise<Visit> {
  const res = await fetch(`${url}/api/visit`);
  expect(res.status).toBe(200);
  return (await res.json()) as Visit;
}

/** The first 200 answer from /api/visit within the deadline (nginx or the app may be restarting). */
async function firstAnswer(ms = 30_000): Promise<Visit> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${url}/api/visit`).catch(() => null);
    if (res?.status === 200) return (await res.json()) as Visit;
    if (Date.now() > deadline) throw new Error(`${url}/api/visit did not answer within ${ms} ms`);
    await sleep(100);
  }
}

const appFilter = () => JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=app'] });
const appIds = async () => (await docker.listContainers({ filters: appFilter() })).map((c) => c.Id);
const startedAt = async (id: string) => (await docker.getContainer(id).inspect()).State.StartedAt;
const psql = (sql: string) =>
  execFileSync('docker', ['exec', `${project}-db-1`, 'psql', '-U', 'app', '-d', 'app', '-tAc', sql], {
    encoding: 'utf8',
  }).trim();
const volumesOf = async (p: string) =>
  (
    (await docker.listVolumes({ filters: JSON.stringify({ label: [`dev.berth.project=${p}`] }) })).Volumes ??
    []
  )
    .map((v) => v.Name)
    .sort();

beforeAll(async () => {
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  env = { ...process.env, BERTH_DEMO_PROJECT: project, BERTH_DEMO_PORT: String(port) };
  cli = stackCli(project, file, { BERTH_DEMO_PORT: String(port) });
  const t0 = Date.now();
  const { stdout } = await run('bash', ['scripts/demo.sh', 'up', '--no-setup'], {
    cwd: ROOT,
    env,
    timeout: 170_000,
  });
  demoOut = stdout;
  console.log(`demo stack answered ${Date.now() - t0}ms after demo.sh started\n${stdout}`);
});

afterAll(async () => {
  term.close();
  await run('bash', ['scripts/demo.sh', 'down', '-v', '--no-setup'], {
    cwd: ROOT,
    env,
    timeout: 60_000,
  }).catch(() => {});
  await cleanupProject(project);
  await cleanupProject(other);
});

describe('the demo, brought up once', () => {
  test('demo.sh brings it up with berth; a second up changes nothing and says so; ps --format json', async () => {
    expect(demoOut).toMatch(new RegExp(`✔ Container ${project}-db-1 +Healthy`));
    const before = await engineContainers(project);
    expect(before.map((c) => c.name)).toEqual(
      ['app-1', 'app-2', 'db-1', 'lb-1', 'nginx-1', 'store-1'].map((n) => `${project}-${n}`),
    );
    const dry = await cli.run('up', '--dry-run');
    expect(dry.stdout).toMatch(/Everything is up to date/);
    const again = await cli.run('up', '-d');
    ok(again);
    expect(again.stderr).toBe('');
    expect(again.stdout).toMatch(/Everything is up to date: nothing to do .*\(6 containers running\)/);
    expect(await engineContainers(project)).toEqual(before);

    const rows = parseJsonLines((await cli.run('ps', '--format', 'json')).stdout);
    expect(rows).toHaveLength(6);
    expect(rows.find((r) => r.Service === 'lb')!.Publishers).toEqual([
      { URL: '127.0.0.1', TargetPort: 80, PublishedPort: port, Protocol: 'tcp' },
    ]);
    expect(rows.find((r) => r.Service === 'db')!.Health).toBe('healthy');
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
    expect((await appIds()).map((id) => id.slice(0, 12)).sort()).toEqual([...seen].sort());
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

  test('berth logs -f shows every request the demo served, once', async () => {
    const follower = cli.spawn('logs', '-f', '--tail', '0', 'app');
    const done = collect(follower);
    let out = '';
    follower.stdout!.on('data', (d) => {
      out += d;
    });
    // attached once a request made now shows up (--tail 0: only lines written after the attach)
    const deadline = Date.now() + 60_000;
    for (let k = 0; !/GET \/api\/visit\?warm=\d+ 200 /.test(out); k++) {
      if (Date.now() > deadline) throw new Error(`logs -f showed no request within 60 s:\n${out}`);
      await fetch(`${url}/api/visit?warm=${k}`);
      await sleep(100);
    }
    const N = 200;
    // one after another, as a user's browser does (the demo's app serves one request at a time per replica)
    for (let i = 0; i < N; i++) {
      const res = await fetch(`${url}/api/visit?req=${i}`);
      expect(res.status).toBe(200);
    }
    const count = (text: string) => {
      const seen = new Map<number, number>();
      for (const m of text.matchAll(/^app-[12] +\| GET \/api\/visit\?req=(\d+) 200 /gm)) {
        seen.set(Number(m[1]), (seen.get(Number(m[1])) ?? 0) + 1);
      }
      return seen;
    };
    const shown = Date.now() + 30_000;
    while (count(out).size < N && Date.now() < shown) await sleep(100);
    follower.kill('SIGINT');
    const r = await done;
    const seen = count(r.stdout);
    expect(seen.size).toBe(N);
    for (const [, n] of seen) expect(n).toBe(1);
    // both replicas served some, each with its own prefix
    expect(r.stdout).toMatch(/^app-1 \| /m);
    expect(r.stdout).toMatch(/^app-2 \| /m);
  });

  test('berth ui in a terminal: services and states, Enter shows the selected logs, r restarts, q leaves it running', async () => {
    const cmd = `cd ${ROOT} && BERTH_DEMO_PORT=${port} NO_COLOR=1 node bin/berth.js -f ${file} -p ${project} ui; echo BERTH-EXIT=$?; sleep 120`;
    term.open(cmd);
    const { until } = term;
    let s = await until(
      (x) => SERVICES.every((svc) => new RegExp(`^[ ›] ${svc} +running +healthy`, 'm').test(x)),
      'every service running and healthy',
    );
    expect(s).toMatch(/^[ ›] app +running +healthy +2\/2/m);
    expect(s).toContain(`project ${project}`);
    expect(s).toMatch(new RegExp(`^[ ›] lb +running +healthy +1/1 +${port}→80`, 'm'));

    // select app (third row) and show its logs
    term.keys('j');
    term.keys('j');
    await until((x) => /^› app /m.test(x), 'app selected');
    term.keys('Enter');
    for (let i = 0; i < 5; i++) await fetch(`${url}/api/visit?ui=${i}`);
    s = await until((x) => x.includes('logs: app') && /GET \/api\/visit\?ui=4 200/.test(x), "app's logs");
    const pane = s.split('\n').slice(s.split('\n').findIndex((l) => l.includes('logs: app')) + 1, -2);
    for (const l of pane.filter((x) => x.includes(' | '))) expect(l).toMatch(/^app-[12] +\| /);

    // r restarts the selected service: its containers' start times change
    const ids = await appIds();
    const before = await Promise.all(ids.map(startedAt));
    term.keys('r');
    await until((x) => x.includes('restarting app'), 'the restart to be acknowledged', 5000);
    const t0 = Date.now();
    for (;;) {
      const now = await Promise.all(ids.map(startedAt));
      if (now.every((t, i) => t !== before[i])) break;
      if (Date.now() - t0 > 30_000) throw new Error('app was not restarted');
      await sleep(200);
    }
    await until((x) => /^› app +running/m.test(x) && x.includes('restarting app: done'), 'app running again');

    // q quits the UI and leaves the stack running
    term.keys('q');
    await until((x) => x.includes('BERTH-EXIT=0'), 'berth ui to exit', 10_000);
    term.close();
    const running = await docker.listContainers({
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`], status: ['running'] }),
    });
    expect(running.length).toBe(6);
  }, 400_000);

  test('touching the bind-mounted source restarts the app replicas, which keep serving', async () => {
    const apps = await appIds();
    const marks = await Promise.all(
      apps.map(
        async (id) =>
          (await docker.getContainer(id).logs({ stdout: true, stderr: true }))
            .toString()
            .split('source changed').length,
      ),
    );
    // A replica restarted by the UI test just before may still be starting, its watcher not yet holding the
    // old stamps: a touch it starts after changes nothing for it. So touch again (a new mtime each time) until
    // every replica said it reloaded.
    const reloaded = new Set<string>();
    const deadline = Date.now() + 90_000;
    while (reloaded.size < apps.length) {
      if (Date.now() > deadline)
        throw new Error(`not every app replica reloaded: ${[...reloaded].join(', ')}`);
      const now = new Date();
      utimesSync(path.join(ROOT, 'fixtures/demo/app/app.py'), now, now);
      const until = Date.now() + 3000;
      while (reloaded.size < apps.length && Date.now() < until) {
        for (const [i, id] of apps.entries()) {
          const logs = (await docker.getContainer(id).logs({ stdout: true, stderr: true })).toString();
          if (logs.split('source changed').length > marks[i]!) reloaded.add(id);
        }
        await sleep(200);
      }
    }
    await firstAnswer();
  });

  test('recreating the app restarts nginx (depends_on restart: true), which then alternates over the new replicas', async () => {
    const before = (await appIds()).map((id) => id.slice(0, 12));
    ok(await cli.run('up', '-d', '--wait', '--force-recreate', 'app'));
    const after = (await appIds()).map((id) => id.slice(0, 12)).sort();
    expect(after).toHaveLength(2);
    expect(after.some((id) => before.includes(id))).toBe(false);
    // nginx's first requests after its restart may race its own start-up: wait for one answer, then check turns.
    let last: Visit = await firstAnswer();
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const v = await visit();
      expect(v.served_by).not.toBe(last.served_by);
      seen.add(v.served_by);
      last = v;
    }
    expect([...seen].sort()).toEqual(after);
  }, 400_000);

  test('rows survive a db recreate and down + up; down -v removes the volumes; another project is untouched', async () => {
    psql('create table notes (body text); insert into notes values ($$kept$$)');
    const recreate = await cli.run('up', '-d', '--wait', '--no-deps', '--force-recreate', 'db');
    ok(recreate);
    expect(recreate.stdout).toMatch(new RegExp(`${project}-db-1 +Recreated`));
    expect(psql('select body from notes')).toBe('kept');

    // a container of another project (same image, its own label) must survive our down
    const foreign = await docker.createContainer({
      name: `${other}-db-1`,
      Image: 'berth/busybox:latest',
      Cmd: ['sleep', '3600'],
      Labels: { 'dev.berth.project': other, 'dev.berth.service': 'db', 'dev.berth.replica': '1' },
      HostConfig: { Init: true },
    });
    await foreign.start();

    ok(await cli.run('down'));
    expect(await engineContainers(project)).toEqual([]);
    expect(await volumesOf(project)).toEqual([`${project}_dbdata`, `${project}_storedata`]);
    expect((await foreign.inspect()).State.Running).toBe(true);

    ok(await cli.run('up', '-d', '--wait'));
    expect(psql('select body from notes')).toBe('kept');

    const downV = await cli.run('down', '-v');
    ok(downV);
    expect(downV.stdout).toMatch(new RegExp(`Volume ${project}_dbdata +Removed`));
    expect(await volumesOf(project)).toEqual([]);
    expect(await engineContainers(project)).toEqual([]);
    expect((await foreign.inspect()).State.Running).toBe(true);
    const nets = await docker.listNetworks({
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }),
    });
    expect(nets).toEqual([]);
  }, 600_000);
});

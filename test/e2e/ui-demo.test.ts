import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { sleep, terminal } from './terminal.js';
import { collect, freePort, ROOT, stackCli } from './up-cli.js';

// The demo stack (lb → nginx → app ×2 → db + store) under its own project and port: `berth logs -f` counts
// every request while requests hit it, and `berth ui` runs in a real terminal (tmux) driven by keys.
const project = uniqueProject('uidemo');
const file = path.join(ROOT, 'fixtures/demo/berth.yaml');
let port = 0;
let cli: ReturnType<typeof stackCli>;
const session = project;
const SERVICES = ['lb', 'nginx', 'app', 'db', 'store'];

const term = terminal(session, 20_000);
const { until } = term;

const appContainers = async () =>
  (
    await docker.listContainers({
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`, 'dev.berth.service=app'] }),
    })
  ).map((c) => c.Id);
const startedAt = async (id: string) => (await docker.getContainer(id).inspect()).State.StartedAt;

beforeAll(async () => {
  port = await freePort();
  cli = stackCli(project, file, { BERTH_DEMO_PORT: String(port) });
  const up = await cli.run('up', '-d', '--wait');
  expect(up.code, up.stderr).toBe(0);
});

afterAll(async () => {
  term.close();
  await cli?.run('down', '-v');
  await cleanupProject(project);
});

test('berth logs -f shows every request the demo served, once', async () => {
  const follower = cli.spawn('logs', '-f', '--tail', '0', 'app');
  const run = collect(follower);
  await sleep(1500); // attached before the first request
  const N = 200;
  // one after another, as a user's browser does (the demo's app serves one request at a time per replica)
  for (let i = 0; i < N; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/api/visit?req=${i}`);
    expect(res.status).toBe(200);
  }
  const count = (out: string) => {
    const seen = new Map<number, number>();
    for (const m of out.matchAll(/^app-[12] +\| GET \/api\/visit\?req=(\d+) 200 /gm)) {
      seen.set(Number(m[1]), (seen.get(Number(m[1])) ?? 0) + 1);
    }
    return seen;
  };
  let out = '';
  follower.stdout!.on('data', (d) => {
    out += d;
  });
  for (let t = 0; t < 50 && count(out).size < N; t++) await sleep(100);
  follower.kill('SIGINT');
  const r = await run;
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
  for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${port}/api/visit?ui=${i}`);
  s = await until((x) => x.includes('logs: app') && /GET \/api\/visit\?ui=4 200/.test(x), "app's logs");
  const pane = s.split('\n').slice(s.split('\n').findIndex((l) => l.includes('logs: app')) + 1, -2);
  for (const l of pane.filter((x) => x.includes(' | '))) expect(l).toMatch(/^app-[12] +\| /);

  // r restarts the selected service: its containers' start times change
  const ids = await appContainers();
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
  const running = await docker.listContainers({
    filters: JSON.stringify({ label: [`dev.berth.project=${project}`], status: ['running'] }),
  });
  expect(running.length).toBe(6);
});

// Clients bench (issue 11) on a copy of the demo (lb → nginx → app ×2 → db + store). Runnable alone:
// `npx tsx bench/clients.ts`; `npm run bench` calls benchClients() (step `clients`).
// 1. A warm `berth use` (acme ↔ globex, both created before) against a floor: the same containers stopped and
//    started directly through the engine API in the same run (the old client's stops all at once, then the new
//    one's starts level by level in dependency order, then polling until every healthcheck passes — what
//    `use` waits for too).
// 2. `berth snapshot --data` and `berth restore` of acme, with a few MB (BENCH_DATA_MB, 4 by default) written
//    into its Redis volume on top of PostgreSQL's cluster.
// Every figure is wall time of the command (process start-up included) or of the floor's calls; the load
// average is recorded with the results, because on a shared machine it moves the figures more than anything.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Docker from 'dockerode';
import { freePorts } from './ports.js';
import { timed } from './proc.js';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const BERTH = join(ROOT, 'bin/berth.js');
const docker = new Docker();
const log = (s: string) => process.stderr.write(`bench/clients: ${s}\n`);
const DATA_MB = Number(process.env.BENCH_DATA_MB ?? 4);
/** Start order of the demo, one level per line: each level's dependencies are in the levels before it. */
const LEVELS = [['db', 'store'], ['app'], ['nginx'], ['lb']];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : Number.NaN;
};
const load1 = () => loadavg()[0]!;

async function berth(...args: string[]): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.BERTH_CLIENT; // the bench names its clients itself
  const r = await timed(process.execPath, [BERTH, ...args], env);
  if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.output.slice(-1500)}`);
  return r.ms;
}

const containersOf = async (project: string) =>
  docker.listContainers({ all: true, filters: JSON.stringify({ label: [`dev.berth.project=${project}`] }) });

/** The floor of a switch: stop `from`'s containers, start `to`'s level by level, wait for every health check. */
async function floorSwitch(from: string, to: string): Promise<number> {
  const [old, next] = await Promise.all([containersOf(from), containersOf(to)]);
  const t0 = performance.now();
  await Promise.all(
    old.map((c) =>
      docker
        .getContainer(c.Id)
        .stop({ t: 10 })
        .catch(() => {}),
    ),
  );
  for (const level of LEVELS)
    await Promise.all(
      next
        .filter((c) => level.includes(c.Labels['dev.berth.service'] ?? ''))
        .map((c) => docker.getContainer(c.Id).start()),
    );
  const deadline = Date.now() + 300_000;
  for (;;) {
    const states = await Promise.all(next.map((c) => docker.getContainer(c.Id).inspect()));
    if (states.every((s) => s.State.Running && (!s.State.Health || s.State.Health.Status === 'healthy')))
      break;
    if (Date.now() > deadline) throw new Error(`floor: ${to} did not become healthy within 300 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - t0;
}

export async function benchClients(runs = 3): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-clients-'));
  const name = `bb-clients-${randomBytes(2).toString('hex')}`;
  cpSync(join(ROOT, 'fixtures/demo'), dir, { recursive: true, filter: (p) => !p.endsWith('/.berth') });
  const file = join(dir, 'berth.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^name: .*$/m, `name: ${name}`));
  const [port] = await freePorts(docker, 1);
  writeFileSync(join(dir, '.env'), `BERTH_DEMO_PORT=${port}\n`);
  const acme = `${name}-acme`;
  const globex = `${name}-globex`;
  const at = (...a: string[]) => berth('-f', file, ...a);
  const out: Record<string, number> = {};
  const loads: number[] = [load1()];
  try {
    log(`creating ${acme} and ${globex} (cold, not measured)`);
    await at('use', 'globex');
    await at('use', 'acme');
    const store = (await containersOf(acme)).find((c) => c.Labels['dev.berth.service'] === 'store')!;
    execFileSync('docker', [
      'exec',
      store.Id,
      'sh',
      '-c',
      `head -c ${DATA_MB}m /dev/urandom > /data/bench.bin`,
    ]);

    const use: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      // acme runs: berth switches to globex and back, then the floor does the same.
      use.push(await at('use', 'globex'), await at('use', 'acme'));
      floor.push(await floorSwitch(acme, globex), await floorSwitch(globex, acme));
      loads.push(load1());
      log(
        `switch run ${i + 1}: use ${use.slice(-2).map((x) => (x / 1000).toFixed(2))} s, floor ${floor.slice(-2).map((x) => (x / 1000).toFixed(2))} s`,
      );
    }
    out.use_s = median(use) / 1000;
    out.use_floor_s = median(floor) / 1000;

    const snap: number[] = [];
    const restore: number[] = [];
    for (let i = 0; i < Math.max(1, Math.min(runs, 2)); i++) {
      snap.push(await at('--client', 'acme', 'snapshot', '--data', '--tag', `bench${i}`));
      restore.push(await at('--client', 'acme', 'restore', `bench${i}`));
      loads.push(load1());
      log(
        `data run ${i + 1}: snapshot ${(snap.at(-1)! / 1000).toFixed(2)} s, restore ${(restore.at(-1)! / 1000).toFixed(2)} s`,
      );
    }
    out.snapshot_data_s = median(snap) / 1000;
    out.restore_s = median(restore) / 1000;
    const sizes = (await docker.df()).Volumes as Array<{ Name: string; UsageData?: { Size: number } }>;
    out.acme_volumes_mb =
      sizes.filter((v) => v.Name.startsWith(`${acme}_`)).reduce((n, v) => n + (v.UsageData?.Size ?? 0), 0) /
      1e6;
    out.load_min = Math.min(...loads);
    out.load_max = Math.max(...loads);
    return out;
  } finally {
    log('cleaning up');
    for (const c of ['acme', 'globex']) await berth('-f', file, '--client', c, 'down', '-v').catch(() => 0);
    const snaps = await docker.listVolumes({
      filters: JSON.stringify({ label: ['dev.berth.data-snapshot', `dev.berth.stack=${name}`] }),
    });
    for (const v of snaps.Volumes ?? [])
      await docker
        .getVolume(v.Name)
        .remove()
        .catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/clients.ts')) {
  benchClients(Number(process.env.BENCH_CLIENT_RUNS ?? 3)).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`bench/clients: ${(err as Error)?.stack ?? err}\n`);
      process.exit(1);
    },
  );
}

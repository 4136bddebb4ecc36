// Log feed and UI bench (issue 6). Runnable alone: `npx tsx bench/logs.ts`; `npm run bench` calls benchLogs().
// 1. Throughput: lines/s through `berth logs -f` into a pipe against `docker-compose logs -f` on the same
//    generated stack (SERVICES × LINES lines already written, so the feed, not the writers, is measured;
//    wall time from spawn to the last line, process start-up included for both).
// 2. The UI's resident memory and CPU: `berth ui` in a real terminal (tmux) on 60 services logging 20 lines/s
//    each, sampled from /proc for UI_SECONDS (20 s by default, shorter than the issue's minute to keep
//    `npm run bench` bearable; BENCH_UI_SECONDS=60 for the full minute).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Docker from 'dockerode';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const BERTH = join(ROOT, 'bin/berth.js');
const docker = new Docker();
const log = (s: string) => process.stderr.write(`bench/logs: ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SERVICES = Number(process.env.BENCH_LOG_SERVICES ?? 10);
const LINES = Number(process.env.BENCH_LOG_LINES ?? 50_000);
const UI_SERVICES = 60;
const UI_RATE = 20;
const UI_SECONDS = Number(process.env.BENCH_UI_SECONDS ?? 20);

/** A Compose file both tools read (no top-level `name:`, which docker-compose 1.29 rejects). */
function writerStack(services: number, command: (svc: string) => string): string {
  let y = 'services:\n';
  for (let i = 0; i < services; i++) {
    const s = `s${String(i).padStart(2, '0')}`;
    y += `  ${s}:\n    image: berth/busybox:latest\n    command: ["sh", "-c", ${JSON.stringify(command(s))}]\n`;
  }
  return y;
}

function ensureCompose(): void {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'pipe' });
  } catch {
    log('installing docker-compose (Debian package) for the comparison');
    execFileSync(
      'bash',
      [
        '-c',
        'apt-get install -y -qq docker-compose >/dev/null || (apt-get update -qq && apt-get install -y -qq docker-compose)',
      ],
      {
        stdio: 'inherit',
      },
    );
  }
}

async function waitExited(label: string, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [label], status: ['exited'] }),
    });
    if (list.length >= n) return;
    await sleep(250);
  }
  throw new Error(`containers labelled ${label} did not finish writing`);
}

/** Spawn a follower and time it until `total` lines came through its stdout pipe. */
function linesPerSecond(cmd: string, args: string[], total: number, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let count = 0;
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd}: only ${count}/${total} lines after 300 s; ${err.slice(-300)}`));
    }, 300_000);
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    child.stdout.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) count++;
      if (count >= total) {
        const s = (performance.now() - t0) / 1000;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolvePromise(total / s);
      }
    });
    child.on('error', reject);
  });
}

export async function throughput(): Promise<Record<string, number>> {
  ensureCompose();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-logs-'));
  const file = join(dir, 'compose.yaml');
  // seq | sed: each writer dumps its lines as fast as the log driver takes them
  writeFileSync(
    file,
    writerStack(SERVICES, (s) => `seq 1 ${LINES} | sed 's/^/${s} a log line of a typical length, number /'`),
  );
  const id = randomBytes(3).toString('hex');
  const bp = `bt-benchlogs-${id}`;
  const cp = `btbenchlogsc${id}`;
  const env = { ...process.env, NO_COLOR: '1' };
  const total = SERVICES * LINES;
  try {
    execFileSync(process.execPath, [BERTH, '-f', file, '-p', bp, 'up', '-d'], { env, stdio: 'pipe' });
    execFileSync('docker-compose', ['-f', file, '-p', cp, 'up', '-d'], { env, stdio: 'pipe' });
    await waitExited(`dev.berth.project=${bp}`, SERVICES);
    await waitExited(`com.docker.compose.project=${cp}`, SERVICES);
    const berth: number[] = [];
    const compose: number[] = [];
    for (let run = 0; run < 3; run++) {
      berth.push(
        await linesPerSecond(process.execPath, [BERTH, '-f', file, '-p', bp, 'logs', '-f'], total, env),
      );
      compose.push(
        await linesPerSecond(
          'docker-compose',
          ['-f', file, '-p', cp, 'logs', '-f', '--no-color'],
          total,
          env,
        ),
      );
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    const b = med(berth);
    const c = med(compose);
    log(
      `throughput (${SERVICES}×${LINES} lines, median of 3): berth ${Math.round(b)} lines/s, docker-compose ${Math.round(c)} lines/s`,
    );
    return {
      logs_lines: total,
      berth_lines_per_s: Math.round(b),
      compose_lines_per_s: Math.round(c),
      berth_vs_compose: b / c,
    };
  } finally {
    try {
      execFileSync(process.execPath, [BERTH, '-f', file, '-p', bp, 'down'], { env, stdio: 'pipe' });
    } catch {}
    try {
      execFileSync('docker-compose', ['-f', file, '-p', cp, 'down'], { env, stdio: 'pipe' });
    } catch {}
    await removeLabelled(`dev.berth.project=${bp}`);
    await removeLabelled(`com.docker.compose.project=${cp}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whatever is left under a project label (a failed `down`): containers, then networks. */
async function removeLabelled(label: string): Promise<void> {
  const filters = JSON.stringify({ label: [label] });
  for (const c of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  for (const n of await docker.listNetworks({ filters }))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {});
}

const CLK_TCK = 100;

function procSample(pid: number): { cpuTicks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { cpuTicks, rssKb };
}

export async function uiResources(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-ui-'));
  const file = join(dir, 'berth.yaml');
  // 20 lines/s: two lines every 100 ms
  writeFileSync(
    file,
    `name: uibench\n${writerStack(UI_SERVICES, (s) => `trap 'exit 0' TERM; i=0; while true; do i=$((i+1)); echo "${s} request $i served in 3ms"; echo "${s} request $i logged"; sleep 0.1; done`).replace(/\$/g, '$$$$')}`,
  );
  const project = `bt-benchui-${randomBytes(3).toString('hex')}`;
  const session = project;
  const env = { ...process.env, NO_COLOR: '1' };
  try {
    execFileSync(process.execPath, [BERTH, '-f', file, '-p', project, 'up', '-d'], { env, stdio: 'pipe' });
    execFileSync('tmux', [
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '120',
      '-y',
      '40',
      process.execPath,
      BERTH,
      '-f',
      file,
      '-p',
      project,
      'ui',
    ]);
    const pid = Number(
      execFileSync('tmux', ['display', '-p', '-t', session, '#{pane_pid}'], { encoding: 'utf8' }).trim(),
    );
    await sleep(3000); // start-up and the initial history are not the steady state
    const first = procSample(pid);
    const t0 = performance.now();
    let maxRss = first.rssKb;
    while (performance.now() - t0 < UI_SECONDS * 1000) {
      await sleep(500);
      maxRss = Math.max(maxRss, procSample(pid).rssKb);
    }
    const last = procSample(pid);
    const seconds = (performance.now() - t0) / 1000;
    const cpuPct = ((last.cpuTicks - first.cpuTicks) / CLK_TCK / seconds) * 100;
    const screen = execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });
    if (!screen.includes('s59') && !screen.includes('s00'))
      throw new Error(`the UI did not show the services:\n${screen}`);
    log(
      `UI with ${UI_SERVICES} services × ${UI_RATE} lines/s for ${Math.round(seconds)} s: max RSS ${Math.round(maxRss / 1024)} MB, CPU ${cpuPct.toFixed(1)}% of one core`,
    );
    return {
      ui_services: UI_SERVICES,
      ui_seconds: Math.round(seconds),
      ui_rss_mb_max: Math.round(maxRss / 1024),
      ui_cpu_pct: Number(cpuPct.toFixed(1)),
    };
  } finally {
    try {
      execFileSync('tmux', ['kill-session', '-t', session], { stdio: 'pipe' });
    } catch {}
    try {
      execFileSync(process.execPath, [BERTH, '-f', file, '-p', project, 'down', '-t', '1'], {
        env,
        stdio: 'pipe',
      });
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchLogs(): Promise<Record<string, number>> {
  const t = await throughput();
  const u = await uiResources();
  return { ...t, ...u };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/logs.ts')) {
  benchLogs().then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`bench/logs: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}

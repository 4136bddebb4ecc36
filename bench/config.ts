// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the generated file uses Compose interpolation
// `berth config` speed: CLI start-up, and full load + validation of generated 60- and 200-service stacks.
// Part of `npm run bench` (bench/run.ts calls benchConfig) and runnable alone: `npx tsx bench/config.ts`.
// Needs a build (dist/); builds once if it is missing. Times are medians in seconds (≥ 5 runs each).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), '..');
const BIN = join(ROOT, 'bin/berth.js');
const RUNS = 7;

/** A layered stack (lb → web → app → db → store) using most of what the loader handles, per service. */
export function generateConfigStack(size: number): string {
  const layers = ['lb', 'web', 'app', 'db', 'store'];
  const per = Math.max(1, Math.floor(size / layers.length));
  const names: string[][] = layers.map(() => []);
  const out: string[] = [
    'name: benchcfg',
    'x-common: &common',
    '  restart: unless-stopped',
    '  init: true',
    'services:',
  ];
  let n = 0;
  for (let l = 0; l < layers.length && n < size; l++) {
    const count = l === layers.length - 1 ? size - n : per;
    for (let i = 0; i < count; i++, n++) {
      const name = `${layers[l]}${i}`;
      names[l]!.push(name);
      const deps: string[] = [];
      const next = layers[l + 1];
      if (next) deps.push(`${next}${i % per}`);
      out.push(
        `  ${name}:`,
        '    <<: *common',
        '    image: berth/busybox:latest',
        '    command: ["sleep", "86400"]',
        '    environment:',
        `      SERVICE: ${name}`,
        '      LEVEL: ${BENCH_LEVEL:-info}',
        '    labels:',
        `      - tier=${layers[l]}`,
        '    ports:',
        `      - "${20000 + n}:80"`,
        '    volumes:',
        `      - data${l}:/data`,
        '      - ./conf:/etc/conf:ro',
        '    healthcheck:',
        '      test: ["CMD", "true"]',
        '      interval: 5s',
        '      timeout: 2s',
        '      retries: 3',
        '    networks: [back]',
      );
      if (deps.length) {
        out.push('    depends_on:');
        for (const d of deps) out.push(`      ${d}:`, '        condition: service_healthy');
      }
    }
  }
  out.push('volumes:', ...layers.map((_, l) => `  data${l}:`), 'networks:', '  back:', '');
  return out.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** CPU seconds (user + system) of waited-for children so far (Linux); wall time alone swings with machine load. */
function childCpu(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after the command name: state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

function cpuCli(args: string[], cwd: string, env: Record<string, string> = {}): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const before = childCpu();
    spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env } });
    times.push(childCpu() - before);
  }
  return median(times);
}

function timeCli(args: string[], cwd: string, env: Record<string, string> = {}): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`berth ${args.join(' ')} failed: ${r.stderr}`);
    times.push(ms / 1000);
  }
  return median(times);
}

export async function benchConfig(): Promise<Record<string, number>> {
  if (!existsSync(join(ROOT, 'dist/cli/main.mjs')))
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT });
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-config-'));
  try {
    mkdirSync(join(dir, 'conf'));
    for (const size of [60, 200]) writeFileSync(join(dir, `s${size}.yaml`), generateConfigStack(size));
    const result: Record<string, number> = {};
    // Own cache directory: the first run fills it, the median is of runs that hit it (an unchanged file, the
    // usual case); `_cold` runs parse every time (BERTH_NO_CACHE=1).
    const cache = { BERTH_CACHE_DIR: join(dir, 'cache') };
    const cold = { BERTH_NO_CACHE: '1' };
    result.startup_version_s = timeCli(['--version'], dir);
    result.config_q_60_s = timeCli(['-f', 's60.yaml', 'config', '-q'], dir, cache);
    result.config_q_60_cold_s = timeCli(['-f', 's60.yaml', 'config', '-q'], dir, cold);
    result.config_q_200_s = timeCli(['-f', 's200.yaml', 'config', '-q'], dir, cache);
    result.config_q_200_cold_s = timeCli(['-f', 's200.yaml', 'config', '-q'], dir, cold);
    result.config_json_200_s = timeCli(['-f', 's200.yaml', 'config', '--format', 'json'], dir, cache);
    result.startup_version_cpu_s = cpuCli(['--version'], dir);
    result.config_q_60_cpu_s = cpuCli(['-f', 's60.yaml', 'config', '-q'], dir, cache);
    result.config_q_60_cold_cpu_s = cpuCli(['-f', 's60.yaml', 'config', '-q'], dir, cold);
    // In-process: the loader alone, warm (what a verb pays after start-up).
    process.env.BERTH_NO_CACHE = '1';
    const { loadStack } = await import('../src/compose/index.js');
    const load = () => loadStack({ files: ['s200.yaml'], cwd: dir, profiles: [], envFiles: [], env: {} });
    load();
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      load();
      warm.push(performance.now() - t0);
    }
    result.load_200_in_process_ms = Math.round(median(warm) * 10) / 10;
    delete process.env.BERTH_NO_CACHE;
    for (const k of Object.keys(result)) result[k] = Math.round(result[k]! * 1000) / 1000;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  benchConfig().then(
    (r) => {
      for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(26)} ${v}`);
    },
    (e) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}

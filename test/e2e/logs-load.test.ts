import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { collect, stackCli } from './up-cli.js';

// 10 services each writing 2,000 lines as fast as they can: `berth logs` (and `berth logs -f` running while
// they write) must deliver every line, in order per container. A slow reader must not grow berth's memory.
// (Ten writers interleave as thirty did; each container more is only engine time, the suite's scarcest.)
const SERVICES = 10;
const LINES = 2000;
const project = uniqueProject('logsload');
const dir = mkdtempSync(path.join(tmpdir(), 'berth-logs-load-'));
const file = path.join(dir, 'berth.yaml');
const cli = stackCli(project, file);

function stackYaml(lines: number, pad = ''): string {
  let y = 'name: loadstack\nservices:\n';
  for (let i = 0; i < SERVICES; i++) {
    const s = `s${String(i).padStart(2, '0')}`;
    // seq + sed: one process writes as fast as the pipe takes it
    y += `  ${s}:\n    image: berth/busybox:latest\n    command: ["sh", "-c", "sleep 2; seq 1 ${lines} | sed 's/^/${s} ${pad}/'"]\n`;
  }
  return y;
}

/** Lines per service, checked to be exactly 1..n in order. */
function checkComplete(out: string, n: number) {
  const bySvc = new Map<string, number[]>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const m = /^(s\d\d) +\| (s\d\d) (?:x+ )?(\d+)$/.exec(line);
    expect(m, `unexpected line: ${JSON.stringify(line.slice(0, 200))}`).not.toBeNull();
    expect(m![1]).toBe(m![2]);
    const list = bySvc.get(m![1]!) ?? [];
    list.push(Number(m![3]));
    bySvc.set(m![1]!, list);
  }
  expect(bySvc.size).toBe(SERVICES);
  const expected = Array.from({ length: n }, (_, i) => i + 1);
  for (const [, nums] of bySvc) {
    expect(nums.length).toBe(n);
    expect(nums).toEqual(expected);
  }
}

async function waitAllExited() {
  for (let i = 0; i < 300; i++) {
    const list = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`dev.berth.project=${project}`], status: ['exited'] }),
    });
    if (list.length === SERVICES) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the writers did not finish');
}

beforeAll(() => writeFileSync(file, stackYaml(LINES)));
afterAll(async () => {
  await cleanupProject(project);
  rmSync(dir, { recursive: true, force: true });
});

test(`${SERVICES} services × ${LINES} lines: -f while they write, then a plain read, both complete and in order`, async () => {
  const up = await cli.run('up', '-d');
  expect(up.code, up.stderr).toBe(0);
  // the writers wait 2 s before writing: the follower is attached before the first line
  const follower = cli.spawn('logs', '-f');
  const followed = collect(follower);
  let shown = 0;
  follower.stdout!.on('data', (d: Buffer) => {
    for (const c of d) if (c === 10) shown++;
  });
  await waitAllExited();
  // the stack is still there (exited containers), so -f keeps following: stop it once every line is shown
  const deadline = Date.now() + 120_000;
  while (shown < SERVICES * LINES && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  follower.kill('SIGINT');
  const f = await followed;
  checkComplete(f.stdout, LINES);

  const t0 = Date.now();
  const plain = await cli.run('logs');
  expect(plain.code, plain.stderr).toBe(0);
  checkComplete(plain.stdout, LINES);
  console.log(`berth logs: ${SERVICES * LINES} lines in ${Date.now() - t0} ms`);
});

test('a reader that does not read: berth pauses the engine streams, its memory stays flat, nothing is lost', async () => {
  await cleanupProject(project);
  // 10 × 60 000 lines × ~110 bytes ≈ 66 MB of logs
  const lines = 60_000;
  writeFileSync(file, stackYaml(lines, `${'x'.repeat(100)} `));
  const up = await cli.run('up', '-d');
  expect(up.code, up.stderr).toBe(0);
  await waitAllExited();
  const child = cli.spawn('logs');
  child.stdout!.pause();
  // berth fills the pipe, then must stop reading the engine: wait until its memory stops growing (ten samples
  // in a row within 2 MB), keeping the highest it reached
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]);
  const samples: number[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    samples.push(rss());
    const last = samples.slice(-10);
    if (samples.length >= 10 && Math.max(...last) - Math.min(...last) < 2048) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const rssKb = Math.max(...samples);
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stdout!.resume();
  const code = await new Promise((r) => child.on('close', r));
  expect(code).toBe(0);
  console.log(`berth logs RSS while its reader was stalled: ${Math.round(rssKb / 1024)} MB`);
  expect(rssKb).toBeLessThan(150 * 1024);
  checkComplete(out, lines);
});

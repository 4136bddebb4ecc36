// Memos through the built CLI (bin/berth.js → dist/fast.cjs), as a user runs it: a second `config -q` and a
// second no-op `up -d` are answered from the memo (BERTH_MEMO_TRACE says so) with the same output, and every
// change that would change the answer (a file, the environment, a container, an image) is a miss that does
// the real work.
import { rmSync, utimesSync, writeFileSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { berth, engineContainers, ok, type Run, tempCompose } from './up-cli.js';

const TRACE = { BERTH_MEMO_TRACE: '1' };
const hit = (r: Run) => /berth: memo hit/.test(r.stderr);

/** Backdate a file: one written in the last two seconds is too recent for a memo to trust (src/inputs). */
function aged(file: string) {
  const t = new Date(Date.now() - 60_000);
  utimesSync(file, t, t);
}

/**
 * Run until the memo answers, with a deadline. The run that writes the memo must come at least two seconds
 * after the last change of a file it reads (the change time cannot be backdated), so the first runs may be
 * full ones that write no memo.
 */
async function untilHit(run: () => Promise<Run>, deadlineMs = 60_000): Promise<{ full: Run; hit: Run }> {
  const end = Date.now() + deadlineMs;
  let full = ok(await run());
  for (;;) {
    const r = ok(await run());
    if (hit(r)) return { full, hit: r };
    full = r;
    if (Date.now() > end) throw new Error(`no memo hit within ${deadlineMs / 1000} s:\n${r.stderr}`);
  }
}

const dirs: string[] = [];
const projects: string[] = [];
afterAll(async () => {
  for (const p of projects) await cleanupProject(p);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('config -q: answered from the memo until a file or the environment changes', async () => {
  const { dir, file } = tempCompose('memo-config', 'services:\n  app:\n    image: "${IMG:?set IMG}"\n');
  dirs.push(dir);
  aged(file);
  const config = (env: Record<string, string> = {}) =>
    berth(['-f', file, 'config', '-q'], { ...TRACE, IMG: 'berth/busybox', ...env });
  const { hit: answered } = await untilHit(() => config());
  expect(answered.code).toBe(0);
  expect(answered.stdout).toBe('');

  // another environment is another key: without IMG the interpolation fails, as it must
  const unset = await berth(['-f', file, 'config', '-q'], TRACE);
  expect(unset.code).toBe(2);
  expect(unset.stderr).toMatch(/set IMG/);

  // an edited file is a miss, and its error is reported
  writeFileSync(file, 'services:\n  app:\n    image: [not, a, string]\n');
  const broken = await config();
  expect(broken.stderr).toMatch(/memo miss \(.*compose\.yaml changed\)/);
  expect(broken.code).toBe(2);

  // a file that appears where berth looked for one (the override) is a miss too
  writeFileSync(file, 'services:\n  app:\n    image: "${IMG}"\n');
  aged(file);
  await untilHit(() => config());
  writeFileSync(`${dir}/compose.override.yaml`, 'services:\n  app:\n    ports: ["not a port"]\n');
  const overridden = await berth(['config', '-q'], { ...TRACE, IMG: 'berth/busybox' }, dir);
  expect(overridden.code).toBe(2);
});

test('a no-op up -d: the memo answers as the full run did; a stopped container, an edit, a new image are work', async () => {
  const project = uniqueProject('memo');
  projects.push(project);
  const tag = `${project}:v`;
  await docker.getImage('berth/busybox:latest').tag({ repo: project, tag: 'v' });
  const text = (rev: string) =>
    `services:\n  a:\n    image: ${tag}\n    command: sleep 3600\n    stop_signal: SIGKILL\n    environment: {REV: "${rev}"}\n    volumes: [data:/data]\n  b:\n    image: berth/busybox\n    command: sleep 3600\n    stop_signal: SIGKILL\n    depends_on: [a]\nvolumes:\n  data: {}\n`;
  const { dir, file } = tempCompose('memo-up', text('1'));
  dirs.push(dir);
  aged(file);
  const up = () => berth(['-p', project, '-f', file, 'up', '-d'], TRACE);
  try {
    ok(await up());
    const { full, hit: answered } = await untilHit(up);
    expect(answered.stdout).toBe(full.stdout);
    expect(answered.stdout).toMatch(/nothing to do/);

    // a container stopped behind berth's back: the engine changed, and up starts it again
    const [a] = await engineContainers(project);
    await docker.getContainer(a!.id).stop({ t: 0 });
    const restarted = ok(await up());
    expect(restarted.stderr).toMatch(/memo miss \(the engine changed\)/);
    expect((await engineContainers(project)).every((c) => c.state === 'running')).toBe(true);

    // an edit of the stack file: a miss, and the changed service is recreated
    await untilHit(up);
    writeFileSync(file, text('2'));
    const edited = ok(await up());
    expect(edited.stderr).toMatch(/memo miss \(.*compose\.yaml changed\)/);
    const now = await engineContainers(project);
    expect(now.find((c) => c.name === `${project}-a-1`)!.id).not.toBe(a!.id);

    // the service's tag moved to another image: a miss, and the container is recreated on the new image
    aged(file);
    await untilHit(up);
    const before = (await engineContainers(project)).find((c) => c.name === `${project}-a-1`)!;
    await docker.getImage('berth/debian-stack:latest').tag({ repo: project, tag: 'v' });
    const retagged = ok(await up());
    expect(retagged.stderr).toMatch(/memo miss \(the engine changed\)/);
    const after = (await engineContainers(project)).find((c) => c.name === `${project}-a-1`)!;
    expect(after.id).not.toBe(before.id);
  } finally {
    await berth(['-p', project, '-f', file, 'down', '-v']);
    await docker
      .getImage(tag)
      .remove()
      .catch(() => {});
  }
});

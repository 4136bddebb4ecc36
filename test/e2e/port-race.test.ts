// A host port taken between berth's pre-check and its start (forced by BERTH_TEST_HOOK_AFTER_PREFLIGHT, a fifo
// berth reads to its end before it creates anything): the failure reads as the pre-check's message, once,
// naming the holder, exit 1 as the pre-check's, and no container of the project is left `created`.
import { execFileSync } from 'node:child_process';
import { constants, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { collect, freePort, stackCli, tempCompose } from './up-cli.js';

describe('a port taken after the pre-check', () => {
  const project = uniqueProject('hard-race');
  const dirs: string[] = [];
  let server: Server | undefined;
  afterAll(async () => {
    if (server) await new Promise((r) => server!.close(r));
    await cleanupProject(project);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('is named as the pre-check names it, once, and leaves nothing created', async () => {
    const port = await freePort();
    const { dir, file } = tempCompose(
      'hard-race',
      `services:
  side:
    image: berth/busybox:latest
    command: ["sleep", "3600"]
    init: true
  web:
    image: berth/busybox:latest
    command: ["sleep", "3600"]
    init: true
    ports: ["127.0.0.1:${port}:8080"]
`,
    );
    dirs.push(dir);
    const hookDir = mkdtempSync(path.join(tmpdir(), 'berth-hard-hook-'));
    dirs.push(hookDir);
    const fifo = path.join(hookDir, 'after-preflight');
    execFileSync('mkfifo', [fifo]);

    const cli = stackCli(project, file, { BERTH_TEST_HOOK_AFTER_PREFLIGHT: fifo });
    const done = collect(cli.spawn('up', '-d'));
    // Opening the fifo for writing returns once berth opened it for reading: it passed its pre-check.
    const reached = open(fifo, 'w');
    const first = await Promise.race([
      reached.then(() => 'hook' as const),
      done.then(() => 'exited' as const),
    ]);
    if (first === 'exited') {
      // unblock our pending open before failing, so the test does not hang
      (await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK)).close();
      await (await reached).close();
      expect((await done).stderr).toBe('berth reached the hook');
    }
    const writer = await reached;
    server = createServer();
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    await writer.close(); // EOF: berth goes on to create and start

    const r = await done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(1);
    const named = new RegExp(
      `port 127\\.0\\.0\\.1:${port} \\(service "web"\\) is taken by process ${process.pid} \\([^)]*node[^)]*\\); stop it or change the port`,
      'g',
    );
    expect(out.match(named) ?? [], out).toHaveLength(1);
    expect(out).not.toMatch(/userland proxy|external connectivity|already allocated/);

    const filters = JSON.stringify({ label: [`dev.berth.project=${project}`] });
    const left = await docker.listContainers({ all: true, filters });
    expect(left.filter((c) => c.State === 'created')).toEqual([]);
    expect(left.map((c) => `${c.Labels['dev.berth.service']}:${c.State}`)).toEqual(['side:running']);

    // once the port is free again, the next `up` converges
    await new Promise((res) => server!.close(res));
    server = undefined;
    const again = await stackCli(project, file).run('up', '-d');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    const after = await docker.listContainers({ all: true, filters });
    expect(after.map((c) => c.State).sort()).toEqual(['running', 'running']);
  });
});

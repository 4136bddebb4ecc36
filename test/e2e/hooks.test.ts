// Lifecycle hooks, provider services and Compose's labels on the real engine (local images only). One stack shows
// the order: pre_start writes into a named and an anonymous volume before the service starts (the service reads
// them at start: the hook shares the new container's mounts), post_start
// runs after the start and before a dependent starts (the dependent reads what it wrote), pre_stop runs before
// `down` stops the container (its write is in the volume afterwards); a provider script of the test's own, on
// PATH, hands a variable to its dependent. A second stack shows failing hooks reported with their output.
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, execIn, uniqueProject } from './helpers.js';
import { engineContainers, ok, stackCli, tempCompose } from './up-cli.js';

/** A file of a named volume, read with a throwaway container of the local busybox image. */
async function readVolume(volume: string, file: string): Promise<string> {
  const out: Buffer[] = [];
  const { Writable } = await import('node:stream');
  const sink = new Writable({
    write(chunk, _enc, cb) {
      out.push(Buffer.from(chunk));
      cb();
    },
  });
  const [res, c] = (await docker.run('berth/busybox:latest', ['cat', file], sink, {
    HostConfig: { Binds: [`${volume}:/v:ro`], AutoRemove: false },
    Labels: { 'dev.berth.test': 'hooks' },
  })) as [{ StatusCode: number }, { remove: (o: object) => Promise<void> }];
  await c.remove({ force: true }).catch(() => {});
  if (res.StatusCode !== 0) throw new Error(`cat ${file}: exit ${res.StatusCode}`);
  return Buffer.concat(out).toString().replace(/\r\n/g, '\n'); // a TTY's line ends
}

describe('hooks, providers and Compose labels', () => {
  const project = uniqueProject('hooks');
  const { dir, file } = tempCompose(
    'hooks',
    `services:
  db:
    provider:
      type: bthooks
      options:
        size: small
  app:
    image: berth/busybox
    command: [sh, -c, 'cat /v/log > /v/app-saw; cat /scratch/x > /v/app-anon; exec sleep 3600']
    stop_grace_period: 1s
    depends_on: [db]
    volumes: [data:/v, /scratch]
    pre_start:
      - command: sh -c 'echo pre >> /v/log; echo anon > /scratch/x'
    post_start:
      - command: sh -c 'echo post-$$WHO >> /v/log'
        environment: { WHO: hook }
    pre_stop:
      - command: sh -c 'echo stop >> /v/log'
  web:
    image: berth/busybox
    command: [sh, -c, 'cat /v/log > /v/web-saw; exec sleep 3600']
    stop_grace_period: 1s
    depends_on: [app]
    volumes: [data:/v]
volumes:
  data:
`,
  );
  // The provider: answers `up` with an info and a setenv line, and logs every call.
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  const calls = path.join(dir, 'provider.log');
  writeFileSync(
    path.join(bin, 'docker-bthooks'),
    `#!/bin/sh
echo "$@" >> '${calls}'
case "$3" in
  up) echo '{"type":"info","message":"provisioning"}'; echo '{"type":"setenv","message":"URL=db://small"}' ;;
esac
`,
  );
  chmodSync(path.join(bin, 'docker-bthooks'), 0o755);
  const cli = stackCli(project, file, { PATH: `${bin}:${process.env.PATH}` });
  // `down` without -v keeps the anonymous volumes (as Compose's does), and they carry no label to find them by
  const anonymous: string[] = [];
  afterAll(async () => {
    await cleanupProject(project);
    for (const name of anonymous)
      await docker
        .getVolume(name)
        .remove()
        .catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  test('each hook runs at its moment; the provider feeds its dependent; Compose labels are on everything', async () => {
    ok(await cli.run('up', '-d'));
    const volume = `${project}_data`;
    // the service saw what pre_start wrote when it started; the dependent saw what post_start wrote
    expect(await readVolume(volume, '/v/app-saw')).toBe('pre\n');
    // pre_start shares the service container's mounts (volumes_from, as Compose): its anonymous volume too
    expect(await readVolume(volume, '/v/app-anon')).toBe('anon\n');
    expect(await readVolume(volume, '/v/web-saw')).toBe('pre\npost-hook\n');
    // asked for its metadata first, as Compose does (it answers none: every option is passed)
    expect(readFileSync(calls, 'utf8')).toBe(
      `compose metadata\ncompose --project-name=${project} up --size=small db\n`,
    );
    expect(await execIn(project, 'web', ['sh', '-c', 'echo "[$DB_URL]"'])).toBe('[]\n');
    expect(await execIn(project, 'app', ['sh', '-c', 'echo "[$DB_URL]"'])).toBe('[db://small]\n');
    // no one-off of pre_start is left behind
    expect((await engineContainers(project)).map((c) => c.name)).toEqual([
      `${project}-app-1`,
      `${project}-web-1`,
    ]);

    const app = await docker.getContainer(`${project}-app-1`).inspect();
    expect(app.Config.Labels).toMatchObject({
      'com.docker.compose.project': project,
      'com.docker.compose.service': 'app',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project.working_dir': dir,
      'com.docker.compose.project.config_files': file,
    });
    expect((await docker.getNetwork(`${project}_default`).inspect()).Labels).toMatchObject({
      'com.docker.compose.project': project,
      'com.docker.compose.network': 'default',
    });
    expect((await docker.getVolume(volume).inspect()).Labels).toMatchObject({
      'com.docker.compose.project': project,
      'com.docker.compose.volume': 'data',
    });

    // a second up changes nothing and runs no hook again
    const ids = (await engineContainers(project)).map((c) => c.id);
    const again = ok(await cli.run('up', '-d'));
    expect(again.stdout).toMatch(/nothing to do/);
    expect(again.stdout).not.toMatch(new RegExp(`${project}-\\w+-1 +(Created|Recreated)`));
    expect((await engineContainers(project)).map((c) => c.id)).toEqual(ids);
    expect(await readVolume(volume, '/v/log')).toBe('pre\npost-hook\n');

    for (const id of ids) {
      const { Mounts } = await docker.getContainer(id).inspect();
      for (const m of Mounts) if (m.Type === 'volume' && m.Name && m.Name !== volume) anonymous.push(m.Name);
    }
    ok(await cli.run('down'));
    expect(await readVolume(volume, '/v/log')).toBe('pre\npost-hook\nstop\n');
    expect(readFileSync(calls, 'utf8').trim().split('\n').at(-1)).toBe(
      `compose --project-name=${project} down --size=small db`,
    );
  }, 300_000); // generous: a loaded 2-core machine takes minutes for what takes seconds on a quiet one
});

describe('failing hooks and a missing provider', () => {
  const project = uniqueProject('hooks');
  const { dir, file } = tempCompose(
    'hooks-fail',
    `services:
  late:
    image: berth/busybox
    command: [sleep, '3600']
    stop_grace_period: 1s
    post_start:
      - command: sh -c 'echo migration 7 failed; exit 3'
  early:
    image: berth/busybox
    command: [sleep, '3600']
    pre_start:
      - command: sh -c 'echo cannot prepare the volume >&2; exit 17'
`,
  );
  const missing = tempCompose(
    'hooks-missing',
    'services:\n  db:\n    provider:\n      type: bt-hooks-no-such-provider\n  app:\n    image: berth/busybox\n    depends_on: [db]\n',
  );
  afterAll(async () => {
    await cleanupProject(project);
    rmSync(dir, { recursive: true, force: true });
    rmSync(missing.dir, { recursive: true, force: true });
  });

  test('a failing hook fails up with its exit status and output, naming the service', async () => {
    const cli = stackCli(project, file);
    const r = await cli.run('up', '-d');
    const all = r.stdout + r.stderr;
    expect(r.code).toBe(1);
    expect(all).toMatch(/late post_start\[0\] hook exited with status 3/);
    expect(all).toMatch(/migration 7 failed/);
    expect(all).toMatch(/early pre_start\[0\] hook exited with status 17/);
    expect(all).toMatch(/cannot prepare the volume/);
    const states = Object.fromEntries((await engineContainers(project)).map((c) => [c.name, c.state]));
    // post_start fails after the start; a failed pre_start leaves the service created, not started (as Compose)
    expect(states).toEqual({ [`${project}-early-1`]: 'created', [`${project}-late-1`]: 'running' });
  });

  test('a provider that is not installed is exit 2 at its line, before anything is made', async () => {
    const mp = uniqueProject('hooks');
    const r = await stackCli(mp, missing.file).run('up', '-d');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /compose\.yaml:4:\d+: provider `bt-hooks-no-such-provider` of service "db" not found/,
    );
    expect(await engineContainers(mp)).toEqual([]);
  });
});

// A restart owed is never lost: Ctrl-C after `up` replaced `app` but before it restarted `nginx` (which depends
// on app with `restart: true`, so it holds app's old address) → the next `up` restarts nginx. The moment is
// exact, not timed: BERTH_TEST_HOLD_AFTER=app holds the run right after app's containers are in place (its
// dependents cannot go on before that) and says so on stderr; the test sends SIGINT when it reads that.
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { cleanupProject, docker, execIn, uniqueProject } from './helpers.js';
import { collect, engineContainers, ok, stackCli, tempCompose } from './up-cli.js';

const project = uniqueProject('cl2-debt');
// `nginx` notes the address `app` resolved to when it started, as a real proxy would resolve its upstreams.
const { dir, file } = tempCompose(
  'cl2-debt',
  `services:
  app:
    image: berth/busybox:latest
    init: true
    command: ["sleep", "3600"]
    environment:
      VERSION: \${APP_VERSION:-1}
  nginx:
    image: berth/busybox:latest
    init: true
    # the engine's DNS can be slow to answer at load: resolve until it does, as a proxy retrying would
    command: ["sh", "-c", "until ping -c 1 -W 1 app 2>/dev/null | head -n 1 > /u.tmp && grep -q '(' /u.tmp; do sleep 0.2; done; mv /u.tmp /upstream; exec sleep 3600"]
    depends_on:
      app:
        condition: service_started
        restart: true
`,
);
afterAll(async () => {
  await cleanupProject(project);
  rmSync(dir, { recursive: true, force: true });
});

const byService = async () => {
  const list = await engineContainers(project);
  return Object.fromEntries(list.map((c) => [c.labels['dev.berth.service']!, c]));
};
const startedAt = async (id: string) => (await docker.getContainer(id).inspect()).State.StartedAt;
const appAddress = async (id: string) =>
  Object.values((await docker.getContainer(id).inspect()).NetworkSettings.Networks)[0]!.IPAddress;
/** The address nginx resolved app to when it started, from ping's first line: "PING app (172.18.0.2): ...". */
const upstreamOfNginx = async () => {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const line = await execIn(project, 'nginx', ['cat', '/upstream']).catch(() => '');
    const ip = /\(([\d.]+)\)/.exec(line)?.[1];
    if (ip || Date.now() > deadline) return ip;
    await new Promise((r) => setTimeout(r, 100));
  }
};

// The debt is written under XDG_STATE_HOME: a folder of this test's own.
const env = (v: string, more: Record<string, string> = {}) => ({
  APP_VERSION: v,
  XDG_STATE_HOME: `${dir}/state`,
  ...more,
});

test('Ctrl-C between app’s recreate and nginx’s restart: the next up restarts nginx', async () => {
  const v1 = stackCli(project, file, env('1'));
  ok(await v1.run('up', '-d'));
  const before = await byService();
  const nginxStarted = await startedAt(before.nginx!.id);
  expect(await upstreamOfNginx()).toBe(await appAddress(before.app!.id));

  // A changed app: up recreates it, then owes nginx a restart. Held right after app, then interrupted.
  const v2 = stackCli(project, file, env('2'));
  const child = stackCli(project, file, env('2', { BERTH_TEST_HOLD_AFTER: 'app' })).spawn('up', '-d');
  const done = collect(child);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('test hold after "app"')) resolve();
    });
    child.on('close', (code) => reject(new Error(`up exited ${code} before the hold\n${err}`)));
  });
  const held = await byService();
  expect(held.app!.id).not.toBe(before.app!.id);
  expect(held.nginx!.id).toBe(before.nginx!.id);
  expect(await startedAt(held.nginx!.id)).toBe(nginxStarted);
  child.kill('SIGINT');
  const run = await done;
  expect(run.code).toBe(130);
  // nginx still holds the replaced container's address: this is the debt.
  expect(await startedAt(held.nginx!.id)).toBe(nginxStarted);

  const next = ok(await v2.run('up', '-d'));
  expect(next.stdout).not.toMatch(/Everything is up to date/);
  expect(next.stdout).toMatch(/nginx-1\s+Restarted/);
  const after = await byService();
  expect(after.nginx!.id).toBe(before.nginx!.id);
  expect(await startedAt(after.nginx!.id)).not.toBe(nginxStarted);
  expect(await upstreamOfNginx()).toBe(await appAddress(after.app!.id));
  // Paid: nothing is owed any more.
  expect((await v2.run('up', '-d')).stdout).toMatch(/Everything is up to date/);
});

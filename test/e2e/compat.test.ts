// Compose files written by others (fixtures/compat: docker/awesome-compose samples and docker/compose's own e2e
// fixtures, each byte-identical to its source) brought up and down on the real engine. The only change is the
// overlay beside each file (`-f original -f berth.overlay.yaml`), which puts local images in place of Hub images
// and builds whose contexts are not included. Each case owns its project and removes it even when it fails.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, test } from 'vitest';
import { cleanupProject, docker, uniqueProject } from './helpers.js';
import { berth, ROOT, type Run } from './up-cli.js';

const COMPAT = path.join(ROOT, 'fixtures/compat');

interface Case {
  /** folder under fixtures/compat */
  dir: string;
  /** the original file in it */
  file: string;
  /** services that must be running after `up` (and, with a healthcheck, healthy: `up --wait` checks that) */
  running: string[];
  /** one-shot services: must have exited 0 and printed this (the original has no long-running command) */
  exited?: Record<string, RegExp>;
  /** services the file has that must not be created (profiles) */
  absent?: string[];
  /** environment the original expects from the shell (as docker/compose's own e2e tests set it) */
  env?: Record<string, string>;
  /** per service: environment entries the container must have (interpolated from the sibling .env) */
  envIn?: Record<string, string[]>;
}

const CASES: Case[] = [
  { dir: 'ac-flask-redis', file: 'compose.yaml', running: ['redis', 'web'] },
  { dir: 'ac-gitea-postgres', file: 'compose.yaml', running: ['gitea', 'db'] },
  { dir: 'ac-nextcloud-redis-mariadb', file: 'compose.yaml', running: ['nc', 'redis', 'db'] },
  { dir: 'ac-nginx-flask-mysql', file: 'compose.yaml', running: ['db', 'backend', 'proxy'] },
  { dir: 'ac-nginx-golang-postgres', file: 'compose.yaml', running: ['backend', 'db', 'proxy'] },
  { dir: 'ac-nginx-nodejs-redis', file: 'compose.yaml', running: ['redis', 'web1', 'web2', 'nginx'] },
  {
    dir: 'ac-postgresql-pgadmin',
    file: 'compose.yaml',
    running: ['postgres', 'pgadmin'],
    envIn: {
      postgres: ['POSTGRES_USER=yourUser', 'POSTGRES_PASSWORD=changeit', 'POSTGRES_DB=postgres'],
      pgadmin: ['PGADMIN_DEFAULT_EMAIL=your@email.com'],
    },
  },
  { dir: 'ac-prometheus-grafana', file: 'compose.yaml', running: ['prometheus', 'grafana'] },
  { dir: 'ac-react-express-mongodb', file: 'compose.yaml', running: ['frontend', 'backend', 'mongo'] },
  { dir: 'ac-react-java-mysql', file: 'compose.yaml', running: ['backend', 'db', 'frontend'] },
  { dir: 'ac-react-rust-postgres', file: 'compose.yaml', running: ['frontend', 'backend', 'db'] },
  { dir: 'ac-spring-postgres', file: 'compose.yaml', running: ['backend', 'db'] },
  { dir: 'ac-wordpress-mysql', file: 'compose.yaml', running: ['db', 'wordpress'] },
  {
    dir: 'dc-configs',
    file: 'compose.yaml',
    running: [],
    env: { CONFIG: 'config' },
    exited: {
      from_env: /^config$/m,
      from_file: /^This is my config file$/m,
      inlined: /^This is my config$/m,
      target: /^This is my config$/m,
      // a file-sourced config is a read-only bind mount (as Compose without swarm), so its uid/gid are the
      // file's own; Compose's current copy of this test no longer checks them either
      uid: /\/target$/m,
    },
  },
  {
    dir: 'dc-deps-completed',
    file: 'deps-completed-successfully.yaml',
    running: ['longrunning'],
    exited: { oneshot: /^hello world$/m },
  },
  { dir: 'dc-down-all', file: 'compose.yaml', running: ['foo'], absent: ['bar'] },
  {
    dir: 'dc-env-secret',
    file: 'compose.yaml',
    running: [],
    env: { SECRET: 'berth-compat-secret' },
    exited: { foo: /^berth-compat-secret$/m, included: /^this-is-secret$/m },
  },
  { dir: 'dc-profiles', file: 'compose.yaml', running: ['regular-service'], absent: ['profiled-service'] },
];

const projects: string[] = [];
afterAll(async () => {
  await Promise.all(projects.map((p) => cleanupProject(p)));
});

/** The engine names of the networks and volumes the original file declares (external ones are not the stack's). */
function declared(c: Case, project: string): { networks: string[]; volumes: string[] } {
  const doc = parse(readFileSync(path.join(COMPAT, c.dir, c.file), 'utf8')) ?? {};
  const names = (section: Record<string, { name?: string; external?: boolean } | null> | undefined) =>
    Object.entries(section ?? {})
      .filter(([, v]) => !v?.external)
      .map(([k, v]) => v?.name ?? `${project}_${k}`);
  return { networks: names(doc.networks), volumes: names(doc.volumes) };
}

const containersOf = (project: string, service?: string) =>
  docker.listContainers({
    all: true,
    filters: JSON.stringify({
      label: [`dev.berth.project=${project}`, ...(service ? [`dev.berth.service=${service}`] : [])],
    }),
  });

/** A container's output, without the engine's 8-byte stream headers. */
async function logsOf(id: string): Promise<string> {
  const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true })) as unknown as Buffer;
  let out = '';
  for (let i = 0; i + 8 <= buf.length; i += 8 + buf.readUInt32BE(i + 4))
    out += buf.subarray(i + 8, i + 8 + buf.readUInt32BE(i + 4)).toString();
  return out;
}

/** Poll until every one-shot service has exited (no fixed sleeps: the machine may be very busy). */
async function waitExited(project: string, services: string[], deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const states = await Promise.all(services.map(async (s) => (await containersOf(project, s))[0]?.State));
    if (states.every((s) => s === 'exited')) return;
    if (Date.now() > end)
      throw new Error(`one-shot services still not exited: ${services.join(', ')} (${states})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const explain = (run: Run) => `exit ${run.code}\n${run.stdout}\n${run.stderr}`;

describe.concurrent('Compose files written by others, unchanged, with a local-image overlay', () => {
  for (const c of CASES) {
    test(c.dir, { timeout: 420_000 }, async () => {
      const project = uniqueProject(`compat-${c.dir}`.slice(0, 30));
      projects.push(project);
      const dir = path.join(COMPAT, c.dir);
      const files = ['-p', project, '-f', path.join(dir, c.file), '-f', path.join(dir, 'berth.overlay.yaml')];
      const env = c.env ?? {};
      const { networks, volumes } = declared(c, project);
      try {
        // long-running stacks: --wait (running, and healthy where there is a healthcheck); one-shot services
        // exit, which --wait would count as a failure, so those stacks are polled instead
        const wait = c.exited ? [] : ['--wait', '--wait-timeout', '300'];
        const up = await berth([...files, 'up', '-d', ...wait], env, dir);
        expect(up.code, explain(up)).toBe(0);

        for (const s of c.running) {
          const [ctr] = await containersOf(project, s);
          if (!ctr) throw new Error(`no container of ${s} in ${c.dir}`);
          expect(ctr?.State, `${s} in ${c.dir}`).toBe('running');
          const info = await docker.getContainer(ctr.Id).inspect();
          if (info.State.Health) expect(info.State.Health.Status, `${s} health`).toBe('healthy');
          for (const e of c.envIn?.[s] ?? []) expect(info.Config.Env).toContain(e);
        }
        if (c.exited) {
          await waitExited(project, Object.keys(c.exited), 300_000);
          for (const [s, printed] of Object.entries(c.exited)) {
            const [ctr] = await containersOf(project, s);
            if (!ctr) throw new Error(`no container of ${s} in ${c.dir}`);
            const info = await docker.getContainer(ctr.Id).inspect();
            const out = await logsOf(ctr.Id);
            expect(info.State.ExitCode, `${s} exit code; output:\n${out}`).toBe(0);
            expect(out).toMatch(printed);
          }
        }
        for (const s of c.absent ?? []) expect(await containersOf(project, s), `${s} (profile)`).toEqual([]);
        for (const n of networks) expect((await docker.getNetwork(n).inspect()).Name).toBe(n);
        for (const v of volumes) expect((await docker.getVolume(v).inspect()).Name).toBe(v);

        const down = await berth([...files, 'down', '-v', '-t', '1'], env, dir);
        expect(down.code, explain(down)).toBe(0);
        expect(await containersOf(project)).toEqual([]);
        for (const n of networks) await expect(docker.getNetwork(n).inspect()).rejects.toThrow();
        for (const v of volumes) await expect(docker.getVolume(v).inspect()).rejects.toThrow();
      } finally {
        await cleanupProject(project);
      }
    });
  }
});

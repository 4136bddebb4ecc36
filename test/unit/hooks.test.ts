// Lifecycle hooks (post_start, pre_stop, pre_start) and Compose's labels: loading, the config hash, and the
// executor on the fake engine — when each hook runs relative to the engine calls around it, and how a failing
// one is reported.
import { afterEach, describe, expect, test } from 'vitest';
import { containerForReplica, containerTemplate } from '../../src/engine/create-options.js';
import { containerForOneOff } from '../../src/engine/oneoff.js';
import { networkOptions } from '../../src/engine/networks.js';
import type { OneOffSpec } from '../../src/engine/port.js';
import { volumeOptions } from '../../src/engine/volumes.js';
import type { Dependency, Hook, PreStartHook } from '../../src/model/stack.js';
import { serviceHash } from '../../src/plan/plan.js';
import { stop, up } from '../support/executor-harness.js';
import { FakeEngine } from '../support/fake-engine.js';
import { load, loadError } from './compose-helpers.js';
import { service, stack } from './stack-factory.js';

const fakes: FakeEngine[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.close();
});
function fake(): FakeEngine {
  const f = new FakeEngine();
  fakes.push(f);
  return f;
}
const hook = (command: string[], over: Partial<PreStartHook> = {}): Hook => ({
  command,
  privileged: false,
  environment: {},
  ...over,
});
const started: Dependency = { condition: 'service_started', required: true, restart: false };

describe('loading hooks', () => {
  test('post_start, pre_stop and pre_start in long form', () => {
    const s = load({
      'compose.yaml': `services:
  app:
    image: berth/busybox
    post_start:
      - command: echo "hello there" > /tmp/x
        user: root
        privileged: true
        working_dir: /w
        environment:
          A: 1
      - command: [sh, -c, 'echo $$HOME']
        environment: [B=2]
    pre_stop:
      - command: ./flush.sh
    pre_start:
      - image: berth/alpine
        command: sh -c 'echo init > /data/x'
`,
    });
    const app = s.services.app!;
    expect(app.post_start).toEqual([
      {
        command: ['echo', 'hello there', '>', '/tmp/x'],
        user: 'root',
        privileged: true,
        working_dir: '/w',
        environment: { A: '1' },
      },
      { command: ['sh', '-c', 'echo $HOME'], privileged: false, environment: { B: '2' } },
    ]);
    expect(app.pre_stop).toEqual([{ command: ['./flush.sh'], privileged: false, environment: {} }]);
    expect(app.pre_start).toEqual([
      {
        image: 'berth/alpine',
        command: ['sh', '-c', 'echo init > /data/x'],
        privileged: false,
        environment: {},
      },
    ]);
  });

  test('a hook without a command is an error at its line', () => {
    const msg = loadError({
      'compose.yaml': 'services:\n  app:\n    image: berth/busybox\n    post_start:\n      - user: root\n',
    });
    expect(msg).toMatch(/compose\.yaml:5:/);
    expect(msg).toMatch(/command/);
  });

  test('an unknown key in a hook gets its line', () => {
    const msg = loadError({
      'compose.yaml':
        'services:\n  app:\n    image: berth/busybox\n    pre_stop:\n      - command: x\n        usr: root\n',
    });
    expect(msg).toMatch(/compose\.yaml:6:/);
  });
});

describe('hooks and the config hash', () => {
  const h = (over: Parameters<typeof service>[1]) => {
    const st = stack([service('app', over)]);
    return serviceHash(st, st.services.app!, 'sha256:a');
  };
  test('a service without hooks hashes as before; adding or changing a hook recreates (as Compose)', () => {
    const base = h({});
    expect(h({ post_start: undefined, pre_stop: undefined })).toBe(base);
    const withHook = h({ post_start: [hook(['true'])] });
    expect(withHook).not.toBe(base);
    expect(h({ post_start: [hook(['false'])] })).not.toBe(withHook);
    expect(h({ pre_stop: [hook(['true'])] })).not.toBe(base);
    expect(h({ pre_start: [hook(['true'])] })).not.toBe(base);
  });
});

describe("Compose's labels", () => {
  const st = stack([service('app')], { files: ['/src/proj/compose.yaml', '/src/proj/override.yaml'] });
  const svc = st.services.app!;

  test('containers carry them, outside the hashed template', () => {
    const template = containerTemplate(st, svc);
    expect(Object.keys(template.Labels ?? {}).filter((k) => k.startsWith('com.docker.compose'))).toEqual([]);
    const labels = containerForReplica(st, svc, template, 2, 'h').options.Labels!;
    expect(labels).toMatchObject({
      'com.docker.compose.project': st.project,
      'com.docker.compose.service': 'app',
      'com.docker.compose.container-number': '2',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.project.working_dir': st.workingDir,
      'com.docker.compose.project.config_files': '/src/proj/compose.yaml,/src/proj/override.yaml',
      'dev.berth.project': st.project,
    });
    expect(labels['com.docker.compose.version']).toBeTruthy();
  });

  test('a one-off is oneoff True, without a number', () => {
    const labels = containerForOneOff(st, 'app', {
      kind: 'oneoff',
      stack: st,
      service: 'app',
      name: 'x',
      ports: [],
      tty: false,
      stdin: false,
    }).options.Labels!;
    expect(labels['com.docker.compose.oneoff']).toBe('True');
    expect(labels['com.docker.compose.container-number']).toBeUndefined();
    expect(labels['dev.berth.oneoff']).toBe('true');
  });

  test("a pre_start one-off shares the new container's mounts and keeps the aliases; a run one-off does neither", () => {
    const st2 = stack([
      service('db', {
        volumes: [
          { type: 'volume', source: 'data', target: '/data', read_only: false },
          { type: 'volume', target: '/anon', read_only: false },
          { type: 'bind', source: '/srv/conf', target: '/conf', read_only: true },
        ],
        volumes_from: ['container:seed'],
        environment: { A: '1', B: '2' },
        entrypoint: ['/entry'],
        user: 'nobody',
        working_dir: '/srv',
      }),
    ]);
    st2.volumes = { data: { name: `${st2.project}_data`, labels: {} } } as never;
    const base: OneOffSpec = {
      kind: 'oneoff',
      stack: st2,
      service: 'db',
      name: 'x',
      ports: [],
      tty: false,
      stdin: false,
    };
    // Compose's runner: volumes_from the service container (its own `volumes` dropped, what it shares through
    // volumes_from kept), the service's aliases, and every other key inherited with the hook's over it
    const hookPlan = containerForOneOff(st2, 'db', {
      ...base,
      command: ['init'],
      env: ['B=hook'],
      user: 'root',
      volumesFrom: 'abc123',
      aliases: true,
    });
    const host = hookPlan.options.HostConfig!;
    expect(host.VolumesFrom).toEqual(['seed', 'abc123']);
    expect(host.Binds).toBeUndefined();
    expect(host.Mounts).toBeUndefined();
    const endpoint = Object.values(hookPlan.options.NetworkingConfig!.EndpointsConfig!)[0]!;
    expect(endpoint.Aliases).toContain('db');
    expect(hookPlan.options.Env).toEqual(expect.arrayContaining(['A=1', 'B=hook']));
    expect(hookPlan.options.Entrypoint).toEqual(['/entry']);
    expect(hookPlan.options.Cmd).toEqual(['init']);
    expect(hookPlan.options.User).toBe('root');
    expect(hookPlan.options.WorkingDir).toBe('/srv');

    const runPlan = containerForOneOff(st2, 'db', base);
    expect(runPlan.options.HostConfig!.VolumesFrom).toEqual(['seed']);
    expect(runPlan.options.HostConfig!.Binds).toEqual(['/srv/conf:/conf:ro']);
    expect(runPlan.options.HostConfig!.Mounts).toHaveLength(2);
    expect(Object.values(runPlan.options.NetworkingConfig!.EndpointsConfig!)[0]!.Aliases).toEqual([]);
  });

  test('networks and volumes carry the project and their key', () => {
    const withVol = stack([service('app')], {
      volumes: { data: { name: `${st.project}_data`, driver_opts: {}, external: false, labels: {} } },
    });
    expect(networkOptions(st, 'default', st.networks.default).Labels).toMatchObject({
      'com.docker.compose.project': st.project,
      'com.docker.compose.network': 'default',
    });
    expect(volumeOptions(withVol, 'data').Labels).toMatchObject({
      'com.docker.compose.project': withVol.project,
      'com.docker.compose.volume': 'data',
    });
  });

  test('a container of the project that has only Compose labels is not berth’s', async () => {
    const f = fake();
    const s = stack([service('app')]);
    await up(f, s);
    const ours = f.list().filter((c) => c.project === s.project);
    expect(ours.map((c) => c.name)).toEqual([`${s.project}-app-1`]);
    // observed containers come from berth's label only: a foreign one with Compose's labels does not count
    const { observe } = await import('../../src/engine/observe.js');
    const observed = await observe(f, s.project);
    expect(observed.containers.every((c) => c.labels['dev.berth.project'] === s.project)).toBe(true);
  });
});

describe('post_start on the fake engine', () => {
  test('runs by exec right after the start, before a dependent starts', async () => {
    const f = fake();
    const s = stack([
      service('db', {
        post_start: [hook(['sh', '-c', 'echo ready'], { user: 'root', environment: { A: '1' } })],
      }),
      service('app', { depends_on: { db: started } }),
    ]);
    const { result } = await up(f, s);
    expect(result.ok).toBe(true);
    const calls = f.callsOf(['startContainer', 'exec']);
    const order = calls.map((c) => `${c.method} ${c.name}`);
    expect(order).toEqual([
      `startContainer ${s.project}-db-1`,
      `exec ${s.project}-db-1`,
      `startContainer ${s.project}-app-1`,
    ]);
    const opts = calls[1]!.args[1] as { cmd: string[]; user?: string; env?: string[] };
    expect(opts).toMatchObject({ cmd: ['sh', '-c', 'echo ready'], user: 'root', env: ['A=1'] });
  });

  test('a failing hook fails up with its output and exit status; dependents do not start', async () => {
    const f = fake();
    const s = stack([
      service('db', { post_start: [hook(['./migrate'])] }),
      service('app', { depends_on: { db: started } }),
    ]);
    f.behave('db', { execExitCode: 3, execOutput: ['migration 7 failed', 'no such table'] });
    const { result, events } = await up(f, s);
    expect(result.ok).toBe(false);
    const failure = result.failures.find((x) => x.service === 'db')!;
    expect(failure.message).toBe('service "db": db post_start[0] hook exited with status 3');
    expect(failure.logs).toEqual(['migration 7 failed', 'no such table']);
    expect(events.some((e) => e.type === 'skipped' && e.service === 'app')).toBe(true);
    expect(f.callsOf(['startContainer']).map((c) => c.name)).toEqual([`${s.project}-db-1`]);
  });

  test('an unchanged second up runs no hook', async () => {
    const f = fake();
    const s = stack([service('db', { post_start: [hook(['true'])] })]);
    await up(f, s);
    await up(f, s);
    expect(f.callsOf(['exec'])).toHaveLength(1);
  });
});

describe('pre_stop on the fake engine', () => {
  test('runs by exec before the stop, in down and on recreate', async () => {
    const f = fake();
    const s = stack([service('db', { pre_stop: [hook(['./flush'])] })]);
    await up(f, s);
    // a changed service: the old container's pre_stop runs before it is stopped
    const changed = stack([service('db', { pre_stop: [hook(['./flush'])], environment: { V: '2' } })]);
    expect((await up(f, changed)).result.ok).toBe(true);
    const recreate = f.callsOf(['exec', 'stopContainer']).map((c) => c.method);
    expect(recreate).toEqual(['exec', 'stopContainer']);
    const { errors } = await stop(f, changed, { remove: true });
    expect(errors).toEqual([]);
    expect(f.callsOf(['exec', 'stopContainer']).map((c) => c.method)).toEqual([
      'exec',
      'stopContainer',
      'exec',
      'stopContainer',
    ]);
    expect(f.list()).toEqual([]);
  });

  test('a failing hook keeps the container running and fails the stop with the output', async () => {
    const f = fake();
    const s = stack([service('db', { pre_stop: [hook(['./flush'])] })]);
    await up(f, s);
    f.behave('db', { execExitCode: 1, execOutput: ['disk full'] });
    const { errors } = await stop(f, s, { remove: true });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/db pre_stop\[0\] hook exited with status 1\n {2}disk full/);
    expect(f.list().map((c) => c.state)).toEqual(['running']);
  });
});

describe('pre_start on the fake engine', () => {
  const withPreStart = (over: Parameters<typeof service>[1] = {}) =>
    stack([
      service('db', {
        pre_start: [hook(['sh', '-c', 'echo A']), hook(['sh', '-c', 'echo B'], { image: 'berth/alpine' })],
        ...over,
      }),
    ]);

  test('each hook runs to its end in a one-off, in order, before the service starts; then it is removed', async () => {
    const f = fake();
    f.behave('db/oneoff', { exitCode: 0 });
    const s = withPreStart();
    const { result } = await up(f, s);
    expect(result.ok).toBe(true);
    const creates = f.callsOf(['createContainer']);
    expect(creates.map((c) => (c.args[0] as { kind: string }).kind)).toEqual(['replica', 'oneoff', 'oneoff']);
    const hookSpecs = creates
      .slice(1)
      .map((c) => c.args[0] as { command: string[]; stack: { services: Record<string, { image: string }> } });
    expect(hookSpecs.map((h) => h.command)).toEqual([
      ['sh', '-c', 'echo A'],
      ['sh', '-c', 'echo B'],
    ]);
    expect(hookSpecs.map((h) => h.stack.services.db!.image)).toEqual([
      'berth/busybox:latest',
      'berth/alpine',
    ]);
    const starts = f.callsOf(['startContainer', 'removeContainer']).map((c) => `${c.method} ${c.name}`);
    expect(starts.at(-1)).toBe(`startContainer ${s.project}-db-1`);
    expect(starts.filter((x) => x.startsWith('removeContainer'))).toHaveLength(2);
    expect(f.list().map((c) => c.name)).toEqual([`${s.project}-db-1`]);
    // both hooks share the mounts of the service's new container, created before them
    const db = f.list()[0]!;
    expect(creates.slice(1).map((c) => (c.args[0] as { volumesFrom?: string }).volumesFrom)).toEqual([
      db.id,
      db.id,
    ]);
    // unchanged: nothing runs again
    await up(f, s);
    expect(f.callsOf(['createContainer'])).toHaveLength(3);
  });

  test('a failing hook stops the up with its output; the service stays created, later hooks do not run', async () => {
    const f = fake();
    f.behave('db/oneoff', { exitCode: 17, logsOnExit: ['cannot prepare /data'] });
    const s = withPreStart();
    const { result } = await up(f, s);
    expect(result.ok).toBe(false);
    expect(result.failures[0]!.message).toBe('service "db": db pre_start[0] hook exited with status 17');
    expect(result.failures[0]!.logs).toContain('cannot prepare /data');
    expect(f.callsOf(['createContainer'])).toHaveLength(2);
    expect(f.list().map((c) => `${c.name} ${c.state}`)).toEqual([`${s.project}-db-1 created`]);
  });
});

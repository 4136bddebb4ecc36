// The fake engine against the port's conventions and dockerd's behaviour where berth depends on it: if the fake
// drifts from the engine, the executor tests built on it prove nothing.
import { afterEach, describe, expect, test } from 'vitest';
import type { Service, Stack } from '../../src/model/stack.js';
import { demux } from '../../src/engine/docker-engine.js';
import { EngineError, isEngineError } from '../../src/engine/errors.js';
import type { ReplicaSpec } from '../../src/engine/port.js';
import { type ContainerEvent, Label } from '../../src/model/index.js';
import { FakeEngine, MUTATING } from '../support/fake-engine.js';
import { service, stack } from './stack-factory.js';

const fakes: FakeEngine[] = [];
afterEach(() => {
  for (const f of fakes.splice(0)) f.close();
});

function fake(opts?: ConstructorParameters<typeof FakeEngine>[0]): FakeEngine {
  const f = new FakeEngine(opts);
  fakes.push(f);
  return f;
}

const HC = { test: ['CMD', 'true'], intervalMs: 1000, retries: 3, disable: false };

function spec(s: Stack, svc: string, replica = 1, name = `${s.project}-${svc}-${replica}`): ReplicaSpec {
  return { kind: 'replica', stack: s, service: svc, replica, hash: 'h1', name };
}

async function withNetwork(f: FakeEngine, s: Stack): Promise<void> {
  for (const key of Object.keys(s.networks)) await f.createNetwork({ stack: s, key });
}

async function rejection(p: Promise<unknown>): Promise<EngineError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected the call to fail');
}

const actions = (events: ContainerEvent[], id?: string) =>
  events.filter((e) => !id || e.id === id).map((e) => e.action);

describe('containers: names', () => {
  test('a taken name conflicts on create and on rename; a freed name can be taken again', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const a = await f.createContainer(spec(s, 'db'));
    expect((await rejection(f.createContainer(spec(s, 'db')))).kind).toBe('conflict');

    const b = await f.createContainer(spec(s, 'db', 1, 'tmp_demo-db-1'));
    const e = await rejection(f.renameContainer(b, 'demo-db-1'));
    expect(e.kind).toBe('conflict');
    expect(e.engineMessage).toMatch(/already in use by container/);

    await f.removeContainer(a);
    await f.renameContainer(b, 'demo-db-1');
    expect(f.names()).toEqual(['demo-db-1']);
    expect(f.get('demo-db-1')!.id).toBe(b);
    const rename = f.events.find((x) => x.action === 'rename')!;
    expect(rename).toMatchObject({ id: b, name: 'demo-db-1', attributes: { oldName: '/tmp_demo-db-1' } });
  });

  test('the name stays taken while the removal is in progress', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    f.latency = (c) => (c.method === 'removeContainer' ? gate : 0);
    const removing = f.removeContainer(id);
    await f.when((x) => x.get(id)?.state === 'removing', 'removing');
    expect((await rejection(f.createContainer(spec(s, 'db')))).kind).toBe('conflict');
    await f.removeContainer(id); // a second removal while one is in progress ends the same way
    open();
    await removing;
    expect(f.get(id)).toBeUndefined();
    await f.createContainer(spec(s, 'db'));
  });

  test('containers are found by ID, unique ID prefix and name', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await f.inspectContainer(id.slice(0, 12)))!.id).toBe(id);
    expect((await f.inspectContainer('demo-db-1'))!.id).toBe(id);
    expect(await f.inspectContainer('nope')).toBeUndefined();
  });
});

describe('port conventions', () => {
  test('every failure is an EngineError; lookups of what is gone answer undefined or [] instead', async () => {
    const f = fake();
    const io = { stdout: process.stdout, stderr: process.stderr, tty: false };
    const calls: Array<[string, Promise<unknown>]> = [
      ['start', f.startContainer('gone')],
      ['restart', f.restartContainer('gone')],
      ['kill', f.killContainer('gone')],
      ['pause', f.pauseContainer('gone')],
      ['unpause', f.unpauseContainer('gone')],
      ['rename', f.renameContainer('gone', 'x')],
      ['copy', f.copyToContainer('gone', '/', Buffer.alloc(0))],
      ['logs', f.openLogs('gone', { follow: false, timestamps: false })],
      ['exec', f.exec('gone', { cmd: ['true'], ...io })],
      ['attach', f.attachAndStart('gone', io)],
      ['changes', f.containerChanges('gone')],
      ['commit', f.commitContainer('gone', { repo: 'r', tag: 't', labels: {}, pause: false })],
      ['export', f.exportContainer('gone')],
      ['tag', f.tagImage('gone', 'x')],
      ['removeImage', f.removeImage('gone')],
      ['save', f.saveImage('gone')],
    ];
    for (const [what, p] of calls) expect((await rejection(p)).kind, what).toBe('not-found');
    expect(await f.inspectContainer('gone')).toBeUndefined();
    expect(await f.inspectImage('gone')).toBeUndefined();
    expect(await f.tailLogs('gone', 3)).toEqual([]);
    expect(await f.check('gone', ['true'], 10)).toBe(false);
    // what is already gone is done: removing or stopping it succeeds
    await f.removeContainer('gone');
    await f.stopContainer('gone');
    await f.removeNetwork('gone');
    await f.removeVolume('gone');
    expect(f.endpoint).toBe('fake');
    expect(await f.info()).toMatchObject({ apiVersion: '1.47' });
  });
});

describe('containers: lifecycle', () => {
  test('created → running → exited, with the events dockerd sends', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    expect(f.get(id)).toMatchObject({ state: 'created', status: 'Created', running: false });
    await f.startContainer(id);
    expect(f.get(id)).toMatchObject({ state: 'running', running: true });
    expect(f.get(id)!.status).toMatch(/^Up /);
    await f.startContainer(id); // already running: succeeds, nothing happens
    await f.stopContainer(id);
    expect(f.get(id)).toMatchObject({ state: 'exited', exitCode: 0, running: false });
    expect(f.get(id)!.status).toMatch(/^Exited \(0\)/);
    await f.stopContainer(id); // already stopped: succeeds
    expect(actions(f.events, id)).toEqual(['create', 'start', 'kill', 'die', 'stop']);
  });

  test('stopping a container that was never started succeeds and sends nothing', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    await f.stopContainer(id);
    expect(f.get(id)!.state).toBe('created');
    expect(actions(f.events, id)).toEqual(['create']);
  });

  test('restart, kill, pause and unpause move the state as the engine does', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    await f.restartContainer(id); // a stopped container is started by a restart
    expect(f.get(id)!.state).toBe('running');
    await f.pauseContainer(id);
    expect(f.get(id)!.state).toBe('paused');
    expect((await rejection(f.pauseContainer(id))).kind).toBe('conflict');
    expect((await rejection(f.startContainer(id))).kind).toBe('conflict');
    await f.unpauseContainer(id);
    await f.killContainer(id);
    expect(f.get(id)).toMatchObject({ state: 'exited', exitCode: 137 });
    expect((await rejection(f.killContainer(id))).kind).toBe('conflict');
    expect((await rejection(f.unpauseContainer(id))).kind).toBe('conflict');
    await f.startContainer(id);
    await f.killContainer(id, 'SIGTERM');
    expect(f.get(id)!.exitCode).toBe(143);
    expect(actions(f.events, id)).toEqual([
      'create',
      'start',
      'restart',
      'pause',
      'unpause',
      'kill',
      'die',
      'start',
      'kill',
      'die',
    ]);
  });

  test('removing a running container needs force; removing a gone one succeeds', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    await f.startContainer(id);
    const e = await rejection(f.removeContainer(id));
    expect(e.kind).toBe('conflict');
    expect(f.get(id)!.state).toBe('running');
    await f.removeContainer(id, { force: true });
    expect(f.get(id)).toBeUndefined();
    expect(actions(f.events, id)).toEqual(['create', 'start', 'kill', 'die', 'destroy']);
    await f.removeContainer(id);
    expect((await rejection(f.startContainer(id))).kind).toBe('not-found');
    expect((await rejection(f.renameContainer(id, 'x'))).kind).toBe('not-found');
  });

  test('a container joins every network of its service; a missing network fails the create', async () => {
    const f = fake();
    const s = stack([service('app', { networks: { default: { aliases: [] }, back: { aliases: [] } } })], {});
    s.networks.back = { ...s.networks.default!, name: 'demo_back' };
    await f.createNetwork({ stack: s, key: 'default' });
    const e = await rejection(f.createContainer(spec(s, 'app')));
    expect(e.kind).toBe('not-found');
    expect(e.engineMessage).toMatch(/demo_back/);
    await f.createNetwork({ stack: s, key: 'back' });
    const id = await f.createContainer(spec(s, 'app'));
    expect(f.get(id)!.networks.sort()).toEqual(['demo_back', 'demo_default']);
    const nets = await f.listNetworks({ labels: [`${Label.project}=demo`] });
    expect(nets.find((n) => n.name === 'demo_back')!.containers).toEqual([id]);
    expect((await rejection(f.removeNetwork('demo_back'))).kind).toBe('conflict');
  });

  test('labels say who owns the container, and lists filter on them', async () => {
    const f = fake();
    const s = stack([service('db', { labels: { team: 'x' } })]);
    await withNetwork(f, s);
    const id = await f.createContainer({ ...spec(s, 'db', 2, 'demo-db-2'), hash: 'abc' });
    const [c] = await f.listContainers({ all: true, labels: [`${Label.project}=demo`] });
    expect(c).toMatchObject({ id, project: 'demo', service: 'db', replica: 2, hash: 'abc', oneoff: false });
    expect(c!.labels).toMatchObject({ team: 'x', [Label.stack]: 'demo' });
    expect(await f.listContainers({ labels: [`${Label.project}=demo`] })).toEqual([]); // not running
    expect(await f.listContainers({ all: true, labels: [`${Label.project}=other`] })).toEqual([]);
    expect(await f.listContainers({ all: true, labels: [Label.service] })).toHaveLength(1);
  });

  test('a namespace shared with another service needs that container to exist, and to run at start', async () => {
    const f = fake();
    const s = stack([service('vpn'), service('app', { network_mode: 'service:vpn', networks: {} })]);
    await withNetwork(f, s);
    expect((await rejection(f.createContainer(spec(s, 'app')))).kind).toBe('not-found');
    const vpn = await f.createContainer(spec(s, 'vpn'));
    const app = await f.createContainer(spec(s, 'app'));
    expect(f.get(app)!.networks).toEqual([]);
    expect((await rejection(f.startContainer(app))).kind).toBe('conflict');
    await f.startContainer(vpn);
    await f.startContainer(app);
  });

  test('two containers cannot bind one host port', async () => {
    const f = fake();
    const port = { target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' as const };
    const s = stack([service('a', { ports: [port] }), service('b', { ports: [port] })]);
    await withNetwork(f, s);
    const a = await f.createContainer(spec(s, 'a'));
    const b = await f.createContainer(spec(s, 'b'));
    await f.startContainer(a);
    expect(f.get(a)!.ports).toEqual([{ hostIp: '127.0.0.1', hostPort: 8080, target: 80, protocol: 'tcp' }]);
    const e = await rejection(f.startContainer(b));
    expect(e.engineMessage).toMatch(/port is already allocated/);
    await f.stopContainer(a);
    await f.startContainer(b);
  });
});

describe('networks and volumes', () => {
  test('creating what this project owns succeeds; a name owned by another project conflicts', async () => {
    const f = fake();
    const vol = { name: 'shared_data', driver_opts: {}, external: false, labels: {} };
    const a = stack([service('db')], { project: 'a', volumes: { data: vol } });
    const b = stack([service('db')], { project: 'b', volumes: { data: vol } });
    await f.createVolume({ stack: a, key: 'data' });
    await f.createVolume({ stack: a, key: 'data' });
    expect((await rejection(f.createVolume({ stack: b, key: 'data' }))).kind).toBe('conflict');
    const [v] = await f.listVolumes({ labels: [`${Label.project}=a`] });
    expect(v).toMatchObject({ name: 'shared_data', labels: { [Label.volume]: 'data' } });

    b.networks.default!.name = 'a_default';
    await f.createNetwork({ stack: a, key: 'default' });
    await f.createNetwork({ stack: a, key: 'default' });
    expect((await rejection(f.createNetwork({ stack: b, key: 'default' }))).kind).toBe('conflict');
    expect(await f.listNetworks({ labels: [`${Label.project}=b`] })).toEqual([]);
  });

  test('a volume in use cannot be removed', async () => {
    const f = fake();
    const s = stack(
      [service('db', { volumes: [{ type: 'volume', source: 'data', target: '/d', read_only: false }] })],
      { volumes: { data: { name: 'demo_data', driver_opts: {}, external: false, labels: {} } } },
    );
    await withNetwork(f, s);
    await f.createVolume({ stack: s, key: 'data' });
    const id = await f.createContainer(spec(s, 'db'));
    expect((await rejection(f.removeVolume('demo_data'))).kind).toBe('conflict');
    await f.removeContainer(id);
    await f.removeVolume('demo_data');
    expect(f.snapshot().volumes).toEqual([]);
  });
});

describe('health and behaviour', () => {
  const hcStack = (over: Partial<Service> = {}) => stack([service('db', { healthcheck: HC, ...over })]);

  test('starting → healthy after N checks, one event on the change, on the manual clock', async () => {
    const f = fake({ autoClock: false });
    const s = hcStack();
    await withNetwork(f, s);
    f.behave('db', { healthyAfter: 3 });
    const id = await f.createContainer(spec(s, 'db'));
    await f.startContainer(id);
    expect(f.get(id)).toMatchObject({ health: 'starting', hasHealthcheck: true });
    expect(f.get(id)!.status).toMatch(/\(health: starting\)$/);
    f.advance(2000);
    expect(f.get(id)!.health).toBe('starting');
    f.advance(1000);
    expect(f.get(id)!.health).toBe('healthy');
    f.advance(5000);
    expect(actions(f.events, id)).toEqual(['create', 'start', 'health_status: healthy']);
    // a restart starts over
    await f.restartContainer(id);
    expect(f.get(id)!.health).toBe('starting');
  });

  test('never healthy: unhealthy after `retries` failing checks; failures in the start period do not count', async () => {
    const f = fake({ autoClock: false });
    const s = hcStack({ healthcheck: { ...HC, retries: 2, startPeriodMs: 2500 } });
    await withNetwork(f, s);
    f.behave('db', { healthyAfter: Number.POSITIVE_INFINITY });
    const id = await f.createContainer(spec(s, 'db'));
    await f.startContainer(id);
    f.advance(3000); // checks at 1 s and 2 s fall in the start period; 3 s is the first that counts
    expect(f.get(id)!.health).toBe('starting');
    f.advance(1000);
    expect(f.get(id)!.health).toBe('unhealthy');
    expect(actions(f.events, id)).toContain('health_status: unhealthy');
  });

  test('the auto clock runs checks without real waiting', async () => {
    const f = fake();
    const s = hcStack({ healthcheck: { ...HC, intervalMs: 3_600_000 } });
    await withNetwork(f, s);
    f.behave('db', { healthyAfter: 5 });
    const id = await f.createContainer(spec(s, 'db'));
    await f.startContainer(id);
    await f.when((x) => x.get(id)?.health === 'healthy', 'healthy');
    expect(f.clock.now()).toBe(5 * 3_600_000);
  });

  test('no healthcheck: no health; `imageHealthcheck` reports one anyway; `disable` turns it off', async () => {
    const f = fake();
    const s = stack([
      service('a'),
      service('b'),
      service('c', { healthcheck: { test: ['NONE'], disable: true } }),
    ]);
    await withNetwork(f, s);
    f.behave('b', { imageHealthcheck: true });
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => f.createContainer(spec(s, n))));
    await Promise.all([a, b, c].map((id) => f.startContainer(id!)));
    expect(f.get(a!)).toMatchObject({ hasHealthcheck: false, health: undefined });
    expect(f.get(b!)).toMatchObject({ hasHealthcheck: true, health: 'starting' });
    expect(f.get(c!)).toMatchObject({ hasHealthcheck: false, health: undefined });
  });

  test('a process that exits by itself: exit code, die event, log lines', async () => {
    const f = fake();
    const s = stack([service('job')]);
    await withNetwork(f, s);
    f.behave('job', { exitCode: 3, logsOnStart: ['migrating'], logsOnExit: ['boom'] });
    const id = await f.createContainer(spec(s, 'job'));
    await f.startContainer(id);
    await f.when((x) => x.get(id)?.state === 'exited', 'exit');
    expect(f.get(id)!.exitCode).toBe(3);
    expect(f.events.at(-1)).toMatchObject({ action: 'die', attributes: { exitCode: '3' } });
    expect(await f.tailLogs(id, 10)).toEqual(['migrating', 'boom']);
    expect(await f.tailLogs(id, 1)).toEqual(['boom']);
  });

  test('restart policies: on-failure:N restarts N times, always until stopped', async () => {
    const f = fake({ autoClock: false });
    const s = stack([service('flaky', { restart: 'on-failure:2' }), service('loop', { restart: 'always' })]);
    await withNetwork(f, s);
    f.behave('flaky', { exitCode: 1 }).behave('loop', { exitCode: 0 });
    const flaky = await f.createContainer(spec(s, 'flaky'));
    const loop = await f.createContainer(spec(s, 'loop'));
    await f.startContainer(flaky);
    await f.startContainer(loop);
    f.advance(1);
    expect(f.get(flaky)).toMatchObject({ state: 'restarting', restarting: true, running: true, restarts: 0 });
    expect(f.get(flaky)!.status).toMatch(/^Restarting \(1\)/);
    f.advance(10_000);
    expect(f.get(flaky)).toMatchObject({ state: 'exited', exitCode: 1, restarts: 2 });
    expect(actions(f.events, flaky)).toEqual(['create', 'start', 'die', 'start', 'die', 'start', 'die']);
    expect(f.get(loop)!.restarts).toBeGreaterThan(3);
    await f.stopContainer(loop);
    const n = f.get(loop)!.restarts;
    f.advance(100_000);
    expect(f.get(loop)).toMatchObject({ state: 'exited', restarts: n });
  });

  test('a start that fails: the engine’s message, exit code 127, still created', async () => {
    const f = fake();
    const s = stack([service('app')]);
    await withNetwork(f, s);
    f.behave('app', { startFails: 'exec: "nope": executable file not found in $PATH' });
    const id = await f.createContainer(spec(s, 'app'));
    const e = await rejection(f.startContainer(id));
    expect(e).toMatchObject({
      kind: 'failed',
      engineMessage: expect.stringMatching(/executable file not found/),
    });
    expect(f.get(id)).toMatchObject({ state: 'created', exitCode: 127 });
  });

  test('check() follows the behaviour and never throws', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    expect(await f.check(id, ['true'], 1000)).toBe(false); // not running
    await f.startContainer(id);
    expect(await f.check(id, ['true'], 1000)).toBe(true);
    f.behave('db', { check: (cmd) => cmd[0] === 'pg_isready' });
    expect(await f.check(id, ['pg_isready'], 1000)).toBe(true);
    expect(await f.check(id, ['false'], 1000)).toBe(false);
    f.failNext('check', 'db', new EngineError('failed', 'exec failed'));
    expect(await f.check(id, ['pg_isready'], 1000)).toBe(false);
    expect(await f.check('gone', ['true'], 1000)).toBe(false);
  });
});

describe('events', () => {
  test('every watcher gets the events matching its labels, in order, from its subscription on', async () => {
    const f = fake();
    const a = stack([service('db')], { project: 'a' });
    const b = stack([service('db')], { project: 'b' });
    await withNetwork(f, a);
    await withNetwork(f, b);
    const early = await f.createContainer(spec(a, 'db', 1, 'early'));
    const seenA: string[] = [];
    const seenA2: string[] = [];
    const seenB: string[] = [];
    const wa = await f.watchContainerEvents({ labels: [`${Label.project}=a`] }, (e) =>
      seenA.push(`${e.name} ${e.action}`),
    );
    const wa2 = await f.watchContainerEvents({ labels: [`${Label.project}=a`] }, (e) =>
      seenA2.push(`${e.name} ${e.action}`),
    );
    const wb = await f.watchContainerEvents({ labels: [`${Label.project}=b`] }, (e) =>
      seenB.push(`${e.name} ${e.action}`),
    );
    const id = await f.createContainer(spec(a, 'db'));
    await f.startContainer(id);
    await f.renameContainer(early, 'later');
    await f.removeContainer(id, { force: true });
    const bid = await f.createContainer(spec(b, 'db'));
    await f.when(() => seenB.length === 1, 'b event');
    const expected = [
      'a-db-1 create',
      'a-db-1 start',
      'later rename',
      'a-db-1 kill',
      'a-db-1 die',
      'a-db-1 destroy',
    ];
    expect(seenA).toEqual(expected);
    expect(seenA2).toEqual(expected);
    expect(seenB).toEqual(['b-db-1 create']);
    wa.close();
    await wa.done;
    await f.startContainer(bid);
    await f.removeContainer(early);
    await f.when(() => seenA2.length === expected.length + 1, 'a2 destroy');
    expect(seenA).toEqual(expected);
    wa2.close();
    wb.close();
    await Promise.all([wa2.done, wb.done]);
  });

  test('events carry service, replica, labels and increasing times', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db', 2, 'demo-db-2'));
    await f.startContainer(id);
    const [create, start] = f.events;
    expect(create).toMatchObject({ service: 'db', replica: 2, attributes: { [Label.project]: 'demo' } });
    expect(start!.timeNano > create!.timeNano).toBe(true);
  });
});

describe('logs', () => {
  test('openLogs gives multiplexed frames; follow streams new lines until the container stops', async () => {
    const f = fake();
    const s = stack([service('db')]);
    await withNetwork(f, s);
    const id = await f.createContainer(spec(s, 'db'));
    await f.startContainer(id);
    f.writeLog(id, 'one');
    f.writeLog(id, 'two', 'stderr');
    const read = async (stream: NodeJS.ReadableStream) => {
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return demux(Buffer.concat(chunks));
    };
    expect(await read(await f.openLogs(id, { follow: false, timestamps: false, tail: 1 }))).toBe('two\n');
    const following = read(await f.openLogs(id, { follow: true, timestamps: false }));
    f.writeLog(id, 'three');
    await f.stopContainer(id);
    expect(await following).toBe('one\ntwo\nthree\n');
    expect(await f.tailLogs('gone', 5)).toEqual([]);
  });
});

describe('images', () => {
  test('inspect by tag, ID or prefix; list by label; an image in use is not removed', async () => {
    const f = fake({ requireImages: true });
    const s = stack([service('db', { image: 'berth/postgres' })]);
    await withNetwork(f, s);
    expect((await rejection(f.createContainer(spec(s, 'db')))).kind).toBe('not-found');
    const img = f.addImage('berth/postgres', { labels: { [Label.stack]: 'demo' } });
    expect((await f.inspectImage('berth/postgres:latest'))!.id).toBe(img);
    expect((await f.inspectImage(img.slice(7, 19)))!.tags).toEqual(['berth/postgres:latest']);
    expect(await f.inspectImage('berth/redis')).toBeUndefined();
    expect(await f.listImages({ labels: [`${Label.stack}=demo`] })).toHaveLength(1);
    const id = await f.createContainer(spec(s, 'db'));
    expect(f.get(id)!.imageId).toBe(img);
    expect((await rejection(f.removeImage('berth/postgres'))).kind).toBe('conflict');
    await f.tagImage(img, 'berth/postgres:old');
    await f.removeImage('berth/postgres:old'); // untag only
    await f.removeContainer(id);
    await f.removeImage('berth/postgres');
    expect(await f.inspectImage(img)).toBeUndefined();
  });

  test('pull fetches only what the pretend registry has', async () => {
    const f = fake();
    const id = f.addPullable('library/redis:7');
    expect(await f.pullImage('library/redis:7', {})).toBe(id);
    expect((await f.inspectImage('library/redis:7'))!.id).toBe(id);
    expect((await rejection(f.pullImage('nope', {}))).kind).toBe('not-found');
  });
});

describe('test knobs', () => {
  test('failNext fails the next matching call once, with the given error, and changes nothing', async () => {
    const f = fake();
    const s = stack([service('db'), service('app')]);
    await withNetwork(f, s);
    const db = await f.createContainer(spec(s, 'db'));
    const app = await f.createContainer(spec(s, 'app'));
    const boom = new EngineError('failed', 'boom', 500);
    f.failNext('startContainer', 'db', boom);
    await f.startContainer(app);
    expect(await rejection(f.startContainer(db))).toBe(boom);
    expect(f.get(db)!.state).toBe('created');
    await f.startContainer(db);
    expect(f.callsOf(['startContainer']).map((c) => [c.name, isEngineError(c.error)])).toEqual([
      ['demo-app-1', false],
      ['demo-db-1', true],
      ['demo-db-1', false],
    ]);
  });

  test('the call record shows how many calls were in flight', async () => {
    const f = fake();
    f.latency = (c) => (c.method === 'startContainer' ? 2 : 0);
    const s = stack(['a', 'b', 'c', 'd'].map((n) => service(n)));
    await withNetwork(f, s);
    const ids = await Promise.all(Object.keys(s.services).map((n) => f.createContainer(spec(s, n))));
    expect(f.maxInFlight(['createContainer'])).toBe(4);
    for (const id of ids) await f.startContainer(id);
    expect(f.maxInFlight(['startContainer'])).toBe(1);
    await Promise.all(ids.map((id) => f.stopContainer(id)));
    expect(f.maxInFlight(MUTATING)).toBe(4);
    expect(f.calls.map((c) => c.seq)).toEqual(f.calls.map((_, i) => i + 1));
    expect(f.calls.every((c) => c.endedAt! > c.startedAt)).toBe(true);
  });

  test('beforeCall runs its hook before the Nth matching call acts, and may be async', async () => {
    const f = fake();
    const s = stack([service('a'), service('b')]);
    await withNetwork(f, s);
    const seen: string[] = [];
    f.beforeCall(
      2,
      async (c) => {
        await Promise.resolve();
        seen.push(`${c.seq} ${c.method} ${c.target} exists=${!!f.get(c.target)}`);
      },
      ['createContainer'],
    );
    await f.createContainer(spec(s, 'a'));
    await f.createContainer(spec(s, 'b'));
    expect(seen).toEqual(['3 createContainer demo-b-1 exists=false']);
  });

  test('when() waits for a state without polling and times out with a message', async () => {
    const f = fake();
    await expect(f.when(() => false, 'nothing', 20)).rejects.toThrow(/timed out waiting for nothing/);
  });
});

// `down --rmi local|all` on the fake engine: which images go (Compose's rules), which berth keeps whatever the
// mode (snapshots, build contexts, default-named images it did not build), and the engine's answers for an
// image another container uses (a warning, no failure) or one with several tags (untagged only).
import { describe, expect, test } from 'vitest';
import type { RunEvent } from '../../src/executor/events.js';
import { Label } from '../../src/model/index.js';
import type { BuildSpec, Service } from '../../src/model/stack.js';
import { down } from '../../src/ops/down.js';
import { imageCandidates, verdict } from '../../src/ops/image-removal.js';
import { up } from '../../src/ops/up.js';
import { berthProcess } from './cli-harness.js';
import { fakeEngines } from '../support/executor-harness.js';
import { container, service, stack } from './stack-factory.js';

const fake = fakeEngines();

const build = (): BuildSpec => ({ context: '/srv/demo/app', dockerfile: 'Dockerfile', args: {}, labels: {} });
/** A build-only service: berth tags its build `<stack>-<service>`. */
const built = (name: string, over: Partial<Service> = {}) =>
  service(name, { image: `demo-${name}`, build: build(), ...over });
const berthBuilt = (name: string) => ({ [Label.service]: name, [Label.stack]: 'demo' });

/** web: build-only; api: build with its own name; cache: a plain image. */
const demo = () =>
  stack([built('web'), built('api', { image: 'registry.test/shop/api:1' }), service('cache')]);

function recorder() {
  const events: RunEvent[] = [];
  return { events, onEvent: (e: RunEvent) => events.push(e) };
}
const lines = (events: RunEvent[]) =>
  events.flatMap((e) =>
    e.type === 'progress' && e.kind === 'Image'
      ? [`${e.name} ${e.status}`]
      : e.type === 'warning'
        ? [e.message]
        : [],
  );

describe('which images a mode considers', () => {
  test('local: only services that build under the default name; all: every service image, once each', () => {
    const s = demo();
    s.services.worker = built('worker', { image: 'berth/busybox' }); // builds onto a name the user chose
    s.services.web2 = service('web2', { image: 'demo-web' }); // runs web's build
    expect(imageCandidates('local', s, [])).toEqual([
      { ref: 'demo-web:latest', service: 'web', local: true },
    ]);
    expect(imageCandidates('all', s, []).map((c) => [c.ref, c.local])).toEqual([
      ['demo-web:latest', true],
      ['registry.test/shop/api:1', false],
      ['berth/busybox:latest', false],
    ]);
  });

  test('the default name is the stack’s, not the client project’s (clients share the build)', () => {
    const s = stack([built('web')], { name: 'demo', project: 'demo-acme', client: 'acme' });
    expect(imageCandidates('local', s, []).map((c) => c.ref)).toEqual(['demo-web:latest']);
  });

  test('provider services have no image; orphans removed with --remove-orphans take their build along', () => {
    const s = demo();
    s.services.tunnel = service('tunnel', { image: 'demo-tunnel', provider: { type: 'x', options: {} } });
    expect(imageCandidates('all', s, []).map((c) => c.ref)).not.toContain('demo-tunnel:latest');
    expect(imageCandidates('local', s, [], ['old']).map((c) => c.ref)).toEqual([
      'demo-web:latest',
      'demo-old:latest',
    ]);
  });

  test('without a stack file: from the containers, their stack label giving the default name', () => {
    const cs = [
      container({ service: 'web', replica: 1, image: 'demo-web', labels: { [Label.stack]: 'demo' } }),
      container({ service: 'web', replica: 2, image: 'demo-web', labels: { [Label.stack]: 'demo' } }),
      container({ service: 'db', replica: 1, image: 'berth/postgres:16', labels: { [Label.stack]: 'demo' } }),
      // its tag moved on: the engine lists the ID, which is never removed by ID
      container({ service: 'old', replica: 1, image: `sha256:${'a'.repeat(64)}` }),
    ];
    expect(imageCandidates('local', undefined, cs).map((c) => c.ref)).toEqual(['demo-web:latest']);
    expect(imageCandidates('all', undefined, cs).map((c) => c.ref)).toEqual([
      'demo-web:latest',
      'berth/postgres:16',
    ]);
  });

  test('berth keeps snapshots, build contexts and default-named images it did not build, and says so', () => {
    const img = (labels: Record<string, string>) => ({
      id: 'sha256:x',
      tags: [],
      labels,
      sizeBytes: 1,
      created: 0,
    });
    const local = { ref: 'demo-web:latest', service: 'web', local: true };
    const named = { ref: 'shop/api:1', service: 'api', local: false };
    expect(verdict(local, undefined)).toEqual({ remove: false });
    expect(verdict(local, img(berthBuilt('web')))).toEqual({ remove: true });
    expect(verdict(local, img({}))).toMatchObject({
      remove: false,
      warning: expect.stringMatching(/not built by berth/),
    });
    expect(verdict(named, img({}))).toEqual({ remove: true });
    const snap = { ref: 'berth-snapshot/demo-db:t1', service: 'db', local: false };
    expect(verdict(snap, img(berthBuilt('db')))).toMatchObject({
      remove: false,
      warning: expect.stringMatching(/snapshot/),
    });
    expect(verdict(named, img({ [Label.snapshotTime]: '2026-01-01' }))).toMatchObject({ remove: false });
    const ctxImage = { ref: 'berth-context/demo-web-x:abc', service: 'web', local: false };
    expect(verdict(ctxImage, img({}))).toMatchObject({
      remove: false,
      warning: expect.stringMatching(/build context/),
    });
    expect(verdict(named, img({ [Label.namedContext]: 'x' }))).toMatchObject({ remove: false });
  });
});

describe('down --rmi on the engine', () => {
  function engine() {
    const f = fake();
    f.addImage('demo-web', { labels: berthBuilt('web') });
    f.addImage('registry.test/shop/api:1', { labels: berthBuilt('api') });
    f.addImage('berth/busybox:latest');
    return f;
  }

  test('local removes the build-only image after the containers, and nothing else', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s);
    const r = recorder();
    const res = await down(
      { engine: f, onEvent: r.onEvent },
      { stack: s, project: s.project },
      { rmi: 'local' },
    );
    expect(res.errors).toEqual([]);
    expect(lines(r.events)).toEqual(['demo-web:latest Removed']);
    expect(await f.inspectImage('demo-web')).toBeUndefined();
    expect(await f.inspectImage('registry.test/shop/api:1')).toBeDefined();
    expect(await f.inspectImage('berth/busybox')).toBeDefined();
    const calls = f.callsOf(['removeContainer', 'removeImage']).map((c) => c.method);
    expect(calls.lastIndexOf('removeContainer')).toBeLessThan(calls.indexOf('removeImage'));
  });

  test('all: an image another project’s container uses stays with a warning, and down still succeeds', async () => {
    const f = engine();
    const s = demo();
    const other = stack([service('cache')], { name: 'other', project: 'other' });
    await up({ engine: f }, s);
    await up({ engine: f }, other);
    const r = recorder();
    const res = await down(
      { engine: f, onEvent: r.onEvent },
      { stack: s, project: s.project },
      { rmi: 'all' },
    );
    expect(res.errors).toEqual([]);
    expect(lines(r.events)).toEqual([
      'demo-web:latest Removed',
      'registry.test/shop/api:1 Removed',
      'Image berth/busybox:latest  Resource is still in use; left in place',
    ]);
    expect(await f.inspectImage('berth/busybox')).toBeDefined();
    expect(f.list().map((c) => c.project)).toEqual(['other']);
  });

  test('an image with another tag is only untagged: the other name keeps it', async () => {
    const f = engine();
    await f.tagImage('registry.test/shop/api:1', 'registry.test/shop/api:keep');
    const s = demo();
    await up({ engine: f }, s);
    await down({ engine: f }, { stack: s, project: s.project }, { rmi: 'all' });
    expect(await f.inspectImage('registry.test/shop/api:1')).toBeUndefined();
    expect((await f.inspectImage('registry.test/shop/api:keep'))?.labels).toEqual(berthBuilt('api'));
  });

  test('a down with nothing else to remove still removes the images (and says there was something)', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s);
    await down({ engine: f }, { stack: s, project: s.project });
    const r = recorder();
    const res = await down(
      { engine: f, onEvent: r.onEvent },
      { stack: s, project: s.project },
      { rmi: 'local' },
    );
    expect(res.nothing).toBe(false);
    expect(lines(r.events)).toEqual(['demo-web:latest Removed']);
    const again = await down({ engine: f }, { stack: s, project: s.project }, { rmi: 'local' });
    expect(again.nothing).toBe(true);
  });

  test('a default-named image berth did not build stays, with a warning', async () => {
    const f = fake();
    f.addImage('demo-web'); // `docker build -t demo-web .` by hand
    const s = stack([built('web')]);
    const r = recorder();
    await down({ engine: f, onEvent: r.onEvent }, { stack: s, project: s.project }, { rmi: 'all' });
    expect(lines(r.events)).toEqual(['Image demo-web:latest  was not built by berth; left in place']);
    expect(await f.inspectImage('demo-web')).toBeDefined();
  });

  test('with -v, the volumes go before the images', async () => {
    const f = engine();
    const s = demo();
    await up({ engine: f }, s);
    await f.createLabelledVolume('demo_data', { [Label.project]: 'demo', [Label.volume]: 'data' });
    await down({ engine: f }, { stack: s, project: s.project }, { rmi: 'local', volumes: true });
    const calls = f.callsOf(['removeVolume', 'removeImage']).map((c) => c.method);
    expect(calls).toEqual(['removeVolume', 'removeImage']);
  });

  test('an engine failure other than in-use or gone is an error of the down', async () => {
    const f = engine();
    const s = demo();
    const { EngineError } = await import('../../src/engine/errors.js');
    f.fail('removeImage', 'demo-web:latest', new EngineError('failed', 'disk on fire', 500));
    const res = await down({ engine: f }, { stack: s, project: s.project }, { rmi: 'local' });
    expect(res.errors).toEqual(['image demo-web:latest: disk on fire']);
  });
});

test('a bad --rmi value is bad input (exit 2) naming the allowed values', () => {
  const r = berthProcess(['down', '--rmi', 'some']);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/'some' is invalid.*local, all/s);
});

// Provider services: the arguments Compose passes, the JSON lines it reads, the variables it hands to dependents,
// and a real provider script of the test's own (a host process: no engine involved).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { RunEvent } from '../../src/executor/events.js';
import { stop } from '../../src/ops/lifecycle.js';
import {
  downProviders,
  findProviders,
  metadataIsEmpty,
  missingParameters,
  parseProviderLine,
  parseProviderMetadata,
  providerArgs,
  stopProviders,
  upProviders,
  withProviderEnv,
} from '../../src/ops/providers.js';
import { FakeEngine } from '../support/fake-engine.js';
import { load, loadError } from './compose-helpers.js';
import { service, stack } from './stack-factory.js';

const db = service('db', {
  replicas: 0,
  provider: { type: 'demo', options: { size: ['small'], tag: ['a', 'b'] } },
});

describe('provider protocol', () => {
  test('arguments as Compose passes them', () => {
    expect(providerArgs('shop', db, 'up')).toEqual([
      'compose',
      '--project-name=shop',
      'up',
      '--size=small',
      '--tag=a',
      '--tag=b',
      'db',
    ]);
  });

  test('JSON lines: info, debug, error, setenv, rawsetenv; anything else is refused', () => {
    expect(parseProviderLine('{"type":"info","message":"hi"}')).toEqual({ type: 'info', message: 'hi' });
    expect(parseProviderLine('{"type":"setenv","message":"URL=a=b"}')).toEqual({
      type: 'setenv',
      key: 'URL',
      value: 'a=b',
    });
    expect(parseProviderLine('')).toBeUndefined();
    expect(() => parseProviderLine('{"type":"setenv","message":"novalue"}')).toThrow(/invalid response/);
    expect(() => parseProviderLine('{"type":"shout"}')).toThrow(/invalid response from provider: shout/);
    expect(() => parseProviderLine('plain text')).toThrow(/not JSON/);
  });

  test('setenv reaches only the dependents, as <SERVICE>_KEY; rawsetenv as it is', () => {
    const started = { condition: 'service_started' as const, required: true, restart: false };
    const s = stack([
      db,
      service('app', { depends_on: { db: started }, environment: { A: '1' } }),
      service('other'),
    ]);
    const out = withProviderEnv(s, new Map([['db', { prefixed: { URL: 'x' }, raw: { RAW: 'y' } }]]));
    expect(out.services.app!.environment).toEqual({ A: '1', DB_URL: 'x', RAW: 'y' });
    expect(out.services.other!.environment).toEqual({});
    expect(s.services.app!.environment).toEqual({ A: '1' });
  });
});

describe('loading provider services', () => {
  test('no image needed; no containers; options as lists', () => {
    const s = load({
      'compose.yaml':
        'services:\n  db:\n    provider:\n      type: demo\n      options:\n        size: 1\n        tag: [a, b]\n',
    });
    expect(s.services.db!.replicas).toBe(0);
    expect(s.services.db!.provider).toMatchObject({
      type: 'demo',
      options: { size: ['1'], tag: ['a', 'b'] },
    });
    expect(s.services.db!.provider!.pos?.line).toBe(4);
  });

  test('`compose` is not a provider type', () => {
    expect(loadError({ 'compose.yaml': 'services:\n  db:\n    provider:\n      type: compose\n' })).toMatch(
      /compose\.yaml:4:.*not a valid provider type/,
    );
  });
});

describe('running a provider', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-provider-'));
  const log = path.join(dir, 'calls');
  const script = (name: string, body: string) => {
    writeFileSync(path.join(dir, name), `#!/bin/sh\necho "$@" >> '${log}'\n${body}\n`);
    chmodSync(path.join(dir, name), 0o755);
  };
  script(
    'docker-demo',
    `case "$3" in up) echo '{"type":"info","message":"working"}'; echo '{"type":"setenv","message":"URL=db://x"}';; esac`,
  );
  script('failing', `echo '{"type":"error","message":"quota exceeded"}'; exit 1`);
  script('crashing', `echo 'it broke' >&2; exit 4`);
  const oldPath = process.env.PATH;
  process.env.PATH = `${dir}:${oldPath}`;
  afterAll(() => {
    process.env.PATH = oldPath;
    rmSync(dir, { recursive: true, force: true });
  });
  const started = { condition: 'service_started' as const, required: true, restart: false };
  const ctx = (events: RunEvent[]) => ({
    engine: new FakeEngine(),
    onEvent: (e: RunEvent) => events.push(e),
  });
  const withType = (type: string) =>
    stack([
      service('db', { replicas: 0, provider: { type, options: {} } }),
      service('app', { depends_on: { db: started } }),
    ]);

  test('up: docker-<type> found on PATH, its setenv in the dependent, its info as progress; down after', async () => {
    const events: RunEvent[] = [];
    const s = withType('demo');
    const out = await upProviders(ctx(events), s);
    expect(out.services.app!.environment).toEqual({ DB_URL: 'db://x' });
    expect(events.some((e) => e.type === 'progress' && e.detail === 'working')).toBe(true);
    expect(await downProviders(ctx(events), s, await findProviders(s))).toEqual([]);
    // asked for its metadata before each command, as Compose does (this one answers nothing: no metadata)
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      'compose metadata',
      `compose --project-name=${s.project} up db`,
      'compose metadata',
      `compose --project-name=${s.project} down db`,
    ]);
  });

  // A provider that declares its parameters: up takes `size` (required) and `region`, down takes `region`.
  const metadata = {
    description: 'a test database',
    up: {
      parameters: [
        { name: 'size', description: 'how big', required: true, type: 'string' },
        { name: 'region', description: 'where', required: false, type: 'string', default: 'eu' },
      ],
    },
    down: { parameters: [{ name: 'region', description: 'where', required: false, type: 'string' }] },
  };
  script(
    'docker-declared',
    `case "$2" in metadata) echo '${JSON.stringify(metadata)}';; esac
case "$3" in up) echo '{"type":"setenv","message":"URL=db://declared"}';; esac`,
  );
  const declared = (options: Record<string, string[]>) =>
    stack([
      service('db', { replicas: 0, provider: { type: 'declared', options } }),
      service('app', { depends_on: { db: started } }),
    ]);
  const calls = () => readFileSync(log, 'utf8').trim().split('\n');

  test('metadata: each command gets only the options it declares', async () => {
    writeFileSync(log, '');
    const s = declared({ size: ['small'], region: ['us'], colour: ['blue'] });
    const out = await upProviders(ctx([]), s);
    expect(out.services.app!.environment).toEqual({ DB_URL: 'db://declared' });
    expect(await downProviders(ctx([]), s, await findProviders(s))).toEqual([]);
    expect(calls()).toEqual([
      'compose metadata',
      `compose --project-name=${s.project} up --region=us --size=small db`,
      'compose metadata',
      `compose --project-name=${s.project} down --region=us db`,
    ]);
  });

  test('metadata: a required parameter left out is exit 2 at the provider line, before any provider runs', async () => {
    writeFileSync(log, '');
    const s = declared({ region: ['us'] });
    await expect(upProviders(ctx([]), s)).rejects.toMatchObject({
      exitCode: 2,
      message: 'required parameter "size" is missing from provider "declared" definition (service "db")',
    });
    expect(calls()).toEqual(['compose metadata']);
  });

  test('metadata: the parsing and the rules, as Compose reads them', () => {
    expect(parseProviderMetadata('not json')).toEqual({});
    expect(parseProviderMetadata('[1]')).toEqual({});
    expect(metadataIsEmpty({})).toBe(true);
    expect(metadataIsEmpty({ up: { parameters: [] } })).toBe(false);
    expect(metadataIsEmpty({ description: 'x' })).toBe(false);
    const svc = service('db', { provider: { type: 't', options: { a: ['1'], b: ['2'] } } });
    // no metadata: every option, as before
    expect(providerArgs('p', svc, 'down', {})).toEqual([
      'compose',
      '--project-name=p',
      'down',
      '--a=1',
      '--b=2',
      'db',
    ]);
    // metadata without parameters for a command: none of the options
    expect(providerArgs('p', svc, 'down', { description: 'x' })).toEqual([
      'compose',
      '--project-name=p',
      'down',
      'db',
    ]);
    expect(missingParameters({ up: { parameters: [{ name: 'c', required: true }] } }, svc, 'up')).toEqual([
      'c',
    ]);
    expect(missingParameters({ up: { parameters: [{ name: 'a', required: true }] } }, svc, 'up')).toEqual([]);
  });

  test('an error message or a failed exit fails the up with what the provider said', async () => {
    await expect(upProviders(ctx([]), withType('failing'))).rejects.toThrow(
      'service "db": failed to create service provider: quota exceeded',
    );
    const crash = upProviders(ctx([]), withType('crashing'));
    await expect(crash).rejects.toThrow(/crashing exited with status 4/);
    await expect(crash).rejects.toMatchObject({ hint: expect.stringMatching(/it broke/) });
  });

  test('a missing binary is exit 2', async () => {
    await expect(upProviders(ctx([]), withType('bt-no-such-provider'))).rejects.toMatchObject({
      exitCode: 2,
      message: 'provider `bt-no-such-provider` of service "db" not found',
    });
  });

  // Compose 5.1 (docker/compose#13779): `stop` calls `<provider> compose stop SERVICE` when the provider's
  // metadata declares `stop`, dependents first; a provider without it is not called.
  const stopMeta = {
    up: { parameters: [{ name: 'size', required: true, type: 'string' }] },
    stop: { parameters: [{ name: 'region', required: false, type: 'string' }] },
  };
  script(
    'docker-pausable',
    `case "$2" in metadata) echo '${JSON.stringify(stopMeta)}';; esac
case "$3" in stop) echo '{"type":"info","message":"pausing"}';; esac`,
  );
  script(
    'docker-stuck',
    `case "$2" in metadata) echo '{"stop":{"parameters":null}}';; esac
case "$3" in stop) echo '{"type":"error","message":"cannot pause a free tier"}'; exit 1;; esac`,
  );
  const pausable = () =>
    stack([
      service('cache', {
        replicas: 0,
        provider: { type: 'pausable', options: { region: ['eu'], size: ['s'] } },
      }),
      service('db', {
        replicas: 0,
        provider: { type: 'pausable', options: { size: ['m'] } },
        depends_on: { cache: started },
      }),
      service('queue', { replicas: 0, provider: { type: 'demo', options: {} } }),
      service('app', { depends_on: { db: started, queue: started } }),
    ]);

  test('stop: a provider that declares stop is called, dependents first, with its declared options only', async () => {
    writeFileSync(log, '');
    const events: RunEvent[] = [];
    const s = pausable();
    expect(await stopProviders(ctx(events), s)).toEqual([]);
    expect(calls()).toEqual([
      // the reverse of the start order (cache, db, queue): queue's provider (no metadata) is asked, never told
      // to stop; db depends on cache, so db stops first
      'compose metadata',
      'compose metadata',
      `compose --project-name=${s.project} stop db`,
      'compose metadata',
      `compose --project-name=${s.project} stop --region=eu cache`,
    ]);
    const progress = events.filter((e) => e.type === 'progress' && e.name === 'cache');
    expect(progress.map((e) => (e.type === 'progress' ? [e.status, e.detail] : []))).toEqual([
      ['Stopping', undefined],
      ['Stopping', 'pausing'],
      ['Stopped', undefined],
    ]);
  });

  test('stop: only the services asked for; a failed stop is an error line naming the service', async () => {
    writeFileSync(log, '');
    const s = pausable();
    expect(await stopProviders(ctx([]), s, ['app', 'cache'])).toEqual([]);
    expect(calls()).toEqual([
      'compose metadata',
      `compose --project-name=${s.project} stop --region=eu cache`,
    ]);
    const stuck = withType('stuck');
    expect(await stopProviders(ctx([]), stuck)).toEqual([
      'service "db": failed to stop service provider: cannot pause a free tier',
    ]);
  });

  test('berth stop (and Ctrl-C of up) stops the providers after the containers; restart leaves them', async () => {
    const engine = new FakeEngine();
    const s = pausable();
    const op = { engine, onEvent: () => {} };
    writeFileSync(log, '');
    expect((await stop(op, { stack: s, project: s.project })).errors).toEqual([]);
    expect(calls().filter((c) => c.includes(' stop '))).toEqual([
      `compose --project-name=${s.project} stop db`,
      `compose --project-name=${s.project} stop --region=eu cache`,
    ]);
    writeFileSync(log, '');
    await stop(op, { stack: s, project: s.project }, { providers: false });
    // without a stack file (stop by project name) there is no provider to call either
    await stop(op, { project: s.project });
    expect(readFileSync(log, 'utf8')).toBe('');
  });
});

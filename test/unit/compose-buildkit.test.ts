// Build keys only BuildKit honours (`ssh`, `secrets`, `entitlements`, `privileged`): a file that uses them is
// a valid Compose file and loads; a build that would need them on berth's classic builder stops before
// anything is built, naming each key and its line. `additional_contexts` works on every builder (berth
// rewrites the Dockerfile): `service:NAME` contexts order builds, pull in their services, and a value berth
// cannot serve stops the build at its own line.
import { describe, expect, test } from 'vitest';
import { ensureImages } from '../../src/images/ensure.js';
import { FakeEngine } from '../support/fake-engine.js';
import { load, loadError } from './compose-helpers.js';

const file = `services:
  base:
    build:
      context: .
      dockerfile: base.dockerfile
  app:
    build:
      context: .
      additional_contexts:
        base: service:base
        docs: ./docs
        alpine: docker-image://alpine:3.19
      ssh: [default]
      secrets: [token]
      entitlements: [network.host]
      privileged: true
    image: acme/app:dev
secrets:
  token:
    environment: TOKEN
`;

describe('BuildKit-only build keys', () => {
  test('load, with each key and its line kept for the builder', () => {
    const stack = load({ 'compose.yaml': file }, { env: { TOKEN: 't' } });
    const b = stack.services.app!.build!;
    expect(b.after).toEqual(['base']);
    expect(b.additional_contexts?.base).toBe('service:base');
    expect(b.additional_contexts?.alpine).toBe('docker-image://alpine:3.19');
    expect(b.additional_contexts?.docs).toMatch(/\/proj\/docs$/);
    expect(b.serviceImages).toEqual({ base: 'proj-base' });
    expect(b.contextsAt?.docs).toMatchObject({ file: expect.stringMatching(/compose\.yaml$/), line: 11 });
    expect(b.needsBuildKit?.map((n) => `${n.key} ${n.at}`)).toEqual([
      'services.app.build.ssh compose.yaml:13',
      'services.app.build.secrets compose.yaml:14',
      'services.app.build.entitlements compose.yaml:15',
      'services.app.build.privileged compose.yaml:16',
    ]);
    expect(b.ssh).toEqual(['default']);
    // the secret's source, as the builder hands it to BuildKit (Compose's `environment` secret: the value)
    expect(b.secrets).toEqual([{ source: 'token', environment: 'TOKEN', value: 't' }]);
    expect(b.entitlements).toEqual(['network.host']);
    expect(b.privileged).toBe(true);
    expect(stack.services.base!.build!.needsBuildKit).toBeUndefined();
  });

  test('`privileged: false` needs nothing', () => {
    const stack = load({
      'compose.yaml': 'services:\n  a:\n    build:\n      context: .\n      privileged: false\n',
    });
    expect(stack.services.a!.build!.needsBuildKit).toBeUndefined();
  });

  test('`service:NAME` must name a service of the stack', () => {
    expect(
      loadError({
        'compose.yaml':
          'services:\n  a:\n    build:\n      context: .\n      additional_contexts:\n        x: service:nope\n',
      }),
    ).toMatch(/compose\.yaml:6:\d+: .*`service:nope`: there is no service `nope`/);
  });

  test('`service:` contexts in a circle are an error, not a build that waits forever', () => {
    const text = `services:
  a:
    build:
      context: .
      additional_contexts: {b: "service:b"}
  b:
    build:
      context: .
      additional_contexts: {a: "service:a"}
`;
    expect(loadError({ 'compose.yaml': text })).toMatch(
      /build contexts go round in a circle: (a → b → a|b → a → b)/,
    );
  });

  test('a build secret must be declared', () => {
    expect(
      loadError({ 'compose.yaml': 'services:\n  a:\n    build:\n      context: .\n      secrets: [nope]\n' }),
    ).toMatch(/compose\.yaml:5:\d+: .*secret `nope` is not declared/);
  });
});

describe('building with the classic builder', () => {
  test('stops before any build, naming every key that needs BuildKit with its line (exit code 2)', async () => {
    const stack = load({ 'compose.yaml': file }, { env: { TOKEN: 't' } });
    const engine = new FakeEngine();
    const err = await ensureImages(engine, Object.values(stack.services)).then(
      () => undefined,
      (e: unknown) => e as { message: string; exitCode: number },
    );
    expect(err?.exitCode).toBe(2);
    expect(err?.message).toContain('`services.app.build.ssh` (compose.yaml:13)');
    expect(err?.message).not.toContain('additional_contexts');
    expect(err?.message).toContain('need BuildKit');
    expect(err?.message).toContain('the fake engine has the classic builder only');
    expect(engine.callsOf(['buildImage'])).toEqual([]);
  });

  test('an image that is already there (built with BuildKit by hand) is used, not rebuilt', async () => {
    const stack = load({ 'compose.yaml': file }, { env: { TOKEN: 't' } });
    const engine = new FakeEngine();
    const id = engine.addImage(stack.services.app!.image);
    const ids = await ensureImages(engine, [stack.services.app!]);
    expect(ids.get('app')).toBe(id);
    expect(engine.callsOf(['buildImage'])).toEqual([]);
  });

  /** top needs mid's image, mid needs low's; other needs nothing. */
  const CHAIN = `services:
  top:
    build:
      context: .
      additional_contexts: {mid: "service:mid"}
  mid:
    build:
      context: .
      additional_contexts: {low: "service:low"}
  low:
    build: .
  other:
    build: .
`;

  test('`service:NAME` contexts build NAME first, even when listed last and with room for both at once', async () => {
    const stack = load({ 'compose.yaml': CHAIN });
    const engine = new FakeEngine();
    engine.latency = 5;
    await ensureImages(engine, Object.values(stack.services), { concurrency: 4 });
    const builds = engine.callsOf(['buildImage']);
    const span = (n: string) => builds.find((c) => c.target === n)!;
    expect(span('mid').startedAt).toBeGreaterThan(span('low').endedAt!);
    expect(span('top').startedAt).toBeGreaterThan(span('mid').endedAt!);
    // independent builds still run side by side
    expect(span('other').startedAt).toBeLessThan(span('low').endedAt!);
  });

  test('`up top` alone makes the images of its `service:` contexts first, as Compose adds build dependencies', async () => {
    const stack = load({ 'compose.yaml': CHAIN });
    const engine = new FakeEngine();
    const ids = await ensureImages(engine, [stack.services.top!], { all: stack.services });
    const built = engine.callsOf(['buildImage']).map((c) => c.target);
    expect(built).toEqual(['low', 'mid', 'top']);
    // only what was asked for is answered
    expect([...ids.keys()]).toEqual(['top']);
  });

  test('a context value berth cannot serve stops the build at its own line, on either builder', async () => {
    const text = `services:
  app:
    build:
      context: .
      additional_contexts:
        ok: ./docs
        remote: https://github.com/acme/docs.git
`;
    const stack = load({ 'compose.yaml': text });
    const engine = new FakeEngine();
    const err = await ensureImages(engine, [stack.services.app!]).then(
      () => undefined,
      (e: unknown) => e as { message: string; exitCode: number; pos?: { line: number } },
    );
    expect(err?.exitCode).toBe(2);
    expect(err?.pos?.line).toBe(7);
    expect(err?.message).toMatch(
      /build\.additional_contexts `remote`: `https:\/\/github\.com\/acme\/docs\.git` is not supported on this engine: a remote \(git or URL\) context/,
    );
    expect(engine.callsOf(['buildImage'])).toEqual([]);
  });
});

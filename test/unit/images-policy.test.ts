import { describe, expect, test } from 'vitest';
import { buildQuery, isBuildStep } from '../../src/engine/images.js';
import { imageAction } from '../../src/images/policy.js';
import { splitReference, withDefaultTag } from '../../src/model/image-ref.js';
import type { BuildSpec, Service } from '../../src/model/stack.js';

const buildSpec: BuildSpec = { context: '/ctx', dockerfile: 'Dockerfile', args: {}, labels: {} };
const svc = (over: Partial<Service> = {}) =>
  ({ name: 'web', image: 'demo-web', pull_policy: 'missing', ...over }) as Service;
const present = { exists: true };
const missing = { exists: false };

describe('imageAction: what a service needs before its containers are created', () => {
  test('an image that exists is used as it is, whatever the service could build or pull', () => {
    expect(imageAction(svc(), present)).toEqual({ do: 'none' });
    expect(imageAction(svc({ build: buildSpec }), present)).toEqual({ do: 'none' });
    expect(imageAction(svc({ pull_policy: 'if_not_present' }), present)).toEqual({ do: 'none' });
  });

  test('a missing image is built when the service has build, pulled otherwise', () => {
    expect(imageAction(svc({ build: buildSpec }), missing)).toEqual({ do: 'build' });
    expect(imageAction(svc(), missing)).toEqual({ do: 'pull' });
  });

  test('pull_policy always pulls even when present; never fails when missing and there is nothing to build', () => {
    expect(imageAction(svc({ pull_policy: 'always' }), present)).toEqual({ do: 'pull' });
    const never = imageAction(svc({ pull_policy: 'never' }), missing);
    expect(never.do).toBe('fail');
    expect(never.do === 'fail' && never.reason).toContain('demo-web');
    expect(imageAction(svc({ pull_policy: 'never' }), present)).toEqual({ do: 'none' });
    expect(imageAction(svc({ pull_policy: 'never', build: buildSpec }), missing)).toEqual({ do: 'build' });
  });

  test('pull_policy build always builds', () => {
    expect(imageAction(svc({ pull_policy: 'build', build: buildSpec }), present)).toEqual({ do: 'build' });
  });

  test('daily and weekly pull only when the last pull is older than that', () => {
    const now = new Date('2026-01-10T00:00:00Z');
    const hoursAgo = (h: number) => ({ exists: true, lastTagTime: new Date(now.getTime() - h * 3600e3) });
    expect(imageAction(svc({ pull_policy: 'daily' }), hoursAgo(2), { now })).toEqual({ do: 'none' });
    expect(imageAction(svc({ pull_policy: 'daily' }), hoursAgo(25), { now })).toEqual({ do: 'pull' });
    expect(imageAction(svc({ pull_policy: 'weekly' }), hoursAgo(25), { now })).toEqual({ do: 'none' });
    expect(imageAction(svc({ pull_policy: 'weekly' }), hoursAgo(8 * 24), { now })).toEqual({ do: 'pull' });
  });

  test('the caller overrides: --build builds, --no-build refuses, --pull never/always replace the policy', () => {
    expect(imageAction(svc({ build: buildSpec }), present, { build: true })).toEqual({ do: 'build' });
    expect(imageAction(svc({ build: buildSpec }), missing, { build: false }).do).toBe('fail');
    expect(imageAction(svc(), missing, { pull: 'never' }).do).toBe('fail');
    expect(imageAction(svc(), present, { pull: 'always' })).toEqual({ do: 'pull' });
    expect(imageAction(svc({ pull_policy: 'always' }), present, { pull: 'missing' })).toEqual({ do: 'none' });
  });
});

describe('image references', () => {
  test('a registry port is not a tag; digests are kept whole', () => {
    expect(splitReference('127.0.0.1:5000/bt/busybox:1')).toEqual({
      repository: '127.0.0.1:5000/bt/busybox',
      tag: '1',
    });
    expect(splitReference('127.0.0.1:5000/bt/busybox')).toEqual({ repository: '127.0.0.1:5000/bt/busybox' });
    expect(splitReference('busybox@sha256:abc')).toEqual({ repository: 'busybox', digest: 'sha256:abc' });
    expect(withDefaultTag('localhost:5000/x')).toBe('localhost:5000/x:latest');
    expect(withDefaultTag('x:1')).toBe('x:1');
  });
});

describe('buildQuery', () => {
  const service = svc({
    build: { ...buildSpec, args: { A: '1' }, target: 'dev', labels: { team: 'x' }, tags: ['demo-web:extra'] },
  });

  test('tags with the service image, labels with stack (not project: clients share it) and service, passes args and target', () => {
    const q = buildQuery(service, 'Dockerfile', { stack: 'demo' });
    expect(q.t).toEqual(['demo-web', 'demo-web:extra']);
    expect(q.labels).toEqual({ team: 'x', 'dev.berth.service': 'web', 'dev.berth.stack': 'demo' });
    expect(q.buildargs).toEqual({ A: '1' });
    expect(q.target).toBe('dev');
  });

  test('never asks the engine to pull unless the caller says so', () => {
    expect(buildQuery(service, 'Dockerfile', {})).not.toHaveProperty('pull');
    const fromFile = svc({ build: { ...buildSpec, pull: true } });
    expect(buildQuery(fromFile, 'Dockerfile', {})).not.toHaveProperty('pull');
    expect(buildQuery(service, 'Dockerfile', { pull: true }).pull).toBe(true);
    expect(buildQuery(service, 'Dockerfile', { noCache: true }).nocache).toBe(true);
  });
});

describe('isBuildStep', () => {
  test("Docker's and Podman's step headers are steps; a RUN's own output is not", () => {
    expect(isBuildStep('Step 2/5 : RUN make')).toBe(true);
    expect(isBuildStep('STEP 2/5: RUN make')).toBe(true);
    expect(isBuildStep(' ---> Running in 0123abcd')).toBe(false);
    expect(isBuildStep('step 2/5: lower case is a program talking')).toBe(false);
    expect(isBuildStep('STEP 2/5 RUN make')).toBe(false);
  });
});

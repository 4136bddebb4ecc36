import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { containerTemplate } from '../../src/engine/create-options.js';
import { configHash, stableStringify } from '../../src/plan/hash.js';
import { serviceHash } from '../../src/plan/plan.js';
import { service, stack } from './stack-factory.js';

describe('stableStringify', () => {
  test('key order does not matter, array order does', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse());
        expect(stableStringify(reversed)).toBe(stableStringify(o));
      }),
    );
    expect(stableStringify([1, 2])).not.toBe(stableStringify([2, 1]));
  });
});

describe('configHash', () => {
  const s = stack([service('app', { environment: { A: '1', B: '2' } })]);
  const h = (over: Parameters<typeof service>[1], img = 'sha256:a') => {
    const st = stack([service('app', { environment: { A: '1', B: '2' }, ...over })]);
    return serviceHash(st, st.services.app!, img);
  };
  const base = serviceHash(s, s.services.app!, 'sha256:a');

  test('is stable and short', () => {
    expect(base).toMatch(/^[0-9a-f]{16}$/);
    expect(h({})).toBe(base);
  });

  test('environment order does not matter', () => {
    expect(h({ environment: { B: '2', A: '1' } })).toBe(base);
  });

  test.each([
    ['image ID', {}, 'sha256:b'],
    ['image ref', { image: 'other:1' }, undefined],
    ['command', { command: ['sleep', '1'] }, undefined],
    ['entrypoint', { entrypoint: ['/bin/sh'] }, undefined],
    ['environment', { environment: { A: '2', B: '2' } }, undefined],
    [
      'ports',
      { ports: [{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' as const }] },
      undefined,
    ],
    [
      'mounts',
      { volumes: [{ type: 'bind' as const, source: '/src', target: '/app', read_only: true }] },
      undefined,
    ],
    ['network aliases', { networks: { default: { aliases: ['x'] } } }, undefined],
    ['healthcheck', { healthcheck: { test: ['CMD', 'true'], disable: false } }, undefined],
    ['user', { user: '1000' }, undefined],
    ['working_dir', { working_dir: '/w' }, undefined],
    ['labels', { labels: { a: 'b' } }, undefined],
    ['restart', { restart: 'always' }, undefined],
    ['resources', { resources: { memoryBytes: 1 << 20 } }, undefined],
    ['init', { init: true }, undefined],
    ['stop_signal', { stop_signal: 'SIGINT' }, undefined],
    ['stop_grace_period', { stopGracePeriodMs: 2000 }, undefined],
    ['tmpfs', { tmpfs: ['/run'] }, undefined],
    ['extra_hosts', { extra_hosts: ['h:1.2.3.4'] }, undefined],
  ])('changes with %s', (_what, over, img) => {
    expect(h(over, img ?? 'sha256:a')).not.toBe(base);
  });

  test.each([
    ['replicas', { replicas: 3 }],
    [
      'depends_on',
      { depends_on: { db: { condition: 'service_started' as const, required: true, restart: false } } },
    ],
    ['build', { build: { context: '/c', dockerfile: 'Dockerfile', args: {}, labels: {} } }],
    ['pull_policy', { pull_policy: 'always' as const }],
    ['profiles', { profiles: ['debug'] }],
  ])('ignores %s (as Compose does)', (_what, over) => {
    expect(h(over)).toBe(base);
  });

  test('the stack file’s path is not configuration (another -f with the same service recreates nothing)', () => {
    const other = stack([service('app', { environment: { A: '1', B: '2' } })], {
      files: ['/elsewhere/compose.yaml'],
    });
    expect(serviceHash(other, other.services.app!, 'sha256:a')).toBe(base);
  });

  test('direct use matches the planner’s', () => {
    const svc = s.services.app!;
    expect(configHash(s, svc, containerTemplate(s, svc), 'sha256:a')).toBe(base);
  });
});

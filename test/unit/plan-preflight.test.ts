import { describe, expect, test } from 'vitest';
import { planUp } from '../../src/plan/plan.js';
import { clashesWithin, wantedPorts } from '../../src/executor/preflight.js';
import { observed, service, stack } from './stack-factory.js';

describe('port preflight (pure part)', () => {
  const port = (published: string, host_ip = '127.0.0.1') => ({
    target: 80,
    published,
    host_ip,
    protocol: 'tcp' as const,
  });

  test('collects fixed host ports of what the plan creates', () => {
    const s = stack([
      service('lb', { ports: [port('8080'), { ...port(''), published: undefined }] }),
      service('app'),
    ]);
    const p = planUp(s, observed([], { networks: [] }), { imageIds: {} });
    expect(wantedPorts(s, p)).toEqual([{ service: 'lb', hostIp: '127.0.0.1', port: 8080, protocol: 'tcp' }]);
  });

  test('a host range on one container port is the engine’s to pick from, so it is not checked', () => {
    const s = stack([
      service('api', { replicas: 2, ports: [port('8000-8001')] }),
      service('lb', { ports: [port('8080')] }),
    ]);
    const p = planUp(s, observed([], { networks: [] }), { imageIds: {} });
    expect(wantedPorts(s, p)).toEqual([{ service: 'lb', hostIp: '127.0.0.1', port: 8080, protocol: 'tcp' }]);
  });

  test('two services on one host port clash; different host IPs do not', () => {
    const w = (service: string, p: number, hostIp = '127.0.0.1') => ({
      service,
      hostIp,
      port: p,
      protocol: 'tcp',
    });
    expect(clashesWithin([w('a', 80), w('b', 80)])).toEqual([
      'port 127.0.0.1:80 is published by both "a" and "b"',
    ]);
    expect(clashesWithin([w('a', 80), w('b', 80, '127.0.0.2')])).toEqual([]);
    expect(clashesWithin([w('a', 80, '0.0.0.0'), w('b', 80, '127.0.0.2')])).toHaveLength(1);
    expect(clashesWithin([w('a', 80), w('a', 80)])[0]).toMatch(/more than one replica of service "a"/);
  });
});

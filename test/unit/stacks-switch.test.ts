import { describe, expect, test } from 'vitest';
import type { ObservedContainer } from '../../src/model/index.js';
import { clashMessage, portClashes } from '../../src/plan/port-clash.js';
import { stackHostPorts } from '../../src/plan/host-ports.js';
import type { Service, Stack } from '../../src/model/stack.js';
import { byProject, otherClientsRunning } from '../../src/stacks/switch.js';

let n = 0;
const container = (
  project: string,
  service: string,
  over: Partial<ObservedContainer> & { stack?: string } = {},
): ObservedContainer => {
  const { stack, ...rest } = over;
  return {
    id: `id${++n}`,
    name: `${project}-${service}-1`,
    project,
    service,
    replica: 1,
    hash: 'h',
    state: 'running',
    status: 'Up',
    image: 'berth/busybox:latest',
    imageId: 'sha256:x',
    command: 'sh',
    created: 0,
    networks: [],
    ports: [],
    labels: stack === undefined ? {} : { 'dev.berth.stack': stack },
    oneoff: false,
    ...rest,
  };
};

const lbPort = { hostIp: '127.0.0.1', hostPort: 8080, target: 80, protocol: 'tcp' };

describe('otherClientsRunning', () => {
  const all = [
    container('demo-acme', 'lb', { stack: 'demo', ports: [lbPort] }),
    container('demo-acme', 'db', { stack: 'demo' }),
    container('demo-globex', 'lb', { stack: 'demo', ports: [lbPort] }),
    container('demo-globex', 'db', { stack: 'demo', state: 'exited' }),
    container('demo', 'db', { stack: 'demo' }),
    container('demo2-acme', 'db', { stack: 'demo2' }),
    container('demo-initech', 'db'), // no stack label: not provably ours
  ];

  test('running containers of the same stack under other projects (other clients and the base stack)', () => {
    const others = otherClientsRunning(all, { name: 'demo', project: 'demo-globex' });
    expect(others.map((c) => `${c.project}/${c.service}`)).toEqual([
      'demo-acme/lb',
      'demo-acme/db',
      'demo/db',
    ]);
    expect([...byProject(others).keys()]).toEqual(['demo-acme', 'demo']);
  });

  test('never the active project itself, never other stacks', () => {
    const others = otherClientsRunning(all, { name: 'demo', project: 'demo-acme' });
    expect(others.every((c) => c.project !== 'demo-acme' && c.labels['dev.berth.stack'] === 'demo')).toBe(
      true,
    );
    expect(others.map((c) => c.project)).not.toContain('demo2-acme');
  });
});

const svc = (name: string, ports: Array<{ published?: string; host_ip?: string }>): Service =>
  ({
    name,
    ports: ports.map((p) => ({
      target: 80,
      protocol: 'tcp',
      host_ip: p.host_ip ?? '127.0.0.1',
      published: p.published,
    })),
  }) as unknown as Service;

describe('ports', () => {
  const stack = {
    services: {
      lb: svc('lb', [{ published: '8080' }]),
      debug: svc('debug', [{ published: '9000-9001' }, {}]),
    },
  } as unknown as Stack;

  test('fixed host ports count; ranges and ephemeral ports are the engine’s to pick', () => {
    expect(stackHostPorts(stack)).toEqual([
      { service: 'lb', hostIp: '127.0.0.1', port: 8080, protocol: 'tcp' },
    ]);
  });

  const scope = (releasing: string[] = []) => ({
    project: 'demo-globex',
    releasing: new Set(releasing),
    own: 'any' as const,
  });

  test('a port inside a range is not a clash: the engine takes a free one of the range', () => {
    const other = container('blog', 'web', { stack: 'blog', ports: [{ ...lbPort, hostPort: 9001 }] });
    const r = portClashes(stackHostPorts(stack), [other], scope());
    expect(r.clashes).toEqual([]);
    expect(r.probe).toEqual(stackHostPorts(stack));
  });

  test('a port held by a container about to be stopped is not a clash; one held by another stack is', () => {
    const acmeLb = container('demo-acme', 'lb', { stack: 'demo', ports: [lbPort] });
    const blog = container('blog', 'web', { stack: 'blog', ports: [{ ...lbPort, hostIp: '0.0.0.0' }] });
    const wanted = stackHostPorts(stack);
    expect(portClashes(wanted, [acmeLb], scope([acmeLb.id]))).toEqual({ clashes: [], probe: [] });
    const { clashes } = portClashes(wanted, [acmeLb, blog], scope([acmeLb.id]));
    expect(clashes).toEqual([{ wanted: wanted[0], project: 'blog', service: 'web' }]);
    expect(clashMessage(clashes[0]!)).toMatch(/127\.0\.0\.1:8080.*berth project "blog".*berth -p blog stop/);
  });

  test('the project’s own containers are the executor’s business, and other addresses do not clash', () => {
    const own = container('demo-globex', 'lb', { stack: 'demo', ports: [lbPort] });
    const elsewhere = container('x', 'lb', { ports: [{ ...lbPort, hostIp: '127.0.0.2' }] });
    expect(portClashes(stackHostPorts(stack), [own, elsewhere], scope())).toEqual({ clashes: [], probe: [] });
  });

  test('for `up`, only the same service of the project may hold its port', () => {
    const own = container('demo-globex', 'web', { stack: 'demo', ports: [lbPort] });
    const r = portClashes(stackHostPorts(stack), [own], { ...scope(), own: 'same-service' });
    expect(r.clashes).toEqual([{ wanted: stackHostPorts(stack)[0], project: 'demo-globex', service: 'web' }]);
  });
});

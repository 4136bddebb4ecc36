import { describe, expect, test } from 'vitest';
import type { ObservedContainer } from '../../src/engine/observe.js';
import { stackHostPorts } from '../../src/plan/host-ports.js';
import type { Service, Stack } from '../../src/compose/types.js';
import {
  byProject,
  holderMessage,
  otherClientsRunning,
  portsFreedByStopping,
  portsHeldByOthers,
  splitStops,
} from '../../src/stacks/switch.js';

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

  test('a port inside a range is not a clash: the engine takes a free one of the range', () => {
    const other = container('blog', 'web', { stack: 'blog', ports: [{ ...lbPort, hostPort: 9001 }] });
    expect(
      portsHeldByOthers(stackHostPorts(stack), [other], { project: 'demo-globex', stopping: new Set() }),
    ).toEqual([]);
  });

  test('a port held by a container about to be stopped is not a clash; one held by another stack is', () => {
    const acmeLb = container('demo-acme', 'lb', { stack: 'demo', ports: [lbPort] });
    const blog = container('blog', 'web', { stack: 'blog', ports: [{ ...lbPort, hostIp: '0.0.0.0' }] });
    const wanted = stackHostPorts(stack);
    expect(
      portsHeldByOthers(wanted, [acmeLb], { project: 'demo-globex', stopping: new Set([acmeLb.id]) }),
    ).toEqual([]);
    const held = portsHeldByOthers(wanted, [acmeLb, blog], {
      project: 'demo-globex',
      stopping: new Set([acmeLb.id]),
    });
    expect(held).toEqual([{ wanted: wanted[0], project: 'blog', service: 'web' }]);
    expect(holderMessage(held[0]!, 'globex')).toMatch(
      /127\.0\.0\.1:8080.*berth project "blog".*berth -p blog stop/,
    );
  });

  test('the project’s own containers are the executor’s business, and other addresses do not clash', () => {
    const own = container('demo-globex', 'lb', { stack: 'demo', ports: [lbPort] });
    const elsewhere = container('x', 'lb', { ports: [{ ...lbPort, hostIp: '127.0.0.2' }] });
    expect(
      portsHeldByOthers(stackHostPorts(stack), [own, elsewhere], {
        project: 'demo-globex',
        stopping: new Set(),
      }),
    ).toEqual([]);
  });

  test('ports freed by stopping are known by protocol and number', () => {
    expect(portsFreedByStopping([container('demo-acme', 'lb', { ports: [lbPort] })])).toEqual(
      new Set(['tcp/8080']),
    );
  });
});

describe('splitStops', () => {
  const deps = (...names: string[]) => Object.fromEntries(names.map((n) => [n, {}]));
  const stack = {
    services: {
      lb: { name: 'lb', depends_on: deps('nginx'), ports: [] },
      nginx: { name: 'nginx', depends_on: deps('app'), ports: [] },
      app: { name: 'app', depends_on: deps('db'), ports: [] },
      db: { name: 'db', depends_on: {}, ports: [] },
      admin: { name: 'admin', depends_on: deps('db'), ports: [] },
    },
  } as unknown as Stack;
  const wanted = [{ service: 'lb', hostIp: '127.0.0.1', port: 8080, protocol: 'tcp' }];

  test('only the port holders (and what depends on them) must stop before the switch', () => {
    const cs = [
      container('demo-globex', 'lb', { stack: 'demo', ports: [lbPort] }),
      container('demo-globex', 'nginx', { stack: 'demo' }),
      container('demo-globex', 'app', { stack: 'demo' }),
      container('demo-globex', 'db', { stack: 'demo' }),
    ];
    const { first, later } = splitStops(cs, wanted, stack);
    expect(first.map((c) => c.service)).toEqual(['lb']);
    expect(later.map((c) => c.service)).toEqual(['nginx', 'app', 'db']);
  });

  test('a port on a dependency pulls in every service that depends on it, per project', () => {
    const cs = [
      container('demo-globex', 'lb', { stack: 'demo' }),
      container('demo-globex', 'nginx', { stack: 'demo' }),
      container('demo-globex', 'app', { stack: 'demo' }),
      container('demo-globex', 'db', { stack: 'demo', ports: [lbPort] }),
      container('demo-globex', 'admin', { stack: 'demo' }),
      container('demo-initech', 'app', { stack: 'demo' }),
    ];
    const { first, later } = splitStops(cs, wanted, stack);
    expect(first.map((c) => c.service).sort()).toEqual(['admin', 'app', 'db', 'lb', 'nginx']);
    expect(later.map((c) => `${c.project}/${c.service}`)).toEqual(['demo-initech/app']);
  });
});

import { describe, expect, test } from 'vitest';
import {
  type ContainerFacts,
  formatProjectTable,
  projectJson,
  summarizeProjects,
  visibleProjects,
} from '../../src/stacks/overview.js';

const c = (over: Partial<ContainerFacts> & { project: string }): ContainerFacts => ({
  id: Math.random().toString(16).slice(2),
  name: `${over.project}-${over.service ?? 'app'}-1`,
  state: 'running',
  ports: [],
  oneoff: false,
  ...over,
});

const file = '/home/dev/shop/berth.yaml';

describe('summarizeProjects', () => {
  const containers = [
    c({ project: 'shop-acme', stack: 'shop', client: 'acme', file, service: 'app' }),
    c({
      project: 'shop-acme',
      stack: 'shop',
      client: 'acme',
      file,
      service: 'lb',
      ports: [{ hostIp: '127.0.0.1', hostPort: 8080, target: 80, protocol: 'tcp' }],
    }),
    c({ project: 'shop-globex', stack: 'shop', client: 'globex', file, service: 'app', state: 'exited' }),
    c({
      project: 'shop-globex',
      stack: 'shop',
      client: 'globex',
      file,
      service: 'lb',
      state: 'exited',
      ports: [{ hostIp: '127.0.0.1', hostPort: 8080, target: 80, protocol: 'tcp' }],
    }),
    c({ project: 'blog', service: 'web' }),
    c({ project: 'blog', service: 'db', state: 'created' }),
    // a one-off `berth run` container is not a service replica
    c({ project: 'blog', service: 'web', oneoff: true, state: 'exited' }),
  ];

  test('groups containers by project with running n/m, stopped and partial', () => {
    const rows = summarizeProjects(containers, [], new Map([[file, 'acme']]));
    expect(rows.map((r) => [r.name, r.stack, r.client, r.state, r.running, r.total])).toEqual([
      ['blog', 'blog', undefined, 'partial', 1, 2],
      ['shop-acme', 'shop', 'acme', 'running', 2, 2],
      ['shop-globex', 'shop', 'globex', 'stopped', 0, 2],
    ]);
    const acme = rows.find((r) => r.name === 'shop-acme')!;
    expect(acme.ports).toEqual(['127.0.0.1:8080->80/tcp']);
    expect(acme.active).toBe(true);
    expect(acme.services).toEqual(['app', 'lb']);
    expect(rows.find((r) => r.name === 'shop-globex')!.active).toBe(false);
  });

  test('without a stack label the stack is the project minus the client suffix', () => {
    const [row] = summarizeProjects([c({ project: 'shop-initech', client: 'initech' })]);
    expect(row!.stack).toBe('shop');
  });

  test('projects with only networks or volumes left are "down" and shown only with --all', () => {
    const rows = summarizeProjects(containers, [
      { project: 'old-acme', stack: 'old', client: 'acme', kind: 'volume' },
      { project: 'shop-acme', stack: 'shop', client: 'acme', kind: 'network' },
    ]);
    expect(rows.find((r) => r.name === 'old-acme')).toMatchObject({ state: 'down', total: 0 });
    expect(rows.find((r) => r.name === 'shop-acme')!.state).toBe('running');
    expect(visibleProjects(rows, false).map((r) => r.name)).not.toContain('old-acme');
    expect(visibleProjects(rows, true).map((r) => r.name)).toContain('old-acme');
  });

  test('the table is aligned, marks the active client and shortens the home directory', () => {
    const rows = summarizeProjects(containers, [], new Map([[file, 'acme']]));
    const text = formatProjectTable(rows, '/home/dev');
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^PROJECT\s+STACK\s+CLIENT\s+STATE\s+PORTS\s+FILE$/);
    expect(lines).toHaveLength(4);
    const acme = lines.find((l) => l.startsWith('shop-acme'))!;
    expect(acme).toContain('acme *');
    expect(acme).toContain('running 2/2');
    expect(acme).toContain('~/shop/berth.yaml');
    // columns line up: STATE starts at the same offset on every line
    const col = lines[0]!.indexOf('STATE');
    for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^(running|stopped|partial|down)/);
  });

  test('json rows carry stable keys for scripts', () => {
    const rows = projectJson(summarizeProjects(containers));
    expect(rows.find((r) => r.name === 'shop-globex')).toEqual({
      name: 'shop-globex',
      stack: 'shop',
      client: 'globex',
      state: 'stopped',
      running: 0,
      total: 2,
      status: 'stopped 0/2',
      ports: ['127.0.0.1:8080->80/tcp'],
      services: ['app', 'lb'],
      file,
      active: false,
      url: null,
    });
  });

  test('a leftover with only a project label is matched to a known stack by name', () => {
    const rows = summarizeProjects(containers, [{ project: 'shop-initech', kind: 'volume' }]);
    expect(rows.find((r) => r.name === 'shop-initech')).toMatchObject({
      stack: 'shop',
      client: 'initech',
      state: 'down',
    });
  });
});

import { describe, expect, test } from 'vitest';
import { formatPlan } from '../../src/plan/format.js';
import { planStart, planUp, serviceHash } from '../../src/plan/plan.js';
import type { Action } from '../../src/plan/types.js';
import { container, observed, service, stack } from './stack-factory.js';

const IMG = 'sha256:img';
const ids = (s: ReturnType<typeof stack>) => Object.fromEntries(Object.keys(s.services).map((n) => [n, IMG]));
const kinds = (actions: Action[]) => actions.map((a) => `${a.kind} ${'name' in a ? a.name : ''}`.trim());

/** Observed containers exactly matching the stack, running. */
function upToDate(s: ReturnType<typeof stack>) {
  return s.services
    ? Object.values(s.services).flatMap((svc) =>
        Array.from({ length: svc.replicas }, (_, i) =>
          container({ service: svc.name, replica: i + 1, hash: serviceHash(s, svc, IMG) }),
        ),
      )
    : [];
}

describe('planUp', () => {
  const base = () =>
    stack(
      [
        service('db', { volumes: [{ type: 'volume', source: 'data', target: '/data', read_only: false }] }),
        service('app', {
          replicas: 2,
          depends_on: { db: { condition: 'service_healthy', required: true, restart: false } },
        }),
      ],
      { volumes: { data: { name: 'demo_data', driver_opts: {}, external: false, labels: {} } } },
    );

  test('cold: creates the network, the volume and every replica', () => {
    const s = base();
    const p = planUp(s, observed([], { networks: [] }), { imageIds: ids(s) });
    expect(kinds(p.actions)).toEqual([
      'create-network demo_default',
      'create-volume demo_data',
      'create demo-db-1',
      'create demo-app-1',
      'create demo-app-2',
    ]);
  });

  test('second up on an unchanged stack is empty and says so', () => {
    const s = base();
    const p = planUp(s, observed(upToDate(s), { volumes: [{ name: 'demo_data', labels: {} }] }), {
      imageIds: ids(s),
    });
    expect(p.actions).toEqual([]);
    expect(p.unchanged).toHaveLength(3);
    expect(formatPlan(p)).toMatch(/Everything is up to date/);
  });

  test('changing one service’s environment recreates that service only', () => {
    const s = base();
    const obs = observed(upToDate(s), { volumes: [{ name: 'demo_data', labels: {} }] });
    s.services.app!.environment = { MODE: 'debug' };
    const p = planUp(s, obs, { imageIds: ids(s) });
    expect(kinds(p.actions)).toEqual(['recreate demo-app-1', 'recreate demo-app-2']);
    expect(p.actions.every((a) => a.kind === 'recreate' && a.reason === 'config changed')).toBe(true);
  });

  test('a rebuilt image (new ID) recreates with reason "image changed"', () => {
    const s = base();
    const obs = observed(upToDate(s), { volumes: [{ name: 'demo_data', labels: {} }] });
    const p = planUp(s, obs, { imageIds: { ...ids(s), db: 'sha256:new' } });
    expect(kinds(p.actions)).toEqual(['recreate demo-db-1']);
    expect(p.actions[0]).toMatchObject({ reason: 'image changed' });
  });

  test('replicas, depends_on and build do not change the hash', () => {
    const s = base();
    const before = serviceHash(s, s.services.app!, IMG);
    s.services.app!.replicas = 5;
    s.services.app!.depends_on = {};
    s.services.app!.build = { context: '/x', dockerfile: 'Dockerfile', args: {}, labels: {} };
    s.services.app!.pull_policy = 'always';
    expect(serviceHash(s, s.services.app!, IMG)).toBe(before);
  });

  test('stopped with the same hash → start; running → nothing', () => {
    const s = base();
    const obs = upToDate(s);
    obs[0]!.state = 'exited';
    const p = planUp(s, observed(obs, { volumes: [{ name: 'demo_data', labels: {} }] }), {
      imageIds: ids(s),
    });
    expect(kinds(p.actions)).toEqual(['start demo-db-1']);
  });

  test('scale up creates the next replicas, scale down removes the highest-numbered', () => {
    const s = base();
    const obs = observed(upToDate(s), { volumes: [{ name: 'demo_data', labels: {} }] });
    expect(kinds(planUp(s, obs, { imageIds: ids(s), scale: { app: 4 } }).actions)).toEqual([
      'create demo-app-3',
      'create demo-app-4',
    ]);
    const down = planUp(s, obs, { imageIds: ids(s), scale: { app: 1 } });
    expect(kinds(down.actions)).toEqual(['remove demo-app-2']);
    expect(down.actions[0]).toMatchObject({ reason: 'scale down' });
  });

  test('orphans are reported, removed only with removeOrphans', () => {
    const s = base();
    const obs = observed([...upToDate(s), container({ service: 'old', replica: 1 })], {
      volumes: [{ name: 'demo_data', labels: {} }],
    });
    const kept = planUp(s, obs, { imageIds: ids(s) });
    expect(kept.actions).toEqual([]);
    expect(kept.orphans.map((o) => o.name)).toEqual(['demo-old-1']);
    expect(formatPlan(kept)).toMatch(/orphan +demo-old-1/);
    expect(kinds(planUp(s, obs, { imageIds: ids(s), removeOrphans: true }).actions)).toEqual([
      'remove demo-old-1',
    ]);
  });

  test('a leftover temporary container from an interrupted recreate is removed', () => {
    const s = base();
    const obs = upToDate(s);
    obs.push(
      container({ service: 'db', replica: 1, name: 'abcdef123456_demo-db-1', id: 'tmp'.padEnd(64, '1') }),
    );
    const p = planUp(s, observed(obs, { volumes: [{ name: 'demo_data', labels: {} }] }), {
      imageIds: ids(s),
    });
    expect(kinds(p.actions)).toEqual(['remove abcdef123456_demo-db-1']);
    expect(p.actions[0]).toMatchObject({ reason: 'leftover' });
  });

  test('force-recreate recreates everything; no-recreate keeps changed containers', () => {
    const s = base();
    const obs = observed(upToDate(s), { volumes: [{ name: 'demo_data', labels: {} }] });
    expect(planUp(s, obs, { imageIds: ids(s), forceRecreate: true }).actions.map((a) => a.kind)).toEqual([
      'recreate',
      'recreate',
      'recreate',
    ]);
    s.services.db!.environment = { X: '1' };
    expect(planUp(s, obs, { imageIds: ids(s), noRecreate: true }).actions).toEqual([]);
  });

  test('a container missing an expected network is recreated', () => {
    const s = base();
    const obs = upToDate(s);
    obs[0]!.networks = [];
    const p = planUp(s, observed(obs, { volumes: [{ name: 'demo_data', labels: {} }] }), {
      imageIds: ids(s),
    });
    expect(p.actions).toMatchObject([{ kind: 'recreate', name: 'demo-db-1', reason: 'network missing' }]);
  });

  test('depends_on restart: true restarts a running dependent when its dependency is replaced', () => {
    const s = base();
    s.services.app!.depends_on.db!.restart = true;
    const obs = observed(upToDate(s), { volumes: [{ name: 'demo_data', labels: {} }] });
    s.services.db!.environment = { X: '1' };
    const p = planUp(s, obs, { imageIds: ids(s) });
    expect(kinds(p.actions)).toEqual(['recreate demo-db-1', 'restart demo-app-1', 'restart demo-app-2']);
    expect(formatPlan(p)).toContain('↻ container demo-app-1  restart (dependency "db" replaced)');
    s.services.app!.depends_on.db!.restart = false;
    expect(kinds(planUp(s, obs, { imageIds: ids(s) }).actions)).toEqual(['recreate demo-db-1']);
  });

  test('a restart owed by an interrupted up is paid by the next one, with nothing else to do', () => {
    const s = base();
    s.services.app!.depends_on.db!.restart = true;
    const obs = observed(upToDate(s), { volumes: [{ name: 'demo_data', labels: {} }] });
    expect(kinds(planUp(s, obs, { imageIds: ids(s) }).actions)).toEqual([]);
    const p = planUp(s, obs, { imageIds: ids(s), owedRestarts: ['app'] });
    expect(kinds(p.actions)).toEqual(['restart demo-app-1', 'restart demo-app-2']);
    expect(p.actions[0]).toMatchObject({ dependency: 'db' });
  });

  test('a dead container is recreated, not started', () => {
    const s = base();
    const obs = upToDate(s);
    obs[0]!.state = 'dead';
    const p = planUp(s, observed(obs, { volumes: [{ name: 'demo_data', labels: {} }] }), {
      imageIds: ids(s),
    });
    expect(p.actions).toMatchObject([{ kind: 'recreate', name: 'demo-db-1', reason: 'container dead' }]);
  });

  test('a service sharing a namespace with a recreated one follows it', () => {
    const s = stack([service('vpn'), service('client', { network_mode: 'service:vpn', networks: {} })]);
    const obs = observed(upToDate(s));
    s.services.vpn!.environment = { X: '1' };
    const p = planUp(s, obs, { imageIds: ids(s) });
    expect(p.actions).toMatchObject([
      { kind: 'recreate', name: 'demo-vpn-1', reason: 'config changed' },
      { kind: 'recreate', name: 'demo-client-1', reason: 'dependency recreated' },
    ]);
  });

  test('a selection plans only its services; other services are untouched', () => {
    const s = base();
    const p = planUp(s, observed([], { networks: [] }), { imageIds: ids(s), services: ['db'] });
    expect(kinds(p.actions)).toEqual([
      'create-network demo_default',
      'create-volume demo_data',
      'create demo-db-1',
    ]);
  });

  test('external networks and volumes are never created', () => {
    const s = base();
    s.networks.default!.external = true;
    s.volumes.data!.external = true;
    const p = planUp(s, observed([], { networks: [] }), { imageIds: ids(s) });
    expect(p.actions.map((a) => a.kind)).toEqual(['create', 'create', 'create']);
  });

  test('one-off containers (berth run) are never replicas nor orphans', () => {
    const s = base();
    const obs = [
      ...upToDate(s),
      container({ service: 'app', replica: 9, oneoff: true, name: 'demo-app-run-1' }),
    ];
    const p = planUp(s, observed(obs, { volumes: [{ name: 'demo_data', labels: {} }] }), {
      imageIds: ids(s),
    });
    expect(p.actions).toEqual([]);
    expect(p.orphans).toEqual([]);
  });

  test('dry-run text lists every action readably', () => {
    const s = base();
    const text = formatPlan(planUp(s, observed([], { networks: [] }), { imageIds: ids(s) }));
    expect(text).toContain('Plan for project demo: 5 to create');
    expect(text).toContain('+ container demo-app-2  create');
  });
});

describe('planStart', () => {
  test('starts only stopped containers, creates nothing', () => {
    const s = stack([service('db'), service('app')]);
    const p = planStart(
      s,
      observed([
        container({ service: 'db', replica: 1, state: 'exited' }),
        container({ service: 'app', replica: 1 }),
      ]),
    );
    expect(kinds(p.actions)).toEqual(['start demo-db-1']);
    expect(p.unchanged.map((c) => c.name)).toEqual(['demo-app-1']);
  });
});

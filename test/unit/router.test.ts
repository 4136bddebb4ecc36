// The client router (`berth use A B`): which service is a stack's web entry, what a routed client's stack looks
// like, which routes the engine's labels describe, the HAProxy config for them, and the router's sync on the
// fake engine (started on demand, joins and leaves client networks, removed when nothing routed runs).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BerthError } from '../../src/errors.js';
import { Label } from '../../src/model/index.js';
import { syncRouter } from '../../src/ops/router.js';
import { up } from '../../src/ops/up.js';
import { summarizeProjects } from '../../src/stacks/overview.js';
import {
  DEFAULT_ROUTER_PORT,
  renderRouterConfig,
  routedStack,
  routerSettings,
  routerStack,
  routesOf,
} from '../../src/stacks/router.js';
import { readState, writeActiveClient } from '../../src/stacks/state.js';
import { FakeEngine } from '../support/fake-engine.js';
import { load, loadError } from './compose-helpers.js';
import { container, service, stack } from './stack-factory.js';

const DEMO = `name: demo
services:
  lb:
    image: berth/busybox:latest
    ports: ["127.0.0.1:8080:80"]
    depends_on: [app]
  app:
    image: berth/busybox:latest
    ports: ["127.0.0.1:9000:8000"]
`;

describe('web entry', () => {
  test('by default the first service that publishes a port, on its container port', () => {
    expect(load({ 'compose.yaml': DEMO }).web).toEqual({ service: 'lb', port: 80 });
  });

  test('x-berth.web names the service and port', () => {
    const s = load({ 'compose.yaml': `${DEMO}x-berth:\n  web: {service: app, port: 8000}\n` });
    expect(s.web).toEqual({ service: 'app', port: 8000 });
  });

  test('x-berth.web without a port takes the service’s first published port', () => {
    expect(load({ 'compose.yaml': `${DEMO}x-berth:\n  web: {service: app}\n` }).web).toEqual({
      service: 'app',
      port: 8000,
    });
  });

  test('an unknown web service is an error at its line, naming the services', () => {
    const msg = loadError({ 'compose.yaml': `${DEMO}x-berth:\n  web:\n    service: nginx\n` });
    expect(msg).toMatch(/compose\.yaml:12:\d+: .*web service "nginx" is not a service of this stack/);
    expect(msg).toContain('name one of: lb, app');
  });

  test('a stack that publishes nothing has no web entry', () => {
    expect(load({ 'compose.yaml': 'services:\n  a:\n    image: x\n' }).web).toBeUndefined();
  });
});

describe('routedStack', () => {
  const demo = () => ({ ...load({ 'compose.yaml': DEMO }), client: 'acme', project: 'demo-acme' });

  test('no service publishes a host port; only the web entry carries the route labels', () => {
    const r = routedStack(demo(), 'berth-router');
    expect(Object.values(r.services).map((s) => s.ports)).toEqual([[], []]);
    expect(r.services.lb!.labels).toMatchObject({
      [Label.router]: 'berth-router',
      [Label.route]: 'acme.demo.localhost',
      [Label.routePort]: '80',
    });
    expect(r.services.app!.labels[Label.route]).toBeUndefined();
  });

  test('a stack without a web entry cannot be routed, and says how to give it one', () => {
    const s = { ...stack([service('a')]), client: 'acme' };
    expect(() => routedStack(s, 'berth-router')).toThrow(BerthError);
    expect(() => routedStack(s, 'berth-router')).toThrow(/no web entry/);
  });
});

describe('routes and config', () => {
  const web = (project: string, host: string, over: Parameters<typeof container>[0]) =>
    container({
      project,
      labels: { [Label.router]: 'berth-router', [Label.route]: host, [Label.routePort]: '80' },
      ...over,
    });

  test('running, labelled containers of this router only, one route per host, sorted', () => {
    const routes = routesOf(
      [
        web('demo-globex', 'globex.demo.localhost', { service: 'lb', replica: 1 }),
        web('demo-acme', 'acme.demo.localhost', { service: 'lb', replica: 2 }),
        web('demo-acme', 'acme.demo.localhost', { service: 'lb', replica: 1 }),
        web('demo-initech', 'initech.demo.localhost', { service: 'lb', replica: 1, state: 'exited' }),
        container({ project: 'other', service: 'lb', replica: 1, labels: { [Label.router]: 'elsewhere' } }),
      ],
      'berth-router',
    );
    expect(routes).toEqual([
      {
        host: 'acme.demo.localhost',
        port: 80,
        containers: ['demo-acme-lb-1', 'demo-acme-lb-2'],
        networks: ['demo-acme_default'],
        project: 'demo-acme',
      },
      {
        host: 'globex.demo.localhost',
        port: 80,
        containers: ['demo-globex-lb-1'],
        networks: ['demo-globex_default'],
        project: 'demo-globex',
      },
    ]);
    const cfg = renderRouterConfig(routes);
    expect(cfg).toContain('use_backend acme.demo.localhost if { var(txn.host) -m str acme.demo.localhost }');
    expect(cfg).toContain('  server web2 demo-acme-lb-2:80 resolvers docker init-addr last,libc,none');
    expect(cfg).toContain('backend globex.demo.localhost\n  server web1 demo-globex-lb-1:80');
    // the port in the Host header is not part of the name matched
    expect(cfg).toContain('req.hdr(host),lower,field(1,:)');
    expect(cfg).not.toContain('initech');
  });

  test('settings: 7080 unless BERTH_ROUTER_PORT says otherwise; a bad value is a usage error', () => {
    expect(routerSettings({})).toEqual({ project: 'berth-router', port: DEFAULT_ROUTER_PORT });
    expect(routerSettings({ BERTH_ROUTER_PORT: '17080', BERTH_ROUTER_PROJECT: 'bt-x' })).toEqual({
      project: 'bt-x',
      port: 17080,
    });
    expect(() => routerSettings({ BERTH_ROUTER_PORT: 'eighty' })).toThrow(/BERTH_ROUTER_PORT=eighty/);
  });

  test('ls shows a routed client’s URL while its router runs', () => {
    const facts = (state: string) => ({
      id: 'x',
      name: 'demo-acme-lb-1',
      project: 'demo-acme',
      service: 'lb',
      stack: 'demo',
      client: 'acme',
      state,
      ports: [],
      oneoff: false,
      route: { host: 'acme.demo.localhost', router: 'berth-router' },
    });
    const ports = new Map([['berth-router', 7080]]);
    expect(summarizeProjects([facts('running')], [], new Map(), ports)[0]!.url).toBe(
      'http://acme.demo.localhost:7080',
    );
    expect(summarizeProjects([facts('exited')], [], new Map(), ports)[0]!.url).toBeUndefined();
    expect(summarizeProjects([facts('running')], [], new Map(), new Map())[0]!.url).toBeUndefined();
  });
});

describe('state', () => {
  test('use A B records both as routed and A as active; use A forgets the routed set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-router-'));
    try {
      await writeActiveClient(dir, 'acme', ['acme', 'globex']);
      expect(await readState(dir)).toEqual({ activeClient: 'acme', routed: ['acme', 'globex'] });
      await writeActiveClient(dir, 'acme', ['acme']);
      expect(await readState(dir)).toEqual({ activeClient: 'acme' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('syncRouter on the fake engine', () => {
  const settings = { project: 'berth-router', port: 7080 };
  const client = (name: string) =>
    routedStack(
      {
        ...stack(
          [
            service('lb', {
              ports: [{ target: 80, published: '8080', host_ip: '127.0.0.1', protocol: 'tcp' }],
            }),
          ],
          {
            project: `demo-${name}`,
            name: 'demo',
            client: name,
            web: { service: 'lb', port: 80 },
          },
        ),
      },
      settings.project,
    );
  const routerOf = async (engine: FakeEngine) =>
    (await engine.listContainers({ all: true, labels: [`${Label.role}=router`] }))[0];

  test('starts on demand, joins each client network, reloads, leaves, and goes when nothing is routed', async () => {
    const engine = new FakeEngine();
    engine.addImage(['berth/busybox:latest', routerStack(settings).services.router!.image]);
    const ctx = { engine };
    const acme = client('acme');
    const globex = client('globex');
    await up(ctx, acme);
    await up(ctx, globex);
    // nothing published by the clients themselves
    expect((await engine.listContainers({})).flatMap((c) => c.ports)).toEqual([]);

    const first = await syncRouter(ctx, settings);
    expect(first.routes.map((r) => r.host)).toEqual(['acme.demo.localhost', 'globex.demo.localhost']);
    const router = await routerOf(engine);
    expect(router?.state).toBe('running');
    expect(router?.ports).toEqual([{ hostIp: '127.0.0.1', hostPort: 7080, target: 80, protocol: 'tcp' }]);
    expect(router?.networks.sort()).toEqual([
      'berth-router_default',
      'demo-acme_default',
      'demo-globex_default',
    ]);
    const reloads = () =>
      engine.calls.filter((c) => c.method === 'check' && String(c.args[1]).includes('kill -USR2 1'));
    expect(reloads()).toHaveLength(1);

    // globex stops: the router lets go of its network, acme's route stays, the router is not recreated
    const g = (await engine.listContainers({ labels: [`${Label.project}=demo-globex`] }))[0]!;
    await engine.stopContainer(g.id);
    const second = await syncRouter(ctx, settings);
    expect(second.routes.map((r) => r.host)).toEqual(['acme.demo.localhost']);
    const after = await routerOf(engine);
    expect(after?.id).toBe(router?.id);
    expect(after?.networks.sort()).toEqual(['berth-router_default', 'demo-acme_default']);
    expect(reloads()).toHaveLength(2);

    // nothing routed runs: the router and its network are gone, the clients' networks stay
    const a = (await engine.listContainers({ labels: [`${Label.project}=demo-acme`] }))[0]!;
    await engine.stopContainer(a.id);
    expect((await syncRouter(ctx, settings)).running).toBe(false);
    expect(await routerOf(engine)).toBeUndefined();
    const nets = (await engine.listNetworks({})).map((n) => n.name).sort();
    expect(nets).toEqual(['demo-acme_default', 'demo-globex_default']);
  });
});

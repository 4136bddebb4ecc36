// `up --target swarm` builds the `build:` services before it deploys. A build whose `service:NAME` context
// names another service's image needs that image built first, as on the local engine: the dependency is built
// before its dependent even when the file lists it later. Checked on the in-memory engine and swarm.
import { expect, test } from 'vitest';
import { deploy, type SwarmContext } from '../../src/ops/deploy.js';
import { FakeEngine } from '../support/fake-engine.js';
import { FakeSwarm } from '../support/fake-swarm.js';
import { load } from './compose-helpers.js';

const FILE = `name: shop
services:
  app:
    build:
      context: app
      additional_contexts:
        base: service:base
    image: shop-app
  web:
    build: web
    image: shop-web
  base:
    build: base
    image: shop-base
  db:
    image: berth/postgres:latest
`;

const FILES = {
  'compose.yaml': FILE,
  'app/Dockerfile': 'FROM base\n',
  'web/Dockerfile': 'FROM scratch\n',
  'base/Dockerfile': 'FROM scratch\n',
};

function setup() {
  const engine = new FakeEngine();
  engine.addImage('berth/postgres:latest');
  const swarm = new FakeSwarm();
  const ctx: SwarmContext = { engine, swarm };
  return { engine, swarm, ctx, stack: load(FILES) };
}

const builds = (engine: FakeEngine) =>
  engine.calls.filter((c) => c.method === 'buildImage').map((c) => c.target);

test('a `service:` build context: its service is built first, even when listed later', async () => {
  const { engine, ctx, stack } = setup();
  // what the real builder needs: the base image is on the engine when app's build starts
  let baseThere: boolean | undefined;
  engine.beforeCall(
    1,
    async () => {
      baseThere = (await engine.inspectImage('shop-base')) !== undefined;
    },
    (c) => c.method === 'buildImage' && c.target === 'app',
  );
  const { translation } = await deploy(ctx, stack, {});
  expect(baseThere).toBe(true);
  // dependencies first, file order otherwise
  expect(builds(engine)).toEqual(['base', 'app', 'web']);
  // the services are still translated and deployed in file order, each on its own image
  expect(translation.services.map((s) => s.service)).toEqual(['app', 'web', 'base', 'db']);
});

test('with a registry: built in dependency order, every built image pushed', async () => {
  const { engine, swarm, ctx, stack } = setup();
  await deploy(ctx, stack, { registry: '127.0.0.1:5000' });
  expect(builds(engine)).toEqual(['base', 'app', 'web']);
  expect(swarm.pushed.map((r) => r.split(':')[1]!.split('/')[1])).toEqual([
    'shop-base',
    'shop-app',
    'shop-web',
  ]);
});

test('a chain of `service:` contexts is built from its root', async () => {
  const engine = new FakeEngine();
  const swarm = new FakeSwarm();
  const stack = load({
    'compose.yaml': `name: chain
services:
  c:
    build: {context: c, additional_contexts: {b: "service:b"}}
    image: chain-c
  b:
    build: {context: b, additional_contexts: {a: "service:a"}}
    image: chain-b
  a:
    build: a
    image: chain-a
`,
    'a/Dockerfile': 'FROM scratch\n',
    'b/Dockerfile': 'FROM a\n',
    'c/Dockerfile': 'FROM b\n',
  });
  await deploy({ engine, swarm }, stack, {});
  expect(builds(engine)).toEqual(['a', 'b', 'c']);
});

// Every swarm verb needs a swarm manager: on an engine in no swarm, or a worker, berth exits 2 saying how to
// create or join one, before it builds, pushes or changes anything. Checked on the in-memory swarm port.
import { expect, test } from 'vitest';
import { BerthError, ExitCode } from '../../src/errors.js';
import {
  deploy,
  requireManager,
  type SwarmContext,
  swarmLogStreams,
  swarmPs,
  swarmStacks,
  undeploy,
} from '../../src/ops/deploy.js';
import { FakeEngine } from '../support/fake-engine.js';
import { FakeSwarm } from '../support/fake-swarm.js';
import { load } from './compose-helpers.js';

const FILE = `name: shop
services:
  web:
    build: .
    image: shop-web
    deploy: {replicas: 2}
  db:
    image: berth/postgres:latest
`;

function setup(state: FakeSwarm['state']) {
  const swarm = new FakeSwarm();
  swarm.state = state;
  const engine = new FakeEngine();
  engine.addImage('berth/postgres:latest');
  const ctx: SwarmContext = { engine, swarm };
  return { swarm, engine, ctx, stack: load({ 'compose.yaml': FILE, Dockerfile: 'FROM scratch\n' }) };
}

const notInSwarm = { nodeId: '', localState: 'inactive', manager: false };
const worker = { nodeId: 'w1', localState: 'active', manager: false, nodes: 2 };

async function refusal(p: Promise<unknown>): Promise<BerthError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BerthError);
  return err as BerthError;
}

test.each([
  ['in no swarm', notInSwarm, /the engine at fake-swarm is not part of a swarm \(state: inactive\)/],
  ['a worker', worker, /the engine at fake-swarm is a swarm worker, not a manager/],
])(
  'an engine %s: every verb exits 2 with how to create or join a swarm, and changes nothing',
  async (_, state, why) => {
    const { swarm, engine, ctx, stack } = setup(state);
    const verbs: Array<[string, () => Promise<unknown>]> = [
      ['up', () => deploy(ctx, stack, { registry: '127.0.0.1:5000', wait: true })],
      ['up --dry-run', () => deploy(ctx, stack, { dryRun: true })],
      ['down', () => undeploy(ctx, stack.project, { volumes: true })],
      ['ps', () => swarmPs(ctx, stack.project)],
      ['logs', () => swarmLogStreams(ctx, stack.project, { follow: false, timestamps: false })],
    ];
    for (const [verb, run] of verbs) {
      const err = await refusal(run());
      expect(err.exitCode, verb).toBe(ExitCode.BadInput);
      expect(err.message, verb).toMatch(why);
      expect(err.hint, verb).toMatch(/docker swarm init --advertise-addr <IP>/);
      expect(err.hint, verb).toMatch(/docker swarm join --token <token> <manager>:2377/);
    }
    // Refused before anything else: no build, no push, no swarm object, not even a listing.
    expect(swarm.calls.map((c) => c.method)).toEqual(verbs.map(() => 'info'));
    expect(engine.calls.filter((c) => c.method === 'buildImage' || c.method === 'tagImage')).toEqual([]);
    // `ls` lists no swarm stacks there rather than failing: local stacks are still worth listing.
    expect(await swarmStacks(swarm)).toEqual([]);
  },
);

test('a manager: up deploys, and requireManager lets it through', async () => {
  const { swarm, ctx, stack } = setup({ nodeId: 'm1', localState: 'active', manager: true, nodes: 1 });
  await expect(requireManager(swarm)).resolves.toBeUndefined();
  await deploy(ctx, stack, { registry: '127.0.0.1:5000' });
  expect(swarm.pushed).toEqual([expect.stringMatching(/^127\.0\.0\.1:5000\/shop-web:[0-9a-f]{12}$/)]);
  expect(
    swarm
      .mutations()
      .filter((c) => c.method === 'createService')
      .map((c) => c.target)
      .sort(),
  ).toEqual(['shop_db', 'shop_web']);
  expect((await swarmPs(ctx, 'shop')).map((r) => `${r.service}.${r.slot}`)).toEqual([
    'db.1',
    'web.1',
    'web.2',
  ]);
  expect(await swarmStacks(swarm)).toEqual([{ project: 'shop', services: 2 }]);
});

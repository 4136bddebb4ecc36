// `up --scale` on a swarm: the replica count reaches the service spec, the rest of the stack is the file's, and a
// global service is refused (it has no count).
import { expect, test } from 'vitest';
import { notOnSwarm } from '../../src/cli/swarm.js';
import { withReplicas } from '../../src/swarm/scale.js';
import { translate } from '../../src/swarm/translate.js';
import { load } from './compose-helpers.js';

const FILE = `name: s
services:
  app:
    image: berth/busybox:latest
    deploy: {replicas: 2, placement: {max_replicas_per_node: 3}}
  web:
    image: berth/busybox:latest
  agent:
    image: berth/busybox:latest
    deploy: {mode: global}
`;
const specOf = (stack: ReturnType<typeof load>, name: string) =>
  translate(stack, { images: {}, read: () => Buffer.from('') }).services.find((s) => s.service === name)!
    .spec;

test('--scale sets the replicas of the named service; the others and the raw keys stay as written', () => {
  const stack = load({ 'compose.yaml': FILE });
  const scaled = withReplicas(stack, { app: 5 });
  expect(specOf(scaled, 'app').mode).toEqual({ replicated: 5 });
  expect(specOf(scaled, 'app').placement?.maxReplicas).toBe(3);
  expect(specOf(scaled, 'web').mode).toEqual({ replicated: 1 });
  // the loaded stack itself is untouched
  expect(specOf(stack, 'app').mode).toEqual({ replicated: 2 });
  expect(withReplicas(stack, {})).toBe(stack);
});

test('--scale of a global service or of no such service is bad input naming it', () => {
  const stack = load({ 'compose.yaml': FILE });
  expect(() => withReplicas(stack, { agent: 2 })).toThrow(/--scale agent=2: agent runs in global mode/);
  expect(() => withReplicas(stack, { nope: 1 })).toThrow(/no such service: nope/);
});

test('up flags and service names that change nothing on a swarm are named, the defaults are not', () => {
  expect(notOnSwarm({ recreate: true, deps: true, start: true }, [])).toEqual([]);
  expect(
    notOnSwarm({ forceRecreate: true, recreate: false, deps: false, start: false }, ['web', 'app']),
  ).toEqual(['the service names (web, app)', '--force-recreate', '--no-recreate', '--no-deps', '--no-start']);
});
